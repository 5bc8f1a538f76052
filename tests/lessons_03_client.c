/* Lesson 03, client: one datagram out, the reply printed, however long. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(client, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/*
 * Run "client HOST PORT [MESSAGE]" against a socket of the test's, check
 * the request it sends, answer with reply, and check what it prints.
 */
static void
check_client(const char *host, const char *message, const void *want_req,
    size_t want_len, const void *reply, size_t reply_len)
{
	static unsigned char got[NET_MAX_DATAGRAM];
	int srv = h_udp_open(host);
	char port[8];
	struct sockaddr_storage from;
	struct h_proc *p;
	const char *line;
	char *escaped;
	char *want;
	size_t cap;
	ssize_t n;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	if (message != NULL)
		p = h_prog("client", host, port, message, NULL);
	else
		p = h_prog("client", host, port, NULL);

	n = h_udp_recv(srv, got, sizeof(got), h_ms(3000), &from);
	cr_assert(n != -1, "the client sent nothing within %ld ms (stderr: "
	    "%s)", h_ms(3000), h_stderr(p));
	cr_assert(n == (ssize_t)want_len &&
	    memcmp(got, want_req, want_len) == 0,
	    "the client should send exactly the %zu bytes of its message "
	    "(no NUL, no newline); it sent %zd", want_len, n);

	line = h_line(p, h_ms(2000));
	cap = 128;
	want = malloc(cap);
	cr_assert(want != NULL, "malloc");
	snprintf(want, cap, "sent %zu bytes to %s port %s", want_len, host,
	    port);
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "expected \"%s\", got \"%s\"", want, line ? line : "(nothing)");
	free(want);

	h_udp_send(srv, host, h_sockaddr_port(&from), reply, reply_len);
	escaped = h_escape(reply, reply_len);
	cap = strlen(escaped) + 128;
	want = malloc(cap);
	cr_assert(want != NULL, "malloc");
	snprintf(want, cap, "received %zu bytes from %s port %s: \"%s\"",
	    reply_len, host, port, escaped);
	line = h_line(p, h_ms(2000));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "expected:\n%.300s\ngot:\n%.300s", want, line ? line : "(nothing)");
	cr_assert_eq(h_wait(p, h_ms(3000)), 0,
	    "after printing the reply the client should exit 0");
	free(want);
	free(escaped);
}

Test(client, sends_hello_world_and_prints_the_reply_over_ipv4)
{
	check_client("127.0.0.1", NULL, "Hello World", 11,
	    "Get off my lawn!", 16);
}

Test(client, sends_hello_world_and_prints_the_reply_over_ipv6)
{
	check_client("::1", NULL, "Hello World", 11, "Get off my lawn!", 16);
}

Test(client, sends_the_message_given)
{
	check_client("127.0.0.1", "caf\xc3\xa9 \"quoted\"\n",
	    "caf\xc3\xa9 \"quoted\"\n", 15, "ok", 2);
}

Test(client, prints_a_binary_reply_escaped_whole)
{
	static const unsigned char reply[] = { 0, 0xff, '\n', 'x', 0, '\\' };

	check_client("::1", NULL, "Hello World", 11, reply, sizeof(reply));
}

Test(client, prints_an_empty_reply)
{
	check_client("127.0.0.1", NULL, "Hello World", 11, "", 0);
}

Test(client, takes_the_largest_reply_whole)
{
	static unsigned char v4[NET_MAX_UDP4];
	static unsigned char v6[NET_MAX_UDP6];

	for (size_t i = 0; i < sizeof(v6); i++)
		v6[i] = (unsigned char)(i % 251);
	memcpy(v4, v6, sizeof(v4));
	check_client("127.0.0.1", NULL, "Hello World", 11, v4, sizeof(v4));
	check_client("::1", NULL, "Hello World", 11, v6, sizeof(v6));
}

Test(client, sends_the_largest_message_whole)
{
	static char msg[NET_MAX_UDP4 + 1];

	memset(msg, 'm', NET_MAX_UDP4);
	check_client("127.0.0.1", msg, msg, NET_MAX_UDP4, "ok", 2);
}

Test(client, without_a_reply_is_still_waiting_at_the_deadline)
{
	/* The lesson: no timeout, so a lost reply means waiting forever. */
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	struct h_proc *p;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	p = h_prog("client", "127.0.0.1", port, NULL);
	cr_assert(h_line_starting(p, "sent ", h_ms(3000)) != NULL,
	    "the client did not report sending");
	cr_assert_eq(h_wait(p, 1500), -1,
	    "with no reply, lesson 03's client should still be waiting "
	    "after 1.5 s (it has no timeout); it exited");
	cr_assert_eq(h_stop(p, SIGTERM), 128 + SIGTERM,
	    "SIGTERM should end the waiting client");
}
