package io.redtx.test.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

@RedisTest
class RedisExtensionTest {

    private static RedisServer fromBeforeAll;

    @BeforeAll
    static void startDurableServer(@RedisConfig(persistence = Persistence.DURABLE) RedisServer server) {
        fromBeforeAll = server;
    }

    @Test
    void injectsARunningInMemoryServerIntoATestMethod(RedisServer server) {
        assertThat(server.isAlive()).isTrue();
        assertThat(server.persistence()).isEqualTo(Persistence.IN_MEMORY);
        assertThat(server.ping()).isEqualTo("PONG");
    }

    @Test
    void injectsTheConfiguredDurableServerIntoBeforeAll() {
        assertThat(fromBeforeAll.isAlive()).isTrue();
        assertThat(fromBeforeAll.persistence()).isEqualTo(Persistence.DURABLE);
        assertThat(fromBeforeAll.info("persistence")).contains("aof_enabled:1");
    }

    @Test
    void appliesRawConfigLinesFromTheAnnotation(@RedisConfig(config = "maxmemory 12mb") RedisServer server) {
        assertThat(server.command("CONFIG", "GET", "maxmemory")).isEqualTo(List.of("maxmemory", "12582912"));
    }

    @Test
    void givesEachParameterItsOwnServer(RedisServer first, RedisServer second) {
        assertThat(first.port()).isNotEqualTo(second.port());
        assertThat(first.pid()).isNotEqualTo(second.pid());
    }

    @Test
    void stopsTheServerOfATestThatFails() {
        FailingOnPurposeFixture.pid = -1;

        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(FailingOnPurposeFixture.class))
                .execute();

        results.testEvents()
                .assertStatistics(stats -> stats.started(1).failed(1).succeeded(0));
        assertThat(FailingOnPurposeFixture.pid).isPositive();
        Await.processGone(FailingOnPurposeFixture.pid);
        assertThat(FailingOnPurposeFixture.dataDir).doesNotExist();
    }

    @Test
    void stopsTheBeforeAllServerAfterTheClass() {
        BeforeAllFixture.pid = -1;

        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(BeforeAllFixture.class))
                .execute();

        results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
        assertThat(BeforeAllFixture.pid).isPositive();
        Await.processGone(BeforeAllFixture.pid);
    }

    @Test
    void stopsConstructorAndBeforeEachServersAfterEachTestMethod() {
        PerMethodFixture.firstConstructorPid = -1;
        PerMethodFixture.firstBeforeEachPid = -1;

        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(PerMethodFixture.class))
                .execute();

        results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
        Await.processGone(PerMethodFixture.firstConstructorPid);
        Await.processGone(PerMethodFixture.firstBeforeEachPid);
    }

    /** Run only through the test kit: Surefire skips nested classes and Jupiter does not discover static ones. */
    @RedisTest
    static class FailingOnPurposeFixture {
        static volatile long pid;
        static volatile Path dataDir;

        @Test
        void failsOnPurpose(@RedisConfig(persistence = Persistence.DURABLE) RedisServer server) {
            pid = server.pid();
            dataDir = server.dataDir();
            throw new AssertionError("failing on purpose");
        }
    }

    /** The class-level server must outlive each test and die with the class. */
    @RedisTest
    static class BeforeAllFixture {
        static volatile long pid;
        private static RedisServer shared;

        @BeforeAll
        static void start(RedisServer server) {
            shared = server;
            pid = server.pid();
        }

        @Test
        void firstTestSeesTheSharedServer() {
            assertThat(shared.ping()).isEqualTo("PONG");
        }

        @Test
        void secondTestSeesTheSameServer() {
            assertThat(shared.pid()).isEqualTo(pid);
            assertThat(shared.ping()).isEqualTo("PONG");
        }
    }

    /** The second test proves that the servers injected for the first one were already stopped. */
    @RedisTest
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class PerMethodFixture {
        static volatile long firstConstructorPid;
        static volatile long firstBeforeEachPid;

        private final RedisServer fromConstructor;
        private RedisServer fromBeforeEach;

        PerMethodFixture(RedisServer server) {
            this.fromConstructor = server;
        }

        @BeforeEach
        void setUp(RedisServer server) {
            fromBeforeEach = server;
        }

        @Test
        @Order(1)
        void first() {
            firstConstructorPid = fromConstructor.pid();
            firstBeforeEachPid = fromBeforeEach.pid();
            assertThat(fromConstructor.ping()).isEqualTo("PONG");
        }

        @Test
        @Order(2)
        void second() {
            assertThat(ProcessRegistry.isRunning(firstConstructorPid)).isFalse();
            assertThat(ProcessRegistry.isRunning(firstBeforeEachPid)).isFalse();
            assertThat(fromConstructor.pid()).isNotEqualTo(firstConstructorPid);
            assertThat(fromConstructor.ping()).isEqualTo("PONG");
        }
    }
}
