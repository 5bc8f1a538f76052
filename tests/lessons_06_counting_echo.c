/* Lesson 06, counting-echo: echoes, then says what it served, and exits 0. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(counting_echo, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* Send len bytes, and check that exactly they come back from the server. */
static void
check_echo(int fd, const char *host, uint16_t port, const void *data,
    size_t len)
{
	static unsigned char got[NET_MAX_DATAGRAM + 1];
	struct sockaddr_storage from;
	ssize_t n;

	h_udp_send(fd, host, port, data, len);
	n = h_udp_recv(fd, got, sizeof(got), h_ms(2000), &from);
	cr_assert(n != -1, "sent %zu bytes, no echo within %ld ms", len,
	    h_ms(2000));
	cr_assert(n == (ssize_t)len && memcmp(got, data, len) == 0,
	    "sent %zu bytes, the echo had %zd (or other bytes)", len, n);
	cr_assert_eq(h_sockaddr_port(&from), port, "the echo came from port "
	    "%u, not the server's %u", h_sockaddr_port(&from), port);
}

static void
check_first_line(const char *host, const char *shown)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("counting-echo"), host, &port);
	char want[128];

	snprintf(want, sizeof(want), "echoing on %s port %u\n"
	    "echoed 0 datagrams, 0 bytes\n", shown, port);
	cr_assert_eq(h_stop(srv, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert_str_eq(h_stdout(srv), want, "expected:\n%sgot:\n%s", want,
	    h_stdout(srv));
}

Test(counting_echo, first_line_names_the_address_and_port)
{
	check_first_line("127.0.0.1", "127.0.0.1");
	check_first_line("::1", "::1");
	check_first_line(NULL, "::");
}

/* What it served, counted exactly, in the one summary line. */
static void
check_counts(const char *server_host, const char *client_host, int sig)
{
	static unsigned char big[NET_MAX_UDP4];
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("counting-echo"), server_host,
	    &port);
	int fd = h_udp_open(client_host);
	size_t bytes = 0;
	char want[256];
	int status;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 31 + 7);
	check_echo(fd, client_host, port, "Hello World", 11);
	check_echo(fd, client_host, port, "", 0);
	check_echo(fd, client_host, port, "\0\xff\n", 3);
	check_echo(fd, client_host, port, big, sizeof(big));
	bytes = 11 + 0 + 3 + sizeof(big);
	for (int i = 0; i < 96; i++) {
		check_echo(fd, client_host, port, big, (size_t)i * 100);
		bytes += (size_t)i * 100;
	}

	status = h_stop(srv, sig);
	cr_assert_eq(status, 0, "%s should end it with exit 0, got %d",
	    sig == SIGINT ? "SIGINT" : "SIGTERM", status);
	cr_assert_str_eq(h_stderr(srv), "", "nothing should go to stderr: %s",
	    h_stderr(srv));
	snprintf(want, sizeof(want), "echoed 100 datagrams, %zu bytes\n",
	    bytes);
	cr_assert(strstr(h_stdout(srv), want) != NULL &&
	    strcmp(strstr(h_stdout(srv), want), want) == 0,
	    "after 100 echoes the last line should be \"%.*s\"; stdout was:\n"
	    "%s", (int)strlen(want) - 1, want, h_stdout(srv));
	close(fd);
}

Test(counting_echo, counts_every_datagram_and_byte_then_exits_0_on_sigint)
{
	check_counts("127.0.0.1", "127.0.0.1", SIGINT);
}

Test(counting_echo, counts_over_ipv6_and_exits_0_on_sigterm)
{
	check_counts("::1", "::1", SIGTERM);
}

Test(counting_echo, without_host_serves_both_families)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("counting-echo"), NULL, &port);
	int v4 = h_udp_open("127.0.0.1");
	int v6 = h_udp_open("::1");
	static unsigned char big[NET_MAX_UDP6];

	memset(big, 0xa5, sizeof(big));
	check_echo(v4, "127.0.0.1", port, "four", 4);
	check_echo(v6, "::1", port, big, sizeof(big));
	cr_assert_eq(h_stop(srv, SIGTERM), 0, "SIGTERM should exit 0");
	cr_assert(h_stdout_has(srv, "echoed 2 datagrams, 65531 bytes\n", 0),
	    "expected \"echoed 2 datagrams, 65531 bytes\"; got:\n%s",
	    h_stdout(srv));
	close(v4);
	close(v6);
}
