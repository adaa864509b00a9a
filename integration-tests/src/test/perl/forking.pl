#!/usr/bin/perl
# A call to a user with several phones (RFC 3261 §16.6 forking), all test agents in one process.
#
#   forking.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 --caller alice:secret:MD5 \
#              --callee bob:secret:MD5 --phone desk:-:answer=800 --phone soft:-:answer=300 \
#              [--timeout 30]
#
# Each --phone is name:q:behaviour, q '-' for a Contact without q. Behaviours: answer=MS (180 at
# once, 200 after MS milliseconds unless cancelled first), busy (486 at once), ring (180 and never
# more). Every phone registers the callee's user with its own contact (and q); the caller INVITEs
# the user, ACKs a 200 and hangs up. Events: <phone> REGISTERED, <phone> INVITE, <phone>
# CANCELLED, <phone> ACK, <phone> BYE, caller PROVISIONAL, caller FINAL code= contact_port=,
# script DONE. Everything un-REGISTERs at the end.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use GlareTestUA qw(event new_agent shared_loop arm_deadline);

my %o = (proxy => undef, domain => '127.0.0.1', timeout => 30, phone => []);
GetOptions('proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain}, 'caller=s' => \$o{caller},
    'callee=s' => \$o{callee}, 'phone=s' => $o{phone}, 'timeout=i' => \$o{timeout}) or die "bad options\n";
die "need --proxy, --caller, --callee and --phone\n" unless $o{proxy} && $o{caller} && $o{callee} && @{ $o{phone} };
arm_deadline($o{timeout});

my ($caller_user, $caller_pw, $caller_alg) = split /:/, $o{caller}, 3;
my ($callee_user, $callee_pw, $callee_alg) = split /:/, $o{callee}, 3;
my $caller = new_agent(name => 'caller', user => $caller_user, password => $caller_pw, algorithm => $caller_alg,
    proxy => $o{proxy}, domain => $o{domain});
my $r = $caller->register(expires => 300);
if (!defined $r) { event('caller', 'REGISTER_FAILED', error => $caller->error); exit 2 }
event('caller', 'REGISTERED', expires => $r);

my @phones;
for my $spec (@{ $o{phone} }) {
    my ($name, $q, $behaviour) = split /:/, $spec, 3;
    my $ua = new_agent(name => $name, user => $callee_user, password => $callee_pw, algorithm => $callee_alg,
        proxy => $o{proxy}, domain => $o{domain});
    my $port = ($ua->{dispatcher}->get_legs())[0]->laddr(2);
    my $contact = "<sip:$callee_user\@$port>" . ($q eq '-' ? '' : ";q=$q");
    my $expires = $ua->register(expires => 300, contact => $contact);
    # Net::SIP 0.83x looks for its own Contact in the 200 by comparing the whole string it was given,
    # ";q=0.5" included, and so finds none: a 200 without an error is a registration all the same
    $expires = 'unmatched' if !defined $expires && !$ua->error && $q ne '-';
    if (!defined $expires) { event($name, 'REGISTER_FAILED', error => $ua->error); exit 2 }
    event($name, 'REGISTERED', expires => $expires, contact => $contact);
    my %state = (name => $name, ua => $ua, acked => 0, cancelled => 0);
    $ua->listen(
        cb_create => sub { my ($call, $request, $leg, $from) = @_; $call->{param}{peer_addr} = $from; 1 },
        cb_invite => sub {
            my ($call, $request) = @_;
            $GlareTestUA::INVITE_BY_CALLID{ $request->callid } = $request;
            event($name, 'INVITE', call_id => scalar $request->get_header('call-id'));
            return $request->create_response('486', 'Busy Here') if $behaviour eq 'busy';
            if ($behaviour =~ /^answer=(\d+)$/) {
                my ($ms, $leg, $sdp, $ctx, $endpoint, $peer) = ($1, $call->{param}{leg}, $call->{param}{sdp},
                    $call->{ctx}, $call->{endpoint}, $call->{param}{peer_addr});
                $ua->add_timer($ms / 1000, sub {
                    return if $state{cancelled};
                    event($name, 'ANSWERING');
                    $endpoint->new_response($ctx, $request->create_response('200', 'OK', {}, $sdp), $leg, $peer);
                });
            }
            return $request->create_response('180', 'Ringing');
        },
        cb_established => sub { $state{acked} = 1; event($name, 'ACK') },
        recv_bye => sub {
            if ($state{acked}) { event($name, 'BYE') } else { $state{cancelled} = 1; event($name, 'CANCELLED') }
        },
    );
    push @phones, \%state;
}

my ($final, $final_port, $over, $bye_done) = (undef, '', 0, 0);
my $call = $caller->invite("sip:$callee_user\@$o{domain}",
    cb_preliminary => sub { my ($c, $code) = @_; event('caller', 'PROVISIONAL', code => $code) },
    cb_final => sub {
        my ($status, $c, %info) = @_;
        my $code = $info{code} || ($info{packet} ? $info{packet}->code : ($status eq 'OK' ? 200 : 0));
        my $contact = $info{packet} ? ($info{packet}->get_header('contact') || '') : '';
        $final_port = $contact =~ /:(\d+)/ ? $1 : '';
        $final = $code;
        $over = 1;
        event('caller', 'FINAL', code => $code, contact_port => $final_port);
    },
);
shared_loop()->loop($o{timeout}, \$over);
unless (defined $final) { event('caller', 'NO_FINAL'); exit 2 }
# the cancelled phones' 487s and any late message: a little time for them to arrive and be traced
my $settled = 0;
$caller->add_timer(1.5, sub { $settled = 1 });
shared_loop()->loop(3, \$settled);
if ($final == 200) {
    $call->bye(cb_final => sub { $bye_done = 1; event('caller', 'BYE_DONE') });
    shared_loop()->loop(5, \$bye_done);
}
for my $p (@phones) {
    my $x = $p->{ua}->register(expires => 0);
    event($p->{name}, 'UNREGISTERED', ok => defined $x ? 1 : 0);
}
my $x = $caller->register(expires => 0);
event('caller', 'UNREGISTERED', ok => defined $x ? 1 : 0);
event('script', 'DONE');
exit 0;
