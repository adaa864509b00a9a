/**
 * The SIP server's plugin SPI: the only package the {@code sip-server} bundle exports.
 *
 * <p>A plugin registers an {@link io.glareresolver.sip.api.InviteInterceptor} as an OSGi
 * service (whiteboard). The proxy calls every bound interceptor, in descending
 * {@code service.ranking} order, for each initial INVITE between registered users, for the final
 * responses of those INVITEs, for CANCELs and for the end of the caller's transaction. A
 * {@link io.glareresolver.sip.api.RegistrationInterceptor} (whiteboard, since 1.1.0) adds headers to
 * the registrar's 200 OK to an accepted REGISTER. Since 1.4.0 the
 * {@link io.glareresolver.sip.api.ProtectionService} tells what the per-source rate limit and the
 * bans after repeated digest failures have done ({@link io.glareresolver.sip.api.ProtectionCounters}).
 * Interceptors bind and unbind at run time; the SIP stack is never restarted for them, and with
 * none bound the proxy is plain RFC 3261.
 *
 * <p>No JAIN-SIP or OSGi type appears here: a plugin sees immutable values and answers with
 * immutable actions, so its decision logic is plain Java.
 *
 * <p>The version below is the package's only stated version (the READMEs name none). What each
 * version added:
 * <ul>
 * <li>1.1: {@link io.glareresolver.sip.api.RegistrationInterceptor}.</li>
 * <li>1.2: the observation-only callbacks {@code onProvisionalResponse} and {@code onAck}.</li>
 * <li>1.3: {@code InitialInvite.dialledNanos()}, when the proxy first saw the call.</li>
 * <li>1.4: {@link io.glareresolver.sip.api.ProtectionService}, {@link io.glareresolver.sip.api.ProtectionCounters};
 * {@code Registration.Binding.q()}/{@code preference()}; the devices of a forked INVITE
 * ({@code InitialInvite.callerContact()}/{@code keepOnlyBranchTo()}, {@code InviteAction.onlyTo()},
 * {@code BranchResponse.contact()}, {@code Registration.sameDevice()}/{@code bindingOf()}).</li>
 * <li>1.5: {@code Registration.Binding} {@code received}, {@code instance}, {@code regId},
 * {@code path}, {@code natted()} (NAT traversal; the 5- and 6-argument constructors kept).</li>
 * <li>1.6: {@link io.glareresolver.sip.api.ServerCluster}, {@code ClusterStatus},
 * {@code ClusterUnavailableException}: several nodes.</li>
 * </ul>
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.6.0")
package io.glareresolver.sip.api;
