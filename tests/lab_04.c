/*
 * Lab 04, "Echo, safely": safe-echo refuses source ports below 1024 and
 * rate-limits each source address with a token bucket.
 *
 * Every datagram the test sends is followed by the two lines the server
 * logs for it, so the test knows what the server decided without waiting
 * for an echo that is not coming.  Counts that depend on time are checked
 * as inequalities: a bucket refills while the test runs.
 *
 * Ports below 1024 need privilege.  The test that uses them runs this
 * same runner again inside its own user and network namespace
 * ("unshare -rn", then "ip link set lo up"), where it may bind them; the
 * tests of suite safe_echo_netns run only there, each in the namespace
 * one safe_echo test makes for it: one with net.ipv6.bindv6only set, one
 * with two links that carry the same fe80::1, one where a raw socket may
 * forge a source that no route leads back to.
 *
 * The clock tests move the server's clocks with libfaketime: the wall
 * clock, which must change nothing, and CLOCK_MONOTONIC, which stands in
 * for a quiet spell too long to wait for.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(safe_echo, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);
TestSuite(safe_echo_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* How long a line or an echo may take to show up. */
#define SHOW_MS 3000

/* What the server did with a datagram, as its second log line says. */
enum outcome { ECHOED, LOW_PORT, RATE_LIMIT, TOO_MANY, NOUTCOMES };

static const char *const reason[NOUTCOMES] = {
	"sent back",
	"source port below 1024",
	"over the rate limit",
	"too many sources",
};

/*
 * Start "safe-echo [-r R] [-b B] [HOST] 0" (R or B 0: that option left
 * out) and check that its second line names the limits in force.
 */
static struct h_proc *
start_server(long r, long b, const char *host, uint16_t *port)
{
	const char *opts[5];
	char rs[24];
	char bs[24];
	char want[128];
	struct h_proc *srv;
	const char *line;
	int n = 0;

	if (r > 0) {
		snprintf(rs, sizeof(rs), "%ld", r);
		opts[n++] = "-r";
		opts[n++] = rs;
	}
	if (b > 0) {
		snprintf(bs, sizeof(bs), "%ld", b);
		opts[n++] = "-b";
		opts[n++] = bs;
	}
	opts[n] = NULL;
	srv = h_server_args(h_lab_program(), opts, host, port);
	snprintf(want, sizeof(want), "limit %ld datagrams per second per "
	    "address, burst %ld", r > 0 ? r : 10, b > 0 ? b : 20);
	line = h_line(srv, h_ms(SHOW_MS));
	if (line == NULL)
		h_wait(srv, h_ms(500));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "the second line should be\n  %s\ngot\n  %s%s%s", want,
	    line ? line : "(no line)", line ? "" : "\n",
	    line ? "" : h_ending(srv));
	return srv;
}

/*
 * Read the two lines the server logs for a datagram of len bytes from
 * port cport of the address it prints as shown_as.  Returns what the
 * second line says the server did with it.
 */
static enum outcome
logged(struct h_proc *srv, const char *shown_as, unsigned cport,
    const void *data, size_t len, const char *what)
{
	char *escaped = h_escape(data, len);
	/* The received line of the largest datagram runs to 260 KiB. */
	size_t cap = strlen(escaped) + 256;
	char *received = malloc(cap);
	char want[512];
	const char *line;

	cr_assert(received != NULL, "malloc");
	snprintf(received, cap, "received %zu bytes from %s port %u: \"%s\"",
	    len, shown_as, cport, escaped);
	free(escaped);
	line = h_line(srv, h_ms(SHOW_MS));
	if (line == NULL)
		h_wait(srv, h_ms(500));
	if (line == NULL || strcmp(line, received) != 0) {
		unsigned long said = line ? strtoul(line + strcspn(line,
		    "0123456789"), NULL, 10) : 0;
		const char *hint = "";

		const char *from = line ? strstr(line, " bytes from ") : NULL;

		if (len == 0 && line == NULL)
			hint = "An empty datagram is a datagram too: log it "
			    "and echo it (lesson 04).";
		else if (line == NULL)
			hint = h_ending(srv);
		else if (strstr(line, "\\xffffff") != NULL)
			hint = "A byte shown as \\xffffffNN (ffffff80 for 0x80) "
			    "is a signed char, widened with its sign: read the "
			    "bytes as unsigned char (net_print_escaped does).";
		else if (strncmp(line, "received ", 9) == 0 && said < len &&
		    len > 1024)
			hint = "It says fewer bytes than were sent: recvfrom() "
			    "was given a buffer too small for the datagram. "
			    "A UDP datagram can hold 65507 bytes over IPv4 and "
			    "65527 over IPv6: use NET_MAX_DATAGRAM.";
		else if (strncmp(line, "received ", 9) == 0 && from != NULL &&
		    strncmp(shown_as, "::ffff:", 7) == 0 &&
		    strncmp(from + 12, shown_as + 7, strlen(shown_as + 7)) == 0)
			hint = "A server without a host binds ::, IPv6 and "
			    "IPv4 at once, and an IPv4 source then comes as "
			    "::ffff:a.b.c.d: is it bound to 0.0.0.0 instead?";
		else if (strncmp(line, "received ", 9) == 0 && from != NULL &&
		    strncmp(from + 12, shown_as, strlen(shown_as)) != 0)
			hint = "The source address is wrong (\"::\" or other "
			    "bytes where the address should be): is the "
			    "address length given to recvfrom() the size of "
			    "the whole struct sockaddr_storage, set again "
			    "before every call, and is the length recvfrom() "
			    "returned the one given to net_addrstr()?";
		else if (strncmp(line, received, strlen(line)) == 0 ||
		    strpbrk(line, "\x01\x7f") != NULL)
			hint = "The line is cut short or holds a raw control "
			    "byte: the datagram's bytes were printed as they "
			    "are. Print all n of them with "
			    "net_print_escaped().";
		cr_assert_fail("%s: the server should log it as\n  %.300s%s\n"
		    "got\n  %.300s%s\n%s", what, received,
		    strlen(received) > 300 ? "..." : "",
		    line ? line : "(no line)",
		    line && strlen(line) > 300 ? "..." : "", hint);
	}
	free(received);

	line = h_line(srv, h_ms(SHOW_MS));
	if (line == NULL)
		h_wait(srv, h_ms(500));
	cr_assert(line != NULL, "%s: after its \"received\" line the server "
	    "should say what it did with it, said nothing; %s", what,
	    h_ending(srv));
	if (strncmp(line, "sent ", 5) == 0) {
		snprintf(want, sizeof(want), "sent %zu bytes back to %s port "
		    "%u", len, shown_as, cport);
		cr_assert(strcmp(line, want) == 0, "%s: expected\n  %s\ngot\n"
		    "  %s\n%s", what, want, line,
		    strtoul(line + 5, NULL, 10) != len ? "Echo all n bytes "
		    "recvfrom() returned (strlen() stops at the first NUL)." :
		    "");
		return ECHOED;
	}
	for (int i = LOW_PORT; i < NOUTCOMES; i++) {
		snprintf(want, sizeof(want), "dropped %zu bytes from %s port "
		    "%u: %s", len, shown_as, cport, reason[i]);
		if (strcmp(line, want) != 0)
			continue;
		/* 1024 itself has a test of its own, in a namespace. */
		cr_assert(i != LOW_PORT || cport <= 1024, "%s: dropped as "
		    "from a port below 1024, but it came from port %u. Is the "
		    "port compared as the address holds it, in network byte "
		    "order? Convert it to host byte order (ntohs) first", what,
		    cport);
		return (enum outcome)i;
	}
	cr_assert_fail("%s: expected \"sent %zu bytes back to %s port %u\" "
	    "or \"dropped %zu bytes from %s port %u: REASON\", got\n  %s",
	    what, len, shown_as, cport, len, shown_as, cport, line);
	return NOUTCOMES;
}

