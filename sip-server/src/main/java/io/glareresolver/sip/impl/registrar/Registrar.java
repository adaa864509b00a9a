package io.glareresolver.sip.impl.registrar;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.sip.ServerTransaction;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.ContactHeader;
import javax.sip.header.ExpiresHeader;
import javax.sip.header.SupportedHeader;
import javax.sip.header.ToHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.api.HeaderEdits;
import io.glareresolver.sip.api.Registration;
import io.glareresolver.sip.api.Registration.Binding;
import io.glareresolver.sip.api.RegistrationInterceptor;
import io.glareresolver.sip.impl.auth.AuthOutcome;
import io.glareresolver.sip.impl.auth.DigestChallenges;
import io.glareresolver.sip.impl.auth.DigestCredentials;
import io.glareresolver.sip.impl.auth.DigestVerifier;
import io.glareresolver.sip.impl.auth.NonceService;
import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.location.ExpiryRule;
import io.glareresolver.sip.impl.location.LocationTable;
import io.glareresolver.sip.impl.nat.Flow;
import io.glareresolver.sip.impl.proxy.InterceptorChain;
import io.glareresolver.sip.impl.proxy.MessageText;
import io.glareresolver.sip.impl.stack.SipContext;
import io.glareresolver.sip.impl.users.SipUser;
import io.glareresolver.sip.impl.users.UserDirectory;

/** The registrar (RFC 3261 §10.3): authenticates REGISTER and updates the location table. */
public final class Registrar {

    private static final Logger LOG = LoggerFactory.getLogger(Registrar.class);

    private final SipContext sip;
    private final UserDirectory users;
    private final LocationTable locations;
    private final NonceService nonces;
    private final DigestVerifier verifier;
    private final DigestChallenges challenges;
    private final Clock clock;
    private final InterceptorChain interceptors;

    public Registrar(SipContext sip, UserDirectory users, LocationTable locations, NonceService nonces, Clock clock) {
        this(sip, users, locations, nonces, clock, new InterceptorChain());
    }

    public Registrar(SipContext sip, UserDirectory users, LocationTable locations, NonceService nonces, Clock clock,
                     InterceptorChain interceptors) {
        this.interceptors = interceptors;
        this.sip = sip;
        this.users = users;
        this.locations = locations;
        this.nonces = nonces;
        this.verifier = new DigestVerifier(nonces);
        this.challenges = new DigestChallenges(sip.headers());
        this.clock = clock;
    }

