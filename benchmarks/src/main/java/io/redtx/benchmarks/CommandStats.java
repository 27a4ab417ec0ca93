package io.redtx.benchmarks;

import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code INFO commandstats} of every server, and the difference between two snapshots.
 *
 * <p>Redis counts every command it runs, including those a Lua script runs with {@code redis.call}: a script call
 * shows up as its {@code evalsha} plus the commands inside it. The report therefore sorts commands three ways:
 * script calls ({@link #SCRIPT_CALLS}, each one round trip from a client), commands Redis refuses inside scripts
 * (flag {@code noscript} of {@code COMMAND INFO}: these are certainly round trips of their own, e.g. {@code
 * script|load}, {@code config|get}, {@code hello}) and the rest, which a client sent or a script ran.
 *
 * @param servers per server, in server order: command name (as Redis names it, e.g. {@code client|setinfo}) to its
 *     counters
 */
record CommandStats(List<Map<String, Calls>> servers) {

    /** Commands that run a script: one round trip each, whatever the script does inside. */
    static final Set<String> SCRIPT_CALLS = Set.of("eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro");

    /**
     * The counters of one command.
     *
     * @param calls how many times it ran
     * @param usec the server time it took, in microseconds
     */
    record Calls(long calls, long usec) {}

    /**
     * Takes {@code INFO commandstats} from every server (blocking, on each server's command connection).
     *
     * @param servers the servers, in order
     * @return the snapshot
     */
    static CommandStats take(List<RedisServer> servers) {
        List<Map<String, Calls>> all = new ArrayList<>();
        for (RedisServer s : servers) {
            all.add(parse(s.info("commandstats")));
        }
        return new CommandStats(all);
    }

    /**
     * Parses the lines {@code cmdstat_<name>:calls=N,usec=N,...} of {@code INFO commandstats}.
     *
     * @param info the reply of {@code INFO commandstats}
     * @return command name to counters
     */
    static Map<String, Calls> parse(String info) {
        Map<String, Calls> stats = new TreeMap<>();
        for (String line : info.split("\r?\n")) {
            if (!line.startsWith("cmdstat_")) {
                continue;
            }
            int colon = line.indexOf(':');
            long calls = 0;
            long usec = 0;
            for (String field : line.substring(colon + 1).split(",")) {
                String[] kv = field.split("=", 2);
                if (kv[0].equals("calls")) {
                    calls = Long.parseLong(kv[1]);
                } else if (kv[0].equals("usec")) {
                    usec = Long.parseLong(kv[1]);
                }
            }
            stats.put(line.substring("cmdstat_".length(), colon), new Calls(calls, usec));
        }
        return stats;
    }

    /**
     * What ran between {@code before} and this snapshot, leaving out the {@code INFO} that took {@code before} (it is
     * counted once its reply is sent, so it is part of this snapshot).
     *
     * @param before the earlier snapshot of the same servers
     * @return per server, the commands whose call count grew
     */
    CommandStats since(CommandStats before) {
        List<Map<String, Calls>> delta = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            Map<String, Calls> then = before.servers.get(i);
            Map<String, Calls> d = new TreeMap<>();
            servers.get(i).forEach((name, now) -> {
                Calls was = then.getOrDefault(name, new Calls(0, 0));
                long calls = now.calls() - was.calls() - (name.equals("info") ? 1 : 0);
                if (calls > 0) {
                    d.put(name, new Calls(calls, now.usec() - was.usec()));
                }
            });
            delta.add(d);
        }
        return new CommandStats(delta);
    }

    /** @return the counters summed over the servers, by command, most called first */
    Map<String, Calls> total() {
        Map<String, Calls> sum = new HashMap<>();
        for (Map<String, Calls> s : servers) {
            s.forEach((name, c) -> sum.merge(name, c, (a, b) -> new Calls(a.calls() + b.calls(), a.usec() + b.usec())));
        }
        Map<String, Calls> sorted = new LinkedHashMap<>();
        sum.entrySet().stream()
                .sorted(Map.Entry.<String, Calls>comparingByValue((a, b) -> Long.compare(b.calls(), a.calls()))
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** @return the server time of every command on every server, in microseconds */
    long totalUsec() {
        return servers.stream()
                .flatMap(s -> s.values().stream())
                .mapToLong(Calls::usec)
                .sum();
    }

    /**
     * Whether Redis refuses {@code command} inside scripts ({@code noscript} among the flags of {@code COMMAND INFO};
     * asked once per name, blocking).
     */
    static final class NoScript {
        private final RedisServer server;
        private final Map<String, Boolean> known = new HashMap<>();

        NoScript(RedisServer server) {
            this.server = server;
        }

        boolean test(String command) {
            return known.computeIfAbsent(command, this::ask);
        }

        private boolean ask(String command) {
            Object reply = server.command("COMMAND", "INFO", command);
            // [[name, arity, [flags...], first key, last key, step, ...]], or [nil] for an unknown name.
            return reply instanceof List<?> list
                    && !list.isEmpty()
                    && list.get(0) instanceof List<?> info
                    && info.size() > 2
                    && info.get(2) instanceof List<?> flags
                    && flags.contains("noscript");
        }
    }
}
