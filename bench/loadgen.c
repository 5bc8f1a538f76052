/*
 * loadgen - a closed-loop load generator for UDP echo servers.
 *
 * Each of -c clients (a socket each, so a port each) keeps -w datagrams of
 * -s bytes in flight: it sends -w at the start and one more for every echo
 * that comes back.  That is a closed loop: the load follows the server,
 * never more than clients * window datagrams ahead of it, so no socket
 * buffer overflows and what we measure is the server, not the drops.
 * Each datagram starts with its sequence number (8 bytes, so -s is at least
 * 8), and each echo is matched to its datagram by it, not by the order it
 * comes in.  Loopback keeps a socket's datagrams in order, so an echo of
 * a later one means the ones before it were lost (a server's full socket
 * buffer drops them): they are counted and replaced, and the window stays
 * full.  If nothing comes back for -l ms (default 200), the whole window
 * is counted lost and sent again.
 *
 *   usage: loadgen [-c clients] [-w window] [-s size] [-t ms] [-n max]
 *              [-l ms] [-r] host port
 *
 * It runs for -t milliseconds (default 1000) or until -n echoes (default
 * 10000000), whichever comes first, and prints one line of key=value:
 *
 *   echoes=N seconds=S rate=R lost=L late=A short=H
 *
 * rate is echoes a second; late counts echoes of datagrams already
 * counted lost, short those of another length than was sent (neither is
 * in echoes).  With -r it also measures each round trip (send to echo, on
 * CLOCK_MONOTONIC) and adds p50_us= and p99_us=.
 *
 * It must be faster than the servers it measures, or it measures itself:
 * so it moves its datagrams with Linux's recvmmsg() and sendmmsg(), many
 * a system call (bench/batch-echo.c explains them), where a simple echo
 * server makes two calls a datagram.
 */
#define _GNU_SOURCE
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define MAX_CLIENTS 256
#define MAX_WINDOW 256
/* Round trips kept for the percentiles: enough for a second at 1 in flight. */
#define MAX_SAMPLES 1000000

struct client {
	int fd;
	uint64_t next;		/* the sequence number to send next */
	uint64_t oldest;	/* the oldest not yet echoed or lost */
	/* When each datagram in flight was sent, by sequence number. */
	struct timespec sent_at[MAX_WINDOW];
	struct timespec last_echo;		/* for the loss timeout */
};

static struct client clients[MAX_CLIENTS];
/* What every datagram carries out; echoes land in bufs, one a slot. */
static unsigned char payload[NET_MAX_DATAGRAM];
static uint64_t seqs[MAX_WINDOW];
static unsigned char bufs[MAX_WINDOW][NET_MAX_DATAGRAM];
static struct mmsghdr msgs[MAX_WINDOW];
static struct iovec iovs[MAX_WINDOW][2];
static long samples[MAX_SAMPLES];
static long nsamples;

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-c clients] [-w window] [-s size] "
	    "[-t ms] [-n max] [-l ms] [-r] host port\n");
	exit(2);
}

/* 64 bits: a long of 32 would overflow past 2 seconds. */
static int64_t
ns_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000 +
	    (b->tv_nsec - a->tv_nsec);
}

static void
now(struct timespec *ts)
{
	if (clock_gettime(CLOCK_MONOTONIC, ts) == -1)
		err(1, "clock_gettime");
}

/*
 * Send count datagrams of size bytes from c to its server (its socket is
 * connected: no address needed), in one sendmmsg() where it can.  One the
 * kernel could not take counts as sent, and is then lost.
 */
static void
send_some(struct client *c, long count, size_t size)
{
	struct timespec t;
	long done = 0;

	now(&t);
	for (long i = 0; i < count; i++) {
		uint64_t seq = c->next++;

		seqs[i] = seq;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		iovs[i][0].iov_base = &seqs[i];
		iovs[i][0].iov_len = sizeof(seqs[i]);
		iovs[i][1].iov_base = payload;
		iovs[i][1].iov_len = size - sizeof(seqs[i]);
		msgs[i].msg_hdr.msg_iov = iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 2;
		c->sent_at[seq % MAX_WINDOW] = t;
	}
	while (done < count) {
		int n = sendmmsg(c->fd, msgs + done, (unsigned)(count - done),
		    0);

		if (n == -1 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != ECONNREFUSED)
			err(1, "sendmmsg");
		done += n > 0 ? n : 1;
	}
}

