package io.redtx.faults;

import io.redtx.api.TransactionRuntime;
import io.redtx.runtime.RedisTransactionRuntime;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A coordinator in its own JVM, for the suite to kill with {@code kill -9}: runs random transfers (markers and outbox
 * message, as {@link Transfers#run} writes them) until killed and reports on standard output, one line each,
 * {@code B <id>} when a transfer starts and {@code E <id> <transfer> <claim> <kind> <detail>} (tab-separated) when its
 * caller got an answer. Nothing is cleaned up on the way out: only what Redis holds survives it.
 *
 * <p>Arguments: {@code <id prefix> <random seed> <concurrency> <accounts> <initial balance> <name>=<uri>...}
 */
public final class CoordinatorProcess {

    private CoordinatorProcess() {}

    /** @param args see the class comment; runs until the process is killed */
    public static void main(String[] args) {
        String prefix = args[0];
        Random random = new Random(Long.parseLong(args[1]));
        int concurrency = Integer.parseInt(args[2]);
        int accounts = Integer.parseInt(args[3]);
        long initialBalance = Long.parseLong(args[4]);
        Map<String, String> participants = new LinkedHashMap<>();
        for (int i = 5; i < args.length; i++) {
            String[] nameUri = args[i].split("=", 2);
            participants.put(nameUri[0], nameUri[1]);
        }

        // Reactor threads only queue lines; this thread writes them, so stdout never blocks a transaction.
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        Thread writer = new Thread(
                () -> {
                    List<String> batch = new ArrayList<>();
                    try {
                        for (; ; ) {
                            batch.add(lines.take());
                            lines.drainTo(batch);
                            batch.forEach(out::println);
                            out.flush();
                            batch.clear();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "coordinator-output");
        writer.setDaemon(true);
        writer.start();

        TransactionRuntime runtime = RedisTransactionRuntime.create(
                FaultSuite.runtimeOptions(participants).build());
        Transfers transfers = new Transfers(runtime, List.copyOf(participants.keySet()), accounts, initialBalance);
        lines.add("READY");
        Flux.range(0, Integer.MAX_VALUE)
                .flatMap(
                        i -> {
                            Transfers.Transfer t = transfers.random(random, prefix + i);
                            lines.add("B " + t.id());
                            return transfers
                                    .run(t)
                                    .map(status -> Outcomes.of(t, status))
                                    .onErrorResume(e -> Mono.just(Outcomes.of(t, e)))
                                    .doOnNext(answer -> lines.add(encode(answer)));
                        },
                        concurrency)
                .blockLast();
    }

    /** The {@code E} line of an answer; {@link CoordinatorJvm} parses it. */
    private static String encode(Outcomes.Claimed answer) {
        return String.join(
                "\t",
                "E",
                answer.transfer().id(),
                answer.transfer().encode(),
                answer.claim().name(),
                answer.kind(),
                answer.detail());
    }
}
