/*
 * Fuzz the relay's queue and client table: the input is a run of events
 * (a client sends, the server answers a client or a forgotten one, time
 * passes, a minute passes) with odds of
 * loss, duplication and reordering, played through the relay's own
 * from_client(), from_server() and flush() over real loopback sockets.
 * The oracle checks what must hold after every event: the count of
 * waiting datagrams is the datagrams that wait, and within its bound; no
 * client is in the table twice, nor more than MAX_CLIENTS; every socket
 * the relay keeps, a client's or a forgotten one's, is open, connected to
 * the server, and no other's; and every datagram that comes out holds
 * bytes that went in, never more copies than were allowed.
 */
/* As tools/relay.c asks, before any header: erand48 is X/Open's. */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

/* The relay itself, its main() renamed so that it is not ours. */
#define main relay_main
#include "../../tools/relay.c"
#undef main

#define SENDERS 40		/* more than MAX_CLIENTS */

static int sink = -1;		/* the server */
static int sender[SENDERS];

/* A socket bound to 127.0.0.1, port of the kernel's. */
static int
loopback_socket(struct sockaddr_storage *addr, socklen_t *len)
{
	struct sockaddr_in in = { .sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	must(fd != -1);
	must(bind(fd, (struct sockaddr *)&in, sizeof(in)) == 0);
	*len = sizeof(*addr);
	must(getsockname(fd, (struct sockaddr *)addr, len) == 0);
	return fd;
}

static void
setup(void)
{
	struct sockaddr_storage a;
	socklen_t len;

	/* The relay's log lines would fill the fuzzer's output (which is
	 * on stderr, where the relay's rare warnings go too). */
	must(freopen("/dev/null", "w", stdout) != NULL);
	listen_fd = loopback_socket(&a, &len);
	sink = loopback_socket(&server_addr, &server_addrlen);
	must(net_addrstr((struct sockaddr *)&server_addr, server_addrlen,
	    &server_name) == 0);
	for (int i = 0; i < SENDERS; i++)
		sender[i] = loopback_socket(&a, &len);
	(void)a;
}

/* What a datagram of the fuzz holds: its sender, number and length, then
 * bytes that follow from them. */
static size_t
make(unsigned char *buf, int who, unsigned seq, size_t len)
{
	if (len < 8)
		len = 8;
	buf[0] = (unsigned char)who;
	memcpy(buf + 1, &seq, 4);
	buf[5] = (unsigned char)(len >> 8);
	buf[6] = (unsigned char)len;
	for (size_t i = 7; i < len; i++)
		buf[i] = (unsigned char)(who * 31 + seq * 7 + i);
	return len;
}

static int
intact(const unsigned char *buf, ssize_t n)
{
	unsigned seq;

	if (n < 8 || (size_t)n != ((size_t)buf[5] << 8 | buf[6]))
		return 0;
	memcpy(&seq, buf + 1, 4);
	for (ssize_t i = 7; i < n; i++)
		if (buf[i] != (unsigned char)(buf[0] * 31 + seq * 7 +
		    (size_t)i))
			return 0;
	return 1;
}

/* Read all that waits on fd; each must be intact.  Returns the count. */
static long
drain(int fd)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	long count = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		must(intact(buf, n));
		count++;
	}
	return count;
}

/* Whether fd is open and connected to the server, as each of ours is. */
static int
ours(int fd)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	return fcntl(fd, F_GETFD) != -1 &&
	    getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
	    same_addr(&peer, &server_addr);
}

static void
check_table(void)
{
	int queued = 0;
	int used = 0;

	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (retired[i].used) {
			must(ours(retired[i].fd));
			for (int j = i + 1; j < MAX_CLIENTS; j++)
				must(!retired[j].used ||
				    retired[j].fd != retired[i].fd);
		}
		if (!clients[i].used)
			continue;
		used++;
		must(ours(clients[i].fd));
		for (int j = i + 1; j < MAX_CLIENTS; j++) {
			must(!clients[j].used ||
			    !same_addr(&clients[i].addr, &clients[j].addr));
			must(!clients[j].used ||
			    clients[j].fd != clients[i].fd);
		}
		for (int j = 0; j < MAX_CLIENTS; j++)
			must(!retired[j].used ||
			    retired[j].fd != clients[i].fd);
		for (int dir = UP; dir <= DOWN; dir++) {
			const struct flow *f = &clients[i].flow[dir];

			for (const struct packet *p = f->first; p != NULL;
			    p = p->next) {
				must(p->next != NULL || p == f->last);
				queued++;
			}
			queued += f->held != NULL;
		}
	}
	must(used <= MAX_CLIENTS);
	must(queued == waiting && waiting <= MAX_WAITING);
}

