/*
 * tools/relay: a bad network in a box.  Every fate comes from the seed, so
 * the tests read the -v log and check that the datagrams did what it says.
 */
#define _XOPEN_SOURCE 700	/* erand48, to predict the relay's draws */

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(relay, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);
/* Tests that run only inside a network namespace of their own. */
TestSuite(relay_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* The N of the last "port N" in line, if suffix follows it; else 0. */
static uint16_t
port_at_end(const char *line, const char *suffix)
{
	const char *tail = NULL;
	char *end;
	long value;

	for (const char *p = strstr(line, "port "); p != NULL;
	    p = strstr(p + 1, "port "))
		tail = p;
	if (tail == NULL)
		return 0;
	value = strtol(tail + 5, &end, 10);
	if (end == tail + 5 || strcmp(end, suffix) != 0 || value < 1 ||
	    value > 65535)
		return 0;
	return (uint16_t)value;
}

/*
 * "relay OPTS... 0 HOST PORT": h_server_args cannot say it, for the
 * relay's own port comes before the server's.  Returns the listening port.
 */
static struct h_proc *
start_relay(const char *const *opts, const char *host, uint16_t server_port,
    uint16_t *port)
{
	char *argv[32];
	char sport[8];
	int n = 0;

	argv[n++] = (char *)h_bin("relay");
	for (int i = 0; opts != NULL && opts[i] != NULL; i++)
		argv[n++] = (char *)opts[i];
	snprintf(sport, sizeof(sport), "%u", (unsigned)server_port);
	argv[n++] = "0";
	argv[n++] = (char *)host;
	argv[n++] = sport;
	argv[n] = NULL;
	return h_server_cmd(argv, true, port);
}

/*
 * A relay to a server socket the test holds, so that each direction can be
 * watched alone: the echo server would answer every copy, and an echo
 * reordered twice comes back in order.
 */
struct path {
	struct h_proc *relay;
	uint16_t port;		/* where the client sends */
	int client;
	int server;
	uint16_t upstream;	/* the relay's port, as the server sees it */
};

static void
open_path(struct path *p, const char *const *opts)
{
	p->server = h_udp_open("127.0.0.1");
	p->relay = start_relay(opts, "127.0.0.1", h_udp_port(p->server),
	    &p->port);
	p->client = h_udp_open("127.0.0.1");
	p->upstream = 0;
}

/* The client sends; the first time, learn the relay's upstream port. */
static void
client_sends(struct path *p, const char *msg)
{
	const char *line;

	h_udp_send(p->client, "127.0.0.1", p->port, msg, strlen(msg));
	if (p->upstream != 0)
		return;
	line = h_line_starting(p->relay, "new client ", h_ms(2000));
	cr_assert(line != NULL, "the relay printed no \"new client\" line "
	    "within %ld ms of the first datagram", h_ms(2000));
	p->upstream = port_at_end(line, ")");
	cr_assert(p->upstream != 0, "expected \"new client HOST port P (the "
	    "server sees HOST port U)\", got \"%s\"", line);
}

static void
server_sends(struct path *p, const char *msg)
{
	h_udp_send(p->server, "127.0.0.1", p->upstream, msg, strlen(msg));
}

/* A datagram holding want must come to fd, from port from (0: any). */
static void
expect(int fd, const char *want, uint16_t from, const char *who)
{
	char got[256];
	struct sockaddr_storage sender;
	ssize_t n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), &sender);

	cr_assert(n != -1, "the %s waited %ld ms for \"%s\", nothing came",
	    who, h_ms(2000), want);
	cr_assert(n == (ssize_t)strlen(want) && memcmp(got, want,
	    (size_t)n) == 0, "the %s expected \"%s\", got \"%.*s\"", who,
	    want, (int)n, got);
	cr_assert(from == 0 || h_sockaddr_port(&sender) == from,
	    "the %s got \"%s\" from port %u, expected it from the relay's "
	    "port %u", who, want, h_sockaddr_port(&sender), from);
}

static void
expect_nothing(int fd, long ms, const char *who)
{
	char got[256];
	ssize_t n = h_udp_recv(fd, got, sizeof(got), ms, NULL);

	cr_assert(n == -1, "the %s should get nothing more, got \"%.*s\"",
	    who, (int)(n < 0 ? 0 : n), got);
}

/*
 * The fate the -v log gives datagram #num of dir ("c->s" or "s->c"):
 * the text after "bytes: ".  Waits for the line.
 */
static const char *
fate(struct h_proc *relay, const char *dir, int num)
{
	static char text[128];
	char needle[32];
	const char *log;
	const char *at;
	size_t len;

	snprintf(needle, sizeof(needle), "%s #%d ", dir, num);
	cr_assert(h_stderr_has(relay, needle, h_ms(2000)), "the relay's -v "
	    "log has no line for %s datagram #%d within %ld ms; it has:\n%s",
	    dir, num, h_ms(2000), h_stderr(relay));
	log = h_stderr(relay);
	at = strstr(strstr(log, needle), "bytes: ");
	cr_assert(at != NULL && strchr(at, '\n') != NULL,
	    "expected \"%sLEN bytes: FATE\" in the -v log:\n%s", needle, log);
	at += 7;
	len = (size_t)(strchr(at, '\n') - at);
	cr_assert(len < sizeof(text), "a -v line too long: %s", at);
	memcpy(text, at, len);
	text[len] = '\0';
	return text;
}

