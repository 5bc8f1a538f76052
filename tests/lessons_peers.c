/*
 * Real third-party peers: nc -u (netcat-openbsd), socat, and the slides'
 * own Python programs, talking to the lesson programs and back.  The
 * Python programs are IPv4-only and skip empty datagrams: the other
 * suites cover those cases.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(peers, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* Run a tool with input on its stdin (argv NULL-terminated). */
static struct h_proc *
tool_with_input(char *const argv[], const char *input)
{
	struct h_opts o = { .stdin_data = input, .stdin_len = strlen(input) };

	return h_spawn(argv, &o);
}

/* A slide program: tests/slides/NAME under the source tree. */
static char *
slide(const char *name)
{
	static char path[2][512];
	static int next;
	const char *src = getenv("UDPLAB_SRC");
	char *p = path[next++ % 2];

	snprintf(p, sizeof(path[0]), "%s/tests/slides/%s", src ? src : ".",
	    name);
	return p;
}

/* nc: "-w 2" ends it 2 s after the last datagram; we stop it sooner. */
static struct h_proc *
nc(const char *host, uint16_t port, const char *input)
{
	char portstr[8];

	snprintf(portstr, sizeof(portstr), "%u", port);
	return tool_with_input((char *[]){ "nc", "-u", "-w", "2",
	    (char *)host, portstr, NULL }, input);
}

static struct h_proc *
socat(const char *host, uint16_t port, const char *input)
{
	char address[64];

	if (strchr(host, ':') != NULL)
		snprintf(address, sizeof(address), "UDP6:[%s]:%u", host, port);
	else
		snprintf(address, sizeof(address), "UDP4:%s:%u", host, port);
	return tool_with_input((char *[]){ "socat", "-T", "3", "STDIO",
	    address, NULL }, input);
}

typedef struct h_proc *(*peer_fn)(const char *, uint16_t, const char *);

/* A peer sends a line to bare-server, which prints it escaped. */
static void
check_bare(peer_fn peer, const char *host)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), NULL, &port);
	struct h_proc *p = peer(host, port, "hello from a peer\n");
	const char *line = h_line(srv, h_ms(3000));

	cr_assert(line != NULL, "bare-server printed nothing for the peer's "
	    "datagram");
	cr_assert(strstr(line,
	    " sent 18 bytes: \"hello from a peer\\n\"") != NULL,
	    "bare-server printed: %s", line);
	h_stop(p, SIGTERM);
	h_expect_ends(srv, SIGTERM);
}

/* A peer sends to fixed-reply and prints "Get off my lawn!". */
static void
check_fixed(peer_fn peer, const char *host)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("fixed-reply"), NULL, &port);
	struct h_proc *p = peer(host, port, "hello\n");

	cr_assert(h_stdout_has(p, "Get off my lawn!", h_ms(3000)),
	    "the peer never printed the reply; it printed \"%s\", stderr %s",
	    h_stdout(p), h_stderr(p));
	h_stop(p, SIGTERM);
	h_expect_ends(srv, SIGTERM);
}

/* A peer's line comes back from echo-server. */
static void
check_echo(peer_fn peer, const char *host)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), NULL, &port);
	struct h_proc *p = peer(host, port, "echo \x01 me\n");

	cr_assert(h_stdout_has(p, "echo \x01 me\n", h_ms(3000)),
	    "the echo never came back to the peer; it printed \"%s\"",
	    h_stdout(p));
	cr_assert(h_line_starting(srv, "received 10 bytes from ", h_ms(2000)),
	    "echo-server did not log the datagram");
	h_stop(p, SIGTERM);
	h_expect_ends(srv, SIGTERM);
}

Test(peers, nc_to_bare_server)
{
	check_bare(nc, "127.0.0.1");
	check_bare(nc, "::1");
}
Test(peers, nc_to_fixed_reply)
{
	check_fixed(nc, "127.0.0.1");
	check_fixed(nc, "::1");
}
Test(peers, nc_to_echo_server)
{
	check_echo(nc, "127.0.0.1");
	check_echo(nc, "::1");
}
Test(peers, socat_to_bare_server)
{
	check_bare(socat, "127.0.0.1");
	check_bare(socat, "::1");
}
Test(peers, socat_to_fixed_reply)
{
	check_fixed(socat, "127.0.0.1");
	check_fixed(socat, "::1");
}
Test(peers, socat_to_echo_server)
{
	check_echo(socat, "127.0.0.1");
	check_echo(socat, "::1");
}

