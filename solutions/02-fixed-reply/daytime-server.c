/*
 * daytime-server - answer every datagram with the current date and time.
 *
 * Lab 02, a solution: the Daytime Protocol of RFC 867 over UDP.  Like
 * lesson 02 it answers whoever sent each datagram, whatever the datagram
 * holds; the reply is the time in UTC, "2026-11-24T14:36:13Z" and CR LF,
 * or with -m TEXT a fixed text, as lesson 02 did.
 *
 *   usage: daytime-server [-m text] [host] port
 *
 * Try it: "daytime-server 10013", then "echo | nc -u -w 1 127.0.0.1 10013".
 */
#include <err.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/*
 * RFC 3339's form of ISO 8601 in UTC, which sorts as text and means the
 * same everywhere; RFC 867 leaves the format open, but asks for printable
 * ASCII and ends its lines with CR LF, as the Internet's text protocols do.
 */
#define STAMP_FORMAT "%Y-%m-%dT%H:%M:%SZ\r\n"

/* We never look inside the request; MSG_TRUNC tells its whole length
 * (passed in, that flag is Linux's: recv(2)). */
#define BUFSIZE 512

static void
usage(void)
{
	fprintf(stderr, "usage: daytime-server [-m text] [host] port\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *host = NULL;
	const char *text = NULL;
	size_t textlen = 0;
	char stamp[32];
	long port;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct net_addrstr me;
	char why[NET_WHYLEN];
	int gaierr;
	int fd;
	int ch;

	setvbuf(stdout, NULL, _IOLBF, 0);

	for (;;) {
		ch = getopt(argc, argv, "m:");
		if (ch == -1)
			break;
		switch (ch) {
		case 'm':
			/* The bytes of the text, without the NUL that ends
			 * the C string; more would not fit a datagram to an
			 * IPv4 client. */
			text = optarg;
			textlen = strlen(text);
			if (textlen > NET_MAX_UDP4) {
				warnx("text must be at most %d bytes, not %zu",
				    NET_MAX_UDP4, textlen);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2)
		host = argv[0];
	else if (argc != 1)
		usage();
	if (net_parse_number(argv[argc - 1], 0, 65535, &port) == -1) {
		warnx("port must be a number from 0 to 65535: %s",
		    argv[argc - 1]);
		usage();
	}

	/*
	 * Catch SIGINT and SIGTERM before we announce ourselves: whoever
	 * reads our first line may signal us at once (lesson 06 says why
	 * the catching and the waiting are done this way).
	 */
	if (net_catch_stop_signals() == -1)
		err(1, "sigaction");
	/* Lesson 02's socket: one address, both families; errors named. */
	fd = net_server_socket(host, (uint16_t)port, &me, why, sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("listening on %s port %s\n", me.host, me.port);

	for (;;) {
		unsigned char buf[BUFSIZE];
		struct net_addrstr peer;
		const char *reply;
		size_t replylen;
		ssize_t n;
		ssize_t sent;
		int ready;

		ready = net_wait_or_stop(fd);
		if (ready == -1)
			err(1, "pselect");
		if (ready == NET_STOPPED)
			break;

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

		if (text != NULL) {
			reply = text;
			replylen = textlen;
		} else {
			/*
			 * gmtime_r, not localtime_r: the server's time zone
			 * means nothing to a client elsewhere.  strftime
			 * returns the length it wrote; the rest of stamp is
			 * not part of the reply.
			 */
			time_t now = time(NULL);
			struct tm tm;

			if (now == (time_t)-1)
				err(1, "time");
			if (gmtime_r(&now, &tm) == NULL)
				err(1, "gmtime_r");
			replylen = strftime(stamp, sizeof(stamp), STAMP_FORMAT,
			    &tm);
			if (replylen == 0)
				errx(1, "strftime: the date does not fit");
			reply = stamp;
		}

		/*
		 * Every datagram gets its answer, an empty one too: UDP has
		 * no end of file, whatever Python's "if data:" suggests.
		 */
		sent = sendto(fd, reply, replylen, 0, (struct sockaddr *)&addr,
		    addrlen);
		/* One failed reply is that client's loss, not the
		 * server's: say so, and serve the next. */
		if (sent == -1) {
			warn("sendto %s port %s", peer.host, peer.port);
			continue;
		}
		if ((size_t)sent != replylen)
			errx(1, "sendto: sent %zd of %zu bytes", sent,
			    replylen);
		printf("%s port %s sent %zd bytes, replied %zd bytes: \"",
		    peer.host, peer.port, n, sent);
		net_print_escaped(stdout, reply, replylen);
		printf("\"\n");
	}

	if (close(fd) == -1)
		err(1, "close");

	/*
	 * Line buffering wrote each line as it was printed.  A write that
	 * failed then, to a full disk say (try "> /dev/full"), may leave
	 * nothing for fflush() to retry (glibc drops the bytes), only the
	 * stream's error flag, which ferror() reads.  Without this check the
	 * server would exit 0 with its log cut short.
	 */
	if (fflush(stdout) == EOF || ferror(stdout))
		errx(1, "stdout: a write failed");
	return 0;
}
