/**
 * Spring transactions on redtx: {@link io.redtx.spring.transaction.RedtxTransactionManager}, a
 * {@code ReactiveTransactionManager} that lets {@code @Transactional} methods returning {@code Mono}/{@code Flux} and
 * {@code TransactionalOperator} demarcate redtx transactions; {@link io.redtx.spring.transaction.RedtxTransactions} to
 * find the current one; {@link io.redtx.spring.transaction.RedtxTemplate} for commands that join it or run alone; and
 * {@link io.redtx.spring.transaction.RedtxRetry} to retry a whole transaction after a conflict. Needs spring-tx on the
 * class path; the starter configures them ({@code io.redtx.spring.boot.RedtxTransactionAutoConfiguration}). See the
 * project's {@code docs/spring-boot.md}, section "Transactions with @Transactional".
 */
package io.redtx.spring.transaction;
