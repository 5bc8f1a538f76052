/*
 * relay - a bad network in a box: forward datagrams between clients and a
 * server, and lose, duplicate, reorder and delay some of them on purpose.
 *
 * The slides say datagrams "may be lost, arrive in any order", but loopback
 * never loses one, so a client's timeout never runs.  Put this relay
 * between lesson 05's echo-client and lesson 04's echo-server, and watch it
 * run.  tools/README.md is the lesson; in short:
 *
 *   usage: relay [-l loss%] [-d dup%] [-r reorder%] [-D delay_ms]
 *                [-s seed] [-v] listen_port server_host server_port
 *
 * A client sends to listen_port; the relay sends on to the server from a
 * socket of that client's own, so the server's replies can be told apart
 * and sent back to the client they belong to.  The first line on stdout
 * ends "port N", N the listening port (listen_port 0 lets the kernel pick).
 *
 * Each datagram's fate, in each direction (c->s, client to server, and
 * s->c), is decided as it arrives:
 *  - It is numbered #1, #2, ... in its direction, all clients together.
 *  - Three numbers are drawn from its direction's own erand48(3) stream,
 *    always all three and in this order: lost if the first, times 100, is
 *    below loss%; sent twice if the second is below dup%; reordered if the
 *    third is below reorder%.  So datagram #N's fate depends on the seed
 *    and N alone: not on timing, nor on the other direction, nor on the
 *    other odds (-d does not change which datagrams -l loses).  The one
 *    exception: when MAX_WAITING datagrams already wait, a datagram is
 *    dropped whatever its draws said.
 *  - What is not lost waits delay_ms, then goes out.  A reordered one then
 *    waits on, until the next datagram of the same client and direction has
 *    gone out, and goes right after it; if none comes within max(delay_ms,
 *    250) ms it goes alone.  If a reordered datagram falls due while
 *    another is held, it goes at once and the held one follows: the two
 *    swap places.
 * The bytes are never changed.  -v logs each fate on stderr as the
 * datagram arrives, "c->s #N LEN bytes: FATE", FATE "drop", or "pass" or
 * "dup" followed by ", reorder" and ", delay D ms" where they apply;
 * tools/README.md lists every line.
 */

/* erand48 is an X/Open (XSI) function, beyond what _POSIX_C_SOURCE asks. */
#define _XOPEN_SOURCE 700

#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/*
 * Every client costs a socket, and the kernel gives a process only so many
 * (and pselect takes descriptors below FD_SETSIZE), so the table is bounded.
 * When it is full, a new client replaces the one heard from least recently,
 * as a home router's NAT forgets an old mapping: replies still on their way
 * to the forgotten client are lost.
 */
#define MAX_CLIENTS 32

/*
 * Delayed and held datagrams wait in memory, up to 64 KiB each (so at
 * most 16 MiB for 256).  A router has a queue of fixed length and drops
 * what does not fit ("tail drop"); so do we, beyond this many waiting
 * datagrams, all clients together.
 */
#define MAX_WAITING 256

/* The shortest time a reordered datagram waits for one to overtake it. */
#define HOLD_MS 250

/*
 * A forgotten client's socket stays open this long before it is closed.
 * While it is open the kernel cannot give its port to a new client's
 * socket, so a late reply the server sends there, meant for the forgotten
 * client, is dropped here instead of reaching a stranger.  A NAT holds a
 * port before reusing it for the same reason.  At most MAX_CLIENTS wait.
 */
#define RETIRE_MS 60000

enum { UP, DOWN };	/* client to server, server to client */

/* A datagram on its way, with its fate. */
struct packet {
	struct packet *next;
	struct timespec due;	/* when it may go out */
	unsigned long num;	/* #N in its direction, for the log */
	int copies;		/* 2 when duplicated */
	bool reorder;
	size_t len;
	unsigned char data[];
};

/* What waits to go one way for one client. */
struct flow {
	struct packet *first;	/* delayed, in order of arrival */
	struct packet *last;
	struct packet *held;	/* reordered: waits to be overtaken */
	struct timespec held_until;
};

