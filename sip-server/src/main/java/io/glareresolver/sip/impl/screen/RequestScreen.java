package io.glareresolver.sip.impl.screen;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.RequireHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

/**
 * Checks a request the JAIN-SIP RI has parsed before the registrar or the proxy acts on it, for
 * the malformations the RI's parser lets through (RFC 4475 §3.1.2, §3.3). What the RI refuses
 * itself (unparsable start line, Via, CSeq, Call-ID, From, To, Content-Length) never gets here.
 * Stateless: the verdicts depend on the request alone.
 */
public final class RequestScreen {

    /** A refusal: the status to answer with, its reason phrase, and for 420 the option tags to list in Unsupported. */
    public record Refusal(int status, String reason, List<String> unsupported) {
        public Refusal {
            unsupported = List.copyOf(unsupported);
        }

        static Refusal badRequest(String reason) {
            return new Refusal(400, reason, List.of());
        }
    }

    static final String SIP_VERSION = "SIP/2.0";
    /** RFC 3261 §8.1.1.7: the branch prefix of RFC 3261 transaction identifiers. */
    static final String MAGIC_COOKIE = "z9hG4bK";

    /** Option tags this server's UAS parts (registrar, OPTIONS to the server) understand in Require: none. */
    public static final List<String> SUPPORTED_OPTIONS = List.of();

    private RequestScreen() {
    }

    /**
     * Checks a request (not ACK) before any routing.
     * <ul>
     * <li>RFC 3261 §19.1.1 (table of URI components): the headers component is "not allowed" in a
     * Request-URI; RFC 4475 §3.1.2, message escruri: "It is acceptable for an element to reject this
     * message with a 400 Bad Request" — and a proxy must never turn them into real headers.</li>
     * <li>RFC 4475 §3.3, message unksm2: "A registrar would reject this request with a 400 Bad Request
     * response, since the To: header field is required to contain a SIP or SIPS URI as an AOR."</li>
     * </ul>
     */
    public static Optional<Refusal> screen(Request req) {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        // the RI writes SIP/2.0 into the start line it parsed whatever the peer sent; the top Via's
        // sent-protocol still shows the peer's version
        String viaVersion = via == null ? SIP_VERSION : via.getProtocol();
        if (!SIP_VERSION.equalsIgnoreCase(req.getSIPVersion()) || !SIP_VERSION.equalsIgnoreCase(viaVersion)) {
            // RFC 3261 §21.5.7: 505 "The server does not support, or refuses to support, the SIP
            // protocol version that was used in the request"; RFC 4475 §3.1.2, message badvers
            return Optional.of(new Refusal(505, "Version Not Supported", List.of()));
        }
        if (via != null && MAGIC_COOKIE.equalsIgnoreCase(via.getBranch())) {
            // RFC 4475 §3.2 (badbranch): the z9hG4bK prefix with no identifier; "An element
            // receiving this request could reject the request with a 400 Response (preferably statelessly ...)"
            return Optional.of(Refusal.badRequest("Via branch is only the magic cookie"));
        }
        URI ruri = req.getRequestURI();
        if (ruri instanceof SipURI sip && sip.getHeaderNames() != null && sip.getHeaderNames().hasNext()) {
            return Optional.of(Refusal.badRequest("Request-URI must not carry headers"));
        }
        if (Request.REGISTER.equals(req.getMethod())) {
            ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
            if (to == null || !(to.getAddress().getURI() instanceof SipURI)) {
                return Optional.of(Refusal.badRequest("Address of record in To must be a SIP or SIPS URI"));
            }
        }
        return Optional.empty();
    }

    /**
     * The option tags of the request's Require header fields that this server does not support.
     * RFC 3261 §8.2.2.3: "If a UAS does not understand an option-tag listed in a Require header
     * field, it MUST respond by generating a response with status code 420 (Bad Extension). The
     * UAS MUST add an Unsupported header field, and list in it those options it does not
     * understand amongst those in the Require header field of the request." (Require is ignored
     * for CANCEL and ACK: the caller does not ask for those.) §10.3 step 2 applies it to the registrar.
     */
    public static List<String> unsupportedRequire(Request req) {
        List<String> out = new ArrayList<>();
        Iterator<?> it = req.getHeaders(RequireHeader.NAME);
        while (it.hasNext()) {
            Object h = it.next();
            if (!(h instanceof RequireHeader r) || r.getOptionTag() == null) {
                continue;
            }
            for (String tag : r.getOptionTag().split(",")) {
                String t = tag.trim();
                if (!t.isEmpty() && !SUPPORTED_OPTIONS.contains(t.toLowerCase(Locale.ROOT)) && !out.contains(t)) {
                    out.add(t);
                }
            }
        }
        return out;
    }
}