static int
by_value(const void *a, const void *b)
{
	long x = *(const long *)a;
	long y = *(const long *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char *argv[])
{
	struct pollfd pfds[MAX_CLIENTS];
	struct net_peer to;
	struct timespec start;
	struct timespec end;
	char why[NET_WHYLEN];
	long nclients = 1;
	long window = 32;
	long size = 32;
	long ms = 1000;
	long max = 10000000;
	long loss_ms = 200;
	long port;
	long echoes = 0;
	long lost = 0;
	long late = 0;
	long shorts = 0;
	int rtt = 0;
	int ch;

	for (;;) {
		ch = getopt(argc, argv, "c:w:s:t:n:l:r");
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			if (net_parse_number(optarg, 1, MAX_CLIENTS,
			    &nclients) == -1)
				usage();
			break;
		case 'w':
			if (net_parse_number(optarg, 1, MAX_WINDOW,
			    &window) == -1)
				usage();
			break;
		case 's':
			if (net_parse_number(optarg, (long)sizeof(uint64_t),
			    NET_MAX_UDP4, &size) == -1)
				usage();
			break;
		case 't':
			if (net_parse_number(optarg, 1, 600000, &ms) == -1)
				usage();
			break;
		case 'n':
			if (net_parse_number(optarg, 1, 1000000000L,
			    &max) == -1)
				usage();
			break;
		case 'l':
			if (net_parse_number(optarg, 1, 60000, &loss_ms) == -1)
				usage();
			break;
		case 'r':
			rtt = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || net_parse_number(argv[1], 1, 65535, &port) == -1)
		usage();
	memset(payload, 'x', sizeof(payload));

	for (long i = 0; i < nclients; i++) {
		clients[i].fd = net_client_socket(argv[0], (uint16_t)port, &to,
		    why, sizeof(why));
		if (clients[i].fd == -1)
			errx(1, "%s", why);
		/* Connected: sendmmsg needs no address, and only the server's
		 * datagrams reach us. */
		if (connect(clients[i].fd, (struct sockaddr *)&to.addr,
		    to.len) == -1)
			err(1, "connect");
		pfds[i].fd = clients[i].fd;
		pfds[i].events = POLLIN;
	}

	now(&start);
	for (long i = 0; i < nclients; i++) {
		clients[i].last_echo = start;
		send_some(&clients[i], window, (size_t)size);
	}
	/* Bounded in time (ms) and in count (max): a closed loop ends. */
	for (;;) {
		struct timespec t;
		int ready;

		now(&t);
		if (ns_between(&start, &t) >= (int64_t)ms * 1000000 ||
		    echoes >= max)
			break;
		ready = poll(pfds, (nfds_t)nclients, 10);
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			err(1, "poll");
		now(&t);
		for (long i = 0; i < nclients; i++) {
			struct client *c = &clients[i];
			int n;

			/* POLLERR: an ICMP error (nobody listens yet);
			 * recvmmsg below reads it, or poll would spin. */
			if (!(pfds[i].revents & (POLLIN | POLLERR))) {
				/* Nothing for loss_ms: call the window lost. */
				if (ns_between(&c->last_echo, &t) >
				    (int64_t)loss_ms * 1000000) {
					lost += (long)(c->next - c->oldest);
					c->oldest = c->next;
					c->last_echo = t;
					send_some(c, window, (size_t)size);
				}
				continue;
			}
			/* Every echo waiting, up to a window's worth. */
			memset(msgs, 0, sizeof(msgs[0]) * (size_t)window);
			for (long k = 0; k < window; k++) {
				iovs[k][0].iov_base = bufs[k];
				iovs[k][0].iov_len = sizeof(bufs[k]);
				msgs[k].msg_hdr.msg_iov = iovs[k];
				msgs[k].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg(c->fd, msgs, (unsigned)window,
			    MSG_DONTWAIT, NULL);
			if (n == -1 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK || errno == ECONNREFUSED))
				continue;
			if (n == -1)
				err(1, "recvmmsg");
			for (int k = 0; k < n; k++) {
				uint64_t seq;

				if (msgs[k].msg_len != (unsigned)size) {
					shorts++;
					continue;
				}
				memcpy(&seq, bufs[k], sizeof(seq));
				if (seq < c->oldest || seq >= c->next) {
					late++;	/* one counted lost */
					continue;
				}
				/* Those sent before it were lost. */
				lost += (long)(seq - c->oldest);
				c->oldest = seq + 1;
				echoes++;
				if (rtt && nsamples < MAX_SAMPLES)
					samples[nsamples++] = (long)ns_between(
					    &c->sent_at[seq % MAX_WINDOW], &t);
				c->last_echo = t;
			}
			/* Keep the window full. */
			send_some(c, window - (long)(c->next - c->oldest),
			    (size_t)size);
		}
	}
	now(&end);

	printf("echoes=%ld seconds=%.3f rate=%.0f lost=%ld late=%ld short=%ld",
	    echoes, ns_between(&start, &end) / 1e9,
	    echoes / (ns_between(&start, &end) / 1e9), lost, late, shorts);
	if (rtt && nsamples > 0) {
		qsort(samples, (size_t)nsamples, sizeof(samples[0]), by_value);
		printf(" p50_us=%.1f p99_us=%.1f",
		    samples[nsamples / 2] / 1e3,
		    samples[nsamples * 99 / 100] / 1e3);
	}
	printf("\n");
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
