package io.glareresolver.sip.impl.stack;

import java.text.ParseException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import javax.sip.ListeningPoint;
import javax.sip.ServerTransaction;
import javax.sip.SipProvider;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.MessageFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.glareresolver.sip.impl.config.ServerSettings;
import io.glareresolver.sip.impl.config.Transport;
import io.glareresolver.sip.impl.proxy.DialogStamp;

/**
 * What the registrar and the proxy share: the factories, the live provider and settings, and the
 * answers to "is this host us?". The provider and settings change on reconfiguration.
 */
public final class SipContext {

    private static final Logger LOG = LoggerFactory.getLogger(SipContext.class);

    private final HeaderFactory headers;
    private final MessageFactory messages;
    private final AddressFactory addresses;
    private final DialogStamp dialogStamp;
    private volatile SipProvider provider;
    private volatile ServerSettings settings;

    public SipContext(HeaderFactory headers, MessageFactory messages, AddressFactory addresses, ServerSettings settings,
                      DialogStamp dialogStamp) {
        this.headers = headers;
        this.dialogStamp = dialogStamp;
        this.messages = messages;
        this.addresses = addresses;
        this.settings = settings;
    }

    public HeaderFactory headers() {
        return headers;
    }

    public MessageFactory messages() {
        return messages;
    }

    public AddressFactory addresses() {
        return addresses;
    }

    public SipProvider provider() {
        return provider;
    }

    void provider(SipProvider p) {
        this.provider = p;
    }

    public ServerSettings settings() {
        return settings;
    }

    void settings(ServerSettings s) {
        this.settings = s;
    }

