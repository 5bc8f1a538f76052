/*
 * An example of an instructor's hidden tests for lab 03: a file of the
 * lab's name with ".extra" (EXTRA_TESTS/lab_03.extra.c) is linked into
 * the lab's runner when it is there, and its tests are priced in
 * lab_03.extra.rubric beside it.  Students' copies have neither.
 * scripts/check-grader builds and grades with this one.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(checked_client_extra, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* One message and its reply: the client exits 0 once the reply came. */
Test(checked_client_extra, exits_0_after_its_one_reply)
{
	int srv = h_udp_open("127.0.0.1");
	char port[8], buf[64];
	struct sockaddr_storage from;
	struct h_proc *c;
	int status;

	snprintf(port, sizeof(port), "%u", (unsigned)h_udp_port(srv));
	c = h_spawn((char *[]){ (char *)h_lab_program(), "127.0.0.1", port,
	    "first", NULL }, &(struct h_opts){ .wrap = true });
	cr_assert(h_udp_recv(srv, buf, sizeof(buf), h_ms(3000), &from) == 5 &&
	    memcmp(buf, "first", 5) == 0, "the server never got \"first\"");
	h_udp_send(srv, "127.0.0.1", h_sockaddr_port(&from), "reply", 5);
	status = h_wait(c, h_ms(3000));
	cr_assert(status == 0, "after its reply the client should exit 0; %s",
	    h_ending(c));
}
