/**
 * What the glare plugin tells the outside: its status, counters and recent crossings. Read by the
 * Web Console page and the shell commands; published as the OSGi service {@link io.glareresolver.glare.api.GlareStatus}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.4.0")
package io.glareresolver.glare.api;
