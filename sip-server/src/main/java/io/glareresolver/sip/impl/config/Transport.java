package io.glareresolver.sip.impl.config;

import java.util.Locale;
import java.util.Optional;

/** The SIP transports the server listens on (RFC 3261 §18; TLS: §26.2, on its own port). */
public enum Transport {
    UDP("udp", false),
    TCP("tcp", true),
    TLS("tls", true);

    private final String token;
    private final boolean reliable;

    Transport(String token, boolean reliable) {
        this.token = token;
        this.reliable = reliable;
    }

    /** The lower-case token used in {@code transport=} URI parameters and settings. */
    public String token() {
        return token;
    }

    public boolean reliable() {
        return reliable;
    }

    public static Optional<Transport> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Transport tr : values()) {
            if (tr.token.equals(t)) {
                return Optional.of(tr);
            }
        }
        return Optional.empty();
    }
}
