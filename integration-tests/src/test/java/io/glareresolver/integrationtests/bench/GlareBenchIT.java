package io.glareresolver.integrationtests.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

import io.glareresolver.endpoint.CallHandle;
import io.glareresolver.integrationtests.netsip.NetSipScript;
import io.glareresolver.integrationtests.netsip.PlainPhoneRounds;
import io.glareresolver.endpoint.GlareEndpoint;
import io.glareresolver.endpoint.testing.Crossing;
import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.runtime.RuntimeProcess;

/**
 * Issue 8's benchmark (docs/design.md §10), run by {@code mvn -Pbench verify}: the real runtime from the
 * felix-config assembly as its own process, driven over loopback by endpoint pairs (each endpoint
 * its own JAIN-SIP stack) on several generator threads. It prints one table and writes the charts
 * and the report to {@code target/bench/}:
 * <ol>
 *   <li>call setups per second (INVITE, 407, INVITE, 200, ACK, BYE through the proxy), rounds of
 *       equal length with the plugin on and off interleaved ({@code glare:enable}/{@code glare:disable}),
 *       in the order on, off, off, on, off, on, on, off (ABBA BAAB: a linear drift of the machine
 *       weighs on both sides alike); then a closed-loop phase with JFR recordings of the server and
 *       of the generator;</li>
 *   <li>INVITE-to-200 latency at a fixed offered rate;</li>
 *   <li>crossings with the plugin on (glare-aware endpoints) and the RFC 3261 baseline with the
 *       plugin off (the same users as plain phones: busy, back-off, new INVITE on a new port):
 *       resolution time, sessions and ports per crossing, and the plugin's own figures from
 *       {@code glare:status};</li>
 *   <li>a bounded soak (calls, crossings, CANCELs) with heap after GC ({@code jcmd GC.run},
 *       {@code GC.heap_info}) and the pending-INVITE table before and after;</li>
 *   <li>JMH of the decision code ({@link TieBreakBenchmark}).</li>
 * </ol>
 * A benchmark, not a test: it asserts nothing about timings, only that the runtime started and
 * calls completed. Every phase is bounded in time.
 */
class GlareBenchIT {

    static final int PAIRS = Integer.getInteger("glare.bench.pairs", 16);
    static final int CROSSING_PAIRS = Integer.getInteger("glare.bench.crossingPairs", 8);
    static final int GENERATORS = Integer.getInteger("glare.bench.generators", 4);
    static final int WARMUP_SECONDS = Integer.getInteger("glare.bench.warmupSeconds", 20);
    static final int ROUND_SECONDS = Integer.getInteger("glare.bench.roundSeconds", 10);
    static final int ROUNDS = Integer.getInteger("glare.bench.rounds", 8);
    static final int RATE = Integer.getInteger("glare.bench.rate", 1500);
    static final int RATE_SECONDS = Integer.getInteger("glare.bench.rateSeconds", 15);
    /** Measured crossings per pair: 8 x 125 = 1,000, the plugin's decision-time window (DecisionTime.WINDOW). */
    static final int CROSSINGS_PER_PAIR = Integer.getInteger("glare.bench.crossingsPerPair", 125);
    /** Crossings per pair before the measured ones (JIT, caches), not reported. */
    static final int WARMUP_CROSSINGS_PER_PAIR = Integer.getInteger("glare.bench.warmupCrossingsPerPair", 25);
    static final int BASELINE_PER_PAIR = Integer.getInteger("glare.bench.baselinePerPair", 10);
    static final int SOAK_SECONDS = Integer.getInteger("glare.bench.soakSeconds", 40);
    static final int QUIET_SECONDS = Integer.getInteger("glare.bench.quietSeconds", 35);
    static final boolean JFR = Boolean.parseBoolean(System.getProperty("glare.bench.jfr", "true"));
    static final int PROFILE_SECONDS = Integer.getInteger("glare.bench.profileSeconds", 20);
    static final boolean JMH = Boolean.parseBoolean(System.getProperty("glare.bench.jmh", "true"));
    /**
     * The runtime's heap: 2 GB, what bin/start's notes advise above ~1,000 call setups/s (RFC 3261
     * keeps every completed transaction 32 s; ~250 MB live at 2,600 calls/s).
     */
    static final String HEAP = System.getProperty("glare.bench.heap", "2g");
    /**
     * Extra JVM options for the runtime ({@code glare.bench.serverOpts}, to compare settings: GC, RI
     * timer, ...). The default is G1, bin/start's own collector: the set-up a user runs, and the
     * one that never collapsed. RawLoadProbeIT (30 s warm-up, 15 s closed loop) on three machines of
     * this project, setups/s: G1 2 GB 2,667 (2026-12-07, old machine), 3,604 (12-07 23:43), 2,909
     * (12-08 04:33); ZGC 6 GB 2,881, 5,306, and 555 on 12-08, where the same probe with
     * {@code -XX:+AlwaysPreTouch} gave 2,092 (a VM where touching fresh heap pages is slow). ZGC
     * stays one option away: {@code -Dglare.bench.serverOpts=-XX:+UseZGC -Dglare.bench.heap=6g}.
     */
    static final String SERVER_OPTS = System.getProperty("glare.bench.serverOpts", "-XX:+UseG1GC");

