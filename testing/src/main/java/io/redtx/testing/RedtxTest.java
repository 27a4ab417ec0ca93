package io.redtx.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a JUnit 5 test class against embedded Redis participants: shorthand for
 * {@code @ExtendWith(RedtxExtension.class)} plus the participants' configuration.
 *
 * <p>For the annotated class the {@link RedtxExtension} starts one {@code redis-server} process per name in
 * {@link #participants()} (on free loopback ports), empties them before each test, and stops them by PID after the
 * class. Test methods, lifecycle methods and constructors may declare parameters of type {@link RedtxServers} (the
 * participants, their URIs, runtimes and assertions) and {@link io.redtx.api.TransactionRuntime} (a runtime over every
 * participant, closed after the test).
 *
 * <pre>{@code
 * @RedtxTest(participants = {"orders", "stock"})
 * class OrderServiceTest {
 *     @Test
 *     void placesAnOrder(RedtxServers servers, TransactionRuntime runtime) { ... }
 * }
 * }</pre>
 *
 * <p>The servers are shared by every test of the class, so the tests of one class must not run concurrently
 * (JUnit runs them one at a time unless parallel execution is switched on for methods).
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(RedtxExtension.class)
public @interface RedtxTest {

    /**
     * The participant names; one embedded server is started per name, in this order.
     *
     * @return unique names of 1 to 64 characters of {@code [A-Za-z0-9_.-]} (as {@link
     *     io.redtx.api.RuntimeOptions.Builder#participant} requires); default {@code {"a", "b", "c"}}
     */
    String[] participants() default {"a", "b", "c"};

    /**
     * Whether the servers persist every write before answering: an append-only file with {@code appendfsync always},
     * so an acknowledged commit survives {@link io.redtx.test.redis.RedisServer#kill() kill -9} and
     * {@link io.redtx.test.redis.RedisServer#restart() restart()}. Slower than the default, which keeps nothing on
     * disk.
     *
     * @return {@code true} for AOF with {@code appendfsync always}; default {@code false} (in memory only)
     */
    boolean durable() default false;
}
