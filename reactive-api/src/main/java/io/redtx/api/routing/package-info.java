/**
 * The key-routing SPI of redtx: a {@link io.redtx.api.routing.KeyRouter} names the participant that holds a key, so
 * that code can address keys without naming participants ({@link io.redtx.api.Transaction#routed()}). The default is
 * {@link io.redtx.api.routing.KeyRouter#consistentHashing(java.util.Collection)} over every participant.
 */
package io.redtx.api.routing;
