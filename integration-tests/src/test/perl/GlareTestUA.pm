# Test user agents on Net::SIP (Debian: libnet-sip-perl) for the Glare Resolver end-to-end tests.
#
# Output contract (read by the Java tests, one event per line on standard output):
#   EVENT <agent> <WHAT> key=value ...
# Every SIP message sent or received is traced on standard error (first line + headers),
# so a failing test can show the whole exchange.
#
# Digest: Net::SIP 0.83x answers only algorithm=MD5 challenges. RFC 8760 SHA-256 is added here
# by replacing Net::SIP::Request::authorize with a version that answers MD5 or SHA-256 (the
# agent's preferred one if the server offers it), otherwise identical in behaviour: one
# Authorization per realm, qop=auth, never retried with the same credentials.
package GlareTestUA;

use strict;
use warnings;
use IO::Socket::INET;
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256_hex);
use Net::SIP;
use Net::SIP::Util qw(sip_hdrval2parts);
use Exporter 'import';

our @EXPORT_OK = qw(event new_agent shared_loop media_port arm_deadline header_value);

$| = 1;
STDERR->autoflush(1);

my %AGENT_OF_LEG;   # leg (stringified) => agent name, for the trace

sub event {
    my ($agent, $what, %kv) = @_;
    my $line = "EVENT $agent $what";
    for my $k (sort keys %kv) {
        my $v = defined $kv{$k} ? $kv{$k} : '';
        $v =~ s/\s+/_/g;
        $line .= " $k=$v";
    }
    print STDOUT "$line\n";
}

# Kills the script if it runs longer than the Java side allows: a hung UA must not hang a build.
sub arm_deadline {
    my $seconds = shift;
    $SIG{ALRM} = sub { print STDOUT "EVENT script TIMEOUT seconds=$seconds\n"; exit 3 };
    alarm $seconds;
}

my $LOOP;
sub shared_loop { $LOOP ||= Net::SIP::Dispatcher::Eventloop->new; return $LOOP }

# new_agent(name => 'alice', user => 'alice', password => 'pw', algorithm => 'SHA-256'|'MD5',
#           proxy => '127.0.0.1:5060', domain => '127.0.0.1')
# Returns a Net::SIP::Simple on its own UDP leg on 127.0.0.1 (a free port), sharing one event loop.
sub new_agent {
    my %a = @_;
    # bind => 'address:port' (a PBX on its own 127.x address and SIP port); default 127.0.0.1, a free port
    my ($bind_addr, $bind_port) = defined $a{bind} ? split(/:/, $a{bind}, 2) : ('127.0.0.1', 0);
    my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $bind_addr, LocalPort => $bind_port || 0)
        or die "cannot open a UDP socket on $bind_addr: $!";
    my $port = $sock->sockport;
    my $leg = Net::SIP::Leg->new(sock => $sock);
    $AGENT_OF_LEG{"$leg"} = $a{name};
    my $from = "sip:$a{user}\@$a{domain}";
    my $ua = Net::SIP::Simple->new(
        from           => $from,
        contact        => "sip:$a{user}\@$bind_addr:$port",
        outgoing_proxy => $a{proxy},
        registrar      => $a{proxy},
        domain         => $a{domain},
        legs           => [$leg],
        loop           => shared_loop(),
        defined $a{password} && $a{password} ne '-' ? (auth => [$a{user}, $a{password}, $a{algorithm} || 'MD5']) : (),
    );
    event($a{name}, 'AGENT', user => $a{user}, port => $port);
    return $ua;
}

sub media_port {
    my $body = shift;
    return '' unless defined $body;
    return $body =~ m{^m=\w+\s+(\d+)}m ? $1 : '';
}

# First value of a header, name matched case-insensitively (Net::SIP keys are lower-case).
sub header_value {
    my ($packet, $name) = @_;
    my @v = $packet->get_header(lc $name);
    return @v ? $v[0] : undef;
}

# --- trace every message --------------------------------------------------------------------
{
    no warnings 'redefine';
    my $orig_sendto = \&Net::SIP::Leg::sendto;
    *Net::SIP::Leg::sendto = sub {
        my ($leg, $packet) = @_;
        _trace($leg, 'SEND', $packet);
        return $orig_sendto->(@_);
    };
    my $orig_receive = \&Net::SIP::Leg::receive;
    *Net::SIP::Leg::receive = sub {
        my ($leg, $packet) = @_;
        _trace($leg, 'RECV', $packet);
        return $orig_receive->(@_);
    };
}

sub _trace {
    my ($leg, $dir, $packet) = @_;
    my $agent = $AGENT_OF_LEG{"$leg"} || '?';
    my $text = $packet->as_string;
    $text =~ s/\r//g;
    $text =~ s/^(Authorization|Proxy-Authorization):.*$/$1: <hidden>/mig;   # never print digest responses
    my ($head) = split /\n\n/, $text, 2;
    $head =~ s/^/  /mg;
    printf STDERR "[%s %s]\n%s\n", $agent, $dir, $head;
    if ($dir eq 'RECV' && !$packet->is_request) {
        event($agent, 'RESPONSE', code => $packet->code, method => $packet->method);
    }
    if ($dir eq 'SEND' && !$packet->is_request) {
        event($agent, 'SENT_RESPONSE', code => $packet->code, method => $packet->method);
    }
    my $port = media_port((split /\n\n/, $text, 2)[1]);
    if ($port ne '') {
        event($agent, "${dir}_SDP", message => $packet->is_request ? $packet->method : $packet->code, m => $port,
            call_id => $packet->callid);
    }
}