    /**
     * The runtime as every benchmark starts it: the plugin in {@code deploy/} as shipped, {@link #SERVER_OPTS},
     * logging at {@code warn} (a log line per INVITE at {@code info} is not what is measured; DEPENDENCIES.md:
     * logging caps a JAIN-SIP proxy) and no per-source limit (a load generator is one source address: the
     * limit of 500/s would cut it).
     */
    static RuntimeProcess.Builder runtime(Path work, String heap, List<SipUser> users) {
        return RuntimeProcess.in(work).host("127.0.0.1").users(users).heap(heap).logLevel("warn").jvmOptions(SERVER_OPTS)
                .sipServerSetting("limit.requests-per-second", "0").pluginAsShipped();
    }
    /** The runtime's log level (GLARE_LOG_LEVEL); info logs every call, for finding what one failure was. */
    static final String LOG_LEVEL = System.getProperty("glare.bench.logLevel", "warn");
    /** The raw-UDP generator's throughput phase ({@link RawThroughput}) besides the endpoint devices'. */
    static final boolean RAW = Boolean.parseBoolean(System.getProperty("glare.bench.raw", "true"));
    static final Path OUT = Path.of(System.getProperty("glare.bench.out", "target/bench")).toAbsolutePath();
    static final Duration CROSSING_WAIT = Duration.ofSeconds(10);
    static final Duration BASELINE_WAIT = Duration.ofSeconds(45);

    private final StringBuilder report = new StringBuilder();
    private final List<AutoCloseable> endpoints = new ArrayList<>();

