package io.glareresolver.sip.impl.location;

/**
 * How long a binding lasts (RFC 3261 §10.3 step 7). Plain Java.
 *
 * <p>"If the field value is an Expires parameter on the Contact, use that value; else if there is
 * an Expires header field, use its value; else use a locally-configured default." "The registrar
 * MAY shorten the interval." "If and only if the requested expiration interval is greater than
 * zero AND smaller than one hour AND less than a registrar-configured minimum, the registrar MAY
 * reject the registration with a response of 423 (Interval Too Brief)."
 */
public final class ExpiryRule {

    /** What becomes of one contact. */
    public enum Kind {
        /** Bind (or refresh) for {@link Decision#seconds()}. */
        BIND,
        /** Expires 0: remove the binding. */
        REMOVE,
        /** Interval too brief: the REGISTER fails with 423 and Min-Expires. */
        TOO_BRIEF
    }

    public record Decision(Kind kind, int seconds) {
    }

    private final int min;
    private final int max;
    private final int fallback;

    public ExpiryRule(int min, int max, int fallback) {
        this.min = min;
        this.max = max;
        this.fallback = fallback;
    }

    public int min() {
        return min;
    }

    /**
     * @param contactExpires the Contact's expires parameter, or null
     * @param headerExpires  the Expires header, or null
     */
    public Decision decide(Integer contactExpires, Integer headerExpires) {
        int requested = contactExpires != null ? contactExpires : headerExpires != null ? headerExpires : fallback;
        if (requested <= 0) {
            return new Decision(Kind.REMOVE, 0);
        }
        if (requested < min) {
            return new Decision(Kind.TOO_BRIEF, min);
        }
        return new Decision(Kind.BIND, Math.min(requested, max));
    }
}
