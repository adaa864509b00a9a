package io.glareresolver.glare.api;

import java.util.Map;
import java.util.Objects;

/**
 * One SIP message of a crossing as the server saw or sent it: an arrow of the console's ladder
 * diagram (columns L, server, H). Immutable.
 *
 * @param offsetMicros   time since the crossing's first INVITE arrived, in microseconds
 * @param from           sending column: {@link #LOWER}, {@link #SERVER} or {@link #HIGHER}
 * @param to             receiving column
 * @param label          the request method ({@code INVITE}, {@code CANCEL}) or the status line ({@code 491 Request Pending})
 * @param callId         the Call-ID of the INVITE the message belongs to
 * @param glareHeaders   the Glare headers the message carried ({@code Glare-Tiebreak}, {@code Glare-Resolution}), by name
 * @param note           what the server did, e.g. {@code forwarded with reject}, {@code answered here}, {@code rewritten}; may be empty
 * @since 1.1.0
 */
public record CrossingMessage(long offsetMicros, String from, String to, String label, String callId,
                              Map<String, String> glareHeaders, String note) {

    /** Column of the lower side L. */
    public static final String LOWER = "L";
    /** Column of the SIP server. */
    public static final String SERVER = "server";
    /** Column of the higher side H. */
    public static final String HIGHER = "H";

    public CrossingMessage {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(label, "label");
        glareHeaders = Map.copyOf(glareHeaders);
        note = note == null ? "" : note;
    }
}
