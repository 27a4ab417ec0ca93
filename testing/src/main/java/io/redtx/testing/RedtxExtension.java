package io.redtx.testing;

import io.redtx.api.TransactionRuntime;
import java.lang.reflect.AnnotatedElement;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstantiationAwareExtension.ExtensionContextScope;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 extension behind {@link RedtxTest @RedtxTest}: embedded Redis participants for a test class, emptied
 * before each test, and runtimes over them that are closed after each test.
 *
 * <ul>
 *   <li>Before the class ({@code BeforeAllCallback}): starts one {@code redis-server} per participant of the
 *       {@link RedtxTest} on the class (defaults when the extension is registered with {@code @ExtendWith} alone), on
 *       free loopback ports, with AOF {@code appendfsync always} if {@link RedtxTest#durable()}. A {@code @Nested}
 *       class without its own {@code @RedtxTest} shares its enclosing class's servers.
 *   <li>Before each test ({@code BeforeEachCallback}, so before the test's own {@code @BeforeEach} methods): continues
 *       a server the previous test paused, restarts one it killed or stopped, then {@code FLUSHALL} on every server.
 *   <li>Parameters of type {@link RedtxServers} and {@link TransactionRuntime} of test methods, lifecycle methods and
 *       constructors: one {@code RedtxServers} per JUnit context, and one default runtime per context (all
 *       participants, default options). Runtimes are closed gracefully, bounded, when that context ends: after the
 *       test method for method, {@code @BeforeEach}/{@code @AfterEach} and constructor parameters (the extension asks
 *       for the {@link ExtensionContextScope#TEST_METHOD TEST_METHOD} instantiation scope), after the class for
 *       {@code @BeforeAll}/{@code @AfterAll} parameters and {@code PER_CLASS} constructors.
 *   <li>After the class: closes the runtimes still open, then stops every server by pid and deletes its data
 *       directory (as {@code io.redtx.test.redis.RedisServer#close()} does). A JVM that dies first leaves nothing
 *       behind either: test-support's shutdown hook and orphan reaper stop the processes.
 * </ul>
 *
 * <p>Closing relies on JUnit closing {@link AutoCloseable} values of its extension stores (the default since JUnit
 * 5.13).
 */
public final class RedtxExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RedtxExtension.class);

    /** Creates the extension; JUnit does this when it meets {@link RedtxTest @RedtxTest}. */
    public RedtxExtension() {}

    /**
     * Starts the servers of the class (once; a {@code @Nested} class reuses its enclosing class's).
     *
     * @param context the class's context
     * @throws ExtensionConfigurationException if the participants are invalid or a server cannot start
     */
    @Override
    public void beforeAll(ExtensionContext context) {
        group(context);
    }

    /**
     * Resumes, restarts and empties every server before a test.
     *
     * @param context the test's context
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        group(context).prepareForTest();
    }

    /**
     * Resolves constructor parameters in the test method's context, so that a runtime injected into the constructor of
     * a per-method test instance is closed after that test method rather than after the class.
     *
     * @param rootContext the root context
     * @return {@link ExtensionContextScope#TEST_METHOD}
     */
    @Override
    public ExtensionContextScope getTestInstantiationExtensionContextScope(ExtensionContext rootContext) {
        return ExtensionContextScope.TEST_METHOD;
    }

    /**
     * Supports exactly the parameters of type {@link RedtxServers} and {@link TransactionRuntime}.
     *
     * @param parameterContext the parameter
     * @param extensionContext the requesting context
     * @return whether the parameter is of one of those types
     */
    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == RedtxServers.class || type == TransactionRuntime.class;
    }

    /**
     * The {@link RedtxServers} of the requesting context, or its default runtime (made on first request, shared by
     * every {@code TransactionRuntime} parameter of that context).
     *
     * @param parameterContext the parameter
     * @param extensionContext the requesting context, which owns the runtimes
     * @return the servers or the runtime
     * @throws ParameterResolutionException if the servers or the runtime cannot be made
     */
    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            RedtxServers servers = scope(extensionContext).servers();
            return parameterContext.getParameter().getType() == RedtxServers.class ? servers : servers.defaultRuntime();
        } catch (RuntimeException e) {
            throw new ParameterResolutionException(
                    "Cannot resolve parameter " + parameterContext.getParameter() + " of "
                            + parameterContext.getDeclaringExecutable() + ": " + e.getMessage(),
                    e);
        }
    }

    private static RuntimeScope scope(ExtensionContext context) {
        ServerGroup group = group(context);
        // Stores see their parents' values: the key names this very context, so that a test never gets the scope
        // (and the runtimes) of its class.
        return context.getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        "scope:" + context.getUniqueId(),
                        key -> new RuntimeScope(group, describe(context)),
                        RuntimeScope.class);
    }

    private static ServerGroup group(ExtensionContext context) {
        ExtensionContext owner = null;
        RedtxTest config = null;
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            Optional<AnnotatedElement> element = c.getElement();
            if (c.getTestMethod().isPresent() || element.isEmpty() || !(element.get() instanceof Class)) {
                continue;
            }
            owner = c; // the outermost class so far: the owner when no class carries the annotation
            Optional<RedtxTest> found = AnnotationSupport.findAnnotation(element.get(), RedtxTest.class);
            if (found.isPresent()) {
                config = found.get();
                break;
            }
        }
        if (owner == null) {
            throw new ExtensionConfigurationException("RedtxExtension needs a test class: " + context.getUniqueId());
        }
        String[] names = config == null ? new String[] {"a", "b", "c"} : config.participants();
        boolean durable = config != null && config.durable();
        String ownerId = owner.getUniqueId();
        return owner.getStore(NAMESPACE)
                .getOrComputeIfAbsent(
                        "servers:" + ownerId,
                        key -> {
                            try {
                                return ServerGroup.start(Arrays.asList(names), durable);
                            } catch (RuntimeException e) {
                                throw new ExtensionConfigurationException(
                                        "@RedtxTest cannot start participants " + Arrays.toString(names) + " for "
                                                + ownerId + ": " + e.getMessage(),
                                        e);
                            }
                        },
                        ServerGroup.class);
    }

    private static String describe(ExtensionContext context) {
        return context.getTestMethod()
                .map(m -> "test " + m.getDeclaringClass().getSimpleName() + "." + m.getName() + "()")
                .orElseGet(() ->
                        "class " + context.getTestClass().map(Class::getName).orElse(context.getUniqueId()));
    }
}
