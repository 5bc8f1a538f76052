/* Lesson 05, echo-client: the slide's four lines, and a timeout. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(echo_client, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* Run echo-client against a test socket that answers with reply. */
static void
check_exchange(const char *host, const char *message, const void *reply,
    size_t reply_len)
{
	static unsigned char got[NET_MAX_DATAGRAM];
	int srv = h_udp_open(host);
	const char *sent = message ? message : "This is the message.";
	char port[8];
	struct sockaddr_storage from;
	struct h_proc *p;
	char *esc_sent = h_escape(sent, strlen(sent));
	char *esc_reply = h_escape(reply, reply_len);
	size_t cap = strlen(esc_sent) + strlen(esc_reply) + 128;
	char *want = malloc(cap);
	ssize_t n;

	cr_assert(want != NULL, "malloc");
	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	if (message != NULL)
		p = h_prog("echo-client", host, port, message, NULL);
	else
		p = h_prog("echo-client", host, port, NULL);

	n = h_udp_recv(srv, got, sizeof(got), h_ms(3000), &from);
	cr_assert(n == (ssize_t)strlen(sent) &&
	    memcmp(got, sent, (size_t)n) == 0,
	    "the client should send the %zu bytes of its message; got %zd",
	    strlen(sent), n);
	h_udp_send(srv, host, h_sockaddr_port(&from), reply, reply_len);
	cr_assert_eq(h_wait(p, h_ms(3000)), 0,
	    "with a reply the client should exit 0 (stderr: %s)", h_stderr(p));

	snprintf(want, cap, "sending \"%s\"\nwaiting to receive ...\n"
	    "received \"%s\"\nclosing socket\n", esc_sent, esc_reply);
	cr_assert(strcmp(h_stdout(p), want) == 0,
	    "expected:\n%.400s\ngot:\n%.400s", want, h_stdout(p));
	free(want);
	free(esc_sent);
	free(esc_reply);
}

Test(echo_client, prints_the_slides_four_lines_over_ipv4)
{
	check_exchange("127.0.0.1", NULL, "This is the message.", 20);
}

Test(echo_client, prints_the_slides_four_lines_over_ipv6)
{
	check_exchange("::1", NULL, "This is the message.", 20);
}

Test(echo_client, prints_binary_replies_escaped)
{
	check_exchange("::1", "tab\there", "\0\xff\n\"", 4);
}

Test(echo_client, prints_an_empty_reply)
{
	check_exchange("127.0.0.1", "x", "", 0);
}

Test(echo_client, takes_the_largest_replies_whole)
{
	static unsigned char big[NET_MAX_UDP6];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(255 - i % 256);
	check_exchange("127.0.0.1", NULL, big, NET_MAX_UDP4);
	check_exchange("::1", NULL, big, NET_MAX_UDP6);
}

Test(echo_client, talks_to_lesson_04s_echo_server)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "::1", &port);
	char portstr[8];
	struct h_proc *p;

	snprintf(portstr, sizeof(portstr), "%u", port);
	p = h_prog("echo-client", "::1", portstr, "round trip", NULL);
	cr_assert_eq(h_wait(p, h_ms(3000)), 0, "stderr: %s", h_stderr(p));
	cr_assert_str_eq(h_stdout(p), "sending \"round trip\"\n"
	    "waiting to receive ...\nreceived \"round trip\"\n"
	    "closing socket\n", "got %s", h_stdout(p));
	h_expect_ends(srv, SIGTERM);
}

Test(echo_client, gives_up_after_its_timeout)
{
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	struct h_proc *p;
	long waiting_at;
	long elapsed;
	int status;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	p = h_prog("echo-client", "-t", "200", "127.0.0.1", port, NULL);
	cr_assert(h_line_starting(p, "waiting to receive ...", h_ms(3000)),
	    "no \"waiting to receive ...\" line");
	waiting_at = h_now_ms();
	status = h_wait(p, h_ms(5000));
	elapsed = h_now_ms() - waiting_at;
	cr_assert_eq(status, 1, "on timeout the client should exit 1, got %d",
	    status);
	/* From our seeing the line; it was printed a little before. */
	cr_assert(elapsed >= 150, "with -t 200 it gave up after %ld ms",
	    elapsed);
	cr_assert(elapsed <= 200 + h_ms(800),
	    "with -t 200 it took %ld ms to give up", elapsed);
	cr_assert(h_stderr_has(p, "echo-client: no reply within 200 ms", 0),
	    "stderr should say \"echo-client: no reply within 200 ms\", "
	    "got: %s",
	    h_stderr(p));
	cr_assert(strstr(h_stdout(p), "closing socket\n") != NULL,
	    "even on timeout the client should say \"closing socket\"");
}
