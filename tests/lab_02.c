/*
 * Lab 02, daytime-server: every datagram, whatever it holds, answered with
 * the time in UTC as "YYYY-MM-DDTHH:MM:SSZ" and CR LF, or with -m TEXT
 * with exactly TEXT's bytes; each reply logged with its requester.
 *
 * The server runs in a time zone 5:30 east of UTC, so that local time
 * cannot pass for UTC, and its replies are held to the test's own clock
 * with a margin of MARGIN seconds either side.  A few tests also stop the
 * server's clock at chosen instants with libfaketime, because some wrong
 * formats are right most of the time: %I (12-hour clock) from 01:00 to
 * 11:59, %k and %l (hour padded with a space) from 10:00, %e (day padded
 * with a space) from the 10th of the month, so the test's own clock would
 * catch them only on some runs.
 *
 * Some tests need what the test's own network cannot give: a sysctl
 * (net.ipv6.bindv6only=1), two links with the same link-local address, a
 * raw socket to send from port 0 (a reply there cannot be sent), a port
 * no one else may hold.  They run this same runner again inside a user
 * and network namespace of its own (h_rerun_in_netns), where the tests
 * of suite daytime_server_netns run; elsewhere those skip.
 *
 * tests/lab_02.rules.md lists LAB.md's rules, the test of each, and the
 * wrong solution (tests/wrong/02-fixed-reply) that proves it catches it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(daytime_server, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

#define USAGE "usage: daytime-server [-m text] [host] port"

/* A POSIX TZ value that needs no time zone files: UTC+5:30. */
#define SERVER_TZ "LAB-5:30"
/* How far east of UTC that is, in seconds (it has no summer time). */
#define SERVER_EAST (5 * 3600 + 30 * 60)

/* Seconds a reply's time may lie outside the test's clock readings. */
#define MARGIN 2

/* The length of "2026-11-24T14:36:13Z\r\n". */
#define STAMP_LEN 22

/*
 * Start the program under test, with -m text unless text is NULL.
 * Criterion runs each test in a process of its own, so TZ set here is
 * the test's and its children's alone.
 */
static struct h_proc *
start(const char *text, const char *host, uint16_t *port)
{
	const char *opts[] = { "-m", text, NULL };

	cr_assert(setenv("TZ", SERVER_TZ, 1) == 0, "setenv");
	return h_server_args(h_lab_program(), text ? opts : NULL, host, port);
}

/* ---------------------------------------------------------------------- */
/* Reading the time in a reply. */

struct stamp {
	int year, mon, day, hour, min, sec;
};

static int
digits(const unsigned char *b, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++)
		v = v * 10 + (b[i] - '0');
	return v;
}

/* Whether b is "dddd-dd-ddTdd:dd:ddZ\r\n"; numbers unchecked. */
static bool
parse_stamp(const unsigned char *b, size_t n, struct stamp *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ\r\n";

	if (n != STAMP_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'd' ? !isdigit(b[i]) : b[i] != shape[i])
			return false;
	}
	s->year = digits(b, 4);
	s->mon = digits(b + 5, 2);
	s->day = digits(b + 8, 2);
	s->hour = digits(b + 11, 2);
	s->min = digits(b + 14, 2);
	s->sec = digits(b + 17, 2);
	return true;
}

static bool
stamp_valid(const struct stamp *s)
{
	return s->mon >= 1 && s->mon <= 12 && s->day >= 1 && s->day <= 31 &&
	    s->hour <= 23 && s->min <= 59 && s->sec <= 60;
}

/* Seconds since 1970 of a UTC date (H. Hinnant's days_from_civil). */
static long long
stamp_epoch(const struct stamp *s, int mon)
{
	long long y = s->year - (mon <= 2);
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 +
	    s->day - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	long long days = era * 146097 + doe - 719468;

	return days * 86400 + s->hour * 3600 + s->min * 60 + s->sec;
}

static void
format_utc(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	cr_assert(gmtime_r(&tt, &tm) != NULL, "gmtime_r");
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether d is the given number of seconds, give or take margin. */
static bool
off_by(long long d, long long seconds, long long margin)
{
	return d >= seconds - margin && d <= seconds + margin;
}

/* The field of "YYYY-MM-DDTHH:MM:SSZ" that byte i of a reply falls in. */
static const char *
field_at(size_t i)
{
	static const char *const names[] = { "year", "year", "year", "year",
		"", "month", "month", "", "day", "day", "", "hour", "hour", "",
		"minute", "minute", "", "second", "second" };

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : "";
}

/*
 * Whether b is "dd-dd-ddTdd:dd:ddZ\r\n": the date with the year in two
 * digits, as %y writes it.
 */
static bool
two_digit_year(const unsigned char *b, size_t n)
{
	static const char shape[] = "dd-dd-ddTdd:dd:ddZ\r\n";

	if (n != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'd' ? !isdigit(b[i]) : b[i] != shape[i])
			return false;
	}
	return true;
}

/*
 * A reply that is not "dddd-dd-ddTdd:dd:ddZ\r\n" fails here, with what
 * the mistake looks like when it is a common one; one that is, is read
 * into s.
 */
static void
check_shape(const unsigned char *b, ssize_t n, const char *esc,
    const char *label, struct stamp *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ\r\n";
	size_t i;

	cr_assert(!(n > STAMP_LEN && parse_stamp(b, STAMP_LEN, s) &&
	    b[STAMP_LEN] == '\0'), "%s: the reply has %zd bytes: the date "
	    "and CR LF, then %zd more from a NUL on (\"%.200s\"): send the "
	    "length strftime() returned, no NUL, not the whole buffer", label,
	    n, n - STAMP_LEN, esc);
	cr_assert(!(n == STAMP_LEN - 1 && b[n - 2] == 'Z' && b[n - 1] == '\n'),
	    "%s: the reply \"%s\" ends in LF alone; the lab's line end is "
	    "CR LF, \"\\r\\n\", as RFC 867 and the Internet's text protocols "
	    "have it", label, esc);
	cr_assert(!two_digit_year(b, (size_t)n), "%s: the reply \"%s\" has "
	    "the year in two digits, as %%y writes it; RFC 3339 writes all "
	    "four, %%Y", label, esc);
	if (parse_stamp(b, (size_t)n, s))
		return;
	for (i = 0; i < (size_t)n && i < STAMP_LEN; i++) {
		if (shape[i] == 'd' ? !isdigit(b[i]) : b[i] != shape[i])
			break;
	}
	cr_assert(!(i < (size_t)n && b[i] == ' ' &&
	    strcmp(field_at(i), "day") == 0), "%s: the reply \"%s\" pads the "
	    "day with a space, as %%e does; RFC 3339 always writes two "
	    "digits, 0-padded: %%d", label, esc);
	cr_assert(!(i < (size_t)n && b[i] == ' ' &&
	    strcmp(field_at(i), "hour") == 0), "%s: the reply \"%s\" pads "
	    "the hour with a space, as %%k and %%l do; RFC 3339 always writes "
	    "two digits, 0-padded, on the 24-hour clock: %%H", label, esc);
	cr_assert_fail("%s: the reply should be the UTC date and time as "
	    "YYYY-MM-DDTHH:MM:SSZ and CR LF, 22 bytes; got %zd bytes: "
	    "\"%.200s\"%s%s%s", label, n, esc,
	    *field_at(i) != '\0' ? " (the first byte out of place is in the "
	    : "", field_at(i), *field_at(i) != '\0' ? ")" : "");
}

