package io.redtx.faults;

import io.redtx.test.redis.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Injects faults one after another while the load runs, on the calling thread (a plain thread: it sleeps). One
 * {@link #round(int)} does every kind: {@code kill -9} and restart of each participant (AOF keeps what was
 * acknowledged), a {@code SIGSTOP} of each one for longer than the lease, a coordinator crash at each injection point,
 * and a {@code kill -9} of a separate coordinator JVM in the middle of its transfers. Every fault is healed before the
 * next one starts, so the suite ends healed.
 */
final class Nemesis {

    /** Starts a separate coordinator JVM whose transfer ids begin with the given prefix. */
    @FunctionalInterface
    interface JvmStarter {
        CoordinatorJvm start(String prefix) throws Exception;
    }

    private static final Duration GAP = Duration.ofMillis(500);
    private static final Duration DOWN = Duration.ofMillis(300);
    private static final Duration CRASH_LIMIT = Duration.ofSeconds(15);
    /** Answers a coordinator JVM must give before it is killed (so that it dies in the middle of its work). */
    private static final int JVM_ANSWERS_BEFORE_KILL = 30;

    private final List<RedisServer> servers;
    private final List<String> names;
    private final CoordinatorCrashes crashes;
    private final Duration lease;
    private final JvmStarter jvms;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final Map<String, Long> injected = new TreeMap<>();

    Nemesis(
            List<RedisServer> servers,
            List<String> names,
            CoordinatorCrashes crashes,
            Duration lease,
            JvmStarter jvms,
            PrintStream out) {
        this.servers = servers;
        this.names = names;
        this.crashes = crashes;
        this.lease = lease;
        this.jvms = jvms;
        this.out = out;
    }

    /** One round of every fault, interleaved. */
    void round(int round) throws Exception {
        int n = servers.size();
        CoordinatorCrashes.Point[] points = CoordinatorCrashes.Point.values();
        for (int i = 0; i < Math.max(n, points.length); i++) {
            if (i < n) {
                killAndRestart((round + i) % n);
                pause(GAP);
            }
            if (i < points.length) {
                crash(points[i]);
                pause(GAP);
            }
            if (i < n) {
                pastTheLease((round + i + 1) % n);
                pause(GAP);
            }
            if (i == 1) {
                killCoordinatorJvm("j" + round + "-");
                pause(GAP);
            }
        }
    }

    Map<String, Long> injected() {
        return injected;
    }

    private void killAndRestart(int s) {
        servers.get(s).kill();
        pause(DOWN);
        servers.get(s).restart();
        done("kill -9 and restart", names.get(s) + " (down " + DOWN.toMillis() + " ms)");
    }

    private void pastTheLease(int s) {
        Duration paused = lease.plus(Duration.ofMillis(700));
        servers.get(s).pause();
        try {
            pause(paused);
        } finally {
            servers.get(s).resume();
        }
        done("SIGSTOP past the lease", names.get(s) + " (" + paused.toMillis() + " ms)");
    }

    private void crash(CoordinatorCrashes.Point point) {
        crashes.arm(point);
        long end = System.nanoTime() + CRASH_LIMIT.toNanos();
        while (crashes.victim() == null && System.nanoTime() < end) {
            pause(Duration.ofMillis(10));
        }
        String victim = crashes.victim();
        crashes.disarm();
        if (victim == null) {
            done("coordinator crash NOT REACHED", point.name());
        } else {
            done("coordinator crash " + point, victim);
        }
    }

    private void killCoordinatorJvm(String prefix) throws Exception {
        try (CoordinatorJvm jvm = jvms.start(prefix)) {
            jvm.awaitReady(Duration.ofSeconds(60));
            boolean midRun = jvm.awaitAnswered(JVM_ANSWERS_BEFORE_KILL, Duration.ofSeconds(30));
            jvm.kill9();
            done(
                    midRun ? "coordinator JVM kill -9" : "coordinator JVM kill -9 (too few answers)",
                    "after " + jvm.answered() + " answered transfers");
        }
    }

    private void done(String kind, String detail) {
        injected.merge(kind, 1L, Long::sum);
        out.printf(Locale.ROOT, "  [%6.1f s] %s: %s%n", (System.nanoTime() - start) / 1e9, kind, detail);
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
