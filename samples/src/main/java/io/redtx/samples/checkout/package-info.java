/**
 * A checkout across Redis and two external resources: stock in Redis, a payment over HTTP ({@link
 * io.redtx.samples.checkout.PaymentService} and its TCC client {@link io.redtx.samples.checkout.HttpPaymentParticipant})
 * and the order record in SQL ({@link io.redtx.samples.checkout.SqlOrderParticipant} on an {@link
 * io.redtx.samples.checkout.H2Server}), all in one redtx transaction. The resources are real (loopback HTTP, an H2
 * server over TCP) and reusable by tests in other modules.
 */
package io.redtx.samples.checkout;
