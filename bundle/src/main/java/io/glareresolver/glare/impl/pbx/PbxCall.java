package io.glareresolver.glare.impl.pbx;

import io.glareresolver.protocol.TiebreakValue;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One outgoing call placed through the PBX, from extension {@code caller} to {@code callee}, on
 * Asterisk channel {@code channel}, with the tie-break value the dialplan offered (AGI argument or
 * channel variable {@code GLARE_TIEBREAK}) and the registrar's endpoint ID of the caller. Immutable.
 */
public record PbxCall(String caller, String callee, String channel, Optional<TiebreakValue> offered,
                      OptionalLong registrarId) {

    public PbxCall {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(callee, "callee");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(offered, "offered");
        Objects.requireNonNull(registrarId, "registrarId");
    }

    @Override
    public String toString() {
        return caller + " -> " + callee + " on " + channel;
    }
}
