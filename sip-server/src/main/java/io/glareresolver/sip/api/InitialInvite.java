package io.glareresolver.sip.api;

import java.util.List;
import java.util.Optional;

/**
 * An initial INVITE held by the proxy, as plugins see it. The message values are a snapshot of
 * the request as received (after edits of earlier interceptors), without the Proxy-Authorization
 * of the server's own realm, which the proxy consumed (RFC 3261 §22.3); the control methods act on
 * the live proxy transaction and may be called from any thread.
 */
public interface InitialInvite {

    /** Unique id of this proxied INVITE (server transaction), stable for its life. */
    String id();

    /** The Call-ID header value. */
    String callId();

    /** The caller's address of record, {@code user@host} of the From URI (no scheme, no parameters). */
    String fromAor();

    /** The callee's address of record, {@code user@host} of the To URI. */
    String toAor();

    /** The caller's registration (authenticated caller), if any. */
    Optional<Registration> caller();

    /** The callee's registration; present for every INVITE the proxy passes to interceptors. */
    Optional<Registration> callee();

    /** First value of a header, matched case-insensitively (RFC 3261 §7.3.1); compact forms expanded. */
    Optional<String> header(String name);

    /** All values of a header (comma-separated values split), in order; empty if absent. */
    List<String> headers(String name);

    /** Body as text (normally SDP), if any. */
    Optional<String> body();

    /** Content-Type of the body, e.g. {@code application/sdp}. */
    Optional<String> contentType();

    /** {@link System#nanoTime()} when the proxy received the INVITE. */
    long receivedNanos();

    /**
     * {@link System#nanoTime()} when the caller first sent this call's INVITE, as far as the proxy
     * saw: the arrival of the attempt it challenged with 407 (RFC 3261 §22.2; the INVITE re-sent
     * with credentials keeps the Call-ID, §8.1.3.5), else {@link #receivedNanos()}. A caller that
     * dialled before it answered its peer's INVITE crossed it; one that dialled after did not.
     */
    default long dialledNanos() {
        return receivedNanos();
    }

    /**
     * Completes a {@link InviteAction#hold() held} INVITE, or re-sends one whose branch response
     * was {@link ResponseAction#hold() held}: forward it (a new branch of the same proxy
     * transaction) or answer it. Ignored, with a log line, if the INVITE is not held (already
     * answered, cancelled or ended).
     *
     * @return true if the action was applied
     */
    boolean release(InviteAction action);

    /**
     * Sends CANCEL on the forwarded branch (RFC 3261 §9.1); the callee answers 487, which then
     * comes to {@link InviteInterceptor#onFinalResponse}. No effect if there is no live branch.
     *
     * @return true if a CANCEL was sent
     */
    boolean cancelBranch();

    /**
     * The Contact URI of the INVITE: the caller's device (RFC 3261 §8.1.1.8), empty if it had none.
     * Since 1.4.0.
     */
    default Optional<String> callerContact() {
        return Optional.empty();
    }

    /**
     * Narrows the INVITE to one device of the callee (since 1.4.0): the branches to every other
     * binding are cancelled (§9.1, on their first provisional response if they have sent none),
     * no further q-value is tried, and an INVITE not forwarded yet will go to that device only.
     * Their 487s never become the caller's answer while that device's answer is to come (§16.7
     * step 6 prefers the callee's own answer).
     *
     * @param contact a contact of the device ({@link Registration#sameDevice})
     * @return true if a branch to that device is out or the INVITE can still be sent to it
     */
    default boolean keepOnlyBranchTo(String contact) {
        return false;
    }
}
