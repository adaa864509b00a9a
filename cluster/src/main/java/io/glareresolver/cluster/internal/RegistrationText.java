package io.glareresolver.cluster.internal;

import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * One node's bindings of one address of record as the text value of the shared bindings map.
 * Text, not a serialized object, so that every member reads it without this bundle's classes
 * (inside OSGi the Hazelcast bundle cannot see them) and a member of another release can still
 * read it.
 *
 * <p>Layout: line 1 the format version {@code 1}, line 2 the endpoint ID, then one line per
 * binding with ten {@code |}-separated fields, each {@link FieldText#escape escaped}:
 * {@code contact|expiresAt|supported-list|callId|cseq|q|received|instance|regId|path-list}
 * ({@link #expiry(Instant) expiresAt} in epoch milliseconds).
 */
public final class RegistrationText {

    static final String VERSION = "1";
    private static final int FIELDS = 10;

    private RegistrationText() {
    }

    /** The text of {@code registration}'s endpoint ID and bindings (the AOR is in the key). */
    public static String encode(Registration registration) {
        StringBuilder out = new StringBuilder(64 + 160 * registration.bindings().size());
        out.append(VERSION).append('\n').append(registration.endpointId());
        for (Binding b : registration.bindings()) {
            out.append('\n')
                    .append(FieldText.escape(b.contact())).append('|')
                    .append(expiry(b.expiresAt())).append('|')
                    .append(FieldText.list(new java.util.TreeSet<>(b.supported()))).append('|')
                    .append(FieldText.escape(b.callId())).append('|')
                    .append(b.cseq()).append('|')
                    .append(Float.toString(b.q())).append('|')
                    .append(FieldText.escape(b.received())).append('|')
                    .append(FieldText.escape(b.instance())).append('|')
                    .append(b.regId()).append('|')
                    .append(FieldText.list(b.path()));
        }
        return out.toString();
    }

    /**
     * The registration {@link #encode} wrote, for {@code aor}.
     *
     * @throws IllegalArgumentException if {@code text} is not such a record
     */
    public static Registration decode(String aor, String text) {
        List<String> lines = FieldText.split(text, '\n');
        if (lines.size() < 2 || !VERSION.equals(lines.get(0))) {
            throw new IllegalArgumentException("not a version " + VERSION + " registration record");
        }
        long endpointId = Long.parseLong(lines.get(1));
        List<Binding> bindings = new ArrayList<>(lines.size() - 2);
        for (String line : lines.subList(2, lines.size())) {
            List<String> f = FieldText.split(line, '|');
            if (f.size() != FIELDS) {
                throw new IllegalArgumentException("a binding has " + f.size() + " fields, not " + FIELDS);
            }
            bindings.add(new Binding(FieldText.unescape(f.get(0)),
                    expiry(f.get(1)),
                    new LinkedHashSet<>(FieldText.unlist(f.get(2))),
                    FieldText.unescape(f.get(3)),
                    Long.parseLong(f.get(4)),
                    Float.parseFloat(f.get(5)),
                    FieldText.unescape(f.get(6)),
                    FieldText.unescape(f.get(7)),
                    Integer.parseInt(f.get(8)),
                    FieldText.unlist(f.get(9))));
        }
        return new Registration(aor, endpointId, bindings);
    }

    /**
     * Epoch milliseconds, and the nanoseconds within the millisecond after a dot when there are
     * any ({@code 1765099142560.577181}): a reader that wants only the millis parses up to the dot,
     * and a decoded binding still equals the published one.
     */
    static String expiry(Instant at) {
        long millis = at.getEpochSecond() * 1000 + at.getNano() / 1_000_000;
        int nanos = at.getNano() % 1_000_000;
        return nanos == 0 ? Long.toString(millis) : millis + "." + String.format("%06d", nanos);
    }

    static Instant expiry(String field) {
        int dot = field.indexOf('.');
        if (dot < 0) {
            return Instant.ofEpochMilli(Long.parseLong(field));
        }
        String nanos = field.substring(dot + 1);
        if (nanos.length() != 6) {
            throw new IllegalArgumentException("expiry nanoseconds must be 6 digits: " + field);
        }
        return Instant.ofEpochMilli(Long.parseLong(field.substring(0, dot))).plusNanos(Integer.parseInt(nanos));
    }
}