/*
 * Send data from fd to the server at host port, read the two lines the
 * server logs for it, and if it says it echoed, take the echo.  shown_as is
 * how the server prints fd's address.  Returns what the server did.
 */
static enum outcome
exchange(struct h_proc *srv, const char *host, uint16_t port, int fd,
    const char *shown_as, const void *data, size_t len, const char *what)
{
	static unsigned char got[NET_MAX_DATAGRAM];
	enum outcome o;
	ssize_t n;

	h_udp_send(fd, host, port, data, len);
	o = logged(srv, shown_as, h_udp_port(fd), data, len, what);
	if (o != ECHOED)
		return o;
	n = h_udp_recv(fd, got, sizeof(got), h_ms(SHOW_MS), NULL);
	cr_assert(n != -1, "%s: the server said it echoed it, but no echo "
	    "came within %ld ms", what, h_ms(SHOW_MS));
	cr_assert(n == (ssize_t)len, "%s: sent %zu bytes, the echo had %zd: "
	    "echo all n bytes recvfrom() returned (strlen() stops at the "
	    "first NUL)", what, len, n);
	cr_assert(memcmp(got, data, len) == 0, "%s: the echo has the right "
	    "length but other bytes", what);
	return ECHOED;
}

/*
 * Stop the server with sig and check its summary against what the test
 * counted: count[] by outcome, received their sum.
 */
static void
expect_summary_with(struct h_proc *srv, int sig, const char *signame,
    const unsigned long count[NOUTCOMES], unsigned long unanswered)
{
	static const char *const label[NOUTCOMES] = {
		"echoed", "dropped, source port below 1024",
		"dropped, over the rate limit", "dropped, too many sources",
	};
	unsigned long received = unanswered;
	char want[128];
	const char *line;
	int status;

	for (int i = 0; i < NOUTCOMES; i++)
		received += count[i];
	cr_assert(kill(h_pid(srv), sig) == 0, "kill: %s", strerror(errno));
	status = h_wait(srv, h_ms(SHOW_MS));
	cr_assert(status != -1, "sent %s to the server: it did not exit "
	    "within %ld ms. A server blocked in recvfrom() never sees the "
	    "signal that net_catch_stop_signals() blocks: wait in "
	    "net_wait_or_stop()", signame, h_ms(SHOW_MS));
	cr_assert(status == 0, "after %s the exit status should be 0: %s",
	    signame, h_ending(srv));
	snprintf(want, sizeof(want), "received: %lu", received);
	line = h_line_starting(srv, "received: ", 0);
	cr_assert(line != NULL && strcmp(line, want) == 0, "after %s the "
	    "summary should start \"%s\" (the test sent %lu datagrams), got "
	    "\"%s\"", signame, want, received, line ? line : "(no line)");
	for (int i = 0; i < NOUTCOMES; i++) {
		snprintf(want, sizeof(want), "%s: %lu", label[i], count[i]);
		line = h_line(srv, 0);
		cr_assert(line != NULL && strcmp(line, want) == 0,
		    "summary line %d after %s: expected \"%s\" (what the "
		    "server's own log said), got \"%s\"", i + 2, signame,
		    want, line ? line : "(no line)");
	}
	line = h_line(srv, 0);
	cr_assert(line == NULL, "after the summary's 5 lines the server "
	    "printed \"%s\"", line);
}

/* The summary when every datagram was echoed or dropped. */
static void
expect_summary(struct h_proc *srv, int sig, const char *signame,
    const unsigned long count[NOUTCOMES])
{
	expect_summary_with(srv, sig, signame, count, 0);
}

/* ---------------------------------------------------------------------- */
Test(safe_echo, first_lines_name_the_port_and_the_limits)
{
	static const unsigned long none[NOUTCOMES] = { 0 };
	uint16_t port;
	struct h_proc *srv = h_server_args(h_lab_program(),
	    (const char *const[]){ "-b", "7", "-r", "3", NULL }, "127.0.0.1",
	    &port);
	char want[64];
	const char *line;

	snprintf(want, sizeof(want), "starting up on 127.0.0.1 port %u\n",
	    (unsigned)port);
	cr_assert(strncmp(h_stdout(srv), want, strlen(want)) == 0,
	    "the first line should be \"%.*s\", got \"%.80s\"",
	    (int)strlen(want) - 1, want, h_stdout(srv));
	line = h_line(srv, h_ms(SHOW_MS));
	cr_assert(line != NULL && strcmp(line, "limit 3 datagrams per second "
	    "per address, burst 7") == 0, "with -b 7 -r 3 the second line "
	    "should be \"limit 3 datagrams per second per address, burst 7\", "
	    "got \"%s\"", line ? line : "(no line)");
	expect_summary(srv, SIGTERM, "SIGTERM", none);
}

/* Within its burst a source's datagrams come back, byte for byte. */
static void
check_echo(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len)
{
	uint16_t port;
	struct h_proc *srv = start_server(0, 0, server_host, &port);
	int fd = h_udp_open(client_host);
	unsigned long count[NOUTCOMES] = { 0 };
	enum outcome o;

	o = exchange(srv, client_host, port, fd, shown_as, data, len,
	    "the first datagram from a new address");
	cr_assert(o == ECHOED, "the first datagram from %s port %u should "
	    "be echoed, it was dropped: %s", client_host, h_udp_port(fd),
	    reason[o]);
	count[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", count);
}

Test(safe_echo, echoes_binary_bytes_over_ipv4)
{
	static const unsigned char data[] = { 'a', 0, 0xff, '\n', '"', '\\',
		0x7f, 0x01, 'z' };

	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data));
}

Test(safe_echo, echoes_over_ipv6)
{
	check_echo("::1", "::1", "::1", "Hello World", 11);
}

Test(safe_echo, without_host_serves_ipv4_as_mapped_addresses)
{
	check_echo(NULL, "127.0.0.1", "::ffff:127.0.0.1", "", 0);
}

/*
 * Send count datagrams from fd (or each from a new socket on client_host,
 * if fd is -1) as fast as lockstep allows; tally the outcomes and return
 * how long it took in ms.  The first must_echo must be echoed; limits
 * says which options the server has, for the messages.
 */
static long
run(struct h_proc *srv, uint16_t port, int fd, const char *client_host,
    const char *shown_as, int count, int must_echo, const char *limits,
    unsigned long tally[NOUTCOMES])
{
	long start = h_now_ms();

	for (int i = 0; i < count; i++) {
		int s = fd == -1 ? h_udp_open(client_host) : fd;
		char msg[32];
		char what[96];
		int len = snprintf(msg, sizeof(msg), "datagram %d", i + 1);
		enum outcome o;

		snprintf(what, sizeof(what), "datagram %d from %s", i + 1,
		    shown_as);
		o = exchange(srv, client_host, port, s, shown_as, msg,
		    (size_t)len, what);
		cr_assert(i >= must_echo || o == ECHOED, "with %s the first "
		    "%d datagrams from a new address must be echoed; datagram "
		    "%d was dropped: %s. Does a new bucket start full, with "
		    "burst tokens?", limits, must_echo, i + 1, reason[o]);
		cr_assert(o == ECHOED || o == RATE_LIMIT, "datagram %d from "
		    "%s port %u was dropped: %s", i + 1, shown_as,
		    h_udp_port(s), reason[o]);
		tally[o]++;
		if (fd == -1)
			close(s);
	}
	return h_now_ms() - start;
}

