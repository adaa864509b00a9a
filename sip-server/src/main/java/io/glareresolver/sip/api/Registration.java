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
     */
    public record Binding(String contact, Instant expiresAt, Set<String> supported, String callId, long cseq) {
        public Binding {
            Objects.requireNonNull(contact, "contact");
            Objects.requireNonNull(expiresAt, "expiresAt");
            supported = Set.copyOf(supported);
        }
    }

    /** True if any binding's REGISTER carried this option tag in {@code Supported} (e.g. {@code glare}). */
    public boolean supports(String optionTag) {
        String tag = optionTag.toLowerCase(java.util.Locale.ROOT);
        return bindings.stream().anyMatch(b -> b.supported().contains(tag));
    }
}
