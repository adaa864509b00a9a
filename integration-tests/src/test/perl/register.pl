#!/usr/bin/perl
# REGISTER one user with digest and report the outcome.
#
#   register.pl --proxy 127.0.0.1:5060 --domain 127.0.0.1 --user alice --password secret \
#               [--algorithm MD5|SHA-256] [--expires 300] [--all] [--timeout 20]
#
# Events: REGISTERED expires=N, or REGISTER_FAILED error=...; every response as RESPONSE code=...
# With --expires 0 this agent's binding is removed (un-REGISTER); with --all --expires 0 every
# binding of the user (Contact: *, RFC 3261 §10.2.2), e.g. one made by an earlier process.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use Getopt::Long;
use GlareTestUA qw(event new_agent arm_deadline);

my %o = (domain => '127.0.0.1', algorithm => 'MD5', expires => 300, timeout => 20);
GetOptions('proxy=s' => \$o{proxy}, 'domain=s' => \$o{domain}, 'user=s' => \$o{user},
    'password=s' => \$o{password}, 'algorithm=s' => \$o{algorithm}, 'expires=i' => \$o{expires},
    'all' => \$o{all}, 'timeout=i' => \$o{timeout}) or die "bad options\n";
die "need --proxy, --user and --password\n" unless $o{proxy} && $o{user} && defined $o{password};
arm_deadline($o{timeout});

my $ua = new_agent(name => $o{user}, user => $o{user}, password => $o{password},
    algorithm => $o{algorithm}, proxy => $o{proxy}, domain => $o{domain});
my $expires = $ua->register(expires => $o{expires}, $o{all} ? (contact => '*') : ());
if (defined $expires) {
    event($o{user}, 'REGISTERED', expires => $expires);
} else {
    event($o{user}, 'REGISTER_FAILED', error => $ua->error);
}
event('script', 'DONE');
exit 0;
