/*
 * counting-echo - an echo server that stops cleanly: on Ctrl-C or kill it
 * says what it served, then exits 0.
 *
 * Lesson 06.  Lessons 01 to 05 let a signal's default action end them: they
 * hold nothing worth saving, and the kernel closes their sockets.  This
 * server keeps counts, and must print them before it goes.  So it catches
 * SIGINT (Ctrl-C) and SIGTERM (kill's default), and it must catch them
 * without a race, which is harder than it looks.
 *
 *   usage: counting-echo [host] port
 *
 * Try it: "counting-echo 10000", send it a few datagrams with lesson 05's
 * client, then press Ctrl-C.  common/net.c packages what this lesson writes
 * out as net_catch_stop_signals() and net_wait_or_stop(), for the labs.
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/socket.h>

#include "net.h"

/*
 * A handler may run between any two instructions of main, so it does the
 * least it can: it records which signal came, in the one type C promises
 * a handler may write and main may read, volatile sig_atomic_t.
 */
static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	stop = sig;
}

int
main(int argc, char *argv[])
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	unsigned long long datagrams = 0;
	unsigned long long bytes = 0;
	struct sigaction sa = { .sa_handler = on_stop };
	sigset_t stops;		/* SIGINT and SIGTERM */
	sigset_t waiting;	/* the mask while we wait: those let in */
	long port;
	struct net_addrstr name;
	char why[NET_WHYLEN];
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc != 2 && argc != 3) ||
	    net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		fprintf(stderr, "usage: counting-echo [host] port\n");
		return 2;
	}

	/*
	 * The obvious way has a race.  With "while (!stop) { recvfrom(...);
	 * ... }", a signal that comes after the test of stop but before
	 * recvfrom() blocks runs the handler, and then recvfrom() blocks
	 * anyway: the server stops only when the next datagram comes, which
	 * may be never.  The fix: keep both signals blocked, so that one
	 * that comes while we work waits, pending; and let them in only
	 * inside pselect(), which sets the mask and starts to wait in one
	 * step, leaving no moment between the two.  Blocked before the first
	 * line: whoever reads it may signal us at once.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &stops, &waiting) == -1)
		err(1, "sigprocmask");
	sigdelset(&waiting, SIGINT);
	sigdelset(&waiting, SIGTERM);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		err(1, "sigaction");

	fd = net_server_socket(argc == 3 ? argv[1] : NULL, (uint16_t)port,
	    &name, why, sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("echoing on %s port %s\n", name.host, name.port);

	while (stop == 0) {
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		sigset_t pending;
		fd_set readable;
		ssize_t n;

		FD_ZERO(&readable);
		FD_SET(fd, &readable);	/* fd is small: below FD_SETSIZE */
		/* The handler ran inside: pselect() fails with EINTR. */
		if (pselect(fd + 1, &readable, NULL, NULL, NULL,
		    &waiting) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "pselect");
		}
		/*
		 * The trap in the fix: when the socket is readable already,
		 * Linux's pselect() returns at once and puts the mask back
		 * without delivering a signal that was pending.  Under a
		 * steady flood that is every time, and the handler never
		 * runs.  So we ask whether one is waiting.
		 */
		if (sigpending(&pending) == -1)
			err(1, "sigpending");
		if (sigismember(&pending, SIGINT) == 1 ||
		    sigismember(&pending, SIGTERM) == 1)
			break;

		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&addr,
		    &addrlen);
		if (n == -1)
			err(1, "recvfrom");
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&addr,
		    addrlen) == -1) {
			warn("sendto");
			continue;
		}
		datagrams++;
		bytes += (unsigned long long)n;
	}

	/*
	 * Had stdout been a full pipe that nobody reads, printf() would
	 * block in write() with both signals blocked: a second SIGTERM
	 * would wait too, and only SIGKILL, which nothing can block or
	 * catch, would end us, with no summary.  A server that prints a
	 * line a datagram (lab 01's) can get stuck that way mid-loop.
	 */
	printf("echoed %llu datagrams, %llu bytes\n", datagrams, bytes);
	/* A summary that could not be written must not look like success. */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
