package io.redtx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.redtx.api.TransactionRuntime;
import io.redtx.api.TransactionStateException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import reactor.test.StepVerifier;

/** What the extension does around whole classes, observed by running fixture classes through the test kit. */
class ExtensionLifecycleTest {

    @Test
    void stopsEveryServerByPidAndDeletesItsDataAfterTheClass() {
        ServersFixture.pids.clear();
        ServersFixture.dataDirs.clear();

        EngineExecutionResults results = run(ServersFixture.class);

        results.testEvents().assertStatistics(stats -> stats.started(1).succeeded(1));
        assertThat(ServersFixture.pids).hasSize(2);
        for (long pid : ServersFixture.pids) {
            awaitGone(pid);
        }
        assertThat(ServersFixture.dataDirs).allSatisfy(dir -> assertThat(dir).doesNotExist());
    }

    @Test
    void closesTheRuntimesOfATestThatFails() {
        FailingFixture.runtime = null;

        EngineExecutionResults results = run(FailingFixture.class);

        results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
        assertRefusesWork(FailingFixture.runtime);
    }

    @Test
    void keepsABeforeAllRuntimeForTheWholeClassAndClosesItAfterward() {
        BeforeAllFixture.runtime = null;

        EngineExecutionResults results = run(BeforeAllFixture.class);

        results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(2));
        assertRefusesWork(BeforeAllFixture.runtime);
    }

    @Test
    void failsTheClassOnAnInvalidParticipantName() {
        EngineExecutionResults results = run(InvalidNameFixture.class);

        results.testEvents().assertStatistics(stats -> stats.started(0));
        results.containerEvents()
                .assertThatEvents()
                .haveExactly(
                        1,
                        event(finishedWithFailure(
                                instanceOf(ExtensionConfigurationException.class),
                                message(m -> m.contains("participant name must be 1-64 characters")
                                        && m.contains("'bad name'")))));
    }

    private static EngineExecutionResults run(Class<?> fixture) {
        return EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(fixture))
                .execute();
    }

    private static void assertRefusesWork(TransactionRuntime runtime) {
        assertThat(runtime).as("the fixture ran").isNotNull();
        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").set("k", "v")))
                .expectError(TransactionStateException.class)
                .verify(Duration.ofSeconds(10));
    }

    private static void awaitGone(long pid) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertThat(System.nanoTime() - deadline)
                    .as("redis-server pid %d still alive after the class", pid)
                    .isNegative();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Run only through the test kit: Surefire skips nested classes and Jupiter does not discover static ones. */
    @RedtxTest(participants = {"p", "q"})
    static class ServersFixture {
        static final List<Long> pids = new ArrayList<>();
        static final List<Path> dataDirs = new ArrayList<>();

        @Test
        void recordsTheServers(RedtxServers servers) {
            for (String name : servers.participants()) {
                pids.add(servers.server(name).pid());
                dataDirs.add(servers.server(name).dataDir());
                assertThat(Files.isDirectory(servers.server(name).dataDir())).isTrue();
            }
        }
    }

    @RedtxTest
    static class FailingFixture {
        static volatile TransactionRuntime runtime;

        @Test
        void failsOnPurpose(TransactionRuntime injected) {
            runtime = injected;
            StepVerifier.create(injected.inTransaction(tx -> tx.on("a").set("k", "v")))
                    .verifyComplete();
            throw new AssertionError("failing on purpose");
        }
    }

    @RedtxTest
    static class BeforeAllFixture {
        static volatile TransactionRuntime runtime;

        @BeforeAll
        static void makeRuntime(RedtxServers servers) {
            runtime = servers.runtime();
        }

        @Test
        void firstTestUsesIt() {
            StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").set("k", "1")))
                    .verifyComplete();
        }

        @Test
        void secondTestStillUsesIt() {
            StepVerifier.create(runtime.inTransaction(tx -> tx.on("b").set("k", "2")))
                    .verifyComplete();
        }
    }

    @RedtxTest(participants = {"ok", "bad name"})
    static class InvalidNameFixture {
        @Test
        void neverRuns() {}
    }
}
