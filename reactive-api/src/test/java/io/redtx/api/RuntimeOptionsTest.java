package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.routing.KeyRouter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

class RuntimeOptionsTest {

    private static RuntimeOptions.Builder oneParticipant() {
        return RuntimeOptions.builder().participant("a", "redis://127.0.0.1:6379");
    }

    // ---- defaults ----

    @Test
    void defaultsAreTheDefaultGroups() {
        RuntimeOptions o = oneParticipant().build();

        assertThat(o.timeouts()).isEqualTo(TimeoutOptions.defaults());
        assertThat(o.recovery()).isEqualTo(RecoveryOptions.defaults());
        assertThat(o.admission()).isEqualTo(AdmissionOptions.defaults());
        assertThat(o.connections()).isEqualTo(ConnectionOptions.defaults());
        assertThat(o.limits()).isEqualTo(LimitOptions.defaults());
        assertThat(o.retryPolicy()).isEqualTo(RetryPolicy.defaults());
        assertThat(o.namespace()).isEqualTo(RuntimeOptions.DEFAULT_NAMESPACE).isEqualTo("redtx:");
        assertThat(o.participants()).containsExactly(Map.entry("a", "redis://127.0.0.1:6379"));
    }

    @Test
    void builderSetsEveryField() {
        RetryPolicy retry = RetryPolicy.builder().maxAttempts(3).build();
        TimeoutOptions timeouts =
                TimeoutOptions.builder().prepare(Duration.ofMillis(100)).build();
        RecoveryOptions recovery =
                RecoveryOptions.builder().lease(Duration.ofMillis(301)).build();
        AdmissionOptions admission = AdmissionOptions.builder().maxInFlight(16).build();
        ConnectionOptions connections =
                ConnectionOptions.builder().perParticipant(64).build();
        LimitOptions limits = LimitOptions.builder().maxValueBytes(1).build();
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("orders", "redis://orders-host:6379")
                .participant("stock", "rediss://user:secret@stock-host:6380/0")
                .participant("local", "redis-socket:///tmp/redis.sock")
                .participant("ha", "redis-sentinel://s1:26379,s2:26379#mymaster")
                .timeouts(timeouts)
                .recovery(recovery)
                .admission(admission)
                .connections(connections)
                .limits(limits)
                .retryPolicy(retry)
                .namespace("tx/")
                .build();

        assertThat(o.participants().keySet()).containsExactly("orders", "stock", "local", "ha");
        assertThat(o.participants()).containsEntry("stock", "rediss://user:secret@stock-host:6380/0");
        assertThat(o.timeouts()).isSameAs(timeouts);
        assertThat(o.recovery()).isSameAs(recovery);
        assertThat(o.admission()).isSameAs(admission);
        assertThat(o.connections()).isSameAs(connections);
        assertThat(o.limits()).isSameAs(limits);
        assertThat(o.retryPolicy()).isSameAs(retry);
        assertThat(o.namespace()).isEqualTo("tx/");
    }

    // ---- groups: a change to the current group keeps its other settings ----

