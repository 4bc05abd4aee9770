#!/usr/bin/perl
# bwc-dock's main process under systemd (Type=notify, NotifyAccess=main). It runs the daemon (its arguments) as
# its only child and passes on the daemon's sd_notify lines (READY=1, WATCHDOG=1, STOPPING=1), read from a pipe the
# daemon finds as $BWC_NOTIFY_FD, to $NOTIFY_SOCKET, sent by this process: the service's main process. Node has no
# unix datagram socket, and systemd-notify (a child, without CAP_SYS_ADMIN to claim the main PID) is refused under
# NotifyAccess=main. perl-base (Essential on Debian) has all this needs. Exits with the daemon's exit status.
use strict;
use warnings;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);
use POSIX ();

die "usage: notify-relay.pl COMMAND [ARGS...]\n" unless @ARGV;
my $path = $ENV{NOTIFY_SOCKET};
pipe(my $r, my $w) or die "notify-relay: pipe: $!\n";
my $pid = fork() // die "notify-relay: fork: $!\n";
if ($pid == 0) {
  close $r;
  # fd 3 for the daemon (dup2 clears close-on-exec); the socket is not the daemon's to use.
  POSIX::dup2(fileno($w), 3) // die "notify-relay: dup2: $!\n";
  $ENV{BWC_NOTIFY_FD} = '3';
  delete $ENV{NOTIFY_SOCKET};
  exec { $ARGV[0] } @ARGV or die "notify-relay: exec $ARGV[0]: $!\n";
}
close $w;
# systemd signals the whole control group: the daemon gets SIGTERM itself; this process waits for it to finish.
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = 'IGNORE';
my ($sock, $addr);
if (defined $path && length $path) {
  (my $p = $path) =~ s/^@/\0/;    # an abstract socket
  socket($sock, AF_UNIX, SOCK_DGRAM, 0) or die "notify-relay: socket: $!\n";
  $addr = pack_sockaddr_un($p);
}
while (my $line = <$r>) {
  chomp $line;
  next unless length $line && $sock;
  send($sock, $line, 0, $addr) or warn "notify-relay: send to $path: $!\n";
}
waitpid($pid, 0);
exit(POSIX::WIFEXITED($?) ? POSIX::WEXITSTATUS($?) : 128 + POSIX::WTERMSIG($?));