/*
 * A reply b of n bytes must be the time in UTC and CR LF, no earlier than
 * the test's clock read before the request and no later than after the
 * reply, margin seconds either side (0 when the server's clock is faked
 * and stopped).  Failures say what the mistake looks like.
 */
static void
check_stamp(const unsigned char *b, ssize_t n, time_t before, time_t after,
    long long margin, const char *label)
{
	char *esc = h_escape(b, n > 0 ? (size_t)n : 0);
	struct stamp s;
	long long t;
	long long d;
	long long r;
	char lo[32];
	char hi[32];
	char clock[128];

	check_shape(b, n, esc, label, &s);

	format_utc(before - margin, lo, sizeof(lo));
	format_utc(after + margin, hi, sizeof(hi));
	t = stamp_epoch(&s, s.mon);
	if (stamp_valid(&s) && t >= before - margin && t <= after + margin) {
		free(esc);
		return;
	}
	if (margin == 0 && before == after)
		snprintf(clock, sizeof(clock), "the server's clock, stopped at "
		    "%s", lo);
	else
		snprintf(clock, sizeof(clock), "the test's clock, %s to %s "
		    "(%lld s to spare either side)", lo, hi, margin);
	/* Diagnoses, most specific first. */
	cr_assert(!(stamp_valid(&s) && t >= 0 && t < 366LL * 86400),
	    "%s: the reply \"%s\" is a time in 1970, not %s: it counts "
	    "the seconds since the machine started, which is what "
	    "CLOCK_MONOTONIC tells (a clock for timeouts, lab 03). The time "
	    "of day is the wall clock: time() or CLOCK_REALTIME", label, esc,
	    clock);
	d = stamp_epoch(&s, s.mon + 1);
	cr_assert(!(s.mon < 12 && d >= before - margin &&
	    d <= after + margin), "%s: the reply \"%s\" is a month early: "
	    "struct tm counts months from 0 (tm_mon is 0 in January), and "
	    "strftime's %%m adds the 1 for you", label, esc);
	cr_assert(stamp_valid(&s), "%s: the reply \"%s\" is no valid date "
	    "and time", label, esc);
	d = t - after;
	cr_assert(!off_by(d, -12 * 3600, margin) &&
	    !off_by(d, 12 * 3600, margin), "%s: the reply \"%s\" is 12 hours "
	    "off %s: %%I and %%l are the 12-hour clock; RFC 3339 counts hours "
	    "00 to 23, %%H", label, esc, clock);
	/* A whole number of half hours off: a time zone's offset. */
	r = (d >= 0 ? d + 900 : d - 900) / 1800 * 1800;
	cr_assert(!(r != 0 && llabs(r) < 15 * 3600 && off_by(d, r, margin)),
	    "%s: the reply \"%s\" is %c%lld:%02lld hours off %s, in UTC: "
	    "the offset of the server's time zone (TZ=" SERVER_TZ " here). "
	    "That is local time, and the lab asks for UTC (gmtime_r, not "
	    "localtime_r)", label, esc, r < 0 ? '-' : '+', llabs(r) / 3600,
	    llabs(r) % 3600 / 60, clock);
	cr_assert_fail("%s: the reply says %s, but that is not %s, in UTC",
	    label, esc, clock);
}

/* ---------------------------------------------------------------------- */
/* One request, its reply, and the log line. */

/*
 * Another client, on the same port as the one asking, that should hear
 * nothing: when the asker gets no reply, the message says whether it went
 * here instead.  -1 when there is none.
 */
static int bystander = -1;

/* A 16-bit port with its two bytes swapped, as htons() or ntohs() do. */
static unsigned
swapped(unsigned port)
{
	return (port >> 8 | port << 8) & 0xffff;
}

/*
 * A log line naming the requester "::", or with a scope the requester has
 * not, read the address from a buffer that recvfrom() filled only in
 * part: the rest is zeros or whatever the stack held.  want: what the
 * line should be, or NULL when only the requester is known.
 */
static void
check_logged_address(const char *line, const char *shown_as,
    const char *want, const char *label)
{
	char host[80];

	if (sscanf(line, "%79s port ", host) != 1 ||
	    strcmp(host, shown_as) == 0)
		return;
	cr_assert(!(strcmp(host, "::") == 0 ||
	    (strchr(host, '%') != NULL && strchr(shown_as, '%') == NULL)),
	    "%s: the server names the requester %s, not %s: the address was "
	    "cut short, and the reply went there too. The address length "
	    "given to recvfrom() must be the size of the whole struct "
	    "sockaddr_storage, set again before each call, and getnameinfo() "
	    "(net_addrstr) and sendto() must get the length recvfrom() "
	    "returned; the line should be\n  %.300s\ngot\n  %.300s", label,
	    host, shown_as, want ? want : shown_as, line);
}

/*
 * The server's next line must be want, the log line for a request of len
 * bytes from shown_as, port from_port.  When it is not, the message names
 * the mistake that the difference looks like.
 */
static void
check_log_line(struct h_proc *srv, const char *want, const char *shown_as,
    unsigned from_port, size_t len, const char *label)
{
	const char *line = h_line(srv, h_ms(3000));
	char host[80];
	unsigned port;
	long long sent;
	size_t bare;

	cr_assert(line != NULL, "%s: the reply should be logged as\n  %.300s\n"
	    "but no line came within %ld ms; %s", label, want, h_ms(3000),
	    h_ending(srv));
	if (strcmp(line, want) == 0)
		return;
	for (size_t i = 0; line[i] != '\0'; i++)
		cr_assert((unsigned char)line[i] >= 0x20 &&
		    (unsigned char)line[i] < 0x7f, "%s: the log line holds the "
		    "raw byte 0x%02x (and was cut where a raw newline was): the "
		    "reply's bytes were not escaped. Print them with "
		    "net_print_escaped(), never with printf's %%s or %%.*s; the "
		    "line should be\n  %.300s\ngot\n  %.300s", label,
		    (unsigned char)line[i], want, h_escape(line, strlen(line)));
	cr_assert(strstr(line, "\\xffffff") == NULL, "%s: the log line shows a "
	    "byte as \\xffffffNN: that byte went through a signed char, "
	    "which holds 0x80 to 0xff as negative numbers, and printf widened "
	    "it to an int. Read bytes as unsigned char (net_print_escaped does "
	    "it for you); the line should be\n  %.300s\ngot\n  %.300s", label,
	    want, line);
	if (sscanf(line, "%79s port %u sent %lld bytes", host, &port,
	    &sent) == 3) {
		check_logged_address(line, shown_as, want, label);
		bare = strcspn(shown_as, "%");
		cr_assert(!(shown_as[bare] == '%' &&
		    strlen(host) == bare && strncmp(host, shown_as, bare) == 0),
		    "%s: the log line names the requester %s without its scope "
		    "(%s): a link-local address means a host only on its own "
		    "link, and the same address on another link is another "
		    "host. inet_ntop() drops the scope; getnameinfo() "
		    "(net_addrstr) keeps it; the line should be\n  %.300s\ngot\n"
		    "  %.300s", label, host, shown_as + bare, want, line);
		cr_assert(!(port != from_port && port == swapped(from_port)),
		    "%s: the log line names port %u, and the requester's port "
		    "is %u: the same two bytes the other way round. A port in "
		    "a struct sockaddr is in network byte order: turn it with "
		    "ntohs() (net_addrstr does); the line should be\n  %.300s\n"
		    "got\n  %.300s", label, port, from_port, want, line);
		cr_assert(!(sent >= 0 && (size_t)sent < len), "%s: the request "
		    "had %zu bytes, and the log line says %lld: N is the "
		    "datagram's whole length. recvfrom() returns at most the "
		    "size of its buffer, unless the flag MSG_TRUNC asks for the "
		    "whole length (recv(2)); the line should be\n  %.300s\n"
		    "got\n  %.300s", label, len, sent, want, line);
	}
	cr_assert_fail("%s: the reply should be logged as\n  %.300s\ngot\n"
	    "  %.300s", label, want, line);
}