/* Sends data to an echo server through the relay; it must come back. */
static void
check_echo(const char *client_host, const char *server_host,
    const void *data, size_t len)
{
	static unsigned char got[NET_MAX_DATAGRAM + 1];
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), server_host,
	    &sport);
	struct h_proc *relay = start_relay(NULL, server_host, sport, &rport);
	int fd = h_udp_open(client_host);
	struct sockaddr_storage from;
	ssize_t n;

	h_udp_send(fd, client_host, rport, data, len);
	n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), &from);
	cr_assert(n != -1, "sent %zu bytes from %s through the relay to an "
	    "echo server on %s: no echo within %ld ms", len, client_host,
	    server_host, h_ms(2000));
	cr_assert(n == (ssize_t)len && memcmp(got, data, len) == 0,
	    "sent %zu bytes through the relay, %zd came back%s", len, n,
	    n == (ssize_t)len ? ", but different ones" : "");
	cr_assert(h_sockaddr_port(&from) == rport, "the echo came from port "
	    "%u, not from the relay's port %u that the client sent to",
	    h_sockaddr_port(&from), rport);
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	h_expect_ends(echo, SIGTERM);
}

Test(relay, first_line_names_the_server_and_ends_with_its_own_port)
{
	uint16_t rport;
	struct h_proc *relay = start_relay(NULL, "127.0.0.1", 7, &rport);
	char want[96];

	snprintf(want, sizeof(want), "relaying to 127.0.0.1 port 7, "
	    "listening on :: port %u\n", rport);
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert(strncmp(h_stdout(relay), want, strlen(want)) == 0,
	    "expected the first line \"%.*s\", got \"%s\"",
	    (int)strlen(want) - 1, want, h_stdout(relay));
}

Test(relay, without_options_passes_binary_bytes_both_ways)
{
	static const unsigned char data[] = { 'a', 0, 0xff, '\n', '"', '\\',
		0x7f, 0x01, 'z' };

	check_echo("127.0.0.1", "127.0.0.1", data, sizeof(data));
}

Test(relay, without_options_passes_an_empty_datagram)
{
	check_echo("::1", "127.0.0.1", "", 0);
}

Test(relay, passes_the_largest_ipv4_datagram)
{
	static unsigned char data[NET_MAX_UDP4];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	check_echo("127.0.0.1", "127.0.0.1", data, sizeof(data));
}

Test(relay, passes_the_largest_ipv6_datagram_to_an_ipv6_server)
{
	static unsigned char data[NET_MAX_UDP6];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + i / 251);
	check_echo("::1", "::1", data, sizeof(data));
}

Test(relay, relays_an_ipv4_client_to_an_ipv6_server)
{
	check_echo("127.0.0.1", "::1", "Hello World", 11);
}

Test(relay, without_options_passes_every_datagram_in_order)
{
	enum { COUNT = 50 };
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	struct h_proc *relay = start_relay(NULL, "127.0.0.1", sport, &rport);
	int fd = h_udp_open("127.0.0.1");

	for (int i = 0; i < COUNT; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "datagram %d", i);
		h_udp_send(fd, "127.0.0.1", rport, msg, strlen(msg));
		expect(fd, msg, rport, "client");
	}
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert(strstr(h_stdout(relay), "new client ") != NULL &&
	    strstr(strstr(h_stdout(relay), "new client ") + 1, "new client ")
	    == NULL, "50 datagrams from one socket are one client: expected "
	    "one \"new client\" line, the relay printed:\n%s",
	    h_stdout(relay));
	cr_assert(strstr(h_stdout(relay), "c->s: 50 datagrams, 0 dropped, "
	    "0 duplicated, 0 reordered\ns->c: 50 datagrams, 0 dropped, "
	    "0 duplicated, 0 reordered\n") != NULL, "after 50 echoes the "
	    "relay should end with its counts for 50 datagrams each way, "
	    "printed:\n%s", h_stdout(relay));
	h_expect_ends(echo, SIGTERM);
}

Test(relay, loss_100_drops_every_datagram)
{
	const char *const opts[] = { "-v", "-l", "100", NULL };
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	struct h_proc *relay = start_relay(opts, "127.0.0.1", sport, &rport);
	int fd = h_udp_open("127.0.0.1");

	for (int i = 1; i <= 5; i++) {
		const char *f;

		h_udp_send(fd, "127.0.0.1", rport, "lost?", 5);
		f = fate(relay, "c->s", i);
		cr_assert(strcmp(f, "drop") == 0, "with -l 100, datagram #%d "
		    "should be logged \"drop\", was \"%s\"", i, f);
	}
	expect_nothing(fd, h_ms(500), "client (sent 5 datagrams with -l 100)");
	cr_assert(strstr(h_stdout(echo), "received") == NULL,
	    "with -l 100 nothing should reach the server, it printed:\n%s",
	    h_stdout(echo));
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert(strstr(h_stdout(relay), "c->s: 5 datagrams, 5 dropped, "
	    "0 duplicated, 0 reordered\n") != NULL, "expected the count "
	    "\"c->s: 5 datagrams, 5 dropped, ...\", the relay printed:\n%s",
	    h_stdout(relay));
	h_expect_ends(echo, SIGTERM);
}

