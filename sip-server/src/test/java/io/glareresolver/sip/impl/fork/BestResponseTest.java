package io.glareresolver.sip.impl.fork;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.impl.fork.BestResponse.Outcome;

/** RFC 3261 §16.7 step 6, branch by branch. */
class BestResponseTest {

    static Outcome callee(int status) {
        return new Outcome(status, false);
    }

    static int chosen(Outcome... outcomes) {
        return BestResponse.choose(List.of(outcomes)).status();
    }

    @Test
    void a6xxWinsOverEverything() {
        assertEquals(603, chosen(callee(486), callee(603), callee(302)));
        assertTrue(BestResponse.endsAllBranches(600));
        assertFalse(BestResponse.endsAllBranches(486));
    }

    @Test
    void theLowestClassWins() {
        assertEquals(486, chosen(callee(500), callee(486)));
        assertEquals(302, chosen(callee(486), callee(302), callee(500)));
    }

    @Test
    void withinTheClassAChallengeOrAHintForResubmissionWins() {
        assertEquals(407, chosen(callee(486), callee(407)));
        assertEquals(484, chosen(callee(404), callee(484)));
    }

    @Test
    void aCalleesAnswerWinsOverThe487OfABranchWeCancelled() {
        assertEquals(486, chosen(new Outcome(487, true), callee(486)));
        // the caller's own CANCEL: every branch 487, so 487
        assertEquals(487, chosen(new Outcome(487, true), new Outcome(487, true)));
        // a 487 the callee chose itself counts as its answer; the first of equals stays
        assertEquals(0, BestResponse.choose(List.of(callee(487), callee(486))).index());
    }

    @Test
    void onlyA503BecomesA500() {
        assertEquals(500, chosen(callee(503)));
        assertEquals(500, chosen(callee(503), callee(500)));
        assertEquals(404, chosen(callee(503), callee(404)));
    }

    @Test
    void nothingToChooseFromIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> BestResponse.choose(List.of()));
        assertThrows(IllegalArgumentException.class, () -> chosen(callee(200)));
    }
}
