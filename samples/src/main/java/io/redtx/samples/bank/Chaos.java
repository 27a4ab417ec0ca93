package io.redtx.samples.bank;

import io.redtx.test.redis.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The fault injector of {@code BankDemo --chaos}: on its own plain thread (it sleeps), until a deadline, it alternates
 * a {@code kill -9} followed by a restart of one embedded participant (its append-only file, fsynced on every write,
 * keeps what was acknowledged) and a {@code SIGSTOP} of one participant for longer than the lease followed by
 * {@code SIGCONT}, rotating over the participants, one fault at a time with {@link #GAP} between them. A fault starts
 * only if it can be healed before the deadline, and whatever happens every server is left running and unpaused when
 * {@link #run()} returns, so the run ends healed. Model: the fault suite's {@code Nemesis}.
 *
 * <p>Each injection and each healing is reported as one line to the event sink, prefixed with the time since the
 * program started.
 */
final class Chaos implements Runnable {

    /** Kind of fault: {@code kill -9} and restart. */
    static final String KILL = "kill";
    /** Kind of fault: {@code SIGSTOP} past the lease, then {@code SIGCONT}. */
    static final String PAUSE = "pause";

    /** Quiet time before the first fault and between two faults: the load recovers and the progress line shows it. */
    static final Duration GAP = Duration.ofSeconds(1);
    /** How long a killed participant stays down before its restart. */
    static final Duration DOWN = Duration.ofMillis(300);
    /** What a restart (an AOF replay) may take, counted when deciding whether a kill still fits before the deadline. */
    static final Duration RESTART_ALLOWANCE = Duration.ofSeconds(1);
    /** How far past the lease a pause lasts: long enough for the intents of the paused participant to expire. */
    static final Duration PAST_THE_LEASE = Duration.ofMillis(700);

    private final List<RedisServer> servers;
    private final List<String> names;
    private final Duration pause;
    private final Duration lease;
    private final long programStart;
    private final long deadline;
    private final Consumer<String> events;
    private final Map<String, Long> injected = new TreeMap<>();
    private volatile boolean stopped;
    private volatile Throwable failure;

    /**
     * Prepares the injector; nothing happens before {@link #run()}.
     *
     * @param servers the embedded participants, all running
     * @param names their participant names, in the same order
     * @param lease the runtime's lease; each pause lasts {@link #PAST_THE_LEASE} longer
     * @param programStart {@link System#nanoTime()} at the start of the program, for the time stamps of the events
     * @param deadline {@link System#nanoTime()} by which every fault must be healed
     * @param events receives one line per injection and per healing, from the chaos thread
     */
    Chaos(
            List<RedisServer> servers,
            List<String> names,
            Duration lease,
            long programStart,
            long deadline,
            Consumer<String> events) {
        this.servers = List.copyOf(servers);
        this.names = List.copyOf(names);
        this.lease = lease;
        this.pause = lease.plus(PAST_THE_LEASE);
        this.programStart = programStart;
        this.deadline = deadline;
        this.events = events;
    }

    /** Injects faults until the deadline (or {@link #stop()}), then makes sure every server runs unpaused. */
    @Override
    public void run() {
        try {
            for (int step = 0; ; step++) {
                if (!sleepUntil(System.nanoTime() + GAP.toNanos())) {
                    return;
                }
                boolean kill = step % 2 == 0;
                Duration length = kill ? DOWN.plus(RESTART_ALLOWANCE) : pause;
                if (System.nanoTime() + length.toNanos() > deadline) {
                    return;
                }
                int s = step % servers.size();
                if (kill) {
                    killAndRestart(s);
                } else {
                    pausePastTheLease(s);
                }
            }
        } catch (Throwable e) {
            failure = e;
            event("chaos stopped by an error: " + e);
        } finally {
            heal();
        }
    }

    /** Asks {@link #run()} to stop at its next wait (a fault in progress is still healed). */
    void stop() {
        stopped = true;
    }

    /** @return faults injected so far by kind ({@link #KILL}, {@link #PAUSE}); a copy */
    synchronized Map<String, Long> injected() {
        return new TreeMap<>(injected);
    }

    /** @return the error that stopped the injection early, or {@code null} */
    Throwable failure() {
        return failure;
    }

    private void killAndRestart(int s) {
        RedisServer server = servers.get(s);
        long pid = server.pid();
        server.kill();
        count(KILL);
        event("kill -9 " + names.get(s) + " (pid " + pid + ")");
        sleepUntil(System.nanoTime() + DOWN.toNanos());
        long down = System.nanoTime();
        server.restart();
        event(String.format(
                Locale.ROOT,
                "%s restarted (pid %d, same port, AOF replayed in %d ms)",
                names.get(s),
                server.pid(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - down)));
    }

    private void pausePastTheLease(int s) {
        RedisServer server = servers.get(s);
        server.pause();
        count(PAUSE);
        event(String.format(
                Locale.ROOT,
                "SIGSTOP %s (pid %d) for %d ms, past the %d ms lease",
                names.get(s),
                server.pid(),
                pause.toMillis(),
                lease.toMillis()));
        try {
            // Not cut short by stop(): a pause shorter than the lease would not show what it is meant to.
            sleepQuietly(pause);
        } finally {
            server.resume();
        }
        event("SIGCONT " + names.get(s));
    }

    /** Leaves every server running and unpaused, whatever stopped the injection. */
    private void heal() {
        for (int s = 0; s < servers.size(); s++) {
            RedisServer server = servers.get(s);
            try {
                if (server.isPaused()) {
                    server.resume();
                    event("SIGCONT " + names.get(s) + " (healing)");
                }
                if (!server.isAlive()) {
                    server.restart();
                    event(names.get(s) + " restarted (healing)");
                }
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
                event("could not heal " + names.get(s) + ": " + e);
            }
        }
    }

    private synchronized void count(String kind) {
        injected.merge(kind, 1L, Long::sum);
    }

    private void event(String what) {
        events.accept(
                String.format(Locale.ROOT, "  [%6.1f s] chaos: %s", (System.nanoTime() - programStart) / 1e9, what));
    }

    /** @return false if {@link #stop()} was called before the time came */
    private boolean sleepUntil(long when) {
        while (!stopped) {
            long left = when - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            sleepQuietly(Duration.ofNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))));
        }
        return false;
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("chaos interrupted", e);
        }
    }
}
