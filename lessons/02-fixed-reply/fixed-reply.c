/*
 * fixed-reply - a UDP server that answers every datagram the same way.
 *
 * Lesson 02.  recvfrom() tells us who sent each datagram; sendto() to that
 * address is the whole of "replying".  No connection is established: every
 * datagram stands alone, and the next one may come from someone else.
 *
 *   usage: fixed-reply [host] port
 *
 * Try it: run "fixed-reply 10000", then "nc -u 127.0.0.1 10000", type a line.
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/*
 * The slide's reply.  A datagram carries bytes, not a C string, so we send
 * its 16 characters and no terminating NUL: sizeof(REPLY) - 1.
 */
static const char REPLY[] = "Get off my lawn!";

/* We never look inside the request; its length is all we print. */
#define BUFSIZE 4096

static void
usage(void)
{
	fprintf(stderr, "usage: fixed-reply [host] port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *host = NULL;
	long port;
	struct addrinfo *ai;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct net_addrstr me;
	int gaierr;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc == 3)
		host = argv[1];
	else if (argc != 2)
		usage();
	if (net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		warnx("port must be a number from 0 to 65535: %s",
		    argv[argc - 1]);
		usage();
	}

	/* The same start as lesson 01: one socket, bound to one address. */
	gaierr = net_resolve(host, (uint16_t)port, NET_PASSIVE, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", host ? host : "::", gai_strerror(gaierr));
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	if (ai->ai_family == AF_INET6) {
		int off = 0;

		/* Both families on one socket, as in lesson 01. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off)) == -1)
			err(1, "setsockopt IPV6_V6ONLY");
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		err(1, "bind");
	freeaddrinfo(ai);

	/*
	 * Catch SIGINT and SIGTERM before we announce ourselves: whoever
	 * reads our first line may signal us at once.
	 */
	if (net_catch_stop_signals() == -1)
		err(1, "sigaction");

	addrlen = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) == -1)
		err(1, "getsockname");
	gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &me);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	printf("listening on %s port %s\n", me.host, me.port);

	for (;;) {
		unsigned char buf[BUFSIZE];
		struct net_addrstr peer;
		ssize_t n;
		ssize_t sent;
		int ready;

		ready = net_wait_or_stop(fd);
		if (ready == -1)
			err(1, "pselect");
		if (ready == 0)
			break;

		/* MSG_TRUNC: the request's real length, even past buf. */
		addrlen = sizeof(addr);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &peer);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));

		/*
		 * Reply to the address recvfrom() filled in: that is all a
		 * UDP server knows of its client.  A datagram goes whole or
		 * not at all, so a short count would be a kernel bug; we check
		 * anyway, as Stevens' Sendto() does.  One failed reply is that
		 * client's problem, not a reason to stop serving the others.
		 */
		sent = sendto(fd, REPLY, sizeof(REPLY) - 1, 0,
		    (struct sockaddr *)&addr, addrlen);
		if (sent == -1) {
			warn("sendto %s port %s", peer.host, peer.port);
			continue;
		}
		if ((size_t)sent != sizeof(REPLY) - 1)
			errx(1, "sendto: sent %zd of %zu bytes", sent,
			    sizeof(REPLY) - 1);
		printf("%s port %s sent %zd bytes, replied \"%s\"\n",
		    peer.host, peer.port, n, REPLY);
	}

	close(fd);
	return 0;
}
