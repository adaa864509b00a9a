package io.glareresolver.endpoint.fsm;

/** The seed's variants (description, "modifications"), each off by default. */
public enum Variant {
    /** Answer the crossing INVITE 200 OK without a port; the peer uses the port of our INVITE. */
    OK_WITHOUT_PORT,
    /** The lower side sends its NG only after the peer's OK to its own INVITE arrived. */
    DELAYED_NG,
    /** Answer a crossing INVITE 200 OK without comparing (the seed's "no ID comparison"). */
    ALWAYS_OK,
    /** The higher side re-sends its INVITE while the lower side waits without answering. */
    HIGHER_RESENDS
}
