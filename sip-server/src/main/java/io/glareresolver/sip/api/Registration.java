package io.glareresolver.sip.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A registered user as the location service holds it: the address of record, the user's numeric
 * endpoint ID from the users file, and the live bindings. Immutable snapshot.
 *
 * @param aor        {@code user@host}, lower-case host
 * @param endpointId the user's ID (the glare plugin's registrar tie-break value), {@code >= 0}
 * @param bindings   live contacts, never empty for a registration the location service returns
 */
public record Registration(String aor, long endpointId, List<Binding> bindings) {

    public Registration {
        Objects.requireNonNull(aor, "aor");
        bindings = List.copyOf(bindings);
    }

    /**
     * One contact binding (RFC 3261 §10.3).
     *
     * @param contact   the Contact URI, e.g. {@code sip:alice@127.0.0.1:5070;transport=udp}
     * @param expiresAt when the binding expires unless refreshed
     * @param supported option tags of the {@code Supported} header of the REGISTER that made or
     *                  last refreshed it (lower-case), e.g. {@code glare}
     * @param callId    Call-ID of that REGISTER
     * @param cseq      CSeq number of that REGISTER
     * @param q         the Contact's {@code q} parameter, 0 to 1 (RFC 3261 §20.10: "the relative
     *                  preference of the ... contact"), or {@link #NO_Q} when it had none; since 1.4.0
     * @param received  the flow the REGISTER arrived on, {@code transport:host:port} (e.g.
     *                  {@code udp:203.0.113.7:40312}, an IPv6 host without brackets), when it differs
     *                  from the Contact's host and port (the phone is behind a NAT): requests to this
     *                  binding are sent there (RFC 5626 §5.3, Kamailio's {@code received} AVP); null
     *                  when the Contact is reachable as it is, or when {@code path} is not empty; since 1.5.0
     * @param instance  the Contact's {@code +sip.instance} parameter without its quotes (RFC 5626 §4.1,
     *                  e.g. {@code <urn:uuid:00000000-0000-1000-8000-000A95A0E128>}), or null; since 1.5.0
     * @param regId     the Contact's {@code reg-id} parameter (RFC 5626 §4.2), or {@link #NO_REG_ID}; since 1.5.0
     * @param path      the REGISTER's {@code Path} header values, top first (RFC 3327 §5.3: the
     *                  route set of requests to this binding), empty without; since 1.5.0
     */
    public record Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq,
                          float q, String received, String instance, int regId, List<String> path) {

        /** The value of {@link #q()} for a Contact registered without a {@code q} parameter. */
        public static final float NO_Q = -1f;

        /** The value of {@link #regId()} for a Contact registered without a {@code reg-id} parameter. */
        public static final int NO_REG_ID = -1;

        public Binding {
            Objects.requireNonNull(contact, "contact");
            Objects.requireNonNull(expiresAt, "expiresAt");
            supported = Set.copyOf(supported);
            path = path == null ? List.of() : List.copyOf(path);
            if (q != NO_Q && !(q >= 0f && q <= 1f)) {
                throw new IllegalArgumentException("q must be between 0 and 1: " + q);
            }
            if (regId != NO_REG_ID && regId < 1) {
                throw new IllegalArgumentException("reg-id must be 1 or more: " + regId);
            }
        }

        /** A binding registered without a {@code q} parameter (the 1.3 constructor). */
        public Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq) {
            this(contact, expiresAt, supported, callId, cseq, NO_Q);
        }

        /** A binding reachable at its Contact, without outbound parameters or Path (the 1.4 constructor). */
        public Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq, float q) {
            this(contact, expiresAt, supported, callId, cseq, q, null, null, NO_REG_ID, List.of());
        }

        /**
         * The preference forking uses: the {@code q} value, and 1.0 for a Contact without one (the
         * highest: a phone that names no preference is tried with the first).
         */
        public float preference() {
            return q == NO_Q ? 1f : q;
        }

        /** True if the phone is behind a NAT: requests go to {@link #received()}, not to the Contact's address. */
        public boolean natted() {
            return received != null;
        }
    }

    /**
     * True if two contact URIs name the same device: same scheme family, user, host, port (5060 if
     * absent) and transport (udp if absent); other parameters and display names do not matter. A
     * phone's INVITE carries the Contact it registered, perhaps with other parameters (RFC 3261
     * §19.1.4 compares URIs similarly). Since 1.4.0.
     */
    public static boolean sameDevice(String contactA, String contactB) {
        if (contactA == null || contactB == null) {
            return false;
        }
        return deviceKey(contactA).equals(deviceKey(contactB));
    }

    /** The binding of this registration that is the device of {@code contact}, if any. Since 1.4.0. */
    public java.util.Optional<Binding> bindingOf(String contact) {
        return bindings.stream().filter(b -> sameDevice(b.contact(), contact)).findFirst();
    }

    private static String deviceKey(String contact) {
        String c = contact.trim();
        int lt = c.indexOf('<');
        if (lt >= 0) {
            int gt = c.indexOf('>', lt);
            c = c.substring(lt + 1, gt > lt ? gt : c.length());
        }
        String lower = c.toLowerCase(java.util.Locale.ROOT);
        boolean secure = lower.startsWith("sips:");
        int colon = c.indexOf(':');
        String rest = colon >= 0 ? c.substring(colon + 1) : c;
        int semi = rest.indexOf(';');
        String params = semi >= 0 ? rest.substring(semi + 1).toLowerCase(java.util.Locale.ROOT) : "";
        String userHost = semi >= 0 ? rest.substring(0, semi) : rest;
        int question = userHost.indexOf('?');
        if (question >= 0) {
            userHost = userHost.substring(0, question);
        }
        int at = userHost.lastIndexOf('@');
        String user = at >= 0 ? userHost.substring(0, at) : "";
        String hostPort = (at >= 0 ? userHost.substring(at + 1) : userHost).toLowerCase(java.util.Locale.ROOT);
        String host = hostPort;
        String port = secure ? "5061" : "5060";
        int close = hostPort.lastIndexOf(']');
        int portColon = hostPort.lastIndexOf(':');
        if (portColon > close && (close >= 0 || hostPort.indexOf(':') == portColon)) {
            host = hostPort.substring(0, portColon);
            port = hostPort.substring(portColon + 1);
        }
        String transport = secure ? "tls" : "udp";
        for (String p : params.split(";")) {
            if (p.startsWith("transport=")) {
                transport = p.substring("transport=".length());
            }
        }
        return (secure ? "sips:" : "sip:") + user + "@" + host + ":" + port + ";" + transport;
    }

    /** True if any binding's REGISTER carried this option tag in {@code Supported} (e.g. {@code glare}). */
    public boolean supports(String optionTag) {
        String tag = optionTag.toLowerCase(java.util.Locale.ROOT);
        return bindings.stream().anyMatch(b -> b.supported().contains(tag));
    }
}
