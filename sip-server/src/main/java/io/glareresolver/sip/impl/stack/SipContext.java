package io.glareresolver.sip.impl.stack;

import java.text.ParseException;
import java.util.List;
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
import io.glareresolver.sip.impl.config.SipHost;
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
    private volatile java.util.function.Consumer<String> badCredentials = source -> { };

    /** What "us" is, in {@link SipHost#canonical} form, for the current settings. */
    private volatile Us us;

    /** Our listen address and domain as compared, and our sent-by values. */
    private record Us(String address, String domain, Set<String> sentBys) {
        static Us of(ServerSettings s) {
            String plain = SipHost.hostPort(s.address(), s.port());
            // the TLS port too while TLS listens: our Vias of requests sent over TLS carry it
            Set<String> sentBys = new java.util.HashSet<>(Set.of(plain));
            if (s.transports().contains(Transport.TLS)) {
                sentBys.add(SipHost.hostPort(s.address(), s.tlsPort()));
            }
            // the advertised sent-by (a server behind a 1:1 NAT writes it in its Vias)
            sentBys.add(SipHost.hostPort(s.sentByHost(), s.sentByPort()));
            sentBys = Set.copyOf(sentBys);
            return new Us(SipHost.canonical(s.address()), SipHost.canonical(s.domain()), sentBys);
        }
    }

    public SipContext(HeaderFactory headers, MessageFactory messages, AddressFactory addresses, ServerSettings settings,
                      DialogStamp dialogStamp) {
        this.headers = headers;
        this.dialogStamp = dialogStamp;
        this.messages = messages;
        this.addresses = addresses;
        settings(settings);
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
        this.us = Us.of(s);
        this.settings = s;
    }

    void onBadCredentials(java.util.function.Consumer<String> listener) {
        this.badCredentials = listener;
    }

    /**
     * Tells the server's source guard that a request carried a wrong digest answer or named an
     * unknown user ({@link io.glareresolver.sip.impl.auth.AuthOutcome#BAD_CREDENTIALS}); a request
     * without credentials, or with a stale nonce, is not such a failure.
     */
    public void badCredentials(Request req) {
        badCredentials.accept(sourceOf(req));
    }

    /**
     * The address a request came from: the top Via's {@code received} parameter, else its host.
     * RFC 3261 §18.2.1: "If the host portion of the "sent-by" field contains a domain name, or if it
     * contains an IP address that differs from the packet source address, the server MUST add a
     * "received" parameter to that Via header field value. This parameter MUST contain the source
     * address from which the packet was received."
     * <p>
     * What the JAIN-SIP RI 1.3.0-91 does (read in its bytecode, {@code UDPMessageChannel} and
     * {@code ConnectionOrientedMessageChannel.processMessage}, the same rule for UDP and TCP): it sets
     * {@code received} to the packet's source address when the Via has {@code rport} or when the
     * Via host, as written, is not that address' text ({@code InetAddress.getHostAddress()}; a host
     * name, an IPv6 reference in brackets or another address always differ). It does not remove a
     * {@code received} the peer wrote itself when the host is its own address and there is no
     * {@code rport}: {@link SipServer} corrects that case from the RI's event before this is read.
     */
    public static String sourceOf(Request req) {
        ViaHeader via = (ViaHeader) req.getHeader(ViaHeader.NAME);
        if (via == null) {
            return "-";
        }
        String received = via.getReceived();
        String host = received != null && !received.isEmpty() ? received : via.getHost();
        if (host == null) {
            return "-";
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * "The domain, the listen address or localhost": hosts whose AORs this server owns. An IPv6
     * literal matches in any spelling ({@code [::1]}, {@code ::1}, {@code [0:0:0:0:0:0:0:1]}).
     */
    public boolean isLocalHost(String host) {
        if (host == null) {
            return false;
        }
        String h = SipHost.canonical(host);
        Us u = us;
        ServerSettings s = settings;
        return h.equals(u.domain()) || h.equals(u.address()) || h.equals("localhost")
                || (!s.advertisedAddress().isEmpty() && h.equals(SipHost.canonical(s.advertisedAddress())));
    }

    /** One of the ports we listen on: the UDP/TCP port, or the TLS port while TLS listens. */
    private boolean isOurPort(int port) {
        ServerSettings s = settings;
        // the advertised port too: a 1:1 NAT may map another port to ours
        return port == s.port() || port == s.sentByPort()
                || (s.transports().contains(Transport.TLS) && port == s.tlsPort());
    }

    /**
     * A URI that addresses this server: a local host and one of our ports (or no port, meaning the
     * default port or the AOR).
     */
    public boolean isLocal(SipURI uri) {
        if (!isLocalHost(uri.getHost())) {
            return false;
        }
        int port = uri.getPort();
        return port <= 0 || isOurPort(port);
    }

    /**
     * True if this URI is one of our own Route/Record-Route entries: a local host and one of our
     * ports; without a port, 5061 for {@code sips:} and {@code transport=tls} (RFC 3261 §19.1.2),
     * else 5060.
     */
    public boolean isOurRoute(URI uri) {
        if (!(uri instanceof SipURI sip) || !isLocalHost(sip.getHost())) {
            return false;
        }
        int port = sip.getPort();
        if (port <= 0) {
            port = sip.isSecure() || "tls".equalsIgnoreCase(sip.getTransportParam())
                    ? SipConstants.DEFAULT_SIPS_PORT : SipConstants.DEFAULT_SIP_PORT;
        }
        return isOurPort(port);
    }

    /** Our Via sent-by values ({@code host:port} in {@link #sentBy} form: {@code [::1]:5060}), for loop detection. */
    public Set<String> ourSentBys() {
        return us.sentBys();
    }

    /**
     * A Via's sent-by as {@link #ourSentBys} holds ours: {@link SipHost#canonical} host, and the
     * port, 5060 if absent (§18.2.2 / §19.1.2: the default port of sip over UDP and TCP). The RI
     * reports an IPv6 Via host with its brackets, in whatever spelling the sender wrote.
     */
    public static String sentBy(ViaHeader via) {
        int port = via.getPort() <= 0 ? SipConstants.DEFAULT_SIP_PORT : via.getPort();
        return SipHost.hostPort(via.getHost(), port);
    }

    /**
     * The transport to reach a URI. RFC 3261 §26.2.2: a {@code sips:} URI is reached over TLS (also
     * when we do not listen on it: then sending fails instead of going out in clear text); otherwise
     * its transport parameter if we listen on it, else UDP (or our first one).
     */
    public Transport transportFor(URI uri) {
        Set<Transport> ours = settings.transports();
        if (uri instanceof SipURI sip) {
            if (sip.isSecure()) {
                return Transport.TLS;
            }
            if (sip.getTransportParam() != null) {
                Transport t = Transport.parse(sip.getTransportParam()).orElse(Transport.UDP);
                if (ours.contains(t)) {
                    return t;
                }
            }
        }
        return ours.contains(Transport.UDP) ? Transport.UDP : ours.iterator().next();
    }

    public ListeningPoint listeningPoint(Transport t) {
        return provider.getListeningPoint(t.token());
    }

    public ViaHeader via(Transport t, String branch) throws ParseException, javax.sip.InvalidArgumentException,
            javax.sip.SipException {
        ListeningPoint lp = listeningPoint(t);
        if (lp == null) {
            throw new javax.sip.SipException("no " + t.token() + " listening point to send from");
        }
        ServerSettings s = settings;
        // Kamailio advertise: behind a 1:1 NAT the sent-by is the public address, so responses come back to it;
        // the RI reports a listening point on ::1 as 0:0:0:0:0:0:0:1: written as [::1]
        ViaHeader via = s.advertisedAddress().isEmpty() && s.advertisedPort() <= 0
                ? headers.createViaHeader(SipHost.canonical(lp.getIPAddress()), lp.getPort(), t.token(), branch)
                : headers.createViaHeader(SipHost.canonical(s.sentByHost()), t == Transport.TLS ? lp.getPort() : s.sentByPort(),
                        t.token(), branch);
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
     * advertised address and port when set. §25.1: {@code IPv6reference = "[" IPv6address "]"}:
     * {@code sip:[::1]:5060;lr}.
     */
    public SipURI recordRouteUri() throws ParseException {
        ServerSettings s = settings;
        SipURI uri = addresses.createSipURI(null, SipHost.canonical(s.sentByHost()));
        uri.setPort(s.sentByPort());
        uri.setLrParam();
        if (!s.transports().contains(Transport.UDP)) {
            uri.setTransportParam(s.transports().iterator().next().token());
        }
        return uri;
    }

    /**
     * Our Record-Route URI naming one transport, with the dialog stamp: UDP as {@code sip:address:port;lr},
     * TCP with {@code transport=tcp}, TLS as {@code sip:address:tlsPort;transport=tls;lr}.
     */
    public SipURI recordRouteUri(Transport t, String dialogStamp) throws ParseException {
        ServerSettings s = settings;
        SipURI uri = addresses.createSipURI(null, SipHost.canonical(s.sentByHost()));
        uri.setPort(t == Transport.TLS ? s.tlsPort() : s.sentByPort());
        if (t != Transport.UDP) {
            uri.setTransportParam(t.token());
        }
        uri.setLrParam();
        uri.setParameter(DialogStamp.PARAMETER, dialogStamp);
        return uri;
    }

    /**
     * Adds our Record-Route to an initial INVITE about to be forwarded to {@code target}: one
     * entry, or two when it leaves on another transport than it came in on
     * ({@link io.glareresolver.sip.impl.proxy.RecordRoutes}). Call it before our Via is added: the
     * transport it came in on is read from the top Via, the sender's.
     */
    public void addRecordRoutes(Request fwd, Transport out) throws ParseException, javax.sip.SipException {
        ViaHeader sender = (ViaHeader) fwd.getHeader(ViaHeader.NAME);
        Transport in = sender == null ? out : Transport.parse(sender.getTransport()).orElse(out);
        String stamp = dialogStamp(fwd);
        List<Transport> entries = io.glareresolver.sip.impl.proxy.RecordRoutes.entries(in, out);
        // each is inserted "before any existing Record-Route header field values": the last added is on top
        for (int i = entries.size() - 1; i >= 0; i--) {
            Transport t = entries.get(i);
            SipURI uri = entries.size() == 1 && t != Transport.TLS ? recordRouteUri(stamp) : recordRouteUri(t, stamp);
            fwd.addFirst(headers.createRecordRouteHeader(addresses.createAddress(uri)));
        }
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