    public void register(Request req, ServerTransaction st) throws Exception {
        String callId = ((CallIdHeader) req.getHeader(CallIdHeader.NAME)).getCallId();
        ServerSettings s = sip.settings();
        // §10.3 step 1: "The registrar inspects the Request-URI to determine whether it has access to bindings for the domain"
        if (!(req.getRequestURI() instanceof SipURI ruri) || !sip.isLocalHost(ruri.getHost())) {
            sip.respond(st, req, Response.FORBIDDEN, "Domain not served here", callId);
            return;
        }
        ToHeader to = (ToHeader) req.getHeader(ToHeader.NAME);
        URI toUri = to.getAddress().getURI();
        if (!(toUri instanceof SipURI toSip) || toSip.getUser() == null || !sip.isLocalHost(toSip.getHost())) {
            sip.respond(st, req, Response.NOT_FOUND, "Address of record not in this domain", callId);
            return;
        }
        // §10.3 step 3: authenticate
        DigestCredentials creds = DigestChallenges.credentials(req, false, s.realm());
        // RFC 2617 §3.2.2.5: the digest uri must name the Request-URI's resource (the registrar's), or an
        // answer captured for another request could register
        DigestVerifier.Result auth = verifier.verify(creds, Request.REGISTER, s.realm(), users::find, s.verifiedAlgorithms(),
                req.getRequestURI().toString());
        if (auth.outcome() != AuthOutcome.ACCEPTED) {
            refuse(req, st, auth.outcome(), creds, callId);
            return;
        }
        SipUser user = auth.user().orElseThrow();
        // §10.3 step 4: "the registrar MUST determine if the authenticated user is authorized to modify registrations for this address-of-record"
        if (!user.name().equals(toSip.getUser())) {
            LOG.info("[{}] REGISTER refused: user {} may not register {}", callId, user.name(), toSip.getUser());
            sip.respond(st, req, Response.FORBIDDEN, "Not authorised for this address of record", callId);
            return;
        }
        String aor = user.name() + "@" + s.domain();
        ExpiryRule rule = new ExpiryRule(s.expiresMin(), s.expiresMax(), s.expiresDefault());
        ExpiresHeader expiresHeader = (ExpiresHeader) req.getHeader(ExpiresHeader.NAME);
        Integer headerExpires = expiresHeader == null ? null : expiresHeader.getExpires();
        long cseq = ((CSeqHeader) req.getHeader(CSeqHeader.NAME)).getSeqNumber();
        Set<String> supported = supported(req);

        Flow source = RegisterSource.of(req);
        List<String> path = RegisterSource.path(req);
        List<ContactHeader> contacts = new ArrayList<>();
        Iterator<?> it = req.getHeaders(ContactHeader.NAME);
        boolean wildcard = false;
        while (it.hasNext()) {
            ContactHeader c = (ContactHeader) it.next();
            if (c.isWildCard()) {
                wildcard = true;
            } else {
                contacts.add(c);
            }
        }
        LocationTable.Update update;
        if (wildcard) {
            // §10.3 step 6: "If the Contact header field contains "*" and Expires is not zero, or if there is more than one Contact, the registrar returns 400"
            if (!contacts.isEmpty() || headerExpires == null || headerExpires != 0) {
                sip.respond(st, req, Response.BAD_REQUEST, "Wildcard Contact needs Expires: 0 and no other Contact", callId);
                return;
            }
            update = locations.update(aor, user.id(), List.of(), true, callId, cseq);
        } else {
            List<LocationTable.Change> changes = new ArrayList<>();
            for (ContactHeader c : contacts) {
                int param = c.getExpires();
                ExpiryRule.Decision d = rule.decide(param >= 0 ? param : null, headerExpires);
                if (d.kind() == ExpiryRule.Kind.TOO_BRIEF) {
                    Response r = sip.response(req, Response.INTERVAL_TOO_BRIEF, null);
                    r.addHeader(sip.headers().createMinExpiresHeader(d.seconds()));
                    sip.send(st, r, callId);
                    LOG.info("[{}] REGISTER {} refused: interval below the minimum {} s", callId, aor, d.seconds());
                    return;
                }
                float q = c.getQValue();
                URI contactUri = c.getAddress().getURI();
                String received = path.isEmpty() ? RegisterSource.receivedFlow(source, contactUri,
                        (javax.sip.header.ViaHeader) req.getHeader(javax.sip.header.ViaHeader.NAME)) : null;
                changes.add(new LocationTable.Change(contactUri.toString(), d.seconds(), supported,
                        q >= 0f && q <= 1f ? q : Binding.NO_Q, received, RegisterSource.instance(c),
                        RegisterSource.regId(c), path));
            }
            update = locations.update(aor, user.id(), changes, false, callId, cseq);
        }
        if (!update.applied()) {
            LOG.info("[{}] REGISTER {} refused: {}", callId, aor, update.refusal());
            sip.respond(st, req, Response.BAD_REQUEST, "Out of order: " + update.refusal(), callId);
            return;
        }
        Response ok = sip.response(req, Response.OK, null);
        Instant now = clock.instant();
        for (Binding b : update.bindings()) {
            // §10.3 step 8: the 200 lists the bindings as registered (q; RFC 5626 §6: +sip.instance and reg-id echoed)
            ok.addHeader(sip.headers().createHeader(ContactHeader.NAME,
                    RegisterSource.contactValue(b, Math.max(0, Duration.between(now, b.expiresAt()).getSeconds()))));
        }
        if (!path.isEmpty() && supported.contains("path")) {
            // RFC 3327 §5.3: "the registrar MUST copy the Path header field values into the 200 OK"
            // when the REGISTER carried "Supported: path"
            for (String p : path) {
                ok.addHeader(sip.headers().createHeader(RegisterSource.PATH, p));
            }
        }
        ok.addHeader(sip.headers().createDateHeader(java.util.Calendar.getInstance(java.util.TimeZone.getTimeZone("GMT"))));
        if (!update.bindings().isEmpty()) {
            askInterceptors(ok, new Registration(aor, user.id(), update.bindings()), supported, callId);
        }
        sip.send(st, ok, callId);
        LOG.info("[{}] REGISTER {} (id {}) ok: {} binding(s){} from {}{}", callId, aor, user.id(),
                update.bindings().size(), supported.isEmpty() ? "" : ", supported " + supported, source.text(),
                path.isEmpty() ? "" : ", path " + path);
    }