Test(safe_echo, defaults_are_10_per_second_and_a_burst_of_20)
{
	uint16_t port;
	struct h_proc *srv = start_server(0, 0, "::1", &port);
	int fd = h_udp_open("::1");
	unsigned long tally[NOUTCOMES] = { 0 };
	long ms = run(srv, port, fd, "::1", "::1", 30, 20,
	    "no -r and no -b (a burst of 20)", tally);
	long most = 20 + 10 * ms / 1000 + 1;

	cr_assert(tally[ECHOED] <= (unsigned long)most, "without -r and -b, "
	    "30 datagrams in %ld ms got %lu echoes; at most %ld may come back "
	    "(the default burst of 20, and 10 a second)", ms, tally[ECHOED],
	    most);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, echoes_a_burst_then_drops_over_the_rate)
{
	uint16_t port;
	struct h_proc *srv = start_server(1, 3, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	long ms = run(srv, port, fd, "127.0.0.1", "127.0.0.1", 10, 3,
	    "-r 1 -b 3", tally);
	long most = 3 + ms / 1000 + 1;
	char got[16];

	cr_assert(tally[ECHOED] <= (unsigned long)most, "with -r 1 -b 3, 10 "
	    "datagrams in %ld ms got %lu echoes; at most %ld may come back "
	    "(the burst and one a second)", ms, tally[ECHOED], most);
	cr_assert(h_udp_recv(fd, got, sizeof(got), h_ms(100), NULL) == -1,
	    "a dropped datagram was echoed all the same");
	expect_summary(srv, SIGINT, "SIGINT", tally);
}

Test(safe_echo, the_bucket_refills_at_the_given_rate)
{
	uint16_t port;
	struct h_proc *srv = start_server(10, 1, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	char got[16];

	/* The burst of 1, then datagrams until one is dropped (within
	 * 100 ms, before a token comes back, unless the machine stalls). */
	run(srv, port, fd, "127.0.0.1", "127.0.0.1", 1, 1, "-r 10 -b 1",
	    tally);
	for (int i = 0; i < 5 && tally[RATE_LIMIT] == 0; i++)
		run(srv, port, fd, "127.0.0.1", "127.0.0.1", 1, 0,
		    "-r 10 -b 1", tally);
	cr_assert(tally[RATE_LIMIT] > 0, "with -r 10 -b 1, %lu datagrams in "
	    "a row were all echoed", tally[ECHOED]);
	/* Then one every 300 ms: 3 tokens' worth of time each, so all come
	 * back, whether or not a second of the clock ticks in between. */
	for (int i = 1; i <= 5; i++) {
		enum outcome o;
		char what[64];

		cr_assert(h_udp_recv(fd, got, sizeof(got), 300, NULL) == -1,
		    "an echo came that the server did not log");
		snprintf(what, sizeof(what), "datagram %d of one every 300 ms",
		    i);
		o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "again",
		    5, what);
		cr_assert(o == ECHOED, "with -r 10 -b 1 the burst was spent; "
		    "then a datagram every 300 ms should always be echoed, but "
		    "number %d was dropped (%s). Does the bucket refill with "
		    "time, in fractions of a second?", i, reason[o]);
		tally[o]++;
	}
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, the_bucket_holds_at_most_the_burst)
{
	uint16_t port;
	struct h_proc *srv = start_server(5, 2, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	unsigned long before;
	char got[16];
	long ms;
	long most;

	run(srv, port, fd, "127.0.0.1", "127.0.0.1", 1, 1, "-r 5 -b 2", tally);
	/* 2 s of quiet: 10 tokens' worth of time for a bucket of 2. */
	cr_assert(h_udp_recv(fd, got, sizeof(got), 2000, NULL) == -1,
	    "an echo came that the server did not log");
	before = tally[ECHOED];
	ms = run(srv, port, fd, "127.0.0.1", "127.0.0.1", 12, 2, "-r 5 -b 2",
	    tally);
	most = 2 + 5 * ms / 1000 + 1;
	cr_assert(tally[ECHOED] - before <= (unsigned long)most, "with -r 5 "
	    "-b 2, after 2 s of quiet, 12 datagrams in %ld ms got %lu echoes; "
	    "at most %ld may come back. Does the bucket fill beyond the "
	    "burst?", ms, tally[ECHOED] - before, most);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, each_address_has_its_own_bucket)
{
	uint16_t port;
	struct h_proc *srv = start_server(1, 2, NULL, &port);
	int one = h_udp_open("127.0.0.1");
	/* The same port: only the address tells the two apart. */
	int two = h_udp_open_port("127.0.0.2", h_udp_port(one));
	int six = h_udp_open("::1");
	unsigned long tally[NOUTCOMES] = { 0 };
	unsigned long echoed;

	run(srv, port, one, "127.0.0.1", "::ffff:127.0.0.1", 4, 2,
	    "-r 1 -b 2", tally);
	cr_assert(tally[RATE_LIMIT] > 0, "with -r 1 -b 2, 4 datagrams from "
	    "127.0.0.1 in a row were all echoed");
	echoed = tally[ECHOED];
	run(srv, port, two, "127.0.0.2", "::ffff:127.0.0.2", 2, 0,
	    "-r 1 -b 2", tally);
	cr_assert(tally[ECHOED] == echoed + 2, "127.0.0.1 spent its burst of "
	    "2; then only %lu of 2 datagrams from 127.0.0.2 were echoed: each "
	    "source address needs its own bucket", tally[ECHOED] - echoed);
	run(srv, port, six, "::1", "::1", 2, 0, "-r 1 -b 2", tally);
	cr_assert(tally[ECHOED] == echoed + 4, "127.0.0.1 spent its burst of "
	    "2; then only %lu of 2 datagrams from ::1 were echoed: each "
	    "source address needs its own bucket", tally[ECHOED] - echoed - 2);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_sender_that_changes_ports_shares_its_addresss_bucket)
{
	uint16_t port;
	struct h_proc *srv = start_server(1, 3, "127.0.0.1", &port);
	unsigned long tally[NOUTCOMES] = { 0 };
	long ms = run(srv, port, -1, "127.0.0.1", "127.0.0.1", 8, 3,
	    "-r 1 -b 3", tally);
	long most = 3 + ms / 1000 + 1;

	cr_assert(tally[ECHOED] <= (unsigned long)most, "with -r 1 -b 3, 8 "
	    "datagrams from 127.0.0.1, each from a new port, got %lu echoes "
	    "in %ld ms; at most %ld may come back. Is the bucket kept per "
	    "address and port? A sender that changes ports must not escape "
	    "the limit", tally[ECHOED], ms, most);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

/* The address of source number i + 1 of the table: 127.0.1.1 and on. */
static const char *
source_host(int i, char *host, size_t cap)
{
	snprintf(host, cap, "127.0.%d.%d", 1 + i / 250, 1 + i % 250);
	return host;
}

/*
 * Fill the table: 1024 sources, 127.0.1.1 to 127.0.5.24, each sending
 * `each` datagrams, all of which must be echoed; then one datagram from a
 * 1025th source, 127.0.5.25.  A few sources send before the test reads
 * the log for them, so that the server sets the pace, not round trips.
 * *ms is the time from the first datagram to the 1025th's log line.
 * Returns what the server did with the 1025th.
 */
static enum outcome
fill_the_table(struct h_proc *srv, uint16_t port, long each,
    unsigned long tally[NOUTCOMES], long *ms)
{
	/* At most 64 datagrams queued at once: far below a socket's buffer,
	 * which would drop the rest. */
	int batch = each >= 64 ? 1 : (int)(64 / each);
	long start = h_now_ms();
	char host[32];
	enum outcome last;
	int fds[64];
	int fd;

	for (int first = 0; first < 1024; first += batch) {
		int end = first + batch < 1024 ? first + batch : 1024;

		for (int i = first; i < end; i++) {
			fds[i - first] = h_udp_open(source_host(i, host,
			    sizeof(host)));
			for (long j = 0; j < each; j++)
				h_udp_send(fds[i - first], "127.0.0.1", port,
				    "hi", 2);
		}
		for (int i = first; i < end; i++) {
			unsigned cport = h_udp_port(fds[i - first]);

			source_host(i, host, sizeof(host));
			for (long j = 0; j < each; j++) {
				char what[128];
				enum outcome o;

				snprintf(what, sizeof(what), "datagram %ld of "
				    "%ld from %s, source number %d", j + 1,
				    each, host, i + 1);
				o = logged(srv, host, cport, "hi", 2, what);
				cr_assert(o == ECHOED, "%s: the table has room "
				    "for 1024 sources, and each may send %ld "
				    "at once, but it was dropped: %s", what,
				    each, reason[o]);
				tally[o]++;
			}
			close(fds[i - first]);
		}
	}
	fd = h_udp_open(source_host(1024, host, sizeof(host)));
	last = exchange(srv, "127.0.0.1", port, fd, host, "hi", 2,
	    "the first datagram from 127.0.5.25, source number 1025");
	*ms = h_now_ms() - start;
	close(fd);
	tally[last]++;
	return last;
}

Test(safe_echo, remembers_at_most_1024_sources)
{
	/*
	 * With -r 1, a bucket that spent `each` tokens is full again `each`
	 * seconds later, and may then make room for a newcomer; the 1025th
	 * source proves something only if the table filled faster than
	 * that.  So each source spends more when everything runs slower
	 * (UDPLAB_TIME_FACTOR), and twice as much again on a try that was
	 * too slow all the same.
	 */
	long each = h_time_factor();
	unsigned long tally[NOUTCOMES];
	struct h_proc *srv;
	uint16_t port;
	enum outcome last;
	long ms;
	int fd;

	for (int try = 1;; try++) {
		memset(tally, 0, sizeof(tally));
		srv = start_server(1, 1000000, "127.0.0.1", &port);
		last = fill_the_table(srv, port, each, tally, &ms);
		if (ms < each * 1000 - 10)
			break;
		h_stop(srv, SIGTERM);
		if (try == 3)
			h_too_slow("safe_echo::remembers_at_most_1024_sources",
			    "it needs a fast enough machine: three tries to "
			    "fill the table each took longer than a bucket "
			    "takes to refill");
		each *= 2;
	}
	cr_assert(last == TOO_MANY, "with -r 1 -b 1000000, 1024 sources sent "
	    "%ld datagram%s each within %ld ms, so none of their buckets is "
	    "full again (that takes %ld s); a datagram from a 1025th source "
	    "should be dropped as \"too many sources\", it was %s. Forgetting "
	    "a bucket that is not full gives its source a fresh burst", each,
	    each == 1 ? "" : "s", ms, each,
	    last == ECHOED ? "echoed" : reason[last]);
	fd = h_udp_open("127.0.5.24");
	last = exchange(srv, "127.0.0.1", port, fd, "127.0.5.24", "still me",
	    8, "a datagram from 127.0.5.24, source number 1024, with the "
	    "table full");
	cr_assert(last == ECHOED, "with the table full, a source it holds "
	    "(127.0.5.24, the last one added, with tokens to spare) should "
	    "still be echoed, it was dropped: %s", reason[last]);
	tally[last]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_full_bucket_makes_room_for_a_new_source)
{
	uint16_t port;
	struct h_proc *srv = start_server(1000000, 1, "127.0.0.1", &port);
	unsigned long tally[NOUTCOMES] = { 0 };
	enum outcome last;
	long ms;

	last = fill_the_table(srv, port, 1, tally, &ms);
	cr_assert(last == ECHOED, "with -r 1000000 -b 1, every bucket refills "
	    "within microseconds; a 1025th source should take the place of a "
	    "full bucket and be echoed, it was dropped: %s", reason[last]);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

/*
 * Start the program with args (NULL-terminated) and wait for it to exit,
 * which it should do at once; one still running is stopped, and *status
 * is then -1.
 */
static struct h_proc *
run_to_exit(const char *const *args, int *status)
{
	char *argv[8];
	struct h_proc *p;
	int n = 0;

	argv[n++] = (char *)h_lab_program();
	for (int j = 0; args[j] != NULL && n < 7; j++)
		argv[n++] = (char *)args[j];
	argv[n] = NULL;
	p = h_spawn(argv, &(struct h_opts){ .wrap = true });
	*status = h_wait(p, h_ms(SHOW_MS));
	if (*status == -1)
		h_stop(p, SIGTERM);
	return p;
}

Test(safe_echo, a_port_in_use_exits_1)
{
	int held = h_udp_open("127.0.0.1");
	char port[8];
	struct h_proc *p;
	int status;

	snprintf(port, sizeof(port), "%u", (unsigned)h_udp_port(held));
	p = run_to_exit((const char *const[]){ "127.0.0.1", port, NULL },
	    &status);
	cr_assert(status == 1, "port %s of 127.0.0.1 is taken (by a socket of "
	    "the test): bind() fails, and the exit status should be 1, got "
	    "%d%s (stderr: %s)", port, status, status == -1 ? " (it was still "
	    "running: did it check what bind() returned?)" : "",
	    h_stderr(p));
	cr_assert(strstr(h_stderr(p), "bind") != NULL &&
	    strstr(h_stderr(p), strerror(EADDRINUSE)) != NULL,
	    "port %s of 127.0.0.1 is taken: stderr should say which call "
	    "failed and why, \"safe-echo: bind: %s\" (use err), got \"%s\"",
	    port, strerror(EADDRINUSE), h_stderr(p));
	close(held);
}

Test(safe_echo, a_host_that_does_not_resolve_exits_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_lab_program(), H_BAD_HOST,
	    "0", NULL }, true);
}

Test(safe_echo, usage_errors_exit_2)
{
	static const struct {
		const char *args[7];
		const char *why;
	} cases[] = {
		{ { NULL }, "no port" },
		{ { "-r", "0", "0", NULL }, "-r 0" },
		{ { "-r", "1.5", "0", NULL }, "-r 1.5" },
		{ { "-r", "1000001", "0", NULL }, "-r 1000001" },
		{ { "-b", "0", "0", NULL }, "-b 0" },
		{ { "-b", "x", "0", NULL }, "-b x" },
		{ { "-b", "1000001", "0", NULL }, "-b 1000001" },
		{ { "-r", "", "0", NULL }, "an empty -r" },
		{ { "127.0.0.1", "-1", NULL }, "port -1" },
		{ { "-r", "0", "-b", "0", "65536", NULL },
		    "-r 0, -b 0 and port 65536 at once" },
		{ { H_BAD_HOST, "65536", NULL }, "a host that does not "
		    "resolve and port 65536 (a usage error, found before "
		    "the host is looked up)" },
		{ { "-r", "5", "-b", NULL }, "-b without its number" },
		{ { "-x", "0", NULL }, "an unknown option" },
		{ { "127.0.0.1", "65536", NULL }, "port 65536" },
		{ { "127.0.0.1", "0", "extra", NULL }, "an extra argument" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8];
		int n = 0;

		argv[n++] = (char *)h_lab_program();
		for (int j = 0; cases[i].args[j] != NULL; j++)
			argv[n++] = (char *)cases[i].args[j];
		argv[n] = NULL;
		h_expect_usage(argv, "usage: ", cases[i].why);
	}
}

/* ---------------------------------------------------------------------- */
/* Low source ports, in a namespace of our own. */
Test(safe_echo, refuses_source_ports_below_1024)
{
	h_rerun_in_netns("safe_echo::refuses_source_ports_below_1024", "",
	    "safe_echo_netns/low_source_ports_are_refused_without_spending_"
	    "tokens");
}

Test(safe_echo_netns, low_source_ports_are_refused_without_spending_tokens)
{
	static const uint16_t low[] = { 7, 13, 19, 1023 };
	uint16_t port;
	struct h_proc *srv;
	unsigned long tally[NOUTCOMES] = { 0 };
	char got[16];
	enum outcome o;
	ssize_t n;
	int fd;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that "
		    "safe_echo::refuses_source_ports_below_1024 makes");
	srv = start_server(1, 1, "127.0.0.1", &port);
	for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "a datagram from source port %u",
		    (unsigned)low[i]);
		fd = h_udp_open_port("127.0.0.1", low[i]);
		o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1",
		    "ping", 4, what);
		cr_assert(o == LOW_PORT, "a datagram from source port %u "
		    "was %s: it should be dropped (\"source port below "
		    "1024\"), or two echo services can loop forever "
		    "(CVE-1999-0103). %s", (unsigned)low[i],
		    o == ECHOED ? "echoed" : reason[o], o == ECHOED ?
		    "Is the port compared as the address holds it, in "
		    "network byte order? Convert it to host byte order "
		    "(ntohs) first" :
		    "The port check comes first, before the bucket is "
		    "looked at, and costs no token (LAB.md, step 1)");
		n = h_udp_recv(fd, got, sizeof(got), h_ms(100), NULL);
		cr_assert(n == -1, "a datagram from source port %u was echoed "
		    "all the same", (unsigned)low[i]);
		tally[o]++;
		close(fd);
	}
	fd = h_udp_open_port("127.0.0.1", 1024);
	o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "ping", 4,
	    "a datagram from source port 1024");
	cr_assert(o != LOW_PORT, "a datagram from source port 1024 was "
	    "dropped as a low port: 1024 is the first port a client may "
	    "have; refuse only ports below 1024");
	cr_assert(o == ECHOED, "with -b 1, four datagrams from low ports and "
	    "then one from port 1024 of the same address: it should be "
	    "echoed, it was dropped: %s. Did the low ports spend the "
	    "address's tokens?", reason[o]);
	tally[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

/*
 * LAB.md: the server stops within a second of SIGTERM even while
 * datagrams keep arriving.  A server that waits only in pselect() never
 * sees the signal while a flood lasts (lesson 06 says why).
 */
Test(safe_echo, sigterm_during_a_flood_ends_it_within_a_second)
{
	h_expect_flood_stop((char *[]){ (char *)h_lab_program(), "127.0.0.1",
	    "0", NULL });
}

/* ---------------------------------------------------------------------- */
/* Limits, from below and from above. */

/*
 * Start "safe-echo OPTS 127.0.0.1 0" with limits LAB.md allows, check
 * that it starts and names them, and stop it.
 */
static void
expect_accepted(long r, long b)
{
	static const unsigned long none[NOUTCOMES] = { 0 };
	char rs[24];
	char bs[24];
	char want[128];
	struct h_proc *p;
	const char *line;

	snprintf(rs, sizeof(rs), "%ld", r);
	snprintf(bs, sizeof(bs), "%ld", b);
	p = h_spawn((char *[]){ (char *)h_lab_program(), "-r", rs, "-b", bs,
	    "127.0.0.1", "0", NULL }, &(struct h_opts){ .wrap = true });
	line = h_line(p, h_ms(SHOW_MS));
	if (line == NULL || strncmp(line, "starting up on ", 15) != 0)
		h_wait(p, h_ms(1000));
	cr_assert(line != NULL && strncmp(line, "starting up on ", 15) == 0,
	    "with -r %ld -b %ld (LAB.md allows 1 to 1000000 for each) the "
	    "server should start; its first line was \"%s\"; %s", r, b,
	    line ? line : "(no line)", h_ending(p));
	snprintf(want, sizeof(want), "limit %ld datagrams per second per "
	    "address, burst %ld", r, b);
	line = h_line(p, h_ms(SHOW_MS));
	cr_assert(line != NULL && strcmp(line, want) == 0, "with -r %ld -b "
	    "%ld the second line should be\n  %s\ngot\n  %s", r, b, want,
	    line ? line : "(no line)");
	expect_summary(p, SIGTERM, "SIGTERM", none);
}

Test(safe_echo, the_limits_reach_from_1_to_1000000)
{
	expect_accepted(1, 1);
	expect_accepted(1000000, 1000000);
	expect_accepted(1, 1000000);
	expect_accepted(1000000, 1);
}

/*
 * Send datagrams from fd until the server drops one over the rate limit
 * (at most most of them), tallying what it did.  Returns how many were
 * echoed before that drop.
 */
static int
echoed_until_a_drop(struct h_proc *srv, uint16_t port, int fd,
    const char *what, int most, unsigned long tally[NOUTCOMES])
{
	int echoed = 0;

	for (int i = 0; i < most; i++) {
		char label[128];
		enum outcome o;

		snprintf(label, sizeof(label), "%s, datagram %d", what, i + 1);
		o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "tick",
		    4, label);
		cr_assert(o == ECHOED || o == RATE_LIMIT, "%s: dropped: %s",
		    label, reason[o]);
		tally[o]++;
		if (o == RATE_LIMIT)
			return echoed;
		echoed++;
	}
	return echoed;
}

