/*
 * The lesson clients, with stdout on /dev/full: every write fails there
 * (ENOSPC, as on a full disk), and printf() says so only in the stream's
 * error flag.  A client whose reply could not be shown must not exit 0.
 * sh makes the redirection, so these never run the client under valgrind.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "net.h"

TestSuite(full_stdout, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* Run "NAME [-t MS] 127.0.0.1 PORT" and answer it. */
static void
check_full_stdout(const char *name, bool timeout)
{
	static unsigned char got[NET_MAX_DATAGRAM];
	int srv = h_udp_open("127.0.0.1");
	struct sockaddr_storage from;
	char port[8];
	struct h_proc *p;
	ssize_t n;
	int status;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	if (timeout)
		p = h_spawn((char *[]){ "sh", "-c",
		    "exec \"$0\" \"$@\" >/dev/full", (char *)h_bin(name),
		    "-t", "5000", "127.0.0.1", port, NULL }, NULL);
	else
		p = h_spawn((char *[]){ "sh", "-c",
		    "exec \"$0\" \"$@\" >/dev/full", (char *)h_bin(name),
		    "127.0.0.1", port, NULL }, NULL);
	n = h_udp_recv(srv, got, sizeof(got), h_ms(3000), &from);
	cr_assert(n != -1, "%s sent nothing within %ld ms; %s", name,
	    h_ms(3000), h_ending(p));
	h_udp_send(srv, "127.0.0.1", h_sockaddr_port(&from), "pong", 4);
	status = h_wait(p, h_ms(3000));
	cr_assert_eq(status, 1, "%s got its reply with stdout on /dev/full, "
	    "where every write fails: it should exit 1, not %d, since what it "
	    "printed never arrived; %s", name, status, h_ending(p));
	cr_assert(strstr(h_stderr(p), "stdout") != NULL, "%s should say on "
	    "stderr that writing to stdout failed; %s", name, h_ending(p));
}

Test(full_stdout, client_exits_1)
{
	check_full_stdout("client", false);
}

Test(full_stdout, echo_client_exits_1)
{
	check_full_stdout("echo-client", true);
}
