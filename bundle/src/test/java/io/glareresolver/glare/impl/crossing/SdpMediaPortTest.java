package io.glareresolver.glare.impl.crossing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SdpMediaPortTest {

    private static String sdp(String mLine) {
        return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" + mLine + "\r\na=rtpmap:0 PCMU/8000\r\n";
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "m=audio 40000 RTP/AVP 0      | 40000",
            "m=audio 40002/2 RTP/AVP 0    | 40002",
            "m=audio  5004  RTP/AVP 0 8   | 5004",
            "m=application 9 udp raw      | 9",
            "m=audio 0 RTP/AVP 0          | 0",
            "m=audio 65536 RTP/AVP 0      | -1",
            "m=audio x RTP/AVP 0          | -1",
            "m=audio -5 RTP/AVP 0         | -1",
            "m=audio \u0664\u0660\u0660\u0660 RTP/AVP 0 | -1",
            "m=audio                      | -1",
            "a=nothing                    | -1",
    })
    void theFirstMediaLinesPort(String mLine, int expected) {
        OptionalInt port = SdpMediaPort.of(sdp(mLine.trim()));
        assertEquals(expected < 0 ? OptionalInt.empty() : OptionalInt.of(expected), port);
    }
}