/*
 * Sends 40 datagrams through "relay -v -l 50 -s SEED", one at a time: each
 * one the log says passes must reach the server, in order, and no other.
 * Returns how many passed, and the log in log.
 */
static int
lossy_run(const char *seed, char *log, size_t logsize)
{
	const char *const opts[] = { "-v", "-l", "50", "-s", seed, NULL };
	struct path p;
	int passed = 0;

	open_path(&p, opts);
	for (int i = 1; i <= 40; i++) {
		char msg[32];
		const char *f;

		snprintf(msg, sizeof(msg), "datagram %d", i);
		client_sends(&p, msg);
		f = fate(p.relay, "c->s", i);
		if (strcmp(f, "drop") == 0)
			continue;
		cr_assert(strcmp(f, "pass") == 0, "with only -l, datagram #%d "
		    "should be logged \"pass\" or \"drop\", was \"%s\"", i, f);
		expect(p.server, msg, p.upstream, "server");
		passed++;
	}
	expect_nothing(p.server, h_ms(200), "server");
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
	snprintf(log, logsize, "%s", h_stderr(p.relay));
	return passed;
}

Test(relay, loss_50_drops_some_passes_some_as_its_log_says)
{
	static char log[8192];
	int passed = lossy_run("7", log, sizeof(log));

	cr_assert(passed >= 5 && passed <= 35, "with -l 50, %d of 40 "
	    "datagrams passed: expected 5 to 35", passed);
}

Test(relay, the_same_seed_makes_the_same_log_another_seed_another)
{
	static char first[8192];
	static char again[8192];
	static char other[8192];

	lossy_run("42", first, sizeof(first));
	lossy_run("42", again, sizeof(again));
	lossy_run("43", other, sizeof(other));
	cr_assert(strcmp(first, again) == 0, "two runs with -s 42 logged "
	    "different decisions:\n%s\n---\n%s", first, again);
	cr_assert(strcmp(first, other) != 0, "-s 42 and -s 43 made the "
	    "same 40 decisions:\n%s", first);
}

/* The fate tools/README.md says a stream draws next. */
static const char *
predict(unsigned short xsubi[3], int loss, int dup, int reorder)
{
	static char text[32];
	bool lost = erand48(xsubi) * 100 < loss;
	bool twice = erand48(xsubi) * 100 < dup;
	bool held = erand48(xsubi) * 100 < reorder;

	snprintf(text, sizeof(text), "%s%s", lost ? "drop" : twice ? "dup" :
	    "pass", !lost && held ? ", reorder" : "");
	return text;
}

