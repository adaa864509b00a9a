package io.glareresolver.endpoint;

/**
 * The service that starts an endpoint's SIP stack for {@link GlareEndpoint.Builder#build()}.
 * {@code build()} finds it with {@link java.util.ServiceLoader} (through the API's own class loader),
 * so that the API names no implementation class; this jar (and bundle) names its JAIN-SIP user agent in
 * {@code META-INF/services/io.glareresolver.endpoint.GlareEndpointProvider}. A user of the API calls
 * {@code build()}, not this interface.
 */
public interface GlareEndpointProvider {

    /**
     * Starts the SIP stack on 127.0.0.1 with {@code config}.
     *
     * @return the running endpoint; the caller closes it
     */
    GlareEndpoint start(EndpointConfig config);
}
