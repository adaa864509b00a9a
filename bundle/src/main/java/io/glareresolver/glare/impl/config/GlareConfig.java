package io.glareresolver.glare.impl.config;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** The plugin's settings (PID {@code io.glareresolver.glare}), editable on the Web Console's Configuration page. */
@ObjectClassDefinition(id = "io.glareresolver.glare", name = "Glare Resolver",
        description = "Resolves crossing INVITEs (glare) between registered endpoints in the SIP server.")
public @interface GlareConfig {

    @AttributeDefinition(name = "Enabled",
            description = "Resolve crossings. Off: the plugin is out of the call path and the proxy is plain RFC 3261.")
    boolean enabled() default true;

    @AttributeDefinition(name = "Tie-break source",
            description = "endpoint: use the INVITE's Glare-Tiebreak, fill in the registrar's ID where missing. "
                    + "registrar: always use the registrar's ID, so an endpoint cannot choose its side.",
            options = {@Option(value = "endpoint", label = "endpoint"), @Option(value = "registrar", label = "registrar")})
    String tiebreak_source() default "endpoint";

    @AttributeDefinition(name = "NG timeout (ms)",
            description = "How long the lower side may take to answer the higher side's INVITE before the server CANCELs it.")
    long glare_ng$_$timeout() default 2000;

    @AttributeDefinition(name = "Pending-INVITE table maximum",
            description = "Most initial INVITEs tracked at once; beyond it an INVITE is proxied without glare resolution (logged).")
    int pending_maximum() default 10000;

    @AttributeDefinition(name = "Pending timeout (ms)",
            description = "An INVITE still tracked after this long is dropped from the table (a lost final response).")
    long pending_timeout() default 64000;

    @AttributeDefinition(name = "Recent crossings kept", description = "Length of the recent-crossings list.")
    int recent_size() default 200;
}
