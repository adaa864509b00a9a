package io.glareresolver.glare.impl.pbx.ami;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import io.glareresolver.glare.impl.pbx.PbxCrossingLog;
import io.glareresolver.glare.impl.pbx.PendingPbxCalls;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

class AmiCrossingWatcherTest {

    private final List<String> yielded = new ArrayList<>();
    private final PbxCrossingLog log = new PbxCrossingLog();
    private final AmiCrossingWatcher watcher = new AmiCrossingWatcher(new PendingPbxCalls(Duration.ofMinutes(1), 100), log,
            ext -> ext.equals("301") ? OptionalLong.of(50) : OptionalLong.empty(), TiebreakSource.ENDPOINT,
            (higher, lower) -> {
                yielded.add(higher.channel() + ">" + lower.channel());
                return "Hangup " + higher.channel();
            }, Clock.systemUTC());

    @Test
    void crossingFromDialBeginsWithVarSetValues() {
        watcher.onVarSet("PJSIP/101-1", "GLARE_TIEBREAK", "9");
        watcher.onVarSet("PJSIP/102-1", "GLARE_TIEBREAK", "4");
        watcher.onDialBegin("PJSIP/101-1", "101", "PJSIP/102");
        assertTrue(yielded.isEmpty());
        watcher.onDialBegin("PJSIP/102-1", "102", "101");
        assertEquals(List.of("PJSIP/101-1>PJSIP/102-1"), yielded, "101 (9) is higher: its own call yields");
        assertEquals(1, log.counters().amiCrossings());
        assertEquals("101", log.recentCrossings().get(0).higherCaller());
    }

    @Test
    void endedDialsAndLostConnectionsDoNotCross() {
        watcher.onDialBegin("PJSIP/201-1", "201", "202");
        watcher.onDialEnd("PJSIP/201-1");
        watcher.onDialBegin("PJSIP/202-1", "202", "201");
        watcher.onConnectionLost();
        watcher.onDialBegin("PJSIP/201-2", "201", "202");
        assertTrue(yielded.isEmpty(), yielded.toString());
    }

    @Test
    void registrarValueAndUnorderedCrossings() {
        watcher.onVarSet("PJSIP/302-1", "GLARE_TIEBREAK", "not-a-number");
        watcher.onDialBegin("PJSIP/301-1", "301", "302");
        watcher.onDialBegin("PJSIP/302-1", "302", "301");
        assertEquals(List.of("PJSIP/302-1>PJSIP/301-1"), yielded, "302 has no value: refused, its call yields");
        watcher.onDialBegin("PJSIP/401-1", "401", "402");
        watcher.onDialBegin("PJSIP/402-1", "402", "401");
        assertEquals(1, yielded.size(), "no values at all: left to the PBX");
        assertEquals(1, log.counters().amiUnresolved());
    }

    @Test
    void extensionOfDialStrings() {
        assertEquals("102", AmiCrossingWatcher.extensionOf("102"));
        assertEquals("102", AmiCrossingWatcher.extensionOf("PJSIP/102"));
        assertEquals("102", AmiCrossingWatcher.extensionOf("SIP/102@trunk"));
        assertEquals("102", AmiCrossingWatcher.extensionOf("Local/102@internal/n"));
        assertNull(AmiCrossingWatcher.extensionOf(" "));
    }
}
