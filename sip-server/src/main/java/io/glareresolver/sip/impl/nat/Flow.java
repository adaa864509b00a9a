package io.glareresolver.sip.impl.nat;

import java.util.Locale;
import java.util.Optional;

/**
 * Where a phone's REGISTER came from: the transport and the source address and port the packet or
 * connection had, as the phone's NAT shows it to us. RFC 5626 §3.3 calls it a flow: "a
 * bidirectional stream of messages", identified by the local and remote address, port and
 * transport. Plain Java; {@link #text()} is the form stored in a binding's {@code received}.
 *
 * @param transport lower-case transport token ({@code udp}, {@code tcp})
 * @param host      IP literal, an IPv6 one without brackets
 * @param port      1..65535
 */
public record Flow(String transport, String host, int port) {

    public Flow {
        transport = transport.toLowerCase(Locale.ROOT);
        host = unbracket(host).toLowerCase(Locale.ROOT);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * The source of a request as its top Via tells it after the stack's received/rport treatment.
     * RFC 3581 §4: the server "MUST insert a "received" parameter containing the source IP address
     * that the request came from" and sets rport to "the source port of the request"; without
     * either, the source is the sent-by itself (RFC 3261 §18.2.1 adds received only when the
     * sent-by host differs from the source).
     *
     * @param viaPort the sent-by port, or {@code <= 0} when absent (5060)
     * @param rport   the rport value, or {@code <= 0} when absent or empty
     */
    public static Flow ofVia(String transport, String sentByHost, int viaPort, String received, int rport) {
        String host = received != null && !received.isBlank() ? received : sentByHost;
        int port = rport > 0 ? rport : viaPort > 0 ? viaPort : 5060;
        return new Flow(transport, host, port);
    }

    /** {@code transport:host:port}, e.g. {@code udp:127.0.0.1:5099}, {@code tcp:::1:40000}. */
    public String text() {
        return transport + ":" + host + ":" + port;
    }

    /** Reads {@link #text()} back; empty if {@code s} is not of that form. */
    public static Optional<Flow> parse(String s) {
        if (s == null) {
            return Optional.empty();
        }
        int first = s.indexOf(':');
        int last = s.lastIndexOf(':');
        if (first <= 0 || last <= first + 1 || last == s.length() - 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Flow(s.substring(0, first), s.substring(first + 1, last),
                    Integer.parseInt(s.substring(last + 1))));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * The loose route that sends a request down this flow: {@code sip:host:port;transport=t;lr}.
     * A strict route (no {@code lr}) would not do: the RI's DefaultRouter.getNextHop then calls its
     * fixStrictRouting, which makes the route the Request-URI and moves the Request-URI to the end
     * of the Route set (RFC 3261 §16.6 step 6), and the phone must receive its own Contact as the
     * Request-URI.
     */
    public String routeUri() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "sip:" + h + ":" + port + ";transport=" + transport + ";lr";
    }

    /**
     * Whether a phone that registered this Contact from this flow is behind a NAT (Kamailio
     * {@code nat_uac_test} 2 and 16 on the Contact: its address or port is not where the request came
     * from). RFC 5626 §5.2: the registrar keeps the flow, because the Contact "may not be
     * reachable" from the proxy. The Contact's transport is not compared: a phone that sends from
     * the host and port it names is reachable there.
     *
     * @param contactPort the Contact's port, {@code <= 0} when absent (5060)
     */
    public boolean differsFrom(String contactHost, int contactPort) {
        if (contactHost == null) {
            return true;
        }
        int p = contactPort > 0 ? contactPort : 5060;
        return p != port || !unbracket(contactHost).equalsIgnoreCase(host);
    }

    private static String unbracket(String h) {
        String s = h.trim();
        return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    }
}
