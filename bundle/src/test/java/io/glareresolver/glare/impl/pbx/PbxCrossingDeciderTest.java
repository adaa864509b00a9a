package io.glareresolver.glare.impl.pbx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.protocol.Comparison;
import io.glareresolver.protocol.TiebreakValue;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

class PbxCrossingDeciderTest {

    static PbxCall call(String from, String to, Long offered, Long registrar) {
        return new PbxCall(from, to, "PJSIP/" + from + "-1", Optional.ofNullable(offered).map(TiebreakValue::of),
                registrar == null ? OptionalLong.empty() : OptionalLong.of(registrar));
    }

    @Test
    void higherValueIsTheSideWhoseCallYields() {
        PbxCall first = call("101", "102", 1001L, null);
        PbxCall second = call("102", "101", 1002L, null);
        PbxDecision d = PbxCrossingDecider.decide(first, second, TiebreakSource.ENDPOINT);
        assertEquals(Comparison.SECOND_HIGHER_VALUE, d.comparison());
        assertSame(second, d.higher().orElseThrow());
        assertSame(first, d.lower().orElseThrow());
        assertEquals(1001, d.firstValue());
        assertEquals(1002, d.secondValue());
    }

    @Test
    void registrarPolicyOverwritesTheOfferedValue() {
        PbxCall first = call("101", "102", Long.MAX_VALUE, 5L);
        PbxCall second = call("102", "101", 1L, 7L);
        assertSame(first, PbxCrossingDecider.decide(first, second, TiebreakSource.ENDPOINT).higher().orElseThrow());
        assertSame(second, PbxCrossingDecider.decide(first, second, TiebreakSource.REGISTRAR).higher().orElseThrow());
    }

    @Test
    void missingValues() {
        PbxDecision both = PbxCrossingDecider.decide(call("1", "2", null, null), call("2", "1", null, null),
                TiebreakSource.ENDPOINT);
        assertFalse(both.resolved());
        assertTrue(both.higher().isEmpty());
        assertEquals(-1, both.firstValue());
        PbxCall first = call("1", "2", 3L, null);
        PbxCall second = call("2", "1", null, null);
        PbxDecision one = PbxCrossingDecider.decide(first, second, TiebreakSource.ENDPOINT);
        assertEquals(Comparison.SECOND_MISSING, one.comparison());
        assertSame(second, one.higher().orElseThrow(), "the side without a value is refused: its own call yields");
    }

    @Test
    void pendingTableFindsTheReverseCallOnceAndExpires() {
        PendingPbxCalls table = new PendingPbxCalls(Duration.ofSeconds(10), 100);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        PbxCall a = call("101", "102", 1L, null);
        assertTrue(table.offer(a, t0).isEmpty());
        assertTrue(table.offer(call("103", "101", 1L, null), t0).isEmpty(), "not the reverse leg");
        assertSame(a, table.offer(call("102", "101", 2L, null), t0).orElseThrow());
        assertTrue(table.offer(call("102", "101", 2L, null), t0).isEmpty(), "taken out once decided");
        assertTrue(table.endChannel("PJSIP/102-1"));
        assertTrue(table.offer(a, t0).isEmpty());
        assertTrue(table.offer(call("102", "101", 2L, null), t0.plusSeconds(11)).isEmpty(), "expired");
    }
}
