package io.glareresolver.glare.impl.pbx.agi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** Settings of the FastAGI server (PID {@code io.glareresolver.glare.pbx.agi}); off unless this configuration exists. */
@ObjectClassDefinition(id = "io.glareresolver.glare.pbx.agi", name = "Glare Resolver: FastAGI",
        description = "FastAGI server with the script 'glare' for the Asterisk dialplan (AGI(agi://host:4573/glare,CALLER,CALLEE)).")
public @interface FastAgiConfig {

    @AttributeDefinition(name = "Bind address", description = "Address the FastAGI server listens on (the PBX connects to it).")
    String bind_address() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "FastAGI TCP port (Asterisk's default is 4573).")
    int port() default 4573;

    @AttributeDefinition(name = "Tie-break source",
            description = "endpoint: the AGI argument or GLARE_TIEBREAK, else the registrar's ID. registrar: always the registrar's ID.",
            options = {@Option(value = "endpoint", label = "endpoint"), @Option(value = "registrar", label = "registrar")})
    String tiebreak_source() default "endpoint";

    @AttributeDefinition(name = "Pending timeout (ms)",
            description = "A call not ended by 'glare-end' is forgotten after this long.")
    long pending_timeout() default 60000;

    @AttributeDefinition(name = "Pending maximum", description = "Most pending calls tracked at once.")
    int pending_maximum() default 10000;

    @AttributeDefinition(name = "Read timeout (ms)",
            description = "An AGI session whose peer sends nothing for this long is closed.")
    long read_timeout() default 10000;

    @AttributeDefinition(name = "Worker threads", description = "Maximum concurrent AGI sessions.")
    int pool_size() default 20;
}
