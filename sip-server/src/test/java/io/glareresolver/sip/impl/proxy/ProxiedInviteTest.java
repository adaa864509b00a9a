package io.glareresolver.sip.impl.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.text.ParseException;
import java.util.List;
import java.util.Optional;

import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;

import org.junit.jupiter.api.Test;

import io.glareresolver.sip.api.HeaderEdits;

/**
 * The proxy's view of an INVITE on a real RI message: the received request is never changed (the
 * caller's server transaction holds it), each branch is its own copy with the interceptors' edits
 * and without the credentials the proxy consumed (RFC 3261 §22.3), and interceptors never read those.
 */
class ProxiedInviteTest {

    static final String REALM = "glare-resolver";
    static final String OURS = "Digest username=\"lena\",realm=\"" + REALM
            + "\",nonce=\"n1\",uri=\"sip:hugo@127.0.0.1\",response=\"00112233445566778899aabbccddeeff\"";
    static final String THEIRS = "Digest username=\"lena\",realm=\"upstream.example\""
            + ",nonce=\"n2\",uri=\"sip:hugo@127.0.0.1\",response=\"ffeeddccbbaa99887766554433221100\"";

    private static final HeaderFactory headers = LenaCallsHugo.headers();

    private static Request received() throws ParseException {
        return LenaCallsHugo.invite("pi-1@127.0.0.1", 2, "Proxy-Authorization: " + THEIRS + "\r\n"
                + "Proxy-Authorization: " + OURS + "\r\n"
                + "Glare-Resolution: accept\r\n");
    }

    private static ProxiedInvite invite(Request received, String consumedRealm) {
        return new ProxiedInvite(null, "inv-1", null, received, "pi-1@127.0.0.1", "lena@127.0.0.1", "hugo@127.0.0.1",
                Optional.empty(), Optional.empty(), System.nanoTime(), "loop", 70, consumedRealm);
    }

    private static List<String> realms(Request r) {
        List<String> out = new java.util.ArrayList<>();
        r.getHeaders("Proxy-Authorization").forEachRemaining(h ->
                out.add(((javax.sip.header.ProxyAuthorizationHeader) h).getRealm()));
        return out;
    }

    @Test
    void aBranchCarriesTheOtherRealmsCredentialsOnlyAndTheReceivedInviteKeepsAll() throws Exception {
        Request received = received();
        String before = received.toString();
        ProxiedInvite invite = invite(received, REALM);
        Request branch = invite.branchRequest();
        assertEquals(List.of("upstream.example"), realms(branch), "§22.3: ours consumed, theirs forwarded");
        assertEquals(before, received.toString(), "the received INVITE belongs to the server transaction");
        assertNotSame(received, branch);
    }

    @Test
    void interceptorsNeverReadTheCredentialsOfOurRealm() throws Exception {
        ProxiedInvite invite = invite(received(), REALM);
        assertEquals(1, invite.headers("Proxy-Authorization").size(), invite.headers("Proxy-Authorization").toString());
        assertTrue(invite.headers("Proxy-Authorization").get(0).contains("upstream.example"));
        assertTrue(invite.header("Proxy-Authorization").orElseThrow().contains("upstream.example"));
        // the same after an edit, when they read the proxy's edited copy
        invite.addEdits(MessageText.prepare(HeaderEdits.builder().add("X-Edited", "1").build(), headers));
        assertEquals(List.of("1"), invite.headers("X-Edited"));
        assertEquals(1, invite.headers("Proxy-Authorization").size(), invite.headers("Proxy-Authorization").toString());
        assertTrue(invite.header("Proxy-Authorization").orElseThrow().contains("upstream.example"));
    }

    @Test
    void withoutAConsumedRealmEveryCredentialIsForwardedAndSeen() throws Exception {
        // a trusted peer's or a cluster node's INVITE: no digest was checked here, nothing is ours to consume
        ProxiedInvite invite = invite(received(), null);
        assertEquals(List.of("upstream.example", REALM), realms(invite.branchRequest()));
        assertEquals(2, invite.headers("Proxy-Authorization").size());
    }

    @Test
    void editsGoIntoEachBranchOnceAndNeverIntoTheReceivedInvite() throws Exception {
        Request received = received();
        String before = received.toString();
        ProxiedInvite invite = invite(received, REALM);
        invite.addEdits(MessageText.prepare(HeaderEdits.builder().remove("Glare-Resolution")
                .set("Glare-Tiebreak", "4001;kind=id").build(), headers));
        assertEquals(Optional.empty(), invite.header("Glare-Resolution"), "a later interceptor reads the edit");
        invite.addEdits(MessageText.prepare(HeaderEdits.builder().add("Glare-Resolution", "reject").build(), headers));
        assertEquals(List.of("reject"), invite.headers("Glare-Resolution"));

        Request first = invite.branchRequest();
        Request second = invite.branchRequest();
        for (Request b : List.of(first, second)) {
            assertEquals(List.of("reject"), MessageText.headers(b, "Glare-Resolution"));
            assertEquals(List.of("4001;kind=id"), MessageText.headers(b, "Glare-Tiebreak"));
        }
        assertNotSame(first.getHeader("Glare-Tiebreak"), second.getHeader("Glare-Tiebreak"),
                "each branch has headers of its own");
        assertEquals(before, received.toString(), "edits never reach the received INVITE");
        assertEquals(List.of("accept"), MessageText.headers(received, "Glare-Resolution"));
    }

    @Test
    void aRefusedEditIsNotTakenAtAll() throws Exception {
        ProxiedInvite invite = invite(received(), REALM);
        assertThrows(IllegalArgumentException.class, () -> MessageText.prepare(HeaderEdits.builder()
                .set("X-Edited", "1").set("Max-Forwards", "5").build(), headers));
        assertEquals(List.of(), MessageText.headers(invite.branchRequest(), "X-Edited"));
        assertEquals(List.of("accept"), invite.headers("Glare-Resolution"));
    }
}