    @Test
    void aTimerIsOptionalKeptByMutateAndNeverNull() {
        assertThat(oneParticipant().build().timer()).isEmpty();
        Scheduler timer = Schedulers.single();
        RuntimeOptions o = oneParticipant().timer(timer).build();
        assertThat(o.timer()).containsSame(timer);
        assertThat(o.mutate().build().timer()).containsSame(timer);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> oneParticipant().timer(null))
                .withMessage("timer must not be null");
    }

    @Test
    void aTimeoutsChangeKeepsTheOtherTimeouts() {
        RuntimeOptions o = oneParticipant()
                .timeouts(t -> t.prepare(Duration.ofMillis(100)).read(Duration.ofMillis(300)))
                .timeouts(t -> t.commit(Duration.ofSeconds(1)))
                .build();

        assertThat(o.timeouts())
                .isEqualTo(TimeoutOptions.builder()
                        .prepare(Duration.ofMillis(100))
                        .read(Duration.ofMillis(300))
                        .commit(Duration.ofSeconds(1))
                        .build());
    }

    @Test
    void aRecoveryChangeKeepsTheOtherRecoverySettings() {
        RuntimeOptions o = oneParticipant()
                .recovery(r -> r.lease(Duration.ofMillis(300)).onePhaseMarkers(false))
                .recovery(r -> r.interval(Duration.ZERO))
                .build();

        assertThat(o.recovery())
                .isEqualTo(RecoveryOptions.builder()
                        .lease(Duration.ofMillis(300))
                        .onePhaseMarkers(false)
                        .interval(Duration.ZERO)
                        .build());
    }

    @Test
    void anAdmissionChangeKeepsTheOtherAdmissionSettings() {
        RuntimeOptions o = oneParticipant()
                .admission(a -> a.maxInFlight(16).timeout(Duration.ofMillis(7)))
                .admission(a -> a.overflow(AdmissionOptions.Overflow.REJECT))
                .build();

        assertThat(o.admission())
                .isEqualTo(AdmissionOptions.builder()
                        .maxInFlight(16)
                        .timeout(Duration.ofMillis(7))
                        .overflow(AdmissionOptions.Overflow.REJECT)
                        .build());
    }

    @Test
    void aConnectionsChangeKeepsTheOtherConnectionSettings() {
        RuntimeOptions o = oneParticipant()
                .connections(c -> c.requireSyncedWrites(true))
                .connections(c -> c.perParticipant(4))
                .build();

        assertThat(o.connections().requireSyncedWrites()).isTrue();
        assertThat(o.connections().perParticipant()).isEqualTo(4);
    }

    @Test
    void aLimitsChangeKeepsTheOtherLimits() {
        RuntimeOptions o = oneParticipant()
                .limits(l -> l.maxKeysPerTransaction(10))
                .limits(l -> l.maxValueBytes(16))
                .build();

        assertThat(o.limits().maxKeysPerTransaction()).isEqualTo(10);
        assertThat(o.limits().maxValueBytes()).isEqualTo(16);
    }

    @Test
    void aChangeAppliesToTheGroupGivenWhole() {
        TimeoutOptions given =
                TimeoutOptions.builder().read(Duration.ofMillis(300)).build();

        RuntimeOptions o = oneParticipant()
                .timeouts(given)
                .timeouts(t -> t.commit(Duration.ofSeconds(1)))
                .build();

        assertThat(o.timeouts().read()).isEqualTo(Duration.ofMillis(300));
        assertThat(o.timeouts().commit()).isEqualTo(Duration.ofSeconds(1));
        assertThat(given.commit()).isEqualTo(TimeoutOptions.DEFAULT_COMMIT_TIMEOUT);
    }

    @Test
    void aRefusedChangeLeavesTheGroupUnchanged() {
        RuntimeOptions.Builder builder = oneParticipant().timeouts(t -> t.read(Duration.ofMillis(700)));

        assertThatIllegalArgumentException()
                .isThrownBy(() ->
                        builder.timeouts(t -> t.prepare(Duration.ofSeconds(1)).read(Duration.ZERO)))
                .withMessage("readTimeout must be positive, was 0 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> builder.recovery(r -> r.lease(Duration.ofMillis(99))))
                .withMessage("leaseDuration must be at least 100 ms, was 99 ms");

        RuntimeOptions o = builder.build();
        assertThat(o.timeouts().read()).isEqualTo(Duration.ofMillis(700));
        assertThat(o.timeouts().prepare()).isEqualTo(TimeoutOptions.DEFAULT_PREPARE_TIMEOUT);
        assertThat(o.recovery()).isEqualTo(RecoveryOptions.defaults());
    }

    @Test
    void nullGroupsAndChangesAreRefusedNamingThem() {
        RuntimeOptions.Builder b = RuntimeOptions.builder();

        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.timeouts((TimeoutOptions) null))
                .withMessage("timeouts must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.recovery((RecoveryOptions) null))
                .withMessage("recovery must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.admission((AdmissionOptions) null))
                .withMessage("admission must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.connections((ConnectionOptions) null))
                .withMessage("connections must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.limits((LimitOptions) null))
                .withMessage("limits must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.timeouts((Consumer<TimeoutOptions.Builder>) null))
                .withMessage("timeouts change must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.recovery((Consumer<RecoveryOptions.Builder>) null))
                .withMessage("recovery change must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.admission((Consumer<AdmissionOptions.Builder>) null))
                .withMessage("admission change must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.connections((Consumer<ConnectionOptions.Builder>) null))
                .withMessage("connections change must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> b.limits((Consumer<LimitOptions.Builder>) null))
                .withMessage("limits change must not be null");
    }

    @Test
    void leaseShorterThanThePrepareAndCommitTimeoutsIsAccepted() {
        // A live coordinator extends its leases, so the lease need not cover the time to the commit point.
        RuntimeOptions o = oneParticipant()
                .timeouts(t -> t.prepare(Duration.ofSeconds(9)).commit(Duration.ofSeconds(9)))
                .recovery(r -> r.lease(Duration.ofMillis(300)))
                .build();

        assertThat(o.recovery().lease()).isEqualTo(Duration.ofMillis(300));
        assertThat(o.timeouts().prepare()).isEqualTo(Duration.ofSeconds(9));
    }

    // ---- mutate ----

    @Test
    void mutateCopiesEverySettingAndLeavesTheOriginalAlone() {
        KeyRouter router = KeyRouter.consistentHashing(List.of("orders"));
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("orders", "redis://orders-host:6379")
                .participant("stock", "rediss://user:secret@stock-host:6380/0")
                .timeouts(t -> t.commit(Duration.ofMillis(200)))
                .recovery(r -> r.interval(Duration.ZERO).onePhaseMarkers(false))
                .connections(c -> c.requireSyncedWrites(true))
                .namespace("tx/")
                .admission(a -> a.maxInFlight(16).overflow(AdmissionOptions.Overflow.REJECT))
                .limits(l -> l.maxValueBytes(16))
                .keyRouter(router)
                .build();

        RuntimeOptions same = o.mutate().build();
        assertThat(same.toString()).isEqualTo(o.toString());
        assertThat(same.participants()).isEqualTo(o.participants());
        assertThat(same.keyRouter()).isSameAs(router);
        assertThat(same.timeouts()).isEqualTo(o.timeouts());
        assertThat(same.recovery()).isEqualTo(o.recovery());
        assertThat(same.admission()).isEqualTo(o.admission());
        assertThat(same.connections()).isEqualTo(o.connections());
        assertThat(same.limits()).isEqualTo(o.limits());

        RuntimeOptions changed =
                o.mutate().timeouts(t -> t.commit(Duration.ofSeconds(2))).build();
        assertThat(changed.timeouts().commit()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.timeouts().commit()).isEqualTo(Duration.ofMillis(200));
        assertThat(changed.toString().replace("commit=2 s", "commit=200 ms")).isEqualTo(o.toString());
    }

    @Test
    void mutateOfEachGroupLeavesTheOriginalAlone() {
        RuntimeOptions o = oneParticipant().build();

        RuntimeOptions changed = o.mutate()
                .recovery(r -> r.lease(Duration.ofSeconds(1)))
                .admission(a -> a.maxWaiting(1))
                .connections(c -> c.perParticipant(1))
                .limits(l -> l.maxKeysPerTransaction(1))
                .build();

        assertThat(o.recovery()).isEqualTo(RecoveryOptions.defaults());
        assertThat(o.admission()).isEqualTo(AdmissionOptions.defaults());
        assertThat(o.connections()).isEqualTo(ConnectionOptions.defaults());
        assertThat(o.limits()).isEqualTo(LimitOptions.defaults());
        assertThat(changed.recovery().lease()).isEqualTo(Duration.ofSeconds(1));
        assertThat(changed.admission().maxWaiting()).isEqualTo(1);
        assertThat(changed.connections().perParticipant()).isEqualTo(1);
        assertThat(changed.limits().maxKeysPerTransaction()).isEqualTo(1);
    }

    @Test
    void aDefaultKeyRouterFollowsTheParticipantsOfTheCopy() {
        RuntimeOptions one =
                RuntimeOptions.builder().participant("a", "redis://a").build();
        RuntimeOptions two = one.mutate().participant("b", "redis://b").build();

        assertThat(two.participants().keySet()).containsExactly("a", "b");
        assertThat(java.util.stream.IntStream.range(0, 200)
                        .mapToObj(i -> two.keyRouter().participantFor("k" + i))
                        .distinct())
                .containsExactlyInAnyOrder("a", "b");
        assertThatThrownBy(() -> one.mutate().participant("a", "redis://other"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toStringNamesParticipantsButNeverTheirUris() {
        String text = RuntimeOptions.builder()
                .participant("stock", "rediss://user:s3cr3t@stock-host:6380/0")
                .build()
                .toString();

        assertThat(text)
                .contains("participants=[stock]")
                .doesNotContain("s3cr3t")
                .doesNotContain("stock-host");
    }

    @Test
    void toStringShowsEveryGroupAndNoPassword() {
        String text = RuntimeOptions.builder()
                .participant("stock", "rediss://user:s3cr3t@stock-host:6380/0")
                .timeouts(t -> t.commit(Duration.ofSeconds(1)))
                .build()
                .toString();

        assertThat(text)
                .contains("timeouts=TimeoutOptions{prepare=2 s, commit=1 s,")
                .contains("recovery=RecoveryOptions{")
                .contains("admission=AdmissionOptions{")
                .contains("connections=ConnectionOptions{")
                .contains("limits=LimitOptions{")
                .doesNotContain("s3cr3t");
    }

    // ---- participants ----

    @Test
    void noParticipantIsRefusedAtBuild() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().build())
                .withMessage("at least one participant is required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "a:b", "a{b}", "ü", "a/b"})
    void badParticipantNameIsRefusedNamingTheName(String name) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().participant(name, "redis://h:1"))
                .withMessage("participant name must be 1-64 characters of [A-Za-z0-9_.-], was '" + name + "'");
    }

    @Test
    void nullParticipantNameIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().participant(null, "redis://h:1"))
                .withMessage("participant name must be 1-64 characters of [A-Za-z0-9_.-], was null");
    }

    @Test
    void participantNameOf64CharactersIsAcceptedAnd65Refused() {
        String max = "n".repeat(64);
        assertThat(RuntimeOptions.builder()
                        .participant(max, "redis://h:1")
                        .build()
                        .participants())
                .containsOnlyKeys(max);

        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().participant(max + "n", "redis://h:1"))
                .withMessageContaining("was '" + max + "n'");
    }

    @Test
    void oneDatabaseUnderTwoNamesIsRefused() {
        RuntimeOptions.Builder builder = oneParticipant();

        assertThatThrownBy(() -> builder.participant("b", "redis://127.0.0.1:6379"))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage(
                        "participant 'b' has the same Redis URI as 'a': one Redis database must be one participant");
        assertThat(builder.participant("c", "redis://127.0.0.1:6379/1").build().participants())
                .containsOnlyKeys("a", "c");
    }

    @Test
    void duplicateParticipantIsRefusedNamingIt() {
        RuntimeOptions.Builder builder = oneParticipant();

        assertThatIllegalArgumentException()
                .isThrownBy(() -> builder.participant("a", "redis://other-host:6379"))
                .withMessage("participant 'a' is already defined");
        assertThat(builder.build().participants()).containsEntry("a", "redis://127.0.0.1:6379");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(
            strings = {
                "127.0.0.1:6379",
                "http://127.0.0.1:6379",
                "redis://",
                "REDIS://h:1",
                " redis://h:1",
                "redis-cluster://"
            })
    void badUriIsRefusedNamingParticipantAndUri(String uri) {
        assertThatThrownBy(() -> RuntimeOptions.builder().participant("a", uri))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageStartingWith(
                        "participant 'a' has an invalid Redis URI " + (uri == null ? "null" : "'" + uri + "'") + ": ");
    }

    @Test
    void badUriSchemeIsRefusedWithThePasswordRedacted() {
        assertThatThrownBy(() -> RuntimeOptions.builder().participant("a", "reddis://alice:s3cr3t@host:6379/0"))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("participant 'a' has an invalid Redis URI 'reddis://alice:***@host:6379/0': it needs a"
                        + " redis://, rediss://, redis-socket://, redis-sentinel://, rediss-sentinel://,"
                        + " redis-cluster:// or rediss-cluster:// URI");
    }

    /** Each mistake is found when the options are built, named, with the password masked. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badUris")
    void aMistakeInAUriIsFoundAtOnceAndSaysWhatIsWrong(String uri, String problem) {
        assertThatThrownBy(() -> RuntimeOptions.builder().participant("eu", uri))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageStartingWith("participant 'eu' has an invalid Redis URI '")
                .hasMessageContaining(problem)
                .hasMessageNotContaining("secret");
    }

    static Stream<Arguments> badUris() {
        return Stream.of(
                Arguments.of("redis://app:secret@host:notaport", "port 'notaport' of host 'host' is not a number"),
                Arguments.of("redis://host:0", "port '0'"),
                Arguments.of("redis://host:65536", "port '65536'"),
                Arguments.of("redis://host:", "port ''"),
                Arguments.of("redis://ho st:6379", "host 'ho st' is not a host name"),
                Arguments.of("redis://:secret@", "it names no host"),
                Arguments.of("redis://host:6379/one", "the database 'one' is not a number"),
                Arguments.of("redis://host:6379/-1", "the database '-1' is not a number"),
                Arguments.of("redis://host/99999999999", "the database number is too large"),
                Arguments.of("redis://host?db=x", "the database 'x' is not a number"),
                Arguments.of("redis://host?timout=5s", "unknown option 'timout'"),
                Arguments.of("redis://host?timeout=soon", "timeout 'soon' is not a number"),
                Arguments.of("redis://host?timeout", "option 'timeout' has no value"),
                Arguments.of("redis://h1:1,h2:2", "names one host, not 2"),
                Arguments.of("redis://host?verifyPeer=NONE", "verifyPeer applies to TLS only"),
                Arguments.of("rediss://host?verifyPeer=maybe", "verifyPeer 'maybe' is not one of FULL, CA, NONE"),
                Arguments.of("redis://[::1", "opens '[' without closing it"),
                Arguments.of("redis://[::1]6379", "has '6379' after its address"),
                Arguments.of("redis://host#master", "only a redis-sentinel:// URI takes a '#'"),
                Arguments.of("redis://host?sentinelMasterId=m", "only a redis-sentinel:// URI takes sentinelMasterId"),
                Arguments.of("redis-sentinel://s1:26379,s2:26379", "needs its master's name"),
                Arguments.of("redis-sentinel://s1:26379,s2:x#m", "port 'x' of host 's2'"),
                Arguments.of("redis-cluster://c1:7000,c2:7000/3", "a Redis Cluster has no database 3"),
                Arguments.of("redis-cluster://c1:7000,,c2:7000", "it names no host"),
                Arguments.of("redis-socket://", "it names no socket path"),
                Arguments.of("redis-socket://secret@", "it names no socket path"));
    }

    /** What Lettuce's syntax allows, and redtx's Cluster schemes. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "redis://host",
                "redis://host:6379",
                "redis://host:6379/",
                "redis://app:secret@host:6379/15",
                "redis://secret@host",
                "redis://:secret@host",
                "redis://[::1]:6379",
                "redis://[fe80::1%25eth0]",
                "redis://my_redis-1.example.com:6380/2?timeout=10s&clientName=orders&Database=2",
                "rediss://host:6380?verifyPeer=CA",
                "rediss://host?verifyPeer=false",
                "redis-socket:///var/run/redis.sock?db=3",
                "redis-sentinel://s1:26379,s2:26379/1?sentinelMasterId=mymaster",
                "redis-sentinel://secret@s1,s2#mymaster",
                "rediss-sentinel://s1:26379,s2:26379#mymaster",
                "rediss-sentinel://s1,s2?sentinelMasterId=mymaster&verifyPeer=CA",
                "redis-cluster://c1:7000,c2:7001,[::1]:7002",
                "rediss-cluster://app:secret@c1:7000/0?verifyPeer=FULL"
            })
    void aValidUriIsAccepted(String uri) {
        assertThat(RuntimeOptions.builder().participant("eu", uri).build().participants())
                .containsEntry("eu", uri);
    }

    /** Lettuce syntax allows a password without a user ({@code redis://password@host}): it must not leak either. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://s3cr3t@host:6379",
                "http://:s3cr3t@host:6379",
                "http://alice:s3cr3t@host:6379",
                "http://alice:s3@cr3t@host:6379",
                "http://alice:s3/cr3t@host:6379",
                "alice:s3cr3t@host:6379",
                "s3cr3t@host"
            })
    void passwordNeverAppearsInTheMessage(String uri) {
        assertThatThrownBy(() -> RuntimeOptions.builder().participant("a", uri))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessageContaining("***@")
                .hasMessageNotContaining("s3")
                .hasMessageNotContaining("cr3t");
    }

    // ---- namespace and retry policy ----

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"{redtx}:", "redtx{", "redtx}"})
    void namespaceThatIsEmptyOrHasBracesIsRefusedNamingIt(String namespace) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().namespace(namespace))
                .withMessage("namespace must be non-empty and contain no '{' or '}', was "
                        + (namespace == null ? "null" : "'" + namespace + "'"));
    }

    @Test
    void nullRetryPolicyIsRefusedNamingTheField() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().retryPolicy(null))
                .withMessage("retryPolicy must not be null");
    }

    // ---- immutability ----

    @Test
    void changingTheBuilderAfterBuildDoesNotChangeTheBuiltOptions() {
        RuntimeOptions.Builder builder = oneParticipant().timeouts(t -> t.prepare(Duration.ofSeconds(1)));
        RuntimeOptions first = builder.build();

        builder.participant("b", "redis://127.0.0.1:6380")
                .timeouts(t -> t.prepare(Duration.ofSeconds(3)))
                .namespace("other:")
                .limits(l -> l.maxValueBytes(10))
                .retryPolicy(RetryPolicy.none());
        RuntimeOptions second = builder.build();

        assertThat(first.participants()).containsOnlyKeys("a");
        assertThat(first.timeouts().prepare()).isEqualTo(Duration.ofSeconds(1));
        assertThat(first.namespace()).isEqualTo("redtx:");
        assertThat(first.limits().maxValueBytes()).isEqualTo(LimitOptions.DEFAULT_MAX_VALUE_BYTES);
        assertThat(first.retryPolicy()).isEqualTo(RetryPolicy.defaults());
        assertThat(second.participants()).containsOnlyKeys("a", "b");
        assertThat(second.timeouts().prepare()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void participantsMapIsUnmodifiableAndKeepsInsertionOrder() {
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("z", "redis://h:1")
                .participant("a", "redis://h:2")
                .participant("m", "redis://h:3")
                .build();

        assertThat(o.participants().keySet()).containsExactly("z", "a", "m");
        assertThatThrownBy(() -> o.participants().put("x", "redis://h:4"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> o.participants().remove("z")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aRefusedValueLeavesTheBuilderUnchanged() {
        RuntimeOptions.Builder builder = oneParticipant();

        assertThatIllegalArgumentException().isThrownBy(() -> builder.namespace("{x}"));
        assertThatThrownBy(() -> builder.participant("b", "http://h:1")).isInstanceOf(RedtxArgumentException.class);

        RuntimeOptions o = builder.build();
        assertThat(o.namespace()).isEqualTo("redtx:");
        assertThat(o.participants()).containsOnlyKeys("a");
    }

    @Test
    void theDefaultKeyRouterHashesOverEveryParticipantAndACustomOneIsKeptWhenItsNamesExist() {
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("a", "redis://h:1")
                .participant("b", "redis://h:2")
                .build();
        KeyRouter expected = KeyRouter.consistentHashing(List.of("a", "b"));
        for (int i = 0; i < 100; i++) {
            assertThat(o.keyRouter().participantFor("k" + i)).isEqualTo(expected.participantFor("k" + i));
        }
        assertThat(o.keyRouter().participants()).containsExactly("a", "b");

        KeyRouter onlyB = KeyRouter.consistentHashing(List.of("b"));
        assertThat(RuntimeOptions.builder()
                        .participant("a", "redis://h:1")
                        .participant("b", "redis://h:2")
                        .keyRouter(onlyB)
                        .build()
                        .keyRouter())
                .isSameAs(onlyB);
    }

    @Test
    void aKeyRouterNamingAnUndefinedParticipantOrNullIsRefused() {
        assertThatThrownBy(() -> oneParticipant()
                        .keyRouter(KeyRouter.consistentHashing(List.of("a", "zz")))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names participant 'zz', which is not defined (participants [a])");
        assertThatThrownBy(() -> oneParticipant().keyRouter(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keyRouter must not be null");
    }
}
