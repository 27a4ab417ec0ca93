package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.model.SystemConfig;

/**
 * Qpid Broker-J in this JVM, speaking AMQP 0-9-1 on a free loopback port, user guest/guest (PLAIN, allowed without
 * TLS here), one virtual host that RabbitMQ clients reach as {@code /}. Its broker configuration is rebuilt from the
 * initial configuration at every start; the virtual host keeps its exchanges, queues and persistent messages in a
 * Derby store in the temporary directory, under a fixed node id, so that they survive {@link #stop()} and
 * {@link #start()} like a RabbitMQ restart.
 */
final class EmbeddedQpidBroker implements TestBroker {

    static {
        // Derby writes without forcing each commit to disk: the store outlives a restart of the broker in this JVM,
        // which is all the tests need, at a fraction of the cost of a sync per confirmed message.
        System.setProperty("derby.system.durability", "test");
        // Derby's log goes to the build's output, not into the module's directory.
        System.setProperty("derby.stream.error.file", "target/derby.log");
    }

    private static final String NODE_ID = "6b0d1c55-7d48-4a38-9d7c-3f2f9c1e0a11";

    private final Path dir;
    private final int port;
    private SystemLauncher launcher;

    private EmbeddedQpidBroker(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    static EmbeddedQpidBroker start(Path dir) {
        EmbeddedQpidBroker broker = new EmbeddedQpidBroker(dir, freePort());
        broker.start();
        return broker;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "embedded Qpid Broker-J";
    }

    int port() {
        return port;
    }

    @Override
    public ConnectionFactory connectionFactory() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(port);
        factory.setUsername("guest");
        factory.setPassword("guest");
        factory.setConnectionTimeout(2_000);
        factory.setHandshakeTimeout(5_000);
        factory.setShutdownTimeout(2_000);
        factory.setNetworkRecoveryInterval(200);
        return factory;
    }

    @Override
    public boolean canRestart() {
        return true;
    }

    @Override
    public synchronized void start() {
        if (launcher != null) {
            return;
        }
        try {
            Path config = dir.resolve("initial-config.json");
            Files.writeString(config, initialConfig(), StandardCharsets.UTF_8);
            Map<String, Object> attributes = new HashMap<>();
            attributes.put(SystemConfig.TYPE, "Memory");
            attributes.put(
                    SystemConfig.INITIAL_CONFIGURATION_LOCATION, config.toUri().toString());
            attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
            attributes.put(
                    "context",
                    Map.of(
                            SystemConfig.QPID_WORK_DIR,
                            dir.resolve("work").toString(),
                            "qpid.broker.defaultPreferenceStoreAttributes",
                            "{\"type\": \"Noop\"}"));
            SystemLauncher started = new SystemLauncher();
            started.startup(attributes);
            launcher = started;
        } catch (Exception e) {
            throw new IllegalStateException("the embedded Qpid broker did not start on port " + port, e);
        }
    }

    private String initialConfig() {
        String store = dir.resolve("store").toString().replace("\\", "\\\\");
        return """
                {
                  "name": "redtx-test-broker",
                  "modelVersion": "8.0",
                  "authenticationproviders": [ {
                    "name": "plain",
                    "type": "Plain",
                    "secureOnlyMechanisms": [],
                    "users": [ { "name": "guest", "type": "managed", "password": "guest" } ]
                  } ],
                  "ports": [ {
                    "name": "AMQP",
                    "port": "%d",
                    "bindingAddress": "127.0.0.1",
                    "protocols": [ "AMQP_0_9_1" ],
                    "authenticationProvider": "plain",
                    "virtualhostaliases": [
                      { "name": "nameAlias", "type": "nameAlias" },
                      { "name": "defaultAlias", "type": "defaultAlias" }
                    ]
                  } ],
                  "virtualhostnodes": [ {
                    "id": "%s",
                    "name": "default",
                    "type": "DERBY",
                    "storePath": "%s",
                    "defaultVirtualHostNode": "true",
                    "virtualHostInitialConfiguration": "{\\"type\\": \\"ProvidedStore\\"}"
                  } ]
                }
                """.formatted(port, NODE_ID, store);
    }

    @Override
    public synchronized void stop() {
        if (launcher != null) {
            SystemLauncher stopping = launcher;
            launcher = null;
            stopping.shutdown();
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // the temporary directory is left behind; nothing else depends on it
        }
    }

    @Override
    public String toString() {
        return name() + " on 127.0.0.1:" + port;
    }
}
