package io.glareresolver.cluster.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The escaping that lets any text (a Contact with parameters, a Path with commas, a display name
 * with a newline) sit in one field of the cluster's string records. The record separators
 * ({@code \n}, {@code |}, {@code ,}) and the escape character itself are written as {@code %XX};
 * {@code null} is the lone field {@code ~} ({@code ~} in a value is escaped too), so that a null
 * {@code received} and an empty one stay apart. Only strings cross the cluster: no class of this
 * bundle has to be known to the Hazelcast members.
 */
public final class FieldText {

    /** The field that stands for {@code null}. */
    static final String NULL = "~";

    private FieldText() {
    }

    /** {@code value} with the separators and the escape characters escaped; {@link #NULL} for null. */
    public static String escape(String value) {
        if (value == null) {
            return NULL;
        }
        StringBuilder out = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '%', '|', ',', '\n', '\r', '~' -> out.append('%').append(hex(c >> 4)).append(hex(c & 0xF));
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** The text {@link #escape} wrote; null for {@link #NULL}. */
    public static String unescape(String field) {
        if (NULL.equals(field)) {
            return null;
        }
        if (field.indexOf('%') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '%' && i + 2 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 3), 16));
                i += 2;
            } else if (c == '%') {
                throw new IllegalArgumentException("truncated escape in '" + field + "'");
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Splits on {@code separator}, keeping empty fields (including a trailing one). */
    static List<String> split(String text, char separator) {
        List<String> fields = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == separator) {
                fields.add(text.substring(start, i));
                start = i + 1;
            }
        }
        fields.add(text.substring(start));
        return fields;
    }

    /**
     * Escaped values, each followed by {@code ,} ({@code "a,b,"}): the empty list is the empty field
     * and a list of one empty value is {@code ","}, so the two stay apart.
     */
    static String list(Iterable<String> values) {
        StringBuilder out = new StringBuilder();
        for (String v : values) {
            out.append(escape(v)).append(',');
        }
        return out.toString();
    }

    /** The values {@link #list} wrote. */
    static List<String> unlist(String field) {
        List<String> values = new ArrayList<>();
        List<String> fields = split(field, ',');
        for (String v : fields.subList(0, fields.size() - 1)) {
            values.add(unescape(v));
        }
        return values;
    }

    private static char hex(int digit) {
        return "0123456789ABCDEF".charAt(digit);
    }
}
