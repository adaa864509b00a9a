package io.glareresolver.sip.impl.users;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured SIP users, read from the users file and re-read when its modification time or
 * size changes (checked at most every {@value #CHECK_INTERVAL_MS} ms, on access): adding or removing
 * a user needs no restart. A file that cannot be read keeps the users last read; invalid lines are
 * skipped with a log line naming the line number.
 */
public final class UserDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(UserDirectory.class);
    static final long CHECK_INTERVAL_MS = 200;

    private record Stamp(long modified, long size) {
    }

    private volatile Path file;
    private volatile String realm;
    private volatile UsersFile.Parsed users = new UsersFile.Parsed(List.of(), List.of());
    private Stamp stamp;
    private long nextCheck;
    private boolean missingLogged;

    public UserDirectory(Path file, String realm) {
        this.file = Objects.requireNonNull(file, "file");
        this.realm = Objects.requireNonNull(realm, "realm");
        refresh(true);
    }

    /** Points the directory at another file or realm (a settings change); reads it at once. */
    public synchronized void configure(Path newFile, String newRealm) {
        boolean changed = !newFile.equals(file) || !newRealm.equals(realm);
        file = newFile;
        realm = newRealm;
        if (changed) {
            stamp = null;
            missingLogged = false;
            refresh(true);
        }
    }

    public Path file() {
        return file;
    }

    public Optional<SipUser> find(String name) {
        return current().byName(name);
    }

    /** The users as of now (after a reload check). */
    public UsersFile.Parsed current() {
        refresh(false);
        return users;
    }

    private synchronized void refresh(boolean force) {
        long now = System.currentTimeMillis();
        if (!force && now < nextCheck) {
            return;
        }
        nextCheck = now + CHECK_INTERVAL_MS;
        Path f = file;
        Stamp s;
        try {
            BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
            s = new Stamp(a.lastModifiedTime().toMillis(), a.size());
        } catch (NoSuchFileException e) {
            if (!missingLogged) {
                LOG.warn("users file {} does not exist: no SIP user can register until it is created "
                        + "(bin/sip-users add NAME)", f.toAbsolutePath());
                missingLogged = true;
            }
            if (stamp != null || !users.users().isEmpty()) {
                users = new UsersFile.Parsed(List.of(), List.of());
                stamp = null;
            }
            return;
        } catch (IOException e) {
            LOG.warn("cannot read users file {}: {}; keeping the {} users read before", f, e.toString(),
                    users.users().size());
            return;
        }
        if (s.equals(stamp)) {
            return;
        }
        try {
            UsersFile.Parsed parsed = UsersFile.parse(Files.readAllLines(f, StandardCharsets.UTF_8));
            for (UsersFile.LineError err : parsed.errors()) {
                LOG.warn("users file {}: {} (line skipped)", f, err);
            }
            for (SipUser u : parsed.users()) {
                if (!u.realm().equals(realm)) {
                    LOG.warn("users file {}: user {} has realm '{}' but the server's realm is '{}': "
                            + "it cannot authenticate until re-added", f, u.name(), u.realm(), realm);
                }
            }
            users = parsed;
            stamp = s;
            missingLogged = false;
            LOG.info("users file {} loaded: {} users, {} lines refused", f, parsed.users().size(), parsed.errors().size());
        } catch (IOException e) {
            LOG.warn("cannot read users file {}: {}; keeping the {} users read before", f, e.toString(),
                    users.users().size());
        }
    }
}