/*
 * Send len bytes from fd and check the reply: from the server's port,
 * the time (text NULL) or exactly text; then the server's log line.
 */
static void
check_reply_clock(struct h_proc *srv, uint16_t port, int fd,
    const char *host, const char *shown_as, const void *data, size_t len,
    const char *text, long long fixed, const char *label)
{
	static unsigned char got[NET_MAX_DATAGRAM + 1];
	struct sockaddr_storage from;
	char *esc;
	char *want;
	size_t cap;
	time_t before;
	time_t after;
	ssize_t n;

	before = time(NULL);
	h_udp_send(fd, host, port, data, len);
	n = h_udp_recv(fd, got, sizeof(got), h_ms(3000), &from);
	after = time(NULL);
	if (fixed != -1) {
		before = (time_t)fixed;
		after = (time_t)fixed;
	}
	/* A server that died is reaped now, for h_ending() to say so; one
	 * that logged a reply says where it went. */
	if (n == -1 && h_wait(srv, h_ms(200)) == -1) {
		const char *said = h_line(srv, h_ms(200));

		if (said != NULL)
			check_logged_address(said, shown_as, NULL, label);
	}
	cr_assert(!(n == -1 && bystander != -1 &&
	    h_udp_recv(bystander, got, sizeof(got), 0, NULL) != -1),
	    "%s: the reply went to the other client on the same port, port "
	    "%u at another address, not to the one that asked: a requester "
	    "is its address and its port together. Reply to the whole "
	    "address recvfrom() filled in for this datagram", label,
	    h_udp_port(fd));
	cr_assert(n != -1, "%s: no reply within %ld ms%s; %s", label,
	    h_ms(3000), len > 0 ? "" : ": RFC 867 answers any datagram, and 0 "
	    "bytes is a datagram like any other (UDP has no end of file, "
	    "whatever Python's \"if data:\" suggests)", h_ending(srv));
	cr_assert(h_sockaddr_port(&from) == port, "%s: the reply came from "
	    "port %u, not the server's port %u: send it from the socket the "
	    "request came in on. Another socket has a port of its own, and a "
	    "client that checks who answered drops the reply", label,
	    h_sockaddr_port(&from), port);
	esc = h_escape(got, (size_t)n);
	if (text == NULL) {
		check_stamp(got, n, before, after, fixed != -1 ? 0 : MARGIN,
		    label);
	} else {
		size_t tlen = strlen(text);

		cr_assert(!(n == (ssize_t)tlen + 1 && got[tlen] == '\0' &&
		    memcmp(got, text, tlen) == 0), "%s: with -m the reply "
		    "should be exactly the text's %zu bytes; it had %zd, the "
		    "last a NUL: the C string's NUL is not part of the text",
		    label, tlen, n);
		cr_assert(n == (ssize_t)tlen && memcmp(got, text, tlen) == 0,
		    "%s: with -m the reply should be exactly the text's %zu "
		    "bytes; got %zd bytes: \"%.200s\"", label, tlen, n, esc);
	}

	cap = strlen(esc) + strlen(shown_as) + 256;
	want = malloc(cap);
	cr_assert(want != NULL, "malloc");
	snprintf(want, cap, "%s port %u sent %zu bytes, replied %zd bytes: "
	    "\"%s\"", shown_as, h_udp_port(fd), len, n, esc);
	check_log_line(srv, want, shown_as, h_udp_port(fd), len, label);
	free(want);
	free(esc);
}

/* check_reply_clock against the test's clock. */
static void
check_reply(struct h_proc *srv, uint16_t port, int fd, const char *host,
    const char *shown_as, const void *data, size_t len, const char *text,
    const char *label)
{
	check_reply_clock(srv, port, fd, host, shown_as, data, len, text, -1,
	    label);
}

/* The time, from a server whose clock is stopped at utc. */
static void
check_reply_at(struct h_proc *srv, uint16_t port, int fd, long long utc,
    const char *label)
{
	check_reply_clock(srv, port, fd, "127.0.0.1", "127.0.0.1", "time?", 5,
	    NULL, utc, label);
}

/* A fresh server, one request from a fresh socket, and SIGTERM. */
static void
reply_one(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len, const char *text,
    const char *label)
{
	uint16_t port;
	struct h_proc *srv = start(text, server_host, &port);
	int fd = h_udp_open(client_host);

	check_reply(srv, port, fd, client_host, shown_as, data, len, text,
	    label);
	h_expect_clean_stop(srv, SIGTERM);
}

static void
check_first_line(const char *host, const char *shown)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, host, &port);
	char want[80];

	snprintf(want, sizeof(want), "listening on %s port %u\n", shown, port);
	h_expect_clean_stop(srv, SIGTERM);
	cr_assert_str_eq(h_stdout(srv), want, "with no request the server "
	    "should print only \"%.*s\", got \"%s\"", (int)strlen(want) - 1,
	    want, h_stdout(srv));
}

Test(daytime_server, first_line_names_the_bound_address_and_port)
{
	check_first_line("127.0.0.1", "127.0.0.1");
	check_first_line("::1", "::1");
	check_first_line(NULL, "::");
}

