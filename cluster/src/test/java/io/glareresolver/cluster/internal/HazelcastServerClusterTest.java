package io.glareresolver.cluster.internal;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import io.glareresolver.sip.api.ClusterStatus;
import io.glareresolver.sip.api.ClusterUnavailableException;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.glareresolver.cluster.internal.TestMembers.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two real members on 127.0.0.1 in this JVM, nodes "a" and "b" of one cluster. */
class HazelcastServerClusterTest {

    static final long TIMEOUT_MS = 1000;
    static HazelcastInstance memberA;
    static HazelcastInstance memberB;
    static HazelcastServerCluster a;
    static HazelcastServerCluster b;

    @BeforeAll
    static void startTwoNodes() {
        List<ClusterSettings> settings = TestMembers.cluster("test-two", TIMEOUT_MS, "a", "b");
        memberA = TestMembers.start(settings.get(0));
        memberB = TestMembers.start(settings.get(1));
        await("two members", Duration.ofSeconds(30), () -> memberA.getCluster().getMembers().size() == 2
                && memberB.getCluster().getMembers().size() == 2);
        a = new HazelcastServerCluster(memberA, settings.get(0), Clock.systemUTC());
        b = new HazelcastServerCluster(memberB, settings.get(1), Clock.systemUTC());
        a.announce("sip:127.0.0.1:5060;transport=udp");
        b.announce("sip:127.0.0.2:5062");
    }

    @AfterAll
    static void stop() {
        a.close();
        b.close();
        memberB.shutdown();
        memberA.shutdown();
    }

    static Binding binding(String contact, Instant expiresAt) {
        return new Binding(contact, expiresAt, Set.of("glare", "outbound"), "reg-" + contact.hashCode() + "@h", 12,
                0.7f, "udp:203.0.113.7:40312", "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>", 1,
                List.of("<sip:edge.example;lr>", "<sip:core.example;lr;x=\"a,b|c\">"));
    }

    @Test
    void bindingsPublishedOnOneNodeAreSeenOnTheOtherWithEveryField() throws Exception {
        Instant expiry = Instant.ofEpochMilli(System.currentTimeMillis() + 60_000);
        Binding phone = binding("<sip:alice@192.0.2.1:5070;transport=tcp;ob>", expiry);
        Binding softphone = new Binding("sip:alice@192.0.2.2", expiry.plusSeconds(5), Set.of(), "c2", 1);
        a.publish(new Registration("alice@example.com", 17, List.of(phone, softphone)));

        await("b sees alice's bindings", Duration.ofSeconds(5), () -> elsewhere(b, "alice@example.com").size() == 2);
        assertEquals(List.of(phone, softphone), b.bindingsElsewhere("alice@example.com"));
        assertEquals(List.of(), a.bindingsElsewhere("alice@example.com"), "a's own bindings are not elsewhere for a");
        Registration scanned = b.registrationsElsewhere().stream()
                .filter(r -> r.aor().equals("alice@example.com")).findFirst().orElseThrow();
        assertEquals(new Registration("alice@example.com", 17, List.of(phone, softphone)), scanned);
    }

    @Test
    void anEmptyRegistrationWithdrawsTheBindings() {
        a.publish(new Registration("carol@example.com", 3, List.of(binding("sip:carol@h", Instant.now().plusSeconds(60)))));
        await("b sees carol", Duration.ofSeconds(5), () -> elsewhere(b, "carol@example.com").size() == 1);
        a.publish(new Registration("carol@example.com", 3, List.of()));
        await("carol withdrawn", Duration.ofSeconds(5), () -> elsewhere(b, "carol@example.com").isEmpty());
    }

    @Test
    void aBindingIsGoneWhenItExpires() {
        Instant soon = Instant.now().plusSeconds(2);
        b.publish(new Registration("dave@example.com", 4, List.of(binding("sip:dave@h", soon))));
        await("a sees dave", Duration.ofSeconds(5), () -> elsewhere(a, "dave@example.com").size() == 1);
        await("dave expired", Duration.ofSeconds(6), () -> elsewhere(a, "dave@example.com").isEmpty());
        assertTrue(Instant.now().isAfter(soon), "gone only once expired");
        // and the entry itself leaves the map (TTL = expiry + 1 s)
        IMap<String, String> map = memberA.getMap(ClusterMaps.BINDINGS);
        await("dave's entry dropped", Duration.ofSeconds(6),
                () -> !map.containsKey(HazelcastServerCluster.bindingKey("dave@example.com", "b")));
    }