    /**
     * Lets the bound {@link RegistrationInterceptor}s add headers to the 200 OK. A failing
     * interceptor is logged and skipped: the registration stands and the 200 OK goes out.
     */
    private void askInterceptors(Response ok, Registration registration, Set<String> supported, String callId) {
        for (RegistrationInterceptor i : interceptors.registrationInterceptors()) {
            try {
                HeaderEdits edits = i.onRegistered(registration, Set.copyOf(supported));
                if (edits == null || edits.isEmpty()) {
                    continue;
                }
                for (HeaderEdits.Edit e : edits.edits()) {
                    if (REGISTRAR_MANAGED.contains(e.name().toLowerCase(Locale.ROOT))) {
                        throw new IllegalArgumentException("header " + e.name() + " is managed by the registrar");
                    }
                }
                MessageText.apply(ok, edits, sip.headers()); // all or nothing
            } catch (Exception | LinkageError e) {
                LOG.warn("[{}] registration interceptor {} failed for {}, skipped: {}", callId, i.getClass().getName(),
                        registration.aor(), e.toString());
            }
        }
    }

    /** Headers of the REGISTER 200 OK that only the registrar writes (RFC 3261 §10.3 step 8). */
    private static final Set<String> REGISTRAR_MANAGED = Set.of("contact", "m", "date", "expires", "min-expires");

    private void refuse(Request req, ServerTransaction st, AuthOutcome outcome, DigestCredentials creds, String callId)
            throws Exception {
        if (outcome.challenges()) {
            Response r = sip.response(req, Response.UNAUTHORIZED, null);
            challenges.addTo(r, false, sip.settings().realm(), nonces.issue(), outcome.stale(), sip.settings().digestAlgorithms());
            sip.send(st, r, callId);
            if (creds != null) {
                LOG.info("[{}] REGISTER by {} challenged again: {}", callId, creds.username(), outcome);
            }
        } else if (outcome == AuthOutcome.URI_MISMATCH) {
            LOG.info("[{}] REGISTER refused: digest uri '{}' is not the Request-URI {}", callId,
                    creds == null ? "?" : creds.uri(), req.getRequestURI());
            sip.respond(st, req, Response.BAD_REQUEST, "Digest uri does not match the Request-URI", callId);
        } else {
            LOG.info("[{}] REGISTER refused: bad credentials for user '{}'", callId, creds == null ? "?" : creds.username());
            sip.respond(st, req, Response.FORBIDDEN, "Bad credentials", callId);
            if (outcome == AuthOutcome.BAD_CREDENTIALS) {
                sip.badCredentials(req); // a wrong answer or an unknown user: counted against its source
            }
        }
    }

    static Set<String> supported(Request req) {
        Set<String> tags = new HashSet<>();
        Iterator<?> it = req.getHeaders(SupportedHeader.NAME);
        while (it.hasNext()) {
            Object o = it.next();
            if (o instanceof SupportedHeader s && s.getOptionTag() != null) {
                for (String t : s.getOptionTag().split(",")) {
                    if (!t.isBlank()) {
                        tags.add(t.trim().toLowerCase(Locale.ROOT));
                    }
                }
            }
        }
        return tags;
    }

    /** For the proxy: the same verifier, challenges and nonces. */
    public DigestVerifier verifier() {
        return verifier;
    }

    public DigestChallenges challenges() {
        return challenges;
    }

    public NonceService nonces() {
        return nonces;
    }

    Optional<SipUser> user(String name) {
        return users.find(name);
    }
}
