#!/usr/bin/perl
# Plain RFC 3261 phones (no glare support) on Net::SIP, all in one process, for the glare plugin's
# end-to-end tests.
#
#   plain-phones.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 \
#       --phone carol:secret:MD5:dave --phone dave:secret:MD5:carol \
#       [--dial-at-ms <epoch ms>] [--dial-delay-ms N]... [--answer-after-ms 300] [--busy-after-ms 0]
#       [--settle-ms 2500] [--timeout 30]
#
# A phone's user may be written user/name (e.g. carol/carol-mobile): several phones of one user,
# each its own agent and registration, its events under its name.
# Each phone REGISTERs (digest, no Supported: glare). An incoming INVITE rings (180) and is answered
# 200 OK with SDP after --answer-after-ms, unless the phone is busy with its own INVITE: then it
# is answered 486 Busy Here (RFC 3261 behaviour of a single-line phone), --busy-after-ms later
# (a slow phone: it lets a test be sure that the phone's own INVITE reaches the proxy first). A phone that has a target
# dials it at --dial-at-ms (wall clock; default: as soon as every phone is registered) plus its
# own --dial-delay-ms (one value per phone, in order, default 0); a call still ringing when it
# dials is answered 486 first (the user picked up to dial). A target "-" never dials.
# When every own INVITE has its final response and nothing has happened for --settle-ms, every
# call this process placed and got 200 OK for is hung up (BYE; incoming calls are the caller's to end) and the phones un-REGISTER.
# Events: REGISTERED, DIALED, INVITE_IN call_id= glare= (its Glare-Resolution, '-' if none), BUSY call_id= (decided), BUSY_SENT call_id=, ANSWERED call_id=,
# ESTABLISHED_IN call_id= (ACK received), FINAL code= call_id=, ESTABLISHED_OUT call_id=,
# BYE_IN, BYE_DONE, DONE.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use Time::HiRes qw(time);
use GlareTestUA qw(event new_agent shared_loop arm_deadline);

my %o = (domain => '127.0.0.1', answer_after_ms => 300, busy_after_ms => 0, settle_ms => 2500, timeout => 30,
    phone => [], dial_delay_ms => []);
GetOptions('proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain}, 'phone=s' => $o{phone},
    'dial-at-ms=i' => \$o{dial_at_ms}, 'dial-delay-ms=i' => $o{dial_delay_ms},
    'answer-after-ms=i' => \$o{answer_after_ms}, 'busy-after-ms=i' => \$o{busy_after_ms}, 'settle-ms=i' => \$o{settle_ms},
    'timeout=i' => \$o{timeout}) or die "bad options\n";
die "need --proxy and at least one --phone user:password:algorithm:target\n" unless $o{proxy} && @{ $o{phone} };
arm_deadline($o{timeout});
my $loop = shared_loop();
my $last_activity = time;

my @phones;
my $i = 0;
for my $spec (@{ $o{phone} }) {
    my ($who, $pw, $alg, $target) = split /:/, $spec, 4;
    # user/name@address+port: a phone of its own name, bound to that address and port (a PBX's
    # extension on a trunk: password '-', no registration, trusted by the server by its address)
    my ($user, $name) = split m{/}, $who, 2;
    my $bind;
    ($name, $bind) = split /@/, $name, 2 if defined $name;
    $bind =~ s/\+/:/ if defined $bind;   # written address+port: ':' separates the spec's fields
    $name = $user unless defined $name && $name ne '';
    my $ua = new_agent(name => $name, user => $user, password => $pw, algorithm => $alg,
        proxy => $o{proxy}, domain => $o{domain}, defined $bind ? (bind => $bind) : ());
    if ($pw ne '-') {
        my $expires = $ua->register(expires => 300);
        if (!defined $expires) {
            event($name, 'REGISTER_FAILED', error => $ua->error);
            exit 2;
        }
        event($name, 'REGISTERED', expires => $expires);
    }
    push @phones, { name => $name, ua => $ua, unregistered => $pw eq '-', target => $target, delay => $o{dial_delay_ms}[$i++] || 0,
        own => undef, own_final => undef, ringing => {}, calls => [] };
}

