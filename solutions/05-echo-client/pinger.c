/*
 * pinger - measure round trips to an echo server, the way ping(8) does.
 *
 * Lab 05, after the Kurose-Ross UDP pinger.  Lesson 05's client sends one
 * datagram and waits for it.  A pinger sends one every interval, whether
 * or not the last came back, so several are in flight at once and the
 * network may lose, repeat or reorder any of them.  Each ping therefore
 * carries its sequence number and send time, and each reply is matched to
 * its ping by that number, never by the order replies happen to arrive in.
 *
 *   usage: pinger [-c count] [-i milliseconds] [-t milliseconds] host port
 *
 * Try it against lesson 04's echo server, then through tools/relay with
 * -l 30 or -d 50 or -r 50 in between.  LAB.md fixes every output line.
 */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/*
 * A ping on the wire: a 4-byte sequence number, then the 8-byte send time
 * in nanoseconds on CLOCK_MONOTONIC, both big-endian (network byte order).
 * Not a struct sent as it is: the compiler may pad it (to 16 bytes here,
 * aligning the 8-byte field), and it holds the host's byte order, so the
 * bytes would depend on the machine and compiler that sent them.
 */
#define PING_LEN 12

/* A record is kept for every ping (below), so the count is bounded. */
#define MAX_COUNT 100000
#define MAX_MS 3600000

/* What the pinger knows of each ping it sent. */
struct ping {
	uint64_t sent_ns;	/* the send time it carries */
	long replies;		/* replies so far: a second is a DUP */
	bool timed_out;		/* timeout printed: replies are late */
};

/* The run so far: what went out, and the counts for the summary. */
struct pinger {
	const struct sockaddr *to;	/* the server: where pings go */
	socklen_t tolen;
	struct net_addrstr server;	/* the same, printed */
	struct ping *pings;
	long sent;		/* pings sent so far: seq 0 to sent - 1 */
	long oldest;		/* pings before it: answered or timed out */
	uint64_t timeout_ns;
	long highest;		/* highest seq received so far, or -1 */
	long received;
	long duplicates;
	long late;
	long reordered;
	long ignored;
	uint64_t min_ns;
	uint64_t max_ns;
	double mean_ms;		/* of the received RTTs so far */
	double m2_ms;		/* sum of squared distances from it (Welford) */
};

static void
usage(void)
{
	fprintf(stderr, "usage: pinger [-c count] [-i milliseconds] "
	    "[-t milliseconds] host port\n");
	exit(2);
}

/*
 * CLOCK_MONOTONIC, in nanoseconds.  Not gettimeofday() or CLOCK_REALTIME:
 * the wall clock can be stepped (by NTP, or by hand) between a ping and its
 * reply, which would make an RTT negative or huge.
 */
static uint64_t
now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(1, "clock_gettime");
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Big-endian, byte by byte, with shifts: shifts work on values, not on
 * memory, so this is right on any host, and covers the 8-byte field too,
 * for which there is no standard htonll().
 */
static void
put_be(unsigned char *p, uint64_t value, int len)
{
	for (int i = len - 1; i >= 0; i--) {
		p[i] = (unsigned char)(value & 0xff);
		value >>= 8;
	}
}

static uint64_t
get_be(const unsigned char *p, int len)
{
	uint64_t value = 0;

	for (int i = 0; i < len; i++)
		value = value << 8 | p[i];
	return value;
}

/*
 * Did this datagram come from the server?  True if from has the same
 * family, address and port as the address the pings go to, as in lab 03.
 *
 * Field by field, not memcmp over the whole structures: sockaddr_in has
 * padding (sin_zero) that nobody promises to zero, and sockaddr_in6 has
 * sin6_flowinfo, a label the sender may set as it likes.  Its scope does
 * count: fe80::1 on one link and fe80::1 on another are two hosts.
 */
static bool
from_server(const struct sockaddr_storage *from, const struct sockaddr *to)
{
	if (from->ss_family != to->sa_family)
		return false;
	if (to->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)from;
		const struct sockaddr_in *b = (const struct sockaddr_in *)to;

		return a->sin_port == b->sin_port &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (to->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a =
		    (const struct sockaddr_in6 *)from;
		const struct sockaddr_in6 *b =
		    (const struct sockaddr_in6 *)to;

		return a->sin6_port == b->sin6_port &&
		    a->sin6_scope_id == b->sin6_scope_id &&
		    memcmp(&a->sin6_addr, &b->sin6_addr,
		    sizeof(a->sin6_addr)) == 0;
	}
	return false;
}

/* Sends ping number pg->sent, stamped with the time it leaves. */
static void
send_ping(int fd, struct pinger *pg)
{
	unsigned char msg[PING_LEN];
	struct ping *p = &pg->pings[pg->sent];
	ssize_t n;

	p->sent_ns = now_ns();
	put_be(msg, (uint64_t)pg->sent, 4);
	put_be(msg + 4, p->sent_ns, 8);
	n = sendto(fd, msg, sizeof(msg), 0, pg->to, pg->tolen);
	if (n == -1)
		err(1, "sendto %s port %s", pg->server.host, pg->server.port);
	if (n != (ssize_t)sizeof(msg))
		errx(1, "sendto: sent %zd of %zu bytes", n, sizeof(msg));
	pg->sent++;
}

