package io.glareresolver.sip.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks made before the RI sees a key store: each refusal names what to fix, never the password. */
class TlsKeyStoreTest {

    static final String PASSWORD = "store-pw-4711";

    @TempDir
    Path dir;
    Path keys;

    @BeforeEach
    void keyStore() throws Exception {
        keys = dir.resolve("sip-tls.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "sip", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=sip.example.org", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keys.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    }

    private static ServerSettings.Builder tls(Path store, String password) {
        return ServerSettings.builder().tlsKeystore(store).tlsKeystorePassword(password);
    }

    @Test
    void aReadableKeyStoreGivesTheStackPropertiesAndNoSystemProperty() {
        String before = System.getProperty("javax.net.ssl.keyStore");
        TlsKeyStore.Readiness r = TlsKeyStore.check(tls(keys, PASSWORD).build());
        assertTrue(r.ready(), r.reason());
        assertTrue(r.certificate().contains("CN=sip.example.org"), r.certificate());
        assertEquals(keys.toAbsolutePath().toString(), r.stackProperties().getProperty("javax.net.ssl.keyStore"));
        assertEquals("PKCS12", r.stackProperties().getProperty("javax.net.ssl.keyStoreType"));
        assertEquals("TLSv1.3,TLSv1.2", r.stackProperties().getProperty("gov.nist.javax.sip.TLS_CLIENT_PROTOCOLS"));
        assertEquals("Disabled", r.stackProperties().getProperty("gov.nist.javax.sip.TLS_CLIENT_AUTH_TYPE"));
        String suites = r.stackProperties().getProperty("gov.nist.javax.sip.ENABLED_CIPHER_SUITES");
        assertTrue(suites.contains("TLS_AES_128_GCM_SHA256") && !suites.contains("anon") && !suites.contains("3DES"),
                suites);
        assertEquals(before, System.getProperty("javax.net.ssl.keyStore"), "the JVM-wide properties are untouched");
    }

    @Test
    void refusalsNameTheCause() throws Exception {
        assertRefused(tls(keys, null), "tls.keystore.password is not set");
        assertRefused(tls(dir.resolve("missing.p12"), PASSWORD), "does not exist", "keytool -genkeypair");
        assertRefused(tls(keys, "wrong-password"), "password");
        Files.writeString(dir.resolve("text.p12"), "not a key store");
        assertRefused(tls(dir.resolve("text.p12"), PASSWORD), "is not a PKCS#12 key store");
        assertRefused(tls(dir, PASSWORD), "is not a readable file");

        Path empty = dir.resolve("empty.p12");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (OutputStream out = Files.newOutputStream(empty)) {
            ks.store(out, PASSWORD.toCharArray());
        }
        assertRefused(tls(empty, PASSWORD), "holds no private key");
        assertRefused(tls(keys, PASSWORD).tlsTruststore(dir.resolve("no-trust.p12")), "tls.truststore", "does not exist");
    }

    @Test
    void theTrustStoreDefaultsToTheKeyStore() {
        TlsKeyStore.Readiness r = TlsKeyStore.check(tls(keys, PASSWORD).build());
        assertEquals(keys.toAbsolutePath().toString(), r.stackProperties().getProperty("javax.net.ssl.trustStore"));
        TlsKeyStore.Readiness own = TlsKeyStore.check(tls(keys, PASSWORD).tlsTruststore(keys).build());
        assertTrue(own.ready(), own.reason());
    }

    private static void assertRefused(ServerSettings.Builder b, String... parts) {
        TlsKeyStore.Readiness r = TlsKeyStore.check(b.build());
        assertFalse(r.ready(), "refused");
        for (String p : parts) {
            assertTrue(r.reason().contains(p), r.reason());
        }
        assertFalse(r.reason().contains(PASSWORD) || r.reason().contains("wrong-password"), r.reason());
        assertNull(r.stackProperties().getProperty("javax.net.ssl.keyStorePassword"));
    }
}
