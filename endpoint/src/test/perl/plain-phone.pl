#!/usr/bin/perl
# A plain RFC 3261 phone on Net::SIP (Debian libnet-sip-perl), knowing nothing of glare:
#  - an incoming INVITE rings (180) and is answered 200 OK with SDP after --answer-delay seconds;
#  - while its own INVITE is pending it is busy: every incoming INVITE (also one still ringing
#    when it dials out) is answered 486 Busy Here;
#  - driven by lines on stdin: "CALL <sip-uri>", "DELAY <seconds>", "QUIT"; reports on stdout:
#    READY, RINGING <call-id>, BUSY <call-id>, ANSWERED <call-id>, ACK, BYE, CANCEL, SENT <call-id>,
#    RESULT <code>.
#  - it never hangs: it exits on stdin EOF, on QUIT, and after --max-seconds.
use strict;
use warnings;
use Getopt::Long;
use IO::Handle;
use Net::SIP qw(:all);

my ($port, $user, $answer_delay, $max_seconds) = (0, 'carol', 0.2, 60);
GetOptions('port=i' => \$port, 'user=s' => \$user, 'answer-delay=f' => \$answer_delay,
    'max-seconds=i' => \$max_seconds) or die "bad options\n";
STDOUT->autoflush(1);
$port or die "--port is required\n";

my $me = "sip:$user\@127.0.0.1:$port";
my $leg = Net::SIP::Leg->new(addr => '127.0.0.1', port => $port, proto => 'udp');
my $loop = Net::SIP::Dispatcher::Eventloop->new;
my $disp = Net::SIP::Dispatcher->new([$leg], $loop);
my $ep = Net::SIP::Endpoint->new($disp);

my $media = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'udp')
    or die "media socket: $!\n";
my $media_port = $media->sockport;
sub sdp {
    return "v=0\r\no=$user 1 1 IN IP4 127.0.0.1\r\ns=plain\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        . "m=audio $media_port RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

my $own;       # context of our own INVITE while it is pending
my %ringing;   # call-id => [ctx, request, leg, from]
my $stop = 0;

sub answer_busy {
    my ($ctx, $request, $leg, $from) = @_;
    $ep->new_response($ctx, $request->create_response('486', 'Busy Here'), $leg, $from);
    print "BUSY " . $request->callid . "\n";
}

$ep->set_application(sub {
    my ($ep, $ctx, $request, $leg, $from) = @_;
    my $method = $request->method;
    my $callid = $request->callid;
    if ($method eq 'INVITE') {
        if ($own) {
            answer_busy($ctx, $request, $leg, $from); # RFC 3261 phone, busy with its own call
            return;
        }
        $ep->new_response($ctx, $request->create_response('180', 'Ringing'), $leg, $from);
        $ringing{$callid} = [$ctx, $request, $leg, $from];
        print "RINGING $callid\n";
        $loop->add_timer($answer_delay, sub {
            my $r = delete $ringing{$callid} or return;
            my $ok = $r->[1]->create_response('200', 'OK',
                { contact => "<$me>", 'content-type' => 'application/sdp' }, sdp());
            $ep->new_response($r->[0], $ok, $r->[2], $r->[3]);
            print "ANSWERED $callid\n";
        });
    } elsif ($method eq 'ACK') {
        print "ACK $callid\n";
    } elsif ($method eq 'BYE') {
        print "BYE $callid\n";
    } elsif ($method eq 'CANCEL') {
        delete $ringing{$callid};
        print "CANCEL $callid\n";
    } else {
        $ep->new_response($ctx, $request->create_response('405', 'Method Not Allowed'), $leg, $from);
    }
});

sub call {
    my $uri = shift;
    $own = $ep->invite({ from => "<$me>", to => "<$uri>", contact => "<$me>" }, sub {
        my ($ep, $ctx, $errno, $code, $packet, $leg, $from, $ack) = @_;
        if ($packet && !$packet->is_response) {
            # a request inside our own call (the peer's BYE): the endpoint already answered it
            print $packet->method . " " . $packet->callid . "\n";
            return;
        }
        return if $code && $code < 200;
        print "RESULT " . ($code || "error $errno") . "\n";
        $own = undef;
    }, sdp(), 'content-type' => 'application/sdp');
    print "SENT " . $own->callid . "\n";
    # busy now: a call still ringing here is refused like any new one
    for my $callid (keys %ringing) {
        my $r = delete $ringing{$callid};
        answer_busy(@$r);
    }
}

$loop->addFD(\*STDIN, 0, sub {
    my $line = <STDIN>;
    if (!defined $line) { $stop = 1; return; }
    chomp $line;
    if ($line =~ /^CALL\s+(\S+)/) { call($1); }
    elsif ($line =~ /^DELAY\s+([\d.]+)/) { $answer_delay = $1; }
    elsif ($line =~ /^QUIT/) { $stop = 1; }
});
$loop->add_timer($max_seconds, sub { print "EXIT max-seconds\n"; $stop = 1; });

print "READY $port\n";
$loop->loop(undef, \$stop);
print "EXIT\n";