for my $p (@phones) {
    my $name = $p->{name};
    $p->{ua}->listen(
        cb_create => sub { my ($call, $request, $leg, $from) = @_; $call->{param}{peer_addr} = $from; 1 },
        cb_invite => sub {
            my ($call, $request) = @_;
            my $callid = $request->callid;
            $call->{param}{callid} = $callid;   # recv_bye gets the call's parameters
            $last_activity = time;
            my ($leg, $sdp, $ctx, $endpoint, $peer) =
                ($call->{param}{leg}, $call->{param}{sdp}, $call->{ctx}, $call->{endpoint}, $call->{param}{peer_addr});
            if ($p->{own} && !defined $p->{own_final}) {
                event($name, 'BUSY', call_id => $callid);
                $p->{ua}->add_timer($o{busy_after_ms} / 1000, sub {
                    $endpoint->new_response($ctx, $request->create_response('486', 'Busy Here'), $leg, $peer);
                    $last_activity = time;
                    event($name, 'BUSY_SENT', call_id => $callid);
                });
                return $request->create_response('100', 'Trying');   # the 486 follows
            }
            my ($glare) = $request->get_header('glare-resolution');
            event($name, 'INVITE_IN', call_id => $callid, glare => defined $glare ? $glare : '-');
            $p->{ringing}{$callid} = sub {   # answer(code)
                my $code = shift;
                delete $p->{ringing}{$callid};
                $last_activity = time;
                if ($code == 200) {
                    $endpoint->new_response($ctx, $request->create_response('200', 'OK', {}, $sdp), $leg, $peer);
                    event($name, 'ANSWERED', call_id => $callid);   # the caller hangs up
                } else {
                    event($name, 'BUSY', call_id => $callid, was => 'ringing');
                    $p->{ua}->add_timer($o{busy_after_ms} / 1000, sub {
                        $endpoint->new_response($ctx, $request->create_response('486', 'Busy Here'), $leg, $peer);
                        $last_activity = time;
                        event($name, 'BUSY_SENT', call_id => $callid, was => 'ringing');
                    });
                }
            };
            $p->{ua}->add_timer($o{answer_after_ms} / 1000, sub {
                my $answer = $p->{ringing}{$callid} or return;
                $answer->(200);
            });
            return $request->create_response('180', 'Ringing');
        },
        cb_established => sub { my ($status, $call) = @_; $last_activity = time; event($name, 'ESTABLISHED_IN') },
        # BYE after the call, or CANCEL of a call still ringing here (Net::SIP reports both so)
        recv_bye => sub {
            my ($param) = @_;
            $last_activity = time;
            my $callid = ref $param eq 'HASH' && defined $param->{callid} ? $param->{callid} : '';
            if ($callid ne '' && delete $p->{ringing}{$callid}) { event($name, 'CANCELLED', call_id => $callid) }
            else { event($name, 'BYE_IN') }
        },
    );
}

sub dial {
    my $p = shift;
    my $name = $p->{name};
    $_->(486) for values %{ $p->{ringing} };   # picked up to dial: a ringing call is refused
    $last_activity = time;
    event($name, 'DIALED', to => $p->{target});
    $p->{own} = $p->{ua}->invite("sip:$p->{target}\@$o{domain}",
        cb_final => sub {
            my ($status, $c, %info) = @_;
            my $code = $info{code} || ($info{packet} ? $info{packet}->code : ($status eq 'OK' ? 200 : 0));
            $p->{own_final} = $code;
            $last_activity = time;
            event($name, 'FINAL', status => $status, code => $code);
            if ($code == 200) {
                event($name, 'ESTABLISHED_OUT');
                push @{ $p->{calls} }, $c;
            }
        },
    );
}

my $base = defined $o{dial_at_ms} ? $o{dial_at_ms} / 1000 : time;
for my $p (grep { $_->{target} ne '-' } @phones) {
    my $at = $base + $p->{delay} / 1000 - time;
    $loop->add_timer($at > 0 ? $at : 0, sub { dial($p) });
}

# until every dialing phone has its final response and nothing happened for --settle-ms
my $settled = 0;
my $check;
$check = sub {
    my $dialers_done = !grep { $_->{target} ne '-' && !defined $_->{own_final} } @phones;
    my $quiet = time - $last_activity > $o{settle_ms} / 1000;
    my $ringing = grep { %{ $_->{ringing} } } @phones;
    $ringing ||= time - $last_activity < ($o{busy_after_ms} + 100) / 1000;
    if ($dialers_done && $quiet && !$ringing) {
        $settled = 1;
    } else {
        $loop->add_timer(0.1, $check);
    }
};
$loop->add_timer(0.1, $check);
$loop->loop($o{timeout}, \$settled);

for my $p (@phones) {
    for my $c (@{ $p->{calls} }) {
        my $done = 0;
        $c->bye(cb_final => sub { $done = 1 });
        $loop->loop(3, \$done);
        event($p->{name}, 'BYE_DONE', ok => $done);
    }
}
for my $p (grep { !$_->{unregistered} } @phones) {
    my $r = $p->{ua}->register(expires => 0);
    event($p->{name}, 'UNREGISTERED', ok => defined $r ? 1 : 0);
}
event('script', 'DONE');
exit 0;
