package io.redtx.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.event.Event;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.redtx.api.RedtxArgumentException;
import io.redtx.api.RuntimeOptions;
import io.redtx.api.TransactionRuntime;
import io.redtx.test.redis.RedisServer;
import io.redtx.test.redis.RedisTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;

/**
 * A runtime on the caller's Lettuce client resources: their event loops run its connections, their latency recorder,
 * event bus and Netty customizer see its work, and closing the runtime leaves the resources running.
 */
@RedisTest
class ClientResourcesTest {

    /** Commands the caller's recorder saw, and the threads that completed them. */
    private final Set<String> commands = ConcurrentHashMap.newKeySet();

    private final Set<String> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger channels = new AtomicInteger();
    private final List<Event> events = new CopyOnWriteArrayList<>();

    private ClientResources resources;
    private Disposable subscription;

    @BeforeEach
    void callersResources() {
        CommandLatencyRecorder recorder = (local, remote, type, firstResponse, completion) -> {
            commands.add(new String(type.getBytes(), StandardCharsets.US_ASCII));
            threads.add(Thread.currentThread().getName());
        };
        resources = ClientResources.builder()
                // Threads named after the caller: a connection on any other event loop would show.
                .threadFactoryProvider(pool -> new DefaultThreadFactory("caller-" + pool, true))
                .commandLatencyRecorder(recorder)
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        channels.incrementAndGet();
                    }
                })
                .build();
        subscription = resources.eventBus().get().subscribe(events::add);
    }

    @AfterEach
    void shutDown() throws Exception {
        subscription.dispose();
        if (!resources.eventExecutorGroup().isShuttingDown()) {
            resources.shutdown(0, 2, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theCallersEventLoopsRecorderEventsAndCustomizerSeeTheRuntimesWork(RedisServer a, RedisServer b)
            throws InterruptedException {
        TransactionRuntime runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder()
                        .participant("a", a.uri())
                        .participant("b", b.uri())
                        .build(),
                resources);

        StepVerifier.create(runtime.inTransaction(
                        tx -> tx.on("a").set("k", "1").then(tx.on("b").set("k", "2"))))
                .verifyComplete();
        runtime.closeGracefully().block(Duration.ofSeconds(30));

        assertThat(a.command("GET", "k")).isEqualTo("1");
        assertThat(commands).contains("SCRIPT", "EVALSHA");
        assertThat(threads).isNotEmpty().allMatch(name -> name.startsWith("caller-"));
        assertThat(channels.get()).isPositive();
        // The event bus publishes on its own scheduler: give it a moment.
        for (int i = 0; i < 200 && events.stream().noneMatch(ConnectionActivatedEvent.class::isInstance); i++) {
            Thread.sleep(10);
        }
        assertThat(events).hasAtLeastOneElementOfType(ConnectionActivatedEvent.class);
    }

    @Test
    void closingTheRuntimeLeavesTheCallersResourcesRunning(RedisServer a) throws Exception {
        TransactionRuntime runtime = RedisTransactionRuntime.create(
                RuntimeOptions.builder().participant("a", a.uri()).build(), resources);
        StepVerifier.create(runtime.inTransaction(tx -> tx.on("a").set("k", "1")))
                .verifyComplete();

        runtime.closeGracefully().block(Duration.ofSeconds(30));

        assertThat(resources.eventExecutorGroup().isShuttingDown()).isFalse();
        RedisClient client = RedisClient.create(resources);
        try (StatefulRedisConnection<String, String> connection = client.connect(RedisURI.create(a.uri()))) {
            assertThat(connection.sync().get("k")).isEqualTo("1");
        } finally {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Test
    void resourcesThatAreShutDownAreRefused(RedisServer a) throws Exception {
        resources.shutdown(0, 2, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
        RuntimeOptions options =
                RuntimeOptions.builder().participant("a", a.uri()).build();

        assertThatThrownBy(() -> RedisTransactionRuntime.create(options, resources))
                .isInstanceOf(RedtxArgumentException.class)
                .hasMessage("the clientResources given are shut down");
    }
}