Test(peers, slide_client_to_fixed_reply)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("fixed-reply"), NULL, &port);
	char portstr[8];
	struct h_proc *py;

	snprintf(portstr, sizeof(portstr), "%u", port);
	py = h_tool("python3", slide("udp_client.py"), "127.0.0.1", portstr,
	    NULL);
	cr_assert_eq(h_wait(py, h_ms(5000)), 0, "the slide client failed: %s",
	    h_stderr(py));
	cr_assert_str_eq(h_stdout(py), "Get off my lawn!\n",
	    "the slide client printed %s", h_stdout(py));
	cr_assert(h_line_starting(srv, "::ffff:127.0.0.1 port ", h_ms(2000)),
	    "fixed-reply did not log the slide client's datagram");
	h_expect_ends(srv, SIGTERM);
}

Test(peers, slide_client_to_bare_server)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), "127.0.0.1", &port);
	char portstr[8];
	struct h_proc *py;
	const char *line;

	snprintf(portstr, sizeof(portstr), "%u", port);
	py = h_tool("python3", slide("udp_client.py"), "127.0.0.1", portstr,
	    NULL);
	line = h_line(srv, h_ms(5000));
	cr_assert(line != NULL &&
	    strstr(line, " sent 11 bytes: \"Hello World\""),
	    "bare-server printed: %s", line ? line : "(nothing)");
	h_stop(py, SIGTERM);    /* it waits for a reply that never comes */
	h_expect_ends(srv, SIGTERM);
}

Test(peers, slide_echo_client_to_echo_server)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), NULL, &port);
	char portstr[8];
	struct h_proc *py;

	snprintf(portstr, sizeof(portstr), "%u", port);
	py = h_tool("python3", slide("echo_client.py"), portstr, NULL);
	cr_assert_eq(h_wait(py, h_ms(5000)), 0, "the slide client failed: %s",
	    h_stderr(py));
	cr_assert_str_eq(h_stdout(py), "sending \"This is the message.\"\n"
	    "waiting to receive ...\nreceived \"This is the message.\"\n"
	    "closing socket\n", "the slide client printed %s", h_stdout(py));
	h_expect_ends(srv, SIGTERM);
}

Test(peers, client_to_slide_server)
{
	uint16_t port;
	struct h_proc *py = h_server_cmd((char *[]){ "python3",
	    slide("udp_server.py"), "0", NULL }, false, &port);
	char portstr[8];
	char want[160];
	struct h_proc *c;

	snprintf(portstr, sizeof(portstr), "%u", port);
	c = h_prog("client", "127.0.0.1", portstr, NULL);
	cr_assert_eq(h_wait(c, h_ms(5000)), 0, "client failed: %s",
	    h_stderr(c));
	snprintf(want, sizeof(want), "sent 11 bytes to 127.0.0.1 port %u\n"
	    "received 16 bytes from 127.0.0.1 port %u: \"Get off my lawn!\"\n",
	    port, port);
	cr_assert_str_eq(h_stdout(c), want, "client printed %s", h_stdout(c));
	h_stop(py, SIGTERM);
}

Test(peers, echo_client_to_slide_echo_server)
{
	uint16_t port;
	struct h_proc *py = h_server_cmd((char *[]){ "python3",
	    slide("echo_server.py"), "0", NULL }, false, &port);
	char portstr[8];
	struct h_proc *c;

	snprintf(portstr, sizeof(portstr), "%u", port);
	c = h_prog("echo-client", "127.0.0.1", portstr, NULL);
	cr_assert_eq(h_wait(c, h_ms(5000)), 0, "echo-client failed: %s",
	    h_stderr(c));
	cr_assert_str_eq(h_stdout(c), "sending \"This is the message.\"\n"
	    "waiting to receive ...\nreceived \"This is the message.\"\n"
	    "closing socket\n", "echo-client printed %s", h_stdout(c));
	h_stop(py, SIGTERM);
}
