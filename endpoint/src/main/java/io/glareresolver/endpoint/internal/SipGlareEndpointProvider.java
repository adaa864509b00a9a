package io.glareresolver.endpoint.internal;

import io.glareresolver.endpoint.EndpointConfig;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.GlareEndpointProvider;

/**
 * The JAIN-SIP user agent as the {@link GlareEndpointProvider} of this jar (named in
 * {@code META-INF/services}); public with a public constructor because {@link java.util.ServiceLoader}
 * instantiates it.
 */
public final class SipGlareEndpointProvider implements GlareEndpointProvider {

    /** Called by {@link java.util.ServiceLoader}. */
    public SipGlareEndpointProvider() {
    }

    @Override
    public GlareEndpoint start(EndpointConfig config) {
        return SipGlareEndpoint.start(config);
    }
}