/* Spend a bucket's burst: datagrams until one is dropped. */
static void
drain(struct h_proc *srv, uint16_t port, int fd, long burst,
    const char *limits, unsigned long tally[NOUTCOMES])
{
	char what[96];
	int most = (int)burst + 5;

	snprintf(what, sizeof(what), "with %s, spending the burst", limits);
	echoed_until_a_drop(srv, port, fd, what, most, tally);
	cr_assert(tally[RATE_LIMIT] > 0, "with %s, %d datagrams in a row "
	    "were all echoed: the burst should have run out", limits, most);
}

/* Nothing from the server for ms: a quiet spell that the test keeps. */
static void
quiet(int fd, long ms)
{
	char got[16];

	cr_assert(h_udp_recv(fd, got, sizeof(got), ms, NULL) == -1,
	    "an echo came that the server did not log");
}

Test(safe_echo, a_quiet_second_refills_the_whole_burst)
{
	uint16_t port;
	struct h_proc *srv = start_server(10, 10, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	int echoed;

	drain(srv, port, fd, 10, "-r 10 -b 10", tally);
	/* A second of quiet is 10 tokens: the bucket is full again,
	 * however slowly the test ran. */
	quiet(fd, 1000);
	echoed = echoed_until_a_drop(srv, port, fd, "-r 10 -b 10, after "
	    "1000 ms of quiet", 10, tally);
	cr_assert(echoed == 10, "with -r 10 -b 10 the burst was spent, then "
	    "1000 ms of quiet earned 10 tokens: the next 10 datagrams should "
	    "be echoed, but only %d were before one was dropped. Is the "
	    "time read when each datagram arrives (after the wait, not "
	    "before it), are both fields of struct timespec counted (tv_sec "
	    "and tv_nsec), and are per_second tokens a second added?",
	    echoed);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_steady_sender_earns_fractions_of_a_token)
{
	uint16_t port;
	struct h_proc *srv = start_server(10, 1, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	unsigned long before;

	drain(srv, port, fd, 1, "-r 10 -b 1", tally);
	before = tally[ECHOED];
	/*
	 * One every 60 ms or more: 0.6 tokens' worth each.  A bucket with
	 * less than one token gets one within two, so at least every other
	 * datagram is echoed; a bucket that rounds each 0.6 down to 0
	 * never earns one.
	 */
	for (int i = 1; i <= 20; i++) {
		char what[64];

		quiet(fd, 60);
		snprintf(what, sizeof(what), "datagram %d of one every 60 ms",
		    i);
		tally[exchange(srv, "127.0.0.1", port, fd, "127.0.0.1",
		    "steady", 6, what)]++;
	}
	cr_assert(tally[ECHOED] - before >= 8, "with -r 10 -b 1, 20 datagrams "
	    "60 ms or more apart (0.6 tokens' worth each) got only %lu "
	    "echoes; at least every other one should come back. Are the "
	    "tokens kept as a whole number, so that each refill of 0.6 is "
	    "rounded down to 0? Keep the fractions (a double)",
	    tally[ECHOED] - before);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

/*
 * LAB.md: less than one token, and the datagram is dropped.  With -r 1
 * -b 1, a datagram half a second after an echo finds half a token: a
 * server that drops only at zero tokens echoes it, and so lets a source
 * send twice the rate.
 */
Test(safe_echo, half_a_token_is_not_enough)
{
	uint16_t port;
	struct h_proc *srv = start_server(1, 1, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	enum outcome o;
	long first;

	o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "one", 3,
	    "with -r 1 -b 1, the first datagram");
	cr_assert(o == ECHOED, "with -r 1 -b 1, the first datagram should "
	    "be echoed: a new bucket is full; it was %s", reason[o]);
	tally[o]++;
	first = h_now_ms();
	quiet(fd, 500);
	if (h_now_ms() - first > 900)
		h_too_slow("safe_echo::half_a_token_is_not_enough", "it needs a "
		    "datagram within a second of the last, and this machine "
		    "took longer");
	o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "two", 3,
	    "with -r 1 -b 1, a datagram 500 ms after an echo");
	cr_assert(o == RATE_LIMIT, "with -r 1 -b 1, a datagram 500 ms after "
	    "an echo finds half a token and should be dropped, over the rate "
	    "limit; it was %s. Drop when tokens < 1, not when tokens <= 0: "
	    "else the bucket goes below zero and the source gets twice the "
	    "rate", o == ECHOED ? "echoed" : reason[o]);
	tally[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_dropped_datagram_costs_no_token)
{
	uint16_t port;
	struct h_proc *srv = start_server(2, 1, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	enum outcome o;

	drain(srv, port, fd, 1, "-r 2 -b 1", tally);
	for (int i = 0; i < 6; i++)
		tally[exchange(srv, "127.0.0.1", port, fd, "127.0.0.1",
		    "more", 4, "a datagram over the rate")]++;
	/* 700 ms: 1.4 tokens' worth, for a bucket that spent none. */
	quiet(fd, 700);
	o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "later", 5,
	    "a datagram after 700 ms of quiet");
	cr_assert(o == ECHOED, "with -r 2 -b 1, datagrams dropped over the "
	    "rate limit, then 700 ms of quiet (1.4 tokens' worth): the next "
	    "should be echoed, it was dropped: %s. Does a dropped datagram "
	    "spend a token all the same, leaving the bucket in debt? Spend "
	    "one only when there is one to spend", reason[o]);
	tally[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_long_quiet_spell_refills_the_bucket)
{
	const char *clock = h_fake_wall_clock(
	    "safe_echo::a_long_quiet_spell_refills_the_bucket", "+0");
	unsigned long tally[NOUTCOMES] = { 0 };
	struct h_proc *srv;
	uint16_t port;
	int echoed;
	int fd;

	/*
	 * libfaketime moves CLOCK_MONOTONIC too: 43 s forward is, to the
	 * server, 43 s of quiet, without the wait.  43 s is 10 times 2^32
	 * ns and 50 ms: an elapsed time kept in 32 bits of nanoseconds
	 * wraps to 50 ms, and tv_nsec's difference alone says much the same.
	 * Then 2147484 s more, 24.9 days: more milliseconds than an int
	 * holds (2^31 - 1 of them make 24.86 days).
	 */
	cr_assert(unsetenv("FAKETIME_DONT_FAKE_MONOTONIC") == 0, "unsetenv");
	srv = start_server(10, 10, "127.0.0.1", &port);
	fd = h_udp_open("127.0.0.1");
	drain(srv, port, fd, 10, "-r 10 -b 10", tally);
	h_move_wall_clock(clock, "+43");
	echoed = echoed_until_a_drop(srv, port, fd, "-r 10 -b 10, after 43 s "
	    "of quiet", 10, tally);
	cr_assert(echoed == 10, "with -r 10 -b 10 the burst was spent, then "
	    "43 s passed on CLOCK_MONOTONIC (the test moves it with "
	    "libfaketime): the bucket should be full again, but only %d "
	    "datagrams were echoed before one was dropped. Is the time since "
	    "the last refill kept in 32 bits of nanoseconds (they wrap "
	    "after 4.29 s), or only tv_nsec's difference used? Take both "
	    "fields of struct timespec, in a double or 64 bits", echoed);
	drain(srv, port, fd, 10, "-r 10 -b 10", tally);
	h_move_wall_clock(clock, "+2147527");
	echoed = echoed_until_a_drop(srv, port, fd, "-r 10 -b 10, after 24.9 "
	    "days of quiet", 10, tally);
	cr_assert(echoed == 10, "with -r 10 -b 10 the burst was spent, then "
	    "2147484 s (24.9 days) passed on CLOCK_MONOTONIC (the test moves "
	    "it with libfaketime): the bucket should be full again, but only "
	    "%d datagrams were echoed before one was dropped. Is the time "
	    "since the last refill kept in an int of milliseconds? 2^31 ms "
	    "are 24.86 days; keep seconds in a double, or 64 bits", echoed);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_wall_clock_set_back_does_not_stop_the_refill)
{
	const char *clock = h_fake_wall_clock(
	    "safe_echo::a_wall_clock_set_back_does_not_stop_the_refill", "+0");
	uint16_t port;
	struct h_proc *srv = start_server(10, 1, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	enum outcome o;

	drain(srv, port, fd, 1, "-r 10 -b 1", tally);
	h_move_wall_clock(clock, "-3600");
	/* 300 ms: 3 tokens' worth, on the clock that never jumps. */
	quiet(fd, 300);
	o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "later", 5,
	    "a datagram 300 ms after the wall clock was set back an hour");
	cr_assert(o == ECHOED, "with -r 10 -b 1 the burst was spent; then the "
	    "wall clock was set back an hour (libfaketime), and 300 ms later "
	    "a datagram was dropped: %s. Is the refill measured on the wall "
	    "clock (time(), gettimeofday(), CLOCK_REALTIME)? Use "
	    "CLOCK_MONOTONIC, which never jumps", reason[o]);
	tally[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_wall_clock_set_forward_does_not_refill_the_bucket)
{
	const char *clock = h_fake_wall_clock("safe_echo::a_wall_clock_set_"
	    "forward_does_not_refill_the_bucket", "+0");
	unsigned long tally[NOUTCOMES];
	struct h_proc *srv;
	uint16_t port;
	enum outcome o;
	long start;
	int fd;

	/*
	 * With -r 1 the drained bucket earns its next token a second after
	 * the first datagram: the check means something only if it came
	 * sooner, which a loaded machine may not manage at the first try.
	 */
	for (int try = 1;; try++) {
		memset(tally, 0, sizeof(tally));
		h_move_wall_clock(clock, "+0");
		srv = start_server(1, 1, "127.0.0.1", &port);
		fd = h_udp_open("127.0.0.1");
		start = h_now_ms();
		drain(srv, port, fd, 1, "-r 1 -b 1", tally);
		h_move_wall_clock(clock, "+3600");
		o = exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "again",
		    5, "a datagram just after the wall clock was set forward "
		    "an hour");
		tally[o]++;
		if (h_now_ms() - start < 900)
			break;
		h_stop(srv, SIGTERM);
		close(fd);
		if (try == 3)
			h_too_slow("safe_echo::a_wall_clock_set_forward_does_not_"
			    "refill_the_bucket", "it needs a fast enough "
			    "machine: three tries each took longer than a "
			    "token takes to come back");
	}
	cr_assert(o == RATE_LIMIT, "with -r 1 -b 1 the burst was spent; then "
	    "the wall clock was set forward an hour (libfaketime), and a "
	    "datagram less than a second later was %s: it should be dropped "
	    "over the rate limit. Is the refill measured on the wall clock "
	    "(time(), gettimeofday(), CLOCK_REALTIME)? Use CLOCK_MONOTONIC, "
	    "which never jumps", o == ECHOED ? "echoed" : reason[o]);
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

/* ---------------------------------------------------------------------- */
/* Datagrams large and small. */

/* A datagram of len bytes, every one of them set: a pattern of letters. */
static unsigned char *
pattern(size_t len)
{
	unsigned char *data = malloc(len > 0 ? len : 1);

	cr_assert(data != NULL, "malloc");
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)('a' + i % 26);
	return data;
}

Test(safe_echo, echoes_the_largest_datagrams_whole)
{
	unsigned char *data = pattern(NET_MAX_UDP6);

	/* 65507 = 65535 - 20 (IPv4 header) - 8 (UDP); IPv6's header is
	 * not in its payload length, so 65535 - 8 over loopback. */
	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", data, 65507);
	check_echo("::1", "::1", "::1", data, 65527);
	free(data);
}

Test(safe_echo, echoes_an_empty_datagram)
{
	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", "", 0);
}

/* ---------------------------------------------------------------------- */
/* What it costs, and what the system says. */
Test(safe_echo, sleeps_while_no_datagram_comes)
{
	uint16_t port;
	struct h_proc *srv = start_server(0, 0, "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	unsigned long tally[NOUTCOMES] = { 0 };
	long cpu0 = h_cpu_ms(srv);
	long t0 = h_now_ms();
	const char *line = h_line(srv, 2000);

	cr_assert(line == NULL, "nothing was sent, but the server printed "
	    "\"%s\"", line);
	h_expect_sleeping(srv, cpu0, t0, "waiting 2000 ms for a datagram");
	tally[exchange(srv, "127.0.0.1", port, fd, "127.0.0.1", "awake", 5,
	    "a datagram after 2 s of quiet")]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_failing_stdout_exits_1)
{
	/* /dev/full fails every write with ENOSPC. */
	static const char script[] = "exec \"$0\" 127.0.0.1 0 >/dev/full";
	struct h_proc *p = h_spawn((char *[]){ "sh", "-c", (char *)script,
	    (char *)h_lab_program(), NULL }, &(struct h_opts){ .wrap = false });
	int status = h_wait(p, h_ms(SHOW_MS));

	if (status == -1)
		h_stop(p, SIGTERM);
	cr_assert(status == 1 && strstr(h_stderr(p), "stdout") != NULL &&
	    strstr(h_stderr(p), strerror(ENOSPC)) != NULL, "with standard "
	    "output on /dev/full, where every write fails, the server should "
	    "exit 1 at its first line with \"safe-echo: stdout: %s\" (check "
	    "what printf returns, and use err); %s", strerror(ENOSPC),
	    status == -1 ? "it was still running" : h_ending(p));
}

/* ---------------------------------------------------------------------- */
/* In namespaces of our own: other links, other settings, failing sends. */
Test(safe_echo, without_host_serves_both_families_with_bindv6only_set)
{
	h_rerun_in_netns("safe_echo::without_host_serves_both_families_with_"
	    "bindv6only_set", "echo 1 >/proc/sys/net/ipv6/bindv6only",
	    "safe_echo_netns/without_host_serves_both_families");
}

Test(safe_echo_netns, without_host_serves_both_families)
{
	unsigned long tally[NOUTCOMES] = { 0 };
	struct h_proc *srv;
	uint16_t port;
	int fd;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that safe_echo::"
		    "without_host_serves_both_families_with_bindv6only_set "
		    "makes");
	/*
	 * Here net.ipv6.bindv6only is 1: an IPv6 socket takes IPv6 alone
	 * unless the server itself turns IPV6_V6ONLY off.
	 */
	check_echo(NULL, "::1", "::1", "six", 3);
	srv = start_server(0, 0, NULL, &port);
	fd = h_udp_open("127.0.0.1");
	h_udp_send(fd, "127.0.0.1", port, "four", 4);
	cr_assert(h_stdout_has(srv, "received 4 bytes from ::ffff:127.0.0.1 ",
	    h_ms(SHOW_MS)), "with net.ipv6.bindv6only set to 1, a server "
	    "without a host should still take IPv4: a datagram from "
	    "127.0.0.1 never reached it (it logged \"%.200s\"). The default "
	    "of IPV6_V6ONLY is the system's: turn it off yourself "
	    "(net_server_socket does)", h_stdout(srv));
	tally[logged(srv, "::ffff:127.0.0.1", h_udp_port(fd), "four", 4,
	    "a datagram from 127.0.0.1")]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, one_address_on_two_links_is_two_sources)
{
	h_rerun_in_netns("safe_echo::one_address_on_two_links_is_two_sources",
	    H_TWO_LINKS, "safe_echo_netns/fe80_1_on_v0_and_on_w0_has_two_"
	    "buckets");
}

Test(safe_echo_netns, fe80_1_on_v0_and_on_w0_has_two_buckets)
{
	unsigned long tally[NOUTCOMES] = { 0 };
	struct h_proc *srv;
	uint16_t port;
	enum outcome o;
	int v0;
	int w0;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that safe_echo::"
		    "one_address_on_two_links_is_two_sources makes");
	srv = start_server(1, 1, NULL, &port);
	/* The same address and the same port; only the scope differs. */
	v0 = h_udp_open("fe80::1%v0");
	w0 = h_udp_open_port("fe80::1%w0", h_udp_port(v0));
	o = exchange(srv, "fe80::1%v0", port, v0, "fe80::1%v0", "one", 3,
	    "the first datagram from fe80::1%v0");
	cr_assert(o == ECHOED, "the first datagram from fe80::1%%v0 should be "
	    "echoed, it was dropped: %s", reason[o]);
	tally[o]++;
	o = exchange(srv, "fe80::1%w0", port, w0, "fe80::1%w0", "two", 3,
	    "the first datagram from fe80::1%w0, from the same port");
	cr_assert(o == ECHOED, "with -r 1 -b 1, fe80::1%%v0 spent its token; "
	    "then the first datagram from fe80::1%%w0 (the same address and "
	    "port on another link) was dropped: %s. A link-local address "
	    "means a host only together with its link: compare sin6_scope_id "
	    "too", reason[o]);
	tally[o]++;
	expect_summary(srv, SIGTERM, "SIGTERM", tally);
}

Test(safe_echo, a_failed_sendto_is_reported_and_the_server_goes_on)
{
	h_rerun_in_netns("safe_echo::a_failed_sendto_is_reported_and_the_"
	    "server_goes_on", "", "safe_echo_netns/an_echo_to_an_unreachable_"
	    "source_fails");
}

/*
 * Send len bytes of data to 127.0.0.1 port to "from" src port sport, an
 * address no route leads to, through a raw socket (which writes its own
 * IP header; loopback delivers it as written).  Needs CAP_NET_RAW, which
 * root of a user namespace has in its own network namespace.
 */
static void
send_forged(const char *src, uint16_t sport, uint16_t port,
    const void *data, size_t len)
{
	unsigned char packet[128];
	struct iphdr ip = { 0 };
	struct udphdr udp = { 0 };
	struct sockaddr_in to = { 0 };
	int on = 1;
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);

	if (fd == -1)
		h_skip("safe_echo::a_failed_sendto_is_reported_and_the_server_"
		    "goes_on", "it forges a datagram with a raw socket, which "
		    "the namespace does not allow here");
	h_cloexec(fd);
	cr_assert(len <= sizeof(packet) - sizeof(ip) - sizeof(udp), "long");
	cr_assert(setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on,
	    sizeof(on)) == 0, "setsockopt IP_HDRINCL: %s", strerror(errno));
	ip.version = 4;
	ip.ihl = sizeof(ip) / 4;
	ip.ttl = 64;
	ip.protocol = IPPROTO_UDP;
	/* The kernel fills in the total length, the id and the checksum. */
	cr_assert(inet_pton(AF_INET, src, &ip.saddr) == 1, "inet_pton");
	ip.daddr = htonl(INADDR_LOOPBACK);
	udp.source = htons(sport);
	udp.dest = htons(port);
	udp.len = htons((uint16_t)(sizeof(udp) + len));
	/* A UDP checksum of 0 over IPv4: none computed (RFC 768). */
	memcpy(packet, &ip, sizeof(ip));
	memcpy(packet + sizeof(ip), &udp, sizeof(udp));
	memcpy(packet + sizeof(ip) + sizeof(udp), data, len);
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(sendto(fd, packet, sizeof(ip) + sizeof(udp) + len, 0,
	    (struct sockaddr *)&to, sizeof(to)) != -1, "sendto (raw): %s",
	    strerror(errno));
	close(fd);
}

Test(safe_echo_netns, an_echo_to_an_unreachable_source_fails)
{
	unsigned long tally[NOUTCOMES] = { 0 };
	char warning[128];
	struct h_proc *srv;
	const char *line;
	uint16_t port;
	enum outcome o;
	int fd;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that safe_echo::"
		    "a_failed_sendto_is_reported_and_the_server_goes_on makes");
	srv = start_server(0, 0, "127.0.0.1", &port);
	/* Only loopback is up here: nothing leads back to 10.9.9.9. */
	send_forged("10.9.9.9", 5000, port, "hello", 5);
	line = h_line(srv, h_ms(SHOW_MS));
	cr_assert(line != NULL && strcmp(line, "received 5 bytes from "
	    "10.9.9.9 port 5000: \"hello\"") == 0, "a datagram from 10.9.9.9 "
	    "port 5000 (forged by the test) should be logged as\n  received "
	    "5 bytes from 10.9.9.9 port 5000: \"hello\"\ngot\n  %s",
	    line ? line : "(no line)");
	snprintf(warning, sizeof(warning), "sendto 10.9.9.9 port 5000: %s",
	    strerror(ENETUNREACH));
	cr_assert(h_stderr_has(srv, warning, h_ms(SHOW_MS)), "the echo to "
	    "10.9.9.9 port 5000 cannot be sent (no route leads there): stderr "
	    "should say \"safe-echo: %s\" (warn), it says \"%.300s\"",
	    warning, h_stderr(srv));
	/*
	 * LAB.md: the warning is that datagram's second line; stdout says
	 * nothing more of it, and the next line is the next datagram's.
	 */
	fd = h_udp_open("127.0.0.1");
	h_udp_send(fd, "127.0.0.1", port, "next", 4);
	line = h_line(srv, h_ms(SHOW_MS));
	if (line == NULL)
		h_wait(srv, h_ms(500));
	cr_assert(line != NULL && strncmp(line, "received 4 bytes from "
	    "127.0.0.1 ", 22) == 0, "after a failed sendto (warned about on "
	    "stderr) the server should go on: the next line should be the "
	    "next datagram's \"received 4 bytes from 127.0.0.1 port %u: "
	    "\\\"next\\\"\", got \"%s\"; %s. A failed echo is that client's "
	    "loss: warn, print no \"sent\" line, and serve the next",
	    h_udp_port(fd), line ? line : "(no line)", h_ending(srv));
	line = h_line(srv, h_ms(SHOW_MS));
	cr_assert(line != NULL && strncmp(line, "sent 4 bytes back", 17) == 0,
	    "the datagram after a failed sendto should be echoed, the server "
	    "said \"%s\"", line ? line : "(no line)");
	o = ECHOED;
	tally[o]++;
	/* The failed one counts as received, neither echoed nor dropped. */
	expect_summary_with(srv, SIGTERM, "SIGTERM", tally, 1);
}