/* A row of the client table: who it is, and our socket that stands in. */
struct client {
	bool used;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct net_addrstr name;
	int fd;				/* connected to the server */
	unsigned long last_heard;	/* to find the quietest */
	struct flow flow[2];		/* [UP] and [DOWN] */
};

/* A forgotten client's socket, held until its port may be reused. */
struct retired {
	bool used;
	int fd;
	struct timespec until;
	struct net_addrstr name;	/* whom it stood in for */
};

/* The odds are the same both ways; each way draws from its own stream. */
struct direction {
	const char *name;
	unsigned short xsubi[3];	/* erand48's 48-bit state */
	unsigned long count;
	unsigned long dropped;
	unsigned long duplicated;
	unsigned long reordered;
};

static long loss_pct;
static long dup_pct;
static long reorder_pct;
static long delay_ms;
static long hold_ms;
static bool verbose;

static struct direction directions[2] = {
	[UP] = { .name = "c->s" },
	[DOWN] = { .name = "s->c" },
};
static struct client clients[MAX_CLIENTS];
static struct retired retired[MAX_CLIENTS];
static int waiting;		/* datagrams in every flow together */
static unsigned long ticks;	/* counts datagrams, for last_heard */
static int listen_fd;
static struct sockaddr_storage server_addr;
static socklen_t server_addrlen;
static struct net_addrstr server_name;

static void
usage(void)
{
	fprintf(stderr, "usage: relay [-l loss%%] [-d dup%%] [-r reorder%%] "
	    "[-D delay_ms] [-s seed] [-v]\n"
	    "             listen_port server_host server_port\n");
	exit(2);
}

/* The odds of -l, -d and -r: whole percentages, so "12.5" is refused. */
static long
percent(int option, const char *arg)
{
	long pct;

	if (net_parse_number(arg, 0, 100, &pct) == -1) {
		warnx("-%c takes a percentage from 0 to 100: %s", option, arg);
		usage();
	}
	return pct;
}

/*
 * Two addresses are the same sender if family, address and port agree.
 * Not memcmp over the whole structure: padding and IPv6's flow label may
 * differ from one datagram to the next.
 */
static bool
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		    x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/*
 * The seed makes both streams.  c->s starts where srand48(seed) would: the
 * seed's 32 bits above 0x330E.  s->c starts from the same three 16-bit
 * words XORed with 0x5EED, so the two directions draw different numbers.
 */
static void
seed_stream(unsigned short xsubi[3], long seed, unsigned short mix)
{
	xsubi[0] = (unsigned short)(0x330E ^ mix);
	xsubi[1] = (unsigned short)((seed & 0xFFFF) ^ mix);
	xsubi[2] = (unsigned short)(((seed >> 16) & 0xFFFF) ^ mix);
}

/* One draw: true with the odds of pct in 100. */
static bool
chance(struct direction *d, long pct)
{
	return erand48(d->xsubi) * 100 < pct;
}

/* Sends a datagram's copies one way, then frees it. */
static void
transmit(struct client *c, int dir, struct packet *p)
{
	for (int i = 0; i < p->copies; i++) {
		ssize_t sent;

		if (dir == UP)
			sent = send(c->fd, p->data, p->len, 0);
		else
			sent = sendto(listen_fd, p->data, p->len, 0,
			    (struct sockaddr *)&c->addr, c->addrlen);
		/* A failed send loses one datagram, as a network would. */
		if (sent == -1 && dir == UP)
			warn("send to %s port %s", server_name.host,
			    server_name.port);
		else if (sent == -1)
			warn("sendto %s port %s", c->name.host, c->name.port);
		else if (sent != (ssize_t)p->len)
			errx(1, "%s: sent %zd of %zu bytes",
			    dir == UP ? "send" : "sendto", sent, p->len);
	}
	free(p);
	waiting--;
}

/*
 * Decides the fate of a datagram that just arrived (see the top comment)
 * and queues what survives on its client's flow.
 */
