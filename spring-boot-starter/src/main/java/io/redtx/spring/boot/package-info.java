/**
 * Spring Boot auto-configuration of redtx: a {@link io.redtx.api.TransactionRuntime} bean from the {@code redtx.*}
 * properties ({@link io.redtx.spring.boot.RedtxProperties}), its Micrometer meters, a health indicator, and its
 * verification at start-up and graceful close at shutdown ({@link io.redtx.spring.boot.RedtxRuntimeLifecycle}). See
 * the project's {@code docs/spring-boot.md}.
 */
package io.redtx.spring.boot;
