/*
 * checked-client - send each message as its own datagram, and take as its
 * reply only a datagram from the address and port it was sent to.
 *
 * Lab 03, "Who answered?".  recvfrom() returns the first datagram that
 * arrives on our port, from anyone: a stranger who learns the port can
 * answer before the server does.  Like Stevens' dgcliaddr.c, this client
 * looks at the source recvfrom() fills in and reports every datagram that
 * is not from the server, then goes on waiting, on the deadline it fixed
 * when it sent (lesson 05), so a stranger's stream cannot keep it waiting.
 *
 *   usage: checked-client [-t milliseconds] host port message...
 *          checked-client [-t milliseconds] host port -
 *
 * With "-", each line of standard input (without its newline) is a
 * message.  Exits 0 if every message got its reply, 1 if any did not.
 *
 * Options come before the host.  With -D_POSIX_C_SOURCE (and no
 * _GNU_SOURCE), glibc's getopt() is the POSIX one, which stops at the
 * first argument that is not an option, so a message may start with "-".
 * GNU getopt would go looking for options among the messages.
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
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
	fprintf(stderr, "usage: checked-client [-t milliseconds] "
	    "host port message...\n"
	    "       checked-client [-t milliseconds] host port -\n");
	exit(2);
}

/*
 * Did this datagram come from the server?  Returns 1 if from has the same
 * family, address and port as server, the address we sent to.
 *
 * We compare those fields by name, not the whole structures with memcmp:
 * sockaddr_in has padding (sin_zero) that nobody promises to zero, and
 * sockaddr_in6 carries sin6_flowinfo, a label the sender may set as it
 * likes.  Its sin6_scope_id does count: fe80::1 on one link and fe80::1
 * on another are two different hosts.  from is filled in by the kernel in
 * our socket's family, which we took from the server's address, so a real
 * reply always has the family we compare against.
 */
static int
from_server(const struct sockaddr_storage *from, const struct sockaddr *server)
{
	if (from->ss_family != server->sa_family)
		return 0;
	if (server->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)from;
		const struct sockaddr_in *b =
		    (const struct sockaddr_in *)server;

		return a->sin_port == b->sin_port &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (server->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a =
		    (const struct sockaddr_in6 *)from;
		const struct sockaddr_in6 *b =
		    (const struct sockaddr_in6 *)server;

		return a->sin6_port == b->sin6_port &&
		    a->sin6_scope_id == b->sin6_scope_id &&
		    memcmp(&a->sin6_addr, &b->sin6_addr,
		    sizeof(a->sin6_addr)) == 0;
	}
	return 0;
}

/*
 * Print one datagram's line: "WHAT N bytes from ADDR port P: "bytes"".
 *
 * printf says when stdout fails (a full disk, a closed pipe) by returning
 * a negative number, and net_print_escaped by returning -1.  Unchecked,
 * the client would exit 0 with its report cut short, so every line of
 * output is checked.
 */
static void
print_datagram(const char *what, const unsigned char *buf, ssize_t n,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	struct net_addrstr peer;
	int gaierr;

	gaierr = net_addrstr((const struct sockaddr *)from, fromlen, &peer);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));
	if (printf("%s %zd bytes from %s port %s: \"", what, n, peer.host,
	    peer.port) < 0 ||
	    net_print_escaped(stdout, buf, (size_t)n) == -1 ||
	    printf("\"\n") < 0)
		err(1, "stdout");
}

/*
 * Send one message to the server and wait for its reply until timeout_ms
 * after sending.  Returns 1 if the reply came, 0 if it did not.
 */
