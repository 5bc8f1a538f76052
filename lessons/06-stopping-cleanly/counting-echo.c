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
 * client, then press Ctrl-C.  The trap below (ppoll() has it too) shows
 * only under a flood faster than the server, which nc and our clients
 * cannot send: tests/floods.c slows the server down (with strace) and
 * floods it, and SIGTERM must still end it within a second.  Take out the
 * sigpending() test, then "make tests && UDPLAB_BIN=build
 * build/tests/floods", and see the counting-echo test fail.
 *
 * common/net.c packages what this lesson writes out, for the labs:
 * net_catch_stop_signals() and net_wait_or_stop().
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
 * least it can: it records that a signal came (its number, never 0), in
 * the one type C promises a handler may write and main may read, volatile
 * sig_atomic_t.  sigaction() installs it even where the shell that started
 * us had set SIGINT to be ignored (as "cmd &" in a script does).
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
	 * step, leaving no moment between the two.  (Lesson 05's poll() has
	 * no mask to set; ppoll(), its twin that has, is in POSIX only since
	 * 2024.)  We block them before we print our first line, because a
	 * script that waits for that line may send a signal the moment it
	 * sees it.
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
	/* An fd_set holds descriptors below FD_SETSIZE (1024) only. */
	if (fd >= FD_SETSIZE)
		errx(1, "socket %d: too high a number for pselect", fd);
	printf("echoing on %s port %s\n", name.host, name.port);

	for (;;) {
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		sigset_t pending;
		fd_set readable;
		ssize_t n;

		FD_ZERO(&readable);
		FD_SET(fd, &readable);
		/* If the handler ran inside, pselect() fails with EINTR. */
		if (pselect(fd + 1, &readable, NULL, NULL, NULL,
		    &waiting) == -1 && errno != EINTR)
			err(1, "pselect");
		/*
		 * The trap in the fix: when the socket is readable already,
		 * Linux's pselect() returns at once and puts the mask back
		 * without delivering a signal that was pending.  Under a
		 * steady flood that is every time, and the handler never
		 * runs.  So we also ask whether one is waiting.
		 */
		if (sigpending(&pending) == -1)
			err(1, "sigpending");
		if (stop != 0 || sigismember(&pending, SIGINT) == 1 ||
		    sigismember(&pending, SIGTERM) == 1)
			break;

		/*
		 * With the signals blocked, a call that blocks would hold
		 * them off: MSG_DONTWAIT makes each return at once.  A
		 * datagram that pselect() saw may be gone (select(2), BUGS):
		 * then we wait again.  A full send buffer drops that echo.
		 */
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT,
		    (struct sockaddr *)&addr, addrlen) == -1) {
			warn("sendto");
			continue;
		}
		datagrams++;
		bytes += (unsigned long long)n;
	}

	/*
	 * Had stdout been a full pipe that nobody reads, printf() would
	 * block in write() with both signals blocked: SIGINT and SIGTERM
	 * would wait as long as the reader does, and only a signal we
	 * neither block nor catch (SIGKILL, which nothing can; Ctrl-\'s
	 * SIGQUIT) would end us, with no summary.  A server that prints a
	 * line a datagram (lab 01's) can get stuck that way mid-loop.
	 */
	printf("echoed %llu datagrams, %llu bytes\n", datagrams, bytes);
	/* A summary that could not be written must not look like success. */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
