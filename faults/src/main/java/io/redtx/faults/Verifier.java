package io.redtx.faults;

import io.redtx.api.KeyCommands;
import io.redtx.test.redis.IntentCount;
import io.redtx.test.redis.RedisServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks what the servers hold after a run, straight from the servers (not through redtx): every transfer marker set
 * is complete (all of a transfer's participants or none), every claim holds, each balance is the initial one plus
 * exactly the transfers whose markers exist, the total is unchanged, nothing is negative and no intent is left. The
 * outbox streams hold exactly one message per transfer whose markers exist (on its source's participant, with the
 * transfer's move and the committing transaction's id) and no other message.
 */
final class Verifier {

    /** At most this many violations are described one by one; all are counted. */
    private static final int DESCRIBED = 20;

    /**
     * @param violations how many checks failed (0 when everything holds)
     * @param details the first failures, described
     * @param committedTransfers transfers whose markers exist
     * @param total the sum of every balance
     * @param intents what is left unsettled
     * @param messages entries of the outbox streams, on every participant
     * @param messageViolations those of {@code violations} that the outbox check found
     */
    record Result(
            long violations,
            List<String> details,
            long committedTransfers,
            long total,
            IntentCount intents,
            long messages,
            long messageViolations) {}

    /** Entries read per {@code XRANGE}, so a long run's stream is not one huge reply. */
    static final int PAGE = 1_000;

    private final List<RedisServer> servers;
    private final List<String> participants;
    private final int accounts;
    private final long initialBalance;
    private long violations;
    private final List<String> details = new ArrayList<>();

    Verifier(List<RedisServer> servers, List<String> participants, int accounts, long initialBalance) {
        this.servers = servers;
        this.participants = participants;
        this.accounts = accounts;
        this.initialBalance = initialBalance;
    }

    Result verify(Map<String, Outcomes.Claimed> claims, String namespace) {
        // Markers: transfer id -> where found, and what it moved.
        Map<String, Set<String>> foundOn = new HashMap<>();
        Map<String, Transfers.Transfer> found = new HashMap<>();
        for (int s = 0; s < servers.size(); s++) {
            List<?> keys = (List<?>) servers.get(s).command("KEYS", Transfers.MARKER_PREFIX + "*");
            if (keys.isEmpty()) {
                continue;
            }
            List<String> mget = new ArrayList<>();
            mget.add("MGET");
            keys.forEach(k -> mget.add((String) k));
            List<?> values = (List<?>) servers.get(s).command(mget.toArray(String[]::new));
            for (int i = 0; i < keys.size(); i++) {
                String id = ((String) keys.get(i)).substring(Transfers.MARKER_PREFIX.length());
                foundOn.computeIfAbsent(id, k -> new LinkedHashSet<>()).add(participants.get(s));
                found.putIfAbsent(id, Transfers.Transfer.decode(id, (String) values.get(i)));
            }
        }

        long[] expected = new long[accounts];
        java.util.Arrays.fill(expected, initialBalance);
        found.forEach((id, t) -> {
            Set<String> where = Transfers.participantsOf(participants, t);
            if (!foundOn.get(id).equals(where)) {
                violation("partial transfer " + id + " (" + t.encode() + "): markers on " + foundOn.get(id) + " of "
                        + where);
            }
            expected[t.from()] -= t.debit();
            t.to().forEach(a -> expected[a] += t.amount());
        });
        claims.forEach((id, c) -> {
            boolean present = found.containsKey(id);
            if (c.claim() == Outcomes.Claim.COMMITTED && !present) {
                violation("acknowledged transfer " + id + " (" + c.transfer().encode() + ") is on no participant");
            } else if (c.claim() == Outcomes.Claim.NO_EFFECT && present) {
                violation("transfer " + id + " answered '" + c.kind() + "' is present on " + foundOn.get(id));
            }
        });

        long beforeMessages = violations;
        long messages = checkMessages(found);
        long messageViolations = violations - beforeMessages;

        long total = 0;
        List<Long> balances = balances();
        for (int i = 0; i < accounts; i++) {
            long b = balances.get(i);
            total += b;
            if (b != expected[i]) {
                violation("acct:" + i + " holds " + b + ", initial plus its transfers' markers make " + expected[i]);
            }
            if (b < 0) {
                violation("acct:" + i + " is negative: " + b);
            }
        }
        if (total != accounts * initialBalance) {
            violation("total balance " + total + ", expected " + accounts * initialBalance);
        }
        IntentCount intents = IntentCount.on(namespace, servers);
        if (!intents.none()) {
            violation("unsettled after recovery: " + intents);
        }
        return new Result(violations, List.copyOf(details), found.size(), total, intents, messages, messageViolations);
    }

    /**
     * Matches every outbox message with the transfers whose markers exist ({@code committed}), by the transfer id
     * field: a retried transfer commits under a new transaction id, and recovery may be what appended it.
     *
     * @return how many messages the streams hold
     */
    private long checkMessages(Map<String, Transfers.Transfer> committed) {
        Map<String, List<String>> messagesOf = new HashMap<>(); // transfer id -> where each of its messages is
        long messages = 0;
        for (int s = 0; s < servers.size(); s++) {
            String p = participants.get(s);
            for (Map.Entry<String, Map<String, String>> entry : streamEntries(servers.get(s))) {
                messages++;
                String where = "message " + entry.getKey() + " on " + p;
                Map<String, String> fields = entry.getValue();
                String tx = fields.get(KeyCommands.TRANSACTION_FIELD);
                if (tx == null || tx.isEmpty()) {
                    violation(where + " carries no " + KeyCommands.TRANSACTION_FIELD + " field: " + fields);
                }
                String id = fields.get(Transfers.TRANSFER_FIELD);
                if (id == null) {
                    violation(where + " names no transfer: " + fields);
                    continue;
                }
                messagesOf.computeIfAbsent(id, k -> new ArrayList<>()).add(p);
                Transfers.Transfer t = committed.get(id);
                if (t == null) {
                    violation(where + " for transfer " + id + " (" + fields.get(Transfers.MOVE_FIELD)
                            + "), which has no markers: not committed");
                    continue;
                }
                if (!t.encode().equals(fields.get(Transfers.MOVE_FIELD))) {
                    violation(where + " for transfer " + id + " says " + fields.get(Transfers.MOVE_FIELD)
                            + ", its markers say " + t.encode());
                }
                String source = Transfers.participantOf(participants, t.from());
                if (!p.equals(source)) {
                    violation(where + " for transfer " + id + " is not on its source's participant " + source);
                }
            }
        }
        committed.forEach((id, t) -> {
            List<String> where = messagesOf.getOrDefault(id, List.of());
            if (where.isEmpty()) {
                violation("committed transfer " + id + " (" + t.encode() + ") has no message");
            } else if (where.size() > 1) {
                violation("committed transfer " + id + " (" + t.encode() + ") has " + where.size() + " messages, on "
                        + where);
            }
        });
        return messages;
    }

    /** @return every entry of the server's outbox stream, oldest first: entry id -> fields */
    private static List<Map.Entry<String, Map<String, String>>> streamEntries(RedisServer server) {
        List<Map.Entry<String, Map<String, String>>> entries = new ArrayList<>();
        String start = "-";
        for (; ; ) {
            List<?> page = (List<?>)
                    server.command("XRANGE", Transfers.EVENTS_STREAM, start, "+", "COUNT", Integer.toString(PAGE));
            String last = null;
            for (Object e : page) {
                List<?> idAndFields = (List<?>) e;
                last = (String) idAndFields.get(0);
                List<?> flat = (List<?>) idAndFields.get(1);
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 0; i + 1 < flat.size(); i += 2) {
                    fields.put((String) flat.get(i), (String) flat.get(i + 1));
                }
                entries.add(Map.entry(last, fields));
            }
            if (page.size() < PAGE) {
                return entries;
            }
            // The entry right after `last` (an exclusive start needs Redis 6.2).
            int dash = last.indexOf('-');
            start = last.substring(0, dash + 1) + (Long.parseLong(last.substring(dash + 1)) + 1);
        }
    }

    private List<Long> balances() {
        List<List<?>> perServer = new ArrayList<>();
        for (int s = 0; s < servers.size(); s++) {
            List<String> args = new ArrayList<>();
            args.add("MGET");
            for (int i = s; i < accounts; i += servers.size()) {
                args.add(Transfers.key(i));
            }
            perServer.add((List<?>) servers.get(s).command(args.toArray(String[]::new)));
        }
        List<Long> balances = new ArrayList<>(accounts);
        for (int i = 0; i < accounts; i++) {
            Object v = perServer.get(i % servers.size()).get(i / servers.size());
            if (v == null) {
                violation("acct:" + i + " is missing");
                balances.add(0L);
            } else {
                balances.add(Long.parseLong((String) v));
            }
        }
        return balances;
    }

    private void violation(String what) {
        violations++;
        if (details.size() < DESCRIBED) {
            details.add(what);
        }
    }
}
