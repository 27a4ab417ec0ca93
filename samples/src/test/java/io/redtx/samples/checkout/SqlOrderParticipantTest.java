package io.redtx.samples.checkout;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** The SQL order participant's TCC contract against a real H2 server over TCP, and its data outliving its clients. */
class SqlOrderParticipantTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Map<String, String> ORDER = SqlOrderParticipant.request("o-1", "alice", "sku-1", 2, 30);

    private H2Server server;
    private String url;
    private SqlOrderParticipant orders;

    @BeforeEach
    void start() {
        server = H2Server.start();
        url = server.r2dbcUrl("orders");
        orders = SqlOrderParticipant.create("orders-sql", url);
        orders.createSchema().block(WAIT);
    }

    @AfterEach
    void stop() {
        orders.close();
        server.close();
    }

    /** Runs {@code call} on a Reactor thread (where BlockHound watches) and waits for it to complete. */
    private static void ok(Mono<Void> call) {
        call.subscribeOn(Schedulers.parallel())
                .as(StepVerifier::create)
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void tryInsertsThePendingOrderAndConfirmPlacesItHoweverOftenEachIsCalled() {
        ok(orders.tryReserve("tx-1", ORDER));
        ok(orders.tryReserve("tx-1", ORDER));
        assertThat(orders.states().block(WAIT)).containsExactly(Map.entry("tx-1", SqlOrderParticipant.PENDING));
        ok(orders.confirm("tx-1"));
        ok(orders.confirm("tx-1"));
        assertThat(orders.states().block(WAIT)).containsExactly(Map.entry("tx-1", SqlOrderParticipant.PLACED));
        assertThat(orders.orders().block(WAIT))
                .containsExactly(new SqlOrderParticipant.Order(
                        "tx-1", "o-1", "alice", "sku-1", 2, 30, SqlOrderParticipant.PLACED));
        assertThat(orders.violations().block(WAIT)).isZero();
    }

    @Test
    void cancelCancelsATriedOrderAndRepeatsSucceed() {
        ok(orders.tryReserve("tx-1", ORDER));
        ok(orders.cancel("tx-1"));
        ok(orders.cancel("tx-1"));
        assertThat(orders.states().block(WAIT)).containsExactly(Map.entry("tx-1", SqlOrderParticipant.CANCELLED));
        assertThat(orders.orders().block(WAIT))
                .extracting(SqlOrderParticipant.Order::state)
                .containsExactly(SqlOrderParticipant.CANCELLED);
        assertThat(orders.violations().block(WAIT)).isZero();
    }

    @Test
    void cancelBeforeTheTryFencesTheLateTryWhichInsertsNothing() {
        ok(orders.cancel("tx-1"));
        orders.tryReserve("tx-1", ORDER)
                .as(StepVerifier::create)
                .expectError(OrderFencedException.class)
                .verify(WAIT);
        assertThat(orders.states().block(WAIT)).containsExactly(Map.entry("tx-1", SqlOrderParticipant.CANCELLED));
        assertThat(orders.orders().block(WAIT)).isEmpty();
    }

    @Test
    void confirmWithoutATryAndCancelAfterAConfirmAreCountedAndChangeNothing() {
        ok(orders.confirm("tx-1"));
        ok(orders.tryReserve("tx-2", ORDER));
        ok(orders.confirm("tx-2"));
        ok(orders.cancel("tx-2"));
        assertThat(orders.states().block(WAIT)).containsExactly(Map.entry("tx-2", SqlOrderParticipant.PLACED));
        assertThat(orders.violations().block(WAIT)).isEqualTo(2);
    }

    @Test
    void aParticipantCreatedAgainSeesWhatTheFirstOneWrote() {
        ok(orders.tryReserve("tx-1", ORDER));
        ok(orders.cancel("tx-2"));
        orders.close();

        orders = SqlOrderParticipant.create("orders-sql", url);
        orders.createSchema().block(WAIT); // idempotent: the tables stay as they are
        ok(orders.confirm("tx-1"));
        orders.tryReserve("tx-2", ORDER)
                .as(StepVerifier::create)
                .expectError(OrderFencedException.class)
                .verify(WAIT);
        assertThat(orders.states().block(WAIT))
                .containsOnly(
                        Map.entry("tx-1", SqlOrderParticipant.PLACED),
                        Map.entry("tx-2", SqlOrderParticipant.CANCELLED));
        assertThat(orders.violations().block(WAIT)).isZero();
    }

    @Test
    void aNewServerStartsFromEmptyDatabases() {
        ok(orders.tryReserve("tx-1", ORDER));
        orders.close();
        server.close();
        server = H2Server.start();
        orders = SqlOrderParticipant.create("orders-sql", server.r2dbcUrl("orders"));
        orders.createSchema().block(WAIT);
        assertThat(orders.states().block(WAIT)).isEmpty();
    }

    @Test
    void concurrentTriesAndCancelsOfTheSameIdsLeaveNoOrderPending() {
        List<Mono<Void>> work = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String id = "tx-" + i;
            // Either order: a try that wins is cancelled, a try that loses is fenced.
            work.add(orders.tryReserve(id, ORDER).onErrorResume(OrderFencedException.class, e -> Mono.empty()));
            work.add(orders.cancel(id));
        }
        Flux.fromIterable(work)
                .flatMap(m -> m.subscribeOn(Schedulers.parallel()), 16)
                .then()
                .as(StepVerifier::create)
                .expectComplete()
                .verify(Duration.ofSeconds(60));
        Map<String, String> states = orders.states().block(WAIT);
        assertThat(states).hasSize(50);
        assertThat(states.values()).containsOnly(SqlOrderParticipant.CANCELLED);
        assertThat(orders.orders().block(WAIT))
                .allSatisfy(o -> assertThat(o.state()).isEqualTo(SqlOrderParticipant.CANCELLED));
        assertThat(orders.violations().block(WAIT)).isZero();
    }
}
