package io.glareresolver.sip.impl.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SettingsReaderTest {

    @Test
    void defaultsAndTypedOrTextValues() {
        SettingsReader r = new SettingsReader();
        ServerSettings d = r.read(Map.of(), ServerSettings.defaults());
        assertEquals("127.0.0.1", d.address());
        assertEquals(5060, d.port());
        assertEquals(EnumSet.of(Transport.UDP, Transport.TCP), d.transports());
        assertEquals("glare-resolver", d.realm());
        assertEquals(Path.of("etc/sip-users.txt"), d.usersFile());

        ServerSettings s = r.read(Map.of("port", "5070", "transports", "tcp", "domain", "Example.ORG",
                "nonce.lifetime", 120, "expires.min", "30", "expires.max", 600L, "expires.default", "300",
                "users.file", "/tmp/u.txt"), d);
        assertEquals(5070, s.port());
        assertEquals(EnumSet.of(Transport.TCP), s.transports());
        assertEquals("example.org", s.domain());
        assertEquals(Duration.ofSeconds(120), s.nonceLifetime());
        assertEquals(30, s.expiresMin());
        assertEquals(600, s.expiresMax());
        assertEquals(300, s.expiresDefault());
        assertTrue(r.refusals().isEmpty(), r.refusals().toString());
        assertEquals(EnumSet.of(Transport.UDP, Transport.TCP), r.read(Map.of("transports", new String[] {"UDP", "tcp"}), d).transports());
        // MD5 alone is challenged by default (baresip 1.0 stops at SHA-256), SHA-256 answers still accepted
        assertEquals(java.util.List.of(io.glareresolver.sip.impl.auth.DigestAlgorithm.MD5), d.digestAlgorithms());
        assertEquals(java.util.List.of(io.glareresolver.sip.impl.auth.DigestAlgorithm.MD5, io.glareresolver.sip.impl.auth.DigestAlgorithm.SHA_256),
                d.verifiedAlgorithms());
        assertEquals(java.util.List.of(io.glareresolver.sip.impl.auth.DigestAlgorithm.MD5),
                r.read(Map.of("digest.accepted", "MD5"), d).verifiedAlgorithms());
        assertEquals(java.util.List.of(io.glareresolver.sip.impl.auth.DigestAlgorithm.MD5, io.glareresolver.sip.impl.auth.DigestAlgorithm.SHA_256),
                r.read(Map.of("digest.algorithms", "md5, SHA-256"), d).digestAlgorithms());
    }

    @Test
    void aKeyTakenOutOfTheConfigurationReturnsToItsDefault() {
        SettingsReader r = new SettingsReader();
        ServerSettings moved = r.read(Map.of("port", "5062", "realm", "pbx", "expires.min", "120"), ServerSettings.defaults());
        assertEquals(5062, moved.port());
        // the administrator comments the lines out again: FileInstall delivers the file without them
        ServerSettings back = r.read(Map.of(), moved);
        assertEquals(ServerSettings.defaults(), back);
        assertTrue(r.refusals().isEmpty(), r.refusals().toString());
    }

    @Test
    void invalidValuesAreRefusedAndThePreviousKept() {
        SettingsReader r = new SettingsReader();
        ServerSettings prev = ServerSettings.builder().port(5070).build();
        ServerSettings s = r.read(Map.of("port", "70000", "transports", "sctp", "address", "0.0.0.0",
                "realm", "a\"b", "expires.min", "100", "expires.max", "50", "nonce.lifetime", "abc",
                "digest.algorithms", "SHA-512-256"), prev);
        assertEquals(prev, s);
        assertEquals(7, r.refusals().size(), r.refusals().toString());
        assertTrue(r.refusals().stream().anyMatch(l -> l.startsWith("setting port='70000' refused: must be between 1 and 65535")));
        assertTrue(r.refusals().stream().anyMatch(l -> l.contains("unknown transport 'sctp'")));
        assertTrue(r.refusals().stream().anyMatch(l -> l.contains("wildcard")));
        assertTrue(r.refusals().stream().anyMatch(l -> l.contains("expires.min is greater than expires.max")));

        ServerSettings t = r.read(Map.of("expires.default", "10"), prev);
        assertEquals(prev.expiresDefault(), t.expiresDefault());
        assertTrue(r.refusals().get(0).contains("expires.default"));
        assertEquals(prev.address(), r.read(Map.of("address", "192.0.2.77"), prev).address(), "not a local interface");
    }

    @Test
    void protectionSettingsHaveDefaultsAndRefuseWhatTheyCannotUse() {
        SettingsReader r = new SettingsReader();
        ServerSettings d = r.read(Map.of(), ServerSettings.defaults());
        assertEquals(500, d.requestsPerSecond());
        assertEquals(20, d.banDigestFailures());
        assertEquals(Duration.ofSeconds(60), d.banWindow());
        assertEquals(Duration.ofSeconds(300), d.banDuration());

        ServerSettings s = r.read(Map.of("limit.requests-per-second", "0", "ban.digest-failures", 5,
                "ban.window", "10", "ban.duration", 3600L), d);
        assertTrue(r.refusals().isEmpty(), r.refusals().toString());
        assertEquals(0, s.requestsPerSecond(), "0 switches the limit off");
        assertEquals(5, s.banDigestFailures());
        assertEquals(Duration.ofSeconds(10), s.banWindow());
        assertEquals(Duration.ofSeconds(3600), s.banDuration());

        ServerSettings kept = r.read(Map.of("limit.requests-per-second", "fast", "ban.digest-failures", "-1",
                "ban.window", "0", "ban.duration", "1e3"), s);
        assertEquals(s, kept, "every unusable value keeps the previous one");
        assertEquals(4, r.refusals().size(), r.refusals().toString());
        assertTrue(r.refusals().get(0).contains("limit.requests-per-second='fast' refused: not a whole number"),
                r.refusals().toString());
        assertTrue(r.refusals().stream().anyMatch(l -> l.contains("ban.window='0' refused: must be between 1 and 86400")),
                r.refusals().toString());
        assertEquals(s.toBuilder().build(), s, "toBuilder carries the protection settings");
    }

    @Test
    void anIpv6LiteralIsAcceptedBareOrBracketed() {
        SettingsReader r = new SettingsReader();
        for (String given : new String[] {"::1", "[::1]", " 0:0:0:0:0:0:0:1 ", "[0000::0001]"}) {
            ServerSettings s = r.read(Map.of("address", given, "domain", given), ServerSettings.defaults());
            assertTrue(r.refusals().isEmpty(), given + ": " + r.refusals());
            assertEquals("::1", s.address(), "the address is kept bare: " + given);
            assertEquals("[::1]", s.domain(), "the domain as a URI host, as in alice@[::1]: " + given);
        }
        assertEquals("127.0.0.1", r.read(Map.of("address", "127.0.0.1"), ServerSettings.defaults()).address());
    }

    @Test
    void aMalformedAddressIsRefusedWithItsReason() {
        SettingsReader r = new SettingsReader();
        ServerSettings prev = ServerSettings.defaults();
        Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("[::1]:5060", "without a port");
        expected.put("127.0.0.1:5060", "without a port");
        expected.put("1::2::3", "not an IP address literal");
        expected.put("[::1", "not an IP address literal");
        expected.put("[127.0.0.1]", "not an IP address literal");
        expected.put("999.1.1.1", "not an IP address literal");
        expected.put("localhost", "not an IP address literal");
        expected.put("fe80::1%lo", "zone index");
        expected.put("::", "wildcard");
        expected.put("[::]", "wildcard");
        expected.put("2001:db8::77", "no local interface");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertEquals(prev.address(), r.read(Map.of("address", e.getKey()), prev).address(), e.getKey());
            assertEquals(1, r.refusals().size(), e.getKey());
            assertTrue(r.refusals().get(0).startsWith("setting address='" + e.getKey() + "' refused: ")
                    && r.refusals().get(0).contains(e.getValue()), e.getKey() + ": " + r.refusals());
        }
        assertEquals(prev.domain(), r.read(Map.of("domain", "1::2::3"), prev).domain());
        assertTrue(r.refusals().get(0).contains("not a host name or IP address"), r.refusals().toString());
    }

    @Test
    void tlsSettingsDefaultsValuesAndRefusals() {
        SettingsReader r = new SettingsReader();
        ServerSettings d = r.read(Map.of(), ServerSettings.defaults());
        assertEquals(5061, d.tlsPort());
        assertEquals(Path.of("etc/sip-tls.p12"), d.tlsKeystore());
        assertEquals(null, d.tlsKeystorePassword(), "no default password is shipped");
        assertEquals(null, d.tlsTruststore());
        assertEquals(java.util.List.of("TLSv1.3", "TLSv1.2"), d.tlsProtocols());

        ServerSettings s = r.read(Map.of("transports", "udp,tcp,tls", "tls.port", "5071", "tls.keystore", "/srv/k.p12",
                "tls.keystore.password", "s3cret-value", "tls.truststore", "/srv/t.p12", "tls.protocols", "tlsv1.3"), d);
        assertTrue(r.refusals().isEmpty(), r.refusals().toString());
        assertEquals(EnumSet.of(Transport.UDP, Transport.TCP, Transport.TLS), s.transports());
        assertEquals(5071, s.tlsPort());
        assertEquals(Path.of("/srv/k.p12"), s.tlsKeystore());
        assertEquals("s3cret-value", s.tlsKeystorePassword());
        assertEquals(Path.of("/srv/t.p12"), s.tlsTruststore());
        assertEquals(java.util.List.of("TLSv1.3"), s.tlsProtocols());
        assertEquals(5071, s.portOf(Transport.TLS));
        assertEquals(5060, s.portOf(Transport.TCP));
        assertTrue(!s.toString().contains("s3cret-value"), "settings are logged: the password is masked");
        assertTrue(s.tlsDiffers(d));
        assertTrue(s.listensDifferently(d));

        // an empty password is none; TLS 1.1 is not allowed and the previous versions are kept
        ServerSettings t = r.read(Map.of("transports", "udp,tls", "tls.keystore.password", "",
                "tls.protocols", "TLSv1.1,TLSv1.2"), s);
        assertEquals(null, t.tlsKeystorePassword());
        assertEquals(java.util.List.of("TLSv1.3"), t.tlsProtocols());
        assertEquals(1, r.refusals().size(), r.refusals().toString());
        assertTrue(r.refusals().get(0).contains("tls.protocols") && r.refusals().get(0).contains("TLSv1.1"),
                r.refusals().toString());
    }

    @Test
    void tlsOnTheTcpPortIsRefusedAndTheOtherTransportsKept() {
        SettingsReader r = new SettingsReader();
        ServerSettings s = r.read(Map.of("transports", "udp,tcp,tls", "port", "5080", "tls.port", "5080",
                "tls.keystore.password", "never-logged"), ServerSettings.defaults());
        assertEquals(EnumSet.of(Transport.UDP, Transport.TCP), s.transports());
        assertEquals(1, r.refusals().size(), r.refusals().toString());
        assertTrue(r.refusals().get(0).contains("tls.port 5080 is also the TCP port"), r.refusals().toString());
        assertTrue(r.refusals().stream().noneMatch(l -> l.contains("never-logged")));
        // without TCP, TLS may share the UDP port number
        assertEquals(EnumSet.of(Transport.UDP, Transport.TLS), r.read(Map.of("transports", "udp,tls", "port", "5080",
                "tls.port", "5080"), ServerSettings.defaults()).transports());
    }

    @Test
    void natTraversalSettings() {
        SettingsReader r = new SettingsReader();
        ServerSettings d = r.read(Map.of(), ServerSettings.defaults());
        assertEquals("", d.advertisedAddress());
        assertEquals(0, d.advertisedPort());
        assertEquals(Duration.ofSeconds(30), d.natKeepaliveInterval());
        assertEquals("127.0.0.1", d.sentByHost());
        assertEquals(5060, d.sentByPort());

        ServerSettings s = r.read(Map.of("advertised.address", "203.0.113.10", "advertised.port", "15060",
                "nat.keepalive-interval", 0), d);
        assertTrue(r.refusals().isEmpty(), r.refusals().toString());
        assertEquals("203.0.113.10", s.sentByHost(), "not a local interface: it is the NAT's public address");
        assertEquals(15060, s.sentByPort());
        assertEquals(Duration.ZERO, s.natKeepaliveInterval());

        ServerSettings bad = r.read(Map.of("advertised.address", "sip.example.org", "advertised.port", "70000",
                "nat.keepalive-interval", "-1"), s);
        assertEquals(3, r.refusals().size(), r.refusals().toString());
        assertTrue(r.refusals().get(0).contains("advertised.address='sip.example.org' refused: not an IP address literal"),
                r.refusals().get(0));
        assertEquals("203.0.113.10", bad.advertisedAddress(), "the previous value stays");
        assertEquals(15060, bad.advertisedPort());
        assertEquals(Duration.ZERO, bad.natKeepaliveInterval());
        r.read(Map.of("advertised.address", "0.0.0.0"), s);
        assertTrue(r.refusals().get(0).contains("wildcard"), r.refusals().toString());
    }
}
