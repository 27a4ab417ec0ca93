/**
 * Certificates for TLS tests, made when the test runs: {@link io.redtx.test.tls.TestCertificates} writes a CA, a
 * server certificate for {@code 127.0.0.1} and a client certificate as PEM files and PKCS#12 stores, for a
 * {@link io.redtx.test.redis.RedisServer} started with {@link io.redtx.test.redis.RedisServer.Builder#tls} and for the
 * clients that connect to it.
 */
package io.redtx.test.tls;
