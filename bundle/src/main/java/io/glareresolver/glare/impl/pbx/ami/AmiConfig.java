package io.glareresolver.glare.impl.pbx.ami;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** Settings of the AMI watcher (PID {@code io.glareresolver.glare.pbx.ami}); off unless this configuration exists. */
@ObjectClassDefinition(id = "io.glareresolver.glare.pbx.ami", name = "Glare Resolver: Asterisk Manager (AMI)",
        description = "Follows the PBX's call events and resolves crossing calls between extensions with manager actions.")
public @interface AmiConfig {

    /** The shipped placeholder: the watcher refuses to connect until a real secret is set. */
    String SECRET_PLACEHOLDER = "CHANGE-ME";

    @AttributeDefinition(name = "Host", description = "Asterisk's manager interface address.")
    String host() default "127.0.0.1";

    @AttributeDefinition(name = "Port", description = "AMI TCP port (manager.conf [general] port, default 5038).")
    int port() default 5038;

    @AttributeDefinition(name = "User name", description = "The manager.conf user (needs read=call and write=call).")
    String username() default "glare";

    @AttributeDefinition(name = "Secret", type = AttributeType.PASSWORD,
            description = "That user's secret. Never logged. The placeholder CHANGE-ME refuses to connect.")
    String secret() default SECRET_PLACEHOLDER;

    @AttributeDefinition(name = "Tie-break source",
            description = "endpoint: the channel variable GLARE_TIEBREAK, else the registrar's ID. registrar: always the registrar's ID.",
            options = {@Option(value = "endpoint", label = "endpoint"), @Option(value = "registrar", label = "registrar")})
    String tiebreak_source() default "endpoint";

    @AttributeDefinition(name = "Resolution", description = "How the higher side's own call yields.",
            options = {@Option(value = "hangup", label = "hang it up with a cause"),
                    @Option(value = "redirect", label = "redirect it in the dialplan"),
                    @Option(value = "bridge", label = "bridge the two callers")})
    String resolve_action() default "hangup";

    @AttributeDefinition(name = "Hangup cause", description = "Q.850 cause of the Hangup action (17 = user busy).")
    int hangup_cause() default 17;

    @AttributeDefinition(name = "Redirect context", description = "Dialplan context for resolve.action=redirect.")
    String redirect_context() default "glare-yield";

    @AttributeDefinition(name = "Redirect extension", description = "Extension for resolve.action=redirect; empty: the lower side's extension.")
    String redirect_exten() default "";

    @AttributeDefinition(name = "Redirect priority")
    int redirect_priority() default 1;

    @AttributeDefinition(name = "First reconnect delay (ms)",
            description = "Delay before retrying a failed login; doubled on each failure up to the maximum.")
    long reconnect_initial() default 1000;

    @AttributeDefinition(name = "Maximum reconnect delay (ms)")
    long reconnect_maximum() default 30000;

    @AttributeDefinition(name = "Pending timeout (ms)", description = "A dial without DialEnd/Hangup is forgotten after this long.")
    long pending_timeout() default 120000;
}
