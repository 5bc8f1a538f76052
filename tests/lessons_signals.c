/*
 * Stopping: lessons 01-05 end on SIGINT or SIGTERM (the default action is
 * enough for them); lesson 06, the lab servers and the relay catch both
 * and exit 0, without a race and even while datagrams keep coming.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

TestSuite(signals, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

struct server_signal {
	char prog[16];
	int sig;
};

static const char *
signame(int sig)
{
	return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

ParameterizedTestParameters(signals, lesson_servers_end_right_away)
{
	static struct server_signal cases[] = {
		{ "bare-server", SIGTERM }, { "bare-server", SIGINT },
		{ "fixed-reply", SIGTERM }, { "fixed-reply", SIGINT },
		{ "echo-server", SIGTERM }, { "echo-server", SIGINT },
	};

	return cr_make_param_array(struct server_signal, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/* Idle or just after a datagram, the signal ends them within 2 s. */
ParameterizedTest(struct server_signal *c, signals,
    lesson_servers_end_right_away)
{
	for (int i = 0; i < 2; i++) {
		uint16_t port;
		struct h_proc *srv = h_server(h_bin(c->prog), "127.0.0.1",
		    &port);

		if (i == 1) {
			int fd = h_udp_open("127.0.0.1");

			h_udp_send(fd, "127.0.0.1", port, "ping", 4);
			cr_assert(h_stdout_has(srv, "4 bytes", h_ms(2000)),
			    "%s did not report the datagram: %s", c->prog,
			    h_stdout(srv));
			close(fd);
		}
		h_expect_ends(srv, c->sig);
	}
}

ParameterizedTestParameters(signals, counting_echo_right_after_the_first_line)
{
	static struct server_signal cases[] = {
		{ "counting-echo", SIGTERM }, { "counting-echo", SIGINT },
	};

	return cr_make_param_array(struct server_signal, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/*
 * The signal goes the moment the first line is read: a server that
 * installs its handler after announcing itself dies of it (128 + N).  A
 * server that checks a flag and then blocks in recvfrom has a window
 * between the two; a signal that lands in it is missed, and every signal
 * is, if the handler makes recvfrom restart (SA_RESTART): the server then
 * hangs and h_stop fails the test.  Fifty rounds give the window many
 * chances; a miss is likely, not certain, to show in one run.
 */
ParameterizedTest(struct server_signal *c, signals,
    counting_echo_right_after_the_first_line)
{
	long rounds = 50 / h_time_factor();

	if (rounds < 3)
		rounds = 3;
	for (long i = 0; i < rounds; i++) {
		uint16_t port;
		struct h_proc *srv = h_server(h_bin(c->prog),
		    i % 2 ? "::1" : NULL, &port);
		int status = h_stop(srv, c->sig);

		cr_assert_eq(status, 0, "round %ld: %s got %s right after its "
		    "first line and exited %d, not 0", i + 1, c->prog,
		    signame(c->sig), status);
		cr_assert_str_eq(h_stderr(srv), "",
		    "%s printed on stderr when stopped: %s", c->prog,
		    h_stderr(srv));
		cr_assert(h_stdout_has(srv, "echoed 0 datagrams, 0 bytes\n", 0),
		    "round %ld: stopped before any datagram, %s should say "
		    "\"echoed 0 datagrams, 0 bytes\"; it printed: %s", i + 1,
		    c->prog, h_stdout(srv));
	}
}
