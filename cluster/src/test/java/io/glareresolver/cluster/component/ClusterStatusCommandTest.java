package io.glareresolver.cluster.component;

import io.glareresolver.sip.api.ClusterStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterStatusCommandTest {

    @Test
    void describesEveryCounterAndAnUnreadableSize() {
        String text = ClusterStatusCommand.describe(new ClusterStatus("east", "sip-1",
                List.of("sip-1 sip:127.0.0.1:5060", "sip-2 sip:127.0.0.2:5060"), 12, -1, 3, 1, 4));
        assertTrue(text.startsWith("cluster east, this node sip-1"), text);
        assertTrue(text.contains("2 live member(s):") && text.contains("  sip-2 sip:127.0.0.2:5060"), text);
        assertTrue(text.contains("shared bindings  12"), text);
        assertTrue(text.contains("claimed pairs    ? (no answer in time)"), text);
        assertTrue(text.contains("relayed INVITEs  3") && text.contains("pairs taken over 1")
                && text.contains("unavailable      4"), text);
    }
}
