package io.glareresolver.integrationtests.netsip;

import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;
import io.glareresolver.integrationtests.netsip.NetSipScript.Event;
import io.glareresolver.integrationtests.netsip.NetSipScript.Run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Two plain Net::SIP phones, one process each ({@code src/test/perl/crossing-rounds.pl}), that call
 * each other at the same wall-clock instant round after round, with real timing: digest on every
 * INVITE (407 and re-sent), 486 at once while their own call is pending. What each round came to.
 */
public final class PlainPhoneRounds {

    /**
     * One round: the calls established (caller's 200 and callee's ACK on the same Call-ID) and why not.
     *
     * @param resolutionMillis first dial of the round to the session's 200 at its caller; -1 without one
     */
    public record Round(int number, List<String> sessions, List<String> problems, String finals,
                        double resolutionMillis) {
        public boolean oneSession() {
            return sessions.size() == 1 && problems.isEmpty();
        }
    }

    public record Result(List<Round> rounds, Run first, Run second) {
        public long oneSession() {
            return rounds.stream().filter(Round::oneSession).count();
        }

        /** The final responses the two callers got, e.g. {@code {200/491=31, 486/200=3}}. */
        public Map<String, Long> finals() {
            return rounds.stream().collect(Collectors.groupingBy(Round::finals, TreeMap::new, Collectors.counting()));
        }

        public String failures() {
            return rounds.stream().filter(r -> !r.oneSession())
                    .map(r -> "round " + r.number() + ": sessions " + r.sessions() + " " + r.problems() + " (" + r.finals() + ")")
                    .collect(Collectors.joining("\n"));
        }

        /** @return the p-th percentile of the rounds' resolution times (rounds with a session), ms */
        public double resolutionPercentile(double p) {
            double[] v = rounds.stream().mapToDouble(Round::resolutionMillis).filter(x -> x >= 0).sorted().toArray();
            return v.length == 0 ? -1 : v[Math.min(v.length - 1, (int) Math.ceil(p / 100.0 * v.length) - 1)];
        }

        /** @return rounds whose session's media ports reached each side as advertised */
        public long portsAsAdvertised() {
            return rounds.stream().filter(r -> !r.sessions().isEmpty()
                    && r.problems().stream().noneMatch(x -> x.contains("port") || x.contains("SDP"))).count();
        }

        public String summary() {
            return oneSession() + " of " + rounds.size() + " rounds with exactly one session; finals " + finals();
        }
    }

    private PlainPhoneRounds() {
    }

    /**
     * Runs the two phones; each dials the other at {@code start + k * roundMs} for k in 0..rounds-1.
     *
     * @param algorithm digest algorithm the phones prefer (they answer what the server offers)
     */
    public static Result run(String proxy, String domain, SipUser a, SipUser b, String algorithm, int rounds,
                             int roundMs) {
        return run(proxy, proxy, domain, a, b, algorithm, rounds, roundMs);
    }

    /**
     * The same with each phone on its own server: {@code a} registers with and calls through
     * {@code proxyA}, {@code b} through {@code proxyB} (two nodes of a cluster serving one domain).
     */
    public static Result run(String proxyA, String proxyB, String domain, SipUser a, SipUser b, String algorithm,
                             int rounds, int roundMs) {
        long start = System.currentTimeMillis() + 3000; // both registered by then
        Duration timeout = Duration.ofMillis(3000L + (long) rounds * roundMs + 20_000);
        CompletableFuture<Run> first = CompletableFuture.supplyAsync(() -> phone(proxyA, domain, a, b, algorithm, start,
                rounds, roundMs, timeout));
        CompletableFuture<Run> second = CompletableFuture.supplyAsync(() -> phone(proxyB, domain, b, a, algorithm, start,
                rounds, roundMs, timeout));
        Run ra = first.join();
        Run rb = second.join();
        List<Round> out = new ArrayList<>();
        for (int k = 0; k < rounds; k++) {
            out.add(round(k, a.name(), ra, b.name(), rb));
        }
        return new Result(List.copyOf(out), ra, rb);
    }

    private static Run phone(String proxy, String domain, SipUser me, SipUser peer, String algorithm, long start,
                             int rounds, int roundMs, Duration timeout) {
        return NetSipScript.run("crossing-rounds.pl", timeout, "--proxy", proxy, "--domain", domain,
                "--phone", me.name() + ":" + me.password() + ":" + algorithm + ":" + peer.name(),
                "--start-ms", Long.toString(start), "--rounds", Integer.toString(rounds),
                "--round-ms", Integer.toString(roundMs));
    }

