package io.glareresolver.sip.impl.stack;

/** Protocol constants used by the server, in one place. */
public final class SipConstants {

    private SipConstants() {
    }

    /** RFC 3261 §8.1.1.7: "The branch ID inserted by an element compliant with this specification MUST always begin with the characters "z9hG4bK"". */
    public static final String MAGIC_COOKIE = "z9hG4bK";
    /** Prefix of the branches this proxy creates, followed by the loop-detection hash. */
    public static final String BRANCH_PREFIX = MAGIC_COOKIE + "-gr";
    /** RFC 3261 §8.1.1.6: "the value of Max-Forwards ... SHOULD be 70". */
    public static final int DEFAULT_MAX_FORWARDS = 70;
    /** RFC 3261 §16.6 step 11, Timer C: "MUST be set for a value greater than 3 minutes". */
    public static final long TIMER_C_MILLIS = 181_000;
    public static final String ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, INFO, UPDATE, NOTIFY, SUBSCRIBE, REFER, PRACK";
    public static final String USER_AGENT = "Glare Resolver";
    public static final int DEFAULT_SIP_PORT = 5060;
    /** RFC 3261 §19.1.2: the default port of {@code sips:} URIs and TLS. */
    public static final int DEFAULT_SIPS_PORT = 5061;
    public static final String DIGEST = "Digest";
    public static final String QOP_AUTH = "auth";
}
