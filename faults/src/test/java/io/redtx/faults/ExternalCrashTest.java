package io.redtx.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RecoveryReport;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStatus;
import io.redtx.api.saga.SagaRecovery;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.samples.checkout.H2Server;
import io.redtx.samples.checkout.HttpPaymentParticipant;
import io.redtx.samples.checkout.PaymentService;
import io.redtx.samples.checkout.SqlOrderParticipant;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Coordinators killed with {@code kill -9} in the middle of transactions with external (TCC) participants and of
 * sagas, while those participants live outside the coordinator's JVM: a payment service over HTTP and a SQL database
 * behind an H2 server, both in this JVM, with three {@code redis-server} participants. The coordinator runs in a child
 * JVM ({@link CheckoutProcess}) that stops each planned transaction or saga at its own place (before the tries, between
 * them, after the commit point, between the confirms, during the secondaries' roll-forward; in a saga before or after
 * a step's call, in a step's commit, before or after a compensation's call) and is killed once all of them are there;
 * other runs are killed at a random moment with many transactions in flight. A runtime in this JVM then recovers past
 * the lease, and every transaction and saga is checked against what each resource holds.
 */
@RedisTest
class ExternalCrashTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration START_LIMIT = Duration.ofSeconds(30);
    /** Longest time for a child to reach every planned halt. */
    private static final Duration HALT_LIMIT = Duration.ofSeconds(40);

    /**
     * The client compiler alone: a child lives a few seconds, and on a loaded machine the server compiler's threads
     * would delay it more than they speed it up.
     */
    private static final List<String> CHILD_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1");

    private static final int RECOVERY_PASSES = 15;
    /** How many sagas one recovery pass drives at once (see docs/sagas.md). */
    private static final int SAGAS_PER_PASS = 4;

    private static final String NS = RuntimeOptions.DEFAULT_NAMESPACE;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void externalWorkIsConfirmedOrCancelledWithItsTransactionAfterTheCoordinatorIsKilled(
            RedisServer a, RedisServer b, RedisServer c) throws Exception {
        Map<String, String> redis = uris(a, b, c);
        List<RedisServer> servers = List.of(a, b, c);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (PaymentService payments = PaymentService.start();
                H2Server h2 = H2Server.start();
                SqlOrderParticipant orders = SqlOrderParticipant.create(Checkouts.ORDERS, h2.r2dbcUrl("orders"))) {
            orders.createSchema().block(WAIT);
            List<String> common =
                    List.of("--payments", payments.baseUrl(), "--orders", h2.r2dbcUrl("orders"), "--concurrency", "64");

            // Every kill point twice, on its own checkout, next to checkouts that run to their end.
            List<String> planned = new ArrayList<>();
            int next = 0;
            int halts = 0;
            Map<Integer, Long> openings = new ConcurrentHashMap<>();
            for (CheckoutProcess.Halt halt : CheckoutProcess.Halt.values()) {
                if (!halt.ofCheckouts()) {
                    continue;
                }
                int copies = halt == CheckoutProcess.Halt.NONE ? 4 : 2;
                for (int k = 0; k < copies; k++) {
                    if (halt.declined()) {
                        openings.put(next, 0L);
                    }
                    planned.add(next++ + ":" + halt);
                    halts += halt.answered() ? 0 : 1;
                }
            }
            // And transactions that write nothing in Redis: their record is on the shard the key router picks.
            Set<Integer> externalOnly = new TreeSet<>();
            for (CheckoutProcess.Halt halt : List.of(
                    CheckoutProcess.Halt.NONE,
                    CheckoutProcess.Halt.PAYMENT_TRIED,
                    CheckoutProcess.Halt.AFTER_PREPARE,
                    CheckoutProcess.Halt.AFTER_COMMIT_POINT,
                    CheckoutProcess.Halt.BETWEEN_CONFIRMS)) {
                externalOnly.add(next);
                planned.add(next++ + ":" + halt + ":" + CheckoutProcess.EXTERNAL_ONLY);
                halts += halt.answered() ? 0 : 1;
            }
            List<List<String>> runs = new ArrayList<>();
            runs.add(planned);
            // Then two runs with many checkouts in flight, killed at a random moment.
            for (int r = 0; r < 2; r++) {
                List<String> run = new ArrayList<>();
                for (int k = 0; k < 40; k++) {
                    run.add(next++ + ":" + CheckoutProcess.Halt.NONE);
                }
                runs.add(run);
            }
            for (int i = 0; i < next; i++) {
                a.command("SET", Checkouts.stock(i), Long.toString(Checkouts.STOCK));
                openings.putIfAbsent(i, Checkouts.OPENING_BALANCE);
                payments.openAccount(Checkouts.customer(i), openings.get(i));
            }

            Output output = new Output();
            List<String> stoppedWhereExpected = new ArrayList<>();
            int kills = 0;
            for (int r = 0; r < runs.size(); r++) {
                List<String> args = childArgs(common, "--checkout", runs.get(r), redis, r > 0);
                int expectedHalts = r == 0 ? halts : -1;
                int answers = r == 0
                        ? (int) planned.stream()
                                .filter(s -> CheckoutProcess.Halt.valueOf(s.split(":")[1])
                                        .answered())
                                .count()
                        : 5 + random.nextInt(runs.get(r).size() / 2);
                long delay = r == 0 ? 0 : random.nextInt(30);
                kills += runAndKill(args, output, expectedHalts, answers, delay);
                if (r == 0) {
                    stoppedWhereExpected.addAll(checkoutsStoppedWherePlanned(planned, output, payments, orders));
                    kills += killRecoveries(planned, output, common, redis, payments, orders, stoppedWhereExpected);
                }
                recoverAll(redis, payments, h2, servers);
            }

            Tcc result = verifyCheckouts(redis, servers, payments, orders, output, openings, externalOnly);
            System.out.printf(
                    Locale.ROOT,
                    "external work under coordinator kill -9: %d transactions, %d kills, %d committed, %d aborted,"
                            + " %d violations (%d transactions stopped at a planned point; random seed %d)%n",
                    result.transactions(),
                    kills,
                    result.committed(),
                    result.transactions() - result.committed(),
                    result.violations().size(),
                    halts,
                    seed);
            result.violations().forEach(v -> System.out.println("  VIOLATION " + v));
            assertThat(stoppedWhereExpected)
                    .as("coordinators stopped where planned")
                    .isEmpty();
            assertThat(result.violations()).isEmpty();
            assertThat(result.committed()).isPositive();
            assertThat(result.transactions() - result.committed()).isPositive();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void sagasAreFinishedForwardOrBackwardWithEachStepOnceAfterTheCoordinatorIsKilled(
            RedisServer a, RedisServer b, RedisServer c) throws Exception {
        Map<String, String> redis = uris(a, b, c);
        List<RedisServer> servers = List.of(a, b, c);
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (PaymentService payments = PaymentService.start();
                H2Server h2 = H2Server.start()) {
            List<String> common =
                    List.of("--payments", payments.baseUrl(), "--orders", h2.r2dbcUrl("orders"), "--concurrency", "64");
            String back = Checkouts.BACKWARD;
            String fwd = Checkouts.FORWARD;
            // <saga name>:<place>[:fail]; "none" runs to the end, "<place>!" fails in the child only.
            List<String> places = List.of(
                    back + ":charge",
                    back + ":charged",
                    back + ":record",
                    back + ":reserve@AFTER_PREPARE",
                    back + ":reserve@AFTER_COMMIT_POINT",
                    back + ":none",
                    back + ":refund:fail",
                    back + ":refunded:fail",
                    back + ":release:fail",
                    back + ":release@AFTER_COMMIT_POINT:fail",
                    back + ":record:fail",
                    back + ":none:fail",
                    fwd + ":charge",
                    fwd + ":charged",
                    fwd + ":record",
                    fwd + ":record!",
                    fwd + ":reserve@AFTER_COMMIT_POINT",
                    fwd + ":none");
            List<String> planned = new ArrayList<>();
            int next = 0;
            int halts = 0;
            int answers = 0;
            for (String p : places) {
                planned.add(next++ + ":" + p);
                String place = p.split(":")[1];
                if (place.equals("none") || place.endsWith("!")) {
                    answers++;
                } else {
                    halts++;
                }
            }
            List<List<String>> runs = new ArrayList<>();
            runs.add(planned);
            for (int r = 0; r < 2; r++) {
                List<String> run = new ArrayList<>();
                for (int k = 0; k < 30; k++) {
                    int i = next++;
                    run.add(i + ":" + (i % 2 == 0 ? back : fwd) + ":none" + (i % 6 == 0 ? ":fail" : ""));
                }
                runs.add(run);
            }
            Map<Integer, String> specs = new LinkedHashMap<>();
            runs.forEach(run -> run.forEach(s -> specs.put(Integer.parseInt(s.split(":")[0]), s)));
            for (int i = 0; i < next; i++) {
                a.command("SET", Checkouts.sagaStock(i), Long.toString(Checkouts.SAGA_STOCK));
                payments.openAccount(Checkouts.sagaCustomer(i), Checkouts.OPENING_BALANCE);
            }

            Output output = new Output();
            List<String> stoppedWhereExpected = new ArrayList<>();
            int kills = 0;
            for (int r = 0; r < runs.size(); r++) {
                List<String> args = childArgs(common, "--saga", runs.get(r), redis, r > 0);
                int threshold =
                        r == 0 ? answers : 5 + random.nextInt(runs.get(r).size() / 2);
                long delay = r == 0 ? 0 : random.nextInt(30);
                kills += runAndKill(args, output, r == 0 ? halts : -1, threshold, delay);
                if (r == 0) {
                    stoppedWhereExpected.addAll(sagasStoppedWherePlanned(planned, payments));
                    // Recovery killed too: the sagas it resumes stop again where their input says (in the call again,
                    // or in the commit of the step's new attempt). A pass drives four sagas at a time, so four
                    // stop, and the pass with them.
                    List<String> recovering = new ArrayList<>(common);
                    redis.forEach((name, uri) -> recovering.add(name + "=" + uri));
                    recovering.add("--recovery");
                    kills += runAndKill(recovering, output, SAGAS_PER_PASS, 0, 0);
                }
                recoverAll(redis, payments, h2, servers);
            }

            List<String> violations = verifySagas(servers, payments, output, specs);
            System.out.printf(
                    Locale.ROOT,
                    "sagas under coordinator kill -9: %d sagas, %d kills, %d violations (%d sagas stopped at a planned"
                            + " point; random seed %d)%n",
                    specs.size(),
                    kills,
                    violations.size(),
                    halts,
                    seed);
            violations.forEach(v -> System.out.println("  VIOLATION " + v));
            assertThat(stoppedWhereExpected)
                    .as("coordinators stopped where planned")
                    .isEmpty();
            assertThat(violations).isEmpty();
        }
    }

    /**
     * What each planned halt must have left in the payment service and the orders database when the coordinator died,
     * before any recovery (null: nothing): proof that the kill came where the plan says. Several states where the
     * order of concurrent calls decides.
     */
    private static final Map<CheckoutProcess.Halt, List<List<String>>> LEFT_AT_HALT = Map.of(
            CheckoutProcess.Halt.BEFORE_PREPARE, List.of(states((String) null), states((String) null)),
            CheckoutProcess.Halt.PAYMENT_TRIED, List.of(states("TRIED"), states((String) null)),
            CheckoutProcess.Halt.ORDER_TRIED, List.of(states((String) null), states("PENDING")),
            CheckoutProcess.Halt.TRIED_UNANSWERED, List.of(states("TRIED"), states(null, "PENDING")),
            CheckoutProcess.Halt.AFTER_PREPARE, List.of(states("TRIED"), states("PENDING")),
            CheckoutProcess.Halt.AFTER_COMMIT_POINT, List.of(states("TRIED"), states("PENDING")),
            CheckoutProcess.Halt.BETWEEN_CONFIRMS, List.of(states("CONFIRMED"), states("PENDING")),
            // The confirms run next to the secondaries' roll-forward.
            CheckoutProcess.Halt.DURING_SECONDARIES, List.of(states("TRIED", "CONFIRMED"), states("PENDING", "PLACED")),
            // The order's try runs next to the declined payment's, and may be cut short by the abort.
            CheckoutProcess.Halt.BETWEEN_CANCELS, List.of(states("CANCELLED"), states(null, "PENDING")));

    private static List<String> states(String... states) {
        return Arrays.asList(states);
    }

    private static List<String> checkoutsStoppedWherePlanned(
            List<String> planned, Output output, PaymentService payments, SqlOrderParticipant orders) {
        Map<String, String> paymentStates = payments.states();
        Map<String, String> orderStates = orders.states().block(WAIT);
        List<String> wrong = new ArrayList<>();
        for (String spec : planned) {
            String[] f = spec.split(":");
            CheckoutProcess.Halt halt = CheckoutProcess.Halt.valueOf(f[1]);
            List<List<String>> expected = LEFT_AT_HALT.get(halt);
            if (expected == null) {
                continue;
            }
            List<String> attempts = output.attempts.getOrDefault(Integer.parseInt(f[0]), List.of());
            String id = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
            String payment = paymentStates.get(id);
            String order = orderStates.get(id);
            if (attempts.size() != 1
                    || !expected.get(0).contains(payment)
                    || !expected.get(1).contains(order)) {
                wrong.add("checkout " + spec + ": attempts " + attempts + ", payment " + payment + ", order " + order
                        + " at the kill; expected " + expected);
            }
        }
        wrong.forEach(w -> System.out.println("  NOT WHERE PLANNED " + w));
        return wrong;
    }

    /**
     * Kills recovery itself in the middle: a recovery pass in a child JVM confirms the payment of a transaction whose
     * coordinator died after the commit point and dies before the order's confirm; it also aborts a transaction whose
     * coordinator died after the prepare, its participants unreachable, and a second child, recovering that ABORTED
     * record, dies between its two cancels. What each left is checked here; the rest is up to the final recovery.
     *
     * @return the kills, 2
     */
    private static int killRecoveries(
            List<String> planned,
            Output output,
            List<String> common,
            Map<String, String> redis,
            PaymentService payments,
            SqlOrderParticipant orders,
            List<String> stoppedWhereExpected)
            throws Exception {
        String committed = firstAttempt(planned, output, CheckoutProcess.Halt.AFTER_COMMIT_POINT);
        String aborted = firstAttempt(planned, output, CheckoutProcess.Halt.AFTER_PREPARE);
        List<String> base = new ArrayList<>(common);
        redis.forEach((name, uri) -> base.add(name + "=" + uri));

        List<String> first = new ArrayList<>(base);
        first.addAll(List.of(
                "--recovery",
                "--stop",
                committed + ":" + CheckoutProcess.Halt.BETWEEN_CONFIRMS,
                "--stop",
                aborted + ":" + CheckoutProcess.Halt.UNREACHABLE));
        int kills = runAndKill(first, output, 1, 0, 0);
        expectLeft(payments, orders, committed, "CONFIRMED", "PENDING", "recovery killed between confirms")
                .ifPresent(stoppedWhereExpected::add);
        expectLeft(payments, orders, aborted, "TRIED", "PENDING", "aborted with its participants unreachable")
                .ifPresent(stoppedWhereExpected::add);

        List<String> second = new ArrayList<>(base);
        second.addAll(List.of("--recovery", "--stop", aborted + ":" + CheckoutProcess.Halt.BETWEEN_CANCELS));
        kills += runAndKill(second, output, 1, 0, 0);
        expectLeft(payments, orders, aborted, "CANCELLED", "PENDING", "recovery killed between cancels")
                .ifPresent(stoppedWhereExpected::add);
        return kills;
    }

    private static String firstAttempt(List<String> planned, Output output, CheckoutProcess.Halt halt) {
        for (String spec : planned) {
            String[] f = spec.split(":");
            if (f[1].equals(halt.name())) {
                List<String> attempts = output.attempts.get(Integer.parseInt(f[0]));
                return attempts.get(attempts.size() - 1);
            }
        }
        throw new IllegalArgumentException("no checkout planned to halt at " + halt);
    }

    private static Optional<String> expectLeft(
            PaymentService payments, SqlOrderParticipant orders, String id, String payment, String order, String what) {
        String p = payments.states().get(id);
        String o = orders.states().block(WAIT).get(id);
        System.out.printf(Locale.ROOT, "  %s: %s left payment %s, order %s%n", what, id, p, o);
        if (payment.equals(p) && order.equals(o)) {
            return Optional.empty();
        }
        String wrong =
                what + ": " + id + " left payment " + p + ", order " + o + "; expected " + payment + ", " + order;
        System.out.println("  NOT WHERE PLANNED " + wrong);
        return Optional.of(wrong);
    }

    /** What a saga's payment must be when its coordinator died at each place, before any recovery. */
    private static final Map<String, List<String>> PAYMENT_AT_PLACE = Map.of(
            "charge", states((String) null),
            "charged", states("CONFIRMED"),
            "record", states("CONFIRMED"),
            "reserve@AFTER_PREPARE", states((String) null),
            "reserve@AFTER_COMMIT_POINT", states((String) null),
            "refund", states("CONFIRMED"),
            "refunded", states("REFUNDED"),
            "release", states("REFUNDED"),
            "release@AFTER_COMMIT_POINT", states("REFUNDED"));

    private static List<String> sagasStoppedWherePlanned(List<String> planned, PaymentService payments) {
        Map<String, String> paymentStates = payments.states();
        List<String> wrong = new ArrayList<>();
        for (String spec : planned) {
            String[] f = spec.split(":");
            List<String> expected = PAYMENT_AT_PLACE.get(f[2]);
            String payment = paymentStates.get(Checkouts.sagaId(Integer.parseInt(f[0])) + "/1");
            if (expected != null && !expected.contains(payment)) {
                wrong.add("saga " + spec + ": payment " + payment + " at the kill; expected " + expected);
            }
        }
        wrong.forEach(w -> System.out.println("  NOT WHERE PLANNED " + w));
        return wrong;
    }

    /** What the children printed, over every run. */
    private static final class Output {
        /** Checkout or saga number to its attempts' transaction ids. */
        final Map<Integer, List<String>> attempts = new ConcurrentHashMap<>();
        /** Number to what its caller was told. */
        final Map<Integer, String> answers = new ConcurrentHashMap<>();

        final List<String> halts = new CopyOnWriteArrayList<>();
        volatile CountDownLatch ready = new CountDownLatch(1);
        volatile int haltsBefore;
        volatile int answersBefore;

        void onLine(String line) {
            String[] f = line.split(" ", 3);
            switch (f[0]) {
                case "READY" -> ready.countDown();
                case "B" ->
                    attempts.computeIfAbsent(Integer.parseInt(f[1]), k -> new CopyOnWriteArrayList<>())
                            .add(f[2]);
                case "E" -> answers.put(Integer.parseInt(f[1]), f[2]);
                case "HALT" -> halts.add(line);
                default -> {}
            }
        }
    }

    /**
     * Runs one child; kills it with SIGKILL once {@code halts} planned halts and {@code answers} answers came (or,
     * with {@code halts < 0}, {@code delayMillis} after {@code answers} answers).
     *
     * @return 1, the kill
     */
    private static int runAndKill(List<String> args, Output output, int halts, int answers, long delayMillis)
            throws Exception {
        output.ready = new CountDownLatch(1);
        output.haltsBefore = output.halts.size();
        output.answersBefore = output.answers.size();
        List<ChildJvm> children = new ArrayList<>();
        try {
            ChildJvm child =
                    ChildJvm.start("checkout-jvm", CHILD_JVM_OPTIONS, CheckoutProcess.class, args, output::onLine);
            children.add(child);
            if (!output.ready.await(START_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the coordinator JVM did not start: " + child.stderrTail());
            }
            if (halts >= 0) {
                await(
                        () -> (output.halts.size() - output.haltsBefore >= halts
                                        && output.answers.size() - output.answersBefore >= answers)
                                || !child.isAlive(),
                        HALT_LIMIT,
                        () -> "the coordinator JVM reached " + (output.halts.size() - output.haltsBefore) + " of "
                                + halts + " halts and " + (output.answers.size() - output.answersBefore) + " of "
                                + answers + " answers; halts " + output.halts + "; answers " + output.answers
                                + "; stderr:\n" + child.stderrTail());
            } else {
                // A random moment: after a random number of answers, plus a few milliseconds, with the rest in flight.
                await(
                        () -> output.answers.size() - output.answersBefore >= answers || !child.isAlive(),
                        HALT_LIMIT,
                        () -> "the coordinator JVM gave " + (output.answers.size() - output.answersBefore) + " of "
                                + answers + " answers; last line '" + child.lastLine() + "'; stderr:\n"
                                + child.stderrTail());
                Thread.sleep(delayMillis);
            }
            assertThat(child.isAlive())
                    .as("the coordinator JVM exited before the kill; last line '" + child.lastLine() + "'; stderr:\n"
                            + child.stderrTail())
                    .isTrue();
            child.kill9();
            System.out.printf(
                    Locale.ROOT,
                    "  coordinator JVM (pid %d) killed with kill -9: %d halted, %d answered%n",
                    child.pid(),
                    output.halts.size() - output.haltsBefore,
                    output.answers.size() - output.answersBefore);
            return 1;
        } finally {
            ChildJvms.closeAll(children);
        }
    }

    /**
     * Past the lease, recovers in a runtime of this JVM that registers the same participants and sagas, pass after
     * pass until nothing is left to settle (bounded).
     */
    private static void recoverAll(
            Map<String, String> redis, PaymentService payments, H2Server h2, List<RedisServer> servers)
            throws InterruptedException {
        Thread.sleep(Checkouts.LEASE.toMillis() + 500);
        HttpPaymentParticipant http = new HttpPaymentParticipant(Checkouts.PAYMENTS, payments.baseUrl());
        try (SqlOrderParticipant orders = SqlOrderParticipant.create(Checkouts.ORDERS, h2.r2dbcUrl("orders"))) {
            TransactionRuntime runtime = RedisTransactionRuntime.create(Checkouts.options(redis)
                    .external(http)
                    .external(orders)
                    .saga(Checkouts.saga(Checkouts.BACKWARD, SagaRecovery.BACKWARD, http, Checkouts.Places.NONE))
                    .saga(Checkouts.saga(Checkouts.FORWARD, SagaRecovery.FORWARD, http, Checkouts.Places.NONE))
                    .build());
            try {
                RecoveryReport total = RecoveryReport.EMPTY;
                for (int pass = 0; pass < RECOVERY_PASSES; pass++) {
                    RecoveryReport report = runtime.recover().block(WAIT);
                    total = total.plus(report);
                    if (report.left() == 0
                            && report.externalsPending() == 0
                            && report.sagasFailing() == 0
                            && IntentCount.on(NS, servers).none()
                            && unfinishedSagas(servers) == 0) {
                        break;
                    }
                    Thread.sleep(300);
                }
                System.out.println("  recovery: " + total);
            } finally {
                runtime.closeGracefully().block(WAIT);
            }
        }
    }

    private record Tcc(int transactions, int committed, List<String> violations) {}

    private static Tcc verifyCheckouts(
            Map<String, String> redis,
            List<RedisServer> servers,
            PaymentService payments,
            SqlOrderParticipant orders,
            Output output,
            Map<Integer, Long> openings,
            Set<Integer> externalOnly) {
        RedisServer a = servers.get(0);
        RedisServer b = servers.get(1);
        RedisServer c = servers.get(2);
        List<String> v = new ArrayList<>();
        Map<String, String> paymentStates = payments.states();
        Map<String, String> orderStates = orders.states().block(WAIT);
        Set<String> known = new TreeSet<>();
        int transactions = 0;
        int committed = 0;
        TransactionRuntime runtime =
                RedisTransactionRuntime.create(Checkouts.options(redis).build());
        try {
            for (int i = 0; i < openings.size(); i++) {
                long opening = openings.get(i);
                List<String> attempts = output.attempts.getOrDefault(i, List.of());
                int committedAttempts = 0;
                for (String id : attempts) {
                    known.add(id);
                    transactions++;
                    TransactionStatus status = runtime.status(id).block(WAIT);
                    String payment = paymentStates.get(id);
                    String order = orderStates.get(id);
                    String seen = "checkout " + i + " (" + id + "): status " + status + ", payment " + payment
                            + ", order " + order;
                    if (status == TransactionStatus.COMMITTED) {
                        committedAttempts++;
                        if (!"CONFIRMED".equals(payment) || !"PLACED".equals(order)) {
                            v.add(seen + ": committed, its external work not confirmed");
                        }
                    } else {
                        if (status == TransactionStatus.IN_DOUBT) {
                            v.add(seen + ": still in doubt after recovery");
                        }
                        if (payment != null && !"CANCELLED".equals(payment)) {
                            v.add(seen + ": not committed, the payment not cancelled");
                        }
                        if (order != null && !"CANCELLED".equals(order)) {
                            v.add(seen + ": not committed, the order not cancelled");
                        }
                    }
                }
                committed += committedAttempts;
                String answer = output.answers.get(i);
                if ("COMMITTED".equals(answer) && committedAttempts != 1) {
                    v.add("checkout " + i + " was answered COMMITTED, " + committedAttempts + " attempts committed");
                }
                if (committedAttempts > 1) {
                    v.add("checkout " + i + " committed " + committedAttempts + " times");
                }
                boolean done = committedAttempts == 1;
                boolean inRedis = done && !externalOnly.contains(i);
                long quantity = Checkouts.quantity(i);
                long amount = Checkouts.amount(i);
                long stock = number(a, Checkouts.stock(i));
                long sold = number(c, Checkouts.sold(i));
                long revenue = number(b, Checkouts.revenue(i));
                long balance = payments.balance(Checkouts.customer(i));
                long reserved = payments.reserved(Checkouts.customer(i));
                String state = "checkout " + i + " (committed " + committedAttempts + "): stock " + stock + ", sold "
                        + sold + ", revenue " + revenue + ", balance " + balance + ", reserved " + reserved;
                // The money that left the account is the revenue in Redis, or, without Redis writes, the payment's.
                long collected = externalOnly.contains(i) ? (done ? amount : 0) : revenue;
                if (stock + sold != Checkouts.STOCK || balance + collected != opening) {
                    v.add(state + ": money or stock not conserved");
                }
                if (reserved != 0) {
                    v.add(state + ": a reservation hangs");
                }
                if (sold != (inRedis ? quantity : 0)
                        || revenue != (inRedis ? amount : 0)
                        || balance != opening - (done ? amount : 0)) {
                    v.add(state + ": not what its " + (done ? "commit" : "abort") + " leaves");
                }
            }
        } finally {
            runtime.closeGracefully().block(WAIT);
        }
        paymentStates.forEach((id, state) -> {
            if (!known.contains(id)) {
                v.add("payment " + id + " (" + state + ") of no transaction a coordinator started");
            }
            if ("TRIED".equals(state)) {
                v.add("payment " + id + " left TRIED");
            }
        });
        orderStates.forEach((id, state) -> {
            if (!known.contains(id)) {
                v.add("order " + id + " (" + state + ") of no transaction a coordinator started");
            }
            if ("PENDING".equals(state)) {
                v.add("order " + id + " left PENDING");
            }
        });
        if (payments.violations() != 0) {
            v.add("the payment service counts " + payments.violations() + " violations");
        }
        int sqlViolations = orders.violations().block(WAIT);
        if (sqlViolations != 0) {
            v.add("the orders database counts " + sqlViolations + " violations");
        }
        IntentCount intents = IntentCount.on(NS, servers);
        if (!intents.none()) {
            v.add("left in Redis after recovery: " + intents);
        }
        return new Tcc(transactions, committed, v);
    }

    private static List<String> verifySagas(
            List<RedisServer> servers, PaymentService payments, Output output, Map<Integer, String> specs) {
        RedisServer a = servers.get(0);
        RedisServer b = servers.get(1);
        RedisServer c = servers.get(2);
        List<String> v = new ArrayList<>();
        Map<String, String> paymentStates = payments.states();
        specs.forEach((i, spec) -> {
            boolean fail = spec.endsWith(":fail");
            String id = Checkouts.sagaId(i);
            String state = sagaState(servers, id);
            String payment = paymentStates.get(id + "/1");
            long stock = number(a, Checkouts.sagaStock(i));
            long reservedStock = number(c, Checkouts.sagaReserved(i));
            Object order = b.command("GET", Checkouts.sagaOrder(i));
            long balance = payments.balance(Checkouts.sagaCustomer(i));
            long reserved = payments.reserved(Checkouts.sagaCustomer(i));
            String seen = "saga " + spec + ": record " + state + ", told " + output.answers.get(i) + ", stock " + stock
                    + ", reserved stock " + reservedStock + ", payment " + payment + ", balance " + balance
                    + ", reserved " + reserved + ", order " + order;
            boolean completed = "COMPLETED".equals(state);
            if (state != null && !state.equals(fail ? "COMPENSATED" : "COMPLETED")) {
                v.add(seen + ": not finished as its definition and input say (record: " + sagaRecord(servers, id)
                        + ")");
            }
            String answer = output.answers.get(i);
            if (answer != null
                    && (answer.equals("COMPLETED") || answer.equals("COMPENSATED"))
                    && !answer.equals(state)) {
                v.add(seen + ": its caller was told otherwise");
            }
            if (completed) {
                if (stock != Checkouts.SAGA_STOCK - 1
                        || reservedStock != 1
                        || !"CONFIRMED".equals(payment)
                        || balance != Checkouts.OPENING_BALANCE - Checkouts.amount(i)
                        || !id.equals(order)) {
                    v.add(seen + ": completed, its steps not each applied once");
                }
            } else if (stock != Checkouts.SAGA_STOCK
                    || reservedStock != 0
                    || !(payment == null || "REFUNDED".equals(payment))
                    || balance != Checkouts.OPENING_BALANCE
                    || order != null) {
                v.add(seen + ": " + (state == null ? "never started" : "compensated") + ", yet something is left");
            }
            if (reserved != 0) {
                v.add(seen + ": a payment reservation hangs");
            }
        });
        long unfinished = unfinishedSagas(servers);
        if (unfinished != 0) {
            v.add(unfinished + " sagas still listed as unfinished");
        }
        if (payments.violations() != 0) {
            v.add("the payment service counts " + payments.violations() + " violations");
        }
        IntentCount intents = IntentCount.on(NS, servers);
        if (!intents.none()) {
            v.add("left in Redis after recovery: " + intents);
        }
        return v;
    }

    /** @return the state its record holds, or null without a record */
    /**
     * The arguments of one coordinator child: {@code common}, each spec after {@code flag}, the Redis URIs, and, for a
     * run killed at a random moment, 16 in flight.
     */
    private static List<String> childArgs(
            List<String> common, String flag, List<String> specs, Map<String, String> redis, boolean random) {
        List<String> args = new ArrayList<>(common);
        specs.forEach(spec -> args.addAll(List.of(flag, spec)));
        redis.forEach((name, uri) -> args.add(name + "=" + uri));
        if (random) {
            args.set(args.indexOf("--concurrency") + 1, "16");
        }
        return args;
    }

    private static String sagaState(List<RedisServer> servers, String sagaId) {
        String record = sagaRecord(servers, sagaId);
        if (record != null) {
            for (String pair : record.split("&")) {
                if (pair.startsWith("state=")) {
                    return URLDecoder.decode(pair.substring("state=".length()), StandardCharsets.UTF_8);
                }
            }
        }
        return null;
    }

    /** @return the saga's record as stored (its failed step and cause say why it went backward), or null */
    private static String sagaRecord(List<RedisServer> servers, String sagaId) {
        for (RedisServer s : servers) {
            Object record = s.command("GET", NS + "sg:{" + sagaId + "}");
            if (record != null) {
                return String.valueOf(record);
            }
        }
        return null;
    }

    /** @return entries of the participants' indexes of unfinished sagas */
    private static long unfinishedSagas(List<RedisServer> servers) {
        long n = 0;
        for (RedisServer s : servers) {
            n += (Long) s.command("HLEN", NS + "sgi");
        }
        return n;
    }

    private static long number(RedisServer server, String key) {
        Object value = server.command("GET", key);
        return value == null ? 0 : Long.parseLong(String.valueOf(value));
    }

    private static Map<String, String> uris(RedisServer a, RedisServer b, RedisServer c) {
        Map<String, String> uris = new LinkedHashMap<>();
        uris.put("a", a.uri());
        uris.put("b", b.uri());
        uris.put("c", c.uri());
        return uris;
    }

    private static void await(BooleanSupplier condition, Duration limit, Supplier<String> what)
            throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what.get() + " within " + limit);
            }
            Thread.sleep(10);
        }
    }
}