Test(daytime_server, binds_the_port_it_is_given)
{
	uint16_t want = h_free_port("127.0.0.1");
	char arg[8];
	char first[80];
	uint16_t port;
	struct h_proc *srv;
	int fd;

	snprintf(arg, sizeof(arg), "%u", (unsigned)want);
	cr_assert(setenv("TZ", SERVER_TZ, 1) == 0, "setenv");
	srv = h_server_cmd((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    arg, NULL }, true, &port);
	cr_assert_eq(port, want, "started with port %u, the server should "
	    "bind it and say so: its first line ends \"port %u\"", want, port);
	snprintf(first, sizeof(first), "listening on 127.0.0.1 port %u\n",
	    want);
	cr_assert_str_eq(h_stdout(srv), first, "the first line should be "
	    "\"%.*s\", got \"%s\"", (int)strlen(first) - 1, first,
	    h_stdout(srv));
	fd = h_udp_open("127.0.0.1");
	check_reply(srv, want, fd, "127.0.0.1", "127.0.0.1", "time?", 5, NULL,
	    "a request to the port the server was given");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, takes_a_host_name)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, "localhost", &port);
	const char *host = "127.0.0.1";
	char v4[80];
	char v6[80];

	/* localhost is 127.0.0.1, ::1 or both; the server binds the first. */
	snprintf(v4, sizeof(v4), "listening on 127.0.0.1 port %u\n", port);
	snprintf(v6, sizeof(v6), "listening on ::1 port %u\n", port);
	if (strcmp(h_stdout(srv), v6) == 0)
		host = "::1";
	cr_assert(strcmp(h_stdout(srv), v4) == 0 ||
	    strcmp(h_stdout(srv), v6) == 0, "with the host \"localhost\" "
	    "the server should bind the first address getaddrinfo gives, "
	    "127.0.0.1 or ::1, and print \"%.*s\" or \"%.*s\"; got \"%s\"",
	    (int)strlen(v4) - 1, v4, (int)strlen(v6) - 1, v6, h_stdout(srv));
	check_reply(srv, port, h_udp_open(host), host, host, "time?", 5, NULL,
	    "a request to a server started with the host \"localhost\"");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, replies_the_time_in_utc_over_ipv4)
{
	reply_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "time?", 5, NULL,
	    "a request \"time?\" over IPv4");
}

Test(daytime_server, replies_the_time_in_utc_over_ipv6)
{
	reply_one("::1", "::1", "::1", "time?", 5, NULL,
	    "a request \"time?\" over IPv6");
}

Test(daytime_server, without_host_answers_ipv4_and_ipv6)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, NULL, &port);
	int v4 = h_udp_open("127.0.0.1");
	int v6 = h_udp_open("::1");

	check_reply(srv, port, v4, "127.0.0.1", "::ffff:127.0.0.1", "4", 1,
	    NULL, "a request over IPv4 to a server with no host");
	check_reply(srv, port, v6, "::1", "::1", "6", 1, NULL,
	    "a request over IPv6 to a server with no host");
	h_expect_clean_stop(srv, SIGINT);
}

Test(daytime_server, answers_an_empty_datagram)
{
	reply_one("::1", "::1", "::1", "", 0, NULL, "an empty datagram");
}

Test(daytime_server, answers_binary_and_the_largest_datagrams)
{
	static unsigned char big[NET_MAX_UDP4];
	uint16_t port;
	struct h_proc *srv = start(NULL, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");

	memset(big, 0, sizeof(big));
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "\0\xff\r\n", 4,
	    NULL, "a request of the bytes 00 ff 0d 0a");
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", big, sizeof(big),
	    NULL, "a request of 65507 NUL bytes (the log counts them all)");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, answers_each_client_at_its_own_address)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, "::1", &port);
	int a = h_udp_open("::1");
	int b = h_udp_open("::1");
	unsigned char got[64];
	ssize_t n;

	check_reply(srv, port, a, "::1", "::1", "from a", 6, NULL,
	    "the first client's request");
	h_udp_send(b, "::1", port, "from b", 6);
	n = h_udp_recv(b, got, sizeof(got), h_ms(3000), NULL);
	if (n == -1 && h_udp_recv(a, got, sizeof(got), 0, NULL) != -1)
		cr_assert_fail("the second client (port %u) got no reply; it "
		    "went to the first client (port %u): reply to the address "
		    "recvfrom() filled in for this datagram, not to an earlier "
		    "client", h_udp_port(b), h_udp_port(a));
	cr_assert(n != -1, "the second client (port %u) got no reply within "
	    "%ld ms", h_udp_port(b), h_ms(3000));
	cr_assert(h_line(srv, h_ms(3000)) != NULL,
	    "the second reply was not logged");
	check_reply(srv, port, a, "::1", "::1", "a again", 7, NULL,
	    "the first client's second request");
	cr_assert(h_udp_recv(b, got, sizeof(got), h_ms(200), NULL) == -1,
	    "the second client got a reply it did not ask for");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, takes_the_time_for_each_request)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned char first[64];
	unsigned char got[64];
	ssize_t n0;
	ssize_t n;
	long t0 = h_now_ms();
	int requests = 1;

	/* Lockstep: a request, its reply, and a pause that must pass idle. */
	h_udp_send(fd, "127.0.0.1", port, "now?", 4);
	n0 = h_udp_recv(fd, first, sizeof(first), h_ms(3000), NULL);
	cr_assert(n0 != -1, "the first request got no reply");
	do {
		cr_assert(h_udp_recv(fd, got, sizeof(got), 250, NULL) == -1,
		    "one request got two replies");
		h_udp_send(fd, "127.0.0.1", port, "now?", 4);
		n = h_udp_recv(fd, got, sizeof(got), h_ms(3000), NULL);
		cr_assert(n != -1, "request %d got no reply", requests + 1);
		requests++;
	} while (n == n0 && memcmp(got, first, (size_t)n) == 0 &&
	    h_now_ms() - t0 < 2500);
	cr_assert(n != n0 || memcmp(got, first, (size_t)n) != 0,
	    "%d requests over %ld ms all got the same reply \"%s\": take the "
	    "time for each datagram, not once at start-up", requests,
	    h_now_ms() - t0, h_escape(first, (size_t)n0));
	/* Text order is time order, for two replies of the lab's length. */
	cr_assert(n0 != STAMP_LEN || n != STAMP_LEN ||
	    memcmp(got, first, STAMP_LEN) > 0, "the time went back: first "
	    "\"%s\", then \"%s\"", h_escape(first, (size_t)n0),
	    h_escape(got, (size_t)n));
	for (int i = 0; i < requests; i++)
		cr_assert(h_line(srv, h_ms(3000)) != NULL,
		    "%d requests were answered, %d logged", requests, i);
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "and now?", 8,
	    NULL, "a request after the clock has moved on");
	h_expect_clean_stop(srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* The server's clock stopped at chosen instants, with libfaketime. */

/*
 * Start the server with its clock stopped at the UTC instant at, and ask
 * it the time: why says what the instant tests.  The test is skipped
 * where libfaketime is missing.
 */
static void
check_time_at(const char *test, const struct stamp *at, const char *why)
{
	long long utc = stamp_epoch(at, at->mon);
	time_t local;
	struct tm tm;
	char fake[32];
	char label[160];
	uint16_t port;
	struct h_proc *srv;
	int fd;

	/*
	 * An absolute time is read in the server's own time zone,
	 * SERVER_TZ, which start() sets: so it is the instant's local time
	 * there.  The clock stays stopped at it, so the reply is exact.
	 */
	local = (time_t)(utc + SERVER_EAST);
	cr_assert(gmtime_r(&local, &tm) != NULL, "gmtime_r");
	strftime(fake, sizeof(fake), "%Y-%m-%d %H:%M:%S", &tm);
	(void)h_fake_wall_clock(test, fake);

	srv = start(NULL, "127.0.0.1", &port);
	fd = h_udp_open("127.0.0.1");
	format_utc(utc, fake, sizeof(fake));
	snprintf(label, sizeof(label), "with the server's clock stopped at "
	    "%s (%s)", fake, why);
	check_reply_at(srv, port, fd, utc, label);
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, tells_the_time_early_on_5_january)
{
	static const struct stamp at = { 2026, 1, 5, 7, 8, 9 };

	check_time_at("daytime_server::tells_the_time_early_on_5_january", &at,
	    "a one-digit day and hour, in the first month");
}

Test(daytime_server, tells_the_time_late_on_31_december)
{
	static const struct stamp at = { 2026, 12, 31, 23, 59, 58 };

	check_time_at("daytime_server::tells_the_time_late_on_31_december",
	    &at, "an evening hour; in the server's time zone it is "
	    "already 2027");
}

Test(daytime_server, tells_the_time_just_after_midnight_on_29_february)
{
	static const struct stamp at = { 2028, 2, 29, 0, 0, 7 };

	check_time_at("daytime_server::"
	    "tells_the_time_just_after_midnight_on_29_february", &at,
	    "hour 00, which the 12-hour clock calls 12, on a leap day");
}

/* ---------------------------------------------------------------------- */
/* -m TEXT */
Test(daytime_server, m_replies_exactly_the_text)
{
	reply_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "time?", 5,
	    "Get off my lawn!", "-m \"Get off my lawn!\", a request \"time?\"");
}

