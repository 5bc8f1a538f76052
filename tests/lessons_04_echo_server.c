/* Lesson 04, echo-server: every datagram comes back, byte for byte. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(echo_server, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* Send data to a fresh echo server and check the echo and the log lines. */
static void
check_echo(const char *server_host, const char *client_host,
    const char *shown_as, const void *data, size_t len)
{
	static unsigned char got[NET_MAX_DATAGRAM + 1];
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), server_host, &port);
	int fd = h_udp_open(client_host);
	struct sockaddr_storage from;
	char want[256];
	char *escaped = h_escape(data, len);
	const char *line;
	ssize_t n;

	line = h_line(srv, h_ms(2000));
	cr_assert(line != NULL &&
	    strcmp(line, "Waiting to receive message") == 0,
	    "after its first line the server should print \"Waiting to "
	    "receive message\", got \"%s\"", line ? line : "(nothing)");

	h_udp_send(fd, client_host, port, data, len);
	n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), &from);
	cr_assert(n != -1, "sent a %zu-byte datagram, no echo came back "
	    "within %ld ms", len, h_ms(2000));
	cr_assert(n == (ssize_t)len, "sent %zu bytes, the echo had %zd",
	    len, n);
	cr_assert(memcmp(got, data, len) == 0,
	    "the echo has the right length but different bytes");
	cr_assert(h_sockaddr_port(&from) == port,
	    "the echo came from port %u, not the server's port %u",
	    h_sockaddr_port(&from), port);

	line = h_line(srv, h_ms(2000));
	cr_assert(line != NULL, "the server printed nothing on receipt");
	cr_assert(strncmp(line, "received ", 9) == 0, "got \"%s\"", line);
	snprintf(want, sizeof(want), " bytes from %s port %u: \"", shown_as,
	    h_udp_port(fd));
	cr_assert(strstr(line, want) != NULL,
	    "the receipt line should name the sender as \"%s port %u\": %.200s",
	    shown_as, h_udp_port(fd), line);
	cr_assert(strstr(line, escaped) != NULL &&
	    line[strlen(line) - 1] == '"',
	    "the receipt line should end with the escaped bytes in quotes: "
	    "%.200s",
	    line);
	free(escaped);

	line = h_line(srv, h_ms(2000));
	snprintf(want, sizeof(want), "sent %zu bytes back to %s port %u", len,
	    shown_as, h_udp_port(fd));
	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "expected \"%s\", got \"%s\"", want, line ? line : "(nothing)");
	cr_assert_eq(h_stop(srv, SIGTERM), 0, "SIGTERM should exit 0");
}

Test(echo_server, first_line_is_the_slides_starting_up_on)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	char want[64];

	snprintf(want, sizeof(want), "starting up on 127.0.0.1 port %u", port);
	cr_assert_eq(h_stop(srv, SIGTERM), 0);
	cr_assert(strncmp(h_stdout(srv), want, strlen(want)) == 0,
	    "expected \"%s\", got \"%s\"", want, h_stdout(srv));
}

Test(echo_server, echoes_text_over_ipv4)
{
	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", "Hello World", 11);
}

Test(echo_server, echoes_text_over_ipv6)
{
	check_echo("::1", "::1", "::1", "Hello World", 11);
}

Test(echo_server, without_host_serves_ipv4_as_mapped_addresses)
{
	check_echo(NULL, "127.0.0.1", "::ffff:127.0.0.1", "Hello World", 11);
}

Test(echo_server, without_host_serves_ipv6)
{
	check_echo(NULL, "::1", "::1", "Hello World", 11);
}

Test(echo_server, echoes_binary_bytes_and_prints_them_escaped)
{
	static const unsigned char data[] = { 'a', 0, 0xff, '\n', '"', '\\',
		0x7f, 0x01, 'z' };

	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data));
}

Test(echo_server, echoes_an_empty_datagram)
{
	check_echo("::1", "::1", "::1", "", 0);
}

Test(echo_server, echoes_the_largest_ipv4_datagram)
{
	static unsigned char data[NET_MAX_UDP4];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	check_echo("127.0.0.1", "127.0.0.1", "127.0.0.1", data, sizeof(data));
}

Test(echo_server, echoes_the_largest_ipv6_datagram)
{
	static unsigned char data[NET_MAX_UDP6];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 13 + i / 251);
	check_echo("::1", "::1", "::1", data, sizeof(data));
}

Test(echo_server, answers_many_datagrams_in_order_and_prompts_each_time)
{
	enum { COUNT = 50 };
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	int prompts = 0;
	const char *line;

	/* Lockstep: one datagram in flight at a time, none can overflow. */
	for (int i = 0; i < COUNT; i++) {
		char msg[32];
		char got[64];
		int len = snprintf(msg, sizeof(msg), "datagram %d", i);
		ssize_t n;

		h_udp_send(fd, "127.0.0.1", port, msg, (size_t)len);
		n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), NULL);
		cr_assert(n != -1, "sent %d datagrams, the echo of number %d "
		    "never came", i + 1, i);
		cr_assert(n == len && memcmp(got, msg, (size_t)len) == 0,
		    "datagram %d came back as different bytes", i);
	}
	cr_assert_eq(h_stop(srv, SIGTERM), 0, "SIGTERM should exit 0");
	while ((line = h_line(srv, 0)) != NULL)
		if (strcmp(line, "Waiting to receive message") == 0)
			prompts++;
	cr_assert(prompts == COUNT + 1, "expected \"Waiting to receive "
	    "message\" before each of %d datagrams and once after, counted %d",
	    COUNT, prompts);
}