static void
decide(struct client *c, int dir, const unsigned char *data, size_t len)
{
	struct direction *d = &directions[dir];
	struct flow *f = &c->flow[dir];
	struct packet *p;
	char delay[32] = "";
	unsigned long num = ++d->count;
	bool lost;
	bool twice;
	bool reorder;

	/* Three statements, not one ||: every draw is made, every time. */
	lost = chance(d, loss_pct);
	twice = chance(d, dup_pct);
	reorder = chance(d, reorder_pct);

	if (lost || waiting >= MAX_WAITING) {
		d->dropped++;
		if (verbose)
			fprintf(stderr, "%s #%lu %zu bytes: drop%s\n", d->name,
			    num, len, lost ? "" : " (queue full)");
		return;
	}
	p = malloc(sizeof(*p) + len);
	if (p == NULL)
		err(1, "malloc");
	if (net_deadline(delay_ms, &p->due) == -1)
		err(1, "clock_gettime");
	p->next = NULL;
	p->num = num;
	p->copies = twice ? 2 : 1;
	p->reorder = reorder;
	p->len = len;
	memcpy(p->data, data, len);
	if (f->last != NULL)
		f->last->next = p;
	else
		f->first = p;
	f->last = p;
	waiting++;
	if (twice)
		d->duplicated++;
	if (reorder)
		d->reordered++;

	/* One fprintf, so the line reaches stderr in one write. */
	if (verbose) {
		if (delay_ms > 0)
			snprintf(delay, sizeof(delay), ", delay %ld ms",
			    delay_ms);
		fprintf(stderr, "%s #%lu %zu bytes: %s%s%s\n", d->name, num,
		    len, twice ? "dup" : "pass", reorder ? ", reorder" : "",
		    delay);
	}
}

/*
 * Sends what has fallen due on one of c's flows.  Returns the milliseconds
 * until something more on it falls due, or -1 when nothing waits.
 */
static int
flush(struct client *c, int dir)
{
	struct flow *f = &c->flow[dir];
	const char *name = directions[dir].name;
	int next = -1;

	while (f->first != NULL && net_ms_left(&f->first->due) == 0) {
		struct packet *p = f->first;
		unsigned long num = p->num;

		f->first = p->next;
		if (f->first == NULL)
			f->last = NULL;
		if (p->reorder && f->held == NULL) {
			f->held = p;
			if (net_deadline(hold_ms, &f->held_until) == -1)
				err(1, "clock_gettime");
			continue;
		}
		transmit(c, dir, p);
		if (f->held != NULL) {
			if (verbose)
				fprintf(stderr, "%s #%lu sent after #%lu\n",
				    name, f->held->num, num);
			transmit(c, dir, f->held);
			f->held = NULL;
		}
	}
	if (f->held != NULL && net_ms_left(&f->held_until) == 0) {
		if (verbose)
			fprintf(stderr, "%s #%lu sent alone after %ld ms\n",
			    name, f->held->num, hold_ms);
		transmit(c, dir, f->held);
		f->held = NULL;
	}

	if (f->first != NULL)
		next = net_ms_left(&f->first->due);
	if (f->held != NULL) {
		int left = net_ms_left(&f->held_until);

		if (next == -1 || left < next)
			next = left;
	}
	return next;
}

/*
 * Holds a forgotten client's socket for RETIRE_MS; when every place is
 * taken, the one held longest is closed to make room.
 */
static void
retire(struct client *c)
{
	struct retired *r = NULL;

	/* A free place, or else the one whose time is up soonest. */
	for (int i = 0; i < MAX_CLIENTS && r == NULL; i++)
		if (!retired[i].used)
			r = &retired[i];
	if (r == NULL) {
		r = &retired[0];
		for (int i = 1; i < MAX_CLIENTS; i++)
			if (net_ms_left(&retired[i].until) <
			    net_ms_left(&r->until))
				r = &retired[i];
		if (close(r->fd) == -1)
			err(1, "close");
	}
	r->used = true;
	r->fd = c->fd;
	r->name = c->name;
	if (net_deadline(RETIRE_MS, &r->until) == -1)
		err(1, "clock_gettime");
}

/*
 * Frees everything c has waiting and its entry; its socket is held for a
 * while (hold) or closed.
 */
