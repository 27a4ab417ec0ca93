package io.redtx.spring.boot;

import io.redtx.api.ParticipantDurability;
import io.redtx.api.RecoveryReport;
import io.redtx.api.TransactionRuntime;
import io.redtx.api.admin.Intent;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The health of a {@link TransactionRuntime}: {@code UP} when every participant answers, {@code DOWN} when one does
 * not (or the runtime is closed). Its details, under {@code participants}, give for each participant its status and
 * what {@link TransactionRuntime#durability()} reads from it (durability level, AOF, fsync policy, connected replicas,
 * and why the level is {@code UNKNOWN} when it is); under {@code recovery}, what the latest recovery pass found
 * ({@link RedtxRecoveryTracker}), when the auto-configuration built the runtime.
 *
 * <p>A participant counts as answering when its durability could be read, or when it answered the read with an error
 * reply ({@code NOPERM}: its Redis user may not run {@code CONFIG GET}; {@code ERR}: the command is renamed or
 * disabled): the server is there, only its settings are unknown. Every other failure (refused or lost connection, no
 * answer within {@code redtx.timeouts.connect}) makes it {@code DOWN}. Each check is lazy, made per subscription, and
 * bounded by {@code redtx.timeouts.connect} per participant; it connects to a participant not yet connected, and sends
 * two reading commands to each, nothing that writes.
 *
 * <p>Each participant's {@code inDoubt} counts the intents on it not settled yet (as
 * {@link io.redtx.api.admin.TransactionAdmin#inDoubt(int)} lists them: transactions running or left by a coordinator
 * that died, whose lease recovery waits for), and {@code oldestInDoubt} is the age of its oldest one; at most
 * {@value #IN_DOUBT_COUNTED} intents are counted in all ({@code inDoubtCountCapped} says when the cap was reached).
 * When they cannot be listed (a participant down) these figures are left out. The {@code recovery} details count what
 * the latest pass left in doubt. None of these figures changes the status.
 */
public final class RedtxHealthIndicator implements ReactiveHealthIndicator {

    /** How many in-doubt intents a check counts at most, over every participant. */
    public static final int IN_DOUBT_COUNTED = 1000;

    private final TransactionRuntime runtime;
    private final RedtxRecoveryTracker recovery;

    /**
     * @param runtime the runtime, not null
     * @param recovery the tracker of its recovery passes, or null when it has none (a runtime the application built)
     */
    public RedtxHealthIndicator(TransactionRuntime runtime, RedtxRecoveryTracker recovery) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.recovery = recovery;
    }

    /**
     * Checks every participant. Lazy; never signals an error: a failure of the check itself (the runtime closed) is a
     * {@code DOWN} health with the exception.
     *
     * @return the health
     */
    @Override
    public Mono<Health> health() {
        Mono<Optional<List<Intent>>> inDoubt = Mono.defer(
                        () -> runtime.admin().inDoubt(IN_DOUBT_COUNTED).collectList())
                .map(Optional::of)
                .onErrorReturn(Optional.empty());
        return Mono.defer(runtime::durability)
                .zipWith(inDoubt, this::health)
                .onErrorResume(e -> Mono.just(Health.down(e).build()));
    }

    private Health health(List<ParticipantDurability> durabilities, Optional<List<Intent>> inDoubt) {
        boolean allUp = true;
        Map<String, Object> participants = new LinkedHashMap<>();
        for (ParticipantDurability d : durabilities) {
            boolean up = answered(d);
            allUp &= up;
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("status", up ? "UP" : "DOWN");
            detail.put("durability", d.level().name());
            if (d.level() != ParticipantDurability.Level.UNKNOWN) {
                detail.put("appendOnly", d.appendOnly());
                detail.put("appendFsync", d.appendFsync());
                detail.put("connectedReplicas", d.connectedReplicas());
            }
            if (!d.detail().isEmpty()) {
                detail.put("detail", d.detail());
            }
            inDoubt.ifPresent(all -> {
                List<Intent> here = all.stream()
                        .filter(i -> i.participant().equals(d.participant()))
                        .toList();
                detail.put("inDoubt", here.size());
                here.stream()
                        .map(Intent::age)
                        .max(Comparator.naturalOrder())
                        .ifPresent(oldest -> detail.put("oldestInDoubt", oldest.toString()));
            });
            participants.put(d.participant(), detail);
        }
        Health.Builder health = allUp ? Health.up() : Health.down();
        health.withDetail("participants", participants);
        if (inDoubt.map(all -> all.size() >= IN_DOUBT_COUNTED).orElse(false)) {
            health.withDetail("inDoubtCountCapped", IN_DOUBT_COUNTED);
        }
        if (recovery != null) {
            health.withDetail("recovery", recoveryDetails());
        }
        return health.build();
    }

    /** Read its settings, or was reached and answered with an error reply. */
    private static boolean answered(ParticipantDurability d) {
        if (d.level() != ParticipantDurability.Level.UNKNOWN) {
            return true;
        }
        String detail = d.detail();
        return detail.startsWith("NOPERM") || detail.startsWith("ERR ");
    }

    private Map<String, Object> recoveryDetails() {
        Map<String, Object> details = new LinkedHashMap<>();
        recovery.latest()
                .ifPresentOrElse(
                        pass -> {
                            RecoveryReport r = pass.report();
                            details.put("latestPass", pass.at().toString());
                            details.put("expiredIntents", r.expiredIntents());
                            // In doubt after the pass: intents it could not settle yet, external participants whose
                            // confirm or cancel is still to succeed, sagas it could not finish.
                            details.put("intentsLeft", r.left());
                            details.put("externalsPending", r.externalsPending());
                            details.put(
                                    "oldestPendingExternal",
                                    r.oldestPendingExternal().toString());
                            details.put("sagasFailing", r.sagasFailing());
                            details.put("staleLocks", r.staleLocks());
                        },
                        () -> details.put("latestPass", "none yet"));
        return details;
    }
}