Test(daytime_server, m_text_of_any_bytes_to_any_request)
{
	uint16_t port;
	const char *text = "h\xc3\xa9llo \"w\xc3\xb6rld\"\\\t!\r\n";
	struct h_proc *srv = start(text, NULL, &port);
	int v4 = h_udp_open("127.0.0.1");
	int v6 = h_udp_open("::1");

	check_reply(srv, port, v6, "::1", "::1", "", 0, text,
	    "-m with UTF-8, quotes, a backslash, a tab and CR LF; an empty "
	    "request over IPv6");
	check_reply(srv, port, v4, "127.0.0.1", "::ffff:127.0.0.1", "\0", 1,
	    text, "-m with UTF-8, quotes, a backslash, a tab and CR LF; a NUL "
	    "byte over IPv4");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, m_empty_text_replies_an_empty_datagram)
{
	reply_one("::1", "::1", "::1", "x", 1, "", "-m \"\" (an empty text)");
}

Test(daytime_server, m_text_up_to_65507_bytes)
{
	static char text[NET_MAX_UDP4 + 1];

	memset(text, 'x', NET_MAX_UDP4);
	reply_one("127.0.0.1", "127.0.0.1", "127.0.0.1", "?", 1, text,
	    "-m with 65507 bytes, the largest IPv4 datagram");
}

Test(daytime_server, m_text_longer_than_65507_bytes_is_a_usage_error)
{
	static char text[NET_MAX_UDP4 + 2];

	memset(text, 'y', NET_MAX_UDP4 + 1);
	h_expect_usage((char *[]){ (char *)h_lab_program(), "-m", text, "0",
	    NULL }, USAGE, "-m and 65508 bytes (more than an IPv4 datagram "
	    "carries)");
}

/* ---------------------------------------------------------------------- */
/* Real clients: nc -u (netcat-openbsd) and socat. */

/*
 * Both tools stop waiting for the reply some seconds after their input
 * ends: nc after -w, and socat after -t (0.5 s by default, whatever -T
 * says).  Both are scaled, so that a slow server under valgrind is heard.
 */
static struct h_proc *
client(const char *tool, const char *host, uint16_t port, const char *input)
{
	struct h_opts o = { .stdin_data = input, .stdin_len = strlen(input) };
	char portstr[8];
	char address[64];
	char secs[24];

	snprintf(portstr, sizeof(portstr), "%u", port);
	snprintf(secs, sizeof(secs), "%ld", h_ms(3000) / 1000);
	if (strcmp(tool, "nc") == 0)
		return h_spawn((char *[]){ "nc", "-u", "-w", secs,
		    (char *)host, portstr, NULL }, &o);
	if (strchr(host, ':') != NULL)
		snprintf(address, sizeof(address), "UDP6:[%s]:%u", host, port);
	else
		snprintf(address, sizeof(address), "UDP4:%s:%u", host, port);
	return h_spawn((char *[]){ "socat", "-T", secs, "-t", secs, "STDIO",
	    address, NULL }, &o);
}

/* A real client asks a server with no host; it prints the time. */
static void
check_tool(const char *tool, const char *host, const char *shown_as)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, NULL, &port);
	time_t before = time(NULL);
	struct h_proc *c = client(tool, host, port, "what time is it?\n");
	const char *line = h_line(c, h_ms(3000));
	time_t after = time(NULL);
	unsigned char reply[64];
	char label[64];
	char want[128];
	size_t n;

	snprintf(label, sizeof(label), "%s over %s", tool, host);
	cr_assert(line != NULL, "%s printed no reply within %ld ms (stdout "
	    "\"%s\", stderr \"%s\")", label, h_ms(3000), h_stdout(c),
	    h_stderr(c));
	n = strlen(line);
	cr_assert(n + 1 < sizeof(reply), "%s printed a long line: %.200s",
	    label, line);
	memcpy(reply, line, n);
	reply[n++] = '\n';
	check_stamp(reply, (ssize_t)n, before, after, MARGIN, label);

	snprintf(want, sizeof(want), "%s port ", shown_as);
	line = h_line(srv, h_ms(3000));
	cr_assert(line != NULL && strncmp(line, want, strlen(want)) == 0 &&
	    strstr(line, " sent 17 bytes, replied 22 bytes: \"") != NULL,
	    "%s: the log line should be \"%sP sent 17 bytes, replied 22 "
	    "bytes: ...\", got \"%s\"", label, want, line ? line : "(nothing)");
	h_stop(c, SIGTERM);
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, nc_gets_the_time)
{
	check_tool("nc", "127.0.0.1", "::ffff:127.0.0.1");
	check_tool("nc", "::1", "::1");
}

Test(daytime_server, socat_gets_the_time)
{
	check_tool("socat", "127.0.0.1", "::ffff:127.0.0.1");
	check_tool("socat", "::1", "::1");
}

/* A real client prints exactly the -m text, nothing more. */
static void
check_tool_text(const char *tool, const char *host)
{
	static const char text[] = "Get off my lawn!";
	uint16_t port;
	struct h_proc *srv = start(text, host, &port);
	struct h_proc *c = client(tool, host, port, "hello\n");

	cr_assert(h_stdout_has(c, text, h_ms(3000)), "%s over %s never "
	    "printed the reply (stdout \"%s\", stderr \"%s\")", tool, host,
	    h_stdout(c), h_stderr(c));
	cr_assert(h_line_starting(srv, host, h_ms(3000)) != NULL,
	    "the server did not log %s's request", tool);
	h_expect_clean_stop(srv, SIGTERM);
	h_stop(c, SIGTERM);
	cr_assert_str_eq(h_stdout(c), text, "%s over %s should print exactly "
	    "\"%s\", got \"%s\"", tool, host, text, h_stdout(c));
}