static void
forget_client(struct client *c, bool hold)
{
	for (int dir = UP; dir <= DOWN; dir++) {
		struct flow *f = &c->flow[dir];

		while (f->first != NULL) {
			struct packet *p = f->first;

			f->first = p->next;
			free(p);
			waiting--;
		}
		if (f->held != NULL) {
			free(f->held);
			waiting--;
		}
	}
	if (hold)
		retire(c);
	else if (close(c->fd) == -1)
		err(1, "close");
	memset(c, 0, sizeof(*c));
}

/* The client at addr, or NULL if it is new. */
static struct client *
find_client(const struct sockaddr_storage *addr)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].used && same_addr(&clients[i].addr, addr))
			return &clients[i];
	return NULL;
}

/*
 * A new entry for the client at addr, with a socket of its own connected
 * to the server.  Connected, the socket takes datagrams from the server
 * alone, and it is told when nobody listens there: an ICMP "port
 * unreachable" comes back as ECONNREFUSED, to connected sockets only.
 */
static struct client *
new_client(const struct sockaddr_storage *addr, socklen_t addrlen)
{
	struct client *c = NULL;
	struct sockaddr_storage up;
	socklen_t uplen;
	struct net_addrstr name;
	struct net_addrstr upname;
	int gaierr;
	int fd;

	gaierr = net_addrstr((const struct sockaddr *)addr, addrlen, &name);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));

	/*
	 * The socket first, and only then a place in the table: out of
	 * descriptors (EMFILE) or of free ports (on Linux, a UDP connect()
	 * then fails with EAGAIN), this client loses its datagram, and
	 * neither the relay's other clients nor the one a full table would
	 * have forgotten lose anything.
	 */
	fd = socket(server_addr.ss_family, SOCK_DGRAM, 0);
	if (fd == -1) {
		warn("socket for client %s port %s, whose datagram is dropped",
		    name.host, name.port);
		return NULL;
	}
	if (fd >= FD_SETSIZE) {
		warnx("socket %d for client %s port %s, whose datagram is "
		    "dropped: too many for pselect", fd, name.host, name.port);
		(void)close(fd);
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&server_addr,
	    server_addrlen) == -1) {
		warn("connect %s port %s for client %s port %s, whose datagram "
		    "is dropped", server_name.host, server_name.port,
		    name.host, name.port);
		(void)close(fd);
		return NULL;
	}

	for (int i = 0; i < MAX_CLIENTS && c == NULL; i++)
		if (!clients[i].used)
			c = &clients[i];
	if (c == NULL) {
		c = &clients[0];
		for (int i = 1; i < MAX_CLIENTS; i++)
			if (clients[i].last_heard < c->last_heard)
				c = &clients[i];
		printf("forgot client %s port %s (table full, quiet longest)\n",
		    c->name.host, c->name.port);
		forget_client(c, true);
	}
	c->fd = fd;
	c->used = true;
	memcpy(&c->addr, addr, addrlen);
	c->addrlen = addrlen;
	c->name = name;

	/* The server sees the relay's socket, not the client: like a NAT. */
	uplen = sizeof(up);
	if (getsockname(c->fd, (struct sockaddr *)&up, &uplen) == -1)
		err(1, "getsockname");
	gaierr = net_addrstr((struct sockaddr *)&up, uplen, &upname);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	printf("new client %s port %s (the server sees %s port %s)\n",
	    c->name.host, c->name.port, upname.host, upname.port);
	return c;
}

/* Reads one datagram from a client, if one is there, and decides it. */
static void
from_client(void)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct sockaddr_storage addr;
	socklen_t addrlen = sizeof(addr);
	struct client *c;
	ssize_t n;

	n = recvfrom(listen_fd, buf, sizeof(buf), MSG_DONTWAIT,
	    (struct sockaddr *)&addr, &addrlen);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == -1)
		err(1, "recvfrom");
	c = find_client(&addr);
	if (c == NULL)
		c = new_client(&addr, addrlen);
	if (c == NULL)
		return;
	c->last_heard = ++ticks;
	decide(c, UP, buf, (size_t)n);
}