Test(safe_echo, port_65535_is_a_port)
{
	h_rerun_in_netns("safe_echo::port_65535_is_a_port", "",
	    "safe_echo_netns/binds_port_65535");
}

Test(safe_echo_netns, binds_port_65535)
{
	static const unsigned long none[NOUTCOMES] = { 0 };
	struct h_proc *p;
	const char *line;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that safe_echo::"
		    "port_65535_is_a_port makes");
	/* A namespace of our own: nothing else can hold the port here. */
	p = h_spawn((char *[]){ (char *)h_lab_program(), "127.0.0.1", "65535",
	    NULL }, &(struct h_opts){ .wrap = true });
	line = h_line(p, h_ms(SHOW_MS));
	if (line == NULL)
		h_wait(p, h_ms(1000));
	cr_assert(line != NULL && strcmp(line, "starting up on 127.0.0.1 port "
	    "65535") == 0, "\"safe-echo 127.0.0.1 65535\": LAB.md allows ports "
	    "0 to 65535, and 65535 was free; the first line should be "
	    "\"starting up on 127.0.0.1 port 65535\", got \"%s\"; %s",
	    line ? line : "(no line)", h_ending(p));
	line = h_line(p, h_ms(SHOW_MS));
	cr_assert(line != NULL, "no second line: %s", h_ending(p));
	expect_summary(p, SIGTERM, "SIGTERM", none);
}
