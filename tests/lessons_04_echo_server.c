/* Lesson 04, echo-server: every datagram comes back, byte for byte. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	h_expect_ends(srv, SIGTERM);
}

Test(echo_server, first_line_is_the_slides_starting_up_on)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	char want[64];

	snprintf(want, sizeof(want), "starting up on 127.0.0.1 port %u", port);
	h_expect_ends(srv, SIGTERM);
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
	/* The last prompt comes after the last echo: wait for it, as a
	 * signal's default action would end the server mid-log. */
	while (prompts < COUNT + 1) {
		line = h_line(srv, h_ms(2000));
		if (line == NULL)
			break;
		if (strcmp(line, "Waiting to receive message") == 0)
			prompts++;
	}
	cr_assert(prompts == COUNT + 1, "expected \"Waiting to receive "
	    "message\" before each of %d datagrams and once after, counted %d",
	    COUNT, prompts);
	h_expect_ends(srv, SIGTERM);
	cr_assert(h_line(srv, 0) == NULL, "after its last prompt the server "
	    "printed: %s", h_stdout(srv));
}

Test(echo_server, quiet_prints_only_its_first_line_and_echoes)
{
	static const char *const quiet[] = { "-q", NULL };
	uint16_t port;
	struct h_proc *srv = h_server_args(h_bin("echo-server"), quiet, "::1",
	    &port);
	int fd = h_udp_open("::1");
	char want[64];

	for (int i = 0; i < 20; i++) {
		char msg[16];
		char got[32];
		int len = snprintf(msg, sizeof(msg), "quiet %d", i);

		h_udp_send(fd, "::1", port, msg, (size_t)len);
		cr_assert(h_udp_recv(fd, got, sizeof(got), h_ms(2000), NULL) ==
		    len && memcmp(got, msg, (size_t)len) == 0,
		    "echo-server -q: datagram %d did not come back whole", i);
	}
	h_expect_ends(srv, SIGTERM);
	snprintf(want, sizeof(want), "starting up on ::1 port %u\n", port);
	cr_assert_str_eq(h_stdout(srv), want, "echo-server -q should print "
	    "its first line and nothing else; it printed:\n%.500s",
	    h_stdout(srv));
	close(fd);
}

/*
 * The point of -q: once it has started, the server makes exactly two
 * system calls a datagram, recvfrom and sendto, and nothing else.
 * strace(1) writes every call it makes to a file; after the first line's
 * write(), we count them.  The last recvfrom is the one the signal ends.
 */
Test(echo_server, quiet_makes_two_system_calls_a_datagram)
{
	enum { COUNT = 200 };
	char trace[] = "/tmp/udplab-strace-XXXXXX";
	int tfd = mkstemp(trace);
	uint16_t port;
	struct h_proc *srv;
	FILE *f;
	char line[512];
	int fd = h_udp_open("127.0.0.1");
	bool started = false;
	int recvs = 0;
	int sends = 0;
	int others = 0;
	char other[128] = "";

	cr_assert(tfd != -1, "mkstemp: %s", strerror(errno));
	close(tfd);
	srv = h_server_cmd((char *[]){ "strace", "-o", trace,
	    (char *)h_bin("echo-server"), "-q", "127.0.0.1", "0", NULL }, false,
	    &port);
	for (int i = 0; i < COUNT; i++) {
		char got[8];

		h_udp_send(fd, "127.0.0.1", port, "ping", 4);
		cr_assert(h_udp_recv(fd, got, sizeof(got), h_ms(2000), NULL) ==
		    4, "under strace, echo %d of %d never came", i + 1, COUNT);
	}
	/* strace and the server share a process group: the server dies of
	 * SIGTERM, and strace, its tracer, then ends. */
	cr_assert(kill(-h_pid(srv), SIGTERM) == 0, "kill: %s", strerror(errno));
	cr_assert(h_wait(srv, h_ms(5000)) != -1, "strace did not end");

	f = fopen(trace, "r");
	cr_assert(f != NULL, "%s: %s", trace, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (!started) {
			started = strstr(line, "write(1, \"starting up on") !=
			    NULL;
			continue;
		}
		if (line[0] == '-' || line[0] == '+')
			continue;	/* "--- SIGTERM ..." and "+++ killed" */
		if (strncmp(line, "recvfrom(", 9) == 0)
			recvs++;
		else if (strncmp(line, "sendto(", 7) == 0)
			sends++;
		else if (others++ == 0)
			snprintf(other, sizeof(other), "%.100s", line);
	}
	fclose(f);
	unlink(trace);
	cr_assert(started, "strace's log has no write() of the first line");
	cr_assert(others == 0 && sends == COUNT &&
	    (recvs == COUNT || recvs == COUNT + 1),
	    "echo-server -q, %d datagrams: %d recvfrom, %d sendto and %d other "
	    "system calls (the first: %s); it should make one recvfrom and "
	    "one sendto a datagram, and nothing else", COUNT, recvs, sends,
	    others, other);
	close(fd);
}
