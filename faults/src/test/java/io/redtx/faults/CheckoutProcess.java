package io.redtx.faults;

import io.redtx.api.TransactionRuntime;
import io.redtx.api.external.ExternalParticipant;
import io.redtx.api.saga.SagaContext;
import io.redtx.api.saga.SagaRecovery;
import io.redtx.runtime.RedisTransactionRuntime;
import io.redtx.runtime.internal.protocol.ProtocolHooks;
import io.redtx.samples.checkout.HttpPaymentParticipant;
import io.redtx.samples.checkout.SqlOrderParticipant;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A coordinator in its own JVM for {@link ExternalCrashTest} to kill with {@code kill -9}: runs checkouts
 * ({@link Checkouts#checkout}) and checkout sagas against Redis, the payment service and the SQL database, which live in
 * the test's JVM. Each planned checkout or saga names the place where its coordinator stops for good: a step of the
 * commit ({@link ProtocolHooks}), a call of an external participant, or a saga step's call. There the child prints
 * {@code HALT <place> <number> <id>} and waits forever, as a coordinator whose process is about to die; the test kills
 * it once every planned halt is reached.
 *
 * <p>With {@code --recovery} it runs no checkouts: past the lease it runs a recovery pass, whose confirms or cancels of
 * the transactions named by {@code --stop}, and sagas it resumes, stop the same way, so that recovery itself is killed
 * in the middle.
 *
 * <p>Output, one line each, flushed at once: {@code READY}; {@code B <number> <transaction id>} as a checkout's
 * attempt starts (before any of its work reaches a participant); {@code HALT ...}; {@code E <number> <outcome>} when a
 * checkout or saga ended; {@code DONE} when all did (it then waits to be killed). A watchdog ends the JVM after
 * {@link #WATCHDOG}, should the test die without killing it.
 */
@Command(name = "checkout", description = "Checkouts and sagas in a JVM of their own, killed by ExternalCrashTest.")
public final class CheckoutProcess implements Callable<Integer> {

    /** Where a checkout's coordinator stops. */
    enum Halt {
        /** Nowhere: the checkout runs to its end. */
        NONE,
        /** Before any prepare or try. */
        BEFORE_PREPARE,
        /** The payment reserved; the order's try never sent. */
        PAYMENT_TRIED,
        /** The order reserved; the payment's try never sent. */
        ORDER_TRIED,
        /** Both tries ran in their participants; the payment's answer never came back. */
        TRIED_UNANSWERED,
        /** Every shard prepared and every participant reserved, before the commit point. */
        AFTER_PREPARE,
        /** The record is COMMITTED; nothing rolled forward or confirmed. */
        AFTER_COMMIT_POINT,
        /** The payment confirmed; the order's confirm never sent. */
        BETWEEN_CONFIRMS,
        /** One of the two secondaries rolled forward, the other not. */
        DURING_SECONDARIES,
        /** Nowhere; the payment is declined (the test opens the account empty), so the checkout aborts. */
        DECLINED,
        /** The payment declined and its cancel done; the order's cancel never sent. */
        BETWEEN_CANCELS,
        /**
         * For {@code --recovery}: every confirm and cancel of the transaction fails at once, before it is sent (both
         * participants unreachable), so that recovery leaves them pending.
         */
        UNREACHABLE;

        /** @return whether the checkout runs to its end, answered rather than halted */
        boolean answered() {
            return this == NONE || this == DECLINED;
        }

        /** @return whether it is a place of a checkout's coordinator (not of a {@code --recovery} pass alone) */
        boolean ofCheckouts() {
            return this != UNREACHABLE;
        }

        /** @return whether the test opens the checkout's account empty, for the payment to be declined */
        boolean declined() {
            return this == DECLINED || this == BETWEEN_CANCELS;
        }
    }

    /** A {@code --checkout} suffix: the checkout's external work alone ({@link Checkouts#externalOnly}). */
    static final String EXTERNAL_ONLY = "external-only";

    /** Longest life of a child. */
    static final Duration WATCHDOG = Duration.ofSeconds(150);

    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    @Option(names = "--payments", required = true, description = "the payment service's base URL")
    String paymentsUrl;

    @Option(names = "--orders", required = true, description = "the R2DBC URL of the orders database")
    String ordersUrl;

    @Option(names = "--checkout", description = "<number>:<halt>[:external-only], a checkout to run")
    List<String> checkouts = new ArrayList<>();

    @Option(names = "--saga", description = "<number>:<saga name>:<place to halt or 'none'>[:fail], a saga to run")
    List<String> sagas = new ArrayList<>();

    @Option(names = "--concurrency", defaultValue = "64", description = "checkouts and sagas in flight")
    int concurrency;

    @Option(
            names = "--recovery",
            description =
                    "instead of running checkouts and sagas, run a recovery pass past the lease (sagas stop at the"
                            + " places their input names, as in their first run)")
    boolean recovery;

    @Option(
            names = "--stop",
            description = "<transaction id>:<halt>, with --recovery: stops that transaction's confirms or cancels")
    List<String> stops = new ArrayList<>();

    @Parameters(paramLabel = "NAME=URI", arity = "1..*", description = "the Redis participants")
    Map<String, String> redis = new LinkedHashMap<>();

    /** Where each attempt stops, by transaction id (registered as its work starts, before its commit). */
    private final Map<String, Halt> halts = new ConcurrentHashMap<>();
    /** Saga step transactions that stop at a step of their commit. */
    private final Map<String, ProtocolHooks.Step> stepHalts = new ConcurrentHashMap<>();
    /** Completed by the first participant's call of a transaction, for the second one to stop after it. */
    private final Map<String, Sinks.Empty<Void>> firstDone = new ConcurrentHashMap<>();

    /** @param args the options */
    public static void main(String[] args) {
        Thread watchdog = new Thread(
                () -> {
                    try {
                        Thread.sleep(WATCHDOG.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    Runtime.getRuntime().halt(3);
                },
                "watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int status = new CommandLine(new CheckoutProcess()).execute(args);
        Runtime.getRuntime().halt(status);
    }

    @Override
    public Integer call() {
        HttpPaymentParticipant payments = new HttpPaymentParticipant(Checkouts.PAYMENTS, paymentsUrl);
        SqlOrderParticipant orders = SqlOrderParticipant.create(Checkouts.ORDERS, ordersUrl);
        Checkouts.Places places = this::sagaPlace;
        TransactionRuntime runtime = RedisTransactionRuntime.create(
                Checkouts.options(redis)
                        .external(new Halting(payments, Halt.PAYMENT_TRIED, Halt.ORDER_TRIED))
                        .external(new Halting(orders, Halt.ORDER_TRIED, Halt.PAYMENT_TRIED))
                        .saga(Checkouts.saga(Checkouts.BACKWARD, SagaRecovery.BACKWARD, payments, places))
                        .saga(Checkouts.saga(Checkouts.FORWARD, SagaRecovery.FORWARD, payments, places))
                        .build(),
                this::hook);
        print("READY");
        if (recovery) {
            stops.forEach(spec -> {
                String[] f = spec.split(":");
                halts.put(f[0], Halt.valueOf(f[1]));
            });
            // The dead coordinator's leases run out first; the pass then hangs at the halt until the kill.
            Mono.delay(Checkouts.LEASE.plusMillis(500))
                    .then(runtime.recover())
                    .doOnNext(report -> print("RECOVERED " + report))
                    .block(WATCHDOG);
            Mono.never().block(WATCHDOG);
            return 0;
        }
        Flux<Mono<String>> work = Flux.concat(
                Flux.fromIterable(checkouts).map(c -> checkout(runtime, c)),
                Flux.fromIterable(sagas).map(s -> saga(runtime, s)));
        work.flatMap(m -> m, Math.max(1, concurrency))
                .doOnNext(CheckoutProcess::print)
                .blockLast();
        print("DONE");
        // Stays up until killed, as a coordinator with more work to come: the kill is the only way out.
        Mono.never().block(WATCHDOG);
        return 0;
    }

    private Mono<String> checkout(TransactionRuntime runtime, String spec) {
        String[] f = spec.split(":");
        int i = Integer.parseInt(f[0]);
        Halt halt = Halt.valueOf(f[1]);
        boolean externalOnly = f.length > 2 && f[2].equals(EXTERNAL_ONLY);
        return runtime.inTransaction(tx -> Mono.fromRunnable(() -> {
                            halts.put(tx.id(), halt);
                            print("B " + i + " " + tx.id());
                        })
                        .then(externalOnly ? Checkouts.externalOnly(tx, i) : Checkouts.checkout(tx, i)))
                .then(Mono.just("E " + i + " COMMITTED"))
                .onErrorResume(e -> Mono.just("E " + i + " " + e.getClass().getSimpleName() + " "
                        + String.valueOf(e.getMessage()).replace('\n', ' ')));
    }

    private Mono<String> saga(TransactionRuntime runtime, String spec) {
        String[] f = spec.split(":");
        int i = Integer.parseInt(f[0]);
        Map<String, String> input = new LinkedHashMap<>();
        input.put(Checkouts.KILL, f[2]);
        if (f.length > 3) {
            input.put(Checkouts.FAIL, "true");
        }
        return runtime.saga(f[1])
                .start(Checkouts.sagaId(i), input)
                .map(outcome -> "E " + i + " " + outcome.status())
                .onErrorResume(e -> Mono.just("E " + i + " " + e.getClass().getSimpleName()));
    }

    /**
     * A saga's place: halts where its input says. {@code <place>} halts in the step's call; {@code
     * <place>@<commit step>} halts the step's transaction at that step of its commit; {@code <place>!} fails the step
     * for good in this JVM only (a forward saga then waits for recovery).
     */
    private Mono<Void> sagaPlace(String place, SagaContext ctx, String transactionId) {
        String kill = ctx.input().getOrDefault(Checkouts.KILL, "none");
        if (kill.equals(place)) {
            return halt(place, Checkouts.index(ctx), ctx.sagaId());
        }
        if (kill.equals(place + "!")) {
            return Mono.error(new IllegalStateException("refused in the coordinator JVM only"));
        }
        if (transactionId != null && kill.startsWith(place + "@")) {
            stepHalts.put(transactionId, ProtocolHooks.Step.valueOf(kill.substring(place.length() + 1)));
        }
        return Mono.empty();
    }

    private Mono<Void> hook(ProtocolHooks.Point point) {
        String id = point.transactionId();
        ProtocolHooks.Step step = stepHalts.get(id);
        if (step != null && step == point.step()) {
            return halt(step.name(), -1, id);
        }
        Halt halt = halts.getOrDefault(id, Halt.NONE);
        boolean stop = switch (halt) {
            case BEFORE_PREPARE -> point.step() == ProtocolHooks.Step.BEFORE_PREPARE;
            case AFTER_PREPARE -> point.step() == ProtocolHooks.Step.AFTER_PREPARE;
            case AFTER_COMMIT_POINT -> point.step() == ProtocolHooks.Step.AFTER_COMMIT_POINT;
            // The hook of the second secondary's roll-forward: the first one is sent.
            case DURING_SECONDARIES -> point.step() == ProtocolHooks.Step.COMMIT_SECONDARY && point.sent() == 1;
            default -> false;
        };
        return stop ? halt(halt.name(), -1, id) : Mono.empty();
    }

    /** Prints the halt, then never completes: the coordinator stops here until the test kills its JVM. */
    private static Mono<Void> halt(String place, int number, String id) {
        return Mono.fromRunnable(() -> print("HALT " + place + " " + number + " " + id))
                .then(Mono.never());
    }

    private static synchronized void print(String line) {
        OUT.println(line);
    }

    private static Mono<Void> unreachable() {
        return Mono.error(new IllegalStateException("unreachable (fault injection)"));
    }

    private Sinks.Empty<Void> first(String id) {
        return firstDone.computeIfAbsent(id, k -> Sinks.empty());
    }

    /**
     * An external participant that stops a transaction's coordinator between the calls of two participants: with
     * {@code goFirst}, its call goes through and signals the other participant's; with {@code stopSecond}, its call
     * waits for the other's, then halts before it is sent. The try, the confirm and the cancel are stopped so
     * ({@link Halt#PAYMENT_TRIED}, {@link Halt#ORDER_TRIED}, {@link Halt#BETWEEN_CONFIRMS},
     * {@link Halt#BETWEEN_CANCELS}: the payment first, but for {@code ORDER_TRIED}).
     */
    private final class Halting implements ExternalParticipant {
        private final ExternalParticipant delegate;
        private final Halt goFirst;
        private final Halt stopSecond;

        Halting(ExternalParticipant delegate, Halt goFirst, Halt stopSecond) {
            this.delegate = delegate;
            this.goFirst = goFirst;
            this.stopSecond = stopSecond;
        }

        @Override
        public String name() {
            return delegate.name();
        }

        @Override
        public Mono<Void> tryReserve(String id, Map<String, String> request) {
            Halt halt = halts.getOrDefault(id, Halt.NONE);
            if (halt == stopSecond) {
                return first(id).asMono().then(halt(halt.name() + "/" + name(), -1, id));
            }
            Mono<Void> call = delegate.tryReserve(id, request);
            if (halt == goFirst) {
                return call.doOnSuccess(v -> first(id).tryEmitEmpty());
            }
            if (halt == Halt.TRIED_UNANSWERED && name().equals(Checkouts.PAYMENTS)) {
                return call.then(halt(halt.name(), -1, id));
            }
            return call;
        }

        @Override
        public Mono<Void> confirm(String id) {
            Halt halt = halts.getOrDefault(id, Halt.NONE);
            if (halt == Halt.UNREACHABLE) {
                return unreachable();
            }
            Mono<Void> call = delegate.confirm(id);
            if (halt != Halt.BETWEEN_CONFIRMS) {
                return call;
            }
            return name().equals(Checkouts.PAYMENTS)
                    ? call.doOnSuccess(v -> first(id).tryEmitEmpty())
                    : first(id).asMono().then(halt(halt.name(), -1, id));
        }

        @Override
        public Mono<Void> cancel(String id) {
            Halt halt = halts.getOrDefault(id, Halt.NONE);
            if (halt == Halt.UNREACHABLE) {
                return unreachable();
            }
            Mono<Void> call = delegate.cancel(id);
            if (halt != Halt.BETWEEN_CANCELS) {
                return call;
            }
            return name().equals(Checkouts.PAYMENTS)
                    ? call.doOnSuccess(v -> first(id).tryEmitEmpty())
                    : first(id).asMono().then(halt(halt.name(), -1, id));
        }
    }
}
