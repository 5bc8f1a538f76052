/* Every lesson program: usage errors exit 2, unresolvable hosts exit 1. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(usage, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/*
 * One bad command line.  Inline arrays, not pointers to literals: Criterion
 * 2.4 copies parameters into the test process and pointers would dangle.
 */
struct bad_args {
	char prog[16];
	char args[4][24];
	int nargs;
	char why[48];
};

static const char *
usage_line(const char *prog)
{
	if (strcmp(prog, "client") == 0)
		return "usage: client host port [message]";
	if (strcmp(prog, "echo-client") == 0)
		return "usage: echo-client [-t milliseconds] host port "
		    "[message]";
	if (strcmp(prog, "bare-server") == 0)
		return "usage: bare-server [host] port";
	if (strcmp(prog, "fixed-reply") == 0)
		return "usage: fixed-reply [host] port";
	if (strcmp(prog, "counting-echo") == 0)
		return "usage: counting-echo [host] port";
	return "usage: echo-server [-q] [host] port";
}

#define SERVER_CASES(p) \
	{ p, { { 0 } }, 0, "no port" }, \
	{ p, { "127.0.0.1", "0", "extra" }, 3, "an extra argument" }, \
	{ p, { "65536" }, 1, "port 65536" }, \
	{ p, { "99999" }, 1, "port 99999 (getaddrinfo: 34463)" }, \
	{ p, { "-1" }, 1, "port -1" }, \
	{ p, { "+80" }, 1, "port +80" }, \
	{ p, { " 80" }, 1, "port with a space" }, \
	{ p, { "80x" }, 1, "port 80x" }, \
	{ p, { "http" }, 1, "a service name" }, \
	{ p, { "" }, 1, "an empty port" }

#define CLIENT_CASES(p) \
	{ p, { { 0 } }, 0, "no arguments" }, \
	{ p, { "127.0.0.1" }, 1, "no port" }, \
	{ p, { "127.0.0.1", "0" }, 2, "port 0" }, \
	{ p, { "127.0.0.1", "65536" }, 2, "port 65536" }, \
	{ p, { "127.0.0.1", "http" }, 2, "a service name" }, \
	{ p, { "127.0.0.1", "7", "msg", "extra" }, 4, "an extra argument" }

ParameterizedTestParameters(usage, bad_command_lines_exit_2)
{
	static struct bad_args cases[] = {
		SERVER_CASES("bare-server"),
		SERVER_CASES("fixed-reply"),
		SERVER_CASES("echo-server"),
		SERVER_CASES("counting-echo"),
		{ "echo-server", { "-q" }, 1, "-q and no port" },
		{ "echo-server", { "-q", "::1", "0", "extra" }, 4,
		    "-q and an extra argument" },
		{ "echo-server", { "-x", "0" }, 2, "an unknown option" },
		CLIENT_CASES("client"),
		CLIENT_CASES("echo-client"),
		{ "echo-client", { "-t", "0", "127.0.0.1", "7" }, 4, "-t 0" },
		{ "echo-client", { "-t", "abc", "127.0.0.1", "7" }, 4,
		    "-t abc" },
		{ "echo-client", { "-t", "-5", "127.0.0.1", "7" }, 4, "-t -5" },
		{ "echo-client", { "-t" }, 1, "-t without a value" },
		{ "echo-client", { "-x", "127.0.0.1", "7" }, 3,
		    "an unknown option" },
	};

	return cr_make_param_array(struct bad_args, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_args *c, usage, bad_command_lines_exit_2)
{
	char *argv[6];
	char why[80];

	argv[0] = (char *)h_bin(c->prog);
	for (int i = 0; i < c->nargs; i++)
		argv[i + 1] = c->args[i];
	argv[c->nargs + 1] = NULL;
	snprintf(why, sizeof(why), "%s: %s", c->prog, c->why);
	h_expect_usage(argv, usage_line(c->prog), why);
}

struct unresolvable {
	char prog[16];
	int server;
};

ParameterizedTestParameters(usage, unresolvable_hosts_exit_1)
{
	static struct unresolvable cases[] = {
		{ "bare-server", 1 }, { "fixed-reply", 1 },
		{ "echo-server", 1 }, { "counting-echo", 1 },
		{ "client", 0 }, { "echo-client", 0 },
	};

	return cr_make_param_array(struct unresolvable, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct unresolvable *c, usage, unresolvable_hosts_exit_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_bin(c->prog), H_BAD_HOST,
	    c->server ? "0" : "7", NULL }, c->server);
}

/* Every other test passes port 0; a server must also take the one given. */
struct server_name {
	char prog[16];
};

static struct criterion_test_params
the_servers(void)
{
	static struct server_name cases[] = {
		{ "bare-server" }, { "fixed-reply" }, { "echo-server" },
		{ "counting-echo" },
	};

	return cr_make_param_array(struct server_name, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/*
 * Send "hi" from fd to host and port, and check that the server served
 * it: lesson 06 only echoes it; the others log its sender's port.
 */
static void
check_served(const char *prog, struct h_proc *srv, int fd, const char *host,
    uint16_t port)
{
	char from[32];
	char got[8];

	h_udp_send(fd, host, port, "hi", 2);
	if (strcmp(prog, "counting-echo") == 0) {
		cr_assert(h_udp_recv(fd, got, sizeof(got), h_ms(3000), NULL) ==
		    2, "%s never echoed a datagram sent to %s port %u", prog,
		    host, (unsigned)port);
		return;
	}
	snprintf(from, sizeof(from), "port %u", (unsigned)h_udp_port(fd));
	cr_assert(h_stdout_has(srv, from, h_ms(3000)),
	    "%s never logged a datagram sent to %s port %u: %s", prog, host,
	    (unsigned)port, h_stdout(srv));
}

ParameterizedTestParameters(usage, servers_bind_the_port_given)
{
	return the_servers();
}

ParameterizedTest(struct server_name *c, usage, servers_bind_the_port_given)
{
	uint16_t want = h_free_port("127.0.0.1");
	char arg[8];
	uint16_t got;
	struct h_proc *srv;
	int fd;

	snprintf(arg, sizeof(arg), "%u", (unsigned)want);
	srv = h_server_cmd((char *[]){ (char *)h_bin(c->prog), "127.0.0.1",
	    arg, NULL }, true, &got);
	cr_assert_eq(got, want, "%s 127.0.0.1 %u announced port %u",
	    c->prog, (unsigned)want, (unsigned)got);
	fd = h_udp_open("127.0.0.1");
	check_served(c->prog, srv, fd, "127.0.0.1", want);
	close(fd);
	h_expect_ends(srv, SIGTERM);
}

/* A host may be a name: getaddrinfo, not inet_pton, reads it. */
ParameterizedTestParameters(usage, servers_take_a_host_name)
{
	return the_servers();
}

ParameterizedTest(struct server_name *c, usage, servers_take_a_host_name)
{
	const char *host;
	uint16_t port;
	struct h_proc *srv;
	int fd;

	srv = h_server(h_bin(c->prog), "localhost", &port);
	/* localhost is 127.0.0.1, ::1 or both; the server binds the first. */
	if (strstr(h_stdout(srv), " 127.0.0.1 port ") != NULL)
		host = "127.0.0.1";
	else if (strstr(h_stdout(srv), " ::1 port ") != NULL)
		host = "::1";
	else
		cr_assert_fail("%s localhost 0 should announce 127.0.0.1 or "
		    "::1, said: %s", c->prog, h_stdout(srv));
	fd = h_udp_open(host);
	check_served(c->prog, srv, fd, host, port);
	close(fd);
	h_expect_ends(srv, SIGTERM);
}
