#!/usr/bin/perl
# One plain RFC 3261 phone (Net::SIP, no glare support) that dials its peer at fixed wall-clock
# instants, round after round, for the glare plugin's real-timing crossing tests: run one process
# per phone with the same --start-ms and --round-ms, and both dial at the same instant each round.
#
#   crossing-rounds.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 --phone carol:secret:MD5:dave \
#       --start-ms <epoch ms> --rounds 50 [--round-ms 800] [--answer-after-ms 50] [--timeout 120]
#
# Behaviour, as a single-line phone out of the box: it REGISTERs (digest), and every INVITE it sends
# is answered 407 by the server and re-sent with credentials (Net::SIP does that by itself). An
# incoming INVITE while its own call is pending is answered 486 Busy Here at once; otherwise it
# rings (180) and is answered 200 OK with SDP after --answer-after-ms. A call it placed and got
# 200 OK for is hung up (BYE) at 75 % of the round; a call it took is left to the caller.
# No delay, gate or ordering is imposed on any message.
# Events (one per line, GlareTestUA format), all with round=<n>: DIALED call_id=, BUSY call_id=,
# INVITE_IN call_id=, ANSWERED call_id=, ESTABLISHED_IN call_id=, FINAL code= call_id=,
# ESTABLISHED_OUT call_id=, BYE_DONE (DIALED and ESTABLISHED_OUT with at=<epoch ms>) call_id= ok=; then UNREGISTERED and DONE.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use Time::HiRes qw(time);
use GlareTestUA qw(event new_agent shared_loop arm_deadline);

my %o = (domain => '127.0.0.1', round_ms => 800, answer_after_ms => 50, timeout => 120, rounds => 50);
GetOptions('proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain}, 'phone=s' => \$o{phone},
    'start-ms=i' => \$o{start_ms}, 'rounds=i' => \$o{rounds}, 'round-ms=i' => \$o{round_ms},
    'answer-after-ms=i' => \$o{answer_after_ms}, 'timeout=i' => \$o{timeout}) or die "bad options\n";
die "need --proxy, --phone user:password:algorithm:target and --start-ms\n"
    unless $o{proxy} && $o{phone} && $o{start_ms};
arm_deadline($o{timeout});
my $loop = shared_loop();
my ($user, $pw, $alg, $target) = split /:/, $o{phone}, 4;
my $ua = new_agent(name => $user, user => $user, password => $pw, algorithm => $alg,
    proxy => $o{proxy}, domain => $o{domain});
my $expires = $ua->register(expires => 300);
if (!defined $expires) {
    event($user, 'REGISTER_FAILED', error => $ua->error);
    exit 2;
}
event($user, 'REGISTERED', expires => $expires);

my $round = -1;
my ($own, $own_final);
my %ringing;   # call-id => answer sub
my %answered;  # call-id => 1 once we sent 200 OK (Net::SIP reports the ACK of a 486 as established too)

$ua->listen(
    cb_create => sub { my ($call, $request, $leg, $from) = @_; $call->{param}{peer_addr} = $from; 1 },
    cb_invite => sub {
        my ($call, $request) = @_;
        my $callid = $request->callid;
        if ($own && !defined $own_final) {
            event($user, 'BUSY', round => $round, call_id => $callid);
            return $request->create_response('486', 'Busy Here');
        }
        event($user, 'INVITE_IN', round => $round, call_id => $callid);
        my ($leg, $sdp, $ctx, $endpoint, $peer) =
            ($call->{param}{leg}, $call->{param}{sdp}, $call->{ctx}, $call->{endpoint}, $call->{param}{peer_addr});
        my $r = $round;
        $ringing{$callid} = sub {
            delete $ringing{$callid};
            $answered{$callid} = 1;
            $endpoint->new_response($ctx, $request->create_response('200', 'OK', {}, $sdp), $leg, $peer);
            event($user, 'ANSWERED', round => $r, call_id => $callid);
        };
        $ua->add_timer($o{answer_after_ms} / 1000, sub { my $a = $ringing{$callid}; $a->() if $a });
        return $request->create_response('180', 'Ringing');
    },
    cb_established => sub {
        my ($status, $call) = @_;
        my $callid = $call->{ctx}{callid};
        event($user, $answered{$callid} ? 'ESTABLISHED_IN' : 'ACK_OF_REFUSAL', round => $round, call_id => $callid);
    },
    recv_bye => sub { event($user, 'BYE_IN', round => $round) },
);

sub dial {
    my $r = shift;
    $round = $r;
    $own_final = undef;
    my $at_ms = time * 1000;
    $own = $ua->invite("sip:$target\@$o{domain}",
        cb_final => sub {
            my ($status, $c, %info) = @_;
            my $code = $info{code} || ($info{packet} ? $info{packet}->code : ($status eq 'OK' ? 200 : 0));
            $own_final = $code;
            my $callid = $c->{ctx}{callid};
            event($user, 'FINAL', round => $r, status => $status, code => $code, call_id => $callid);
            return unless $code == 200;
            event($user, 'ESTABLISHED_OUT', round => $r, call_id => $callid, at => sprintf('%.3f', time * 1000));
            my $hangup = $o{start_ms} / 1000 + ($r + 0.75) * $o{round_ms} / 1000 - time;
            $loop->add_timer($hangup > 0 ? $hangup : 0, sub {
                $c->bye(cb_final => sub { event($user, 'BYE_DONE', round => $r, call_id => $callid, ok => 1) });
            });
        },
    );
    event($user, 'DIALED', round => $r, to => $target, call_id => $own->{ctx}{callid}, at => sprintf('%.3f', $at_ms));
}

for my $r (0 .. $o{rounds} - 1) {
    my $at = $o{start_ms} / 1000 + $r * $o{round_ms} / 1000 - time;
    $loop->add_timer($at > 0 ? $at : 0, sub { dial($r) });
}
my $done = 0;
my $end = $o{start_ms} / 1000 + $o{rounds} * $o{round_ms} / 1000 + 0.5 - time;
$loop->add_timer($end > 0 ? $end : 0, sub { $done = 1 });
$loop->loop($o{timeout}, \$done);
my $r = $ua->register(expires => 0);
event($user, 'UNREGISTERED', ok => defined $r ? 1 : 0);
event('script', 'DONE');
exit 0;