/* Reads one reply for client c, if one is there, and decides it. */
static void
from_server(struct client *c)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	/* An earlier datagram found nobody at the server's port. */
	if (n == -1 && errno == ECONNREFUSED) {
		warn("%s port %s", server_name.host, server_name.port);
		return;
	}
	if (n == -1)
		err(1, "recv");
	c->last_heard = ++ticks;
	decide(c, DOWN, buf, (size_t)n);
}

/*
 * Closes the held sockets whose time is up, and puts the others in
 * readable (nfds grown to hold them).  Returns the milliseconds until the
 * next one is up, or -1 when none is held.
 */
static int
hold_retired(fd_set *readable, int *nfds)
{
	int next = -1;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		int left;

		if (!retired[i].used)
			continue;
		left = net_ms_left(&retired[i].until);
		if (left == 0) {
			if (close(retired[i].fd) == -1)
				err(1, "close");
			retired[i].used = false;
			continue;
		}
		FD_SET(retired[i].fd, readable);
		if (retired[i].fd >= *nfds)
			*nfds = retired[i].fd + 1;
		if (next == -1 || left < next)
			next = left;
	}
	return next;
}

/* A late reply for a forgotten client: read, said, and dropped. */
static void
from_retired(struct retired *r)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	ssize_t n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ECONNREFUSED))
		return;
	if (n == -1)
		err(1, "recv");
	printf("dropped a late reply of %zd bytes for forgotten client %s "
	    "port %s\n", n, r->name.host, r->name.port);
}

/*
 * Whether addr is an address of this machine: bind() takes only those,
 * and says EADDRNOTAVAIL for any other.  (Port 0: any free port, held only
 * until the socket is closed, a moment later.  A system set to bind
 * addresses it does not have, net.ipv4.ip_nonlocal_bind, fools this.)
 */
static bool
is_local(const struct sockaddr_storage *addr, socklen_t addrlen)
{
	struct sockaddr_storage any = *addr;
	int fd = socket(addr->ss_family, SOCK_DGRAM, 0);
	bool local = true;

	if (fd == -1)
		err(1, "socket");
	if (any.ss_family == AF_INET)
		((struct sockaddr_in *)&any)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&any)->sin6_port = 0;
	if (bind(fd, (struct sockaddr *)&any, addrlen) == -1) {
		if (errno != EADDRNOTAVAIL)
			err(1, "bind %s port 0", server_name.host);
		local = false;
	}
	if (close(fd) == -1)
		err(1, "close");
	return local;
}