static int
ask(int fd, const struct addrinfo *server, const struct net_addrstr *to,
    const void *message, size_t len, long timeout_ms)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct timespec deadline;
	ssize_t sent;

	sent = sendto(fd, message, len, 0, server->ai_addr,
	    server->ai_addrlen);
	if (sent == -1)
		err(1, "sendto %s port %s", to->host, to->port);
	/* A datagram goes whole or not at all; anything else is a bug. */
	if ((size_t)sent != len)
		errx(1, "sendto: sent %zd of %zu bytes", sent, len);
	if (printf("sent %zd bytes to %s port %s\n", sent, to->host,
	    to->port) < 0)
		err(1, "stdout");

	/*
	 * One deadline for this message, fixed now and never moved: a
	 * stranger's datagram wakes us early, and we go back to wait for
	 * what is left, not for the whole timeout again.
	 */
	if (net_deadline(timeout_ms, &deadline) == -1)
		err(1, "clock_gettime");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct sockaddr_storage from;
		socklen_t fromlen;
		int left = net_ms_left(&deadline);
		int ready;
		ssize_t n;

		if (left == 0)
			break;
		ready = poll(&pfd, 1, left);
		if (ready == -1 && errno == EINTR)
			continue;
		if (ready == -1)
			err(1, "poll");
		if (ready == 0)
			break;
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (n == -1)
			err(1, "recvfrom");
		if (!from_server(&from, server->ai_addr)) {
			print_datagram("ignored", buf, n, &from, fromlen);
			continue;
		}
		print_datagram("received", buf, n, &from, fromlen);
		return 1;
	}
	if (printf("no reply within %ld ms\n", timeout_ms) < 0)
		err(1, "stdout");
	return 0;
}

int
main(int argc, char *argv[])
{
	long timeout_ms = 1000;
	long port;
	struct addrinfo *ai;
	struct net_addrstr to;
	int gaierr;
	int fd;
	int ch;
	int unanswered = 0;

	/*
	 * Started with stdin closed ("checked-client host port - <&-"), our
	 * socket would be descriptor 0, and "-" would read our own socket:
	 * the standard descriptors are made open before anything is opened.
	 */
	if (net_open_std_fds() == -1)
		err(1, "/dev/null");
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
	if (argc < 3)
		usage();
	if (net_parse_number(argv[1], 1, 65535, &port) == -1) {
		warnx("port must be a number from 1 to 65535: %s", argv[1]);
		usage();
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0 && argc != 3) {
			warnx("\"-\" (read standard input) must be the only "
			    "message");
			usage();
		}
	}

	/*
	 * The first address only, for the reason lesson 03 gives.  A name
	 * that does not resolve is reported under the name itself:
	 * "checked-client: nosuch.example: Name or service not known" tells
	 * the user more than "getaddrinfo: ..." would.
	 */
	gaierr = net_resolve(argv[0], (uint16_t)port, 0, &ai);
	if (gaierr != 0)
		errx(1, "%s: %s", argv[0], gai_strerror(gaierr));
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1)
		err(1, "socket");
	gaierr = net_addrstr(ai->ai_addr, ai->ai_addrlen, &to);
	if (gaierr != 0)
		errx(1, "getnameinfo: %s", gai_strerror(gaierr));

	if (strcmp(argv[2], "-") == 0) {
		char *line = NULL;
		size_t cap = 0;

		/*
		 * getline returns the line's length, which is the truth:
		 * strlen would stop at a NUL byte inside the line.
		 */
		for (;;) {
			ssize_t len = getline(&line, &cap, stdin);

			if (len == -1)
				break;
			if (len > 0 && line[len - 1] == '\n')
				len--;
			if (!ask(fd, ai, &to, line, (size_t)len, timeout_ms))
				unanswered++;
		}
		if (ferror(stdin))
			err(1, "reading standard input");
		free(line);
	} else {
		for (int i = 2; i < argc; i++) {
			if (!ask(fd, ai, &to, argv[i], strlen(argv[i]),
			    timeout_ms))
				unanswered++;
		}
	}

	freeaddrinfo(ai);
	if (close(fd) == -1)
		err(1, "close");
	/* exit() would flush too, but could no longer tell anyone it failed. */
	if (fflush(stdout) == EOF)
		err(1, "stdout");
	return unanswered > 0 ? 1 : 0;
}
