package io.glareresolver.cluster.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterSettingsReaderTest {

    @Test
    void defaultsWithoutProperties() {
        ClusterSettingsReader reader = new ClusterSettingsReader();
        ClusterSettings s = reader.read(Map.of());
        assertEquals("glare-resolver", s.clusterName());
        assertEquals("127.0.0.1:5701", s.nodeName());
        assertEquals(List.of(), s.members());
        assertEquals(5701, s.port());
        assertEquals(1, s.backupCount());
        assertEquals(Duration.ofMillis(500), s.operationTimeout());
        assertEquals(List.of(), reader.refusals());
    }

    @Test
    void stringsOfACfgFileAreRead() {
        ClusterSettings s = new ClusterSettingsReader().read(Map.of("cluster.name", "east", "node.name", "sip-1",
                "members", " 127.0.0.1:5701, 127.0.0.2:5702 ,[::1]:5703", "address", "127.0.0.2", "port", "5702",
                "backup-count", "2", "operation-timeout", "250"));
        assertEquals(new ClusterSettings("east", "sip-1", List.of("127.0.0.1:5701", "127.0.0.2:5702", "[::1]:5703"),
                "127.0.0.2", 5702, 2, Duration.ofMillis(250)), s);
    }

    @Test
    void badValuesTakeTheirDefaultsAndAreLogged() {
        Map<String, Object> props = new HashMap<>();
        props.put("cluster.name", "a|b");
        props.put("node.name", "two words");
        props.put("members", "127.0.0.1:5701,nohostport");
        props.put("address", "0.0.0.0");
        props.put("port", "57o1");
        props.put("backup-count", 9);
        props.put("operation-timeout", "-5");
        ClusterSettingsReader reader = new ClusterSettingsReader();
        ClusterSettings s = reader.read(props);
        assertEquals(ClusterSettings.defaults(), s);
        assertEquals(7, reader.refusals().size(), reader.refusals().toString());
        assertTrue(reader.refusals().stream().anyMatch(r -> r.contains("port='57o1'") && r.contains("not a whole number")
                && r.contains("'5701'")), reader.refusals().toString());
        assertTrue(reader.refusals().stream().anyMatch(r -> r.contains("nohostport")), reader.refusals().toString());
    }

    @Test
    void hostNamesAreNoBindAddress() {
        ClusterSettingsReader reader = new ClusterSettingsReader();
        assertEquals("127.0.0.1", reader.read(Map.of("address", "localhost")).address());
        assertEquals(1, reader.refusals().size());
        assertEquals("::1", new ClusterSettingsReader().read(Map.of("address", "[::1]")).address());
    }
}
