package io.glareresolver.sip.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * An ordered list of header edits, applied in order: {@code set} replaces every value of a
 * header with one, {@code add} appends a value, {@code remove} deletes every value. Names are
 * matched case-insensitively. Immutable; build with {@link #builder()}.
 *
 * <pre>HeaderEdits.builder().set("Glare-Resolution", "accept").build()</pre>
 */
public final class HeaderEdits {

    public enum Op { SET, ADD, REMOVE }

    /** One edit. {@code value} is null for {@link Op#REMOVE}. */
    public record Edit(Op op, String name, String value) {
        public Edit {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(name, "name");
            if (name.isBlank() || !name.chars().allMatch(HeaderEdits::isTokenChar)) {
                throw new IllegalArgumentException("not a header name: '" + name + "'");
            }
            if (op != Op.REMOVE) {
                Objects.requireNonNull(value, "value");
                if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("header value must be one line: " + name);
                }
            }
        }
    }

    private static final HeaderEdits NONE = new HeaderEdits(List.of());

    private final List<Edit> edits;

    private HeaderEdits(List<Edit> edits) {
        this.edits = edits;
    }

    public static HeaderEdits none() {
        return NONE;
    }

    public static Builder builder() {
        return new Builder();
    }

    public List<Edit> edits() {
        return edits;
    }

    public boolean isEmpty() {
        return edits.isEmpty();
    }

    /** @return a builder that starts with these edits, to append more */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.edits.addAll(edits);
        return b;
    }

    @Override
    public String toString() {
        return edits.toString();
    }

    // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    private static boolean isTokenChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-.!%*_+`'~".indexOf(c) >= 0;
    }

    public static final class Builder {
        private final List<Edit> edits = new ArrayList<>();

        private Builder() {
        }

        public Builder set(String name, String value) {
            edits.add(new Edit(Op.SET, name, value));
            return this;
        }

        public Builder add(String name, String value) {
            edits.add(new Edit(Op.ADD, name, value));
            return this;
        }

        public Builder remove(String name) {
            edits.add(new Edit(Op.REMOVE, name, null));
            return this;
        }

        public HeaderEdits build() {
            return edits.isEmpty() ? NONE : new HeaderEdits(Collections.unmodifiableList(new ArrayList<>(edits)));
        }
    }
}
