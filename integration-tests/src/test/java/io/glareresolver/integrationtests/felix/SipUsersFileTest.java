package io.glareresolver.integrationtests.felix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.integrationtests.felix.SipUsersFile.SipUser;

class SipUsersFileTest {

    @TempDir
    Path dir;

    @Test
    void ha1MatchesTheRfcExamples() {
        // RFC 2617 §3.5 (MD5) and RFC 7616 §3.9.1 (SHA-256) worked examples
        assertEquals("939e7578ed9e3c518a452acee763bce9",
                new SipUsersFile(dir.resolve("u"), "testrealm@host.com").ha1("MD5", new SipUser("Mufasa", "Circle Of Life", 0)));
        assertEquals("7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
                new SipUsersFile(dir.resolve("u"), "http-auth@example.org").ha1("SHA-256", new SipUser("Mufasa", "Circle of Life", 0)));
    }

    @Test
    void writesOneLinePerUserInTheServersFormat() throws IOException {
        SipUsersFile users = new SipUsersFile(dir.resolve("etc/sip-users.txt"), "glare-resolver");
        users.write(new SipUser("alice", "s3cret", 1001));
        users.write(new SipUser("bob", "other", 7));

        List<String> lines = Files.readAllLines(dir.resolve("etc/sip-users.txt"));
        assertEquals(2, lines.size());
        assertEquals("alice 1001 glare-resolver 15503ba23bf693e06e6e6095eaed53cc "
                + "af5bb7853fc54fadf1bf4a581c0fd41de3958cae07f744f9e698353d4a94dfa7", lines.get(0));
        assertEquals("bob 7", lines.get(1).substring(0, 5));
    }
}