    @Test
    void concurrentClaimsOfOnePairAgreeOnOneOwner() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            for (int trial = 0; trial < 200; trial++) {
                String x = "x" + trial + "@example.com";
                String y = "y" + trial + "@example.com";
                CyclicBarrier start = new CyclicBarrier(2);
                Callable<String> fromA = () -> {
                    start.await();
                    return a.claimPair(x, y, "call-a-" + trial(x));
                };
                Callable<String> fromB = () -> {
                    start.await();
                    return b.claimPair(y, x, "call-b-" + trial(x));
                };
                Future<String> ownerSeenByA = two.submit(fromA);
                Future<String> ownerSeenByB = two.submit(fromB);
                String ownerA = ownerSeenByA.get(10, TimeUnit.SECONDS);
                String ownerB = ownerSeenByB.get(10, TimeUnit.SECONDS);
                assertEquals(ownerA, ownerB, "trial " + trial);
                assertTrue(Set.of("a", "b").contains(ownerA), ownerA);
                PairClaim claim = PairClaim.decode(memberA.<String, String>getMap(ClusterMaps.PAIRS)
                        .get(PairClaim.key(x, y)));
                assertEquals(new PairClaim(ownerA, Set.of("call-a-" + trial(x), "call-b-" + trial(x))), claim);
                a.releasePair(x, y, "call-a-" + trial(x));
                b.releasePair(x, y, "call-b-" + trial(x));
            }
        } finally {
            two.shutdownNow();
        }
        assertTrue(a.status().relayedInvites() + b.status().relayedInvites() >= 200);
    }

    private static String trial(String x) {
        return x.substring(1, x.indexOf('@'));
    }

    @Test
    void aRepeatedClaimChangesNothingAndReleaseFreesThePair() throws Exception {
        assertEquals("a", a.claimPair("eve@example.com", "frank@example.com", "c1"));
        IMap<String, String> pairs = memberB.getMap(ClusterMaps.PAIRS);
        String key = PairClaim.key("eve@example.com", "frank@example.com");
        String before = pairs.get(key);
        assertEquals("a", a.claimPair("frank@example.com", "eve@example.com", "c1"));
        assertEquals("a", b.claimPair("eve@example.com", "frank@example.com", "c1"));
        assertEquals(before, pairs.get(key), "same Call-ID: unchanged");

        assertEquals("a", b.claimPair("eve@example.com", "frank@example.com", "c2"), "b's INVITE is relayed to a");
        a.releasePair("eve@example.com", "frank@example.com", "c1");
        assertEquals("a", b.claimPair("eve@example.com", "frank@example.com", "c2"), "c2 still holds the pair");
        b.releasePair("eve@example.com", "frank@example.com", "c2");
        b.releasePair("eve@example.com", "frank@example.com", "c2");
        assertEquals(null, pairs.get(key), "no INVITE left: the pair is free");
        assertEquals("b", b.claimPair("eve@example.com", "frank@example.com", "c3"));
        b.releasePair("eve@example.com", "frank@example.com", "c3");
    }

    @Test
    void nodesAreKnownByTheirAnnouncedUris() {
        await("announcements replicated", Duration.ofSeconds(5), () -> a.sipUriOf("b").isPresent()
                && b.sipUriOf("a").isPresent() && a.isNode("127.0.0.2", 40000, false));
        assertEquals(Optional.of("sip:127.0.0.2:5062"), a.sipUriOf("b"));
        assertEquals(Optional.of("sip:127.0.0.1:5060;transport=udp"), b.sipUriOf("a"));
        assertEquals(Optional.empty(), a.sipUriOf("nobody"));
        assertTrue(a.isNode("127.0.0.2", 5062, true));
        assertTrue(!a.isNode("127.0.0.2", 5063, true), "UDP: host and port");
        assertTrue(a.isNode("127.0.0.2", 41234, false), "TCP: the host");
        assertTrue(!a.isNode("127.0.0.1", 5060, true), "a itself is not another node");
        assertTrue(b.isNode("127.0.0.1", 5060, true));
    }

    @Test
    void statusCountsMembersAndMaps() {
        ClusterStatus s = a.status();
        assertEquals("test-two", s.clusterName());
        assertEquals("a", s.thisNode());
        assertEquals(2, s.members().size(), s.members().toString());
        assertTrue(s.members().contains("b sip:127.0.0.2:5062") || s.members().contains("b -"), s.members().toString());
        assertTrue(s.sharedBindings() >= 0 && s.claimedPairs() >= 0, s.toString());
    }

    @Test
    void aClaimTheClusterCannotAnswerInTimeFailsWithinTheTimeout() {
        // b holds the pair's key locked: a's putIfAbsent waits on the member, as it would on a partition
        // whose owner does not answer
        String key = PairClaim.key("grace@example.com", "heidi@example.com");
        IMap<String, String> pairs = memberB.getMap(ClusterMaps.PAIRS);
        pairs.lock(key);
        try {
            long before = a.status().unavailable();
            long start = System.nanoTime();
            assertThrows(ClusterUnavailableException.class,
                    () -> a.claimPair("grace@example.com", "heidi@example.com", "g1"));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(tookMs >= TIMEOUT_MS - 50 && tookMs < TIMEOUT_MS + 500, tookMs + " ms");
            assertEquals(before + 1, a.status().unavailable());
        } finally {
            pairs.unlock(key);
        }
    }

    static List<Binding> elsewhere(HazelcastServerCluster node, String aor) {
        try {
            return node.bindingsElsewhere(aor);
        } catch (ClusterUnavailableException e) {
            throw new AssertionError(e);
        }
    }
}