/*
 * Gives up on every ping whose timeout has passed by now.  Pings go out in
 * order with one timeout, so their deadlines come in order too: once the
 * oldest waiting ping is not yet due, no later one is, and we stop there.
 */
static void
expire(struct pinger *pg, uint64_t now)
{
	while (pg->oldest < pg->sent) {
		struct ping *p = &pg->pings[pg->oldest];

		if (p->replies == 0 && !p->timed_out) {
			if (now < p->sent_ns + pg->timeout_ns)
				return;
			p->timed_out = true;
			printf("timeout for seq=%ld\n", pg->oldest);
		}
		pg->oldest++;
	}
}

/*
 * Judges one datagram that arrived at now from addr: a reply (fresh, out
 * of order, late or duplicate), or something to ignore.
 */
static void
take_datagram(struct pinger *pg, const unsigned char *buf, ssize_t n,
    const struct sockaddr_storage *addr, socklen_t addrlen, uint64_t now)
{
	const char *why = NULL;
	const char *note = "";
	struct ping *p = NULL;
	uint64_t seq = 0;
	uint64_t rtt;
	double ms;
	double delta;

	/*
	 * Anyone can send to our port: only the server's address and port
	 * count.  Then the datagram must be one of our pings, whole: a known
	 * seq with the very time we stamped on it.  A datagram may fail more
	 * than one check (a stranger's 5 bytes): the first that fails names
	 * the reason, so the order of the checks is part of the output.
	 */
	if (!from_server(addr, pg->to))
		why = "not from the server";
	else if (n != PING_LEN)
		why = "not 12 bytes";
	else {
		seq = get_be(buf, 4);
		if (seq >= (uint64_t)pg->sent ||
		    get_be(buf + 4, 8) != pg->pings[seq].sent_ns)
			why = "not a ping we sent";
	}
	if (why != NULL) {
		struct net_addrstr from;
		int gaierr;

		gaierr = net_addrstr((const struct sockaddr *)addr, addrlen,
		    &from);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));
		pg->ignored++;
		printf("ignored %zd bytes from %s port %s: %s\n", n,
		    from.host, from.port, why);
		return;
	}

	p = &pg->pings[seq];
	rtt = now - p->sent_ns;
	ms = (double)rtt / 1e6;
	p->replies++;
	if (p->replies > 1) {
		/* The network may deliver a datagram twice (or the server
		 * may answer twice): one ping, one reply.  Checked first: a
		 * second copy of a late reply is a duplicate too. */
		pg->duplicates++;
		note = " (DUP!)";
	} else if (p->timed_out) {
		/* We gave up on it and counted it lost; so it stays. */
		pg->late++;
		note = " (late)";
	} else {
		pg->received++;
		if ((long)seq < pg->highest) {
			pg->reordered++;
			note = " (out of order)";
		} else {
			pg->highest = (long)seq;
		}
		if (pg->received == 1 || rtt < pg->min_ns)
			pg->min_ns = rtt;
		if (rtt > pg->max_ns)
			pg->max_ns = rtt;
		/*
		 * Welford's running mean and sum of squared distances from
		 * it.  Not the mean of the squares less the square of the mean:
		 * with RTTs close together, that subtracts two large, nearly
		 * equal numbers and keeps mostly rounding error.
		 */
		delta = ms - pg->mean_ms;
		pg->mean_ms += delta / (double)pg->received;
		pg->m2_ms += delta * (ms - pg->mean_ms);
	}
	/* The sender is the server: its name as the PING line printed it. */
	printf("%d bytes from %s port %s: seq=%lu time=%.3f ms%s\n", PING_LEN,
	    pg->server.host, pg->server.port, (unsigned long)seq, ms, note);
}

/*
 * ping(8)'s summary.  mdev is the standard deviation of the received RTTs
 * (of the whole run, so divided by R, not R - 1).
 */
static void
print_summary(const struct pinger *pg)
{
	printf("--- %s port %s ping statistics ---\n", pg->server.host,
	    pg->server.port);
	printf("%ld packets transmitted, %ld received, %ld%% packet loss\n",
	    pg->sent, pg->received,
	    (pg->sent - pg->received) * 100 / pg->sent);
	printf("duplicates %ld, late %ld, out of order %ld, ignored %ld\n",
	    pg->duplicates, pg->late, pg->reordered, pg->ignored);
	if (pg->received > 0)
		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
		    (double)pg->min_ns / 1e6, pg->mean_ms,
		    (double)pg->max_ns / 1e6,
		    sqrt(pg->m2_ms / (double)pg->received));
}

