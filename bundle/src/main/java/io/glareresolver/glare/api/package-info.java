/**
 * What the glare plugin tells the outside: its status, counters and recent crossings. Read by the
 * Web Console page and the shell commands; published as the OSGi service {@link io.glareresolver.glare.api.GlareStatus}.
 *
 * <p>The version below is the package's only stated version (the READMEs name none). What each
 * version added:
 * <ul>
 * <li>1.1: {@code GlareStatus.lastRefusedSetting()}; {@link io.glareresolver.glare.api.CrossingMessage},
 * the SIP messages of a crossing ({@code CrossingRecord.messages()}).</li>
 * <li>1.2: {@link io.glareresolver.glare.api.DecisionTime}, the plugin's own decision time; the
 * ladder's provisional responses and end-to-end ACK.</li>
 * <li>1.3: {@code DecisionTime.WINDOW}, the percentiles taken over the most recent decisions.</li>
 * <li>1.4: {@code DecisionTime.cpuP50Nanos()}/{@code cpuP99Nanos()}, the deciding thread's CPU time.</li>
 * </ul>
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.glareresolver.glare.api;