Test(daytime_server, nc_and_socat_get_the_m_text)
{
	check_tool_text("nc", "127.0.0.1");
	check_tool_text("socat", "::1");
}

/* ---------------------------------------------------------------------- */
/* Signals and the command line. */

/*
 * The signal goes the moment the first line is read, and catches what it
 * happens to catch: a server that installs its handler only after its
 * first line dies of the signal (128 + N) if the signal comes first, and
 * one that checks a flag and then blocks in recvfrom sleeps through a
 * signal that comes between the two (h_stop then fails the test).  Both
 * windows are narrow, so such a server often passes; the rounds make a
 * miss less likely, and a pass is no proof.  A handler that lets recvfrom
 * restart (signal(), SA_RESTART) misses every signal that comes while the
 * server waits, which is where it usually is by then: that one fails.
 */
Test(daytime_server, a_signal_right_after_the_first_line_exits_0)
{
	long rounds = 20 / h_time_factor();

	if (rounds < 3)
		rounds = 3;
	for (long i = 0; i < rounds; i++) {
		int sig = i % 2 ? SIGINT : SIGTERM;
		uint16_t port;
		struct h_proc *srv = start(i % 4 >= 2 ? "text" : NULL,
		    i % 3 ? "::1" : NULL, &port);
		int status = h_stop(srv, sig);

		cr_assert_eq(status, 0, "round %ld: %s right after the first "
		    "line should exit 0, got %d", i + 1,
		    sig == SIGINT ? "SIGINT" : "SIGTERM", status);
		cr_assert_str_eq(h_stderr(srv), "", "round %ld: nothing "
		    "should go to stderr; got: %s", i + 1, h_stderr(srv));
	}
}

Test(daytime_server, a_signal_after_requests_exits_0)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");

	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "t", 1, NULL,
	    "a request");
	h_expect_clean_stop(srv, SIGINT);
	cr_assert_str_eq(h_stderr(srv), "", "nothing should go to stderr; "
	    "got: %s", h_stderr(srv));
}

/* Inline arrays: Criterion copies parameters, pointers would dangle. */
struct bad_args {
	char args[4][24];
	int nargs;
	char why[48];
};

ParameterizedTestParameters(daytime_server, bad_command_lines_exit_2)
{
	static struct bad_args cases[] = {
		{ { { 0 } }, 0, "no port" },
		{ { "127.0.0.1", "0", "extra" }, 3, "an extra argument" },
		{ { "65536" }, 1, "port 65536" },
		{ { "daytime" }, 1, "a service name for the port" },
		{ { "13x" }, 1, "port 13x" },
		{ { "-m" }, 1, "-m without a text" },
		{ { "-m", "hi" }, 2, "-m and no port" },
		{ { "-t", "0" }, 2, "an unknown option -t" },
	};

	return cr_make_param_array(struct bad_args, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_args *c, daytime_server, bad_command_lines_exit_2)
{
	char *argv[6];

	argv[0] = (char *)h_lab_program();
	for (int i = 0; i < c->nargs; i++)
		argv[i + 1] = c->args[i];
	argv[c->nargs + 1] = NULL;
	h_expect_usage(argv, USAGE, c->why);
}

Test(daytime_server, an_unresolvable_host_exits_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_lab_program(),
	    H_BAD_HOST, "0", NULL }, true);
}

/*
 * Every write to /dev/full fails (ENOSPC), as on a full disk.  sh makes
 * the redirection, so this test never runs the server under valgrind.
 */
Test(daytime_server, a_failed_write_to_stdout_exits_1)
{
	uint16_t port = h_free_port("127.0.0.1");
	char arg[8];
	struct h_proc *p;
	long deadline = h_now_ms() + h_ms(5000);
	int fd = h_udp_open("127.0.0.1");
	unsigned char got[64];
	ssize_t n;
	int status;

	snprintf(arg, sizeof(arg), "%u", (unsigned)port);
	cr_assert(setenv("TZ", SERVER_TZ, 1) == 0, "setenv");
	p = h_spawn((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" >/dev/full",
	    (char *)h_lab_program(), "127.0.0.1", arg, NULL },
	    &(struct h_opts){ .wrap = false });
	/* No first line comes to say it is ready: ask until it answers. */
	do {
		h_udp_send(fd, "127.0.0.1", port, "t", 1);
		n = h_udp_recv(fd, got, sizeof(got), 20, NULL);
	} while (n == -1 && h_now_ms() < deadline && h_wait(p, 0) == -1);
	cr_assert(n != -1, "with its standard output on /dev/full the server "
	    "never answered (stderr: %.300s)", h_stderr(p));
	status = h_stop(p, SIGTERM);
	cr_assert_eq(status, 1, "with its standard output on /dev/full, "
	    "where every write fails, the server could not log its reply: "
	    "stopped by SIGTERM, it should exit 1, not %d. Line buffering "
	    "writes each line as it is printed and a failed write only sets "
	    "the stream's error flag: check ferror(stdout) (after fflush) "
	    "before exiting", status);
	cr_assert_neq(h_stderr(p)[0], '\0', "exit 1 should come with a "
	    "message on stderr");
}

/*
 * LAB.md: the server stops within a second of SIGTERM even while
 * datagrams keep arriving.  A server that waits only in pselect() never
 * sees the signal while a flood lasts (lesson 06 says why).
 */
Test(daytime_server, sigterm_during_a_flood_ends_it_within_a_second)
{
	h_expect_flood_stop((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    "0", NULL });
}

/* ---------------------------------------------------------------------- */
/* Who asked: an address and a port together. */

/*
 * Two clients on one port, at 127.0.0.1 and 127.0.0.2: a server that
 * tells requesters apart by their port alone, or answers an earlier one,
 * sends one of them the other's reply.
 */
/*
 * Sockets at 127.0.0.1 and 127.0.0.2 on one port that the kernel chose
 * for the first: another program may hold that port at 127.0.0.2, so a
 * port it refuses is given back and another is tried.
 */
static void
open_pair(int *a, int *b)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in at = { .sin_family = AF_INET };
		int fd;

		*a = h_udp_open("127.0.0.1");
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		cr_assert(fd != -1, "socket: %s", strerror(errno));
		h_cloexec(fd);
		at.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
		at.sin_port = htons(h_udp_port(*a));
		if (bind(fd, (struct sockaddr *)&at, sizeof(at)) == 0) {
			*b = fd;
			return;
		}
		cr_assert(errno == EADDRINUSE, "bind 127.0.0.2: %s",
		    strerror(errno));
		close(fd);
		close(*a);
	}
	cr_assert_fail("test: no port free at both 127.0.0.1 and 127.0.0.2");
}

