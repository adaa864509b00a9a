package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.text.ParseException;
import java.util.List;

import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.HeaderEdits;

/** A plugin's header edits on a real RI message: applied in order, or not at all. */
class MessageTextTest {

    private static final HeaderFactory headers = LenaCallsHugo.headers();

    private static Request invite() throws ParseException {
        return LenaCallsHugo.invite("mt-1@127.0.0.1", 1, "Glare-Resolution: accept\r\n");
    }

    @Test
    void editsAreAppliedInOrder() throws Exception {
        Request r = invite();
        MessageText.apply(r, HeaderEdits.builder().remove("Glare-Resolution").set("Glare-Tiebreak", "4001;kind=id")
                .add("Glare-Tiebreak", "4002;kind=id").build(), headers);
        assertEquals(List.of(), MessageText.headers(r, "Glare-Resolution"));
        assertEquals(List.of("4001;kind=id", "4002;kind=id"), MessageText.headers(r, "Glare-Tiebreak"));
    }

    @Test
    void aProtectedHeaderRefusesTheWholeSetAndLeavesTheMessageAsItWas() throws Exception {
        Request r = invite();
        String before = r.toString();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MessageText.apply(r,
                HeaderEdits.builder().remove("Glare-Resolution").set("Glare-Tiebreak", "1;kind=id")
                        .set("Via", "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK-x").build(), headers));
        assertEquals("header Via is managed by the proxy and cannot be edited", e.getMessage());
        assertEquals(before, r.toString());
    }

    @Test
    void anUnparsableValueRefusesTheWholeSetAndLeavesTheMessageAsItWas() throws Exception {
        Request r = invite();
        String before = r.toString();
        assertThrows(ParseException.class, () -> MessageText.apply(r,
                HeaderEdits.builder().remove("Glare-Resolution").set("Expires", "soon").build(), headers));
        assertEquals(before, r.toString());
    }
}
