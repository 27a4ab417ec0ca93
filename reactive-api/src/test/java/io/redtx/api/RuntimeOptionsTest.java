package io.redtx.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.redtx.api.routing.KeyRouter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class RuntimeOptionsTest {

    private static RuntimeOptions.Builder oneParticipant() {
        return RuntimeOptions.builder().participant("a", "redis://127.0.0.1:6379");
    }

    // ---- defaults ----

    @Test
    void defaultsAreTheDocumentedConstants() {
        RuntimeOptions o = oneParticipant().build();

        assertThat(o.prepareTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_PREPARE_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(o.commitTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_COMMIT_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(o.readTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_READ_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(2));
        assertThat(o.connectTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_CONNECT_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(o.transactionTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_TRANSACTION_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(o.leaseDuration())
                .isEqualTo(RuntimeOptions.DEFAULT_LEASE_DURATION)
                .isEqualTo(Duration.ofSeconds(10));
        assertThat(o.recordRetention()).isEqualTo(RuntimeOptions.DEFAULT_RECORD_RETENTION);
        assertThat(o.recoveryInterval()).isEqualTo(RuntimeOptions.DEFAULT_RECOVERY_INTERVAL);
        assertThat(o.requireSyncedWrites()).isFalse();
        assertThat(o.onePhaseMarkers()).isTrue();
        assertThat(o.retryPolicy()).isEqualTo(RetryPolicy.defaults());
        assertThat(o.namespace()).isEqualTo(RuntimeOptions.DEFAULT_NAMESPACE).isEqualTo("redtx:");
        assertThat(o.maxValueBytes())
                .isEqualTo(RuntimeOptions.DEFAULT_MAX_VALUE_BYTES)
                .isEqualTo(1024 * 1024);
        assertThat(o.maxKeysPerTransaction())
                .isEqualTo(RuntimeOptions.DEFAULT_MAX_KEYS_PER_TRANSACTION)
                .isEqualTo(1000);
        assertThat(o.connectionsPerParticipant())
                .isEqualTo(RuntimeOptions.DEFAULT_CONNECTIONS_PER_PARTICIPANT)
                .isEqualTo(2);
        assertThat(o.maxInFlight())
                .isEqualTo(RuntimeOptions.DEFAULT_MAX_IN_FLIGHT)
                .isEqualTo(1024);
        assertThat(o.overflow()).isEqualTo(RuntimeOptions.Overflow.WAIT);
        assertThat(o.maxWaiting()).isEqualTo(RuntimeOptions.DEFAULT_MAX_WAITING).isEqualTo(1024);
        assertThat(o.admissionTimeout())
                .isEqualTo(RuntimeOptions.DEFAULT_ADMISSION_TIMEOUT)
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(o.participants()).containsExactly(Map.entry("a", "redis://127.0.0.1:6379"));
    }

    @Test
    void builderSetsEveryField() {
        RetryPolicy retry = RetryPolicy.builder().maxAttempts(3).build();
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("orders", "redis://orders-host:6379")
                .participant("stock", "rediss://user:secret@stock-host:6380/0")
                .participant("local", "redis-socket:///tmp/redis.sock")
                .participant("ha", "redis-sentinel://s1:26379,s2:26379#mymaster")
                .prepareTimeout(Duration.ofMillis(100))
                .commitTimeout(Duration.ofMillis(200))
                .readTimeout(Duration.ofMillis(300))
                .connectTimeout(Duration.ofMillis(400))
                .transactionTimeout(Duration.ofMillis(500))
                .leaseDuration(Duration.ofMillis(301))
                .recordRetention(Duration.ofMinutes(5))
                .onePhaseMarkers(false)
                .retryPolicy(retry)
                .namespace("tx/")
                .maxValueBytes(1)
                .maxKeysPerTransaction(5000)
                .connectionsPerParticipant(64)
                .maxInFlight(16)
                .overflow(RuntimeOptions.Overflow.REJECT)
                .maxWaiting(3)
                .admissionTimeout(Duration.ofMillis(7))
                .build();

        assertThat(o.participants().keySet()).containsExactly("orders", "stock", "local", "ha");
        assertThat(o.participants()).containsEntry("stock", "rediss://user:secret@stock-host:6380/0");
        assertThat(o.prepareTimeout()).isEqualTo(Duration.ofMillis(100));
        assertThat(o.commitTimeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(o.readTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofMillis(400));
        assertThat(o.transactionTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(o.leaseDuration()).isEqualTo(Duration.ofMillis(301));
        assertThat(o.recordRetention()).isEqualTo(Duration.ofMinutes(5));
        assertThat(o.onePhaseMarkers()).isFalse();
        assertThat(o.retryPolicy()).isSameAs(retry);
        assertThat(o.namespace()).isEqualTo("tx/");
        assertThat(o.maxValueBytes()).isEqualTo(1);
        assertThat(o.maxKeysPerTransaction()).isEqualTo(5000);
        assertThat(o.connectionsPerParticipant()).isEqualTo(64);
        assertThat(o.maxInFlight()).isEqualTo(16);
        assertThat(o.overflow()).isEqualTo(RuntimeOptions.Overflow.REJECT);
        assertThat(o.maxWaiting()).isEqualTo(3);
        assertThat(o.admissionTimeout()).isEqualTo(Duration.ofMillis(7));
    }

    @Test
    void mutateCopiesEverySettingAndLeavesTheOriginalAlone() {
        KeyRouter router = KeyRouter.consistentHashing(List.of("orders"));
        RuntimeOptions o = RuntimeOptions.builder()
                .participant("orders", "redis://orders-host:6379")
                .participant("stock", "rediss://user:secret@stock-host:6380/0")
                .commitTimeout(Duration.ofMillis(200))
                .recoveryInterval(Duration.ZERO)
                .requireSyncedWrites(true)
                .onePhaseMarkers(false)
                .namespace("tx/")
                .maxInFlight(16)
                .overflow(RuntimeOptions.Overflow.REJECT)
                .keyRouter(router)
                .build();

        RuntimeOptions same = o.mutate().build();
        assertThat(same.toString()).isEqualTo(o.toString());
        assertThat(same.participants()).isEqualTo(o.participants());
        assertThat(same.keyRouter()).isSameAs(router);

        RuntimeOptions changed = o.mutate().commitTimeout(Duration.ofSeconds(2)).build();
        assertThat(changed.commitTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(o.commitTimeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(changed.toString().replace("commitTimeout=PT2S", "commitTimeout=PT0.2S"))
                .isEqualTo(o.toString());
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

    // ---- durations ----

    static Stream<Arguments> durationSetters() {
        return Stream.concat(
                positiveDurationSetters(),
                Stream.of(
                        setter("leaseDuration", RuntimeOptions.Builder::leaseDuration),
                        setter("recordRetention", RuntimeOptions.Builder::recordRetention)));
    }

    /** The setters whose only bound is "positive" (the lease and the retention also have a minimum). */
    static Stream<Arguments> positiveDurationSetters() {
        return Stream.of(
                setter("prepareTimeout", RuntimeOptions.Builder::prepareTimeout),
                setter("commitTimeout", RuntimeOptions.Builder::commitTimeout),
                setter("readTimeout", RuntimeOptions.Builder::readTimeout),
                setter("connectTimeout", RuntimeOptions.Builder::connectTimeout),
                setter("transactionTimeout", RuntimeOptions.Builder::transactionTimeout));
    }

    private static Arguments setter(
            String field, BiFunction<RuntimeOptions.Builder, Duration, RuntimeOptions.Builder> setter) {
        return Arguments.of(field, setter);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("durationSetters")
    void nullDurationIsRefusedNamingTheField(
            String field, BiFunction<RuntimeOptions.Builder, Duration, RuntimeOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(RuntimeOptions.builder(), null))
                .withMessage(field + " must not be null");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("durationSetters")
    void zeroDurationIsRefusedNamingFieldAndValue(
            String field, BiFunction<RuntimeOptions.Builder, Duration, RuntimeOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(RuntimeOptions.builder(), Duration.ZERO))
                .withMessage(field + " must be positive, was 0 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("durationSetters")
    void negativeDurationIsRefusedNamingFieldAndValue(
            String field, BiFunction<RuntimeOptions.Builder, Duration, RuntimeOptions.Builder> setter) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> setter.apply(RuntimeOptions.builder(), Duration.ofMillis(-250)))
                .withMessage(field + " must be positive, was -250 ms");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("positiveDurationSetters")
    void smallestPositiveDurationIsAccepted(
            String field, BiFunction<RuntimeOptions.Builder, Duration, RuntimeOptions.Builder> setter) {
        RuntimeOptions.Builder builder = RuntimeOptions.builder();
        assertThat(setter.apply(builder, Duration.ofNanos(1))).isSameAs(builder);
    }

    // ---- lease ----

    @Test
    void leaseShorterThan100msIsRefusedNamingTheValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().leaseDuration(Duration.ofMillis(99)))
                .withMessage("leaseDuration must be at least 100 ms, was 99 ms");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().leaseDuration(Duration.ofNanos(1)))
                .withMessage("leaseDuration must be at least 100 ms, was 0.000001 ms");
    }

    @Test
    void leaseOf100msIsAccepted() {
        assertThat(RuntimeOptions.MIN_LEASE_DURATION).isEqualTo(Duration.ofMillis(100));
        RuntimeOptions o =
                oneParticipant().leaseDuration(Duration.ofMillis(100)).build();

        assertThat(o.leaseDuration()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void leaseShorterThanThePrepareAndCommitTimeoutsIsAccepted() {
        // A live coordinator extends its leases, so the lease need not cover the time to the commit point.
        RuntimeOptions o = oneParticipant()
                .prepareTimeout(Duration.ofSeconds(9))
                .commitTimeout(Duration.ofSeconds(9))
                .leaseDuration(Duration.ofMillis(300))
                .build();

        assertThat(o.leaseDuration()).isEqualTo(Duration.ofMillis(300));
        assertThat(o.prepareTimeout()).isEqualTo(Duration.ofSeconds(9));
    }

    @Test
    void raisingTimeoutsPastTheDefaultLeaseIsAccepted() {
        RuntimeOptions o =
                oneParticipant().prepareTimeout(Duration.ofSeconds(20)).build();

        assertThat(o.leaseDuration()).isEqualTo(RuntimeOptions.DEFAULT_LEASE_DURATION);
        assertThat(o.prepareTimeout()).isEqualTo(Duration.ofSeconds(20));
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
    void recordRetentionUnderOneMillisecondIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().recordRetention(Duration.ofNanos(999_999)))
                .withMessage("recordRetention must be at least 1 ms, was 0.999999 ms");
        assertThat(oneParticipant()
                        .recordRetention(Duration.ofMillis(1))
                        .build()
                        .recordRetention())
                .isEqualTo(Duration.ofMillis(1));
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
                        + " redis://, rediss://, redis-socket://, redis-sentinel://, redis-cluster:// or"
                        + " rediss-cluster:// URI");
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

    // ---- namespace and limits ----

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"{redtx}:", "redtx{", "redtx}"})
    void namespaceThatIsEmptyOrHasBracesIsRefusedNamingIt(String namespace) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().namespace(namespace))
                .withMessage("namespace must be non-empty and contain no '{' or '}', was "
                        + (namespace == null ? "null" : "'" + namespace + "'"));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void maxValueBytesBelowOneIsRefusedNamingTheValue(int bytes) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().maxValueBytes(bytes))
                .withMessage("maxValueBytes must be >= 1, was " + bytes);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -7})
    void maxKeysPerTransactionBelowOneIsRefusedNamingTheValue(int keys) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().maxKeysPerTransaction(keys))
                .withMessage("maxKeysPerTransaction must be >= 1, was " + keys);
    }

    @Test
    void maxKeysPerTransactionAbove5000IsRefusedNamingTheValue() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().maxKeysPerTransaction(5001))
                .withMessage("maxKeysPerTransaction must be <= 5000, was 5001");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 65})
    void connectionsPerParticipantOutside1To64AreRefusedNamingTheValue(int connections) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().connectionsPerParticipant(connections))
                .withMessage(
                        connections < 1
                                ? "connectionsPerParticipant must be >= 1, was " + connections
                                : "connectionsPerParticipant must be <= 64, was " + connections);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void admissionLimitsBelowOneAreRefusedNamingTheValue(int limit) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().maxInFlight(limit))
                .withMessage("maxInFlight must be >= 1, was " + limit);
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().maxWaiting(limit))
                .withMessage("maxWaiting must be >= 1, was " + limit);
    }

    @Test
    void nullOverflowAndNonPositiveAdmissionTimeoutAreRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().overflow(null))
                .withMessage("overflow must not be null");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> RuntimeOptions.builder().admissionTimeout(Duration.ZERO))
                .withMessage("admissionTimeout must be positive, was 0 ms");
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
        RuntimeOptions.Builder builder = oneParticipant().prepareTimeout(Duration.ofSeconds(1));
        RuntimeOptions first = builder.build();

        builder.participant("b", "redis://127.0.0.1:6380")
                .prepareTimeout(Duration.ofSeconds(3))
                .namespace("other:")
                .maxValueBytes(10)
                .retryPolicy(RetryPolicy.none());
        RuntimeOptions second = builder.build();

        assertThat(first.participants()).containsOnlyKeys("a");
        assertThat(first.prepareTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(first.namespace()).isEqualTo("redtx:");
        assertThat(first.maxValueBytes()).isEqualTo(RuntimeOptions.DEFAULT_MAX_VALUE_BYTES);
        assertThat(first.retryPolicy()).isEqualTo(RetryPolicy.defaults());
        assertThat(second.participants()).containsOnlyKeys("a", "b");
        assertThat(second.prepareTimeout()).isEqualTo(Duration.ofSeconds(3));
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
        RuntimeOptions.Builder builder = oneParticipant().readTimeout(Duration.ofMillis(700));

        assertThatIllegalArgumentException().isThrownBy(() -> builder.readTimeout(Duration.ZERO));
        assertThatIllegalArgumentException().isThrownBy(() -> builder.namespace("{x}"));
        assertThatThrownBy(() -> builder.participant("b", "http://h:1")).isInstanceOf(RedtxArgumentException.class);

        RuntimeOptions o = builder.build();
        assertThat(o.readTimeout()).isEqualTo(Duration.ofMillis(700));
        assertThat(o.namespace()).isEqualTo("redtx:");
        assertThat(o.participants()).containsOnlyKeys("a");
    }

    @Test
    void recoveryIntervalZeroTurnsTheServiceOffAndNegativeIsRefused() {
        assertThat(RuntimeOptions.builder()
                        .participant("a", "redis://h:1")
                        .recoveryInterval(Duration.ZERO)
                        .build()
                        .recoveryInterval())
                .isZero();
        assertThatThrownBy(() -> RuntimeOptions.builder().recoveryInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("recoveryInterval must not be negative, was -1 s");
        assertThatThrownBy(() -> RuntimeOptions.builder().recoveryInterval(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("recoveryInterval must not be null");
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
