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
 * tests of suite safe_echo_netns run only there.
 */
#include <criterion/criterion.h>

#include <errno.h>
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
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "the second line should be\n  %s\ngot\n  %s", want,
	    line ? line : "(no line)");
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
	char want[512];
	const char *line;

	snprintf(want, sizeof(want), "received %zu bytes from %s port %u: "
	    "\"%s\"", len, shown_as, cport, escaped);
	free(escaped);
	line = h_line(srv, h_ms(SHOW_MS));
	cr_assert(line != NULL && strcmp(line, want) == 0, "%s: the server "
	    "should log it as\n  %s\ngot\n  %s", what, want,
	    line ? line : "(no line)");

	line = h_line(srv, h_ms(SHOW_MS));
	cr_assert(line != NULL, "%s: after its \"received\" line the server "
	    "should say what it did with it, said nothing", what);
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
		if (strcmp(line, want) == 0)
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
 * Skip a test, and say so where run-suites shows it: Criterion prints a
 * skip only with --verbose.  detail (perhaps empty) adds its first line.
 */
static _Noreturn void
skip_visibly(const char *test, const char *why, const char *detail)
{
	int len = (int)strcspn(detail, "\n");

	fprintf(stderr, "skipped: safe_echo::%s: %s%s%.*s\n", test, why,
	    len > 0 ? ": " : "", len, detail);
	cr_skip_test("%s%s%.*s", why, len > 0 ? ": " : "", len, detail);
}

/*
 * Stop the server with sig and check its summary against what the test
 * counted: count[] by outcome, received their sum.
 */
static void
expect_summary(struct h_proc *srv, int sig, const char *signame,
    const unsigned long count[NOUTCOMES])
{
	static const char *const label[NOUTCOMES] = {
		"echoed", "dropped, source port below 1024",
		"dropped, over the rate limit", "dropped, too many sources",
	};
	unsigned long received = 0;
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
	cr_assert(status == 0, "after %s the exit status should be 0, got %d "
	    "(stderr: %s)", signame, status, h_stderr(srv));
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
		    "%d was dropped: %s", limits, must_echo, i + 1, reason[o]);
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
	int two = h_udp_open("127.0.0.2");
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
			skip_visibly("remembers_at_most_1024_sources",
			    "it needs a fast enough machine: three tries to "
			    "fill the table each took longer than a bucket "
			    "takes to refill", "");
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
		const char *args[6];
		const char *why;
	} cases[] = {
		{ { NULL }, "no port" },
		{ { "-r", "0", "0", NULL }, "-r 0" },
		{ { "-r", "1.5", "0", NULL }, "-r 1.5" },
		{ { "-r", "1000001", "0", NULL }, "-r 1000001" },
		{ { "-b", "0", "0", NULL }, "-b 0" },
		{ { "-b", "x", "0", NULL }, "-b x" },
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
	    "safe_echo_netns/*");
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
		    "(CVE-1999-0103)", (unsigned)low[i],
		    o == ECHOED ? "echoed" : reason[o]);
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
