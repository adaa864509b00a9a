package io.glareresolver.sip.impl.stack;

import java.io.IOException;

import javax.sip.ListeningPoint;

/**
 * The double-CRLF keep-alive of RFC 5626 §4.4.1 on a TCP connection. javax.sip has no call that
 * writes bytes outside a SIP message, so this is the one place that uses the RI's own extension,
 * {@code gov.nist.javax.sip.ListeningPointExt.sendHeartbeat(host, port)}: it writes CRLFCRLF on the
 * RI's cached connection to that address and port (the phone's own connection, cached by the RI when
 * it received the REGISTER), or opens one if there is none, and throws when it cannot.
 */
final class TcpPing {

    private TcpPing() {
    }

    static void send(ListeningPoint lp, String host, int port) throws IOException {
        if (!(lp instanceof gov.nist.javax.sip.ListeningPointExt ext)) {
            throw new IOException("the SIP stack cannot send a CRLF keep-alive");
        }
        ext.sendHeartbeat(host.indexOf(':') >= 0 ? "[" + host + "]" : host, port);
    }
}
