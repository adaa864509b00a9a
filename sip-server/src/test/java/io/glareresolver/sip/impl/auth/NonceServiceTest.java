package io.glareresolver.sip.impl.auth;

import io.glareresolver.sip.impl.MutableClock;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.impl.users.SipUser;

class NonceServiceTest {

    @Test
    void freshThenReplayedThenStale() {
        MutableClock clock = new MutableClock();
        NonceService nonces = new NonceService(Duration.ofSeconds(300), clock);
        String n = nonces.issue();
        assertEquals(NonceVerdict.VALID, nonces.check(n, "00000001"));
        assertEquals(NonceVerdict.REPLAYED, nonces.check(n, "00000001"));
        assertEquals(NonceVerdict.VALID, nonces.check(n, "00000002"));
        clock.now = clock.now.plusSeconds(301);
        assertEquals(NonceVerdict.STALE, nonces.check(n, "00000003"));
    }

    @Test
    void foreignOrTamperedNoncesAreUnknown() {
        NonceService a = new NonceService(Duration.ofSeconds(300), Clock.systemUTC());
        NonceService b = new NonceService(Duration.ofSeconds(300), Clock.systemUTC());
        assertEquals(NonceVerdict.UNKNOWN, b.check(a.issue(), "00000001"), "another secret (e.g. before a restart)");
        assertEquals(NonceVerdict.UNKNOWN, a.check("not-a-nonce!", "00000001"));
        String n = a.issue();
        String tampered = (n.charAt(0) == 'A' ? 'B' : 'A') + n.substring(1);
        assertEquals(NonceVerdict.UNKNOWN, a.check(tampered, "00000001"));
    }

    @Test
    void verifierOutcomes() {
        MutableClock clock = new MutableClock();
        NonceService nonces = new NonceService(Duration.ofSeconds(60), clock);
        DigestVerifier v = new DigestVerifier(nonces);
        SipUser alice = SipUser.withPassword("alice", 1, "r", "pw".toCharArray());
        java.util.function.Function<String, Optional<SipUser>> users = name -> name.equals("alice") ? Optional.of(alice) : Optional.empty();
        String nonce = nonces.issue();
        String good = DigestCalculation.response(DigestAlgorithm.SHA_256, alice.ha1Sha256(), "REGISTER", "sip:r", nonce, "00000001", "c", "auth");
        assertEquals(AuthOutcome.MISSING, v.verify(null, "REGISTER", "r", users).outcome());
        assertEquals(AuthOutcome.ACCEPTED, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", good, "SHA-256", "auth", "00000001", "c"), "REGISTER", "r", users).outcome());
        assertEquals(AuthOutcome.REPLAYED, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", good, "SHA-256", "auth", "00000001", "c"), "REGISTER", "r", users).outcome());
        assertEquals(AuthOutcome.BAD_CREDENTIALS, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", "00" + good.substring(2), "SHA-256", "auth", "00000002", "c"), "REGISTER", "r", users).outcome());
        assertEquals(AuthOutcome.BAD_CREDENTIALS, v.verify(new DigestCredentials("bob", "r", nonce, "sip:r", good, "SHA-256", "auth", "00000003", "c"), "REGISTER", "r", users).outcome());
        assertEquals(AuthOutcome.BAD_CHALLENGE_ANSWER, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", good, "SHA-256", null, null, null), "REGISTER", "r", users).outcome(), "qop=auth was offered");
        String md5 = DigestCalculation.response(DigestAlgorithm.MD5, alice.ha1Md5(), "REGISTER", "sip:r", nonce, "00000004", "c", "auth");
        assertEquals(AuthOutcome.ACCEPTED, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", md5, null, "auth", "00000004", "c"), "REGISTER", "r", users).outcome());
        clock.now = clock.now.plusSeconds(61);
        String late = DigestCalculation.response(DigestAlgorithm.MD5, alice.ha1Md5(), "REGISTER", "sip:r", nonce, "00000005", "c", "auth");
        AuthOutcome stale = v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", late, "MD5", "auth", "00000005", "c"), "REGISTER", "r", users).outcome();
        assertEquals(AuthOutcome.STALE, stale);
        assertEquals(true, stale.stale());
    }
}
