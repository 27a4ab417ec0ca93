package io.redtx.test.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Configures the {@link RedisServer} that {@link RedisExtension} injects into the annotated parameter. Without it the
 * server is {@link Persistence#IN_MEMORY} with no extra configuration.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface RedisConfig {

    /**
     * How the injected server keeps its data.
     *
     * @return the persistence; default {@link Persistence#IN_MEMORY}
     */
    Persistence persistence() default Persistence.IN_MEMORY;

    /**
     * Raw {@code redis.conf} lines added after the harness's own (see {@link RedisServer.Builder#config(String)}).
     *
     * @return the lines; default none
     */
    String[] config() default {};
}
