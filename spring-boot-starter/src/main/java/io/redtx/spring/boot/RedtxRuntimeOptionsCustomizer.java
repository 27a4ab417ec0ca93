package io.redtx.spring.boot;

import io.redtx.api.RuntimeOptions;

/**
 * Changes the {@link RuntimeOptions} that the auto-configuration builds from {@link RedtxProperties}, for what a
 * property cannot say: a key router, an observer, external (TCC) participants, sagas, a timer. Every bean of this type
 * is called, in {@link org.springframework.core.annotation.Order @Order}, on a builder that already holds the
 * properties and the Micrometer metrics (when bound); the options are built after the last one, and a value the
 * builder refuses fails the start-up.
 *
 * <pre>{@code
 * @Bean
 * RedtxRuntimeOptionsCustomizer sagas(SagaDefinition checkout) {
 *     return builder -> builder.saga(checkout);
 * }
 * }</pre>
 */
@FunctionalInterface
public interface RedtxRuntimeOptionsCustomizer {

    /**
     * Changes the options; called once, on the thread that creates the runtime bean.
     *
     * @param builder the options so far
     */
    void customize(RuntimeOptions.Builder builder);
}
