package io.glareresolver.sip.impl.proxy;

import java.util.List;
import java.util.Optional;

import javax.sip.message.Response;

import io.glareresolver.sip.api.BranchResponse;

/** An immutable view of a final response for plugins (backed by a private copy). */
final class ResponseSnapshot implements BranchResponse {

    private final Response copy;

    ResponseSnapshot(Response response) {
        this.copy = (Response) response.clone();
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
