#!/usr/bin/perl
# One INVITE whose final response is the point (the error cases of the proxy).
#
#   invite.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 --from alice[:secret[:MD5]] --to bob \
#             [--register] [--header Name=Value]... [--timeout 20]
#
# Without a password the INVITE carries no credentials (and 401/407 are final). With --register
# the caller REGISTERs first (and un-REGISTERs at the end). A 200 is ACKed and hung up at once.
# Events: REGISTERED, FINAL code=..., RESPONSE code=... for every response.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use GlareTestUA qw(event new_agent shared_loop arm_deadline);

my %o = (domain => '127.0.0.1', timeout => 20, header => []);
GetOptions('proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain}, 'from=s' => \$o{from}, 'to=s' => \$o{to},
    'register' => \$o{register}, 'header=s' => $o{header}, 'timeout=i' => \$o{timeout}) or die "bad options\n";
my %extra = map { my ($n, $v) = split /=/, $_, 2; (lc($n) => $v) } @{ $o{header} };
die "need --proxy, --from and --to\n" unless $o{proxy} && $o{from} && $o{to};
arm_deadline($o{timeout});

my ($user, $password, $algorithm) = split /:/, $o{from}, 3;
my $ua = new_agent(name => 'caller', user => $user, password => $password, algorithm => $algorithm,
    proxy => $o{proxy}, domain => $o{domain});
if ($o{register}) {
    my $expires = $ua->register(expires => 300);
    if (!defined $expires) {
        event('caller', 'REGISTER_FAILED', error => $ua->error);
        exit 2;
    }
    event('caller', 'REGISTERED', expires => $expires);
}

my $final;
my $call = $ua->invite("sip:$o{to}\@$o{domain}",
    (%extra ? (sip_header => \%extra) : ()),
    cb_final => sub {
        my ($status, $c, %info) = @_;
        $final = $info{code} || ($info{packet} ? $info{packet}->code : ($status eq 'OK' ? 200 : 0));
        event('caller', 'FINAL', status => $status, code => $final);
    },
);
shared_loop()->loop($o{timeout}, \$final);
event('caller', 'NO_FINAL') unless defined $final;
if (defined $final && $final == 200) {
    my $done = 0;
    $call->bye(cb_final => sub { $done = 1 });
    shared_loop()->loop(5, \$done);
}
if ($o{register}) {
    my $r = $ua->register(expires => 0);
    event('caller', 'UNREGISTERED', ok => defined $r ? 1 : 0);
}
event('script', 'DONE');
exit 0;
