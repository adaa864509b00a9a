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
     */
    public record Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq,
                          float q) {

        /** The value of {@link #q()} for a Contact registered without a {@code q} parameter. */
        public static final float NO_Q = -1f;

        public Binding {
            Objects.requireNonNull(contact, "contact");
            Objects.requireNonNull(expiresAt, "expiresAt");
            supported = Set.copyOf(supported);
            if (q != NO_Q && !(q >= 0f && q <= 1f)) {
                throw new IllegalArgumentException("q must be between 0 and 1: " + q);
            }
        }

        /** A binding registered without a {@code q} parameter (the 1.3 constructor). */
        public Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq) {
            this(contact, expiresAt, supported, callId, cseq, NO_Q);
        }

        /**
         * The preference forking uses: the {@code q} value, and 1.0 for a Contact without one (the
         * highest: a phone that names no preference is tried with the first).
         */
        public float preference() {
            return q == NO_Q ? 1f : q;
        }
    }

    /** True if any binding's REGISTER carried this option tag in {@code Supported} (e.g. {@code glare}). */
    public boolean supports(String optionTag) {
        String tag = optionTag.toLowerCase(java.util.Locale.ROOT);
        return bindings.stream().anyMatch(b -> b.supported().contains(tag));
    }
}
