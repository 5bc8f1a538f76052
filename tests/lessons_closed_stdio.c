/*
 * Programs started with a standard descriptor closed ("prog <&-"): the
 * first socket they open would take its number, and reading stdin would
 * read the socket.  Each opens /dev/null there first (net_open_std_fds).
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(closed_stdio, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

Test(closed_stdio, checked_client_reading_a_closed_stdin_sends_nothing)
{
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	char got[64];
	struct h_proc *p;
	int status;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	p = h_spawn((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" <&-",
	    (char *)h_bin("checked-client"), "127.0.0.1", port, "-", NULL },
	    NULL);
	status = h_wait(p, h_ms(3000));
	cr_assert(status != -1, "checked-client 127.0.0.1 %s - with stdin "
	    "closed had not ended after %ld ms: its socket took descriptor "
	    "0, and it reads its own socket as stdin", port, h_ms(3000));
	cr_assert_eq(status, 0, "with stdin closed there is nothing to "
	    "send, which is no failure; %s", h_ending(p));
	cr_assert_eq(h_udp_recv(srv, got, sizeof(got), 0, NULL), -1,
	    "with stdin closed it should send nothing, yet it sent a "
	    "datagram");
}