    @Test
    void benchmark() throws Exception {
        System.setProperty("java.awt.headless", "true");
        long begin = System.nanoTime();
        Files.createDirectories(OUT);
        String loadBefore = loadAverage();
        List<SipUser> callers = users("bc", 100_000, PAIRS);
        List<SipUser> callees = users("br", 200_000, PAIRS);
        List<SipUser> sideA = users("xa", 300_000, CROSSING_PAIRS);
        List<SipUser> sideB = users("xb", 400_000, CROSSING_PAIRS);
        // the Net::SIP phones' own users: no endpoint device registers them (a second binding would take their calls)
        List<SipUser> plainPhones = users("xp", 500_000, 2);
        List<SipUser> all = new ArrayList<>(callers);
        all.addAll(plainPhones);
        all.addAll(callees);
        all.addAll(sideA);
        all.addAll(sideB);
        if (RAW) {
            all.addAll(RawThroughput.users());
        }

        ScheduledExecutorService generators = Executors.newScheduledThreadPool(GENERATORS, daemon("bench-generator"));
        ExecutorService crossingPool = Executors.newFixedThreadPool(Math.max(CROSSING_PAIRS, PAIRS), daemon("bench-crossing"));
        try (RuntimeProcess rt = runtime(OUT.resolve("work"), HEAP, all).logLevel(LOG_LEVEL).start()) {
            say("runtime pid %d, SIP on 127.0.0.1:%d (started in %.1f s)", rt.pid(), rt.sipPort(), seconds(begin));

            // ---------------------------------------------------------------- endpoints
            List<CallLoad.Pair> loadPairs = new ArrayList<>();
            for (int i = 0; i < PAIRS; i++) {
                GlareEndpoint caller = endpoint(rt, callers.get(i), false);
                GlareEndpoint callee = endpoint(rt, callees.get(i), false);
                loadPairs.add(new CallLoad.Pair(caller, callee, callees.get(i).name()));
            }
            List<CrossingRun.Pair> crossingPairs = new ArrayList<>();
            for (int i = 0; i < CROSSING_PAIRS; i++) {
                crossingPairs.add(new CrossingRun.Pair(endpoint(rt, sideA.get(i), false), sideA.get(i).name(),
                        endpoint(rt, sideB.get(i), false), sideB.get(i).name()));
            }
            say("%d endpoints registered (%.1f s)", endpoints.size(), seconds(begin));

            // ---------------------------------------------------------------- throughput, on/off interleaved
            CallLoad load = new CallLoad(loadPairs, generators);
            load.start(0, new Samples(1));
            sleepSeconds(WARMUP_SECONDS); // JIT, pools and the stack's tables warm; the first seconds are not measured
            assertTrue(load.completed.sum() > 0, "no call completed during the warm-up\n" + rt.tail());
            say("warm-up: %d calls completed, %d failed", load.completed.sum(), load.failed.sum());
            List<BenchChart.Round> rounds = new ArrayList<>();
            Samples onLatency = new Samples(2_000_000);
            Samples offLatency = new Samples(2_000_000);
            long failedBefore = load.failed.sum();
            for (int r = 0; r < ROUNDS; r++) {
                boolean on = pluginOnInRound(r);
                rt.switchPlugin(on);
                sleepSeconds(1); // let the calls started under the previous setting finish
                Samples s = on ? onLatency : offLatency;
                load.sampleInto(s);
                long c0 = load.completed.sum();
                long t0 = System.nanoTime();
                sleepSeconds(ROUND_SECONDS);
                double rate = (load.completed.sum() - c0) / seconds(t0);
                load.sampleInto(new Samples(1));
                rounds.add(new BenchChart.Round(r + 1, on, rate));
                say("round %d plugin %s: %.0f call setups/s", r + 1, on ? "on " : "off", rate);
            }
            long roundFailures = load.failed.sum() - failedBefore;

            // ---------------------------------------------------------------- the hot path: JFR of both JVMs, plugin on
            JfrProfile.Summary profile = null;
            JfrProfile.Summary generatorProfile = null;
            if (JFR) {
                rt.switchPlugin(true);
                Path jfrFile = OUT.resolve("server-hot-path.jfr");
                Path generatorJfr = OUT.resolve("generator.jfr");
                JfrProfile.start(rt, jfrFile, PROFILE_SECONDS);
                // the load generator's own hot path (this JVM): what limits the offered load
                jdk.jfr.Recording own = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                own.setDestination(generatorJfr);
                own.start();
                long pc = load.completed.sum();
                long pt = System.nanoTime();
                sleepSeconds(PROFILE_SECONDS);
                own.stop(); // writes generator.jfr
                own.close();
                say("profiled phase (JFR on both JVMs, plugin on): %.0f call setups/s", (load.completed.sum() - pc) / seconds(pt));
                try {
                    generatorProfile = JfrProfile.summarise(generatorJfr, 10_000);
                    profile = JfrProfile.summarise(jfrFile, TimeUnit.SECONDS.toMillis(30));
                } catch (Exception e) {
                    say("JFR summary failed: %s", e);
                }
            }
            load.stop();

            // ---------------------------------------------------------------- latency at a fixed offered rate
            rt.switchPlugin(true);
            Samples paced = new Samples(2_000_000);
            long pc0 = load.completed.sum();
            long pf0 = load.failed.sum();
            long pt0 = System.nanoTime();
            load.start(RATE, paced);
            sleepSeconds(RATE_SECONDS);
            load.stop();
            double pacedRate = (load.completed.sum() - pc0) / seconds(pt0);
            long pacedFailed = load.failed.sum() - pf0;
            say("fixed rate %d/s offered: %.0f/s completed, p50 %.2f ms, p99 %.2f ms", RATE, pacedRate,
                    paced.percentileMillis(50), paced.percentileMillis(99));

            // ---------------------------------------------------------------- throughput with the raw-UDP generator
            RawThroughput.Result raw = RAW ? RawThroughput.run(rt, RATE, m -> say("%s", m)) : null;

            // ---------------------------------------------------------------- crossings: ours (plugin on)
            // warm-up: the crossing code is compiled before the measured crossings, whose decision times are
            // then the only ones in the plugin's window of the last DecisionTime.WINDOW decisions
            new CrossingRun(100_000, CROSSING_WAIT).run(crossingPairs, WARMUP_CROSSINGS_PER_PAIR, crossingPool);
            PluginStatus statusBefore = PluginStatus.of(rt);
            CrossingRun ours = new CrossingRun(100_000, CROSSING_WAIT);
            ours.run(crossingPairs, CROSSINGS_PER_PAIR, crossingPool);
            PluginStatus statusOurs = PluginStatus.of(rt);
            say("glare crossings: %d, one session %d, p50 %.2f ms, p99 %.2f ms", ours.crossings.sum(),
                    ours.oneSession.sum(), ours.resolution.percentileMillis(50), ours.resolution.percentileMillis(99));

            // ---------------------------------------------------------------- crossings: RFC 3261 baseline (plugin off)
            rt.switchPlugin(false);
            List<CrossingRun.Pair> plainPairs = new ArrayList<>();
            for (CrossingRun.Pair p : crossingPairs) {
                p.a().close();
                p.b().close();
            }
            for (int i = 0; i < CROSSING_PAIRS; i++) {
                plainPairs.add(new CrossingRun.Pair(endpoint(rt, sideA.get(i), true), sideA.get(i).name(),
                        endpoint(rt, sideB.get(i), true), sideB.get(i).name()));
            }
            CrossingRun baseline = new CrossingRun(100_000, BASELINE_WAIT);
            long bt0 = System.nanoTime();
            baseline.run(plainPairs, BASELINE_PER_PAIR, crossingPool);
            say("RFC 3261 baseline crossings: %d in %.0f s, one session %d, p50 %.0f ms, p99 %.0f ms",
                    baseline.crossings.sum(), seconds(bt0), baseline.oneSession.sum(),
                    baseline.resolution.percentileMillis(50), baseline.resolution.percentileMillis(99));
            // ---------------------------------------------------------------- crossings: plain Net::SIP phones
            // two Debian Net::SIP phones, busy at once, digest on every INVITE, real timing: plugin off, then on
            PlainPhoneRounds.Result plainOff = plainPhones(rt, plainPhones.get(0), plainPhones.get(1));
            rt.switchPlugin(true);
            PluginStatus statusPlainBefore = PluginStatus.of(rt);
            PlainPhoneRounds.Result plainOn = plainPhones(rt, plainPhones.get(0), plainPhones.get(1));
            PluginStatus statusPlain = PluginStatus.of(rt);
            say("plain Net::SIP phones crossing: plugin on %s; off %s", plainOn.summary(), plainOff.summary());

            // ---------------------------------------------------------------- soak: heap and table before/after
            awaitPendingZero(rt);
            long heapBefore = rt.heapAfterGcKb();
            long pendingBefore = PluginStatus.of(rt).pending();
            Soak soak = soak(loadPairs, crossingPool);
            long pendingRightAfter = PluginStatus.of(rt).pending();
            awaitPendingZero(rt);
            sleepSeconds(QUIET_SECONDS); // completed transactions live 32 s (RFC 3261 Timer D/K): let them go
            long heapAfter = rt.heapAfterGcKb();
            PluginStatus statusEnd = PluginStatus.of(rt);
            say("soak: %d INVITEs (%d calls, %d crossings, %d cancelled), heap %d -> %d KB, pending %d -> %d",
                    soak.invites(), soak.calls.sum(), soak.crossings.sum(), soak.cancels.sum(), heapBefore, heapAfter,
                    pendingBefore, statusEnd.pending());

            closeEndpoints();

            // ---------------------------------------------------------------- table
            double on = mean(rounds, true);
            double off = mean(rounds, false);
            table(rounds, on, off, roundFailures, onLatency, offLatency, pacedRate, paced, pacedFailed,
                    ours, baseline, statusBefore, statusOurs, heapBefore, heapAfter, pendingBefore, pendingRightAfter,
                    statusEnd, soak, loadBefore, raw);
            plainRows(plainOn, plainOff, statusPlainBefore, statusPlain);
            if (profile != null) {
                line("");
                line(profile.format(25));
                Files.writeString(OUT.resolve("server-hot-path.txt"), profile.format(40), StandardCharsets.UTF_8);
            }
            if (generatorProfile != null) {
                Files.writeString(OUT.resolve("generator-hot-path.txt"), "the load generator (test JVM)\n"
                        + generatorProfile.format(40), StandardCharsets.UTF_8);
                line("load generator (test JVM) profile: " + relative(OUT.resolve("generator-hot-path.txt")));
            }
            String subtitle = String.format(Locale.ROOT, "%s, %d cores, load %s, %s", date(),
                    Runtime.getRuntime().availableProcessors(), loadBefore, "mvn -Pbench verify");
            Path cdf = BenchChart.resolutionCdf(OUT.resolve("crossing-resolution-cdf.png"), ours.resolution.sorted(),
                    baseline.resolution.sorted(), subtitle);
            Path tp = BenchChart.throughput(OUT.resolve("throughput-plugin-on-off.png"), rounds, subtitle);
            writeSamples(OUT.resolve("crossing-resolution-ours.csv"), ours.resolution.sorted());
            writeSamples(OUT.resolve("crossing-resolution-rfc3261.csv"), baseline.resolution.sorted());
            line("charts: " + relative(cdf) + ", " + relative(tp));
            if (raw != null) {
                Path rawTp = BenchChart.throughput(OUT.resolve("throughput-raw-plugin-on-off.png"), raw.rounds(),
                        subtitle + ", raw UDP generator");
                line("chart (raw UDP generator rounds): " + relative(rawTp));
            }
            assertTrue(load.completed.sum() > 0 && ours.crossings.sum() > 0, "nothing completed");
        } finally {
            closeEndpoints();
            generators.shutdownNow();
            crossingPool.shutdownNow();
        }

        if (JMH) {
            line("");
            line(jmh());
        }
        line(String.format(Locale.ROOT, "benchmark wall time: %.0f s", seconds(begin)));
        System.out.println("\n" + report);
        Files.writeString(OUT.resolve("bench-report.txt"), report.toString(), StandardCharsets.UTF_8);
    }

