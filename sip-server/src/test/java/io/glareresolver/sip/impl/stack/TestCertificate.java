package io.glareresolver.sip.impl.stack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A PKCS#12 key store with a fresh self-signed certificate for 127.0.0.1, made at test time by the
 * running JDK's own {@code keytool} (the JDK has no public API that makes certificates). It lives in
 * the test's temporary folder: no key store with a private key is ever committed.
 */
record TestCertificate(Path keyStore, String password) {

    /** Generates the key store {@code file} (EC P-256, valid two days, SAN IP 127.0.0.1). */
    static TestCertificate create(Path file, String password) throws IOException, InterruptedException {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "sip", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", password, "-keypass", password,
                "-noprompt")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool failed: " + out);
        }
        return new TestCertificate(file, password);
    }

    /**
     * The RI stack properties of a test phone speaking TLS: this key store as its own key material
     * (the RI needs one for its TLS listening point) and as its trust store, so it trusts the server
     * holding the same certificate.
     */
    Properties phoneStackProperties() {
        Properties p = new Properties();
        p.setProperty("javax.net.ssl.keyStore", keyStore.toString());
        p.setProperty("javax.net.ssl.keyStorePassword", password);
        p.setProperty("javax.net.ssl.keyStoreType", "PKCS12");
        p.setProperty("javax.net.ssl.trustStore", keyStore.toString());
        p.setProperty("javax.net.ssl.trustStorePassword", password);
        p.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        p.setProperty("gov.nist.javax.sip.TLS_CLIENT_PROTOCOLS", "TLSv1.3,TLSv1.2");
        p.setProperty("gov.nist.javax.sip.TLS_CLIENT_AUTH_TYPE", "Disabled");
        p.setProperty("gov.nist.javax.sip.ENABLED_CIPHER_SUITES", "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,"
                + "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        return p;
    }
}
