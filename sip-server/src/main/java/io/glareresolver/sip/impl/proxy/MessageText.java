package io.glareresolver.sip.impl.proxy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

import javax.sip.header.ContentTypeHeader;
import javax.sip.header.ExtensionHeader;
import javax.sip.header.Header;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Message;

import io.glareresolver.sip.api.HeaderEdits;

/** Reads headers of a SIP message as text for plugins, and applies {@link HeaderEdits}. */
public final class MessageText {

    /** RFC 3261 §7.3.3 compact forms (and RFC 3265/3515/3841 ones). */
    private static final Map<String, String> COMPACT = Map.ofEntries(
            Map.entry("i", "Call-ID"), Map.entry("m", "Contact"), Map.entry("e", "Content-Encoding"),
            Map.entry("l", "Content-Length"), Map.entry("c", "Content-Type"), Map.entry("f", "From"),
            Map.entry("s", "Subject"), Map.entry("k", "Supported"), Map.entry("t", "To"), Map.entry("v", "Via"),
            Map.entry("o", "Event"), Map.entry("r", "Refer-To"), Map.entry("u", "Allow-Events"),
            Map.entry("a", "Accept-Contact"), Map.entry("b", "Referred-By"), Map.entry("j", "Reject-Contact"),
            Map.entry("d", "Request-Disposition"), Map.entry("x", "Session-Expires"));

    private MessageText() {
    }

    static String fullName(String name) {
        String n = name.trim();
        return n.length() == 1 ? COMPACT.getOrDefault(n.toLowerCase(Locale.ROOT), n) : n;
    }

    /** The value of a header as text (what follows "Name:"). */
    static String value(Header h) {
        String s = h.toString();
        int colon = s.indexOf(':');
        return (colon >= 0 ? s.substring(colon + 1) : s).trim();
    }

    static List<String> headers(Message m, String name) {
        return headers(m, name, h -> false);
    }

    /** The values of a header as {@link #headers(Message, String)}, without those of the headers {@code hidden} accepts. */
    static List<String> headers(Message m, String name, Predicate<Header> hidden) {
        List<String> out = new ArrayList<>();
        Iterator<?> it = m.getHeaders(fullName(name));
        while (it.hasNext()) {
            Header h = (Header) it.next();
            if (hidden.test(h)) {
                continue;
            }
            String v = value(h);
            if (h instanceof ExtensionHeader) {
                out.addAll(splitList(v)); // the RI splits the list headers it knows, not ours
            } else {
                out.add(v);
            }
        }
        return out;
    }

    static Optional<String> header(Message m, String name) {
        List<String> all = headers(m, name);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    /** Splits a header value at commas outside quotes and angle brackets (RFC 3261 §7.3.1). */
    static List<String> splitList(String v) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        int angle = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' && (i == 0 || v.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && c == '<') {
                angle++;
            } else if (!quoted && c == '>') {
                angle = Math.max(0, angle - 1);
            } else if (!quoted && angle == 0 && c == ',') {
                if (!cur.toString().isBlank()) {
                    out.add(cur.toString().trim());
                }
                cur.setLength(0);
                continue;
            }
            cur.append(c);
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString().trim());
        }
        return out;
    }

    static Optional<String> body(Message m) {
        byte[] raw = m.getRawContent();
        return raw == null || raw.length == 0 ? Optional.empty() : Optional.of(new String(raw, StandardCharsets.UTF_8));
    }

    static Optional<String> contentType(Message m) {
        ContentTypeHeader ct = (ContentTypeHeader) m.getHeader(ContentTypeHeader.NAME);
        return ct == null ? Optional.empty() : Optional.of(ct.getContentType() + "/" + ct.getContentSubType());
    }

    /**
     * Applies edits in order, all or nothing: every header is checked and built before the message
     * is touched, so a refused edit leaves the message as it was (and the proxy need not copy the
     * message first). Headers the proxy relies on cannot be edited by plugins: a refused edit throws
     * {@link IllegalArgumentException} naming it; an unparsable value throws {@link java.text.ParseException}.
     */
    public static void apply(Message m, HeaderEdits edits, HeaderFactory factory) throws java.text.ParseException {
        prepare(edits, factory).applyTo(m, false);
    }

    /**
     * Checks and builds edits once, for messages to come ({@link Prepared#applyTo}): the refusals of
     * {@link #apply} are thrown here, so applying them later cannot fail half way.
     */
    static Prepared prepare(HeaderEdits edits, HeaderFactory factory) throws java.text.ParseException {
        List<HeaderEdits.Edit> all = edits.edits();
        HeaderEdits.Op[] ops = new HeaderEdits.Op[all.size()];
        String[] names = new String[all.size()];
        Header[] built = new Header[all.size()];
        for (int i = 0; i < all.size(); i++) {
            HeaderEdits.Edit e = all.get(i);
            ops[i] = e.op();
            names[i] = fullName(e.name());
            if (PROTECTED.contains(names[i].toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("header " + names[i] + " is managed by the proxy and cannot be edited");
            }
            if (e.op() != HeaderEdits.Op.REMOVE) {
                built[i] = factory.createHeader(names[i], e.value());
            }
        }
        return new Prepared(edits, ops, names, built);
    }

    /**
     * Edits checked and built by {@link #prepare}, applicable to any number of messages: an
     * INVITE's edits go into each branch's copy, since the received INVITE is not changed.
     */
    static final class Prepared {
        private final HeaderEdits edits;
        private final HeaderEdits.Op[] ops;
        private final String[] names;
        private final Header[] built;

        private Prepared(HeaderEdits edits, HeaderEdits.Op[] ops, String[] names, Header[] built) {
            this.edits = edits;
            this.ops = ops;
            this.names = names;
            this.built = built;
        }

        /** Applies the edits to {@code m}, each with a header of its own (a header is part of one message). */
        void applyTo(Message m) {
            applyTo(m, true);
        }

        private void applyTo(Message m, boolean copies) {
            for (int i = 0; i < ops.length; i++) {
                Header h = built[i] == null || !copies ? built[i] : (Header) built[i].clone();
                switch (ops[i]) {
                    case REMOVE -> m.removeHeader(names[i]);
                    case SET -> {
                        m.removeHeader(names[i]);
                        m.addHeader(h);
                    }
                    case ADD -> m.addHeader(h);
                }
            }
        }

        @Override
        public String toString() {
            return edits.toString();
        }
    }

    private static final java.util.Set<String> PROTECTED = java.util.Set.of(
            "via", "call-id", "cseq", "from", "to", "max-forwards", "route", "record-route", "content-length");
}
