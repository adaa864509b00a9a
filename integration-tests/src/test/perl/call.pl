#!/usr/bin/perl
# One call through the proxy between two test agents in one process.
#
#   call.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 \
#           --caller alice:secret:MD5 --callee bob:secret:SHA-256 \
#           [--answer-after-ms 300] [--cancel [--rfc-487]] [--show-header Name]... [--timeout 30]
#
# Both agents REGISTER (digest with the given algorithm), the callee listens, the caller sends
# INVITE; the callee answers 180 Ringing and, after --answer-after-ms, 200 OK with its SDP; the
# caller ACKs and hangs up with BYE. With --cancel the caller sends CANCEL on the 180 instead
# (and the callee never answers 200); the callee's 487 is Net::SIP's own (built from the CANCEL,
# see GlareTestUA.pm) unless --rfc-487 asks for one built from the INVITE. Both agents
# un-REGISTER at the end.
# Events (see GlareTestUA.pm): REGISTERED/REGISTER_FAILED, SEND_SDP/RECV_SDP (m= port),
# PROVISIONAL, FINAL, INVITE (callee, with the --show-header values), ACK, BYE, CANCELLED, DONE.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use GlareTestUA qw(event new_agent shared_loop arm_deadline header_value);

my %o = (proxy => undef, domain => '127.0.0.1', answer_after_ms => 300, timeout => 30, show_header => []);
GetOptions(
    'proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain},
    'caller=s' => \$o{caller}, 'callee=s' => \$o{callee},
    'answer-after-ms=i' => \$o{answer_after_ms}, 'cancel' => \$o{cancel}, 'rfc-487' => \$GlareTestUA::RFC_487,
    'show-header=s' => $o{show_header}, 'timeout=i' => \$o{timeout},
) or die "bad options\n";
die "need --proxy, --caller and --callee\n" unless $o{proxy} && $o{caller} && $o{callee};
arm_deadline($o{timeout});

my ($caller_user, $caller_pw, $caller_alg) = split /:/, $o{caller}, 3;
my ($callee_user, $callee_pw, $callee_alg) = split /:/, $o{callee}, 3;
my $caller = new_agent(name => 'caller', user => $caller_user, password => $caller_pw, algorithm => $caller_alg,
    proxy => $o{proxy}, domain => $o{domain});
my $callee = new_agent(name => 'callee', user => $callee_user, password => $callee_pw, algorithm => $callee_alg,
    proxy => $o{proxy}, domain => $o{domain});

for my $a ([caller => $caller], [callee => $callee]) {
    my $expires = $a->[1]->register(expires => 300);
    if (defined $expires) {
        event($a->[0], 'REGISTERED', expires => $expires);
    } else {
        event($a->[0], 'REGISTER_FAILED', error => $a->[1]->error);
        exit 2;
    }
}

# --- callee: 180 at once, 200 later (unless cancelled) ---------------------------------------
my ($callee_acked, $callee_bye, $callee_cancelled) = (0, 0, 0);
$callee->listen(
    # the peer's address is only known here; the delayed 200 OK is sent to it
    cb_create => sub { my ($call, $request, $leg, $from) = @_; $call->{param}{peer_addr} = $from; 1 },
    cb_invite => sub {
        my ($call, $request) = @_;
        $GlareTestUA::INVITE_BY_CALLID{ $request->callid } = $request;
        my %shown = map { (lc($_) => header_value($request, $_)) } @{ $o{show_header} };
        event('callee', 'INVITE', call_id => scalar $request->get_header('call-id'),
            map { ("header.$_" => defined $shown{$_} ? $shown{$_} : '<absent>') } sort keys %shown);
        my $leg = $call->{param}{leg};
        my $sdp = $call->{param}{sdp};
        my $ctx = $call->{ctx};
        my $endpoint = $call->{endpoint};
        my $peer = $call->{param}{peer_addr};
        $callee->add_timer($o{answer_after_ms} / 1000, sub {
            return if $callee_cancelled;
            $endpoint->new_response($ctx, $request->create_response('200', 'OK', {}, $sdp), $leg, $peer);
        });
        return $request->create_response('180', 'Ringing');
    },
    cb_established => sub { $callee_acked = 1; event('callee', 'ACK') },
    # BYE after the call, or CANCEL before the answer (then the delayed 200 must never go out)
    recv_bye => sub { $callee_bye = 1; $callee_cancelled = 1 unless $callee_acked; event('callee', 'BYE_OR_CANCEL') },
);

# --- caller ------------------------------------------------------------------------------------
my ($final, $cancel_sent, $bye_done, $invite_over) = (undef, 0, 0, 0);
my $call;
$call = $caller->invite("sip:$callee_user\@$o{domain}",
    cb_preliminary => sub {
        my ($c, $code) = @_;
        event('caller', 'PROVISIONAL', code => $code);
        if ($o{cancel} && $code == 180 && !$cancel_sent) {
            $cancel_sent = 1;
            event('caller', 'CANCEL_SENT');
            $c->cancel;
            # RFC 3261 §9.1/§16.10: the INVITE must end with 487 soon after the CANCEL; don't wait the whole run
            $caller->add_timer(8, sub {
                return if defined $final;
                event('caller', 'NO_FINAL_AFTER_CANCEL', seconds => 8);
                $invite_over = 1;
            });
        }
    },
    cb_final => sub {
        my ($status, $c, %info) = @_;
        my $code = $info{code} || ($info{packet} ? $info{packet}->code : ($status eq 'OK' ? 200 : 0));
        $final = $code;
        $invite_over = 1;
        event('caller', 'FINAL', status => $status, code => $code);
    },
);
shared_loop()->loop($o{timeout}, \$invite_over);
unless (defined $final) {
    event('caller', 'NO_FINAL');
    exit 2;
}

if ($final == 200) {
    my $acked = 0;
    shared_loop()->loop(5, \$callee_acked);
    $call->bye(cb_final => sub { my ($arg, %info) = @_; $bye_done = 1; event('caller', 'BYE_DONE') });
    shared_loop()->loop(5, \$bye_done);
    shared_loop()->loop(2, \$callee_bye) unless $callee_bye;
}

# --- un-REGISTER, so a later test never forks to this process's dead contacts -----------------
for my $a ([caller => $caller], [callee => $callee]) {
    my $r = $a->[1]->register(expires => 0);
    event($a->[0], 'UNREGISTERED', ok => defined $r ? 1 : 0);
}
event('script', 'DONE');
exit 0;
