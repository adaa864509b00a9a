package io.glareresolver.sip.impl.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import javax.net.ssl.SSLContext;
/**
 * Whether the TLS listening point can open, decided before the JAIN-SIP RI sees the files: the key
 * store must exist, open with its password as PKCS#12 and hold a private key with its certificate;
 * a trust store, if set, must open too. The RI itself swallows such failures (it logs them to its
 * own, switched-off log and falls back to the JVM's default key material), so they are checked here
 * and refused with a reason an administrator can act on. Passwords never appear in a reason.
 *
 * <p>The RI reads its TLS key material from the stack properties it is created with
 * ({@code javax.net.ssl.keyStore}, {@code ...keyStorePassword}, {@code ...keyStoreType}, the same for
 * the trust store; {@code SipStackImpl} reads them from its own {@code Properties}, not from the
 * JVM's system properties), so the JVM-wide {@code javax.net.ssl.*} system properties are never set:
 * other bundles of the OSGi container keep theirs.
 */
public final class TlsKeyStore {

    /** The key store format the server reads (the JDK's PKCS12 type also opens JKS files). */
    static final String TYPE = "PKCS12";

    /**
     * The outcome: ready with the RI's stack properties and a description of the certificate for
     * the log, or refused with the reason.
     */
    public record Readiness(boolean ready, String reason, Properties stackProperties, String certificate) {

        static Readiness refused(String reason) {
            return new Readiness(false, reason, new Properties(), "");
        }
    }

    private TlsKeyStore() {
    }

    /** Checks the TLS settings of {@code s}; the key store path is read relative to the working directory. */
    public static Readiness check(ServerSettings s) {
        Path keys = s.tlsKeystore().toAbsolutePath();
        String password = s.tlsKeystorePassword();
        if (password == null) {
            return Readiness.refused(SettingsReader.TLS_KEYSTORE_PASSWORD + " is not set (no default password is "
                    + "shipped); set it to the password of " + keys);
        }
        KeyStore ks;
        try {
            ks = open(keys, password, SettingsReader.TLS_KEYSTORE);
        } catch (IllegalArgumentException e) {
            return Readiness.refused(e.getMessage());
        }
        String certificate;
        try {
            certificate = keyEntry(ks, password, keys);
        } catch (IllegalArgumentException e) {
            return Readiness.refused(e.getMessage());
        }
        Properties p = new Properties();
        p.setProperty("javax.net.ssl.keyStore", keys.toString());
        p.setProperty("javax.net.ssl.keyStorePassword", password);
        p.setProperty("javax.net.ssl.keyStoreType", TYPE);
        if (s.tlsTruststore() != null) {
            Path trust = s.tlsTruststore().toAbsolutePath();
            String trustPassword = s.tlsTruststorePassword() == null ? password : s.tlsTruststorePassword();
            try {
                KeyStore ts = open(trust, trustPassword, SettingsReader.TLS_TRUSTSTORE);
                if (ts.size() == 0) {
                    return Readiness.refused("trust store " + trust + " (" + SettingsReader.TLS_TRUSTSTORE
                            + ") holds no certificate");
                }
            } catch (IllegalArgumentException e) {
                return Readiness.refused(e.getMessage());
            } catch (GeneralSecurityException e) {
                return Readiness.refused("trust store " + trust + " cannot be read: " + e.getMessage());
            }
            p.setProperty("javax.net.ssl.trustStore", trust.toString());
            p.setProperty("javax.net.ssl.trustStorePassword", trustPassword);
        } else {
            // the RI's own default for its TLS sockets, said explicitly so that its other TLS code
            // (the NIO SecurityManagerProvider) agrees instead of falling back to the JVM's defaults
            p.setProperty("javax.net.ssl.trustStore", keys.toString());
            p.setProperty("javax.net.ssl.trustStorePassword", password);
        }
        p.setProperty("javax.net.ssl.trustStoreType", TYPE);
        // the RI's default suites are TLS_RSA_WITH_AES_128_CBC_SHA, 3DES and anonymous DH: none of
        // them works with TLS 1.3 or an EC key, and anonymous DH authenticates nobody
        p.setProperty("gov.nist.javax.sip.ENABLED_CIPHER_SUITES", String.join(",", cipherSuites()));
        // the RI applies these versions to its server and client sockets alike
        p.setProperty("gov.nist.javax.sip.TLS_CLIENT_PROTOCOLS", String.join(",", s.tlsProtocols()));
        // phones have no client certificates: none is asked for. ("DisabledAll" would also stop the
        // server checking the certificates of the peers it connects to; "Disabled" keeps that.)
        p.setProperty("gov.nist.javax.sip.TLS_CLIENT_AUTH_TYPE", "Disabled");
        // a peer that connects and never completes a handshake holds a thread at most this long (ms)
        p.setProperty("gov.nist.javax.sip.SSL_HANDSHAKE_TIMEOUT", "10000");
        return new Readiness(true, "", p, certificate);
    }

    /**
     * Forward-secret AEAD suites only: the TLS 1.3 ones and ECDHE with AES-GCM or ChaCha20-Poly1305
     * for TLS 1.2 (RFC 7525 §4.2 recommends these for TLS 1.2), those this JDK supports, in this order.
     */
    static List<String> cipherSuites() {
        List<String> wanted = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
        try {
            Set<String> supported = Set.of(SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
            return wanted.stream().filter(supported::contains).toList();
        } catch (GeneralSecurityException e) {
            return wanted;
        }
    }

    private static KeyStore open(Path file, String password, String key) {
        if (!Files.exists(file)) {
            return fail(key + " " + file + " does not exist; create it with keytool -genkeypair ... -storetype "
                    + "PKCS12 (see docs/operations.md, TLS)");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            return fail(key + " " + file + " is not a readable file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance(TYPE);
            ks.load(in, password.toCharArray());
            return ks;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                return fail(key + " " + file + " does not open with the configured password");
            }
            return fail(key + " " + file + " is not a PKCS#12 key store or its password is wrong (" + e.getMessage()
                    + ")");
        } catch (GeneralSecurityException e) {
            return fail(key + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** The first private key entry, described for the log; refused if there is none or it does not open. */
    private static String keyEntry(KeyStore ks, String password, Path file) {
        try {
            for (String alias : Collections.list(ks.aliases())) {
                if (!ks.isKeyEntry(alias)) {
                    continue;
                }
                Key key;
                try {
                    key = ks.getKey(alias, password.toCharArray());
                } catch (UnrecoverableKeyException e) {
                    return fail("the private key '" + alias + "' in " + file + " has another password than the "
                            + "key store (the RI needs one password for both)");
                }
                Certificate[] chain = ks.getCertificateChain(alias);
                if (key == null || chain == null || chain.length == 0) {
                    continue;
                }
                if (chain[0] instanceof X509Certificate x) {
                    return "'" + alias + "' " + x.getSubjectX500Principal().getName() + ", valid until "
                            + x.getNotAfter().toInstant();
                }
                return "'" + alias + "'";
            }
        } catch (GeneralSecurityException e) {
            return fail("the key store " + file + " cannot be read: " + e.getMessage());
        }
        return fail(SettingsReader.TLS_KEYSTORE + " " + file + " holds no private key with a certificate");
    }

    private static <T> T fail(String reason) {
        throw new IllegalArgumentException(reason);
    }
}
