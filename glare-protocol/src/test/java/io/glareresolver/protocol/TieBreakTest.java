package io.glareresolver.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TieBreakTest {

    @Test
    void higherIdSendsOk() {
        Contender alice = Contender.of("alice@example.com", TiebreakValue.id(1002));
        Contender bob = Contender.of("bob@example.com", TiebreakValue.id(1001));
        assertEquals(Side.SEND_OK, TieBreak.decide(alice, bob).side());
        assertEquals(Comparison.FIRST_HIGHER_VALUE, TieBreak.decide(alice, bob).comparison());
        assertEquals(Side.SEND_NG, TieBreak.decide(bob, alice).side());
        assertEquals(Comparison.SECOND_HIGHER_VALUE, TieBreak.decide(bob, alice).comparison());
    }

    @Test
    void exactlyOneSideSendsOkForRandomValues() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        for (int i = 0; i < 10_000; i++) {
            long a = rnd.nextLong(0, Long.MAX_VALUE);
            long b = rnd.nextLong(0, 4) == 0 ? a : rnd.nextLong(0, Long.MAX_VALUE);
            Contender x = Contender.of("x@h", TiebreakValue.random(a));
            Contender y = Contender.of("y@h", TiebreakValue.random(b));
            Side sx = TieBreak.decide(x, y).side();
            Side sy = TieBreak.decide(y, x).side();
            assertTrue(sx != sy, "values " + a + " / " + b + " gave " + sx + " both sides");
        }
    }

    @Test
    void randomValuesCompareNumericallyNotAsText() {
        Contender nine = Contender.of("a@h", TiebreakValue.random(9));
        Contender ten = Contender.of("b@h", TiebreakValue.random(10));
        assertEquals(Side.SEND_NG, TieBreak.decide(nine, ten).side());
        Contender max = Contender.of("a@h", TiebreakValue.random(Long.MAX_VALUE));
        Contender zero = Contender.of("b@h", TiebreakValue.random(0));
        assertEquals(Side.SEND_OK, TieBreak.decide(max, zero).side());
    }

    @ParameterizedTest(name = "{0} vs {1}")
    @CsvSource({
        "bob@example.com, alice@example.com, SEND_OK, FIRST_HIGHER_AOR",
        "alice@example.com, bob@example.com, SEND_NG, SECOND_HIGHER_AOR",
        "alice@example.com, alice@example.org, SEND_NG, SECOND_HIGHER_AOR",
        "sip:bob@Example.COM:5070;transport=udp, bob@example.com, SEND_NG, INDISTINGUISHABLE",
        "Bob@h, bob@h, SEND_NG, SECOND_HIGHER_AOR",
    })
    void equalValuesFallBackToAorOrder(String local, String peer, Side side, Comparison why) {
        TieBreak.Decision d = TieBreak.decide(Contender.of(local, TiebreakValue.id(7)), Contender.of(peer, TiebreakValue.id(7)));
        assertEquals(side, d.side());
        assertEquals(why, d.comparison());
    }

    @Test
    void peerWithoutValueGetsNgClaim8() {
        TieBreak.Decision d = TieBreak.decide(Contender.of("a@h", 1), Contender.without("b@h"));
        assertEquals(Side.SEND_NG, d.side());
        assertEquals(Comparison.SECOND_MISSING, d.comparison());
    }

    @Test
    void localWithoutValueAnswersOkBecauseThePeerRefusesOurs() {
        TieBreak.Decision d = TieBreak.decide(Contender.without("a@h"), Contender.of("b@h", 1));
        assertEquals(Side.SEND_OK, d.side());
        assertEquals(Comparison.FIRST_MISSING, d.comparison());
    }

    @Test
    void bothMissingBothRefuse() {
        Comparison c = TieBreak.compare(Contender.without("a@h"), Contender.without("b@h"));
        assertEquals(Comparison.BOTH_MISSING, c);
        assertFalse(c.decided());
        assertEquals(Side.SEND_NG, TieBreak.decide(Contender.without("a@h"), Contender.without("b@h")).side());
    }

    @Test
    void serverPicksHigherOfTwoInvites() {
        Contender l = Contender.of("alice@h", 5);
        Contender h = Contender.of("bob@h", 6);
        assertEquals(h, TieBreak.higherOf(l, h).orElseThrow());
        assertEquals(h, TieBreak.higherOf(h, l).orElseThrow());
        Contender plain = Contender.without("carol@h");
        // the one without a value is refused; the other's INVITE proceeds, so "plain" answers it
        assertEquals(plain, TieBreak.higherOf(l, plain).orElseThrow());
        assertTrue(TieBreak.higherOf(Contender.of("x@h", 1), Contender.of("x@h", 1)).isEmpty());
        assertTrue(Comparison.FIRST_HIGHER_VALUE.firstIsHigher());
        assertTrue(Comparison.SECOND_HIGHER_AOR.secondIsHigher());
        assertFalse(Comparison.BOTH_MISSING.secondIsHigher());
    }

    @Test
    void aorIsNormalised() {
        assertEquals("alice@example.com", Contender.of("<sip:alice@EXAMPLE.com:5060;lr>", 1).aor());
        assertEquals("alice@[::1]", Contender.of("sips:alice@[::1]", 1).aor());
    }
}
