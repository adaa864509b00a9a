package io.glareresolver.sip.impl.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;

class SipUsersCommandTest {

    @TempDir
    Path dir;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String stdin, String... args) {
        out.reset();
        err.reset();
        return new SipUsersCommand(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new BufferedReader(new StringReader(stdin)), null).run(args);
    }

    @Test
    void addListRemove() throws Exception {
        Path f = dir.resolve("etc/sip-users.txt");
        String file = f.toString();
        assertEquals(0, run("secret\n", "--file", file, "add", "alice"));
        assertEquals(0, run("other\n", "--file", file, "add", "bob", "--id", "42"));
        assertEquals(0, run("third\n", "--file", file, "--realm", "lab", "add", "carol"));
        UsersFile.Parsed p = UsersFile.parse(Files.readAllLines(f));
        assertEquals(List.of("alice", "bob", "carol"), p.users().stream().map(SipUser::name).toList());
        SipUser alice = p.byName("alice").orElseThrow();
        assertEquals(1, alice.id());
        assertEquals(42, p.byName("bob").orElseThrow().id());
        assertEquals(43, p.byName("carol").orElseThrow().id(), "assigned = max + 1");
        assertEquals("lab", p.byName("carol").orElseThrow().realm());
        assertEquals(DigestAlgorithm.MD5.ha1("alice", "glare-resolver", "secret".toCharArray()), alice.ha1Md5());
        assertEquals(DigestAlgorithm.SHA_256.ha1("alice", "glare-resolver", "secret".toCharArray()), alice.ha1Sha256());
        String content = Files.readString(f);
        assertFalse(content.contains("secret"), "no clear-text password in the file");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(f));

        assertEquals(0, run("", "--file", file, "list"));
        assertTrue(out.toString().contains("alice") && out.toString().contains("42"));
        assertFalse(out.toString().contains(alice.ha1Md5()), "list never prints hashes");

        assertEquals(0, run("", "--file", file, "remove", "bob"));
        assertEquals(List.of("alice", "carol"), UsersFile.parse(Files.readAllLines(f)).users().stream().map(SipUser::name).toList());
    }

    @Test
    void refusalsHaveClearMessagesAndExitCodes() throws Exception {
        String file = dir.resolve("u.txt").toString();
        assertEquals(0, run("pw\n", "--file", file, "add", "alice", "--id", "5"));
        assertEquals(SipUsersCommand.FAILED, run("pw\n", "--file", file, "add", "alice"));
        assertTrue(err.toString().contains("already exists"), err.toString());
        assertEquals(SipUsersCommand.FAILED, run("pw\n", "--file", file, "add", "bob", "--id", "5"));
        assertTrue(err.toString().contains("id 5 is already used by 'alice'"), err.toString());
        assertEquals(SipUsersCommand.FAILED, run("", "--file", file, "add", "bob"));
        assertTrue(err.toString().contains("no password"), err.toString());
        assertEquals(SipUsersCommand.FAILED, run("", "--file", file, "remove", "nobody"));
        assertEquals(SipUsersCommand.USAGE, run("", "--file", file, "add"));
        assertEquals(SipUsersCommand.USAGE, run("", "--file", file, "add", "bad name"));
        assertEquals(SipUsersCommand.USAGE, run("", "--file", file, "add", "x", "--id", "-3"));
        assertEquals(SipUsersCommand.USAGE, run("", "--file", file, "frobnicate"));
        assertEquals(SipUsersCommand.USAGE, run(""));
        assertTrue(err.toString().contains("usage:"));
        Path notADir = dir.resolve("file");
        Files.writeString(notADir, "x");
        assertEquals(SipUsersCommand.IO_ERROR, run("pw\n", "--file", notADir.resolve("u.txt").toString(), "add", "zed"));
    }
}
