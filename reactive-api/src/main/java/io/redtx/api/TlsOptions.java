package io.redtx.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS settings of one participant beyond what its {@code rediss://} URI says: which certificates to trust, the client
 * certificate for mutual TLS, and how to verify the server. Immutable; build with {@link #builder()} and pass to
 * {@link RuntimeOptions.Builder#participant(String, String, TlsOptions)}, which reads every file at once and refuses
 * options it cannot use.
 *
 * <pre>{@code
 * RuntimeOptions.builder()
 *         .participant("eu", "rediss://eu-redis:6380", TlsOptions.builder()
 *                 .trustedCertificates(Path.of("/etc/redtx/ca.crt"))
 *                 .clientCertificate(Path.of("/etc/redtx/client.crt"), Path.of("/etc/redtx/client.key"))
 *                 .build())
 *         .build();
 * }</pre>
 *
 * <p>Without a truststore or trusted certificates the JVM's default trust store applies; without a keystore or client
 * certificate the client presents none. Files are read when the options are given to a participant (to check them)
 * and again when a runtime is created, never while connecting: a renewed certificate takes effect in the next runtime.
 * Passwords are copied, never shown ({@link #toString()} says only whether one is set).
 */
public final class TlsOptions {

    /** How the server's certificate is checked; Lettuce's {@code SslVerifyMode} of the same name. */
    public enum VerifyPeer {
        /** Its chain must lead to a trusted certificate and it must be issued for the host name of the URI (default). */
        FULL,
        /** Its chain must lead to a trusted certificate; any host name. */
        CA,
        /** Not checked at all: encryption without authentication of the server, for tests only. */
        NONE
    }

    /** The password of the in-memory store that holds a PEM client key; it never leaves the JVM. */
    private static final char[] IN_MEMORY = "redtx".toCharArray();

    private final Path truststore;
    private final char[] truststorePassword;
    private final Path trustedCertificates;
    private final Path keystore;
    private final char[] keystorePassword;
    private final Path certificateChain;
    private final Path privateKey;
    private final VerifyPeer verifyPeer;

    private TlsOptions(Builder b) {
        this.truststore = b.truststore;
        this.truststorePassword = copy(b.truststorePassword);
        this.trustedCertificates = b.trustedCertificates;
        this.keystore = b.keystore;
        this.keystorePassword = copy(b.keystorePassword);
        this.certificateChain = b.certificateChain;
        this.privateKey = b.privateKey;
        this.verifyPeer = b.verifyPeer;
    }

    /** @return a builder: no truststore, no client certificate, {@link VerifyPeer#FULL} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the JKS or PKCS#12 store of trusted certificates, if set */
    public Optional<Path> truststore() {
        return Optional.ofNullable(truststore);
    }

    /** @return the PEM file of trusted (CA) certificates, if set */
    public Optional<Path> trustedCertificates() {
        return Optional.ofNullable(trustedCertificates);
    }

    /** @return the JKS or PKCS#12 store of the client's key and certificate chain, if set */
    public Optional<Path> keystore() {
        return Optional.ofNullable(keystore);
    }

    /** @return the PEM file of the client's certificate chain, if set (with {@link #privateKey()}) */
    public Optional<Path> certificateChain() {
        return Optional.ofNullable(certificateChain);
    }

    /** @return the PEM file of the client's private key, if set (with {@link #certificateChain()}) */
    public Optional<Path> privateKey() {
        return Optional.ofNullable(privateKey);
    }

    /** @return how the server's certificate is checked (default {@link VerifyPeer#FULL}) */
    public VerifyPeer verifyPeer() {
        return verifyPeer;
    }

    /**
     * Reads the trusted certificates now, from {@link #truststore()} or {@link #trustedCertificates()}.
     *
     * @return trust managers for them; empty when neither is set (the JVM's default trust store applies)
     * @throws RedtxArgumentException naming the file and what is wrong (missing, unreadable, wrong password, no
     *     certificate in it); never the password
     */
    public Optional<TrustManagerFactory> trustManagerFactory() {
        if (truststore == null && trustedCertificates == null) {
            return Optional.empty();
        }
        KeyStore store;
        if (truststore != null) {
            store = load("truststore", truststore, truststorePassword);
            if (!holds(store, false)) {
                throw problem("truststore", truststore, "holds no certificate");
            }
        } else {
            List<X509Certificate> certificates = certificates("trusted certificates", trustedCertificates);
            try {
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                for (int i = 0; i < certificates.size(); i++) {
                    store.setCertificateEntry("trusted-" + i, certificates.get(i));
                }
            } catch (GeneralSecurityException | IOException e) {
                throw problem("trusted certificates", trustedCertificates, "cannot be used: " + e.getMessage());
            }
        }
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return Optional.of(factory);
        } catch (GeneralSecurityException e) {
            Path file = truststore != null ? truststore : trustedCertificates;
            throw problem(truststore != null ? "truststore" : "trusted certificates", file, e.getMessage());
        }
    }

    /**
     * Reads the client's key and certificate chain now, from {@link #keystore()} or {@link #certificateChain()} and
     * {@link #privateKey()}.
     *
     * @return key managers presenting them to the server; empty when neither is set (no client certificate)
     * @throws RedtxArgumentException naming the file and what is wrong (missing, unreadable, wrong password, no key in
     *     it, a key that is not unencrypted PKCS#8 or does not match the certificate); never the password
     */
    public Optional<KeyManagerFactory> keyManagerFactory() {
        if (keystore == null && certificateChain == null) {
            return Optional.empty();
        }
        KeyStore store;
        char[] password;
        Path file;
        String what;
        if (keystore != null) {
            file = keystore;
            what = "keystore";
            store = load(what, keystore, keystorePassword);
            password = keystorePassword;
            if (!holds(store, true)) {
                throw problem(what, keystore, "holds no private key");
            }
        } else {
            List<X509Certificate> chain = certificates("certificate chain", certificateChain);
            PrivateKey key = privateKey(chain.get(0));
            file = privateKey;
            what = "private key";
            password = IN_MEMORY;
            try {
                store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", key, IN_MEMORY, chain.toArray(new Certificate[0]));
            } catch (GeneralSecurityException | IOException e) {
                throw problem(what, file, "cannot be used: " + e.getMessage());
            }
        }
        try {
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            return Optional.of(factory);
        } catch (UnrecoverableKeyException e) {
            throw problem(what, file, "has a key that its password does not open (the key needs the store's password)");
        } catch (GeneralSecurityException e) {
            throw problem(what, file, e.getMessage());
        }
    }

    /** A JKS or PKCS#12 store, whichever the file is. */
    private static KeyStore load(String what, Path file, char[] password) {
        readable(what, file);
        try {
            return KeyStore.getInstance(file.toFile(), password);
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw problem(what, file, "cannot be opened: its password is wrong");
            }
            throw problem(what, file, "cannot be read: " + e.getMessage());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw problem(what, file, "is not a JKS or PKCS#12 store: " + e.getMessage());
        }
    }

    private static boolean holds(KeyStore store, boolean keys) {
        try {
            for (String alias : Collections.list(store.aliases())) {
                if (keys ? store.isKeyEntry(alias) : store.isCertificateEntry(alias)) {
                    return true;
                }
            }
            return false;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<X509Certificate> certificates(String what, Path file) {
        readable(what, file);
        List<X509Certificate> certificates = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) c);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw problem(what, file, "is not a PEM file of X.509 certificates: " + e.getMessage());
        }
        if (certificates.isEmpty()) {
            throw problem(what, file, "holds no certificate");
        }
        return certificates;
    }

    /** The unencrypted PKCS#8 key of {@link #privateKey}, checked to belong to {@code certificate}. */
    private PrivateKey privateKey(X509Certificate certificate) {
        String what = "private key";
        readable(what, privateKey);
        String text;
        try {
            text = Files.readString(privateKey, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw problem(what, privateKey, "cannot be read: " + e.getMessage());
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        int start = text.indexOf(begin);
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (start < 0 || end < start) {
            String found = text.contains("ENCRYPTED PRIVATE KEY")
                    ? "an encrypted key (use a PKCS#12 keystore for a key with a password)"
                    : text.contains("RSA PRIVATE KEY") || text.contains("EC PRIVATE KEY")
                            ? "a PKCS#1 or SEC1 key (convert it: openssl pkcs8 -topk8 -nocrypt)"
                            : "no key";
            throw problem(what, privateKey, "is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY): found " + found);
        }
        String algorithm = certificate.getPublicKey().getAlgorithm();
        PrivateKey key;
        try {
            byte[] der = Base64.getMimeDecoder().decode(text.substring(start + begin.length(), end));
            key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw problem(what, privateKey, "is not a " + algorithm + " key like the certificate's: " + e.getMessage());
        }
        if (!matches(key, certificate)) {
            throw problem(
                    what,
                    privateKey,
                    "does not belong to the first certificate of the chain ("
                            + certificate.getSubjectX500Principal().getName() + ")");
        }
        return key;
    }

    /** Signs a few bytes with the key and checks them with the certificate; true when the key type has no test. */
    private static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        try {
            byte[] probe = "redtx".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature check = Signature.getInstance(algorithm);
            check.initVerify(certificate.getPublicKey());
            check.update(probe);
            return check.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void readable(String what, Path file) {
        if (!Files.isRegularFile(file)) {
            throw problem(what, file, "does not exist or is not a file");
        }
        if (!Files.isReadable(file)) {
            throw problem(what, file, "cannot be read (permissions)");
        }
    }

    private static RedtxArgumentException problem(String what, Path file, String problem) {
        return new RedtxArgumentException(null, "TLS " + what + " '" + file + "' " + problem);
    }

    private static char[] copy(char[] password) {
        return password == null ? null : password.clone();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("TlsOptions{");
        if (truststore != null) {
            s.append("truststore=")
                    .append(truststore)
                    .append(password(truststorePassword))
                    .append(", ");
        }
        if (trustedCertificates != null) {
            s.append("trustedCertificates=").append(trustedCertificates).append(", ");
        }
        if (keystore != null) {
            s.append("keystore=")
                    .append(keystore)
                    .append(password(keystorePassword))
                    .append(", ");
        }
        if (certificateChain != null) {
            s.append("certificateChain=")
                    .append(certificateChain)
                    .append(", privateKey=")
                    .append(privateKey)
                    .append(", ");
        }
        return s.append("verifyPeer=").append(verifyPeer).append('}').toString();
    }

    private static String password(char[] password) {
        return password == null || password.length == 0 ? " (no password)" : " (password set)";
    }

    /**
     * Builds {@link TlsOptions}. Each setter checks its arguments at once ({@link IllegalArgumentException});
     * {@link #build()} checks that the settings fit together. Files are read later, by
     * {@link RuntimeOptions.Builder#participant(String, String, TlsOptions)}.
     */
    public static final class Builder {
        private Path truststore;
        private char[] truststorePassword;
        private Path trustedCertificates;
        private Path keystore;
        private char[] keystorePassword;
        private Path certificateChain;
        private Path privateKey;
        private VerifyPeer verifyPeer = VerifyPeer.FULL;

        private Builder() {}

        /**
         * Trusts the certificates of a JKS or PKCS#12 store (the type is found from the file), instead of the JVM's
         * default trust store. Not with {@link #trustedCertificates(Path)}.
         *
         * @param file the store, not null
         * @param password its password, copied; null or empty for a store without one
         * @return this builder
         */
        public Builder truststore(Path file, char[] password) {
            this.truststore = notNull("truststore", file);
            this.truststorePassword = copy(password);
            return this;
        }

        /**
         * Trusts the X.509 certificates of a PEM file (one or more {@code BEGIN CERTIFICATE} blocks: the CA that signs
         * the servers' certificates), instead of the JVM's default trust store. Not with
         * {@link #truststore(Path, char[])}.
         *
         * @param pemFile the file, not null
         * @return this builder
         */
        public Builder trustedCertificates(Path pemFile) {
            this.trustedCertificates = notNull("trustedCertificates", pemFile);
            return this;
        }

        /**
         * Presents the client key and certificate chain of a JKS or PKCS#12 store to servers that ask for one (mutual
         * TLS). The key must have the store's password. Not with {@link #clientCertificate(Path, Path)}.
         *
         * @param file the store, not null
         * @param password the password of the store and its key, copied; not null
         * @return this builder
         */
        public Builder keystore(Path file, char[] password) {
            this.keystore = notNull("keystore", file);
            this.keystorePassword = notNull("keystore password", password).clone();
            return this;
        }

        /**
         * Presents a client certificate from PEM files to servers that ask for one (mutual TLS). Not with
         * {@link #keystore(Path, char[])}.
         *
         * @param certificateChain the client's certificate first, then any intermediate CA certificates, not null
         * @param privateKey the client's private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}, what
         *     {@code openssl genpkey} writes); RSA, EC or Ed25519; not null. A key with a password needs a keystore
         * @return this builder
         */
        public Builder clientCertificate(Path certificateChain, Path privateKey) {
            this.certificateChain = notNull("certificateChain", certificateChain);
            this.privateKey = notNull("privateKey", privateKey);
            return this;
        }

        /**
         * @param mode how the server's certificate is checked, not null (default {@link VerifyPeer#FULL}); the URI
         *     must then not say {@code verifyPeer} itself
         * @return this builder
         */
        public Builder verifyPeer(VerifyPeer mode) {
            this.verifyPeer = notNull("verifyPeer", mode);
            return this;
        }

        /**
         * @return the options
         * @throws IllegalArgumentException if both a truststore and trusted certificates are set, or both a keystore
         *     and a client certificate, or trust settings with {@link VerifyPeer#NONE} (which would ignore them)
         */
        public TlsOptions build() {
            if (truststore != null && trustedCertificates != null) {
                throw new IllegalArgumentException("set either truststore or trustedCertificates, not both");
            }
            if (keystore != null && certificateChain != null) {
                throw new IllegalArgumentException("set either keystore or clientCertificate, not both");
            }
            if (verifyPeer == VerifyPeer.NONE && (truststore != null || trustedCertificates != null)) {
                throw new IllegalArgumentException(
                        "verifyPeer NONE checks no certificate: a truststore or trustedCertificates would be ignored");
            }
            return new TlsOptions(this);
        }

        private static <T> T notNull(String what, T value) {
            if (value == null) {
                throw new IllegalArgumentException(what + " must not be null");
            }
            return value;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsOptions t
                && Objects.equals(truststore, t.truststore)
                && Arrays.equals(truststorePassword, t.truststorePassword)
                && Objects.equals(trustedCertificates, t.trustedCertificates)
                && Objects.equals(keystore, t.keystore)
                && Arrays.equals(keystorePassword, t.keystorePassword)
                && Objects.equals(certificateChain, t.certificateChain)
                && Objects.equals(privateKey, t.privateKey)
                && verifyPeer == t.verifyPeer;
    }

    @Override
    public int hashCode() {
        return Objects.hash(truststore, trustedCertificates, keystore, certificateChain, privateKey, verifyPeer);
    }
}
