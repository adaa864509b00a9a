package io.glareresolver.sip.impl.fork;

import java.util.List;
import java.util.Set;

/**
 * The choice of the final response a forking proxy sends when no branch answered 2xx: RFC 3261
 * §16.7 step 6, in this one place. Plain Java: a branch's result is its status code and whether
 * the proxy made it up itself (a timeout or a transport error, §16.8/§16.9) or the proxy cancelled
 * the branch (its 487 is an echo of our CANCEL, not the callee's answer).
 */
public final class BestResponse {

    /**
     * §16.7 step 6: "if the 4xx class is chosen", preference goes to "responses that provide
     * information affecting resubmission of this request, such as 401, 407, 415, 420, and 484".
     */
    static final Set<Integer> RESUBMISSION_HINTS = Set.of(401, 407, 415, 420, 484);

    /** One finished branch: its final status, and whether we cancelled it before it answered. */
    public record Outcome(int status, boolean cancelledByUs) {
    }

    /** The chosen outcome's index in the list, and the status to send (a 503 becomes 500). */
    public record Choice(int index, int status) {
    }

    private BestResponse() {
    }

    /**
     * §16.7 step 6: "The proxy MUST choose from the 6xx class responses if any exist in the
     * context. If no 6xx class responses are present, the proxy SHOULD choose from the lowest
     * response class stored in the response context." Within a class: the resubmission hints
     * above, then an answer of the callee over a 487 we caused by cancelling, then the first
     * received. "If the only response that was received is a 503, the proxy SHOULD generate a 500
     * response and forward that upstream" (a 503 upstream would mean this proxy is unavailable).
     *
     * @param outcomes the finished branches' outcomes (non-2xx), in the order they finished
     * @throws IllegalArgumentException if there is none or one is not a final non-2xx status
     */
    public static Choice choose(List<Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            throw new IllegalArgumentException("no branch outcome");
        }
        int best = -1;
        for (int i = 0; i < outcomes.size(); i++) {
            int s = outcomes.get(i).status();
            if (s < 300 || s > 699) {
                throw new IllegalArgumentException("not a final non-2xx status: " + s);
            }
            if (best < 0 || better(outcomes.get(i), outcomes.get(best))) {
                best = i;
            }
        }
        int status = outcomes.get(best).status();
        return new Choice(best, status == 503 ? 500 : status);
    }

    /** True if {@code a} is preferred to {@code b}; ties keep the earlier one. */
    private static boolean better(Outcome a, Outcome b) {
        int ca = a.status() / 100;
        int cb = b.status() / 100;
        if (ca == 6 || cb == 6) {
            return ca == 6 && cb != 6;
        }
        if (ca != cb) {
            return ca < cb;
        }
        int ra = rank(a);
        int rb = rank(b);
        return ra < rb;
    }

    private static int rank(Outcome o) {
        if (RESUBMISSION_HINTS.contains(o.status())) {
            return 0;
        }
        if (o.cancelledByUs() && o.status() == 487) {
            return 2;
        }
        return 1;
    }

    /**
     * §16.7 step 5: "If a 6xx response is received, it is not immediately forwarded, but the
     * stateful proxy SHOULD cancel all client pending transactions"; this proxy then answers at
     * once rather than waiting for the cancelled branches' 487s, which change nothing (6xx wins).
     */
    public static boolean endsAllBranches(int status) {
        return status >= 600 && status <= 699;
    }
}
