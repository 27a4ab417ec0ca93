package io.redtx.test.tls;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority with a server and a client certificate, made when the test runs (valid from an hour ago for
 * one day), so nothing that expires is checked in. The server certificate is for {@code 127.0.0.1} and
 * {@code localhost} (subject alternative names), the one address {@link io.redtx.test.redis.RedisServer} binds to;
 * the client certificate is for client authentication (mutual TLS). Keys are EC P-256: quick to make.
 *
 * <p>Written into a directory as the files both sides need:
 *
 * <ul>
 *   <li>PEM, for {@code redis-server} and for PEM clients: {@link #caCertificate()}, {@link #serverCertificate()},
 *       {@link #serverKey()}, {@link #clientCertificate()}, {@link #clientKey()} (keys unencrypted PKCS#8);
 *   <li>PKCS#12 stores protected by {@link #password()}: {@link #truststore()} (the CA certificate) and
 *       {@link #clientKeystore()} (the client's key with its certificate chain).
 * </ul>
 *
 * <p>Two instances never trust each other: each has its own CA, which makes "wrong CA" tests easy.
 */
public final class TestCertificates {

    private static final String PASSWORD = "test-store-secret";
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes a new CA with a server certificate for {@code 127.0.0.1} and {@code localhost} and a client certificate,
     * and writes every file into {@code dir}.
     *
     * @param dir an existing, writable directory (a JUnit {@code @TempDir}, say); the files are named {@code ca.crt},
     *     {@code server.crt}, {@code server.key}, {@code client.crt}, {@code client.key}, {@code truststore.p12} and
     *     {@code client.p12}
     * @param name names the CA and the certificates' subjects, to tell two sets apart
     * @return the files
     * @throws IllegalStateException if the JDK lacks EC keys or Bouncy Castle fails
     * @throws UncheckedIOException if a file cannot be written
     */
    public static TestCertificates create(Path dir, String name) {
        return create(dir, name, "127.0.0.1", "localhost");
    }

    /**
     * Like {@link #create(Path, String)}, with a server certificate for other names only: a client that checks host
     * names refuses it at {@code 127.0.0.1}, one that checks only the chain accepts it.
     *
     * @param dir as for {@link #create(Path, String)}
     * @param name as for {@link #create(Path, String)}
     * @param serverNames the server certificate's subject alternative names, at least one: IPv4 addresses (digits
     *     and dots) or DNS names
     * @return the files
     */
    public static TestCertificates create(Path dir, String name, String... serverNames) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(name, "name");
        if (serverNames.length == 0) {
            throw new IllegalArgumentException("a server certificate needs at least one name");
        }
        GeneralName[] sans = new GeneralName[serverNames.length];
        for (int i = 0; i < sans.length; i++) {
            String host = serverNames[i];
            sans[i] = new GeneralName(host.matches("[0-9.]+") ? GeneralName.iPAddress : GeneralName.dNSName, host);
        }
        try {
            Instant now = Instant.now();
            KeyPair caKeys = keyPair();
            X500Name caName = new X500Name("CN=redtx test CA " + name);
            X509Certificate ca = sign(caName, caKeys, caName, caKeys.getPrivate(), now, builder -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            });

            KeyPair serverKeys = keyPair();
            X509Certificate server = sign(
                    new X500Name("CN=" + serverNames[0] + ", O=redtx test server " + name),
                    serverKeys,
                    caName,
                    caKeys.getPrivate(),
                    now,
                    builder -> {
                        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
                        // redis-server also presents this certificate as a client (replication, cluster bus).
                        builder.addExtension(
                                Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                                    KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                                }));
                    });

            KeyPair clientKeys = keyPair();
            X509Certificate client = sign(
                    new X500Name("CN=redtx test client " + name),
                    clientKeys,
                    caName,
                    caKeys.getPrivate(),
                    now,
                    builder -> builder.addExtension(
                            Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth)));

            TestCertificates files = new TestCertificates(dir);
            writePem(files.caCertificate(), "CERTIFICATE", ca.getEncoded());
            writePem(files.serverCertificate(), "CERTIFICATE", server.getEncoded());
            writePem(files.serverKey(), "PRIVATE KEY", serverKeys.getPrivate().getEncoded());
            writePem(files.clientCertificate(), "CERTIFICATE", client.getEncoded());
            writePem(files.clientKey(), "PRIVATE KEY", clientKeys.getPrivate().getEncoded());

            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            store(trust, files.truststore());

            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("client", clientKeys.getPrivate(), PASSWORD.toCharArray(), new Certificate[] {client, ca});
            store(keys, files.clientKeystore());
            return files;
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make test certificates", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write test certificates into " + dir, e);
        }
    }

    /** @return the CA certificate, PEM ({@code tls-ca-cert-file} of a server that checks client certificates) */
    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** @return the server certificate for {@code 127.0.0.1} and {@code localhost}, PEM */
    public Path serverCertificate() {
        return dir.resolve("server.crt");
    }

    /** @return the server's private key, unencrypted PKCS#8 PEM */
    public Path serverKey() {
        return dir.resolve("server.key");
    }

    /** @return the client certificate, PEM */
    public Path clientCertificate() {
        return dir.resolve("client.crt");
    }

    /** @return the client's private key, unencrypted PKCS#8 PEM */
    public Path clientKey() {
        return dir.resolve("client.key");
    }

    /** @return a PKCS#12 store holding the CA certificate, protected by {@link #password()} */
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /**
     * @return a PKCS#12 store holding the client's key and its chain (client, CA); the store and the key are protected
     *     by {@link #password()}
     */
    public Path clientKeystore() {
        return dir.resolve("client.p12");
    }

    /** @return a new copy of the password of {@link #truststore()} and {@link #clientKeystore()} */
    public char[] password() {
        return PASSWORD.toCharArray();
    }

    @Override
    public String toString() {
        return "TestCertificates[" + dir + "]";
    }

    private interface Extensions {
        void add(X509v3CertificateBuilder builder) throws IOException;
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static X509Certificate sign(
            X500Name subject,
            KeyPair subjectKeys,
            X500Name issuer,
            PrivateKey issuerKey,
            Instant now,
            Extensions extensions)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                issuer,
                new BigInteger(64, RANDOM).add(BigInteger.ONE),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                subjectKeys.getPublic());
        builder.addExtension(
                Extension.subjectKeyIdentifier,
                false,
                new JcaX509ExtensionUtils().createSubjectKeyIdentifier(subjectKeys.getPublic()));
        extensions.add(builder);
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(issuerKey)));
    }

    private static void writePem(Path file, String type, byte[] der) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        Files.writeString(
                file,
                "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n",
                StandardCharsets.US_ASCII);
    }

    private static void store(KeyStore store, Path file) throws IOException, GeneralSecurityException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, PASSWORD.toCharArray());
        }
    }
}
