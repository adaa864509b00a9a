package io.glareresolver.glare.impl.resolve;

import io.glareresolver.glare.api.CrossingMessage;
import io.glareresolver.protocol.GlareHeaders;
import io.glareresolver.sip.api.HeaderEdits;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SIP messages of one followed INVITE as the server saw and sent them, seen from its caller
 * (the caller's side and the callee's side of the server). Bounded, thread-safe. Turned into the
 * ladder's {@link CrossingMessage}s once the INVITE's role in a crossing (L or H) is known.
 */
final class MessageTrail {

    /** Most messages kept per INVITE; a crossing normally has fewer than ten. */
    static final int MAXIMUM = 32;

    /** Direction of one message relative to the INVITE's caller. */
    enum Hop {
        CALLER_TO_SERVER, SERVER_TO_CALLEE, CALLEE_TO_SERVER, SERVER_TO_CALLER
    }

    record Step(long nanos, Hop hop, String label, Map<String, String> glareHeaders, String note) {
    }

    private final List<Step> steps = new ArrayList<>();

    void add(Hop hop, String label, Map<String, String> glareHeaders, String note) {
        synchronized (steps) {
            if (steps.size() < MAXIMUM) {
                steps.add(new Step(System.nanoTime(), hop, label, Map.copyOf(glareHeaders), note));
            }
        }
    }

    List<Step> steps() {
        synchronized (steps) {
            return List.copyOf(steps);
        }
    }

    /** The Glare headers of a message after the server's edits were applied to what it received. */
    static Map<String, String> afterEdits(Map<String, String> received, HeaderEdits edits) {
        Map<String, String> out = new LinkedHashMap<>(received);
        for (HeaderEdits.Edit e : edits.edits()) {
            String name = glareName(e.name());
            if (name == null) {
                continue;
            }
            switch (e.op()) {
                case REMOVE -> out.remove(name);
                case SET -> out.put(name, e.value());
                case ADD -> out.merge(name, e.value(), (a, b) -> a + ", " + b);
            }
        }
        return out;
    }

    static Map<String, String> glareHeaders(java.util.function.Function<String, List<String>> headers) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : List.of(GlareHeaders.TIEBREAK, GlareHeaders.RESOLUTION)) {
            List<String> values = headers.apply(name);
            if (!values.isEmpty()) {
                out.put(name, String.join(", ", values));
            }
        }
        return out;
    }

    private static String glareName(String name) {
        if (name.equalsIgnoreCase(GlareHeaders.TIEBREAK)) {
            return GlareHeaders.TIEBREAK;
        }
        if (name.equalsIgnoreCase(GlareHeaders.RESOLUTION)) {
            return GlareHeaders.RESOLUTION;
        }
        return null;
    }

    /**
     * The ladder arrows of this INVITE, its caller in column {@code callerColumn} and its callee in
     * {@code calleeColumn}, with offsets from {@code originNanos}.
     */
    List<CrossingMessage> arrows(String callId, String callerColumn, String calleeColumn, long originNanos) {
        List<CrossingMessage> out = new ArrayList<>();
        for (Step s : steps()) {
            String from = switch (s.hop()) {
                case CALLER_TO_SERVER -> callerColumn;
                case CALLEE_TO_SERVER -> calleeColumn;
                default -> CrossingMessage.SERVER;
            };
            String to = switch (s.hop()) {
                case SERVER_TO_CALLEE -> calleeColumn;
                case SERVER_TO_CALLER -> callerColumn;
                default -> CrossingMessage.SERVER;
            };
            out.add(new CrossingMessage(Math.max(0, (s.nanos() - originNanos) / 1000), from, to, s.label(), callId,
                    s.glareHeaders(), s.note()));
        }
        return out;
    }
}
