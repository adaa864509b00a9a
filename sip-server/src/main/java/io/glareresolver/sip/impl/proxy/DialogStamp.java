package io.glareresolver.sip.impl.proxy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the dialogs this proxy record-routes, so that an in-dialog request can show it belongs to
 * one of them without the proxy keeping any dialog state. RFC 3261 §16.6 step 4: "The proxy MAY
 * include parameters in the Record-Route header field value. These will be echoed in some
 * responses to the request such as the 200 (OK) responses to INVITE. Such parameters may be useful
 * for keeping state in the message rather than the proxy." Both user agents keep the URI with its
 * parameters (§12.1.1/§12.1.2: the route set preserves "all URI parameters") and put it in the
 * Route of every later request of the dialog.
 *
 * <p>The stamp is {@code base64url(HMAC-SHA256(key, Call-ID, caller's From tag))} truncated to
 * {@value #STAMP_BYTES} bytes (16 characters). The key is 256 random bits made at construction
 * and never leaves this object (not logged, not in {@link #toString()}). A request from the caller
 * carries the caller's tag in From, one from the callee carries it in To, so {@link #verifies}
 * accepts either.
 */
public final class DialogStamp {

    /** The Record-Route / Route URI parameter that carries the stamp. */
    public static final String PARAMETER = "dlg";
    static final int STAMP_BYTES = 12;
    private static final int KEY_BYTES = 32;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    /** One keyed Mac per thread, as {@code NonceService}: keying a Mac per request showed in its profile. */
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(this::newMac);

    /** A stamp with a fresh random key (SecureRandom). */
    public DialogStamp() {
        this(new SecureRandom());
    }

    DialogStamp(SecureRandom random) {
        byte[] k = new byte[KEY_BYTES];
        random.nextBytes(k);
        this.key = new SecretKeySpec(k, ALGORITHM);
        Arrays.fill(k, (byte) 0);
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is a mandatory JCA algorithm", e);
        }
    }

    /**
     * The stamp of the dialog an initial INVITE creates.
     *
     * @param callId the INVITE's Call-ID
     * @param callerTag the INVITE's From tag; null (an RFC 2543 caller) is signed as the empty tag
     */
    public String sign(String callId, String callerTag) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac(callId, callerTag));
    }

    /**
     * True if {@code stamp} is the stamp of the dialog a request with this Call-ID and these tags
     * belongs to: signed over its From tag (a request from the caller) or its To tag (from the
     * callee). The comparison takes the same time wherever the values differ.
     */
    public boolean verifies(String stamp, String callId, String fromTag, String toTag) {
        if (stamp == null || callId == null) {
            return false;
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(stamp);
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
        // both checked, always: which side sent it is not told by the time taken
        boolean fromCaller = MessageDigest.isEqual(given, mac(callId, fromTag));
        boolean fromCallee = MessageDigest.isEqual(given, mac(callId, toTag));
        return fromCaller | fromCallee;
    }

    /** HMAC over the length-prefixed Call-ID and the tag (a boundary no Call-ID can shift), truncated. */
    private byte[] mac(String callId, String tag) {
        byte[] id = callId.getBytes(StandardCharsets.UTF_8);
        byte[] t = (tag == null ? "" : tag).getBytes(StandardCharsets.UTF_8);
        Mac m = macs.get();
        m.update(ByteBuffer.allocate(4).putInt(id.length).array());
        m.update(id);
        m.update(t);
        return Arrays.copyOf(m.doFinal(), STAMP_BYTES);
    }

    @Override
    public String toString() {
        return "DialogStamp[HMAC-SHA256, key not shown]";
    }
}
