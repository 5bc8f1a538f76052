/*
 * hexdump-server - print every datagram as "hexdump -C" would, and count.
 *
 * Lab 01, a solution.  Lesson 01's bare server showed the bytes escaped on
 * one line; this one lays them out in the columns of hexdump -C (offset,
 * sixteen bytes in hex, the same bytes as text), so you see exactly what
 * arrived.  With -n COUNT it stops after COUNT datagrams and says how many
 * bytes came from how many senders.
 *
 *   usage: hexdump-server [-n count] [host] port
 *
 * Try it: "hexdump-server -n 2 10000", then twice
 * "printf 'hi\0there' | nc -u -w 1 127.0.0.1 10000".
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* A sender is an address AND a port: two sockets on one host are two. */
struct senders {
	struct net_addrstr *list;
	size_t count;
	size_t cap;
};

static void
usage(void)
{
	fprintf(stderr, "usage: hexdump-server [-n count] [host] port\n");
	exit(2);
}

/*
 * Prints len bytes in hexdump -C's layout (see hexdump(1), "Canonical
 * hex+ASCII display"): the offset in 8 hex digits, 16 bytes in lower-case
 * hex with an extra space after the eighth, the same bytes between bars
 * with every byte but printable ASCII shown as ".", and at the end the
 * offset just past the last byte.  A full line equal to the line before
 * is not printed; one "*" stands for the run.  No bytes, no lines.
 */
static void
hexdump(const unsigned char *data, size_t len)
{
	int repeating = 0;

	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;

		if (off > 0 && n == 16 &&
		    memcmp(data + off, data + off - 16, 16) == 0) {
			if (!repeating)
				printf("*\n");
			repeating = 1;
			continue;
		}
		repeating = 0;

		printf("%08zx", off);
		for (size_t i = 0; i < 16; i++) {
			if (i % 8 == 0)
				putchar(' ');
			if (i < n)
				printf(" %02x", data[off + i]);
			else
				printf("   ");
		}
		printf("  |");
		/* Not isprint(): its answer depends on the locale. */
		for (size_t i = 0; i < n; i++) {
			unsigned char c = data[off + i];

			putchar(c >= 0x20 && c < 0x7f ? c : '.');
		}
		printf("|\n");
	}
	if (len > 0)
		printf("%08zx\n", len);
}

/*
 * Adds peer to s unless it is there already.  Numeric strings compare
 * simply and exactly, where sockaddrs would need code for each family.
 * Returns 0, or -1 with errno set when memory runs out.
 */
static int
senders_add(struct senders *s, const struct net_addrstr *peer)
{
	for (size_t i = 0; i < s->count; i++) {
		if (strcmp(s->list[i].host, peer->host) == 0 &&
		    strcmp(s->list[i].port, peer->port) == 0)
			return 0;
	}
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct net_addrstr *list;

		/* realloc's result in a new variable, so a failure does not
		 * lose the old list. */
		list = realloc(s->list, cap * sizeof(*list));
		if (list == NULL)
			return -1;
		s->list = list;
		s->cap = cap;
	}
	s->list[s->count++] = *peer;
	return 0;
}

int
main(int argc, char *argv[])
{
	/* The largest datagram of either family, so nothing is ever cut. */
	static unsigned char buf[NET_MAX_DATAGRAM];
	const char *host = NULL;
	long count = 0;
	long datagrams = 0;
	long long bytes = 0;
	struct senders senders = { 0 };
	long port;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct net_addrstr me;
	char why[NET_WHYLEN];
	int gaierr;
	int fd;
	int ch;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "n:");
		if (ch == -1)
			break;
		switch (ch) {
		case 'n':
			if (net_parse_number(optarg, 1, INT_MAX,
			    &count) == -1) {
				warnx("count must be a number from 1 to %d: %s",
				    INT_MAX, optarg);
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
	fd = net_server_socket(host, (uint16_t)port, &me, why, sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("listening on %s port %s\n", me.host, me.port);

	while (count == 0 || datagrams < count) {
		struct net_addrstr peer;
		ssize_t n;
		int ready;

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
		gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &peer);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));

		/*
		 * n, not strlen(buf): the bytes may hold a NUL, and need not
		 * end with one.  An empty datagram is one too, and counts.
		 */
		printf("%s port %s sent %zd bytes\n", peer.host, peer.port, n);
		hexdump(buf, (size_t)n);

		/*
		 * Senders are remembered only with -n: a server that kept
		 * every sender forever would let anyone fill its memory by
		 * sending from new ports.  -n bounds the list by COUNT and
		 * no better, and COUNT may be 2147483647; each datagram also
		 * searches the whole list, so the time grows with its square.
		 * Fine for a lab; a server open to strangers would cap the
		 * list and look senders up in a hash table.
		 */
		if (count > 0) {
			datagrams++;
			bytes += n;
			if (senders_add(&senders, &peer) == -1)
				err(1, "realloc");
		}
	}

	/* After the last datagram, or on a signal: what arrived so far. */
	if (count > 0) {
		printf("datagrams: %ld\n", datagrams);
		printf("bytes: %lld\n", bytes);
		printf("senders: %zu\n", senders.count);
	}
	free(senders.list);
	if (close(fd) == -1)
		err(1, "close");

	/*
	 * Line buffering wrote each line as it was printed.  A write that
	 * failed then, to a full disk say (try "> /dev/full"), may leave
	 * nothing for fflush() to retry (glibc drops the bytes), only the
	 * stream's error flag, which ferror() reads.  Without this check the
	 * server would exit 0 with its dump cut short.
	 */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
