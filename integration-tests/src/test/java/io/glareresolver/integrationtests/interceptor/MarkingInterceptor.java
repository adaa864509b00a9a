package io.glareresolver.integrationtests.interceptor;

import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.InitialInvite;
import io.glareresolver.sip.api.InviteAction;
import io.glareresolver.sip.api.InviteInterceptor;

/**
 * A test plugin: forwards every initial INVITE with a marker header, so a callee can tell whether
 * the interceptor was in the path. Packaged as a bundle by the in-container test.
 */
public final class MarkingInterceptor implements InviteInterceptor {

    /** The header the callee sees while the interceptor is bound. */
    public static final String MARKER_HEADER = "X-Glare-Test-Interceptor";

    private final String marker;

    public MarkingInterceptor(String marker) {
        this.marker = marker;
    }

    @Override
    public InviteAction onInitialInvite(InitialInvite invite) {
        return InviteAction.forward(HeaderEdits.builder().set(MARKER_HEADER, marker).build());
    }
}