int
main(int argc, char *argv[])
{
	/*
	 * Room for any datagram, so that a longer one is seen to be longer:
	 * into a 12-byte buffer recvfrom() would cut it to a ping's size.
	 */
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct pinger pg = { .highest = -1 };
	long count = 10;
	long interval_ms = 1000;
	long timeout_ms = 1000;
	long port;
	struct addrinfo *ai;
	uint64_t start;
	int gaierr;
	int fd;
	int ch;

	/*
	 * Each line out as it is printed, when its event happens: into a
	 * pipe or a file, stdout is otherwise fully buffered, and a timeout
	 * line would wait in the buffer until exit.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "c:i:t:");
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			if (net_parse_number(optarg, 1, MAX_COUNT,
			    &count) == -1) {
				warnx("count must be 1 to %d: %s", MAX_COUNT,
				    optarg);
				usage();
			}
			break;
		case 'i':
			if (net_parse_number(optarg, 1, MAX_MS,
			    &interval_ms) == -1) {
				warnx("interval must be 1 to %d milliseconds: "
				    "%s", MAX_MS, optarg);
				usage();
			}
			break;
		case 't':
			if (net_parse_number(optarg, 1, MAX_MS,
			    &timeout_ms) == -1) {
				warnx("timeout must be 1 to %d milliseconds: "
				    "%s", MAX_MS, optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	if (net_parse_number(argv[1], 1, 65535, &port) == -1) {
		warnx("port must be a number from 1 to 65535: %s", argv[1]);
		usage();
	}

	/* The first address only, for the reason lesson 03 gives. */
	gaierr = net_resolve(argv[0], (uint16_t)port, 0, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", argv[0], gai_strerror(gaierr));
	gaierr = net_addrstr(ai->ai_addr, ai->ai_addrlen, &pg.server);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");

	/* One record per ping, to recognise its replies however they come. */
	pg.pings = calloc((size_t)count, sizeof(*pg.pings));
	if (pg.pings == NULL)
		err(1, "calloc");
	pg.to = ai->ai_addr;
	pg.tolen = ai->ai_addrlen;
	pg.timeout_ns = (uint64_t)timeout_ms * 1000000u;

	/*
	 * Ctrl-C ends the run early, as in ping(8), with the summary of the
	 * pings sent so far.  Caught before the first line, and waited for
	 * with pselect (lesson 06 says why): a signal that comes just
	 * before the wait would otherwise be missed until the next ping.
	 */
	if (net_catch_stop_signals() == -1)
		err(1, "sigaction");
	printf("PING %s port %s: %d bytes of data\n", pg.server.host,
	    pg.server.port, PING_LEN);

	/*
	 * One loop, three kinds of event: ping k is due at start + k
	 * intervals (fixed in advance, so slow replies do not delay the
	 * schedule), the oldest waiting ping times out, a datagram arrives.
	 * poll() sleeps until the first of them; deadlines are instants on
	 * the monotonic clock, so an early wake-up (a stray datagram)
	 * shortens no wait and lengthens none.  T0 is the time ping 0
	 * carries, and a pinger that falls behind (a busy machine, a
	 * SIGSTOP) sends what is due at once and keeps to the schedule.
	 */
	start = now_ns();
	for (;;) {
		uint64_t now = now_ns();
		uint64_t wake = UINT64_MAX;
		fd_set readable;
		struct sockaddr_storage addr;
		socklen_t addrlen;
		ssize_t n;
		int ready;

		expire(&pg, now);
		if (pg.sent < count) {
			wake = start + (uint64_t)pg.sent *
			    (uint64_t)interval_ms * 1000000u;
			if (now >= wake) {
				send_ping(fd, &pg);
				if (pg.sent == 1)
					start = pg.pings[0].sent_ns;
				continue;
			}
		} else if (pg.oldest == count) {
			break;	/* every ping answered or given up on */
		}
		if (pg.oldest < pg.sent &&
		    pg.pings[pg.oldest].sent_ns + pg.timeout_ns < wake)
			wake = pg.pings[pg.oldest].sent_ns + pg.timeout_ns;

		/* Rounded up, so as not to wake just before the moment. */
		FD_ZERO(&readable);
		FD_SET(fd, &readable);
		ready = net_wait_many_or_stop(fd + 1, &readable,
		    (int)((wake - now + 999999) / 1000000));
		if (ready == NET_STOPPED)
			break;	/* the pings still waiting: not received */
		if (ready == NET_TIMEDOUT && errno == ETIMEDOUT)
			continue;
		if (ready == -1)
			err(1, "pselect");

		addrlen = sizeof(addr);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		/*
		 * The time of arrival, and any timeout due by then first: a
		 * reply read after its ping's deadline is late, even if
		 * the wait had not yet ended for that deadline.
		 */
		now = now_ns();
		expire(&pg, now);
		take_datagram(&pg, buf, n, &addr, addrlen, now);
	}

	print_summary(&pg);
	/*
	 * A line-buffered stream writes each line as it is printed; when
	 * that write fails (a full disk), glibc drops the line and sets only
	 * the stream's error flag, for ferror() to read.  Unchecked, the
	 * pinger would exit 0 having reported nothing.
	 */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	free(pg.pings);
	freeaddrinfo(ai);
	if (close(fd) == -1)
		err(1, "close");
	/* Exit 0 if at least one ping got its reply in time; late replies
	 * and duplicates don't count. */
	return pg.received > 0 ? 0 : 1;
}