    /** "The domain, the listen address or localhost": hosts whose AORs this server owns. */
    public boolean isLocalHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        ServerSettings s = settings;
        return h.equals(s.domain()) || h.equals(s.address().toLowerCase(Locale.ROOT)) || h.equals("localhost")
                || (!s.advertisedAddress().isEmpty() && h.equals(s.advertisedAddress()));
    }

    /** A port that reaches us: the listening port, or the advertised one (a 1:1 NAT may map another port). */
    private boolean isOurPort(int port) {
        ServerSettings s = settings;
        return port == s.port() || port == s.sentByPort();
    }

    /** A URI that addresses this server: a local host and our port (or no port, meaning 5060 or the AOR). */
    public boolean isLocal(SipURI uri) {
        if (!isLocalHost(uri.getHost())) {
            return false;
        }
        int port = uri.getPort();
        return port <= 0 || isOurPort(port);
    }

    /** True if this URI is one of our own Route/Record-Route entries (host and port, port 5060 if absent). */
    public boolean isOurRoute(URI uri) {
        if (!(uri instanceof SipURI sip) || !isLocalHost(sip.getHost())) {
            return false;
        }
        int port = sip.getPort() <= 0 ? SipConstants.DEFAULT_SIP_PORT : sip.getPort();
        return isOurPort(port);
    }

    /** Our Via sent-by values ({@code host:port}, the listen and the advertised one), for loop detection. */
    public Set<String> ourSentBys() {
        ServerSettings s = settings;
        String listen = (s.address() + ":" + s.port()).toLowerCase(Locale.ROOT);
        String advertised = (s.sentByHost() + ":" + s.sentByPort()).toLowerCase(Locale.ROOT);
        return listen.equals(advertised) ? Set.of(listen) : Set.of(listen, advertised);
    }

    /** The transport to reach a URI: its transport parameter if we listen on it, else UDP (or our only one). */
    public Transport transportFor(URI uri) {
        Set<Transport> ours = settings.transports();
        if (uri instanceof SipURI sip && sip.getTransportParam() != null) {
            Transport t = Transport.parse(sip.getTransportParam()).orElse(Transport.UDP);
            if (ours.contains(t)) {
                return t;
            }
        }
        return ours.contains(Transport.UDP) ? Transport.UDP : ours.iterator().next();
    }

    public ListeningPoint listeningPoint(Transport t) {
        return provider.getListeningPoint(t.token());
    }

    public ViaHeader via(Transport t, String branch) throws ParseException, javax.sip.InvalidArgumentException {
        ListeningPoint lp = listeningPoint(t);
        ServerSettings s = settings;
        // Kamailio advertise: behind a 1:1 NAT the sent-by is the public address, so responses come back to it
        ViaHeader via = s.advertisedAddress().isEmpty() && s.advertisedPort() <= 0
                ? headers.createViaHeader(lp.getIPAddress(), lp.getPort(), t.token(), branch)
                : headers.createViaHeader(s.sentByHost(), s.sentByPort(), t.token(), branch);
        via.setRPort();
        return via;
    }

    /** Signs and checks the dialogs we record-route (its key lives in the SubscriberStore). */
    public DialogStamp dialogStamp() {
        return dialogStamp;
    }

    /** The stamp of the dialog an initial INVITE creates: over its Call-ID and its From (the caller's) tag. */
    public String dialogStamp(Request invite) {
        String callId = ((CallIdHeader) invite.getHeader(CallIdHeader.NAME)).getCallId();
        return dialogStamp.sign(callId, ((FromHeader) invite.getHeader(FromHeader.NAME)).getTag());
    }

    /**
     * Our Record-Route URI for a dialog: {@link #recordRouteUri()} with the dialog's stamp as the
     * {@code dlg} parameter. RFC 3261 §16.6 step 4: "The proxy MAY include parameters in the
     * Record-Route header field value. [...] Such parameters may be useful for keeping state in the
     * message rather than the proxy." The user agents echo it in the Route of the dialog's requests.
     */
    public SipURI recordRouteUri(String dialogStamp) throws ParseException {
        SipURI uri = recordRouteUri();
        uri.setParameter(DialogStamp.PARAMETER, dialogStamp);
        return uri;
    }

    /** The stamp our Route entry carries ({@code dlg} parameter), or null. */
    public static String dialogStampOf(URI ourRoute) {
        return ourRoute instanceof SipURI sip ? sip.getParameter(DialogStamp.PARAMETER) : null;
    }

    /**
     * Our Record-Route URI: {@code sip:address:port;lr} (transport=tcp only if UDP is off), with the
     * advertised address and port when set.
     */
    public SipURI recordRouteUri() throws ParseException {
        ServerSettings s = settings;
        SipURI uri = addresses.createSipURI(null, s.sentByHost());
        uri.setPort(s.sentByPort());
        uri.setLrParam();
        if (!s.transports().contains(Transport.UDP)) {
            uri.setTransportParam(s.transports().iterator().next().token());
        }
        return uri;
    }

    /**
     * Addresses a request to a binding: the Contact becomes the Request-URI and the binding's route
     * set replaces the request's Route (our own entries were popped already). The one place where a
     * request is pointed at a registered phone:
     * <ul>
     * <li>with Path, RFC 3327 §5.3: the registrar "MUST ... include the Path header field values ...
     * as Route header field values" of requests to that contact, in the stored order (a pre-loaded
     * route set, §16.6 step 6/7 then send it to the first Path entry, the edge proxy);</li>
     * <li>behind a NAT (a {@code received} flow), RFC 5626 §5.3: the request is forwarded "over the
     * flow" the phone registered on: a loose route {@code sip:source;transport=t;lr} sends it to the
     * recorded source address and port (over TCP the RI finds the phone's own connection in its
     * cache, keyed by the remote address and port of the accepted socket), while the Request-URI stays
     * the phone's Contact;</li>
     * <li>otherwise the Contact itself is the next hop.</li>
     * </ul>
     */
    public void addressToBinding(Request fwd, io.glareresolver.sip.api.Registration.Binding binding)
            throws ParseException, javax.sip.SipException {
        fwd.setRequestURI(addresses.createURI(binding.contact()));
        fwd.removeHeader(javax.sip.header.RouteHeader.NAME);
        if (!binding.path().isEmpty()) {
            for (String p : binding.path()) {
                fwd.addLast(headers.createRouteHeader(addresses.createAddress(p)));
            }
        } else if (binding.natted()) {
            java.util.Optional<io.glareresolver.sip.impl.nat.Flow> flow =
                    io.glareresolver.sip.impl.nat.Flow.parse(binding.received());
            if (flow.isPresent()) {
                fwd.addFirst(headers.createRouteHeader(addresses.createAddress(flow.get().routeUri())));
            }
        }
    }

    /** The next hop of a request as the router sees it: the top Route, else the Request-URI. */
    public static URI nextHop(Request req) {
        javax.sip.header.RouteHeader route = (javax.sip.header.RouteHeader) req.getHeader(javax.sip.header.RouteHeader.NAME);
        return route != null ? route.getAddress().getURI() : req.getRequestURI();
    }

    public static String newTag() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    /** A response to {@code request}; final responses get a To tag if the request had none. */
    public Response response(Request request, int status, String reason) throws ParseException {
        Response r = messages.createResponse(status, request);
        if (reason != null) {
            r.setReasonPhrase(reason);
        }
        if (status >= 200) {
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (to != null && to.getTag() == null) {
                to.setTag(newTag());
            }
        }
        r.setHeader(headers.createServerHeader(List.of(SipConstants.USER_AGENT)));
        return r;
    }

    /**
     * Sends a locally generated response on a server transaction, or statelessly when there is
     * none. Failures are logged, never thrown: the caller has done what it could.
     */
    public void respond(ServerTransaction st, Request request, int status, String reason, String callId) {
        try {
            Response r = response(request, status, reason);
            send(st, r, callId);
        } catch (ParseException e) {
            LOG.warn("[{}] cannot build {} response: {}", callId, status, e.toString());
        }
    }

    public void send(ServerTransaction st, Response r, String callId) {
        try {
            if (st != null) {
                st.sendResponse(r);
            } else {
                provider.sendResponse(r);
            }
        } catch (Exception e) {
            LOG.warn("[{}] cannot send {} {}: {}", callId, r.getStatusCode(), r.getReasonPhrase(), e.toString());
        }
    }
}
