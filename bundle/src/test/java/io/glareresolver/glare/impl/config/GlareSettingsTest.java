package io.glareresolver.glare.impl.config;

import io.glareresolver.glare.impl.crossing.TiebreakSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GlareSettingsTest {

    @Test
    void absentKeysTakeTheDefaults() throws Exception {
        assertEquals(GlareSettings.DEFAULTS, GlareSettings.from(Map.of()));
    }

    @Test
    void valuesFromACfgFileAreStrings() throws Exception {
        GlareSettings s = GlareSettings.from(Map.of("enabled", "false", "tiebreak.source", "registrar",
                "glare.ng-timeout", "1500", "pending.maximum", "50", "pending.timeout", "5000", "recent.size", "10"));
        assertFalse(s.enabled());
        assertEquals(TiebreakSource.REGISTRAR, s.source());
        assertEquals(1500, s.ngTimeoutMillis());
        assertEquals(50, s.pendingMaximum());
        assertEquals(5000, s.pendingTimeoutMillis());
        assertEquals(10, s.recentSize());
    }

    @Test
    void typedValuesFromTheConsoleAreAccepted() throws Exception {
        GlareSettings s = GlareSettings.from(Map.of("enabled", Boolean.TRUE, "glare.ng-timeout", 250L, "pending.maximum", 7));
        assertTrue(s.enabled());
        assertEquals(250, s.ngTimeoutMillis());
        assertEquals(7, s.pendingMaximum());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "enabled          | yes      | enabled='yes': must be true or false",
            "tiebreak.source  | device   | tiebreak.source='device': must be 'endpoint' or 'registrar'",
            "glare.ng-timeout | soon     | glare.ng-timeout='soon': not a whole number",
            "glare.ng-timeout | 0        | glare.ng-timeout=0: must be 1..60000",
            "pending.maximum  | -5       | pending.maximum=-5: must be 1..10000000",
            "pending.timeout  | 10       | pending.timeout=10: must be 1000..3600000",
            "recent.size      | 1e3      | recent.size='1e3': not a whole number",
    })
    void anInvalidValueIsRefusedNamingTheSettingAndTheReason(String key, String value, String message) {
        GlareSettings.InvalidSettingException e = assertThrows(GlareSettings.InvalidSettingException.class,
                () -> GlareSettings.from(Map.of(key, value)));
        assertEquals(message, e.getMessage());
    }
}
