package io.glareresolver.cluster.internal;

import com.hazelcast.core.HazelcastInstance;

import io.glareresolver.sip.api.ClusterUnavailableException;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.glareresolver.cluster.internal.TestMembers.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node dies without a word ({@code terminate()}, the kill -9 of a test): the survivor carries on. */
class TakeoverTest {

    @Test
    void theSurvivorTakesOverThePairsAndStillReachesTheDeadNodesBindings() throws Exception {
        List<ClusterSettings> settings = TestMembers.cluster("test-takeover", 1000, "doomed", "survivor");
        HazelcastInstance doomedMember = TestMembers.start(settings.get(0));
        HazelcastInstance survivorMember = TestMembers.start(settings.get(1));
        try {
            await("two members", Duration.ofSeconds(30), () -> survivorMember.getCluster().getMembers().size() == 2);
            HazelcastServerCluster doomed = new HazelcastServerCluster(doomedMember, settings.get(0), Clock.systemUTC());
            HazelcastServerCluster survivor = new HazelcastServerCluster(survivorMember, settings.get(1), Clock.systemUTC());
            doomed.announce("sip:127.0.0.1:5070");
            Binding phone = new Binding("sip:ivan@192.0.2.9:5070", Instant.now().plusSeconds(120), Set.of("glare"),
                    "r1", 1, 0.5f);
            doomed.publish(new Registration("ivan@example.com", 9, List.of(phone)));
            assertEquals("doomed", doomed.claimPair("ivan@example.com", "judy@example.com", "i1"));
            await("survivor sees ivan", Duration.ofSeconds(5),
                    () -> HazelcastServerClusterTest.elsewhere(survivor, "ivan@example.com").size() == 1);
            assertEquals("doomed", survivor.claimPair("judy@example.com", "ivan@example.com", "j1"));
            await("survivor knows doomed's address", Duration.ofSeconds(5), () -> survivor.isNode("127.0.0.1", 5070, true));

            doomedMember.getLifecycleService().terminate();
            await("the survivor alone", Duration.ofSeconds(30), () -> survivorMember.getCluster().getMembers().size() == 1);

            assertEquals("survivor", survivor.claimPair("judy@example.com", "ivan@example.com", "j2"));
            assertEquals(1, survivor.status().takenOver());
            assertEquals("survivor", survivor.claimPair("ivan@example.com", "judy@example.com", "j3"), "now its own");
            assertEquals(List.of(phone), survivor.bindingsElsewhere("ivan@example.com"),
                    "the dead node's bindings stay reachable until they expire");
            assertTrue(survivor.sipUriOf("doomed").isEmpty(), "a dead node is no relay target");
            await("nor a trusted source (once the departure event is in)", Duration.ofSeconds(5),
                    () -> !survivor.isNode("127.0.0.1", 5070, true));
            survivor.close();
            doomed.close();
        } finally {
            survivorMember.shutdown();
            doomedMember.getLifecycleService().terminate();
        }
    }

    @Test
    void aNodeWhoseMemberIsDownFailsAtOnceWithClusterUnavailable() {
        List<ClusterSettings> settings = TestMembers.cluster("test-down", 500, "lonely");
        HazelcastInstance member = TestMembers.start(settings.get(0));
        HazelcastServerCluster node = new HazelcastServerCluster(member, settings.get(0), Clock.systemUTC());
        member.getLifecycleService().terminate();
        long start = System.nanoTime();
        assertThrows(ClusterUnavailableException.class, () -> node.bindingsElsewhere("kim@example.com"));
        assertThrows(ClusterUnavailableException.class, () -> node.claimPair("kim@example.com", "lee@example.com", "k"));
        node.publish(new Registration("kim@example.com", 1, List.of(
                new Binding("sip:kim@h", Instant.now().plusSeconds(60), Set.of(), "c", 1))));
        node.releasePair("kim@example.com", "lee@example.com", "k");
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2 * 500 + 1000);
        assertEquals(-1, node.status().sharedBindings());
        node.close();
    }
}
