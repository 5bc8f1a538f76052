/*
 * echo-client - send a message to an echo server, wait for it to come back,
 * but not forever.
 *
 * Lesson 05, the slides' UDPEchoClient.  Datagrams may be lost, and a lost
 * request or a lost reply looks exactly like a server that never answers:
 * the only cure on the client's side is to stop waiting.  The slide's
 * try/finally becomes explicit cleanup on the way out; where err() ends
 * the program instead, exit closes every descriptor for us.
 *
 *   usage: echo-client [-t milliseconds] host port [message]
 *
 * Try it against lesson 04, then against a port where nothing listens.
 */
#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: echo-client [-t milliseconds] host port [message]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	const char *message = "This is the message.";
	long timeout_ms = 1000;
	long port;
	struct addrinfo *ai;
	struct timespec deadline;
	int gaierr;
	int status = 0;
	int fd;
	int ch;
	ssize_t sent;
	ssize_t n = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "t:");
		if (ch == -1)
			break;
		switch (ch) {
		case 't':
			if (net_parse_number(optarg, 1, 3600000,
			    &timeout_ms) == -1) {
				warnx("timeout must be 1 to 3600000 "
				    "milliseconds: %s", optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 && argc != 3)
		usage();
	if (net_parse_number(argv[1], 1, 65535, &port) == -1) {
		warnx("port must be a number from 1 to 65535: %s", argv[1]);
		usage();
	}
	if (argc == 3)
		message = argv[2];

	/* The first address only, for the reason lesson 03 gives. */
	gaierr = net_resolve(argv[0], (uint16_t)port, 0, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", argv[0], gai_strerror(gaierr));
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");

	/* The slide prints the message with %s; we print its bytes. */
	printf("sending \"");
	net_print_escaped(stdout, message, strlen(message));
	printf("\"\n");
	sent = sendto(fd, message, strlen(message), 0, ai->ai_addr,
	    ai->ai_addrlen);
	if (sent == -1)
		err(1, "sendto");
	freeaddrinfo(ai);

	/*
	 * Wait with poll() for a deadline fixed now, on the monotonic clock.
	 * SO_RCVTIMEO would be simpler, but its timeout starts again with
	 * every recvfrom(), so a client that loops past stray datagrams
	 * could wait forever.  Here, whatever wakes us early (a signal, a
	 * datagram dropped for a bad checksum between poll and recvfrom), the
	 * whole wait never exceeds what was asked.
	 */
	printf("waiting to receive ...\n");
	if (net_deadline(timeout_ms, &deadline) == -1)
		err(1, "clock_gettime");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = net_ms_left(&deadline);
		int ready;

		if (left == 0)
			break;
		ready = poll(&pfd, 1, left);
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			err(1, "poll");
		if (ready == 0)
			break;
		/* Any sender's datagram is taken: lab 03 checks who it is. */
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, NULL, NULL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		break;
	}

	if (n == -1) {
		warnx("no reply within %ld ms", timeout_ms);
		status = 1;
	} else {
		printf("received \"");
		net_print_escaped(stdout, buf, (size_t)n);
		printf("\"\n");
	}

	printf("closing socket\n");
	close(fd);
	return status;
}
