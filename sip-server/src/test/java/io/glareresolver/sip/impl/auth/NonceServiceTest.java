package io.glareresolver.sip.impl.auth;

import io.glareresolver.sip.impl.MutableClock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void theCountTableIsBoundedAndAnEvictedNonceCannotBeReplayed() {
        MutableClock clock = new MutableClock();
        NonceService nonces = new NonceService(Duration.ofSeconds(300), clock, 3);
        java.util.List<String> issued = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            clock.now = clock.now.plusMillis(10);
            String n = nonces.issue();
            issued.add(n);
            assertEquals(NonceVerdict.VALID, nonces.check(n, "00000001"));
            assertEquals(Math.min(i + 1, 3), nonces.remembered());
        }
        // the first seven lost their entries: replaying them is refused as stale (a fresh challenge), never accepted
        for (int i = 0; i < 7; i++) {
            assertEquals(NonceVerdict.STALE, nonces.check(issued.get(i), "00000001"), "evicted nonce " + i);
            assertEquals(NonceVerdict.STALE, nonces.check(issued.get(i), "00000009"), "evicted nonce " + i);
        }
        assertEquals(NonceVerdict.REPLAYED, nonces.check(issued.get(9), "00000001"), "a kept nonce still detects a replay");
        assertEquals(NonceVerdict.VALID, nonces.check(issued.get(9), "00000002"));
        clock.now = clock.now.plusMillis(10);
        assertEquals(NonceVerdict.VALID, nonces.check(nonces.issue(), "00000001"), "fresh nonces keep working");
        assertEquals(3, nonces.remembered());
    }

    @Test
    void wrongPasswordsAndUnknownNoncesCostNoMemory() {
        MutableClock clock = new MutableClock();
        NonceService nonces = new NonceService(Duration.ofSeconds(300), clock);
        DigestVerifier v = new DigestVerifier(nonces);
        SipUser alice = SipUser.withPassword("alice", 1, "r", "pw".toCharArray());
        java.util.function.Function<String, Optional<SipUser>> users = name -> name.equals("alice") ? Optional.of(alice) : Optional.empty();
        for (int i = 0; i < 5000; i++) {
            String nonce = nonces.issue();
            String wrong = DigestCalculation.response(DigestAlgorithm.SHA_256,
                    SipUser.withPassword("alice", 1, "r", "guess".toCharArray()).ha1Sha256(), "REGISTER", "sip:r", nonce,
                    "00000001", "c", "auth");
            assertEquals(AuthOutcome.BAD_CREDENTIALS, v.verify(new DigestCredentials("alice", "r", nonce, "sip:r", wrong,
                    "SHA-256", "auth", "00000001", "c"), "REGISTER", "r", users).outcome());
            assertEquals(AuthOutcome.BAD_CHALLENGE_ANSWER, v.verify(new DigestCredentials("alice", "r", "forged" + i, "sip:r",
                    wrong, "SHA-256", "auth", "00000001", "c"), "REGISTER", "r", users).outcome());
        }
        assertEquals(0, nonces.remembered());
    }

    @Test
    void replayKeysSortByIssueTimeSoTheOldestIsEvictedFirst() {
        assertEquals("00000000000000000005|abc", NonceService.countKey(5, "abc"));
        assertEquals("01732550400000000000|n", NonceService.countKey(1_732_550_400_000_000_000L, "n"));
        assertTrue(NonceService.countKey(999, "zzz").compareTo(NonceService.countKey(1_000, "aaa")) < 0);
    }
}
