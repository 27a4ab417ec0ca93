package io.redtx.spring.boot;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionDetails;
import io.redtx.api.TransactionRuntime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
 *   <li>{@code GET /actuator/redtx}: every participant's durability (as {@link TransactionRuntime#durability()}) and
 *       what the latest recovery pass of the starter's runtime reported;
 *   <li>{@code GET /actuator/redtx/{id}}: one transaction, as {@link TransactionRuntime#details(String)};
 *   <li>{@code POST /actuator/redtx}: a recovery pass now ({@link TransactionRuntime#recover()}), and its report.
 * </ul>
 *
 * <p>Read-only unless the application allows more: its write operation settles transactions, so its default access is
 * {@link Access#READ_ONLY}; {@code management.endpoint.redtx.access=unrestricted} allows it. Like every actuator
 * endpoint it is exposed over HTTP only when {@code management.endpoints.web.exposure.include} names it.
 */
@Endpoint(id = "redtx", defaultAccess = Access.READ_ONLY)
public class RedtxEndpoint {

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
     * @return {@code participants}: each participant's durability; {@code lastRecovery}: the latest recovery pass
     *     (null before the first, and for an application's own runtime)
     */
    @ReadOperation
    public Mono<Map<String, Object>> overview() {
        return runtime.durability().map(all -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("participants", durability(all));
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
     * @return its status, the participant holding its record and its external participants' states
     */
    @ReadOperation
    public Mono<Map<String, Object>> transaction(@Selector String id) {
        return runtime.details(id).map(RedtxEndpoint::details);
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
