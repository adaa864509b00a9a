package io.glareresolver.glare.pbx;

import java.time.Instant;
import java.util.Objects;

/**
 * One crossing between two PBX extensions. Immutable.
 *
 * @param detectedAt     when the second call was seen
 * @param via            {@code AGI} or {@code AMI}
 * @param firstCaller    extension that called first
 * @param secondCaller   extension whose call crossed the first
 * @param firstChannel   Asterisk channel of the first call
 * @param secondChannel  Asterisk channel of the second call
 * @param firstValue     compared tie-break value of the first caller, or -1 when it had none
 * @param secondValue    compared tie-break value of the second caller, or -1 when it had none
 * @param higherCaller   extension of the higher side (it takes the other's call; its own call yields),
 *                       or empty when the two could not be ordered
 * @param comparison     the tie-break comparison (first against second), e.g. {@code SECOND_HIGHER_VALUE}
 * @param action         what was done, e.g. {@code GLARE_ACTION=ACCEPT} or {@code Hangup PJSIP/102-0001 cause 17}
 */
public record PbxCrossing(Instant detectedAt, String via, String firstCaller, String secondCaller,
                          String firstChannel, String secondChannel, long firstValue, long secondValue,
                          String higherCaller, String comparison, String action) {

    public PbxCrossing {
        Objects.requireNonNull(detectedAt, "detectedAt");
        Objects.requireNonNull(via, "via");
    }
}
