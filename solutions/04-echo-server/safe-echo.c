/*
 * safe-echo - an echo server that cannot be turned into a weapon.
 *
 * Lab 04, "Echo, safely".  An echo server answers whoever the source
 * address of a datagram names, and UDP lets anyone write any source
 * address.  So a forged datagram "from" another echo or chargen server
 * starts two servers talking to each other forever (CVE-1999-0103), and a
 * stream of forged datagrams makes us flood a victim.  This server refuses
 * to answer the low ports where such services live, and gives each source
 * address a token bucket: a burst of datagrams is echoed at once, and then
 * only so many per second.
 *
 *   usage: safe-echo [-r per_second] [-b burst] [host] port
 *
 * SIGINT or SIGTERM prints what was received, echoed and dropped, and why.
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/*
 * Ports below 1024 are where the old services live: echo (7), discard
 * (9), daytime (13), chargen (19), and DNS, NTP and the rest.  A
 * client's port is one its kernel picked from the ephemeral range, far
 * above, so a datagram "from" a low port is a service talking, or a
 * forgery: either way, answering it is how the loops start.
 */
#define FIRST_CLIENT_PORT 1024

/*
 * The table of buckets has a fixed size.  One bucket per address we ever
 * heard from would let anyone who forges source addresses make us grow
 * until memory runs out: the rate limit would be the attack.
 */
#define MAX_SOURCES 1024

struct bucket {
	int family;                 /* AF_INET or AF_INET6; 0 when free */
	unsigned char addr[16];     /* the source address, not its port */
	uint32_t scope;             /* an IPv6 address's link; 0 for IPv4 */
	double tokens;              /* datagrams it may send now */
	struct timespec last;       /* when tokens was brought up to date */
};

/* Why a datagram was not echoed; the order of the summary's lines. */
enum drop { LOW_PORT, RATE_LIMIT, TOO_MANY, NDROPS };

static const char *const drop_reason[NDROPS] = {
	"source port below 1024",
	"over the rate limit",
	"too many sources",
};

static struct bucket buckets[MAX_SOURCES];

static void
usage(void)
{
	fprintf(stderr,
	    "usage: safe-echo [-r per_second] [-b burst] [host] port\n");
	exit(2);
}

/* The source port of a datagram, in host byte order. */
static unsigned
source_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

/*
 * The bytes of a source's address, without its port: what a bucket is
 * kept for.  Not per address and port: the kernel gives a client a new
 * port for every socket, so a sender that opens a new socket for each
 * datagram (or forges a new port each time) would get a new, full bucket
 * each time.  An IPv6 address comes with its scope: fe80::1 on one link
 * and fe80::1 on another are two hosts (man 7 ipv6, sin6_scope_id).
 * Returns the address's length: 4 or 16.
 */
static size_t
source_addr(const struct sockaddr_storage *ss, const unsigned char **bytes,
    uint32_t *scope)
{
	if (ss->ss_family == AF_INET) {
		*bytes = (const unsigned char *)
		    &((const struct sockaddr_in *)ss)->sin_addr;
		*scope = 0;
		return 4;
	}
	*bytes = (const unsigned char *)
	    &((const struct sockaddr_in6 *)ss)->sin6_addr;
	*scope = ((const struct sockaddr_in6 *)ss)->sin6_scope_id;
	return 16;
}

