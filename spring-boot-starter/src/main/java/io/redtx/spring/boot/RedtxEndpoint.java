package io.redtx.spring.boot;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionDetails;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.admin.Intent;
import io.redtx.api.admin.TransactionAdmin;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import reactor.core.publisher.Mono;

/**
 * The {@code redtx} actuator endpoint: what an operator asks of a running application's transactions, over the
 * actuator's HTTP or JMX exposure.
 *
 * <ul>
 *   <li>{@code GET /actuator/redtx}: every participant's durability (as {@link TransactionRuntime#durability()}), the
 *       in-doubt intents (the first {@value #IN_DOUBT_SHOWN}, as {@link TransactionAdmin#inDoubt(int)}) and what the
 *       latest recovery pass of the starter's runtime reported;
 *   <li>{@code GET /actuator/redtx/{id}}: one transaction with its intents and their keys, as
 *       {@link TransactionAdmin#show(String)};
 *   <li>{@code POST /actuator/redtx}: a recovery pass now ({@link TransactionRuntime#recover()}), and its report;
 *   <li>{@code POST /actuator/redtx/{id}} (body {@code {"force": true}} optional): settles one transaction now, as
 *       {@link TransactionAdmin#resolve(String, boolean)}.
 * </ul>
 *
 * <p>Read-only unless the application allows more: its write operations settle transactions, so its default access
 * is {@link Access#READ_ONLY}; {@code management.endpoint.redtx.access=unrestricted} allows them. Like every actuator
 * endpoint it is exposed over HTTP only when {@code management.endpoints.web.exposure.include} names it.
 */
@Endpoint(id = "redtx", defaultAccess = Access.READ_ONLY)
public class RedtxEndpoint {

    /** How many in-doubt intents the overview lists: the oldest lease deadlines first, per shard. */
    public static final int IN_DOUBT_SHOWN = 100;

    private final TransactionRuntime runtime;
    private final RedtxRecoveryTracker recovery;

    /**
     * @param runtime the runtime, not null
     * @param recovery the tracker of the starter's runtime; null for an application's own runtime
     */
    public RedtxEndpoint(TransactionRuntime runtime, RedtxRecoveryTracker recovery) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.recovery = recovery;
    }

    /**
     * @return {@code participants}: each participant's durability; {@code inDoubt}: intents not settled yet, at most
     *     {@value #IN_DOUBT_SHOWN}; {@code lastRecovery}: the latest recovery pass (null before the first, and for an
     *     application's own runtime)
     */
    @ReadOperation
    public Mono<Map<String, Object>> overview() {
        Mono<List<Map<String, Object>>> inDoubt = runtime.admin()
                .inDoubt(IN_DOUBT_SHOWN)
                .map(RedtxEndpoint::intent)
                .collectList();
        return Mono.zip(runtime.durability(), inDoubt).map(t -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("participants", durability(t.getT1()));
            body.put("inDoubt", t.getT2());
            body.put(
                    "lastRecovery",
                    recovery == null
                            ? null
                            : recovery.latest()
                                    .map(p -> {
                                        Map<String, Object> pass = report(p.report());
                                        pass.put("at", p.at().toString());
                                        return pass;
                                    })
                                    .orElse(null));
            return body;
        });
    }

    /**
     * @param id a transaction id (as an error or {@code status(id)} names it)
     * @return its status, the participant holding its record, its external participants' states and its intents
     */
    @ReadOperation
    public Mono<Map<String, Object>> transaction(@Selector String id) {
        return runtime.admin().show(id).map(view -> {
            Map<String, Object> body = details(view.details());
            body.put(
                    "intents",
                    view.intents().stream().map(RedtxEndpoint::intent).toList());
            return body;
        });
    }

    /**
     * Settles one transaction now, as recovery would once its lease ends: rolled forward if its record says
     * COMMITTED, otherwise rolled back. While a lease still runs its coordinator may be alive, so it is left alone
     * unless {@code force}; forcing aborts a live transaction before its commit point (never over a COMMITTED record).
     * Needs write access.
     *
     * @param id a transaction id
     * @param force whether to settle it while a lease still runs (absent: no)
     * @return what was done, and the status now
     */
    @WriteOperation
    public Mono<Map<String, Object>> resolve(@Selector String id, @Nullable Boolean force) {
        return runtime.admin().resolve(id, Boolean.TRUE.equals(force)).map(r -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("transactionId", r.transactionId());
            body.put("action", r.action().name());
            body.put("status", r.status().name());
            return body;
        });
    }

    /**
     * Runs a recovery pass now: settles every intent whose lease has ended (roll forward or back, as its record says),
     * clears stale locks, resumes sagas and settles external participants. Needs write access.
     *
     * @return the pass's report
     */
    @WriteOperation
    public Mono<Map<String, Object>> recover() {
        return runtime.recover().map(RedtxEndpoint::report);
    }

    private static Map<String, Object> durability(List<ParticipantDurability> all) {
        Map<String, Object> byName = new LinkedHashMap<>();
        for (ParticipantDurability d : all) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("level", d.level().name());
            one.put("appendOnly", d.appendOnly());
            one.put("appendFsync", d.appendFsync());
            one.put("connectedReplicas", d.connectedReplicas());
            if (!d.detail().isEmpty()) {
                one.put("detail", d.detail());
            }
            byName.put(d.participant(), one);
        }
        return byName;
    }

    private static Map<String, Object> details(TransactionDetails d) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("transactionId", d.transactionId());
        body.put("status", d.status().name());
        body.put("primary", d.primary().orElse(null));
        Map<String, Object> externals = new LinkedHashMap<>();
        d.externals().forEach((name, state) -> externals.put(name, state.name()));
        body.put("externals", externals);
        return body;
    }

    private static Map<String, Object> intent(Intent i) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("transactionId", i.transactionId());
        body.put("participant", i.participant());
        body.put("shard", i.shard());
        body.put("state", i.state().name());
        body.put("primary", i.primary());
        body.put("primaryShard", i.primaryShard());
        body.put("ageMs", i.age().toMillis());
        body.put("leaseRemainingMs", i.leaseRemaining().toMillis());
        body.put("leaseExpired", i.leaseExpired());
        body.put("keys", i.keys());
        return body;
    }

    static Map<String, Object> report(RecoveryReport r) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("expiredIntents", r.expiredIntents());
        body.put("rolledForward", r.rolledForward());
        body.put("rolledBack", r.rolledBack());
        body.put("left", r.left());
        body.put("staleLocks", r.staleLocks());
        body.put("sagasResumed", r.sagasResumed());
        body.put("sagasCompensated", r.sagasCompensated());
        body.put("sagasFailing", r.sagasFailing());
        body.put("externalsSettled", r.externalsSettled());
        body.put("externalsConfirming", r.externalsConfirming());
        body.put("externalsCancelling", r.externalsCancelling());
        body.put("oldestPendingExternalMs", r.oldestPendingExternal().toMillis());
        return body;
    }
}
