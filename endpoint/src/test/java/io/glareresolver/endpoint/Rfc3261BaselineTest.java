package io.glareresolver.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.endpoint.fsm.Action;
import io.glareresolver.endpoint.fsm.Event;
import io.glareresolver.endpoint.fsm.GlareInviteSession;
import io.glareresolver.endpoint.fsm.Signal;
import io.glareresolver.endpoint.fsm.State;
import io.glareresolver.endpoint.fsm.Variant;
import io.glareresolver.protocol.Contender;
import io.glareresolver.protocol.TiebreakValue;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The plain RFC 3261 phone the benchmark measures glare resolution against
 * ({@link GlareEndpoint.Builder#rfc3261Baseline()}): busy on a crossing, back-off, a new INVITE
 * on a fresh port. Two such phones cross UA to UA on loopback through the real JAIN-SIP stack.
 */
class Rfc3261BaselineTest {

    static final Duration WAIT = Duration.ofSeconds(15);

    @Test
    void aCrossingInviteIsRefusedBusyAndA491ClosesThePort() {
        GlareInviteSession s = new GlareInviteSession(Contender.without("alice@x"), EnumSet.of(Variant.PLAIN_RFC3261));
        s.handle(Signal.callRequested("own-1"));
        // even a peer INVITE with a tie-break value (a glare-aware peer) gets plain busy: nothing is compared
        List<Action> busy = s.handle(Signal.peerInvite(Event.PEER_INVITE, "peer-1", "bob@x", TiebreakValue.id(7), 4000));
        assertEquals(1, busy.size());
        assertEquals(Action.Kind.SEND_NG, busy.get(0).kind());
        assertEquals(486, busy.get(0).status());
        assertEquals("peer-1", busy.get(0).callId());
        assertTrue(s.decision().isEmpty());
        assertEquals(State.AWAITING_OK_AFTER_NG, s.state());

        GlareInviteSession t = new GlareInviteSession(Contender.without("alice@x"), EnumSet.of(Variant.PLAIN_RFC3261));
        t.handle(Signal.callRequested("own-2"));
        // a 491 to our INVITE: a plain phone does not keep the port for the peer's INVITE
        List<Action> closed = t.handle(Signal.ownResponse(Event.OWN_NG_REQUEST_PENDING, "own-2", Signal.NO_PORT, null));
        assertEquals(List.of(Action.Kind.CLOSE_PORT), closed.stream().map(Action::kind).toList());
        assertEquals(State.CLOSED, t.state());
    }

    static GlareEndpoint plain(String user) {
        return GlareEndpoint.builder().user(user).rfc3261Baseline().ackTimeout(WAIT).glareTimeout(WAIT).build();
    }

    @Test
    void backOffAndRetryOnFreshPortsEndsInOneSession() throws Exception {
        int crossedRounds = 0;
        try (GlareEndpoint a = plain("alice"); GlareEndpoint b = plain("bob")) {
            for (int i = 0; i < 3; i++) {
                PortCounts a0 = a.ports();
                PortCounts b0 = b.ports();
                Crossing c = Crossing.fire(a, b.contact(), b, a.contact());
                CallResult[] r = c.await(WAIT);
                String ctx = "round " + i + ": " + r[0] + " / " + r[1] + "\n" + c.a().trace() + "\n" + c.b().trace();
                assertTrue(r[0].established(), ctx);
                assertTrue(r[1].established(), ctx);
                assertEquals(r[0].sessionCallId(), r[1].sessionCallId(), ctx); // one session
                List<String> all = new java.util.ArrayList<>(c.a().trace());
                all.addAll(c.b().trace());
                assertTrue(all.stream().filter(l -> l.startsWith("-> INVITE")).allMatch(l -> l.contains("no tie-break")), ctx);
                assertFalse(all.stream().anyMatch(l -> l.contains("Glare-Resolution")), ctx);
                boolean crossed = all.stream().anyMatch(l -> l.startsWith("-> 486"));
                if (crossed) {
                    crossedRounds++;
                    assertTrue(all.stream().anyMatch(l -> l.startsWith("backing off")), ctx);
                    assertTrue(r[0].crossed() && r[1].crossed(), "the call crossed, whichever attempt formed the session\n" + ctx);
                    // the refused INVITEs' ports were closed; the session runs on freshly opened ones
                    assertFalse(r[0].localPort() == c.portA() && r[1].localPort() == c.portB(), ctx);
                    long opened = a.ports().since(a0).opened() + b.ports().since(b0).opened();
                    assertTrue(opened >= 3, "ports opened " + opened + "\n" + ctx);
                }
                c.a().session().orElseThrow().echo(Duration.ofSeconds(2));
                c.a().hangUp();
                assertTrue(c.a().ended().get(5, java.util.concurrent.TimeUnit.SECONDS) != null);
                c.b().ended().get(5, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(0, a.ports().open(), ctx);
                assertEquals(0, b.ports().open(), ctx);
            }
        }
        assertTrue(crossedRounds > 0, "no round crossed on the wire: nothing was measured");
    }
}
