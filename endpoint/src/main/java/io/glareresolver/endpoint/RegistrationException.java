package io.glareresolver.endpoint;

/** REGISTER did not succeed; {@link #getMessage()} says why in words for a user. */
public final class RegistrationException extends Exception {

    private static final long serialVersionUID = 1L;

    /** Why the registration failed. */
    public enum Reason {
        /** The registrar refused our credentials (wrong user name or password). */
        AUTHENTICATION_FAILED,
        /** No answer from the server. */
        UNREACHABLE,
        /** Any other final response. */
        REFUSED
    }

    private final Reason reason;
    private final int status;

    public RegistrationException(Reason reason, int status, String message) {
        super(message);
        this.reason = reason;
        this.status = status;
    }

    public Reason reason() {
        return reason;
    }

    /** @return the final status received, 0 when none */
    public int status() {
        return status;
    }
}
