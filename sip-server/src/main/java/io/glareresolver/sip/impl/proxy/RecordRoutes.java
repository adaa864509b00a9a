package io.glareresolver.sip.impl.proxy;

import java.util.List;

import io.glareresolver.sip.impl.config.Transport;

/**
 * Which Record-Route entries the proxy inserts into an initial INVITE, as Kamailio's rr module does
 * with {@code enable_double_rr}. RFC 3261 §16.6 step 4: "If this proxy wishes to remain on the path
 * of future requests in a dialog created by this request [...], it MUST insert a Record-Route
 * header field value into the copy before any existing Record-Route header field values". One entry
 * can name only one transport (and port: TLS has its own); when the INVITE leaves on another
 * transport than it arrived on, each side of the dialog must reach the proxy over its own, so the
 * proxy inserts two ("double Record-Routing", RFC 5658 §4): the callee's route set starts with the
 * first, the caller's (reversed, §12.1.2) with the second. Both carry the dialog stamp, and both are
 * ours, so an in-dialog request pops them together (§16.4).
 */
public final class RecordRoutes {

    private RecordRoutes() {
    }

    /**
     * The transports our entries name, in the order the callee sees them (top first): the outgoing
     * one alone if both are the same, else the outgoing and then the incoming one.
     */
    public static List<Transport> entries(Transport in, Transport out) {
        return in == out ? List.of(out) : List.of(out, in);
    }
}
