package io.glareresolver.sip.impl.proxy;

import java.util.List;
import java.util.Optional;

import javax.sip.message.Response;

import io.glareresolver.sip.api.BranchResponse;

/** An immutable view of a response for plugins (backed by a response nobody changes any more). */
final class ResponseSnapshot implements BranchResponse {

    private final Response copy;
    /** The binding whose branch sent it; null for a response the proxy made. */
    private final String contact;

    /** A view of a response the proxy may still rewrite: backed by a private copy. */
    ResponseSnapshot(Response response, String contact) {
        this(response, true, contact);
    }

    private ResponseSnapshot(Response response, boolean copy, String contact) {
        this.copy = copy ? (Response) response.clone() : response;
        this.contact = contact;
    }

    /**
     * A view of a response as received from a branch. The proxy never changes a received response
     * (what it relays is a copy, {@link RequestRelay#towardsCaller}), so no copy is made: one clone
     * of every 180 and 2xx less on the hot path.
     */
    static ResponseSnapshot ofReceived(Response received, String contact) {
        return new ResponseSnapshot(received, false, contact);
    }

    @Override
    public Optional<String> contact() {
        return Optional.ofNullable(contact);
    }

    @Override
    public int status() {
        return copy.getStatusCode();
    }

    @Override
    public String reason() {
        return copy.getReasonPhrase();
    }

    @Override
    public Optional<String> header(String name) {
        return MessageText.header(copy, name);
    }

    @Override
    public List<String> headers(String name) {
        return MessageText.headers(copy, name);
    }

    @Override
    public Optional<String> body() {
        return MessageText.body(copy);
    }

    @Override
    public String toString() {
        return status() + " " + reason();
    }
}