int
main(int argc, char *argv[])
{
	long listen_port;
	long bound_port;	/* the port we got (listen_port may be 0) */
	long server_port;
	long seed = 1;		/* so that every run without -s is alike */
	struct addrinfo *ai;
	struct net_addrstr me;
	char why[NET_WHYLEN];
	int gaierr;
	int ch;

	/*
	 * With stdout or stderr closed, our first socket would be descriptor
	 * 1 or 2, and every line we print a datagram to the server: the
	 * standard descriptors are made open before anything is opened.
	 */
	if (net_open_std_fds() == -1)
		err(1, "/dev/null");
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "l:d:r:D:s:v");
		if (ch == -1)
			break;
		switch (ch) {
		case 'l':
			loss_pct = percent(ch, optarg);
			break;
		case 'd':
			dup_pct = percent(ch, optarg);
			break;
		case 'r':
			reorder_pct = percent(ch, optarg);
			break;
		case 'D':
			if (net_parse_number(optarg, 0, 60000,
			    &delay_ms) == -1) {
				warnx("delay must be 0 to 60000 "
				    "milliseconds: %s", optarg);
				usage();
			}
			break;
		case 's':
			if (net_parse_number(optarg, 0, 2147483647L,
			    &seed) == -1) {
				warnx("seed must be a number from 0 to "
				    "2147483647: %s", optarg);
				usage();
			}
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	if (net_parse_number(argv[0], 0, 65535, &listen_port) == -1) {
		warnx("listen port must be a number from 0 to 65535: %s",
		    argv[0]);
		usage();
	}
	if (net_parse_number(argv[2], 1, 65535, &server_port) == -1) {
		warnx("server port must be a number from 1 to 65535: %s",
		    argv[2]);
		usage();
	}
	hold_ms = delay_ms > HOLD_MS ? delay_ms : HOLD_MS;
	seed_stream(directions[UP].xsubi, seed, 0);
	seed_stream(directions[DOWN].xsubi, seed, 0x5EED);

	/* The server: its first address, as lesson 03's client takes. */
	gaierr = net_resolve(argv[1], (uint16_t)server_port, 0, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", argv[1], gai_strerror(gaierr));
	memcpy(&server_addr, ai->ai_addr, ai->ai_addrlen);
	server_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	gaierr = net_addrstr((struct sockaddr *)&server_addr, server_addrlen,
	    &server_name);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));

	/* Before the first line: whoever reads it may signal us at once. */
	if (net_catch_stop_signals() == -1)
		err(1, "sigaction");
	/* The clients' side: a server's socket, as lesson 02 gets it. */
	listen_fd = net_server_socket(NULL, (uint16_t)listen_port, &me, why,
	    sizeof(why));
	if (listen_fd == -1)
		errx(1, "%s", why);
	/*
	 * Listening on every address, we would be our own server if its
	 * address is ours and its port the one we listen on: each datagram
	 * would go round and round, as fast as the CPU allows.
	 */
	if (net_parse_number(me.port, 0, 65535, &bound_port) == 0 &&
	    bound_port == server_port &&
	    is_local(&server_addr, server_addrlen))
		errx(1, "%s port %s is this relay itself: it would send every "
		    "datagram back to itself", server_name.host,
		    server_name.port);
	printf("relaying to %s port %s, listening on %s port %s\n",
	    server_name.host, server_name.port, me.host, me.port);

	for (;;) {
		fd_set readable;
		int nfds = listen_fd + 1;
		int timeout = -1;
		int ready;

		/* Send what is due; sleep no longer than until the next. */
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (!clients[i].used)
				continue;
			for (int dir = UP; dir <= DOWN; dir++) {
				int next = flush(&clients[i], dir);

				if (next != -1 && (timeout == -1 ||
				    next < timeout))
					timeout = next;
			}
		}

		FD_ZERO(&readable);
		FD_SET(listen_fd, &readable);
		/* Held sockets: listened to until their time is up. */
		{
			int next = hold_retired(&readable, &nfds);

			if (next != -1 && (timeout == -1 || next < timeout))
				timeout = next;
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (!clients[i].used)
				continue;
			FD_SET(clients[i].fd, &readable);
			if (clients[i].fd >= nfds)
				nfds = clients[i].fd + 1;
		}
		ready = net_wait_many_or_stop(nfds, &readable, timeout);
		if (ready == NET_STOPPED)
			break;
		if (ready == NET_TIMEDOUT && errno != ETIMEDOUT)
			err(1, "pselect");

		/* Replies first: a new client may take a forgotten one's
		 * entry, and its descriptor number, in from_client. */
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].used &&
			    FD_ISSET(clients[i].fd, &readable))
				from_server(&clients[i]);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (retired[i].used &&
			    FD_ISSET(retired[i].fd, &readable))
				from_retired(&retired[i]);
		if (FD_ISSET(listen_fd, &readable))
			from_client();
	}

	/* What still waits is lost, as in a network switched off. */
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].used)
			forget_client(&clients[i], false);
		if (retired[i].used && close(retired[i].fd) == -1)
			err(1, "close");
	}
	if (close(listen_fd) == -1)
		err(1, "close");
	for (int dir = UP; dir <= DOWN; dir++) {
		const struct direction *d = &directions[dir];

		printf("%s: %lu datagrams, %lu dropped, %lu duplicated, "
		    "%lu reordered\n", d->name, d->count, d->dropped,
		    d->duplicated, d->reordered);
	}
	/* A write that failed (a full disk) left the error flag of stdout
	 * set, which one check at the end catches: the counts must not be
	 * lost in silence. */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
