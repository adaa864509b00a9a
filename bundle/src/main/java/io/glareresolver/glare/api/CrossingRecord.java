package io.glareresolver.glare.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One crossing, as the console's table shows it. Immutable.
 *
 * @param detectedAt          when the second INVITE arrived
 * @param lowerAor            the lower side L (its INVITE becomes the session); for an unresolved crossing, the first caller
 * @param higherAor           the higher side H (it answers L's INVITE 200 OK); for an unresolved crossing, the second caller
 * @param lowerValue          L's compared tie-break value, or -1 when it had none
 * @param higherValue         H's compared tie-break value, or -1 when it had none
 * @param lowerCallId         Call-ID of L's INVITE
 * @param higherCallId        Call-ID of H's INVITE
 * @param higherSentSecond    true when H's INVITE was the second to arrive
 * @param higherAdvertisedPort the media port in H's own INVITE, or -1
 * @param higherAnswerPort    the media port in H's 200 OK to L's INVITE, or -1
 * @param lowerAdvertisedPort the media port in L's INVITE, or -1
 * @param decision            what the server did, e.g. {@code FORWARD_WITH_REJECT / AWAIT_ANSWER}
 * @param outcome             how it ended
 * @param latencyMicros       second INVITE received to both sides holding a final answer, or -1
 * @param messages            the SIP messages of the crossing as the server saw and sent them, in time order
 *                            (bounded; since 1.1.0, empty where not recorded)
 */
public record CrossingRecord(Instant detectedAt, String lowerAor, String higherAor, long lowerValue, long higherValue,
                             String lowerCallId, String higherCallId, boolean higherSentSecond,
                             int higherAdvertisedPort, int higherAnswerPort, int lowerAdvertisedPort,
                             String decision, CrossingOutcome outcome, long latencyMicros,
                             List<CrossingMessage> messages) {

    public CrossingRecord {
        Objects.requireNonNull(detectedAt, "detectedAt");
        Objects.requireNonNull(outcome, "outcome");
        messages = messages == null ? List.of() : List.copyOf(messages);
    }

    /** The 1.0 constructor: a record without its messages. */
    public CrossingRecord(Instant detectedAt, String lowerAor, String higherAor, long lowerValue, long higherValue,
                          String lowerCallId, String higherCallId, boolean higherSentSecond,
                          int higherAdvertisedPort, int higherAnswerPort, int lowerAdvertisedPort,
                          String decision, CrossingOutcome outcome, long latencyMicros) {
        this(detectedAt, lowerAor, higherAor, lowerValue, higherValue, lowerCallId, higherCallId, higherSentSecond,
                higherAdvertisedPort, higherAnswerPort, lowerAdvertisedPort, decision, outcome, latencyMicros, List.of());
    }

    /** @return true when H answered on the port it had advertised (the seed's point: no port churn) */
    public boolean portKept() {
        return higherAdvertisedPort >= 0 && higherAdvertisedPort == higherAnswerPort;
    }
}
