package io.glareresolver.endpoint;

/**
 * Media ports of one endpoint: how many were opened (bound) and closed (released). Immutable
 * snapshot.
 *
 * @param opened sockets bound since the endpoint started
 * @param closed sockets released since the endpoint started
 */
public record PortCounts(long opened, long closed) {

    /** @return ports bound right now */
    public long open() {
        return opened - closed;
    }

    /** @return the difference {@code this - before}, for counting what one call cost */
    public PortCounts since(PortCounts before) {
        return new PortCounts(opened - before.opened, closed - before.closed);
    }

    @Override
    public String toString() {
        return "opened=" + opened + " closed=" + closed + " open=" + open();
    }
}
