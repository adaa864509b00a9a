package io.glareresolver.sip.api;

import java.util.List;
import java.util.Optional;

/** A final response received on the forwarded branch of an {@link InitialInvite}. Immutable snapshot. */
public interface BranchResponse {

    int status();

    String reason();

    /** First value of a header, matched case-insensitively. */
    Optional<String> header(String name);

    /** All values of a header (comma-separated values split). */
    List<String> headers(String name);

    /** Body as text (SDP of a 2xx), if any. */
    Optional<String> body();

    /**
     * The contact of the binding whose branch sent it (since 1.4.0): with several registered
     * devices an INVITE forks, and each answers for itself. Empty for a response the proxy made.
     */
    default Optional<String> contact() {
        return Optional.empty();
    }

    default boolean isSuccess() {
        return status() >= 200 && status() < 300;
    }
}
