/* Every lesson server: SIGINT and SIGTERM end it with exit 0, no race. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <signal.h>
#include <string.h>

#include "harness.h"

TestSuite(signals, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

struct server_signal {
	char prog[16];
	int sig;
};

ParameterizedTestParameters(signals, right_after_the_first_line_exit_0)
{
	static struct server_signal cases[] = {
		{ "bare-server", SIGTERM }, { "bare-server", SIGINT },
		{ "fixed-reply", SIGTERM }, { "fixed-reply", SIGINT },
		{ "echo-server", SIGTERM }, { "echo-server", SIGINT },
	};

	return cr_make_param_array(struct server_signal, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/*
 * The signal goes the moment the first line is read: a server that
 * installs its handler after announcing itself dies of it (128 + N).  A
 * server that checks a flag and then blocks in recvfrom has a window
 * between the two; a signal that lands in it is missed, and every signal
 * is, if the handler makes recvfrom restart (signal(), SA_RESTART): the
 * server then hangs and h_stop fails the test.
 */
ParameterizedTest(struct server_signal *c, signals,
    right_after_the_first_line_exit_0)
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
		    c->sig == SIGINT ? "SIGINT" : "SIGTERM", status);
		cr_assert_str_eq(h_stderr(srv), "",
		    "%s printed on stderr when stopped: %s", c->prog,
		    h_stderr(srv));
	}
}

ParameterizedTestParameters(signals, after_traffic_exit_0)
{
	static struct server_signal cases[] = {
		{ "bare-server", SIGINT }, { "fixed-reply", SIGTERM },
		{ "echo-server", SIGINT },
	};

	return cr_make_param_array(struct server_signal, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct server_signal *c, signals, after_traffic_exit_0)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin(c->prog), "127.0.0.1", &port);
	int fd = h_udp_open("127.0.0.1");
	int status;

	h_udp_send(fd, "127.0.0.1", port, "ping", 4);
	cr_assert(h_line_starting(srv, strcmp(c->prog, "echo-server") == 0 ?
	    "received" : "127.0.0.1", h_ms(2000)) != NULL,
	    "%s did not report the datagram", c->prog);
	status = h_stop(srv, c->sig);
	cr_assert_eq(status, 0, "%s exited %d, not 0, on a signal while idle",
	    c->prog, status);
}