static void
check_two_senders(const char *server_host, const char *prefix)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, server_host, &port);
	int a;
	int b;
	const char *to = server_host ? server_host : "127.0.0.1";
	char a_shown[64];
	char b_shown[64];
	unsigned char got[64];

	open_pair(&a, &b);
	snprintf(a_shown, sizeof(a_shown), "%s127.0.0.1", prefix);
	snprintf(b_shown, sizeof(b_shown), "%s127.0.0.2", prefix);
	bystander = a;
	check_reply(srv, port, b, to, b_shown, "from b", 6, NULL,
	    "a request from 127.0.0.2, on the port of a client at 127.0.0.1");
	bystander = b;
	check_reply(srv, port, a, to, a_shown, "from a", 6, NULL,
	    "a request from 127.0.0.1, on the port of a client at 127.0.0.2");
	check_reply(srv, port, b, to, b_shown, "b again", 7, NULL,
	    "a second request from 127.0.0.2");
	bystander = -1;
	cr_assert(h_udp_recv(a, got, sizeof(got), h_ms(200), NULL) == -1,
	    "the client at 127.0.0.1 got a reply it did not ask for");
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, answers_two_senders_on_one_port_at_their_addresses)
{
	check_two_senders("127.0.0.1", "");
	check_two_senders(NULL, "::ffff:");
}

/* ---------------------------------------------------------------------- */
/* Which clock, read when. */

/* How far the tests set the server's clock: 27 h 46 min 40 s, not a whole
 * number of half hours, so that it looks like no time zone's offset. */
#define JUMP 100000

