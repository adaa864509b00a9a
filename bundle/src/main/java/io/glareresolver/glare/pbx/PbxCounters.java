package io.glareresolver.glare.pbx;

/**
 * Counters of the PBX side, a snapshot. Immutable.
 *
 * @param agiRequests      FastAGI {@code glare} requests answered (any result)
 * @param agiCrossings     requests that found a crossing call ({@code GLARE=1})
 * @param agiFailures      malformed requests refused (AGI failure result)
 * @param amiCrossings     crossings detected from AMI call events
 * @param amiResolved      crossings resolved by a manager action that Asterisk accepted
 * @param amiUnresolved    crossings the tie-break could not order (left to the PBX)
 * @param amiActionFailures manager actions Asterisk refused or that could not be sent
 * @param amiConnected     true while the manager connection is up (set when Asterisk's banner is read and
 *                         after a login, cleared when the connection drops or a login fails)
 * @param amiConnects      connections made to the manager interface (the first and every reconnect)
 */
public record PbxCounters(long agiRequests, long agiCrossings, long agiFailures, long amiCrossings, long amiResolved,
                          long amiUnresolved, long amiActionFailures, boolean amiConnected, long amiConnects) {
}
