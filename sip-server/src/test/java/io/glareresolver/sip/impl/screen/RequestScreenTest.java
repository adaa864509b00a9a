package io.glareresolver.sip.impl.screen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import javax.sip.SipFactory;
import javax.sip.message.MessageFactory;
import javax.sip.message.Request;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The screen's verdicts on requests parsed by the real RI parser (no network). */
class RequestScreenTest {

    static MessageFactory messages;

    @BeforeAll
    static void parser() throws Exception {
        SipFactory f = SipFactory.getInstance();
        f.setPathName("gov.nist");
        messages = f.createMessageFactory();
    }

    static Request parse(String startLine, String via, String to, String... extra) throws Exception {
        StringBuilder b = new StringBuilder(startLine).append("\r\n")
                .append("Via: ").append(via).append("\r\n")
                .append("Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=1\r\nTo: ").append(to).append("\r\n")
                .append("Call-ID: screen@127.0.0.1\r\nCSeq: 1 ").append(startLine.split(" ")[0]).append("\r\n");
        for (String h : extra) {
            b.append(h).append("\r\n");
        }
        return messages.createRequest(b.append("Content-Length: 0\r\n\r\n").toString());
    }

    static final String VIA = "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-screen";

    @Test
    void anOrdinaryRequestPasses() throws Exception {
        assertEquals(Optional.empty(), RequestScreen.screen(parse("INVITE sip:bob@127.0.0.1 SIP/2.0", VIA, "<sip:bob@127.0.0.1>")));
        assertEquals(Optional.empty(), RequestScreen.screen(parse("REGISTER sip:127.0.0.1 SIP/2.0", VIA, "<sips:bob@127.0.0.1>")));
    }

    @Test
    void headersInTheRequestUriAre400() throws Exception {
        RequestScreen.Refusal r = RequestScreen.screen(parse("INVITE sip:bob@127.0.0.1?Route=%3Csip:evil%3E SIP/2.0", VIA,
                "<sip:bob@127.0.0.1>")).orElseThrow();
        assertEquals(400, r.status());
        assertEquals("Request-URI must not carry headers", r.reason());
    }

    @Test
    void aBranchThatIsOnlyTheMagicCookieIs400() throws Exception {
        assertEquals(400, RequestScreen.screen(parse("OPTIONS sip:bob@127.0.0.1 SIP/2.0",
                "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK", "<sip:bob@127.0.0.1>")).orElseThrow().status());
        assertEquals(Optional.empty(), RequestScreen.screen(parse("OPTIONS sip:bob@127.0.0.1 SIP/2.0",
                "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx", "<sip:bob@127.0.0.1>")), "one character more is a branch");
    }

    @Test
    void anotherSipVersionIs505() throws Exception {
        Request r = parse("OPTIONS sip:bob@127.0.0.1 SIP/7.0", "SIP/7.0/UDP 127.0.0.1;branch=z9hG4bK-v7", "<sip:bob@127.0.0.1>");
        assertEquals(505, RequestScreen.screen(r).orElseThrow().status());
    }

    @Test
    void aRegisterWhoseToIsNotSipIs400() throws Exception {
        RequestScreen.Refusal r = RequestScreen.screen(parse("REGISTER sip:127.0.0.1 SIP/2.0", VIA, "<tel:+15551234>")).orElseThrow();
        assertEquals(400, r.status());
        assertTrue(r.reason().contains("SIP or SIPS"), r.reason());
        // the same To on an INVITE is a proxy's business, not the screen's
        assertEquals(Optional.empty(), RequestScreen.screen(parse("INVITE sip:bob@127.0.0.1 SIP/2.0", VIA, "<tel:+15551234>")));
    }

    @Test
    void requireOptionsAreAllUnsupportedEachListedOnce() throws Exception {
        Request r = parse("OPTIONS sip:127.0.0.1 SIP/2.0", VIA, "<sip:127.0.0.1>", "Require: foo, bar", "Require: foo");
        assertEquals(List.of("foo", "bar"), RequestScreen.unsupportedRequire(r));
        assertEquals(List.of(), RequestScreen.unsupportedRequire(parse("OPTIONS sip:127.0.0.1 SIP/2.0", VIA, "<sip:127.0.0.1>")));
    }
}
