package io.redtx.cli;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.ParticipantUnavailableException;
import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RedtxConfigurationException;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStatus;
import io.redtx.api.TransactionTimeoutException;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.KeyLocks;
import io.redtx.api.admin.Resolution;
import io.redtx.api.admin.TransactionAdmin;
import io.redtx.api.admin.TransactionView;
import io.redtx.runtime.RedisTransactionRuntime;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import reactor.core.Exceptions;

/**
 * {@code redtx}: operator commands on the participants of a redtx application, through {@link TransactionAdmin}. Each
 * run makes a runtime on the participants given (no recovery service of its own), does one thing and closes it. It
 * blocks its own thread while waiting: a command-line program has nothing else to do meanwhile.
 */
@Command(
        name = "redtx",
        mixinStandardHelpOptions = true,
        version = "redtx-cli (redtx operator commands)",
        description = "Inspect and settle redtx transactions on the participants of an application.",
        subcommands = {
            RedtxCli.InDoubt.class,
            RedtxCli.Status.class,
            RedtxCli.Resolve.class,
            RedtxCli.Recover.class,
            RedtxCli.Durability.class,
            RedtxCli.Locks.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            " 0:done; nothing found that needs attention",
            " 1:done; found what the command reports on (see each command's help)",
            " 2:usage: bad options, arguments or configuration",
            " 3:a participant could not be reached in time",
            " 4:a participant refused (a Redis error, an ACL) or another failure"
        })
public final class RedtxCli implements Callable<Integer> {

    /** Exit status: done, nothing that needs attention. */
    public static final int OK = 0;
    /** Exit status: done, and found what the command reports on (each command's help says what). */
    public static final int FOUND = 1;
    /** Exit status: bad options, arguments or configuration (picocli's own for a bad command line). */
    public static final int USAGE = 2;
    /** Exit status: a participant could not be reached in time. */
    public static final int UNREACHABLE = 3;
    /** Exit status: a participant refused, or another failure. */
    public static final int FAILED = 4;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    /** Runs the program and exits with its status. */
    public static void main(String[] args) {
        // The runtime logs settled intents at INFO; an operator's terminal wants warnings only, unless asked.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(commandLine().execute(args));
    }

