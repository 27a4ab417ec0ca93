package io.redtx.relay.rabbitmq;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.File;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A RabbitMQ server the build was given: {@code REDTX_RABBITMQ_URI} (for example {@code
 * amqp://guest:guest@127.0.0.1:5672}), or, when {@code rabbitmq-server} is on the {@code PATH}, the default
 * {@code amqp://guest:guest@127.0.0.1:5672} if something answers there. It is restarted with {@code rabbitmqctl
 * stop_app} / {@code start_app} when that is on the {@code PATH} and the server is on this machine.
 */
final class ExternalRabbitBroker implements TestBroker {

    static final String URI_VARIABLE = "REDTX_RABBITMQ_URI";
    private static final String DEFAULT_URI = "amqp://guest:guest@127.0.0.1:5672";

    private final String uri;

    private ExternalRabbitBroker(String uri) {
        this.uri = uri;
    }

    /** @return the configured server, or why there is none */
    static Optional<String> configuredUri() {
        String uri = System.getenv(URI_VARIABLE);
        if (uri != null && !uri.isBlank()) {
            return Optional.of(uri);
        }
        if (onPath("rabbitmq-server") && reachable(DEFAULT_URI)) {
            return Optional.of(DEFAULT_URI);
        }
        return Optional.empty();
    }

    static ExternalRabbitBroker of(String uri) {
        return new ExternalRabbitBroker(uri);
    }

    private static boolean reachable(String uri) {
        ConnectionFactory factory = factory(uri);
        try (Connection c = factory.newConnection()) {
            return c.isOpen();
        } catch (Exception e) {
            return false;
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (new File(dir, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static ConnectionFactory factory(String uri) {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
        } catch (Exception e) {
            throw new IllegalArgumentException(URI_VARIABLE + " is not an AMQP URI: " + uri, e);
        }
        factory.setConnectionTimeout(2_000);
        factory.setHandshakeTimeout(5_000);
        factory.setShutdownTimeout(2_000);
        factory.setNetworkRecoveryInterval(200);
        return factory;
    }

    @Override
    public String name() {
        return "RabbitMQ at " + URI.create(uri).getHost() + ":"
                + URI.create(uri).getPort();
    }

    @Override
    public ConnectionFactory connectionFactory() {
        return factory(uri);
    }

    @Override
    public boolean canRestart() {
        String host = URI.create(uri).getHost();
        return onPath("rabbitmqctl") && ("127.0.0.1".equals(host) || "localhost".equals(host));
    }

    @Override
    public void stop() {
        rabbitmqctl("stop_app");
    }

    @Override
    public void start() {
        rabbitmqctl("start_app");
    }

    private static void rabbitmqctl(String command) {
        try {
            Process p = new ProcessBuilder("rabbitmqctl", command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("rabbitmqctl " + command + " took over 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("rabbitmqctl " + command + " exited with " + p.exitValue());
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException("rabbitmqctl " + command + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        // Not ours to stop; each test deletes the exchange and queue it declared.
    }

    @Override
    public String toString() {
        return name();
    }
}
