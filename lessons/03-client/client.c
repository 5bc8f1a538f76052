/*
 * client - send one datagram to a server and print the reply.
 *
 * Lesson 03.  The key concept: no connection.  The client makes a socket
 * and sends a datagram to an address, and the kernel picks a free port to
 * send it from, so the server has an address to reply to.
 *
 *   usage: client host port [message]
 *
 * Try it against lesson 02: "client 127.0.0.1 10000".  Then stop the
 * server and try again: the client waits forever, because a lost datagram
 * and a silent server look the same.  Lesson 05 adds a timeout.
 */
#include <err.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

static void
usage(void)
{
	fprintf(stderr, "usage: client host port [message]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *message = argc == 4 ? argv[3] : "Hello World";
	/* Not AI_PASSIVE: an address to send to.  Either family will do. */
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	/* Static: big enough for any datagram, too big for some stacks. */
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	struct net_addrstr name;
	int gaierr;
	int fd;
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((argc != 3 && argc != 4) ||
	    net_parse_number(argv[2], 1, 65535, NULL) == -1)
		usage();

	gaierr = getaddrinfo(argv[1], argv[2], &hints, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", argv[1], gai_strerror(gaierr));
	/*
	 * A name can have several addresses ("localhost" is often ::1 and
	 * 127.0.0.1).  We send to the first, the one getaddrinfo prefers,
	 * and only to it: an unconnected socket is never told that nobody
	 * listens there (the ICMP "port unreachable" is reported to
	 * connected sockets only), so we could not know to try the next.
	 */
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	gaierr = net_addrstr(ai->ai_addr, ai->ai_addrlen, &name);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));

	/* No bind(): the first sendto() binds us to a port of the kernel's. */
	n = sendto(fd, message, strlen(message), 0, ai->ai_addr,
	    ai->ai_addrlen);
	if (n == -1)
		err(1, "sendto %s port %s", name.host, name.port);
	freeaddrinfo(ai);
	/* The message's bytes, without the NUL that ends the C string. */
	printf("sent %zd bytes to %s port %s\n", n, name.host, name.port);

	/*
	 * Like the slide, wait as long as it takes.  recvfrom() takes the
	 * first datagram that arrives on our port, from anyone: lab 03 checks
	 * that the reply really comes from the server.
	 */
	n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
	    &fromlen);
	if (n == -1)
		err(1, "recvfrom");
	gaierr = net_addrstr((struct sockaddr *)&from, fromlen, &name);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	printf("received %zd bytes from %s port %s: \"", n, name.host,
	    name.port);
	net_print_escaped(stdout, buf, (size_t)n);
	printf("\"\n");
	/*
	 * A failed write (a full disk) sets the stream's error flag, and it
	 * stays set: one check at the end catches every printf() above.  A
	 * reply we could not show is a failure.
	 */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
