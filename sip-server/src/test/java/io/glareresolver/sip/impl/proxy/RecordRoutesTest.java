package io.glareresolver.sip.impl.proxy;

import static io.glareresolver.sip.impl.config.Transport.TCP;
import static io.glareresolver.sip.impl.config.Transport.TLS;
import static io.glareresolver.sip.impl.config.Transport.UDP;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class RecordRoutesTest {

    @Test
    void oneEntryWhenTheInviteLeavesOnTheTransportItCameIn() {
        assertEquals(List.of(UDP), RecordRoutes.entries(UDP, UDP));
        assertEquals(List.of(TCP), RecordRoutes.entries(TCP, TCP));
        assertEquals(List.of(TLS), RecordRoutes.entries(TLS, TLS));
    }

    @Test
    void twoEntriesWhenTheTransportChangesTheCalleesFirst() {
        // caller over TLS, callee over UDP: the callee reaches us over UDP, the caller over TLS
        assertEquals(List.of(UDP, TLS), RecordRoutes.entries(TLS, UDP));
        assertEquals(List.of(TLS, UDP), RecordRoutes.entries(UDP, TLS));
        assertEquals(List.of(TCP, UDP), RecordRoutes.entries(UDP, TCP));
        assertEquals(List.of(TLS, TCP), RecordRoutes.entries(TCP, TLS));
    }
}
