package io.glareresolver.sip.impl.users;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.glareresolver.sip.impl.auth.DigestAlgorithm;

class UsersFileTest {

    static final String MD5 = DigestAlgorithm.MD5.ha1("alice", "glare-resolver", "pw".toCharArray());
    static final String SHA = DigestAlgorithm.SHA_256.ha1("alice", "glare-resolver", "pw".toCharArray());

    @Test
    void parsesValidLinesAndReportsInvalidOnes() {
        UsersFile.Parsed p = UsersFile.parse(List.of(
                "# name id realm ha1-md5 ha1-sha256",
                "",
                "alice 7 glare-resolver " + MD5 + " " + SHA + "   # the first user",
                "bob 7 glare-resolver " + MD5 + " " + SHA,
                "alice 8 glare-resolver " + MD5 + " " + SHA,
                "carol x glare-resolver " + MD5 + " " + SHA,
                "dave 9 glare-resolver " + MD5,
                "erin 10 glare-resolver " + MD5.substring(1) + "0z " + SHA,
                "bad<name 11 glare-resolver " + MD5 + " " + SHA));
        assertEquals(List.of("alice"), p.users().stream().map(SipUser::name).toList());
        assertEquals(7, p.byName("alice").orElseThrow().id());
        assertEquals(List.of(4, 5, 6, 7, 8, 9), p.errors().stream().map(UsersFile.LineError::line).toList());
        assertTrue(p.errors().get(0).reason().contains("id 7 already used"), p.errors().get(0).reason());
        assertTrue(p.errors().get(1).reason().contains("already defined on line 3"));
        assertEquals(8, p.nextId());
    }

    @Test
    void toStringNeverShowsHashes() {
        SipUser u = SipUser.withPassword("alice", 1, "glare-resolver", "pw".toCharArray());
        assertTrue(!u.toString().contains(u.ha1Md5()) && !u.toString().contains(u.ha1Sha256()));
        assertEquals(MD5, u.ha1Md5());
    }

    @Test
    void directoryReloadsWhenTheFileChanges(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("users.txt");
        UserDirectory d = new UserDirectory(f, "glare-resolver");
        assertTrue(d.find("alice").isEmpty(), "a missing file means no users");
        Files.write(f, List.of(SipUser.withPassword("alice", 1, "glare-resolver", "pw".toCharArray()).line()));
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - 10_000));
        assertTrue(poll(() -> d.find("alice").isPresent()), "added user seen without restart");
        Files.write(f, List.of("# nobody"));
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis()));
        assertTrue(poll(() -> d.find("alice").isEmpty()), "removed user gone without restart");
    }

    /** Bounded poll: the directory checks the file at most every 200 ms. */
    static boolean poll(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            if (cond.getAsBoolean()) {
                return true;
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        }
        return cond.getAsBoolean();
    }
}
