package io.redtx.runtime.internal.saga;

import io.redtx.api.RecoveryReport;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.TransactionOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.saga.Saga;
import io.redtx.api.saga.SagaDefinition;
import io.redtx.api.saga.SagaOutcome;
import io.redtx.runtime.internal.handle.InternalKeys;
import io.redtx.runtime.internal.protocol.RuntimeContext;
import io.redtx.runtime.internal.redis.ParticipantLink;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/** The sagas of one runtime: starts the registered ones and recovers those whose runner went away. */
public final class Sagas {

    private static final Logger log = Loggers.getLogger(Sagas.class);

    /** Sagas driven at once by one recovery pass. */
    static final int RECOVERY_CONCURRENCY = 4;

    /** What a recovery pass did with one saga. */
    enum Recovered {
        NOTHING,
        RESUMED,
        COMPENSATED,
        FAILING
    }

    final RuntimeContext ctx;
    final TransactionRuntime runtime;

    public Sagas(RuntimeContext ctx, TransactionRuntime runtime) {
        this.ctx = ctx;
        this.runtime = runtime;
    }

    /** @see TransactionRuntime#saga(String) */
    public Saga saga(String name) {
        SagaDefinition def = name == null ? null : ctx.options.sagas().get(name);
        if (def == null) {
            throw new RedtxArgumentException(
                    null,
                    "no saga named " + (name == null ? "null" : "'" + name + "'") + " is registered (registered: "
                            + ctx.options.sagas().keySet() + ")");
        }
        return new Saga() {
            @Override
            public SagaDefinition definition() {
                return def;
            }

            @Override
            public Mono<SagaOutcome> start(String sagaId, Map<String, String> input) {
                return Mono.defer(() -> {
                    checkId(sagaId);
                    Map<String, String> in = input == null ? Map.of() : input;
                    in.forEach((k, v) -> {
                        if (k == null || v == null) {
                            throw new RedtxArgumentException(
                                    null, "input of saga " + sagaId + " holds a null key or value (key " + k + ")");
                        }
                    });
                    return new SagaRun(Sagas.this, def, sagaId).start(in);
                });
            }

            @Override
            public String toString() {
                return "Saga{" + def.name() + "}";
            }
        };
    }

    private static void checkId(String sagaId) {
        if (sagaId == null
                || sagaId.isEmpty()
                || sagaId.length() > 200
                || sagaId.indexOf('{') >= 0
                || sagaId.indexOf('}') >= 0) {
            throw new RedtxArgumentException(
                    null,
                    "saga id must be 1 to 200 characters without '{' or '}', was "
                            + (sagaId == null ? "null" : "'" + sagaId + "'"));
        }
    }

    /** @return the participant that holds saga {@code sagaId}'s record, lease and index entry */
    ParticipantLink participantOf(String sagaId) {
        return ctx.participant(null, ctx.options.keyRouter().participantFor(sagaId));
    }

    /**
     * One recovery pass over the sagas: on every participant, reads the index of unfinished sagas, and takes over and
     * drives each one of a registered definition whose runner's lease ran out. A participant that cannot be read is
     * skipped (a later pass tries again); sagas of definitions this runtime does not register are left to a runtime
     * that does.
     */
    public Mono<RecoveryReport> recover() {
        if (ctx.options.sagas().isEmpty()) {
            return Mono.just(RecoveryReport.EMPTY);
        }
        return Flux.fromIterable(ctx.participants.values())
                .concatMap(p -> index(p).onErrorResume(e -> {
                    log.warn("redtx: reading the saga index of '{}' failed; a later pass tries again", p.name(), e);
                    return Mono.just(Map.of());
                }))
                .flatMapIterable(Map::entrySet)
                .flatMap(
                        entry -> {
                            SagaDefinition def = ctx.options.sagas().get(entry.getValue());
                            if (def == null) {
                                return Mono.just(Recovered.NOTHING);
                            }
                            return new SagaRun(this, def, entry.getKey())
                                    .recover()
                                    .onErrorResume(e -> {
                                        log.warn(
                                                "redtx: recovering saga {} failed; a later pass tries again",
                                                entry.getKey(),
                                                e);
                                        return Mono.just(Recovered.FAILING);
                                    });
                        },
                        RECOVERY_CONCURRENCY)
                .reduce(
                        RecoveryReport.EMPTY,
                        (report, r) -> report.plus(new RecoveryReport(
                                0,
                                0,
                                0,
                                0,
                                0,
                                r == Recovered.RESUMED ? 1 : 0,
                                r == Recovered.COMPENSATED ? 1 : 0,
                                r == Recovered.FAILING ? 1 : 0)));
    }

    /** @return saga id to definition name, for the unfinished sagas whose records {@code p} holds */
    private Mono<Map<String, String>> index(ParticipantLink p) {
        return runtime.inTransaction(
                TransactionOptions.builder().readOnly(true).build(),
                tx -> new InternalKeys(tx, p).hgetAll(ctx.keys.sagaIndexKey()));
    }
}
