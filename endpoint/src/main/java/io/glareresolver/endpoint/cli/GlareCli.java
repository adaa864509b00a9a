package io.glareresolver.endpoint.cli;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.endpoint.CallResult;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.P2pSession;
import io.glareresolver.endpoint.Registration;
import io.glareresolver.endpoint.RegistrationException;
import io.glareresolver.endpoint.TiebreakSource;
import io.glareresolver.endpoint.fsm.Variant;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

/**
 * Command-line program of the endpoint: {@code register}, {@code call}, {@code answer},
 * {@code demo}. Prints what was sent and received, the ports used, and the port counts.
 */
public final class GlareCli {

    static final String USAGE = String.join("\n",
            "usage: java -jar endpoint-<version>.jar <command> [options]",
            "",
            "commands:",
            "  register  --user U --password P [--server HOST:PORT]",
            "            register once with digest auth and Supported: glare; print the registrar's tie-break",
            "  call      --user U [--password P --server HOST:PORT] --to TARGET [--hold SECONDS]",
            "            TARGET is a user (through the server) or a SIP URI (direct, e.g. sip:bob@127.0.0.1:5071)",
            "  answer    --user U [--password P --server HOST:PORT] [--sip-port N] [--for SECONDS]",
            "            answer every call automatically (S111-S121) and keep sessions up until BYE",
            "  demo      --server HOST:PORT --user1 U1 --password1 P1 --user2 U2 --password2 P2",
            "            register both, make them call each other at the same instant, print both sides",
            "",
            "options:",
            "  --server HOST:PORT       registrar/proxy (default port 5060); without it calls go direct",
            "  --id N | --id1 N --id2 N device ID sent in Glare-Tiebreak (seed S62)",
            "  --random                 a random tie-break per call instead of the ID (claim 7)",
            "  --registrar-tiebreak     use the value of Glare-Tiebreak in the REGISTER 200 OK",
            "  --variant V[,V...]       seed variants: " + List.of(Variant.values()),
            "  --sip-port N             local SIP UDP port on 127.0.0.1 (default: a free one)",
            "  --domain D               AOR host part (default: the server host)",
            "  --timeout SECONDS        how long to wait for an answer (default 10)");

    private final PrintStream out;
    private final Map<String, String> opts;

    GlareCli(PrintStream out, Map<String, String> opts) {
        this.out = out;
        this.opts = opts;
    }