Test(daytime_server, the_next_reply_follows_a_clock_that_was_set)
{
	const char *file = h_fake_wall_clock(
	    "daytime_server::the_next_reply_follows_a_clock_that_was_set",
	    "+0");
	uint16_t port;
	struct h_proc *srv;
	int fd = h_udp_open("127.0.0.1");
	unsigned char got[64];
	const char *offsets[] = { "-100000", "+100000" };
	const long long shift[] = { -JUMP, JUMP };

	srv = start(NULL, "127.0.0.1", &port);

	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "now?", 4, NULL,
	    "a request before the server's clock is set");
	for (int i = 0; i < 2; i++) {
		time_t before;
		time_t after;
		struct stamp st;
		ssize_t n;
		char label[160];
		char *esc;

		h_wait_asleep(srv);
		h_move_wall_clock(file, offsets[i]);
		before = time(NULL);
		h_udp_send(fd, "127.0.0.1", port, "and now?", 8);
		n = h_udp_recv(fd, got, sizeof(got), h_ms(3000), NULL);
		after = time(NULL);
		cr_assert(n != -1, "after the server's clock was set %s s, a "
		    "request got no reply within %ld ms; %s", offsets[i],
		    h_ms(3000), h_ending(srv));
		esc = h_escape(got, (size_t)n);
		cr_assert(!(parse_stamp(got, (size_t)n, &st) &&
		    stamp_epoch(&st, st.mon) >= before - MARGIN &&
		    stamp_epoch(&st, st.mon) <= after + MARGIN), "the server's "
		    "clock was set %s s while it waited, and its next reply "
		    "\"%s\" still tells the time from before: read the clock "
		    "when each datagram has arrived, not before the wait for "
		    "it, nor from an earlier reading kept for later replies",
		    offsets[i], esc);
		snprintf(label, sizeof(label), "a request after the server's "
		    "clock was set %s s", offsets[i]);
		check_stamp(got, n, (time_t)(before + shift[i]),
		    (time_t)(after + shift[i]), MARGIN, label);
		cr_assert(h_line(srv, h_ms(3000)) != NULL, "%s was not logged",
		    label);
		free(esc);
		/* Back to the test's own time, for the next round. */
		h_move_wall_clock(file, "+0");
	}
	h_expect_clean_stop(srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Waiting costs nothing. */
Test(daytime_server, sleeps_while_no_datagram_comes)
{
	uint16_t port;
	struct h_proc *srv = start(NULL, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	long cpu0;
	long t0;

	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "t", 1, NULL,
	    "a request before an idle while");
	cpu0 = h_cpu_ms(srv);
	t0 = h_now_ms();
	/* 2.2 s of nothing, unscaled: valgrind's run skips the measure. */
	cr_assert(h_line(srv, 2200) == NULL, "the server logged a line with "
	    "no request: %s", h_stdout(srv));
	h_expect_sleeping(srv, cpu0, t0, "waiting 2200 ms for a datagram "
	    "that did not come");
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "t", 1, NULL,
	    "a request after an idle while");
	h_expect_clean_stop(srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Bytes of any value and sizes past every buffer. */
Test(daytime_server, m_text_of_the_bytes_1_to_255)
{
	static char text[256];
	uint16_t port;
	struct h_proc *srv;
	int fd;

	/* Every byte but NUL, which no argument can hold: control bytes,
	 * quote, backslash, % (a format string's), and 0x80 to 0xff. */
	for (int i = 1; i < 256; i++)
		text[i - 1] = (char)i;
	srv = start(text, "::1", &port);
	fd = h_udp_open("::1");
	check_reply(srv, port, fd, "::1", "::1", "?", 1, text,
	    "-m with the 255 bytes 01 to ff");
	h_expect_clean_stop(srv, SIGTERM);
}

/*
 * Requests past the reference's 512-byte buffer and the sizes a student
 * picks (1 KiB, 4 KiB), up to the largest datagram of each family: the
 * log counts every byte, filled with a pattern so that no byte is 0 by
 * chance.
 */
Test(daytime_server, counts_every_byte_of_large_requests)
{
	static unsigned char big[NET_MAX_UDP6];
	static const size_t sizes[] = { 513, 1025, 4097, NET_MAX_UDP4 };
	uint16_t port;
	struct h_proc *srv = start(NULL, NULL, &port);
	int v4 = h_udp_open("127.0.0.1");
	int v6 = h_udp_open("::1");
	char label[96];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(label, sizeof(label), "a request of %zu bytes over "
		    "IPv4", sizes[i]);
		check_reply(srv, port, v4, "127.0.0.1", "::ffff:127.0.0.1",
		    big, sizes[i], NULL, label);
	}
	check_reply(srv, port, v6, "::1", "::1", big, NET_MAX_UDP6, NULL,
	    "a request of 65527 bytes over IPv6, the largest it carries");
	h_expect_clean_stop(srv, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Exit statuses. */

/* What err(3) starts a line with: the last part of argv[0]. */
static const char *
program_name(void)
{
	const char *slash = strrchr(h_lab_program(), '/');

	return slash != NULL ? slash + 1 : h_lab_program();
}

Test(daytime_server, a_port_in_use_exits_1)
{
	int holder = h_udp_open("127.0.0.1");
	char want[160];
	char arg[8];
	struct h_proc *p;
	int status;

	/* We hold the port for the whole test: bind must fail. */
	snprintf(arg, sizeof(arg), "%u", (unsigned)h_udp_port(holder));
	p = h_spawn((char *[]){ (char *)h_lab_program(), "127.0.0.1", arg,
	    NULL }, &(struct h_opts){ .wrap = true });
	status = h_wait(p, h_ms(5000));
	cr_assert_eq(status, 1, "with its port already taken, the server "
	    "should fail to bind and exit 1; %s", h_ending(p));
	snprintf(want, sizeof(want), "%s: bind: Address already in use\n",
	    program_name());
	cr_assert_str_eq(h_stderr(p), want, "with its port already taken, "
	    "stderr should be the one line \"%.*s\" (err(1, \"bind\")); got "
	    "\"%s\"", (int)strlen(want) - 1, want, h_stderr(p));
	cr_assert_str_eq(h_stdout(p), "", "a server that could not bind "
	    "should print nothing on stdout; it printed: %s", h_stdout(p));
	close(holder);
}

Test(daytime_server, a_usage_error_wins_over_an_unresolvable_host)
{
	static char text[NET_MAX_UDP4 + 2];

	memset(text, 'z', NET_MAX_UDP4 + 1);
	h_expect_usage((char *[]){ (char *)h_lab_program(), H_BAD_HOST,
	    "65536", NULL }, USAGE, "port 65536 and a host that does not "
	    "resolve (the usage error comes first)");
	h_expect_usage((char *[]){ (char *)h_lab_program(), "-m", text,
	    H_BAD_HOST, "0", NULL }, USAGE, "-m and 65508 bytes, and a host "
	    "that does not resolve (the usage error comes first)");
	h_expect_usage((char *[]){ (char *)h_lab_program(), "-t", H_BAD_HOST,
	    "13x", "extra", NULL }, USAGE, "an unknown option, a host that "
	    "does not resolve, a bad port and an extra argument");
}

/* ---------------------------------------------------------------------- */
/* In a network namespace of our own (unshare -rn), where the test may set
 * up links, sysctls and raw sockets: the tests of suite
 * daytime_server_netns run only there. */

TestSuite(daytime_server_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

static void
only_in_netns(const char *outer)
{
	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that %s makes",
		    outer);
}

Test(daytime_server, serves_ipv4_without_host_also_when_bindv6only_is_1)
{
	h_rerun_in_netns("daytime_server::"
	    "serves_ipv4_without_host_also_when_bindv6only_is_1",
	    "echo 1 > /proc/sys/net/ipv6/bindv6only",
	    "daytime_server/without_host_*");
}

Test(daytime_server, tells_apart_link_local_senders_on_two_links)
{
	h_rerun_in_netns("daytime_server::"
	    "tells_apart_link_local_senders_on_two_links", H_TWO_LINKS,
	    "daytime_server_netns/link_local_*");
}

Test(daytime_server_netns, link_local_senders_on_two_links_are_two)
{
	uint16_t port;
	struct h_proc *srv;
	int a;
	int b;

	only_in_netns("daytime_server::"
	    "tells_apart_link_local_senders_on_two_links");
	srv = start(NULL, NULL, &port);
	a = h_udp_open("fe80::1%v0");
	b = h_udp_open_port("fe80::1%w0", h_udp_port(a));
	bystander = b;
	check_reply(srv, port, a, "fe80::1%v0", "fe80::1%v0", "via v0", 6,
	    NULL, "a request from fe80::1 on link v0");
	bystander = a;
	check_reply(srv, port, b, "fe80::1%w0", "fe80::1%w0", "via w0", 6,
	    NULL, "a request from fe80::1, the same port, on link w0");
	bystander = -1;
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, warns_when_a_reply_cannot_be_sent_and_goes_on)
{
	h_rerun_in_netns("daytime_server::"
	    "warns_when_a_reply_cannot_be_sent_and_goes_on", "",
	    "daytime_server_netns/reply_to_port_0_*");
}

/*
 * A UDP datagram from source port 0, which no UDP socket can send: a raw
 * socket (CAP_NET_RAW, ours in the namespace) writes the UDP header
 * itself, and the kernel adds the IPv4 one.  Checksum 0: none, which
 * IPv4 allows.
 */
static void
send_from_port_0(uint16_t port, const void *data, size_t len)
{
	unsigned char packet[64];
	uint16_t header[4] = { 0, htons(port), htons((uint16_t)(8 + len)),
		0 };
	struct sockaddr_in to = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);

	cr_assert(fd != -1, "socket SOCK_RAW: %s", strerror(errno));
	cr_assert(len + 8 <= sizeof(packet), "test: datagram too long");
	memcpy(packet, header, 8);
	memcpy(packet + 8, data, len);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(sendto(fd, packet, 8 + len, 0, (struct sockaddr *)&to,
	    sizeof(to)) == (ssize_t)(8 + len), "sendto (raw): %s",
	    strerror(errno));
	close(fd);
}

Test(daytime_server_netns, reply_to_port_0_fails_with_a_warning)
{
	char warning[160];
	uint16_t port;
	struct h_proc *srv;
	int fd;

	only_in_netns("daytime_server::"
	    "warns_when_a_reply_cannot_be_sent_and_goes_on");
	snprintf(warning, sizeof(warning), "%s: sendto 127.0.0.1 port 0: "
	    "Invalid argument\n", program_name());
	srv = start(NULL, "127.0.0.1", &port);
	fd = h_udp_open("127.0.0.1");
	send_from_port_0(port, "time?", 5);
	cr_assert(h_stderr_has(srv, "\n", h_ms(3000)), "a request from port "
	    "0 drew no warning within %ld ms: its reply cannot be sent "
	    "(sendto to port 0 fails with EINVAL), and the server should say "
	    "so with warn(). Check what sendto() returns. Its stdout: "
	    "%.300s; %s", h_ms(3000), h_stdout(srv), h_ending(srv));
	/* The next line must be the next request's: none for the failure. */
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "and me?", 7,
	    NULL, "a request after one from port 0, whose reply could not "
	    "be sent: the server should warn and serve on (warn(), not "
	    "err()), with no log line for the reply it could not send");
	cr_assert_str_eq(h_stderr(srv), warning, "a reply to port 0 cannot "
	    "be sent; stderr should be the one line \"%.*s\" (warn(\"sendto "
	    "%%s port %%s\", ...)); got \"%s\"", (int)strlen(warning) - 1,
	    warning, h_stderr(srv));
	h_expect_clean_stop(srv, SIGTERM);
}

Test(daytime_server, binds_port_65535)
{
	h_rerun_in_netns("daytime_server::binds_port_65535", "",
	    "daytime_server_netns/port_65535_*");
}

/* In a namespace of our own, no one else can hold port 65535. */
Test(daytime_server_netns, port_65535_is_the_highest)
{
	uint16_t port;
	struct h_proc *srv;
	int fd;

	only_in_netns("daytime_server::binds_port_65535");
	cr_assert(setenv("TZ", SERVER_TZ, 1) == 0, "setenv");
	srv = h_server_cmd((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    "65535", NULL }, true, &port);
	cr_assert_eq(port, 65535, "started with port 65535, the server should "
	    "bind it and say so; its first line ends \"port %u\"", port);
	fd = h_udp_open("127.0.0.1");
	check_reply(srv, port, fd, "127.0.0.1", "127.0.0.1", "top?", 4, NULL,
	    "a request to port 65535");
	h_expect_clean_stop(srv, SIGTERM);
}
