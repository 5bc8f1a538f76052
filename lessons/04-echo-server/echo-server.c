/*
 * echo-server - send every datagram back to whoever sent it.
 *
 * Lesson 04, the slides' UDPEchoServer.  The reply is the request, byte for
 * byte, of any length the network carries, so the buffer is the largest
 * datagram, not the slide's 4096: recvfrom() would cut anything longer.
 *
 *   usage: echo-server [host] port
 *
 * Try it: "echo-server 10000", and lesson 05's echo-client against it.
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static void
usage(void)
{
	fprintf(stderr, "usage: echo-server [host] port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	/* Static: 64 KiB is a lot for a stack frame on small systems. */
	static unsigned char buf[NET_MAX_DATAGRAM];
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

	/* One socket, bound to one address, both families: lesson 01. */
	gaierr = net_resolve(host, (uint16_t)port, NET_PASSIVE, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", host ? host : "::", gai_strerror(gaierr));
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	if (ai->ai_family == AF_INET6) {
		int off = 0;

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

	/* The slide prints the address it was given; we print the one we
	 * got. */
	addrlen = sizeof(addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) == -1)
		err(1, "getsockname");
	gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &me);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	printf("starting up on %s port %s\n", me.host, me.port);

	for (;;) {
		struct net_addrstr peer;
		ssize_t n;
		ssize_t sent;
		int ready;

		printf("Waiting to receive message\n");
		ready = net_wait_or_stop(fd);
		if (ready == -1)
			err(1, "pselect");
		if (ready == 0)
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
		printf("received %zd bytes from %s port %s: \"", n, peer.host,
		    peer.port);
		net_print_escaped(stdout, buf, (size_t)n);
		printf("\"\n");

		/*
		 * The slide's "if data:" skips empty datagrams, because in
		 * Python an empty read means end of file.  Not here: UDP has
		 * no end of file, and a 0-byte datagram is a datagram like
		 * any other, so it is echoed too.
		 */
		sent = sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&addr,
		    addrlen);
		if (sent == -1) {
			warn("sendto %s port %s", peer.host, peer.port);
			continue;
		}
		if (sent != n)
			errx(1, "sendto: sent %zd of %zd bytes", sent, n);
		printf("sent %zd bytes back to %s port %s\n", sent, peer.host,
		    peer.port);
	}

	close(fd);
	return 0;
}