    public static void main(String[] args) {
        // quiet by default: the CLI prints its own lines; -Dorg.slf4j.simpleLogger.defaultLogLevel=debug for more
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.jainsip",
                System.getProperty("org.slf4j.simpleLogger.log.jainsip", "off"));
        int code;
        try {
            code = run(args, System.out);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        }
        System.exit(code); // JAIN-SIP leaves a non-daemon thread after SipStack.stop()
    }

    /** @return the process exit code: 0 ok, 1 call failed, 2 usage, 3 registration failed */
    static int run(String[] args, PrintStream out) {
        if (args.length == 0 || "--help".equals(args[0]) || "help".equals(args[0])) {
            out.println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Map<String, String> opts = parse(args);
        GlareCli cli = new GlareCli(out, opts);
        try {
            switch (args[0]) {
                case "register":
                    return cli.register();
                case "call":
                    return cli.call();
                case "answer":
                    return cli.answer();
                case "demo":
                    return cli.demo();
                default:
                    throw new IllegalArgumentException("unknown command " + args[0]);
            }
        } catch (RegistrationException e) {
            out.println("registration failed: " + e.getMessage());
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            String key = a.substring(2);
            if (key.equals("random") || key.equals("registrar-tiebreak")) {
                m.put(key, "true");
            } else if (i + 1 < args.length) {
                m.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("option " + a + " needs a value");
            }
        }
        return m;
    }

    private String need(String key) {
        String v = opts.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + key + " is required");
        }
        return v;
    }

    private Duration timeout() {
        return Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "10")));
    }

    private GlareEndpoint.Builder builder(String user, String password, String idKey, String prefix) {
        GlareEndpoint.Builder b = GlareEndpoint.builder().user(user).password(password)
                .onTrace(line -> out.println(prefix + line));
        String server = opts.get("server");
        if (server != null) {
            int colon = server.lastIndexOf(':');
            String host = colon > 0 ? server.substring(0, colon) : server;
            int port = colon > 0 ? Integer.parseInt(server.substring(colon + 1)) : 5060;
            b.server(host, port);
        }
        if (opts.containsKey("domain")) {
            b.domain(opts.get("domain"));
        }
        if (opts.containsKey("sip-port")) {
            b.sipPort(Integer.parseInt(opts.get("sip-port")));
        }
        if (opts.containsKey(idKey)) {
            b.id(Long.parseLong(opts.get(idKey)));
        } else if (opts.containsKey("id")) {
            b.id(Long.parseLong(opts.get("id")));
        }
        if (opts.containsKey("random")) {
            b.randomTiebreak();
        }
        if (opts.containsKey("registrar-tiebreak")) {
            b.tiebreakSource(TiebreakSource.REGISTRAR);
        }
        if (opts.containsKey("variant")) {
            for (String v : opts.get("variant").split(",")) {
                b.variant(Variant.valueOf(v.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
            }
        }
        b.registerTimeout(Duration.ofSeconds(Math.min(5, timeout().toSeconds())));
        return b;
    }

    private void printRegistration(Registration r) {
        out.println("registered " + r.aor() + " (expires " + r.expires() + " s, digest "
                + (r.algorithm() == null ? "none" : r.algorithm()) + ", registrar Glare-Tiebreak "
                + r.tiebreak().map(Object::toString).orElse("none") + ")");
    }

    int register() throws RegistrationException {
        need("server");
        try (GlareEndpoint ep = builder(need("user"), opts.get("password"), "id", "").build()) {
            printRegistration(ep.register());
            return 0;
        }
    }

    int call() throws RegistrationException, InterruptedException {
        String to = need("to");
        try (GlareEndpoint ep = builder(need("user"), opts.get("password"), "id", "").build()) {
            if (opts.containsKey("server")) {
                printRegistration(ep.register());
            }
            CallHandle h = ep.call(to);
            CallResult r = await(h);
            if (r == null || !r.established()) {
                h.hangUp(); // CANCEL a call still pending, close its port
                waitFor(h, 5);
                out.println("call failed: " + (r == null ? "no final answer from " + to + " within "
                        + timeout().toSeconds() + " s (is the callee's phone reachable?)" : explain(to, r)));
                out.println("ports: " + ep.ports());
                return 1;
            }
            report(ep.aor(), h, r);
            long hold = Long.parseLong(opts.getOrDefault("hold", "0"));
            if (hold > 0) {
                waitFor(h, hold);
            }
            h.hangUp();
            waitFor(h, 5);
            out.println("ports: " + ep.ports());
            return 0;
        }
    }

    int answer() throws RegistrationException, InterruptedException {
        long seconds = Long.parseLong(opts.getOrDefault("for", "0"));
        CountDownLatch forever = new CountDownLatch(1);
        List<CallHandle> calls = new ArrayList<>();
        GlareEndpoint.Builder b = builder(need("user"), opts.get("password"), "id", "");
        b.onIncoming(h -> {
            calls.add(h);
            h.result().thenAccept(r -> out.println("incoming call from " + h.peer() + ": " + r.outcome()
                    + " (local port " + r.localPort() + ", remote port " + r.remotePort() + ")"));
        });
        try (GlareEndpoint ep = b.build()) {
            if (opts.containsKey("server")) {
                printRegistration(ep.register());
            }
            out.println("answering calls on " + ep.contact() + (seconds > 0 ? " for " + seconds + " s" : " (Ctrl-C to stop)"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> out.println("ports: " + ep.ports())));
            if (seconds > 0) {
                forever.await(seconds, TimeUnit.SECONDS);
            } else {
                forever.await();
            }
            out.println("ports: " + ep.ports());
            return 0;
        }
    }

    int demo() throws RegistrationException, InterruptedException {
        need("server");
        String u1 = need("user1");
        String u2 = need("user2");
        GlareEndpoint.Builder b1 = builder(u1, opts.get("password1"), "id1", "[" + u1 + "] ");
        GlareEndpoint.Builder b2 = builder(u2, opts.get("password2"), "id2", "[" + u2 + "] ");
        if (!opts.containsKey("id1") && !opts.containsKey("id") && !opts.containsKey("random")) {
            b1.id(1001);
        }
        if (!opts.containsKey("id2") && !opts.containsKey("id") && !opts.containsKey("random")) {
            b2.id(1002);
        }
        try (GlareEndpoint a = b1.build(); GlareEndpoint b = b2.build()) {
            printRegistration(a.register());
            printRegistration(b.register());
            GlareEndpoint.PreparedCall pa = a.prepareCall(u2);
            GlareEndpoint.PreparedCall pb = b.prepareCall(u1);
            out.println(u1 + " opened port " + pa.localPort() + ", " + u2 + " opened port " + pb.localPort()
                    + "; both call each other now");
            CyclicBarrier fire = new CyclicBarrier(2);
            CompletableFuture<CallHandle> fa = CompletableFuture.supplyAsync(() -> sendAt(fire, pa));
            CompletableFuture<CallHandle> fb = CompletableFuture.supplyAsync(() -> sendAt(fire, pb));
            CallHandle ha = fa.join();
            CallHandle hb = fb.join();
            CallResult ra = await(ha);
            CallResult rb = await(hb);
            boolean ok = ra != null && rb != null && ra.established() && rb.established();
            out.println();
            out.println(u1 + ": " + (ra == null ? "no answer" : ra.outcome() + (ra.crossed() ? " (INVITEs crossed)" : "")
                    + " " + explainShort(ra)));
            out.println(u2 + ": " + (rb == null ? "no answer" : rb.outcome() + (rb.crossed() ? " (INVITEs crossed)" : "")
                    + " " + explainShort(rb)));
            if (ok) {
                report(a.aor(), ha, ra);
                report(b.aor(), hb, rb);
                out.println(ra.session().equals(rb.session()) ? "exactly one session: " + ra.session().orElse("")
                        : "two different sessions: " + ra.session().orElse("") + " / " + rb.session().orElse(""));
                ha.hangUp();
                waitFor(ha, 5);
                waitFor(hb, 5);
            } else {
                ha.hangUp();
                hb.hangUp();
                waitFor(ha, 5);
                waitFor(hb, 5);
            }
            out.println(u1 + " ports: " + a.ports());
            out.println(u2 + " ports: " + b.ports());
            return ok ? 0 : 1;
        }
    }

    /** Waits for the call to be over, at most {@code seconds}; never completes the call's future itself. */
    private static void waitFor(CallHandle h, long seconds) throws InterruptedException {
        try {
            h.ended().get(seconds, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            // still running (hold time over) or gone: the caller decides what next
        }
    }

    private static CallHandle sendAt(CyclicBarrier fire, GlareEndpoint.PreparedCall p) {
        try {
            fire.await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return p.send();
    }

    private CallResult await(CallHandle h) throws InterruptedException {
        try {
            return h.result().get(timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return null;
        }
    }

    private void report(String who, CallHandle h, CallResult r) {
        out.println(who + ": session " + r.session().orElse("") + " local port " + r.localPort()
                + " <-> remote port " + r.remotePort());
        P2pSession s = h.session().orElse(null);
        if (s == null) {
            return;
        }
        try {
            Duration rtt = s.echo(Duration.ofSeconds(2));
            out.println(who + ": P2P echo " + s.localPort() + " -> " + s.remotePort() + " ok in "
                    + rtt.toNanos() / 1000 + " us");
        } catch (java.util.concurrent.TimeoutException e) {
            out.println(who + ": P2P echo " + s.localPort() + " -> " + s.remotePort() + " got no answer (peer not echoing)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String explainShort(CallResult r) {
        return r.status() == 0 ? "" : "(last answer to own INVITE: " + r.reason() + ")";
    }

    static String explain(String target, CallResult r) {
        if (r == null) {
            return "no answer within the timeout";
        }
        switch (r.status()) {
            case 404:
                return target + " is unknown to the server (" + r.reason() + ")";
            case 480:
                return target + " is not registered right now (" + r.reason() + ")";
            case 403:
            case 407:
            case 401:
                return "the server refused the call (" + r.reason() + "): wrong user name or password?";
            case 408:
                return "no answer from " + target + " (" + r.reason() + ")";
            case 486:
            case 600:
                return target + " is busy (" + r.reason() + ")";
            case 603:
                return target + " declined (" + r.reason() + ")";
            default:
                return r.reason();
        }
    }
}