    /** @return the program's command line, its errors mapped to the exit statuses above; for tests and embedding */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new RedtxCli());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            Throwable cause = Exceptions.unwrap(e);
            line.getErr().println("redtx: " + cause.getMessage());
            return exitCode(cause);
        });
        return cl;
    }

    static int exitCode(Throwable e) {
        if (e instanceof UsageException
                || e instanceof RedtxArgumentException
                || e instanceof RedtxConfigurationException
                || e instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (e instanceof ParticipantUnavailableException
                || e instanceof TransactionTimeoutException
                || e instanceof IllegalStateException
                        && String.valueOf(e.getMessage()).startsWith("Timeout on blocking")) {
            return UNREACHABLE;
        }
        return FAILED;
    }

    /** What every command shares: the participants, the output format, a runtime made and closed around the work. */
    abstract static class AdminCommand implements Callable<Integer> {

        @Mixin
        Connection connection;

        @Option(names = "--json", description = "Print one JSON document instead of text")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public final Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (TransactionRuntime runtime = RedisTransactionRuntime.create(connection.options())) {
                int status = run(runtime.admin(), new Output(out, json), waitLimit());
                out.flush();
                return status;
            }
        }

        /** How long the program waits for one answer: every participant may take its whole timeout, one by one. */
        Duration waitLimit() {
            return connection.timeout.multipliedBy(4).plusSeconds(5);
        }

        abstract int run(TransactionAdmin admin, Output out, Duration wait);
    }

    @Command(
            name = "in-doubt",
            description = {
                "Lists the intents in every shard's intent index: prepared two-phase commits (running, or left by a"
                        + " coordinator that died: look at expired leases), committed records whose secondaries are"
                        + " not all rolled forward, aborted records whose external participants are not all cancelled.",
                "Exit status 0 if there is none, 1 if some are listed."
            })
    static final class InDoubt extends AdminCommand {
        @Option(
                names = {"-l", "--limit"},
                defaultValue = "100",
                description = "At most this many intents (1 to " + TransactionAdmin.MAX_LIMIT + "; default"
                        + " ${DEFAULT-VALUE})")
        int limit;

        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            List<Intent> found = admin.inDoubt(limit).collectList().block(wait);
            out.intents(found);
            return found.isEmpty() ? OK : FOUND;
        }
    }

    @Command(
            name = "status",
            description = {
                "Shows one transaction: its status (COMMITTED, ABORTED, IN_DOUBT, UNKNOWN), the participant holding"
                        + " its record, its external participants, and what each shard holds with the keys covered.",
                "Exit status 0 if it is known, 1 if its status is UNKNOWN."
            })
    static final class Status extends AdminCommand {
        @Parameters(paramLabel = "ID", description = "The transaction id")
        String id;

        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            TransactionView view = admin.show(id).block(wait);
            out.view(view);
            return view.details().status() == TransactionStatus.UNKNOWN ? FOUND : OK;
        }
    }

    @Command(
            name = "resolve",
            description = {
                "Settles one transaction now as recovery would: rolled forward if its record says COMMITTED, else"
                        + " aborted (a tombstone on its primary) and rolled back. An intent whose lease still runs is"
                        + " left alone unless --force.",
                "Exit status 0 if it was settled (or already was), 1 if not: lease running, not found, or left"
                        + " (a participant did not answer; try again)."
            })
    static final class Resolve extends AdminCommand {
        @Parameters(paramLabel = "ID", description = "The transaction id")
        String id;

        @Option(
                names = "--force",
                description = "Settle even while a lease runs. Risk: if its coordinator is alive, a transaction that"
                        + " has not reached its commit point is aborted under it (it then fails with a conflict);"
                        + " a committed one is still rolled forward.")
        boolean force;

        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            Resolution r = admin.resolve(id, force).block(wait);
            out.resolution(r);
            return switch (r.action()) {
                case ROLLED_FORWARD, ROLLED_BACK, ALREADY_SETTLED -> OK;
                default -> FOUND;
            };
        }
    }

    @Command(
            name = "recover",
            description = {
                "Runs one recovery pass: settles every intent whose lease has expired and sweeps a share of the lock"
                        + " keys for stale entries. A participant that cannot be reached is skipped (a warning).",
                "Exit status 0 if the pass left nothing, 1 if it left intents, external participants or sagas to a"
                        + " later pass."
            })
    static final class Recover extends AdminCommand {
        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            RecoveryReport report = admin.recover().block(wait);
            out.report(report);
            return report.left() > 0 || report.externalsPending() > 0 || report.sagasFailing() > 0 ? FOUND : OK;
        }
    }

    @Command(
            name = "durability",
            description = {
                "Reports what an acknowledged commit survives on each participant (CONFIG GET appendonly appendfsync,"
                        + " INFO replication).",
                "Exit status 0 if every participant is EVERY_WRITE_SYNCED, 1 if one is not (UNKNOWN included)."
            })
    static final class Durability extends AdminCommand {
        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            List<ParticipantDurability> all = admin.durability().block(wait);
            out.durability(all);
            return all.stream().allMatch(d -> d.level() == ParticipantDurability.Level.EVERY_WRITE_SYNCED) ? OK : FOUND;
        }
    }

    @Command(
            name = "locks",
            description = {
                "Shows what holds a key on every participant: the distributed locks of that name (holders, fencing"
                        + " tokens, leases) and the transactions whose two-phase commit holds the key.",
                "Exit status 0 if nothing holds it, 1 if something does."
            })
    static final class Locks extends AdminCommand {
        @Parameters(paramLabel = "KEY", description = "The key (and lock name)")
        String key;

        @Override
        int run(TransactionAdmin admin, Output out, Duration wait) {
            KeyLocks locks = admin.locks(key).block(wait);
            out.locks(locks);
            return locks.free() ? OK : FOUND;
        }
    }
}
