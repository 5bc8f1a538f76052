/*
 * bare-server - a simple datagram server: print every datagram that arrives.
 *
 * Lesson 01, the slide's server less its reply (lesson 02 adds that): a
 * socket(), a bind(), and recvfrom() in a loop.  No listen(), no accept(),
 * no connection.  Each recvfrom() returns one whole datagram, from
 * whoever sent it, with their address.
 *
 *   usage: bare-server [host] port
 *
 * Try it: run "bare-server 10000", then in another terminal
 * "nc -u 127.0.0.1 10000" and type a line.  Ctrl-C ends the server.
 */
#include <err.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "net.h"

int
main(int argc, char *argv[])
{
	const char *host = argc == 3 ? argv[1] : NULL;
	const char *port;
	/*
	 * What we want of getaddrinfo: SOCK_DGRAM, UDP.  AI_PASSIVE, an
	 * address to bind(), where no host means every address; without a
	 * host we ask for IPv6's "::" alone: a plain AI_PASSIVE lists IPv4's
	 * 0.0.0.0 first, and we bind only the first address, while "::"
	 * takes both families (see IPV6_V6ONLY below).  AI_NUMERICSERV: the
	 * port is a number, so /etc/services is not searched.
	 */
	struct addrinfo hints = { .ai_family = host ? AF_UNSPEC : AF_INET6,
	    .ai_socktype = SOCK_DGRAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai;
	struct sockaddr_storage addr;	/* room for any family's address */
	socklen_t addrlen = sizeof(addr);
	struct net_addrstr name;	/* an address and port, as text */
	int off = 0;
	int gaierr;
	int fd;

	/* Lines appear as they are printed, even when stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* We check the port: some getaddrinfo()s cut "99999" to 34463. */
	if ((argc != 2 && argc != 3) ||
	    net_parse_number(argv[argc - 1], 0, 65535, NULL) == -1) {
		fprintf(stderr, "usage: bare-server [host] port\n");
		return 2;
	}
	port = argv[argc - 1];

	/* Host and port become socket addresses, ready for socket(). */
	gaierr = getaddrinfo(host, port, &hints, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", host ? host : "::", gai_strerror(gaierr));

	/* A name may have several addresses; a socket binds the first. */
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	/*
	 * With IPV6_V6ONLY off an IPv6 socket takes IPv4 too, its senders
	 * shown as mapped addresses (::ffff:127.0.0.1).  Linux defaults to
	 * off, BSD and Windows to on, and a sysctl may change it: say it.
	 */
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1)
		err(1, "setsockopt IPV6_V6ONLY");
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		err(1, "bind");
	freeaddrinfo(ai);

	/* Port 0 asks the kernel to choose; getsockname() says what it did. */
	if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) == -1)
		err(1, "getsockname");
	gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &name);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	printf("listening on %s port %s\n", name.host, name.port);

	/*
	 * No way out of this loop, and none is needed: Ctrl-C (SIGINT) or
	 * kill (SIGTERM) ends the process, and the kernel closes its socket.
	 * (A script's "bare-server 10000 &" starts it with SIGINT ignored:
	 * there, use kill.)  Lesson 06 stops on purpose, to save something.
	 */
	for (;;) {
		/*
		 * The slide's "maxsize", small on purpose: a datagram longer
		 * than buf does not wait for a second recvfrom() as a TCP
		 * stream would; its tail is thrown away.  Send it 5000 bytes
		 * and see.
		 */
		unsigned char buf[4096];
		ssize_t n;

		/*
		 * addrlen goes in as addr's size and comes out as the
		 * sender's.  MSG_TRUNC makes Linux return the datagram's
		 * real length even past buf (elsewhere, recvmsg() only sets
		 * a flag to say it was cut).
		 */
		addrlen = sizeof(addr);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&addr, &addrlen);
		if (n == -1)
			err(1, "recvfrom");
		gaierr = net_addrstr((struct sockaddr *)&addr, addrlen, &name);
		if (gaierr != 0)
			errx(1, "getnameinfo: %s", gai_strerror(gaierr));
		printf("%s port %s sent %zd bytes", name.host, name.port, n);
		if ((size_t)n > sizeof(buf))
			printf(", truncated to %zu", sizeof(buf));
		/* Only the bytes received, escaped: it is not a C string. */
		printf(": \"");
		net_print_escaped(stdout, buf, (size_t)n > sizeof(buf) ?
		    sizeof(buf) : (size_t)n);
		printf("\"\n");
	}
}
