/* Lesson 01, bare-server: every datagram printed escaped, none cut silently. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(bare_server, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/*
 * Send data to a fresh bare-server and check the line it prints:
 * "ADDR port P sent N bytes: "ESCAPED"", with ", truncated to 4096" when
 * the datagram did not fit.
 */
static void
check_printed(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), server_host, &port);
	int fd = h_udp_open(client_host);
	size_t shown = len > 4096 ? 4096 : len;
	char *escaped = h_escape(data, shown);
	size_t cap = strlen(escaped) + 256;
	char *want = malloc(cap);
	const char *line;

	cr_assert(want != NULL, "malloc");
	if (len > 4096)
		snprintf(want, cap, "%s port %u sent %zu bytes, truncated to "
		    "4096: \"%s\"", shown_as, h_udp_port(fd), len, escaped);
	else
		snprintf(want, cap, "%s port %u sent %zu bytes: \"%s\"",
		    shown_as, h_udp_port(fd), len, escaped);

	h_udp_send(fd, client_host, port, data, len);
	line = h_line(srv, h_ms(2000));
	cr_assert(line != NULL, "sent a %zu-byte datagram; the server "
	    "printed nothing within %ld ms", len, h_ms(2000));
	cr_assert(strcmp(line, want) == 0, "expected:\n%.300s\ngot:\n%.300s",
	    want, line);
	h_expect_ends(srv, SIGTERM);
	free(want);
	free(escaped);
}

Test(bare_server, first_line_names_the_address_and_port)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), "::1", &port);
	char want[64];

	snprintf(want, sizeof(want), "listening on ::1 port %u\n", port);
	h_expect_ends(srv, SIGTERM);
	cr_assert_str_eq(h_stdout(srv), want, "expected only \"%s\"", want);
}

Test(bare_server, without_host_listens_on_the_wildcard)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), NULL, &port);
	char want[64];

	snprintf(want, sizeof(want), "listening on :: port %u\n", port);
	h_expect_ends(srv, SIGTERM);
	cr_assert_str_eq(h_stdout(srv), want, "expected \"%s\"", want);
}

Test(bare_server, prints_hello_world_over_ipv4)
{
	check_printed("127.0.0.1", "127.0.0.1", "127.0.0.1", "Hello World", 11);
}

Test(bare_server, prints_hello_world_over_ipv6)
{
	check_printed("::1", "::1", "::1", "Hello World", 11);
}

Test(bare_server, without_host_shows_ipv4_senders_as_mapped)
{
	check_printed(NULL, "127.0.0.1", "::ffff:127.0.0.1", "Hello World", 11);
}

Test(bare_server, prints_every_byte_of_binary_data_escaped)
{
	static const unsigned char data[] = { 0, 'A', 0xff, '\n', '\t', '"',
		'\\', 0x80, 0 };

	check_printed("127.0.0.1", "127.0.0.1", "127.0.0.1", data,
	    sizeof(data));
}

Test(bare_server, binary_data_line_is_exactly_as_documented)
{
	/* The escape rules, spelled out once by hand. */
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("bare-server"), "::1", &port);
	int fd = h_udp_open("::1");
	char want[128];
	const char *line;

	h_udp_send(fd, "::1", port, "a\0\xff\n\"\\", 6);
	snprintf(want, sizeof(want),
	    "::1 port %u sent 6 bytes: \"a\\x00\\xff\\n\\\"\\\\\"",
	    h_udp_port(fd));
	line = h_line(srv, h_ms(2000));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "expected %s\ngot %s", want, line ? line : "(nothing)");
}

Test(bare_server, prints_an_empty_datagram)
{
	check_printed("::1", "::1", "::1", "", 0);
}

Test(bare_server, reports_a_datagram_over_its_buffer_as_truncated)
{
	static unsigned char data[5000];

	memset(data, 'x', sizeof(data));
	data[4095] = 'y';
	data[4096] = 'z';
	check_printed("127.0.0.1", "127.0.0.1", "127.0.0.1", data,
	    sizeof(data));
}

Test(bare_server, reports_the_largest_ipv4_datagram_truncated)
{
	static unsigned char data[NET_MAX_UDP4];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)i;
	check_printed("127.0.0.1", "127.0.0.1", "127.0.0.1", data,
	    sizeof(data));
}

Test(bare_server, reports_the_largest_ipv6_datagram_truncated)
{
	static unsigned char data[NET_MAX_UDP6];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i / 3);
	check_printed("::1", "::1", "::1", data, sizeof(data));
}

Test(bare_server, a_datagram_exactly_its_buffer_size_is_not_truncated)
{
	static unsigned char data[4096];

	memset(data, '.', sizeof(data));
	check_printed("::1", "::1", "::1", data, sizeof(data));
}