# --- optional: an RFC 3261 §9.2 487 -------------------------------------------------------------
# Net::SIP answers a CANCEL with 200 and then a 487 built from the CANCEL, so the 487 carries the
# CANCEL's Via (through a proxy: only the proxy's, the caller's is missing). RFC 3261 §9.2 wants a
# 487 response *to the INVITE*. With $RFC_487 set, the 487 is built from the INVITE (recorded by
# the agent in %INVITE_BY_CALLID) and so carries all of its Vias.
our $RFC_487 = 0;
our %INVITE_BY_CALLID;
{
    no warnings 'redefine';
    my $orig_create_response = \&Net::SIP::Request::create_response;
    *Net::SIP::Request::create_response = sub {
        my ($self, $code, @rest) = @_;
        if ($RFC_487 && $code eq '487' && $self->method eq 'CANCEL') {
            my $invite = $INVITE_BY_CALLID{ $self->callid };
            if ($invite) {
                event('callee', 'RFC_487', call_id => $self->callid);
                return $orig_create_response->($invite, $code, @rest);
            }
        }
        return $orig_create_response->(@_);
    };
}

# --- RFC 8760: MD5 and SHA-256 digest -------------------------------------------------------
{
    no warnings 'redefine';
    *Net::SIP::Request::authorize = \&_authorize;
}

my %HASH = ('MD5' => \&md5_hex, 'SHA-256' => \&sha256_hex);

sub _authorize {
    my ($self, $response, $user2pass) = @_;
    my $upw;
    if (ref($user2pass) eq 'ARRAY' && !ref($user2pass->[0])) {
        $upw = $user2pass;
    } else {
        return;   # the tests always pass [user, password, algorithm]
    }
    my $preferred = uc($upw->[2] || 'MD5');
    my %auth_map = ('proxy-authenticate' => 'proxy-authorization', 'www-authenticate' => 'authorization');
    my $added = 0;
    while (my ($challenge_header, $answer_header) = each %auth_map) {
        my @offers;
        for my $c ($response->get_header_hashval($challenge_header)) {
            my $p = $c->{parameter};
            next unless lc($c->{data}) eq 'digest';
            my $algorithm = uc($p->{algorithm} || 'MD5');
            next unless $HASH{$algorithm};
            next if $p->{qop} && $p->{qop} !~ m{(?:^|,\s*)auth(?:$|,)}i;
            push @offers, [$algorithm, $p];
        }
        next unless @offers;
        # one answer per realm; never answer the same realm twice (wrong password: give up)
        my %answered = map { ($_->{parameter}{realm} || '') => 1 } $self->get_header_hashval($answer_header);
        my ($offer) = (grep({ $_->[0] eq $preferred } @offers), @offers);
        my ($algorithm, $p) = @$offer;
        next if $answered{$p->{realm} || ''};
        my $H = $HASH{$algorithm};
        my $ha1 = $H->(join ':', $upw->[0], $p->{realm}, $upw->[1]);
        my $ha2 = $H->(join ':', $self->method, $self->uri);
        my %d = (username => $upw->[0], realm => $p->{realm}, nonce => $p->{nonce}, uri => $self->uri);
        my $header;
        if ($p->{qop}) {
            my $nc = '00000001';
            my $cnonce = sprintf('%08x%08x', rand(2**32), rand(2**32));
            my $resp = $H->(join ':', $ha1, $p->{nonce}, $nc, $cnonce, 'auth', $ha2);
            $header = qq[Digest username="$d{username}",realm="$d{realm}",nonce="$d{nonce}",uri="$d{uri}",]
                . qq[response="$resp",algorithm=$algorithm,cnonce="$cnonce",qop=auth,nc=$nc];
        } else {
            my $resp = $H->(join ':', $ha1, $p->{nonce}, $ha2);
            $header = qq[Digest username="$d{username}",realm="$d{realm}",nonce="$d{nonce}",uri="$d{uri}",]
                . qq[response="$resp",algorithm=$algorithm];
        }
        $header .= qq[,opaque="$p->{opaque}"] if defined $p->{opaque};
        $self->add_header($answer_header, $header);
        event($upw->[0], 'AUTH', method => $self->method, algorithm => $algorithm,
            offered => join('+', map { $_->[0] } @offers), header => $answer_header);
        $added++;
    }
    return unless $added;
    my ($rseq) = $response->cseq =~ m{^(\d+)};
    $self->cseq =~ m{^(\d+)(.*)};
    if (defined $1 and $1 <= $rseq) {
        $self->set_header(cseq => ($rseq + 1) . $2);
    }
    return 1;
}

1;
