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
