package io.glareresolver.sip.impl.proxy;

import java.text.ParseException;

import javax.sip.PeerUnavailableException;
import javax.sip.SipFactory;
import javax.sip.header.HeaderFactory;
import javax.sip.message.MessageFactory;
import javax.sip.message.Request;

/**
 * Lena's INVITE to hugo as the RI parses it off the wire, for the tests that look at what the proxy
 * does to one message (its header edits, its copies): the RI's own factories, so every header is the
 * RI's class, exactly as a received request has them.
 */
final class LenaCallsHugo {

    private static final SipFactory SIP = SipFactory.getInstance();
    private static final MessageFactory MESSAGES;
    private static final HeaderFactory HEADERS;

    static {
        SIP.setPathName("gov.nist");
        try {
            MESSAGES = SIP.createMessageFactory();
            HEADERS = SIP.createHeaderFactory();
        } catch (PeerUnavailableException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private LenaCallsHugo() {
    }

    /** The RI's header factory, as the proxy gets it from its stack. */
    static HeaderFactory headers() {
        return HEADERS;
    }

    /**
     * The INVITE with Call-ID {@code callId}, CSeq {@code cseq} and {@code extraHeaders} (each line
     * ending in CRLF) after the mandatory ones, without a body.
     */
    static Request invite(String callId, int cseq, String extraHeaders) throws ParseException {
        return MESSAGES.createRequest("INVITE sip:hugo@127.0.0.1 SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-" + callId.replace('@', '-') + "\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: <sip:lena@127.0.0.1>;tag=l1\r\n"
                + "To: <sip:hugo@127.0.0.1>\r\n"
                + "Call-ID: " + callId + "\r\n"
                + "CSeq: " + cseq + " INVITE\r\n"
                + extraHeaders
                + "Content-Length: 0\r\n\r\n");
    }
}
