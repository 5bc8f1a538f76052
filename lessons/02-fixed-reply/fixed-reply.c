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
#include <stdio.h>
#include <sys/socket.h>

#include "net.h"

/*
 * The slide's reply.  A datagram carries bytes, not a C string, so we send
 * its 16 characters and no terminating NUL: sizeof(REPLY) - 1.
 */
static const char REPLY[] = "Get off my lawn!";

int
main(int argc, char *argv[])
{
	long port;
	struct net_addrstr name;
	char why[NET_WHYLEN];
	int gaierr;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if ((argc != 2 && argc != 3) ||
	    net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		fprintf(stderr, "usage: fixed-reply [host] port\n");
		return 2;
	}

	/*
	 * Lesson 01's start, in one call from net.c: getaddrinfo, socket,
	 * IPV6_V6ONLY off, bind, getsockname.  It never prints; on failure
	 * it says which call failed and why, and we decide to die of it.
	 */
	fd = net_server_socket(argc == 3 ? argv[1] : NULL, (uint16_t)port,
	    &name, why, sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("listening on %s port %s\n", name.host, name.port);

	for (;;) {
		/* We never look inside a request; its length is all we use. */
		unsigned char buf[4096];
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		ssize_t n;

		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1)
			err(1, "recvfrom");
		gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &name);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));

		/*
		 * Reply to the address recvfrom() filled in: that is all a
		 * UDP server knows of its client.  A datagram goes whole or
		 * fails (EMSGSIZE), so there is no short count to check.  One
		 * failed reply is that client's problem, not a reason to
		 * stop serving the others: warn, and go on.
		 */
		if (sendto(fd, REPLY, sizeof(REPLY) - 1, 0,
		    (struct sockaddr *)&addr, addrlen) == -1) {
			warn("sendto %s port %s", name.host, name.port);
			continue;
		}
		printf("%s port %s sent %zd bytes, replied \"%s\"\n",
		    name.host, name.port, n, REPLY);
	}
}