Test(relay, decisions_follow_the_documented_erand48_streams)
{
	const char *const opts[] = { "-v", "-s", "305419896", "-l", "30",
		"-d", "30", "-r", "30", NULL };
	const long seed = 305419896;	/* 0x12345678 */
	unsigned short up[3] = { 0x330E, seed & 0xFFFF, seed >> 16 };
	unsigned short down[3] = { 0x330E ^ 0x5EED,
		(seed & 0xFFFF) ^ 0x5EED, (seed >> 16) ^ 0x5EED };
	struct path p;

	open_path(&p, opts);
	for (int i = 1; i <= 20; i++) {
		const char *want = predict(up, 30, 30, 30);
		const char *f;

		client_sends(&p, "up");
		f = fate(p.relay, "c->s", i);
		cr_assert(strcmp(f, want) == 0, "-s 305419896 -l 30 -d 30 "
		    "-r 30: c->s datagram #%d should be \"%s\", the log says "
		    "\"%s\"", i, want, f);
	}
	for (int i = 1; i <= 20; i++) {
		const char *want = predict(down, 30, 30, 30);
		const char *f;

		server_sends(&p, "down");
		f = fate(p.relay, "s->c", i);
		cr_assert(strcmp(f, want) == 0, "-s 305419896 -l 30 -d 30 "
		    "-r 30: s->c datagram #%d should be \"%s\", the log says "
		    "\"%s\"", i, want, f);
	}
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(relay, the_default_seed_is_1)
{
	const char *const opts[] = { "-v", "-l", "50", NULL };
	unsigned short up[3] = { 0x330E, 1, 0 };
	struct path p;

	open_path(&p, opts);
	for (int i = 1; i <= 10; i++) {
		const char *want = predict(up, 50, 0, 0);
		const char *f;

		client_sends(&p, "x");
		f = fate(p.relay, "c->s", i);
		cr_assert(strcmp(f, want) == 0, "without -s, -l 50 should "
		    "decide as -s 1 does: datagram #%d should be \"%s\", the "
		    "log says \"%s\"", i, want, f);
	}
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(relay, dup_100_sends_every_datagram_twice_both_ways)
{
	const char *const opts[] = { "-d", "100", NULL };
	struct path p;

	open_path(&p, opts);
	for (int i = 0; i < 3; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "request %d", i);
		client_sends(&p, msg);
		expect(p.server, msg, p.upstream, "server (first copy)");
		expect(p.server, msg, p.upstream, "server (second copy)");
		snprintf(msg, sizeof(msg), "reply %d", i);
		server_sends(&p, msg);
		expect(p.client, msg, p.port, "client (first copy)");
		expect(p.client, msg, p.port, "client (second copy)");
	}
	expect_nothing(p.server, h_ms(200), "server (after two copies)");
	expect_nothing(p.client, h_ms(200), "client (after two copies)");
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert(strstr(h_stdout(p.relay), "c->s: 3 datagrams, 0 dropped, "
	    "3 duplicated, 0 reordered\n") != NULL, "expected the count "
	    "\"c->s: 3 datagrams, 0 dropped, 3 duplicated, ...\", the relay "
	    "printed:\n%s", h_stdout(p.relay));
}

Test(relay, reorder_100_swaps_each_pair_both_ways)
{
	char hold[24];
	const char *const opts[] = { "-v", "-r", "100", "-D", hold, NULL };
	struct path p;

	/*
	 * The second datagram must come within the hold, max(-D, 250) ms, for
	 * the pair to swap.  The 250 ms do not scale with UDPLAB_TIME_FACTOR;
	 * -D does: 0 at factor 1, longer on a slow run (valgrind).
	 */
	snprintf(hold, sizeof(hold), "%ld", h_ms(250) - 250);
	open_path(&p, opts);
	client_sends(&p, "A");
	client_sends(&p, "B");
	expect(p.server, "B", p.upstream, "server (sent A then B, -r 100)");
	expect(p.server, "A", p.upstream, "server (sent A then B, -r 100)");
	server_sends(&p, "C");
	server_sends(&p, "D");
	expect(p.client, "D", p.port, "client (sent C then D, -r 100)");
	expect(p.client, "C", p.port, "client (sent C then D, -r 100)");
	cr_assert(h_stderr_has(p.relay, "c->s #1 sent after #2\n", h_ms(2000)),
	    "the -v log should say \"c->s #1 sent after #2\":\n%s",
	    h_stderr(p.relay));
	cr_assert(h_stderr_has(p.relay, "s->c #1 sent after #2\n", h_ms(2000)),
	    "the -v log should say \"s->c #1 sent after #2\":\n%s",
	    h_stderr(p.relay));
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(relay, a_held_datagram_goes_alone_after_250_ms)
{
	const char *const opts[] = { "-v", "-r", "100", NULL };
	struct path p;
	long start;
	long took;

	open_path(&p, opts);
	start = h_now_ms();
	client_sends(&p, "alone");
	expect(p.server, "alone", p.upstream, "server (-r 100, one datagram)");
	took = h_now_ms() - start;
	cr_assert(took >= 245, "with -r 100 a lone datagram should wait 250 "
	    "ms for one to overtake it, it came after %ld ms", took);
	cr_assert(h_stderr_has(p.relay, "c->s #1 sent alone after 250 ms\n",
	    h_ms(2000)), "the -v log should say \"c->s #1 sent alone after "
	    "250 ms\":\n%s", h_stderr(p.relay));
	cr_assert_eq(h_stop(p.relay, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(relay, delay_200_delays_each_way)
{
	const char *const opts[] = { "-v", "-D", "200", NULL };
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	struct h_proc *relay = start_relay(opts, "127.0.0.1", sport, &rport);
	int fd = h_udp_open("127.0.0.1");

	for (int i = 1; i <= 3; i++) {
		char msg[32];
		long start = h_now_ms();
		long took;
		const char *f;

		snprintf(msg, sizeof(msg), "slow %d", i);
		h_udp_send(fd, "127.0.0.1", rport, msg, strlen(msg));
		expect(fd, msg, rport, "client (-D 200)");
		took = h_now_ms() - start;
		cr_assert(took >= 395, "with -D 200 an echo is delayed 200 ms "
		    "each way; echo %d came back after %ld ms", i, took);
		f = fate(relay, "s->c", i);
		cr_assert(strcmp(f, "pass, delay 200 ms") == 0, "expected "
		    "\"pass, delay 200 ms\" in the -v log, got \"%s\"", f);
	}
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	h_expect_ends(echo, SIGTERM);
}

Test(relay, several_clients_each_get_their_own_replies)
{
	enum { CLIENTS = 3 };
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	struct h_proc *relay = start_relay(NULL, "127.0.0.1", sport, &rport);
	int fd[CLIENTS];

	fd[0] = h_udp_open("127.0.0.1");
	fd[1] = h_udp_open("::1");
	fd[2] = h_udp_open("127.0.0.1");
	for (int round = 0; round < 5; round++) {
		char msg[CLIENTS][32];

		for (int i = 0; i < CLIENTS; i++) {
			snprintf(msg[i], sizeof(msg[i]), "client %d round %d",
			    i, round);
			h_udp_send(fd[i], i == 1 ? "::1" : "127.0.0.1", rport,
			    msg[i], strlen(msg[i]));
		}
		for (int i = 0; i < CLIENTS; i++)
			expect(fd[i], msg[i], rport, "client");
	}
	for (int i = 0; i < CLIENTS; i++)
		cr_assert(h_line_starting(relay, "new client ", h_ms(2000)) !=
		    NULL, "3 clients: expected 3 \"new client\" lines, got "
		    "%d:\n%s", i, h_stdout(relay));
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	h_expect_ends(echo, SIGTERM);
}

Test(relay, forgets_the_quietest_client_when_32_are_known)
{
	enum { CLIENTS = 33 };
	uint16_t sport;
	uint16_t rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	struct h_proc *relay = start_relay(NULL, "127.0.0.1", sport, &rport);
	int fd[CLIENTS];
	char want[96];
	const char *line;

	for (int i = 0; i < CLIENTS; i++) {
		fd[i] = h_udp_open("127.0.0.1");
		h_udp_send(fd[i], "127.0.0.1", rport, "hi", 2);
		expect(fd[i], "hi", rport, "client");
	}
	snprintf(want, sizeof(want), "forgot client ::ffff:127.0.0.1 port %u "
	    "(table full, quiet longest)", h_udp_port(fd[0]));
	line = h_line_starting(relay, "forgot client", h_ms(2000));
	cr_assert(line != NULL && strcmp(line, want) == 0, "the 33rd client "
	    "should make the relay print \"%s\", got \"%s\"", want,
	    line ? line : "(nothing)");

	/* The forgotten client is simply new again. */
	h_udp_send(fd[0], "127.0.0.1", rport, "back", 4);
	expect(fd[0], "back", rport, "forgotten client");
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
	h_expect_ends(echo, SIGTERM);
}

Test(relay, reports_a_server_that_is_not_there_and_goes_on)
{
	int gone = h_udp_open("127.0.0.1");
	uint16_t nobody = h_udp_port(gone);
	uint16_t rport;
	struct h_proc *relay;
	int fd = h_udp_open("127.0.0.1");

	close(gone);
	relay = start_relay(NULL, "127.0.0.1", nobody, &rport);
	h_udp_send(fd, "127.0.0.1", rport, "anyone?", 7);
	cr_assert(h_stderr_has(relay, "Connection refused", h_ms(2000)),
	    "nothing listens on port %u: the relay's connected socket hears "
	    "the ICMP error and should say \"Connection refused\"; stderr:\n"
	    "%s", nobody, h_stderr(relay));
	cr_assert_eq(h_wait(relay, 0), -1, "the relay should go on after "
	    "a refused datagram, it exited");
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(relay, bad_arguments_exit_2_with_usage)
{
	struct {
		const char *args[6];
	} cases[] = {
		{ { "-l", "101", "0", "127.0.0.1", "7" } },
		{ { "-l", "-1", "0", "127.0.0.1", "7" } },
		{ { "-l", "abc", "0", "127.0.0.1", "7" } },
		{ { "-l", "12.5", "0", "127.0.0.1", "7" } },
		{ { "-d", "101", "0", "127.0.0.1", "7" } },
		{ { "-r", "x", "0", "127.0.0.1", "7" } },
		{ { "-D", "60001", "0", "127.0.0.1", "7" } },
		{ { "-D", "-5", "0", "127.0.0.1", "7" } },
		{ { "-s", "abc", "0", "127.0.0.1", "7" } },
		{ { "-x", "0", "127.0.0.1", "7" } },
		{ { "65536", "127.0.0.1", "7" } },
		{ { "0", "127.0.0.1", "0" } },
		{ { "0", "127.0.0.1", "echo" } },
		{ { "0", "127.0.0.1" } },
		{ { "0", "127.0.0.1", "7", "8" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8] = { (char *)h_bin("relay") };
		char shown[128] = "relay";
		struct h_proc *p;
		int status;

		for (int j = 0; cases[i].args[j] != NULL; j++) {
			argv[j + 1] = (char *)cases[i].args[j];
			strncat(shown, " ", sizeof(shown) - strlen(shown) - 1);
			strncat(shown, cases[i].args[j],
			    sizeof(shown) - strlen(shown) - 1);
		}
		p = h_spawn(argv, &(struct h_opts){ .wrap = true });
		status = h_wait(p, h_ms(5000));
		cr_assert(status == 2, "\"%s\" should exit 2, got %d", shown,
		    status);
		cr_assert(strstr(h_stderr(p), "usage: relay") != NULL,
		    "\"%s\" should print \"usage: relay ...\" on stderr, "
		    "printed \"%s\"", shown, h_stderr(p));
	}
}

static void
stops_on(int sig, const char *name)
{
	for (int i = 0; i < 10; i++) {
		uint16_t rport;
		struct h_proc *relay = start_relay(NULL, "127.0.0.1", 7,
		    &rport);
		int status = h_stop(relay, sig);

		cr_assert(status == 0, "%s right after the first line should "
		    "exit 0 (try %d), got %d", name, i + 1, status);
	}
}

Test(relay, sigterm_right_after_the_first_line_exits_0)
{
	stops_on(SIGTERM, "SIGTERM");
}

Test(relay, sigint_right_after_the_first_line_exits_0)
{
	stops_on(SIGINT, "SIGINT");
}

/* ---------------------------------------------------------------------- */
/* Faults a hostile tester found. */

/*
 * The relay listens on every address: a server address of this machine
 * with the relay's own port would send each datagram round and round.
 */
Test(relay, refuses_to_be_its_own_server)
{
	static const char *const hosts[] = { "127.0.0.1", "::1", "127.0.0.2" };

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		uint16_t port = h_free_port("::");
		char arg[8];
		struct h_proc *p;
		int status;

		snprintf(arg, sizeof(arg), "%u", (unsigned)port);
		p = h_prog("relay", arg, hosts[i], arg, NULL);
		status = h_wait(p, h_ms(3000));
		cr_assert(strstr(h_stderr(p), "Address already in use") == NULL,
		    "test setup: port %u, free a moment before, was taken when "
		    "the relay started; run the test again", port);
		cr_assert_eq(status, 1, "\"relay %s %s %s\" listens where it "
		    "sends: it should refuse (exit 1), not loop; %s", arg,
		    hosts[i], arg, h_ending(p));
		cr_assert(strstr(h_stderr(p), "this relay itself") != NULL,
		    "\"relay %s %s %s\" should say the server is \"this relay "
		    "itself\"; %s", arg, hosts[i], arg, h_ending(p));
	}
}

/*
 * Started with stdin and stdout closed, the relay's first sockets would be
 * descriptors 0 and 1, and its log lines datagrams to the server.
 */
Test(relay, with_stdin_and_stdout_closed_sends_the_server_no_log_lines)
{
	uint16_t port = h_free_port("::");
	int server = h_udp_open("127.0.0.1");
	int client = h_udp_open("127.0.0.1");
	char arg[8], sport[8];
	char got[512];
	struct h_proc *relay;
	long deadline = h_now_ms() + h_ms(5000);
	ssize_t n;

	snprintf(arg, sizeof(arg), "%u", (unsigned)port);
	snprintf(sport, sizeof(sport), "%u", h_udp_port(server));
	relay = h_spawn((char *[]){ "sh", "-c",
	    "exec \"$0\" \"$@\" <&- >&-", (char *)h_bin("relay"), arg,
	    "127.0.0.1", sport, NULL }, NULL);
	/* No first line says it is ready: send until something comes. */
	do {
		h_udp_send(client, "127.0.0.1", port, "hello", 5);
		n = h_udp_recv(server, got, sizeof(got), 20, NULL);
	} while (n == -1 && h_now_ms() < deadline);
	cr_assert(n != -1, "with stdin and stdout closed, nothing reached "
	    "the server within %ld ms; %s", h_ms(5000), h_ending(relay));
	cr_assert(n == 5 && memcmp(got, "hello", 5) == 0, "with stdin and "
	    "stdout closed, the server's first datagram should be the "
	    "client's \"hello\", it was \"%.*s\": the relay's first socket "
	    "took descriptor 1, and its log went there", (int)n, got);
	/* Its stdout is /dev/null, read-only: the counts were not written. */
	cr_assert_eq(h_stop(relay, SIGTERM), 1, "with stdout closed the "
	    "relay's counts were lost: SIGTERM should exit 1; %s",
	    h_ending(relay));
	cr_assert(strstr(h_stderr(relay), "stdout") != NULL, "the relay "
	    "should say its stdout failed; %s", h_ending(relay));
}

/*
 * The descriptor limit that leaves a process exactly room free ones: the
 * kernel gives out the lowest free descriptor, so count the gaps below.
 */
static long
limit_leaving(pid_t pid, int room)
{
	char path[64];
	long limit = 0;

	for (int free_below = 0; free_below < room; limit++) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%ld", (long)pid,
		    limit);
		if (access(path, F_OK) == -1)
			free_below++;
		cr_assert(limit < 4096, "test harness: cannot read %s", path);
	}
	return limit;
}

/* Out of descriptors: one client goes without, the others go on. */
Test(relay, a_client_it_has_no_socket_for_is_dropped_and_said)
{
	uint16_t sport, rport;
	struct h_proc *echo = h_server(h_bin("echo-server"), "127.0.0.1",
	    &sport);
	char arg[16], limit[32];
	struct h_proc *relay, *prlimit;
	int fd[3];

	/*
	 * Room for two clients' sockets, set once the relay runs (it
	 * inherits what descriptors the test runner leaves open).  valgrind
	 * keeps descriptors of its own, so the relay runs without it here.
	 */
	snprintf(arg, sizeof(arg), "%u", (unsigned)sport);
	relay = h_server_cmd((char *[]){ (char *)h_bin("relay"), "0",
	    "127.0.0.1", arg, NULL }, false, &rport);
	snprintf(limit, sizeof(limit), "--nofile=%ld:%ld",
	    limit_leaving(h_pid(relay), 2), limit_leaving(h_pid(relay), 2));
	snprintf(arg, sizeof(arg), "%ld", (long)h_pid(relay));
	prlimit = h_tool("prlimit", "--pid", arg, limit, NULL);
	cr_assert_eq(h_wait(prlimit, h_ms(5000)), 0, "test setup: prlimit "
	    "failed; %s", h_ending(prlimit));
	for (int i = 0; i < 3; i++)
		fd[i] = h_udp_open("127.0.0.1");
	for (int i = 0; i < 2; i++) {
		h_udp_send(fd[i], "127.0.0.1", rport, "hi", 2);
		expect(fd[i], "hi", rport, "client");
	}
	h_udp_send(fd[2], "127.0.0.1", rport, "me?", 3);
	/* warn() writes its line in pieces: wait for the last. */
	cr_assert(h_stderr_has(relay, "Too many open files\n", h_ms(2000)),
	    "with descriptors for only two clients, a third client's "
	    "datagram should be dropped and said so, with the reason (\"Too "
	    "many open files\"); %s", h_ending(relay));
	cr_assert(strstr(h_stderr(relay), "whose datagram is dropped") != NULL,
	    "the relay should say the datagram is dropped; %s",
	    h_ending(relay));
	cr_assert_eq(h_wait(relay, 0), -1, "one client without a socket "
	    "should not end the relay for the others; %s", h_ending(relay));
	h_udp_send(fd[0], "127.0.0.1", rport, "still", 5);
	expect(fd[0], "still", rport, "first client, after the third");
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0; %s",
	    h_ending(relay));
	h_expect_ends(echo, SIGTERM);
}

/*
 * A forgotten client's port, given to a new client's socket, would hand it
 * the server's late replies for the forgotten one.  In a namespace of 33
 * ephemeral ports, the test holds one while 32 clients take the other 32;
 * then it lets its own go.  The 33rd client's socket gets that port, and
 * the first client is forgotten; the 34th client's socket finds no free
 * port but the first client's, which the relay must still hold.
 */
Test(relay, a_forgotten_clients_late_reply_reaches_nobody_else)
{
	h_rerun_in_netns("relay::a_forgotten_clients_late_reply_reaches_"
	    "nobody_else", "echo '40000 40032' "
	    ">/proc/sys/net/ipv4/ip_local_port_range", "relay_netns/*");
}

/* Wait for a line the relay prints on stdout, or a warning on stderr. */
static void
relay_says(struct h_proc *relay, const char *out, const char *err,
    const char *what)
{
	long deadline = h_now_ms() + h_ms(2000);

	while (!(out != NULL && h_stdout_has(relay, out, 10)) &&
	    !(err != NULL && h_stderr_has(relay, err, 10)))
		cr_assert(h_now_ms() < deadline, "the relay did not %s "
		    "within %ld ms; %s", what, h_ms(2000), h_ending(relay));
}

Test(relay_netns, late_reply_for_a_forgotten_client)
{
	enum { CLIENTS = 34 };
	int server, spare, fd[CLIENTS];
	uint16_t first_up = 0;
	char got[64];
	char want[128];
	struct sockaddr_storage from;
	struct h_proc *relay;
	uint16_t rport;
	const char *forgot;
	ssize_t n;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that relay::"
		    "a_forgotten_clients_late_reply_reaches_nobody_else makes");
	/* Our ports outside 40000-40032, but for the one we hold. */
	server = h_udp_open_port("127.0.0.1", 31000);
	spare = h_udp_open_port("127.0.0.1", 40032);
	relay = h_server_cmd((char *[]){ (char *)h_bin("relay"), "30000",
	    "127.0.0.1", "31000", NULL }, true, &rport);
	for (int i = 0; i < CLIENTS; i++)
		fd[i] = h_udp_open_port("127.0.0.1", (uint16_t)(20000 + i));
	for (int i = 0; i < 32; i++) {
		h_udp_send(fd[i], "127.0.0.1", rport, "hi", 2);
		n = h_udp_recv(server, got, sizeof(got), h_ms(2000), &from);
		cr_assert(n == 2, "client %d's datagram did not reach the "
		    "server; %s", i, h_ending(relay));
		if (i == 0)
			first_up = h_sockaddr_port(&from);
	}
	close(spare);
	h_udp_send(fd[32], "127.0.0.1", rport, "hi", 2);
	relay_says(relay, "forgot client ::ffff:127.0.0.1 port 20000 ", NULL,
	    "forget the first client for the 33rd");
	n = h_udp_recv(server, got, sizeof(got), h_ms(2000), NULL);
	cr_assert(n == 2, "the 33rd client's datagram did not reach the "
	    "server; %s", h_ending(relay));
	h_udp_send(fd[33], "127.0.0.1", rport, "hi", 2);
	relay_says(relay, "new client ::ffff:127.0.0.1 port 20033 ",
	    "port 20033, whose datagram is dropped",
	    "take the 34th client or say it has no socket for it");
	forgot = strstr(h_stdout(relay), "forgot client");
	cr_assert(forgot != NULL && strstr(forgot + 1, "forgot client") ==
	    NULL, "the relay forgot a second client for the 34th, which it "
	    "had no socket for: make the socket first, then the room; "
	    "stdout:\n%s", h_stdout(relay));

	/* The server answers the first client, late. */
	h_udp_send(server, "127.0.0.1", first_up, "late", 4);
	for (int i = 32; i < CLIENTS; i++) {
		n = h_udp_recv(fd[i], got, sizeof(got), i == 32 ? h_ms(500) :
		    0, NULL);
		cr_assert(n == -1, "the server's late reply to port %u, for "
		    "the forgotten first client, reached client %d: its "
		    "socket was given the forgotten one's port; hold a port a "
		    "while before it can be reused, as a NAT does", first_up,
		    i + 1);
	}
	snprintf(want, sizeof(want), "dropped a late reply of 4 bytes for "
	    "forgotten client ::ffff:127.0.0.1 port 20000");
	cr_assert(h_stdout_has(relay, want, h_ms(2000)), "the relay should "
	    "say \"%s\"; %s; stdout:\n%s", want, h_ending(relay),
	    h_stdout(relay));
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0; %s",
	    h_ending(relay));
}

/* ---------------------------------------------------------------------- */
/*
 * The pinger through the relay at 30 % loss each way: a ping is lost when
 * its request or its reply is, and with no duplicates, no reordering and
 * replies far inside the timeout, the pinger's losses are the relay's
 * drops, exactly.  The seed makes the run the same every time.
 */
Test(relay, the_pingers_loss_at_30_percent_is_the_relays_drops)
{
	uint16_t eport, rport;
	struct h_proc *echo = h_server_args(h_bin("echo-server"),
	    (const char *[]){ "-q", NULL }, "127.0.0.1", &eport);
	char earg[8], rarg[8];
	struct h_proc *relay, *pinger;
	long sent = -1, got = -1, pct = -1;
	long up_n = -1, up_drop = -1, down_n = -1, down_drop = -1;
	const char *line;

	snprintf(earg, sizeof(earg), "%u", (unsigned)eport);
	relay = h_server_cmd((char *[]){ (char *)h_bin("relay"), "-l", "30",
	    "-s", "42", "0", "127.0.0.1", earg, NULL }, true, &rport);
	snprintf(rarg, sizeof(rarg), "%u", (unsigned)rport);
	pinger = h_prog("pinger", "-c", "200", "-i", "5", "-t", "2000",
	    "127.0.0.1", rarg, NULL);
	cr_assert(h_wait(pinger, h_ms(20000)) != -1, "the pinger did not "
	    "finish 200 pings within %ld ms; %s", h_ms(20000),
	    h_ending(pinger));
	line = strstr(h_stdout(pinger), "packets transmitted");
	cr_assert(line != NULL, "no summary from the pinger; %s",
	    h_ending(pinger));
	while (line > h_stdout(pinger) && line[-1] != '\n')
		line--;
	cr_assert(sscanf(line, "%ld packets transmitted, %ld received, "
	    "%ld%% packet loss", &sent, &got, &pct) == 3, "a summary line "
	    "unlike LAB.md's: %.100s", line);
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "SIGTERM should exit 0; %s",
	    h_ending(relay));
	cr_assert(sscanf(strstr(h_stdout(relay), "c->s: "), "c->s: %ld "
	    "datagrams, %ld dropped", &up_n, &up_drop) == 2 &&
	    sscanf(strstr(h_stdout(relay), "s->c: "), "s->c: %ld datagrams, "
	    "%ld dropped", &down_n, &down_drop) == 2, "the relay's counts "
	    "are missing:\n%s", h_stdout(relay));
	fprintf(stderr, "figure: relay -l 30 -s 42: c->s %ld datagrams, %ld "
	    "dropped; s->c %ld, %ld dropped; pinger %ld sent, %ld received, "
	    "%ld%% loss\n", up_n, up_drop, down_n, down_drop, sent, got, pct);
	cr_assert_eq(sent, 200, "the pinger sent %ld pings, not 200", sent);
	cr_assert_eq(up_n, 200, "the relay saw %ld pings, not 200", up_n);
	cr_assert_eq(down_n, up_n - up_drop, "the echo server answered %ld "
	    "of the %ld pings the relay let through", down_n, up_n - up_drop);
	cr_assert_eq(sent - got, up_drop + down_drop, "the pinger lost %ld "
	    "pings, the relay dropped %ld requests and %ld replies: the two "
	    "should agree", sent - got, up_drop, down_drop);
	/* 30 % each way loses 1 - 0.7 x 0.7 = 51 % of round trips. */
	cr_assert(pct >= 41 && pct <= 61, "-l 30 each way should lose about "
	    "51 %% of round trips; the pinger says %ld %%", pct);
	h_expect_ends(echo, SIGTERM);
}