static double
seconds_between(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

/*
 * Bring a bucket up to now: it gains per_second tokens a second since we
 * last looked, and never holds more than burst.  The cap is the point: a
 * source that was quiet for an hour may send one burst, not an hour's
 * worth at once.  Time comes from CLOCK_MONOTONIC, which never jumps
 * (the wall clock can be set back, or forward a day), and in fractions
 * of a second: counting whole seconds with time() would refill in jolts.
 */
static void
refill(struct bucket *b, const struct timespec *now, double per_second,
    double burst)
{
	b->tokens += seconds_between(&b->last, now) * per_second;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = *now;
}

/*
 * The bucket of the address in ss, brought up to now, or a new, full one
 * for an address we do not know, in a free slot while there is one.  When
 * every slot is taken, the new one reuses the slot of a source that has
 * been quiet long enough to refill completely: a full bucket acts just
 * like a new one, so forgetting it changes nothing for its source.
 * Returns NULL when no source has refilled yet.
 *
 * Why not forget the oldest bucket instead?  Then a sender that cycles
 * through 1025 forged addresses would find each of its buckets forgotten,
 * and so full again, every time it came back: no limit at all.  Refusing
 * newcomers keeps the limit; the price is that while a flood fills the
 * table, a new honest client waits until a bucket refills.
 */
static struct bucket *
find_bucket(const struct sockaddr_storage *ss, const struct timespec *now,
    double per_second, double burst)
{
	const unsigned char *addr;
	uint32_t scope;
	size_t len = source_addr(ss, &addr, &scope);
	struct bucket *room = NULL;

	for (size_t i = 0; i < MAX_SOURCES; i++) {
		struct bucket *b = &buckets[i];

		if (b->family == ss->ss_family && b->scope == scope &&
		    memcmp(b->addr, addr, len) == 0) {
			refill(b, now, per_second, burst);
			return b;
		}
		if (b->family == 0 && room == NULL)
			room = b;
	}
	for (size_t i = 0; i < MAX_SOURCES && room == NULL; i++) {
		refill(&buckets[i], now, per_second, burst);
		if (buckets[i].tokens >= burst)
			room = &buckets[i];
	}
	if (room == NULL)
		return NULL;
	room->family = ss->ss_family;
	memcpy(room->addr, addr, len);
	room->scope = scope;
	room->tokens = burst;
	room->last = *now;
	return room;
}

int
main(int argc, char *argv[])
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	const char *host = NULL;
	long per_second = 10;
	long burst = 20;
	long port;
	unsigned long received = 0;
	unsigned long echoed = 0;
	unsigned long dropped[NDROPS] = { 0 };
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct net_addrstr me;
	char sockerr[NET_WHYLEN];
	int gaierr;
	int fd;
	int ch;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "r:b:");
		if (ch == -1)
			break;
		switch (ch) {
		case 'r':
			if (net_parse_number(optarg, 1, 1000000,
			    &per_second) == -1) {
				warnx("-r must be 1 to 1000000 datagrams a "
				    "second: %s", optarg);
				usage();
			}
			break;
		case 'b':
			if (net_parse_number(optarg, 1, 1000000,
			    &burst) == -1) {
				warnx("-b must be 1 to 1000000 datagrams: %s",
				    optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2)
		host = argv[0];
	else if (argc != 1)
		usage();
	if (net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		warnx("port must be a number from 0 to 65535: %s",
		    argv[argc - 1]);
		usage();
	}

	/*
	 * Catch SIGINT and SIGTERM before we announce ourselves: whoever
	 * reads our first line may signal us at once (lesson 06 says why
	 * the catching and the waiting are done this way).
	 */
	if (net_catch_stop_signals() == -1)
		err(1, "sigaction");
	/* Lesson 02's socket: one address, both families; errors named. */
	fd = net_server_socket(host, (uint16_t)port, &me, sockerr,
	    sizeof(sockerr));
	if (fd == -1)
		errx(1, "%s", sockerr);
	/*
	 * printf says when stdout fails (a full disk, a closed pipe): it
	 * returns a negative number.  A log that silently stops is worse
	 * than none, so every line is checked.
	 */
	if (printf("starting up on %s port %s\n", me.host, me.port) < 0)
		err(1, "stdout");
	if (printf("limit %ld datagrams per second per address, burst %ld\n",
	    per_second, burst) < 0)
		err(1, "stdout");

	for (;;) {
		struct net_addrstr peer;
		struct bucket *b;
		struct timespec now;
		ssize_t n;
		ssize_t sent;
		int ready;
		int why = -1;

		ready = net_wait_or_stop(fd);
		if (ready == -1)
			err(1, "pselect");
		if (ready == NET_STOPPED)
			break;

		addrlen = sizeof(addr);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
			err(1, "clock_gettime");
		received++;
		gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &peer);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));
		if (printf("received %zd bytes from %s port %s: \"", n,
		    peer.host, peer.port) < 0 ||
		    net_print_escaped(stdout, buf, (size_t)n) == -1 ||
		    printf("\"\n") < 0)
			err(1, "stdout");

		/*
		 * The port check comes first, and costs the source no token:
		 * a forged datagram from a low port says nothing about the
		 * real host at that address.
		 */
		if (source_port(&addr) < FIRST_CLIENT_PORT) {
			why = LOW_PORT;
		} else {
			b = find_bucket(&addr, &now, (double)per_second,
			    (double)burst);
			if (b == NULL)
				why = TOO_MANY;
			else if (b->tokens < 1)
				why = RATE_LIMIT;
			else
				b->tokens -= 1;
		}
		if (why != -1) {
			dropped[why]++;
			if (printf("dropped %zd bytes from %s port %s: %s\n",
			    n, peer.host, peer.port, drop_reason[why]) < 0)
				err(1, "stdout");
			continue;
		}

		sent = sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&addr,
		    addrlen);
		/* One failed echo is that client's loss, not the
		 * server's: say so, and serve the next. */
		if (sent == -1) {
			warn("sendto %s port %s", peer.host, peer.port);
			continue;
		}
		if (sent != n)
			errx(1, "sendto: sent %zd of %zd bytes", sent, n);
		echoed++;
		if (printf("sent %zd bytes back to %s port %s\n", sent,
		    peer.host, peer.port) < 0)
			err(1, "stdout");
	}

	if (printf("received: %lu\n", received) < 0 ||
	    printf("echoed: %lu\n", echoed) < 0)
		err(1, "stdout");
	for (int i = 0; i < NDROPS; i++) {
		if (printf("dropped, %s: %lu\n", drop_reason[i],
		    dropped[i]) < 0)
			err(1, "stdout");
	}
	if (close(fd) == -1)
		err(1, "close");
	/* exit() would flush too, but could no longer tell anyone it failed. */
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return 0;
}
