/* Lesson 02, fixed-reply: every datagram answered "Get off my lawn!". */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(fixed_reply, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

static const char REPLY[] = "Get off my lawn!";

static void
check_reply(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len)
{
	static unsigned char got[NET_MAX_DATAGRAM];
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("fixed-reply"), server_host, &port);
	int fd = h_udp_open(client_host);
	struct sockaddr_storage from;
	char want[128];
	const char *line;
	ssize_t n;

	h_udp_send(fd, client_host, port, data, len);
	n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), &from);
	cr_assert(n != -1, "sent a %zu-byte datagram, no reply within %ld ms",
	    len, h_ms(2000));
	cr_assert(n == 16 && memcmp(got, REPLY, 16) == 0,
	    "the reply should be the 16 bytes \"Get off my lawn!\" (no NUL, "
	    "no newline); got %zd bytes", n);
	cr_assert(h_sockaddr_port(&from) == port,
	    "the reply came from port %u, not the server's %u",
	    h_sockaddr_port(&from), port);

	snprintf(want, sizeof(want),
	    "%s port %u sent %zu bytes, replied \"Get off my lawn!\"",
	    shown_as, h_udp_port(fd), len);
	line = h_line(srv, h_ms(2000));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "expected \"%s\", got \"%s\"", want, line ? line : "(nothing)");
	h_expect_ends(srv, SIGINT);
}

Test(fixed_reply, first_line_names_the_address_and_port)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("fixed-reply"), "127.0.0.1", &port);
	char want[64];

	snprintf(want, sizeof(want), "listening on 127.0.0.1 port %u\n", port);
	h_expect_ends(srv, SIGTERM);
	cr_assert_str_eq(h_stdout(srv), want, "expected \"%s\"", want);
}

Test(fixed_reply, answers_hello_world_over_ipv4)
{
	check_reply("127.0.0.1", "127.0.0.1", "127.0.0.1", "Hello World", 11);
}

Test(fixed_reply, answers_over_ipv6)
{
	check_reply("::1", "::1", "::1", "Hello World", 11);
}

Test(fixed_reply, without_host_answers_ipv4_and_ipv6)
{
	check_reply(NULL, "127.0.0.1", "::ffff:127.0.0.1", "x", 1);
	check_reply(NULL, "::1", "::1", "x", 1);
}

Test(fixed_reply, answers_binary_empty_and_largest_datagrams)
{
	static unsigned char big[NET_MAX_UDP4];

	memset(big, 0xff, sizeof(big));
	check_reply("127.0.0.1", "127.0.0.1", "127.0.0.1", "\0\xff\n", 3);
	check_reply("127.0.0.1", "127.0.0.1", "127.0.0.1", "", 0);
	check_reply("127.0.0.1", "127.0.0.1", "127.0.0.1", big, sizeof(big));
}

Test(fixed_reply, answers_each_of_two_clients_at_its_own_address)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("fixed-reply"), "::1", &port);
	int a = h_udp_open("::1");
	int b = h_udp_open("::1");
	char got[64];

	h_udp_send(a, "::1", port, "from a", 6);
	h_udp_send(b, "::1", port, "from b", 6);
	cr_assert(h_udp_recv(a, got, sizeof(got), h_ms(2000), NULL) == 16,
	    "the first client got no reply");
	cr_assert(h_udp_recv(b, got, sizeof(got), h_ms(2000), NULL) == 16,
	    "the second client got no reply");
	cr_assert(h_udp_recv(a, got, sizeof(got), h_ms(200), NULL) == -1,
	    "the first client got a second reply meant for the other");
	h_expect_ends(srv, SIGTERM);
}
