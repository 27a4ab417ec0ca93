package io.redtx.runtime.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.redtx.api.RuntimeOptions;
import io.redtx.runtime.internal.Deadlines;
import io.redtx.runtime.internal.redis.Keys;
import io.redtx.runtime.internal.redis.LuaScript;
import io.redtx.runtime.internal.redis.Shard;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * What a resolver does with an intent it meets, step by step and without Redis (see {@link CommitProcessTest}): it
 * asks the shard, then the primary, and settles the intent as the primary's record decides, or leaves it.
 */
class ResolverTest {

    private static final String OWNER = "tx-dead";

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final RuntimeOptions options = RuntimeOptions.builder()
            .participant("a", "redis://127.0.0.1:6379") // never connected
            .participant("b", "redis://127.0.0.1:6380")
            .build();
    private final Keys keys = new Keys(options.namespace());
    private final ScriptedLink a = new ScriptedLink("a", keys);
    private final ScriptedLink b = new ScriptedLink("b", keys);
    private final RuntimeContext ctx =
            new RuntimeContext(options, keys, Map.of("a", a, "b", b), ProtocolHooks.NONE, new Deadlines(time));

    @AfterEach
    void disposeTime() {
        time.dispose();
    }

    /** inspect.lua's answer on a secondary: prepared, lease ended or not, record on {@code primary}. */
    private static Object[] preparedSecondary(boolean leaseExpired, String primary) {
        return new Object[] {"P", leaseExpired ? "1" : "0", primary, "0", "", "", ""};
    }

    @Test
    void anExpiredIntentWhosePrimaryCommittedIsRolledForward() {
        Shard where = b.shard(-1);
        StepVerifier.create(ctx.resolver.resolve(where, OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(true, "a")))
                .then(() -> {
                    ScriptedLink.Call ask = a.only(LuaScript.ABORT);
                    assertThat(ask.args())
                            .as("only if expired, on the primary's clock")
                            .endsWith("1", "1");
                    ask.reply("C");
                })
                .then(() -> b.only(LuaScript.COMMIT).reply("C"))
                .expectNext(Resolver.Outcome.ROLLED_FORWARD)
                .verifyComplete();
        assertThat(b.calls(LuaScript.ABORT)).isEmpty();
    }

    @Test
    void anExpiredIntentWhosePrimaryIsNowAbortedIsRolledBack() {
        StepVerifier.create(ctx.resolver.resolve(b.shard(-1), OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(true, "a")))
                .then(() -> a.only(LuaScript.ABORT).reply("A"))
                .then(() -> b.only(LuaScript.ABORT).reply("A"))
                .expectNext(Resolver.Outcome.ROLLED_BACK)
                .verifyComplete();
        assertThat(b.calls(LuaScript.COMMIT)).isEmpty();
    }

    @Test
    void anIntentWhoseLeaseThePrimarysClockStillRunsIsLeft() {
        StepVerifier.create(ctx.resolver.resolve(b.shard(-1), OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(true, "a")))
                .then(() -> a.only(LuaScript.ABORT).reply("LIVE"))
                .expectNext(Resolver.Outcome.LEFT)
                .verifyComplete();
        assertThat(b.calls()).hasSize(1);
    }

    @Test
    void anIntentWithALiveLeaseIsLeftWithoutAskingThePrimary() {
        StepVerifier.create(ctx.resolver.resolve(b.shard(-1), OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(false, "a")))
                .expectNext(Resolver.Outcome.LEFT)
                .verifyComplete();
        assertThat(a.calls()).isEmpty();
    }

    @Test
    void anIntentWhosePrimaryIsNoParticipantHereIsLeft() {
        StepVerifier.create(ctx.resolver.resolve(b.shard(-1), OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(true, "elsewhere")))
                .expectNext(Resolver.Outcome.LEFT)
                .verifyComplete();
        assertThat(a.calls()).isEmpty();
        assertThat(b.calls()).hasSize(1);
    }

    @Test
    void aPrimaryThatDoesNotAnswerLeavesTheIntentForALaterResolver() {
        StepVerifier.create(ctx.resolver.resolve(b.shard(-1), OWNER))
                .then(() -> b.only(LuaScript.INSPECT).reply(preparedSecondary(true, "a")))
                .then(() -> a.only(LuaScript.ABORT).error(new TimeoutException("no reply")))
                .expectNext(Resolver.Outcome.LEFT)
                .verifyComplete();
        assertThat(b.calls()).hasSize(1);
    }

    @Test
    void anExpiredCommittedRecordRollsEverySecondaryForwardThenIsForgotten() {
        StepVerifier.create(ctx.resolver.resolve(a.shard(-1), OWNER))
                .then(() -> a.only(LuaScript.INSPECT).reply("C", "1", "", "1", "a,b", "", ""))
                .then(() -> {
                    assertThat(a.calls(LuaScript.FORGET))
                            .as("not before every secondary")
                            .isEmpty();
                    b.only(LuaScript.COMMIT).reply("C");
                })
                .then(() -> a.only(LuaScript.FORGET).reply(1L))
                .expectNext(Resolver.Outcome.ROLLED_FORWARD)
                .verifyComplete();
    }

    @Test
    void aCommittedRecordWithAnUnreachableSecondaryStaysForTheNextPass() {
        StepVerifier.create(ctx.resolver.resolve(a.shard(-1), OWNER))
                .then(() -> a.only(LuaScript.INSPECT).reply("C", "1", "", "1", "a,b", "", ""))
                .then(() -> b.only(LuaScript.COMMIT).error(new TimeoutException("no reply")))
                .expectNext(Resolver.Outcome.LEFT)
                .verifyComplete();
        assertThat(a.calls(LuaScript.FORGET)).isEmpty();
    }
}
