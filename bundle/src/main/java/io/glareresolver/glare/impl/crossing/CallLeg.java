package io.glareresolver.glare.impl.crossing;

import java.util.Objects;

/**
 * The direction of an initial INVITE: caller AOR to callee AOR (both {@code user@host}, normalised
 * by the server). Two INVITEs cross when one's leg is the other's {@link #reverse()}.
 */
public record CallLeg(String caller, String callee) {

    public CallLeg {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(callee, "callee");
    }

    /** @return the leg of a call placed the other way round */
    public CallLeg reverse() {
        return new CallLeg(callee, caller);
    }

    @Override
    public String toString() {
        return caller + " -> " + callee;
    }
}
