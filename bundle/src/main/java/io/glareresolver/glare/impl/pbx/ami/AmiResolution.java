package io.glareresolver.glare.impl.pbx.ami;

import java.util.Locale;
import java.util.Optional;

/** Setting {@code resolve.action}: the manager action that makes the higher side's own call yield. */
public enum AmiResolution {
    /** {@code Action: Hangup} on the higher side's channel with {@code Cause: <hangup.cause>}. */
    HANGUP("hangup"),
    /** {@code Action: Redirect} of the higher side's channel to {@code redirect.context}/{@code redirect.exten}/{@code redirect.priority}. */
    REDIRECT("redirect"),
    /** {@code Action: Bridge} of the two callers' channels into one call. */
    BRIDGE("bridge");

    private final String token;

    AmiResolution(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }

    public static Optional<AmiResolution> fromToken(String token) {
        if (token == null) {
            return Optional.empty();
        }
        String t = token.trim().toLowerCase(Locale.ROOT);
        for (AmiResolution r : values()) {
            if (r.token.equals(t)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }
}
