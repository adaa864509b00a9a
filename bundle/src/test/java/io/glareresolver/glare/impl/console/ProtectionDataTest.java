package io.glareresolver.glare.impl.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.ProtectionCounters;
import io.glareresolver.sip.api.ProtectionCounters.BannedSource;

/** The page's "SIP server protection" section as data.json carries it. */
class ProtectionDataTest {

    @Test
    void limitsCountersAndBannedSources() {
        ProtectionCounters c = new ProtectionCounters(500, 20, 60, 300, 1234, 180, 20, 1, 7,
                List.of(new BannedSource("127.0.0.77", 20, Instant.parse("2026-12-07T10:05:00Z"))));
        assertEquals("{\"limits\":{\"requestsPerSecond\":500,\"banDigestFailures\":20,\"banWindowSeconds\":60,"
                + "\"banDurationSeconds\":300},\"counters\":{\"refusedForRate\":1234,\"droppedWhileBanned\":180,"
                + "\"digestFailures\":20,\"bansIssued\":1,\"sourcesTracked\":7,\"bannedNow\":1},"
                + "\"banned\":[{\"address\":\"127.0.0.77\",\"failures\":20,\"until\":\"2026-12-07T10:05:00Z\"}]}",
                JsonText.of(GlareConsolePlugin.protectionData(c)));
    }

    @Test
    void nothingBanned() {
        ProtectionCounters c = new ProtectionCounters(0, 0, 60, 300, 0, 0, 3, 0, 0, List.of());
        assertEquals(List.of(), GlareConsolePlugin.protectionData(c).get("banned"));
    }
}
