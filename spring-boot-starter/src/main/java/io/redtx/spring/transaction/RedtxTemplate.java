package io.redtx.spring.transaction;

import io.redtx.api.KeyCommands;
import io.redtx.api.Transaction;
import io.redtx.api.TransactionRuntime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Redis commands in the style of Spring Data Redis's {@code ReactiveRedisTemplate}, each of which joins the redtx
 * transaction in progress (the one {@link RedtxTransactionManager} bound for this template's runtime) or, outside
 * one, runs alone in a transaction of its own:
 *
 * <pre>{@code
 * @Transactional
 * public Mono<Void> transfer(String from, String to, long cents) {
 *     return template.opsFor("eu").decrBy(from, cents)
 *             .then(template.opsFor("us").incrBy(to, cents))
 *             .then();
 * }
 * }</pre>
 *
 * <p>Inside a transaction a write is buffered and applied by the commit, and a read sees the transaction's own writes
 * and is validated at commit. Outside one, every call is its own transaction through
 * {@link TransactionRuntime#inTransaction}: committed (and retried after a conflict as the runtime's retry policy
 * says) before its {@code Mono} completes; two such calls are two transactions. Every method is lazy: nothing happens
 * before subscription, and whether a transaction is in progress is looked up then, in the subscriber's context.
 * Errors are those of {@link KeyCommands} and of the commit.
 */
public class RedtxTemplate {

    private final TransactionRuntime runtime;

    /** @param runtime the runtime, the same one the {@link RedtxTransactionManager} uses, not null */
    public RedtxTemplate(TransactionRuntime runtime) {
        this.runtime = Objects.requireNonNull(runtime, "runtime");
    }

    /** @return the runtime */
    public TransactionRuntime getRuntime() {
        return runtime;
    }

    /**
     * Runs {@code work} in the current transaction, or in a transaction of its own when none is in progress.
     *
     * @param work what to do with the handle; called once per subscription
     * @param <T> the value type
     * @return the work's first value (after the commit, when it ran alone)
     */
    public <T> Mono<T> execute(Function<? super Transaction, ? extends Publisher<T>> work) {
        Objects.requireNonNull(work, "work");
        return RedtxTransactions.find(runtime)
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty())
                .flatMap(joined -> joined.isPresent()
                        ? Mono.from(work.apply(joined.get().transaction()))
                        : runtime.inTransaction(work));
    }

    /**
     * @param participant a participant of the runtime
     * @return commands on its keys
     */
    public Operations opsFor(String participant) {
        Objects.requireNonNull(participant, "participant");
        return new Operations(tx -> tx.on(participant));
    }

    /** @return commands whose keys the runtime's key router places ({@link Transaction#routed()}) */
    public Operations routed() {
        return new Operations(Transaction::routed);
    }

    /**
     * Commands on one participant's keys (or routed ones), each run as {@link #execute} says. See {@link KeyCommands}
     * for what each does.
     */
    public final class Operations {

        private final Function<Transaction, KeyCommands> commands;

        private Operations(Function<Transaction, KeyCommands> commands) {
            this.commands = commands;
        }

        /**
         * @param key the key
         * @return its value, or empty
         */
        public Mono<String> get(String key) {
            return execute(tx -> commands.apply(tx).get(key));
        }

        /**
         * @param key the key
         * @param value its new value
         * @return completes when buffered (in a transaction) or committed (alone)
         */
        public Mono<Void> set(String key, String value) {
            return execute(tx -> commands.apply(tx).set(key, value));
        }

        /**
         * @param key the key
         * @param value the value to set if the key has none
         * @return whether it was set
         */
        public Mono<Boolean> setIfAbsent(String key, String value) {
            return execute(tx -> commands.apply(tx).setIfAbsent(key, value));
        }

        /**
         * @param key the key to delete
         * @return completes when buffered or committed
         */
        public Mono<Void> delete(String key) {
            return execute(tx -> commands.apply(tx).del(key));
        }

        /**
         * @param key the key holding an integer (absent counts as 0)
         * @param delta what to add
         * @return the new value
         */
        public Mono<Long> incrBy(String key, long delta) {
            return execute(tx -> commands.apply(tx).incrBy(key, delta));
        }

        /**
         * @param key the key holding an integer (absent counts as 0)
         * @param delta what to subtract
         * @return the new value
         */
        public Mono<Long> decrBy(String key, long delta) {
            return execute(tx -> commands.apply(tx).decrBy(key, delta));
        }

        /**
         * @param key the hash
         * @param field the field
         * @return its value, or empty
         */
        public Mono<String> hget(String key, String field) {
            return execute(tx -> commands.apply(tx).hget(key, field));
        }

        /**
         * @param key the hash
         * @return every field and value (empty map for no hash)
         */
        public Mono<Map<String, String>> hgetAll(String key) {
            return execute(tx -> commands.apply(tx).hgetAll(key));
        }

        /**
         * @param key the hash
         * @param field the field
         * @param value its new value
         * @return completes when buffered or committed
         */
        public Mono<Void> hset(String key, String field, String value) {
            return execute(tx -> commands.apply(tx).hset(key, field, value));
        }

        /**
         * @param key the hash
         * @param fields fields and values to set
         * @return completes when buffered or committed
         */
        public Mono<Void> hset(String key, Map<String, String> fields) {
            return execute(tx -> commands.apply(tx).hset(key, fields));
        }

        /**
         * @param key the hash
         * @param fields the fields to delete
         * @return completes when buffered or committed
         */
        public Mono<Void> hdel(String key, String... fields) {
            return execute(tx -> commands.apply(tx).hdel(key, fields));
        }

        /**
         * @param key the hash
         * @param field a field holding an integer (absent counts as 0)
         * @param delta what to add
         * @return the new value
         */
        public Mono<Long> hincrBy(String key, String field, long delta) {
            return execute(tx -> commands.apply(tx).hincrBy(key, field, delta));
        }
    }
}
