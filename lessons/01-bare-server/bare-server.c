/*
 * bare-server - a simple datagram server: print every datagram that arrives.
 *
 * Lesson 01.  The slide's whole server is socket(), bind(), and recvfrom()
 * in a loop: no listen(), no accept(), no connection.  Each recvfrom()
 * returns one whole datagram, from whoever sent it, with their address.
 *
 *   usage: bare-server [host] port
 *
 * Try it: run "bare-server 10000", then in another terminal
 * "nc -u 127.0.0.1 10000" and type a line.
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
 * The slide's "maxsize", kept small on purpose: a datagram larger than the
 * buffer does not wait for a second recvfrom() the way a TCP stream would.
 * Its tail is thrown away.  Send this server 5000 bytes and watch.
 */
#define BUFSIZE 4096

static void
usage(void)
{
	fprintf(stderr, "usage: bare-server [host] port\n");
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

	/* Lines appear as they are printed, even when stdout is a pipe. */
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

	/* No host: the wildcard "::", every address of both families. */
	gaierr = net_resolve(host, (uint16_t)port, NET_PASSIVE, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", host ? host : "::", gai_strerror(gaierr));

	/*
	 * SOCK_DGRAM is UDP.  A name may resolve to several addresses; a
	 * socket binds one, so we take the first, the one getaddrinfo
	 * prefers.  Give a numeric host to choose another.
	 */
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");

	/*
	 * An IPv6 socket with IPV6_V6ONLY off also receives IPv4, its
	 * senders shown as IPv4-mapped addresses: 127.0.0.1 prints as
	 * ::ffff:127.0.0.1.  Linux defaults to off, but BSD and Windows to
	 * on, so we say what we want.
	 */
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

	/* Port 0 asks the kernel to choose; getsockname() says what it
	 * chose. */
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
		int ready;

		/* Sleeps until a datagram or SIGINT/SIGTERM (see net.c). */
		ready = net_wait_or_stop(fd);
		if (ready == -1)
			err(1, "pselect");
		if (ready == 0)
			break;

		/*
		 * sockaddr_storage fits any family's address; addrlen goes in
		 * as its size and comes out as the sender's.  MSG_TRUNC makes
		 * Linux return the datagram's real length even when it was
		 * longer than buf (elsewhere, only recvmsg()'s msg_flags says
		 * that it was cut).  MSG_DONTWAIT because a datagram pselect()
		 * saw may be gone (dropped for a bad checksum) by now.
		 */
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
		printf("%s port %s sent %zd bytes", peer.host, peer.port, n);
		if ((size_t)n > sizeof(buf)) {
			printf(", truncated to %zu", sizeof(buf));
			n = sizeof(buf);
		}
		/* Only the n bytes received, escaped: it is not a C string. */
		printf(": \"");
		net_print_escaped(stdout, buf, (size_t)n);
		printf("\"\n");
	}

	close(fd);
	return 0;
}
