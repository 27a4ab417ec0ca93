package io.redtx.cli;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.IntentState;
import io.redtx.api.admin.KeyLock;
import io.redtx.api.admin.KeyLocks;
import io.redtx.api.admin.LockHolder;
import io.redtx.api.admin.LockState;
import io.redtx.api.admin.Resolution;
import io.redtx.api.admin.TransactionView;
import io.redtx.api.external.ExternalState;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Prints each command's result as text for a terminal, or as one JSON document ({@code --json}) for scripts. In JSON,
 * durations are whole milliseconds in fields ending in {@code Ms} (a lease's remaining time is negative once it has
 * expired), and every field is always present.
 */
final class Output {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final PrintWriter out;
    private final boolean json;

    Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    void intents(List<Intent> intents) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            ArrayNode list = root.putArray("intents");
            intents.forEach(i -> intent(list.addObject(), i));
            print(root);
            return;
        }
        if (intents.isEmpty()) {
            out.println("no transaction in doubt");
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"TRANSACTION", "PARTICIPANT", "SHARD", "STATE", "PRIMARY", "AGE", "LEASE", "KEYS"});
        for (Intent i : intents) {
            rows.add(new String[] {
                i.transactionId(),
                i.participant(),
                i.shard(),
                i.state().name(),
                i.primary() ? "(here)" : orDash(i.primaryShard()),
                text(i.age()),
                lease(i.leaseRemaining()),
                String.join(",", i.keys())
            });
        }
        table(rows);
        out.println(intents.size() + (intents.size() == 1 ? " intent" : " intents"));
    }

    void view(TransactionView view) {
        var d = view.details();
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("transactionId", d.transactionId());
            root.put("status", d.status().name());
            if (d.primary().isPresent()) {
                root.put("primary", d.primary().get());
            } else {
                root.putNull("primary");
            }
            ObjectNode ext = root.putObject("externals");
            d.externals().forEach((name, state) -> ext.put(name, state.name()));
            ArrayNode list = root.putArray("intents");
            view.intents().forEach(i -> intent(list.addObject(), i));
            print(root);
            return;
        }
        out.println("transaction " + d.transactionId() + ": " + d.status());
        out.println("  primary: " + d.primary().orElse("-"));
        if (!d.externals().isEmpty()) {
            StringBuilder b = new StringBuilder("  external participants:");
            for (Map.Entry<String, ExternalState> e : d.externals().entrySet()) {
                b.append(' ').append(e.getKey()).append('=').append(e.getValue());
            }
            out.println(b);
        }
        if (view.intents().isEmpty()) {
            out.println("  no intent or marker on any participant");
        }
        for (Intent i : view.intents()) {
            // A settled marker keeps the lease it had, which no longer means anything: shown only while it does.
            boolean open = i.state() == IntentState.PREPARED || i.primary() && i.state() == IntentState.COMMITTED;
            out.println("  " + i.shard() + ": " + i.state() + (i.primary() ? " (record)" : "") + ", age "
                    + text(i.age()) + (open ? ", lease " + lease(i.leaseRemaining()) : "")
                    + (i.keys().isEmpty() ? "" : ", keys " + String.join(",", i.keys())));
        }
    }

    void resolution(Resolution r) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("transactionId", r.transactionId());
            root.put("action", r.action().name());
            root.put("status", r.status().name());
            print(root);
            return;
        }
        String what = switch (r.action()) {
            case ROLLED_FORWARD -> "rolled forward";
            case ROLLED_BACK -> "rolled back";
            case LEASE_RUNNING -> "left alone: a lease still runs (its coordinator may be alive; --force settles it)";
            case ALREADY_SETTLED -> "already settled";
            case NOT_FOUND -> "not found on any participant";
            case LEFT ->
                "not finished: a participant did not answer, or a primary or external participant is not"
                        + " known here; try again";
        };
        out.println("transaction " + r.transactionId() + ": " + what + "; status " + r.status());
    }

    void report(RecoveryReport r) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("expiredIntents", r.expiredIntents());
            root.put("rolledForward", r.rolledForward());
            root.put("rolledBack", r.rolledBack());
            root.put("left", r.left());
            root.put("staleLocks", r.staleLocks());
            root.put("sagasResumed", r.sagasResumed());
            root.put("sagasCompensated", r.sagasCompensated());
            root.put("sagasFailing", r.sagasFailing());
            root.put("externalsSettled", r.externalsSettled());
            root.put("externalsConfirming", r.externalsConfirming());
            root.put("externalsCancelling", r.externalsCancelling());
            root.put("oldestPendingExternalMs", r.oldestPendingExternal().toMillis());
            print(root);
            return;
        }
        out.println("recovery pass: " + r.expiredIntents() + " expired intents, " + r.rolledForward()
                + " rolled forward, " + r.rolledBack() + " rolled back, " + r.left() + " left; " + r.staleLocks()
                + " stale lock entries removed");
        if (r.sagasResumed() + r.sagasCompensated() + r.sagasFailing() > 0) {
            out.println("sagas: " + r.sagasResumed() + " resumed, " + r.sagasCompensated() + " compensated, "
                    + r.sagasFailing() + " failing");
        }
        if (r.externalsSettled() + r.externalsPending() > 0) {
            out.println("external participants: " + r.externalsSettled() + " settled, " + r.externalsConfirming()
                    + " to confirm, " + r.externalsCancelling() + " to cancel (oldest waiting "
                    + text(r.oldestPendingExternal()) + ")");
        }
    }

    void durability(List<ParticipantDurability> all) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            ArrayNode list = root.putArray("participants");
            for (ParticipantDurability d : all) {
                ObjectNode o = list.addObject();
                o.put("participant", d.participant());
                o.put("level", d.level().name());
                o.put("appendOnly", d.appendOnly());
                o.put("appendFsync", d.appendFsync());
                o.put("connectedReplicas", d.connectedReplicas());
                o.put("detail", d.detail());
            }
            print(root);
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"PARTICIPANT", "LEVEL", "APPENDONLY", "APPENDFSYNC", "REPLICAS", "DETAIL"});
        for (ParticipantDurability d : all) {
            rows.add(new String[] {
                d.participant(),
                d.level().name(),
                d.appendOnly() ? "yes" : "no",
                orDash(d.appendFsync()),
                Integer.toString(d.connectedReplicas()),
                d.detail()
            });
        }
        table(rows);
    }

    void locks(KeyLocks k) {
        if (json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("key", k.key());
            root.put("free", k.free());
            ArrayNode locks = root.putArray("locks");
            for (LockState l : k.locks()) {
                ObjectNode o = locks.addObject();
                o.put("participant", l.participant());
                o.put("kind", l.kind().name());
                o.put("lastToken", l.lastToken());
                ArrayNode holders = o.putArray("holders");
                for (LockHolder h : l.holders()) {
                    ObjectNode ho = holders.addObject();
                    ho.put("holder", h.holder());
                    ho.put("mode", h.mode());
                    ho.put("token", h.token());
                    ho.put("leaseRemainingMs", h.leaseRemaining().toMillis());
                }
            }
            ArrayNode txs = root.putArray("transactions");
            for (KeyLock t : k.transactions()) {
                ObjectNode o = txs.addObject();
                o.put("participant", t.participant());
                o.put("shard", t.shard());
                o.put("transactionId", t.transactionId());
                o.put("write", t.write());
                if (t.state().isPresent()) {
                    o.put("state", t.state().get().name());
                } else {
                    o.putNull("state");
                }
                o.put("leaseRemainingMs", t.leaseRemaining().toMillis());
            }
            print(root);
            return;
        }
        if (k.locks().isEmpty() && k.transactions().isEmpty()) {
            out.println("nothing holds " + k.key());
            return;
        }
        for (LockState l : k.locks()) {
            out.println(kind(l.kind()) + " '" + k.key() + "' on " + l.participant() + ": last token " + l.lastToken()
                    + (l.holders().isEmpty() ? ", not held" : ""));
            for (LockHolder h : l.holders()) {
                out.println("  holder " + h.holder() + " (" + h.mode() + "), token " + h.token() + ", lease "
                        + lease(h.leaseRemaining()));
            }
        }
        for (KeyLock t : k.transactions()) {
            out.println(
                    "transaction " + t.transactionId() + " on " + t.shard() + ": " + (t.write() ? "writes" : "reads")
                            + " " + k.key() + ", "
                            + t.state()
                                    .map(s -> s + ", lease " + lease(t.leaseRemaining()))
                                    .orElse("no intent (stale entry)"));
        }
    }

    private static String kind(LockState.Kind kind) {
        return switch (kind) {
            case LOCK -> "lock";
            case READ_WRITE_LOCK -> "read/write lock";
            case SEMAPHORE -> "semaphore";
        };
    }

    private static void intent(ObjectNode o, Intent i) {
        o.put("transactionId", i.transactionId());
        o.put("participant", i.participant());
        o.put("shard", i.shard());
        o.put("state", i.state().name());
        o.put("primary", i.primary());
        o.put("primaryShard", i.primaryShard());
        o.put("ageMs", i.age().toMillis());
        o.put("leaseRemainingMs", i.leaseRemaining().toMillis());
        o.put("leaseExpired", i.leaseExpired());
        ArrayNode keys = o.putArray("keys");
        i.keys().forEach(keys::add);
    }

    private void print(ObjectNode root) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    /** Columns padded to their widest cell, two spaces apart. */
    private void table(List<String[]> rows) {
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder b = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                b.append(row[c]);
                if (c < row.length - 1) {
                    b.append(" ".repeat(widths[c] - row[c].length() + 2));
                }
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private static String lease(Duration remaining) {
        return remaining.isNegative() || remaining.isZero()
                ? "expired " + text(remaining.negated()) + " ago"
                : text(remaining) + " left";
    }

    /** A short duration for people: 850ms, 12.3s, 4m05s, 2h10m. */
    static String text(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    private static String orDash(String s) {
        return s.isEmpty() ? "-" : s;
    }
}
