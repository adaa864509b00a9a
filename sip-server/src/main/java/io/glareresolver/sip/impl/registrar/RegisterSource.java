package io.glareresolver.sip.impl.registrar;

import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;

import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContactHeader;
import javax.sip.header.Header;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

import io.glareresolver.sip.api.Registration.Binding;
import io.glareresolver.sip.impl.nat.Flow;

/**
 * What a REGISTER says about where its phone is: the flow it arrived on (from the top Via as the
 * stack marked it), its Path (RFC 3327) and the outbound parameters of its Contacts (RFC 5626).
 *
 * <p>The source address and port are read through the javax.sip API only: the top Via's
 * {@code received} and {@code rport}, as the RI (jain-sip-ri 1.3.0-91) leaves them:
 * <ul>
 * <li>UDP (UDPMessageChannel): {@code received} when the packet's source address differs from the Via
 * host or the Via has {@code rport}; {@code rport} filled with the source port only when the Via
 * asked for it, unless the stack property {@code gov.nist.javax.sip.ALWAYS_ADD_RPORT} is true
 * (SipServer sets it, Kamailio's {@code force_rport()}): then also whenever the source port differs
 * from the Via port. Without it a phone behind a NAT that sends no {@code rport} (Via
 * 192.168.1.20:5060 from 127.0.0.1:X) would be recorded at port 5060 (NatTraversalTest fails so).</li>
 * <li>TCP (ConnectionOrientedMessageChannel): {@code rport} is always set to the connection's remote
 * port, and {@code received} as for UDP.</li>
 * </ul>
 * So every REGISTER's source is its Via's received/rport, or its sent-by where they agree, and the
 * RI's {@code SIPMessage.getRemoteAddress/getRemotePort} are not needed.
 */
final class RegisterSource {

    static final String PATH = "Path";
    static final String INSTANCE = "+sip.instance";
    static final String REG_ID = "reg-id";

    private RegisterSource() {
    }

    /** The flow of the request: transport, source address and port (RFC 3581 §4 / RFC 5626 §5.2). */
    static Flow of(Request req) {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        return Flow.ofVia(via.getTransport(), via.getHost(), via.getPort(), via.getReceived(), via.getRPort());
    }

    /**
     * The flow to keep for a Contact: {@code source.text()} when the phone is behind a NAT, else
     * null. Behind a NAT means (Kamailio {@code nat_uac_test} 1/2/16): the Contact names another host
     * than the one the REGISTER came from, or the REGISTER's own Via was not where it came from (a
     * NAT rewrote the address or port on the way). A Contact on another port of the very host whose
     * Via was honest is a registration on behalf of a UA there (one socket registers, another
     * answers: a PBX's or a test generator's users) and is reached as registered. RFC 5626 §5.2: the
     * registrar stores "the flow on which the REGISTER request was received"; a Contact that is not
     * a SIP URI keeps none.
     */
    static String receivedFlow(Flow source, URI contact, ViaHeader via) {
        if (!(contact instanceof SipURI sip)) {
            return null;
        }
        boolean otherHost = source.differsFrom(sip.getHost(), source.port());
        boolean viaRewritten = via == null || source.differsFrom(via.getHost(), via.getPort());
        return otherHost || viaRewritten ? source.text() : null;
    }

    /** The REGISTER's Path values, top first (RFC 3327 §5.3), each as {@code <uri>} text. */
    static List<String> path(Request req) {
        List<String> out = new ArrayList<>();
        ListIterator<?> it = req.getHeaders(PATH);
        while (it.hasNext()) {
            String text = ((Header) it.next()).toString().trim();
            int colon = text.indexOf(':');
            String value = colon >= 0 ? text.substring(colon + 1).trim() : text;
            if (!value.isEmpty()) {
                out.add(value);
            }
        }
        return out;
    }

    /** The {@code +sip.instance} value without its quotes (RFC 5626 §4.1), or null. */
    static String instance(ContactHeader c) {
        String v = c.getParameter(INSTANCE);
        if (v == null) {
            return null;
        }
        v = v.trim();
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        return v.isEmpty() || v.indexOf('"') >= 0 ? null : v;
    }

    /** The {@code reg-id} value (RFC 5626 §4.2: 1 to 2^31-1), or {@link Binding#NO_REG_ID}. */
    static int regId(ContactHeader c) {
        String v = c.getParameter(REG_ID);
        if (v == null) {
            return Binding.NO_REG_ID;
        }
        try {
            int id = Integer.parseInt(v.trim());
            return id >= 1 ? id : Binding.NO_REG_ID;
        } catch (NumberFormatException e) {
            return Binding.NO_REG_ID;
        }
    }

    /**
     * A Contact of the 200 OK: the binding's URI with {@code expires}, {@code q},
     * {@code +sip.instance} (quoted, RFC 5626 §4.1) and {@code reg-id}, as registered.
     */
    static String contactValue(Binding b, long expires) {
        StringBuilder sb = new StringBuilder("<").append(b.contact()).append(">;expires=").append(expires);
        if (b.q() != Binding.NO_Q) {
            sb.append(";q=").append(b.q());
        }
        if (b.instance() != null) {
            sb.append(';').append(INSTANCE).append("=\"").append(b.instance()).append('"');
        }
        if (b.regId() != Binding.NO_REG_ID) {
            sb.append(';').append(REG_ID).append('=').append(b.regId());
        }
        return sb.toString();
    }
}
