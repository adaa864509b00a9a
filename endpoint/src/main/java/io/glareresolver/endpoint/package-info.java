/**
 * The seed's communication device as a SIP user agent: build one with
 * {@link io.glareresolver.endpoint.GlareEndpoint#builder()}, {@code register()}, {@code call(aor)}
 * and follow the {@link io.glareresolver.endpoint.CallHandle}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package io.glareresolver.endpoint;
