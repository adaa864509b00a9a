package io.glareresolver.glare.impl.console;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTextTest {

    @Test
    void escapesWhatAnAorOrAHeaderCouldCarry() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("aor", "a\"b\\c</script>\n");
        m.put("n", -1L);
        m.put("on", true);
        m.put("list", List.of(1, "x"));
        assertEquals("{\"aor\":\"a\\\"b\\\\c\\u003c/script>\\n\",\"n\":-1,\"on\":true,\"list\":[1,\"x\"]}", JsonText.of(m));
    }
}
