/**
 * Test support for applications that use redtx.
 *
 * <ul>
 *   <li>{@link io.redtx.testing.RedtxTest @RedtxTest} ({@link io.redtx.testing.RedtxExtension}): a JUnit 5 extension
 *       that starts one embedded {@code redis-server} per participant for a test class, empties them before each
 *       test, stops them after the class, and injects {@link io.redtx.testing.RedtxServers} and
 *       {@link io.redtx.api.TransactionRuntime} parameters (runtimes closed after each test).
 *   <li>{@link io.redtx.testing.RedtxAssertions}: {@code StepVerifier}-friendly checks that no transaction left locks,
 *       index entries or PREPARED records, against the embedded servers or any real deployment.
 * </ul>
 *
 * <p>Embedded servers come from {@code redtx-test-support}: a {@code redis-server} on the {@code PATH}, the one named
 * by the environment variable {@code REDTX_REDIS_SERVER}, or the static Redis 7.0.15 binary of
 * {@code org.signal:embedded-redis} (Linux and macOS).
 */
package io.redtx.testing;
