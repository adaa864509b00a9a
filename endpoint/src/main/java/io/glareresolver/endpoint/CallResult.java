package io.glareresolver.endpoint;

import io.glareresolver.endpoint.fsm.State;
import java.util.Optional;

/**
 * The outcome of one call attempt. Immutable.
 *
 * @param outcome established or failed
 * @param state the state machine's state when the outcome was decided
 * @param crossed whether the peer's INVITE crossed ours (glare)
 * @param sessionCallId the Call-ID of the session's dialog (ours or the peer's), if established
 * @param localPort our media port (opened at S61/S111), or -1
 * @param remotePort the peer's media port of the session, or -1
 * @param status the last final status received for our own INVITE, or 0
 * @param reason a human-readable reason (the status line, a timeout, ...)
 */
public record CallResult(Outcome outcome, State state, boolean crossed, String sessionCallId,
                         int localPort, int remotePort, int status, String reason) {

    public boolean established() {
        return outcome == Outcome.ESTABLISHED;
    }

    public Optional<String> session() {
        return Optional.ofNullable(sessionCallId);
    }
}
