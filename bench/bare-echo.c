/*
 * bare-echo - the least an echo server can do: recvfrom, sendto, repeat.
 *
 * The benchmark's yardstick for lesson 04's "echo-server -q": no options,
 * no logging, no checks beyond the calls' results.  If lesson 04 -q is
 * as fast as this, its extra lines cost nothing in the loop.
 *
 *   usage: bare-echo port
 */
#include <err.h>
#include <stdio.h>
#include <sys/socket.h>

#include "net.h"

int
main(int argc, char *argv[])
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct net_addrstr name;
	char why[NET_WHYLEN];
	long port;
	int fd;

	if (argc != 2 || net_parse_number(argv[1], 0, 65535, &port) == -1) {
		fprintf(stderr, "usage: bare-echo port\n");
		return 2;
	}
	fd = net_server_socket("127.0.0.1", (uint16_t)port, &name, why,
	    sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("bare-echo on %s port %s\n", name.host, name.port);
	if (fflush(stdout) == EOF)
		err(1, "stdout");

	for (;;) {
		struct sockaddr_storage addr;
		socklen_t addrlen = sizeof(addr);
		ssize_t n;

		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&addr,
		    &addrlen);
		if (n == -1)
			err(1, "recvfrom");
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&addr,
		    addrlen) == -1)
			warn("sendto");
	}
}