    /** Round r (from 0) runs with the plugin on? ABBA BAAB, repeated. */
    static boolean pluginOnInRound(int r) {
        return switch (r % 8) {
            case 0, 3, 5, 6 -> true;
            default -> false;
        };
    }

    // ==================================================================== soak

    /** Counts of the soak's mix. */
    record Soak(LongAdder calls, LongAdder crossings, LongAdder cancels, LongAdder failures,
                java.util.Queue<String> reasons) {
        /** Counts a failure and keeps the first few reasons for the report. */
        void failed(String reason) {
            failures.increment();
            if (reasons.size() < 5) {
                reasons.add(reason);
            }
        }

        long invites() {
            return calls.sum() + 2 * crossings.sum() + cancels.sum();
        }
    }

    /**
     * {@link #SOAK_SECONDS} of a mix on the load pairs, each pair in a loop of its own: 70 % full
     * calls, 15 % crossings (both sides call each other), 15 % calls cancelled at once (CANCEL
     * races the answer).
     */
    private Soak soak(List<CallLoad.Pair> pairs, ExecutorService pool) throws Exception {
        trackIncoming = true;
        Soak s = new Soak(new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(),
                new java.util.concurrent.ConcurrentLinkedQueue<>());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SOAK_SECONDS);
        List<Future<?>> loops = new ArrayList<>();
        for (CallLoad.Pair p : pairs) {
            loops.add(pool.submit(() -> {
                String callerUser = p.caller().aor().substring(0, p.caller().aor().indexOf('@'));
                while (System.nanoTime() < end) {
                    int dice = ThreadLocalRandom.current().nextInt(100);
                    try {
                        if (dice < 70) {
                            CallHandle h = p.caller().call(p.calleeUser());
                            boolean ok = h.result().get(10, TimeUnit.SECONDS).established();
                            h.hangUp();
                            h.ended().get(10, TimeUnit.SECONDS);
                            if (ok) {
                                s.calls().increment();
                            } else {
                                s.failed("call " + callerUser + " -> " + p.calleeUser() + " not established: " + h.result().get()
                                        + " " + h.trace());
                            }
                        } else if (dice < 85) {
                            Crossing c = Crossing.fire(p.caller(), p.calleeUser(), p.callee(), callerUser);
                            c.await(CROSSING_WAIT);
                            (c.a().result().get().established() ? c.a() : c.b()).hangUp();
                            c.a().ended().get(10, TimeUnit.SECONDS);
                            c.b().ended().get(10, TimeUnit.SECONDS);
                            s.crossings().increment();
                        } else {
                            CallHandle h = p.caller().call(p.calleeUser());
                            h.hangUp(); // CANCEL while pending, or BYE if the 200 won the race
                            h.ended().get(10, TimeUnit.SECONDS);
                            s.cancels().increment();
                        }
                    } catch (Exception e) {
                        s.failed((dice < 70 ? "call" : dice < 85 ? "crossing" : "cancel") + " " + callerUser + " -> "
                                + p.calleeUser() + ": " + e);
                    }
                    try {
                        awaitIncomingEnded(p.callee());
                        awaitIncomingEnded(p.caller());
                    } catch (Exception e) {
                        s.failed("a received call of " + p.calleeUser() + " or " + callerUser + " did not end: " + e);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : loops) {
            f.get(SOAK_SECONDS + 60L, TimeUnit.SECONDS);
        }
        return s;
    }

    private static void awaitPendingZero(RuntimeProcess rt) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(80); // pending.timeout is 64 s
        while (System.nanoTime() < deadline && PluginStatus.of(rt).pending() > 0) {
            TimeUnit.MILLISECONDS.sleep(500);
        }
    }

    static final int PLAIN_ROUNDS = Integer.getInteger("glare.bench.plainRounds", 30);

    /** {@code PLAIN_ROUNDS} crossings of two plain Net::SIP phones ({@code crossing-rounds.pl}), one process each. */
    private PlainPhoneRounds.Result plainPhones(RuntimeProcess rt, SipUser a, SipUser b) {
        NetSipScript.requireNetSip();
        return PlainPhoneRounds.run(rt.sipAddress(), rt.sipHost(), a, b, "MD5", PLAIN_ROUNDS, 800);
    }

    /** The plain-phone rows, printed under the table's crossing rows. */
    private void plainRows(PlainPhoneRounds.Result on, PlainPhoneRounds.Result off, PluginStatus before, PluginStatus after) {
        row("crossings, plain Net::SIP phones (486 at once, 407 on every INVITE)", Long.toString(on.rounds().size()),
                Long.toString(off.rounds().size()), "two Debian phones, one process each, real timing");
        row("  sessions per crossing (plain phones)", f2(sessions(on) / (double) on.rounds().size()),
                f2(sessions(off) / (double) off.rounds().size()), String.format(Locale.ROOT,
                        "exactly one session: %d / %d; finals %s / %s", on.oneSession(), off.oneSession(), on.finals(),
                        off.finals()));
        row("  resolution p50 / p99 (plain phones)", f2(on.resolutionPercentile(50)) + " / " + f2(on.resolutionPercentile(99)),
                off.resolutionPercentile(50) < 0 ? "no session" : f2(off.resolutionPercentile(50)) + " / "
                        + f2(off.resolutionPercentile(99)), "ms, first dial -> 200 OK at the session's caller");
        row("  media ports as advertised (plain phones)", on.portsAsAdvertised() + " of " + sessions(on),
                off.portsAsAdvertised() + " of " + sessions(off), "offer and answer ports unchanged end to end");
        row("  plugin counters (plain phones)", String.format(Locale.ROOT, "%d seen, %d sessions, %d abnormal",
                after.crossings() - before.crossings(), after.sessions() - before.sessions(),
                after.abnormal() - before.abnormal()), "-", "glare:status deltas");
    }

    private static long sessions(PlainPhoneRounds.Result r) {
        return r.rounds().stream().mapToLong(x -> x.sessions().size()).sum();
    }

    // ==================================================================== the table

    private void table(List<BenchChart.Round> rounds, double on, double off, long roundFailures, Samples onLatency,
                       Samples offLatency, double pacedRate, Samples paced, long pacedFailed, CrossingRun ours,
                       CrossingRun baseline, PluginStatus statusBefore, PluginStatus statusOurs, long heapBefore,
                       long heapAfter, long pendingBefore, long pendingRightAfter, PluginStatus statusEnd, Soak soak,
                       String loadBefore, RawThroughput.Result raw) {
        line("=".repeat(100));
        line(String.format(Locale.ROOT, "Glare Resolver benchmark, %s; %d cores (%s), Java %s; load average before %s, after %s",
                date(), Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("java.version"),
                loadBefore, loadAverage()));
        line(String.format(Locale.ROOT, "runtime: bin/start, heap %s, log level %s; load: %d caller/callee pairs + %d crossing pairs,"
                + " one JAIN-SIP stack per endpoint, %d generator threads, all in one JVM on the same machine",
                HEAP, LOG_LEVEL, PAIRS, CROSSING_PAIRS, GENERATORS));
        line("-".repeat(100));
        row("figure", "plugin on", "plugin off / RFC 3261", "note");
        line("-".repeat(100));
        row("call setups/s, endpoint devices, closed loop", f0(on), f0(off),
                String.format(Locale.ROOT, "ratio on/off %.3f; %d rounds x %d s; %d calls failed", on / off,
                        rounds.size(), ROUND_SECONDS, roundFailures));
        row("  INVITE->200 p50 / p99 (closed loop)", ms(onLatency, 50) + " / " + ms(onLatency, 99),
                ms(offLatency, 50) + " / " + ms(offLatency, 99), "includes the 407 round trip");
        row(String.format(Locale.ROOT, "INVITE->200 p50 / p99 at %d/s (endpoints)", RATE),
                ms(paced, 50) + " / " + ms(paced, 99), "-",
                String.format(Locale.ROOT, "%.0f/s completed, %d failed", pacedRate, pacedFailed));
        if (raw != null) {
            double rawOn = raw.mean(true);
            double rawOff = raw.mean(false);
            row("call setups/s, raw UDP generator, closed loop", f0(rawOn), f0(rawOff),
                    String.format(Locale.ROOT, "ratio on/off %.3f; %d rounds x %d s, %d calls in flight; %d failed; %d 407s",
                            rawOn / rawOff, raw.rounds().size(), RawThroughput.ROUND_SECONDS, RawThroughput.IN_FLIGHT,
                            raw.roundFailures(), raw.roundChallenges()));
            row("  INVITE->200 p50 / p99 (raw, closed loop)", ms(raw.onLatency(), 50) + " / " + ms(raw.onLatency(), 99),
                    ms(raw.offLatency(), 50) + " / " + ms(raw.offLatency(), 99), "cached nonce, nc+1: no 407 round trip");
            RawCallLoad.Figures p = raw.paced();
            row(String.format(Locale.ROOT, "INVITE->200 p50 / p99 at %d/s (raw UDP)", raw.rate()),
                    f2(p.p50Millis()) + " / " + f2(p.p99Millis()), "-",
                    String.format(Locale.ROOT, "%.0f/s completed, %d failed, %d skipped (%d callers busy); max %.2f ms",
                            p.setupsPerSecond(), p.failed(), p.skipped(), RawThroughput.CALLERS, p.maxMillis()));
        }
        row("crossings run", Long.toString(ours.crossings.sum()), Long.toString(baseline.crossings.sum()),
                String.format(Locale.ROOT, "crossed on the wire %d / %d", ours.crossedOnTheWire.sum(),
                        baseline.crossedOnTheWire.sum()));
        row("  resolution p50 / p99 / max (endpoints)",
                ms(ours.resolution, 50) + " / " + ms(ours.resolution, 99) + " / " + f2(ours.resolution.maxMillis()),
                ms(baseline.resolution, 50) + " / " + ms(baseline.resolution, 99) + " / "
                        + f2(baseline.resolution.maxMillis()),
                "ms, both INVITEs sent -> both sides hold final answer");
        row("  resolution p50 / p99 (server, glare:status)",
                f2(statusOurs.resolutionP50Micros() / 1000.0) + " / " + f2(statusOurs.resolutionP99Micros() / 1000.0),
                "-", "ms, second INVITE at the server -> both final answers");
        row("  sessions per crossing", f2(ours.perCrossing(ours.sessions)), f2(baseline.perCrossing(baseline.sessions)),
                String.format(Locale.ROOT, "exactly one session: %d / %d; unresolved %d / %d", ours.oneSession.sum(),
                        baseline.oneSession.sum(), ours.unresolved.sum(), baseline.unresolved.sum()));
        row("  media ports opened per crossing", f2(ours.perCrossing(ours.portsOpened)),
                f2(baseline.perCrossing(baseline.portsOpened)), "both sides together; 2 = none closed and reopened");
        row("  plugin counters for the crossings", String.format(Locale.ROOT, "%d seen, %d sessions, %d abnormal",
                        statusOurs.crossings() - statusBefore.crossings(), statusOurs.sessions() - statusBefore.sessions(),
                        statusOurs.abnormal() - statusBefore.abnormal()), "-", "glare:status deltas");
        row("plugin decision time (server)", statusOurs.decisionTimeLine().orElse("not in glare:status yet"), "-",
                String.format(Locale.ROOT, "glare:status after %d warm-up + %d measured crossings; p50/p99 over the"
                        + " last 1,000 decisions, max since start", CROSSING_PAIRS * WARMUP_CROSSINGS_PER_PAIR,
                        CROSSING_PAIRS * CROSSINGS_PER_PAIR));
        row("heap after GC, before / after soak", heapBefore / 1024 + " MB / " + heapAfter / 1024 + " MB", "-",
                String.format(Locale.ROOT, "jcmd GC.run + GC.heap_info; after = %d s quiet", QUIET_SECONDS));
        row("pending INVITEs, before / end of soak / after", pendingBefore + " / " + pendingRightAfter + " / "
                + statusEnd.pending(), "-", String.format(Locale.ROOT, "soak %d s: %d INVITEs (%d calls, %d crossings,"
                + " %d cancels, %d failures)", SOAK_SECONDS, soak.invites(), soak.calls().sum(), soak.crossings().sum(),
                soak.cancels().sum(), soak.failures().sum()));
        soak.reasons().forEach(r -> line("  soak failure: " + r));
        line("-".repeat(100));
        StringBuilder r = new StringBuilder("rounds (call setups/s):");
        for (BenchChart.Round x : rounds) {
            r.append(String.format(Locale.ROOT, " %d:%s %.0f", x.number(), x.pluginOn() ? "on" : "off", x.setupsPerSecond()));
        }
        line(r.toString());
        if (raw != null) {
            line(raw.roundsLine());
            line(String.format(Locale.ROOT, "raw UDP generator: %d callers (one call each at a time) on %d sockets, %d callees on"
                    + " one socket answering 200 at once, no JAIN-SIP, no media, in this JVM", RawThroughput.CALLERS,
                    RawThroughput.SOCKETS, RawThroughput.CALLEES));
            raw.failures().stream().limit(5).forEach(f -> line("  raw failure: " + f));
        }
    }

    private void row(String a, String b, String c, String d) {
        line(String.format(Locale.ROOT, "%-46s %-26s %-24s %s", a, b, c, d));
    }

    // ==================================================================== JMH

    private String jmh() {
        try {
            // the plugin's decision classes are in its jar, which is not on the test class path (the
            // tests see only its API): the forked benchmark JVM gets it added
            Path plugin = RuntimeProcess.PLUGIN_JAR;
            String cp = System.getProperty("java.class.path");
            if (Files.exists(plugin) && !cp.contains(plugin.toString())) {
                System.setProperty("java.class.path", cp + java.io.File.pathSeparator + plugin);
            }
            Options opt = new OptionsBuilder().include(TieBreakBenchmark.class.getName() + ".*")
                    .include(CrossingResolverBenchmark.class.getName() + ".*")
                    .include(GlareResolverBenchmark.class.getName() + ".*")
                    .forks(1).warmupIterations(1).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(3).measurementTime(TimeValue.seconds(1))
                    // the plugin logs each crossing at info; the runtime under test logs at LOG_LEVEL
                    .jvmArgsAppend("-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=" + LOG_LEVEL).build();
            Collection<RunResult> results = new Runner(opt).run();
            StringBuilder b = new StringBuilder("JMH (1 fork, 1 x 1 s warm-up, 3 x 1 s): glare-protocol's TieBreak, the plugin's"
                    + " CrossingResolver / PendingInvites, and the whole plugin (GlareResolver) for one crossing and one ordinary call:\n");
            for (RunResult rr : results) {
                var p = rr.getPrimaryResult();
                b.append(String.format(Locale.ROOT, "  %-40s %10.1f ± %.1f %s%n",
                        rr.getParams().getBenchmark().replace(GlareBenchIT.class.getPackageName() + ".", ""),
                        p.getScore(), p.getScoreError(), p.getScoreUnit()));
            }
            return b.toString();
        } catch (Exception e) {
            return "JMH failed: " + e;
        }
    }

    // ==================================================================== helpers

    /** Calls each device received while {@link #trackIncoming} is on (the soak phase). */
    private final java.util.Map<GlareEndpoint, java.util.Queue<CallHandle>> incomingCalls = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean trackIncoming;

    /**
     * Waits (bounded) until every call the device received has ended: the soak's next attempt on a
     * pair must not find the callee still finishing the last one (it would answer busy, or take the
     * new INVITE for a crossing with its own).
     */
    private void awaitIncomingEnded(GlareEndpoint ep) throws Exception {
        java.util.Queue<CallHandle> q = incomingCalls.get(ep);
        for (CallHandle h; q != null && (h = q.poll()) != null; ) {
            h.ended().get(10, TimeUnit.SECONDS);
        }
    }

    private GlareEndpoint endpoint(RuntimeProcess rt, SipUser user, boolean plain) throws Exception {
        GlareEndpoint.Builder b = GlareEndpoint.builder().user(user.name()).password(user.password())
                .server(rt.sipHost(), rt.sipPort()).id(user.endpointId()).ackTimeout(Duration.ofSeconds(5))
                .glareTimeout(Duration.ofSeconds(5)).registerTimeout(Duration.ofSeconds(5));
        java.util.Queue<CallHandle> incoming = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.function.Consumer<CallHandle> track = h -> {
            if (trackIncoming) {
                incoming.add(h);
            }
        };
        GlareEndpoint ep = plain ? new Rfc3261Phone(b, Rfc3261Phone.DEFAULT_ATTEMPTS, track) : b.onIncoming(track).build();
        incomingCalls.put(ep, incoming);
        endpoints.add(ep);
        Exception last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                ep.register();
                return ep;
            } catch (Exception e) {
                last = e; // the SIP server may still be binding its port
                TimeUnit.SECONDS.sleep(1);
            }
        }
        throw new IllegalStateException("cannot register " + user.name() + "\n" + rt.tail(), last);
    }

    private void closeEndpoints() throws InterruptedException {
        closeAll(endpoints);
    }

    /** Closes (un-registers) these devices, 8 at a time, and empties the list; best effort, bounded. */
    static void closeAll(List<AutoCloseable> endpoints) throws InterruptedException {
        ExecutorService closer = Executors.newFixedThreadPool(8, daemon("bench-close"));
        for (AutoCloseable c : endpoints) {
            closer.execute(() -> {
                try {
                    c.close();
                } catch (Exception e) {
                    // best effort
                }
            });
        }
        endpoints.clear();
        closer.shutdown();
        closer.awaitTermination(60, TimeUnit.SECONDS);
    }

    static List<SipUser> users(String prefix, long firstId, int n) {
        List<SipUser> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new SipUser(prefix + i, prefix + i + "-bench-secret", firstId + i));
        }
        return out;
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A path relative to the working directory (the module) when it is below it. */
    private static String relative(Path p) {
        Path here = Path.of("").toAbsolutePath();
        return p.startsWith(here) ? here.relativize(p).toString() : p.toString();
    }

    private static double mean(List<BenchChart.Round> rounds, boolean on) {
        return rounds.stream().filter(r -> r.pluginOn() == on).mapToDouble(BenchChart.Round::setupsPerSecond)
                .average().orElse(Double.NaN);
    }

    private static void writeSamples(Path file, long[] sortedNanos) throws java.io.IOException {
        StringBuilder b = new StringBuilder("millis\n");
        for (long v : sortedNanos) {
            b.append(String.format(Locale.ROOT, "%.3f%n", v / 1e6));
        }
        Files.writeString(file, b.toString(), StandardCharsets.UTF_8);
    }

    private void say(String format, Object... args) {
        System.out.println("[bench " + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("HH:mm:ss"))
                + "] " + String.format(Locale.ROOT, format, args));
    }

    private void line(String s) {
        report.append(s).append('\n');
    }

    private static void sleepSeconds(int s) throws InterruptedException {
        TimeUnit.SECONDS.sleep(s); // a round of fixed length: the load runs on other threads meanwhile
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static String ms(Samples s, double p) {
        return f2(s.percentileMillis(p));
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f0(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String date() {
        return ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }
}
