package io.redtx.test.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class whose constructor, lifecycle methods and test methods may declare {@link RedisServer}
 * parameters; shorthand for {@code @ExtendWith(RedisExtension.class)}. See {@link RedisExtension} for when each
 * injected server is stopped.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(RedisExtension.class)
public @interface RedisTest {}
