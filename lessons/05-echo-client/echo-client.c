/*
 * echo-client - send a message to an echo server, wait for it to come back,
 * but not forever.
 *
 * Lesson 05, the slides' UDPEchoClient.  Datagrams may be lost, and a lost
 * request or a lost reply looks exactly like a server that never answers:
 * the only cure on the client's side is to stop waiting.
 *
 *   usage: echo-client [-t milliseconds] host port [message]
 *
 * Try it against lesson 04, then against a port where nothing listens.
 */
#include <err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

int
main(int argc, char *argv[])
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	/* One option, first if at all: getopt(3) can wait for the labs. */
	const char *t = argc > 2 && strcmp(argv[1], "-t") == 0 ? argv[2] : NULL;
	const char *message;
	long timeout_ms = 1000;
	long port;
	struct net_peer server;
	struct pollfd pfd = { .events = POLLIN };
	char why[NET_WHYLEN];
	int ready;

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Past "-t MS", the arguments are lesson 03's. */
	if (t != NULL) {
		argc -= 2;
		argv += 2;
	}
	if ((t != NULL && net_parse_number(t, 1, 3600000, &timeout_ms) == -1)
	    || (argc != 3 && argc != 4) ||
	    net_parse_number(argv[2], 1, 65535, &port) == -1) {
		fprintf(stderr, "usage: echo-client [-t milliseconds] "
		    "host port [message]\n");
		return 2;
	}
	message = argc == 4 ? argv[3] : "This is the message.";

	/* Lesson 03's getaddrinfo and socket, in one call from net.c. */
	pfd.fd = net_client_socket(argv[1], (uint16_t)port, &server, why,
	    sizeof(why));
	if (pfd.fd == -1)
		errx(1, "%s", why);

	/* The slide prints the message with %s; we print its bytes. */
	printf("sending \"");
	net_print_escaped(stdout, message, strlen(message));
	printf("\"\n");
	if (sendto(pfd.fd, message, strlen(message), 0,
	    (struct sockaddr *)&server.addr, server.len) == -1)
		err(1, "sendto");

	/*
	 * poll() sleeps until the socket has a datagram to read (1) or the
	 * timeout has passed (0).  One poll is all it takes, because any
	 * datagram is the reply.  A client that checks who sent it (lab 03)
	 * must wait again after a stranger's, and a timeout that started
	 * again each time (as SO_RCVTIMEO does with every recvfrom, man 7
	 * socket) would let strangers keep it waiting for ever: it waits to
	 * a fixed deadline instead (net_deadline, net_ms_left).
	 */
	printf("waiting to receive ...\n");
	ready = poll(&pfd, 1, (int)timeout_ms);
	if (ready == -1)
		err(1, "poll");
	if (ready == 1) {
		ssize_t n = recvfrom(pfd.fd, buf, sizeof(buf), 0, NULL, NULL);

		if (n == -1)
			err(1, "recvfrom");
		printf("received \"");
		net_print_escaped(stdout, buf, (size_t)n);
		printf("\"\n");
	} else {
		warnx("no reply within %ld ms", timeout_ms);
	}

	/* The slide's finally; where err() ends us, exit() closes it. */
	printf("closing socket\n");
	close(pfd.fd);
	/* A reply we could not show is no success (lesson 03 says why). */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return ready == 1 ? 0 : 1;
}
