package io.glareresolver.glare.impl.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.glareresolver.glare.api.CrossingMessage;
import io.glareresolver.sip.api.HeaderEdits;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MessageTrailTest {

    @Test
    void editsAppliedToTheGlareHeadersOfAForwardedInvite() {
        Map<String, String> received = Map.of("Glare-Tiebreak", "7;kind=id", "Glare-Resolution", "accept");
        HeaderEdits edits = HeaderEdits.builder().remove("glare-resolution").set("Glare-Tiebreak", "4001;kind=id")
                .set("Glare-Resolution", "reject").set("X-Other", "1").build();
        assertEquals(Map.of("Glare-Tiebreak", "4001;kind=id", "Glare-Resolution", "reject"),
                MessageTrail.afterEdits(received, edits), "stamped, instruction replaced, other headers not shown");
        assertEquals(Map.of("Glare-Tiebreak", "7;kind=id"),
                MessageTrail.afterEdits(received, HeaderEdits.builder().remove("Glare-Resolution").build()));
    }

    @Test
    void arrowsOfTheHigherSidesInviteGoFromHToL() {
        MessageTrail trail = new MessageTrail();
        long origin = System.nanoTime();
        trail.add(MessageTrail.Hop.CALLER_TO_SERVER, "INVITE", Map.of(), "");
        trail.add(MessageTrail.Hop.SERVER_TO_CALLEE, "INVITE", Map.of("Glare-Resolution", "reject"), "forwarded with reject");
        trail.add(MessageTrail.Hop.CALLEE_TO_SERVER, "491 Request Pending", Map.of(), "");
        trail.add(MessageTrail.Hop.SERVER_TO_CALLER, "491 Request Pending", Map.of(), "rewritten from 491");
        List<CrossingMessage> arrows = trail.arrows("h-call", CrossingMessage.HIGHER, CrossingMessage.LOWER, origin);
        assertEquals(List.of("H>server INVITE", "server>L INVITE", "L>server 491 Request Pending",
                "server>H 491 Request Pending"), arrows.stream().map(a -> a.from() + ">" + a.to() + " " + a.label()).toList());
        for (int i = 1; i < arrows.size(); i++) {
            assertEquals(true, arrows.get(i).offsetMicros() >= arrows.get(i - 1).offsetMicros(), "time order");
        }
        assertEquals("h-call", arrows.get(0).callId());
    }

    @Test
    void boundedPerInvite() {
        MessageTrail trail = new MessageTrail();
        for (int i = 0; i < MessageTrail.MAXIMUM + 10; i++) {
            trail.add(MessageTrail.Hop.CALLER_TO_SERVER, "INVITE", Map.of(), "");
        }
        assertEquals(MessageTrail.MAXIMUM, trail.steps().size());
    }
}
