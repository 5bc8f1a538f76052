/*
 * Floods: every server that promises a clean stop is flooded with
 * datagrams and must still stop on SIGTERM within a second.  The labs'
 * suites flood the student's servers the same way (h_expect_flood_stop).
 * This runner runs alone, one test at a time (scripts/run-suites), so
 * that the floods do not slow down each other's senders.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

TestSuite(floods, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

struct server_name {
	char prog[16];
};

ParameterizedTestParameters(floods, sigterm_ends_a_flooded_server_in_a_second)
{
	static struct server_name cases[] = {
		{ "counting-echo" }, { "hexdump-server" },
		{ "daytime-server" }, { "safe-echo" }, { "relay" },
	};

	return cr_make_param_array(struct server_name, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/*
 * Linux's pselect, given a socket that is already readable, returns at
 * once and blocks the signals again without delivering one that was
 * pending.  A flood keeps the socket readable, so a server that relies on
 * pselect alone to let SIGTERM in never sees it while the flood lasts
 * (h_expect_flood_stop in the harness says how the flood is made one the
 * server cannot outrun).  Flooded: lesson 06, the lab servers, and the
 * relay (forwarding to a socket of ours that never reads).
 */
ParameterizedTest(struct server_name *c, floods,
    sigterm_ends_a_flooded_server_in_a_second)
{
	int sink = h_udp_open("127.0.0.1");
	char sinkport[8];

	snprintf(sinkport, sizeof(sinkport), "%u", (unsigned)h_udp_port(sink));
	if (strcmp(c->prog, "relay") == 0)
		h_expect_flood_stop((char *[]){ (char *)h_bin(c->prog), "0",
		    "127.0.0.1", sinkport, NULL });
	else
		h_expect_flood_stop((char *[]){ (char *)h_bin(c->prog),
		    "127.0.0.1", "0", NULL });
	close(sink);
}
