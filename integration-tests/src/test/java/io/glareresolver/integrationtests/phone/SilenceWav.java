package io.glareresolver.integrationtests.phone;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file of silence the phone processes play in place of a microphone: there is no sound card on
 * the test machine, and both baresip ({@code aufile}) and liblinphone ({@code hold_music}) stream
 * a WAV file instead.
 */
public final class SilenceWav {

    /** 8 kHz: what PCMU/PCMA, the codecs both phones offer, carry without resampling. */
    private static final int RATE = 8000;

    private SilenceWav() {
    }

    /** Writes a mono 8 kHz 16-bit PCM WAV of {@code seconds} of silence to {@code wav}. */
    public static void write(Path wav, int seconds) throws IOException {
        int bytes = RATE * 2 * seconds;
        ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + bytes).put("WAVE".getBytes(StandardCharsets.US_ASCII))
                .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(RATE).putInt(RATE * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(bytes);
        try (OutputStream out = Files.newOutputStream(wav)) {
            out.write(h.array());
            out.write(new byte[bytes]);
        }
    }
}
