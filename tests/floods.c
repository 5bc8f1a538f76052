/*
 * Floods: every server that promises a clean stop is flooded with
 * datagrams and must still stop on SIGTERM within a second.
 *
 * A runner of its own, run with one job (scripts/run-suites): a flood is
 * a race between our sender and the server, and other tests running at
 * the same time would take the sender's CPU and let the server catch up.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

TestSuite(floods, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

struct server_name {
	char prog[16];
};

/* Datagrams sent in one burst between two looks at the server. */
#define FLOOD_BURST 64
/* At most this many in all, whatever the time. */
#define FLOOD_MAX 3000000L

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
 * pselect alone to let SIGTERM in never sees it while the flood lasts.
 * The flood here goes on for a second after the signal (longer under the
 * sanitizers and valgrind): a server that ends only when it stops fails.
 * It comes from one socket of ours, as fast as the kernel takes it, which
 * is faster than any server here reads, writes and logs.  Lesson 06, the
 * lab servers and the relay (forwarding to a socket of ours that never
 * reads) are flooded.
 */
ParameterizedTest(struct server_name *c, floods,
    sigterm_ends_a_flooded_server_in_a_second)
{
	static const char payload[16] = "0123456789abcdef";
	int sink = h_udp_open("127.0.0.1");
	int fd = h_udp_open("127.0.0.1");
	struct sockaddr_storage to;
	socklen_t tolen;
	char sinkport[8];
	char portstr[8];
	struct h_proc *srv;
	uint16_t port;
	long sent = 0;
	long warmup_end;
	long signalled = -1;
	long flood_end;
	int status = -1;

	if (strcmp(c->prog, "relay") == 0) {
		snprintf(sinkport, sizeof(sinkport), "%u",
		    (unsigned)h_udp_port(sink));
		srv = h_server_cmd((char *[]){ (char *)h_bin(c->prog), "0",
		    "127.0.0.1", sinkport, NULL }, true, &port);
	} else {
		srv = h_server(h_bin(c->prog), "127.0.0.1", &port);
	}
	/*
	 * The trap shows only while the server's socket is never empty when
	 * it waits.  At the lowest priority, the server seldom runs while
	 * our sender waits for the CPU, so it seldom catches up.  (Not under
	 * valgrind: there it needs its CPU to end in time.)
	 */
	if (!h_valgrind())
		cr_assert(setpriority(PRIO_PROCESS, (id_t)h_pid(srv), 19) == 0,
		    "setpriority: %s", strerror(errno));
	{
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
			.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
		struct addrinfo *ai;

		snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
		cr_assert(getaddrinfo("127.0.0.1", portstr, &hints, &ai) == 0,
		    "getaddrinfo");
		memcpy(&to, ai->ai_addr, ai->ai_addrlen);
		tolen = ai->ai_addrlen;
		freeaddrinfo(ai);
	}

	warmup_end = h_now_ms() + 300;
	while (sent < FLOOD_MAX) {
		long now;

		for (int i = 0; i < FLOOD_BURST; i++) {
			if (sendto(fd, payload, sizeof(payload), MSG_DONTWAIT,
			    (struct sockaddr *)&to, tolen) >= 0)
				sent++;
			else
				cr_assert(errno == EAGAIN || errno == ENOBUFS ||
				    errno == ECONNREFUSED, "sendto: %s",
				    strerror(errno));
		}
		now = h_now_ms();
		if (signalled == -1 && now >= warmup_end) {
			cr_assert(kill(h_pid(srv), SIGTERM) == 0, "kill: %s",
			    strerror(errno));
			signalled = now;
		}
		if (signalled != -1) {
			status = h_wait(srv, 0);
			if (status != -1 || now - signalled > h_ms(1000))
				break;
		}
	}
	flood_end = h_now_ms();
	close(fd);
	cr_assert(signalled != -1, "the flood of %s ended (%ld datagrams) "
	    "before the signal", c->prog, sent);
	if (status == -1) {
		status = h_wait(srv, h_ms(5000));
		cr_assert(status != -1, "%s got SIGTERM during a flood of "
		    "datagrams and was still running %ld ms after the flood "
		    "stopped", c->prog, h_ms(5000));
		cr_assert_fail("%s got SIGTERM during a steady flood of "
		    "datagrams and went on serving for %ld ms, until the flood "
		    "stopped: when the socket is already readable, pselect() "
		    "returns without delivering a pending signal, so check "
		    "for one (sigpending) after each wait", c->prog,
		    flood_end - signalled);
	}
	cr_assert_eq(status, 0, "%s got SIGTERM during a flood and exited %d, "
	    "not 0; stderr: %.300s", c->prog, status, h_stderr(srv));
	close(sink);
}