/* Forget everything, as a relay that starts again. */
static void
reset(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].used)
			forget_client(&clients[i], false);
		if (retired[i].used)
			close(retired[i].fd);
		retired[i].used = false;
	}
	for (int dir = UP; dir <= DOWN; dir++) {
		directions[dir].count = directions[dir].dropped = 0;
		directions[dir].duplicated = directions[dir].reordered = 0;
	}
	drain(sink);
	for (int i = 0; i < SENDERS; i++)
		drain(sender[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	long out[2] = { 0, 0 };	/* datagrams that came out, each way */
	unsigned seq = 0;

	if (sink == -1)
		setup();
	if (size < 4)
		return 0;
	loss_pct = data[0] % 101;
	dup_pct = data[1] % 101;
	reorder_pct = data[2] % 101;
	seed_stream(directions[UP].xsubi, data[3], 0);
	seed_stream(directions[DOWN].xsubi, data[3], 0x5EED);
	delay_ms = 0;
	hold_ms = 1000;		/* held until an event says time passed */
	reset();

	for (size_t i = 4; i + 2 <= size; i += 2) {
		int who = data[i] % SENDERS;
		size_t len = make(buf, who, ++seq, 8 + (size_t)data[i + 1] * 4);
		struct client *c;

		switch (data[i] / SENDERS % 6) {
		case 0:		/* a client sends */
			{
				struct sockaddr_storage to;
				socklen_t tolen = sizeof(to);

				must(getsockname(listen_fd,
				    (struct sockaddr *)&to, &tolen) == 0);
				must(sendto(sender[who], buf, len, 0,
				    (struct sockaddr *)&to, tolen) ==
				    (ssize_t)len);
			}
			from_client();
			break;
		case 1:		/* the server answers a client it knows */
			c = &clients[who % MAX_CLIENTS];
			if (!c->used)
				break;
			{
				struct sockaddr_storage up;
				socklen_t uplen = sizeof(up);

				must(getsockname(c->fd, (struct sockaddr *)&up,
				    &uplen) == 0);
				must(sendto(sink, buf, len, 0,
				    (struct sockaddr *)&up, uplen) ==
				    (ssize_t)len);
			}
			from_server(c);
			break;
		case 2:		/* a moment passes: what is due goes out */
			for (int k = 0; k < MAX_CLIENTS; k++)
				if (clients[k].used)
					for (int dir = UP; dir <= DOWN; dir++)
						(void)flush(&clients[k], dir);
			break;
		case 4:		/* the server answers a forgotten client */
			{
				struct retired *r = &retired[who %
				    MAX_CLIENTS];
				struct sockaddr_storage up;
				socklen_t uplen = sizeof(up);

				if (!r->used)
					break;
				must(getsockname(r->fd,
				    (struct sockaddr *)&up, &uplen) == 0);
				must(sendto(sink, buf, len, 0,
				    (struct sockaddr *)&up, uplen) ==
				    (ssize_t)len);
				from_retired(r);
			}
			break;
		case 5:		/* a minute passes: held sockets close */
			{
				fd_set readable;
				int nfds = 0;

				FD_ZERO(&readable);
				for (int k = 0; k < MAX_CLIENTS; k++)
					if (retired[k].used && data[i + 1] % 2)
						retired[k].until =
						    (struct timespec){ 0 };
				(void)hold_retired(&readable, &nfds);
				for (int k = 0; k < MAX_CLIENTS; k++)
					must(!retired[k].used ||
					    FD_ISSET(retired[k].fd, &readable));
			}
			break;
		default:	/* a second passes: the held go too */
			for (int k = 0; k < MAX_CLIENTS; k++) {
				if (!clients[k].used)
					continue;
				for (int dir = UP; dir <= DOWN; dir++) {
					struct flow *f = &clients[k].flow[dir];

					f->held_until = (struct timespec){ 0 };
					(void)flush(&clients[k], dir);
				}
			}
			break;
		}
		check_table();
		out[UP] += drain(sink);
		for (int k = 0; k < SENDERS; k++)
			out[DOWN] += drain(sender[k]);
		/* No more copies out than came in, less the lost, plus the
		 * duplicates. */
		for (int dir = UP; dir <= DOWN; dir++)
			must(out[dir] <= (long)(directions[dir].count -
			    directions[dir].dropped +
			    directions[dir].duplicated));
	}
	return 0;
}
