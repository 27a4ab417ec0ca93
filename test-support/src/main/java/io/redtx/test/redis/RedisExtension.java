package io.redtx.test.redis;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstantiationAwareExtension.ExtensionContextScope;

/**
 * JUnit 5 extension that injects a freshly started {@link RedisServer} into every parameter of that type, of a test
 * method, lifecycle method or test-class constructor. Register it with {@link RedisTest @RedisTest} (or
 * {@code @ExtendWith(RedisExtension.class)}); configure a parameter's server with {@link RedisConfig @RedisConfig}.
 *
 * <p>Each parameter gets its own server, stored in the {@link ExtensionContext.Store} of the context that asked for
 * it; JUnit closes it (process stopped by pid, data directory deleted) when that context ends, whether the test
 * passed, failed or was aborted:
 *
 * <ul>
 *   <li>test method, {@code @BeforeEach} / {@code @AfterEach}: after that test method;
 *   <li>{@code @BeforeAll} / {@code @AfterAll}: after the whole class;
 *   <li>constructor: after the test method the instance was created for (the extension asks JUnit for the
 *       {@link ExtensionContextScope#TEST_METHOD TEST_METHOD} instantiation scope), or after the class with
 *       {@code @TestInstance(PER_CLASS)}.
 * </ul>
 *
 * <p>Closing relies on JUnit closing stored {@link AutoCloseable} values, which is on by default since JUnit 5.13;
 * with {@code junit.jupiter.extensions.store.close.autocloseable.enabled=false} the servers would only be killed at
 * JVM exit by the harness's shutdown hook.
 */
public final class RedisExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedisExtension.class);

    /** Creates the extension; JUnit does this when it meets {@link RedisTest @RedisTest}. */
    public RedisExtension() {}

    /**
     * Asks JUnit to resolve constructor parameters with the test-method context, so that a server injected into the
     * constructor of a per-method test instance is stopped after that test method rather than accumulating until
     * the end of the class.
     *
     * @param rootContext the root context
     * @return {@link ExtensionContextScope#TEST_METHOD}
     */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    /**
     * Supports exactly the parameters of type {@link RedisServer}.
     *
     * @param parameterContext the parameter
     * @param extensionContext the requesting context
     * @return whether the parameter's type is {@link RedisServer}
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RedisServer.class;
    }

    /**
     * Starts a server configured by the parameter's {@link RedisConfig} (if any) and registers it for closing when
     * {@code extensionContext} ends.
     *
     * @param parameterContext the parameter
     * @param extensionContext the requesting context, whose store owns the server
     * @return the running server
     * @throws ParameterResolutionException if the server cannot be started
     */
    @Override
    public RedisServer resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        RedisServer.Builder builder = RedisServer.builder();
        parameterContext.findAnnotation(RedisConfig.class).ifPresent(config -> {
            builder.persistence(config.persistence());
            for (String line : config.config()) {
                builder.config(line);
            }
        });
        RedisServer server;
        try {
            server = builder.start();
        } catch (RuntimeException e) {
            throw new ParameterResolutionException(
                    "Cannot start a redis-server for parameter " + parameterContext.getParameter() + " of "
                            + parameterContext.getDeclaringExecutable() + ": " + e.getMessage(),
                    e);
        }
        // RedisServer is AutoCloseable, which is what JUnit 5.13+ closes; the server itself is the unique key.
        extensionContext.getStore(NAMESPACE).put(server, server);
        return server;
    }
}