    private static Round round(int k, String a, Run ra, String b, Run rb) {
        String r = Integer.toString(k);
        List<String> problems = new ArrayList<>();
        List<String> sessions = new ArrayList<>();
        String finalA = finalOf(ra, a, r);
        String finalB = finalOf(rb, b, r);
        for (String[] side : new String[][]{{a, b}, {b, a}}) {
            Run caller = side[0].equals(a) ? ra : rb;
            Run callee = side[0].equals(a) ? rb : ra;
            for (Event out : inRound(caller, side[0], "ESTABLISHED_OUT", r)) {
                String callId = out.get("call_id");
                sessions.add(side[0] + "->" + side[1]);
                if (inRound(callee, side[1], "ESTABLISHED_IN", r).stream().noneMatch(e -> callId.equals(e.get("call_id")))) {
                    problems.add(side[1] + " never got the ACK of " + callId);
                }
                mediaAsAdvertised(caller, side[0], callee, side[1], callId, problems);
            }
        }
        // no ghost call: nobody rings for a call that is not the round's session
        long incoming = Stream.of(inRound(ra, a, "INVITE_IN", r), inRound(rb, b, "INVITE_IN", r))
                .mapToLong(List::size).sum();
        if (incoming != sessions.size()) {
            problems.add(incoming + " incoming calls rang for " + sessions.size() + " sessions");
        }
        double dialed = Stream.of(inRound(ra, a, "DIALED", r), inRound(rb, b, "DIALED", r)).flatMap(List::stream)
                .mapToDouble(e -> Double.parseDouble(e.get("at"))).min().orElse(-1);
        double established = Stream.of(inRound(ra, a, "ESTABLISHED_OUT", r), inRound(rb, b, "ESTABLISHED_OUT", r))
                .flatMap(List::stream).mapToDouble(e -> Double.parseDouble(e.get("at"))).min().orElse(-1);
        double resolution = dialed < 0 || established < 0 ? -1 : established - dialed;
        return new Round(k, List.copyOf(sessions), List.copyOf(problems), finalA + "/" + finalB, resolution);
    }

    /**
     * The session's media ports are those the two phones advertised: the caller's offer reaches the
     * callee with the port the caller put in its very first INVITE of the call (the one the server
     * challenged), and the callee's answer reaches the caller unchanged.
     */
    private static void mediaAsAdvertised(Run caller, String callerName, Run callee, String calleeName, String callId,
                                          List<String> problems) {
        List<String> offered = sdp(caller, callerName, "SEND_SDP", "INVITE", callId);
        List<String> received = sdp(callee, calleeName, "RECV_SDP", "INVITE", callId);
        List<String> answered = sdp(callee, calleeName, "SEND_SDP", "200", callId);
        List<String> answerIn = sdp(caller, callerName, "RECV_SDP", "200", callId);
        if (offered.isEmpty() || received.isEmpty() || answered.isEmpty() || answerIn.isEmpty()) {
            problems.add("SDP missing on " + callId + ": offered " + offered + " received " + received
                    + " answered " + answered + " answer received " + answerIn);
            return;
        }
        if (offered.stream().distinct().count() != 1 || !received.stream().allMatch(offered.get(0)::equals)) {
            problems.add("offer port changed on " + callId + ": " + offered + " -> " + received);
        }
        if (!answerIn.stream().allMatch(answered.get(0)::equals)) {
            problems.add("answer port changed on " + callId + ": " + answered + " -> " + answerIn);
        }
    }

    private static List<String> sdp(Run run, String agent, String what, String message, String callId) {
        return run.all(agent, what).stream()
                .filter(e -> message.equals(e.get("message")) && callId.equals(e.get("call_id")))
                .map(e -> e.get("m")).toList();
    }

    private static List<Event> inRound(Run run, String agent, String what, String round) {
        return run.all(agent, what).stream().filter(e -> round.equals(e.get("round"))).toList();
    }

    private static String finalOf(Run run, String agent, String round) {
        return inRound(run, agent, "FINAL", round).stream().map(e -> Objects.toString(e.get("code")))
                .collect(Collectors.joining("+", "", "")).transform(s -> s.isEmpty() ? "none" : s);
    }
}
