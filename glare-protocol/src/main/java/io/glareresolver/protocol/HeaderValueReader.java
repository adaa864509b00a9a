package io.glareresolver.protocol;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A reader for {@code value *( SEMI generic-param )} header values (RFC 3261 §25.1):
 *
 * <pre>
 * LWS  =  [*WSP CRLF] 1*WSP   ; linear whitespace
 * SWS  =  [LWS]               ; sep whitespace
 * SEMI =  SWS ";" SWS
 * EQUAL = SWS "=" SWS
 * generic-param = token [ EQUAL gen-value ]
 * gen-value = token / host / quoted-string
 * </pre>
 *
 * Every failure is a {@link MalformedHeaderException} whose message is a reason phrase.
 */
final class HeaderValueReader {

    /** RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
    private static final String TOKEN_MARKS = "-.!%*_+`'~";

    private final String s;
    private int pos;

    HeaderValueReader(String s) {
        this.s = s;
    }

    static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || TOKEN_MARKS.indexOf(c) >= 0;
    }

    boolean atEnd() {
        return pos >= s.length();
    }

    char peek() {
        return s.charAt(pos);
    }

    void readDigit() {
        pos++;
    }

    /** Skips SWS; a CRLF must be followed by whitespace (a fold), anything else is an error. */
    void skipSws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t') {
                pos++;
            } else if (c == '\r' || c == '\n') {
                int next = pos + ((c == '\r' && pos + 1 < s.length() && s.charAt(pos + 1) == '\n') ? 2 : 1);
                if (next < s.length() && (s.charAt(next) == ' ' || s.charAt(next) == '\t')) {
                    pos = next;
                } else {
                    throw new MalformedHeaderException("line break without continuation");
                }
            } else {
                return;
            }
        }
    }

    String readToken(String what) {
        int start = pos;
        while (pos < s.length() && isTokenChar(s.charAt(pos))) {
            pos++;
        }
        if (start == pos) {
            throw new MalformedHeaderException(atEnd() ? "missing " + what : "invalid character in " + what);
        }
        return s.substring(start, pos);
    }

    /** gen-value: token, host (with ':' and brackets for IPv6), or quoted-string (unquoted here). */
    String readGenValue(String what) {
        if (!atEnd() && peek() == '"') {
            return readQuoted(what);
        }
        int start = pos;
        while (pos < s.length() && (isTokenChar(s.charAt(pos)) || ":[]".indexOf(s.charAt(pos)) >= 0)) {
            pos++;
        }
        if (start == pos) {
            throw new MalformedHeaderException("missing value of " + what);
        }
        return s.substring(start, pos);
    }

    /** RFC 3261: quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE */
    String readQuoted(String what) {
        pos++; // opening quote
        StringBuilder out = new StringBuilder();
        while (pos < s.length()) {
            char c = s.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\') {
                if (pos >= s.length()) {
                    break;
                }
                char e = s.charAt(pos++);
                if (e == '\r' || e == '\n') {
                    throw new MalformedHeaderException("invalid escape in " + what);
                }
                out.append(e);
            } else if (c == '\r' || c == '\n') {
                throw new MalformedHeaderException("line break in quoted " + what);
            } else {
                out.append(c);
            }
        }
        throw new MalformedHeaderException("unterminated quoted " + what);
    }

    /**
     * Reads {@code *( SEMI generic-param )} to the end of the value. Parameter names are
     * case-insensitive (returned lower-case); a repeated name is an error. A parameter without
     * value maps to the empty string's absence: {@code null}.
     */
    Map<String, String> readParams() {
        Map<String, String> params = new LinkedHashMap<>();
        skipSws();
        while (!atEnd()) {
            if (peek() != ';') {
                throw new MalformedHeaderException("unexpected character after value");
            }
            pos++;
            skipSws();
            String name = readToken("parameter name").toLowerCase(Locale.ROOT);
            skipSws();
            String value = null;
            if (!atEnd() && peek() == '=') {
                pos++;
                skipSws();
                value = readGenValue("parameter " + name);
                skipSws();
            }
            if (params.containsKey(name)) {
                throw new MalformedHeaderException("duplicate parameter " + name);
            }
            params.put(name, value);
        }
        return params;
    }
}
