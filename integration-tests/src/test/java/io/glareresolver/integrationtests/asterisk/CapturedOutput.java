package io.glareresolver.integrationtests.asterisk;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Test fixture: copies everything written to {@code System.out} and {@code System.err} (where the
 * runtime's slf4j-simple writes: it looks the stream up at each line) while installed, so a test
 * can assert what the logs do and do not contain.
 */
public final class CapturedOutput implements AutoCloseable {

    private final PrintStream originalOut = System.out;
    private final PrintStream originalErr = System.err;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    private CapturedOutput() {
    }

    public static CapturedOutput install() {
        CapturedOutput c = new CapturedOutput();
        System.setOut(new PrintStream(c.tee(c.originalOut), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(c.tee(c.originalErr), true, StandardCharsets.UTF_8));
        return c;
    }

    private OutputStream tee(PrintStream original) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                synchronized (copy) {
                    copy.write(b, off, len);
                }
            }

            @Override
            public void flush() {
                original.flush();
            }
        };
    }

    public String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }
}
