/*
 * Floods: every server that promises a clean stop is flooded with
 * datagrams and must still stop on SIGTERM within a second.  The labs'
 * suites flood the student's servers the same way (h_expect_flood_stop).
 * This runner runs alone, one test at a time (scripts/run-suites), so
 * that the floods do not slow down each other's senders.
 */
#define _XOPEN_SOURCE 700	/* erand48: sizes that every run repeats */

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

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

/* ---------------------------------------------------------------------- */
/*
 * Soak: every server takes SOAK_DATAGRAMS datagrams at once, from many
 * addresses and ports, of every size up to the largest (past IPv4's
 * largest over IPv6), and must stay up, keep its memory, answer with the
 * bytes it was sent, and print only escaped text.
 */
#define SOAK_DATAGRAMS 100000
#define SOAK_WARMUP 20000
#define SOAK_SENDERS 36		/* 32 on 127.0.0.0/8, 4 on ::1 */

enum answer { NONE, FIXED, DAYTIME, ECHO };

struct soak_case {
	char prog[24];
	char opt[8];		/* one option, or "" */
	enum answer answer;
	bool clean_stop;	/* exits 0 on SIGTERM (else: may die of it) */
};

ParameterizedTestParameters(floods, a_server_survives_100000_datagrams)
{
	static struct soak_case cases[] = {
		{ "bare-server", "", NONE, false },
		{ "fixed-reply", "", FIXED, false },
		{ "echo-server", "", ECHO, false },
		{ "echo-server", "-q", ECHO, false },
		{ "counting-echo", "", ECHO, true },
		{ "hexdump-server", "", NONE, true },
		{ "daytime-server", "", DAYTIME, true },
		{ "safe-echo", "", ECHO, true },
		{ "relay", "", ECHO, true },
	};

	return cr_make_param_array(struct soak_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

/* Byte i of datagram seq: what an echo of it must hold. */
static unsigned char
pattern(uint32_t seq, size_t i)
{
	return (unsigned char)((seq * 2654435761u + i * 40503u) >> 13);
}

/*
 * Datagram seq of len bytes: its number and its length first (if it has
 * room for them), then the pattern.  Shorter than 8 bytes, it is the
 * pattern of datagram 0 alone.
 */
static void
make_datagram(unsigned char *buf, uint32_t seq, size_t len)
{
	uint32_t len32 = (uint32_t)len;

	if (len < 8)
		seq = 0;
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(seq, i);
	if (len >= 8) {
		memcpy(buf, &seq, 4);
		memcpy(buf + 4, &len32, 4);
	}
}

/*
 * Whether an answer is one the server may give to what sender (its index)
 * sent: an echo must be whole, and come back to the socket that sent it.
 */
static bool
answer_ok(enum answer a, const unsigned char *buf, size_t len, int sender)
{
	uint32_t seq = 0, len32 = 0;

	switch (a) {
	case FIXED:
		return len == 16 && memcmp(buf, "Get off my lawn!", 16) == 0;
	case DAYTIME:
		return len == 22 && memcmp(buf + 19, "Z\r\n", 3) == 0;
	case ECHO:
		if (len >= 8) {
			memcpy(&seq, buf, 4);
			memcpy(&len32, buf + 4, 4);
			if (len32 != len || (int)(seq % SOAK_SENDERS) != sender)
				return false;
		}
		for (size_t i = len >= 8 ? 8 : 0; i < len; i++)
			if (buf[i] != pattern(seq, i))
				return false;
		return true;
	default:
		return false;
	}
}

/* The resident set of a process, in kB, from /proc/PID/status. */
static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = fopen(path, "r");
	cr_assert(f != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	cr_assert(kb >= 0, "no VmRSS in %s", path);
	return kb;
}

struct soak_tally {
	long answers;
	long verified;
	long bad;
	ssize_t bad_len;
};

/* Read whatever answers are waiting on fd (sender i's), checking each. */
static void
read_answers(int fd, int i, enum answer a, struct soak_tally *t)
{
	static unsigned char buf[NET_MAX_DATAGRAM + 1];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		t->answers++;
		if (answer_ok(a, buf, (size_t)n, i))
			t->verified++;
		else if (t->bad++ == 0)
			t->bad_len = n;
	}
}

ParameterizedTest(struct soak_case *c, floods,
    a_server_survives_100000_datagrams)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	char *argv[8];
	int argc = 0;
	struct h_proc *srv, *echo = NULL;
	uint16_t port, eport;
	char eportarg[8];
	int fd[SOAK_SENDERS];
	struct soak_tally t = { 0 };
	unsigned short xsubi[3] = { 1, 2, 3 };
	long rss_warm = -1, rss_end, deadline;
	const char *out;
	long sent = 0;
	char name[40];
	struct sockaddr_storage to4, to6;
	socklen_t to4len, to6len;

	/*
	 * Once, in a plain build: under valgrind it takes too long, and
	 * ASan's quarantine grows memory by design.  The fuzzers
	 * (tests/fuzz/) run the byte-handling code under the sanitizers.
	 */
	if (h_valgrind() || h_sanitized() || getenv("UDPLAB_SOAK") == NULL ||
	    strcmp(getenv("UDPLAB_SOAK"), "1") != 0)
		h_skip("floods::a_server_survives_100000_datagrams", "the "
		    "soak runs once, in the first compiler's plain build "
		    "(UDPLAB_SOAK=1), not under valgrind or the sanitizers");
	snprintf(name, sizeof(name), "%s%s%s", c->prog, *c->opt ? " " : "",
	    c->opt);
	argv[argc++] = (char *)h_bin(c->prog);
	if (strcmp(c->prog, "relay") == 0) {
		/* The relay in front of lesson 04's quiet echo server. */
		echo = h_server_args(h_bin("echo-server"),
		    (const char *[]){ "-q", NULL }, "127.0.0.1", &eport);
		snprintf(eportarg, sizeof(eportarg), "%u", (unsigned)eport);
		argv[argc++] = "0";
		argv[argc++] = "127.0.0.1";
		argv[argc++] = eportarg;
	} else {
		if (*c->opt)
			argv[argc++] = c->opt;
		argv[argc++] = "0";	/* no host: "::", IPv4 and IPv6 */
	}
	argv[argc] = NULL;
	/* A hex dump of 100000 datagrams is gigabytes: keep 1 MB. */
	srv = h_server_opts(argv, &(struct h_opts){ .wrap = false,
	    .keep = 1 << 20 }, &port);

	for (int i = 0; i < SOAK_SENDERS; i++) {
		char host[32];

		if (i < 32)
			snprintf(host, sizeof(host), "127.0.%d.%d", i / 8,
			    1 + i % 8);
		else
			snprintf(host, sizeof(host), "::1");
		fd[i] = h_udp_open(host);
	}
	to4len = h_sockaddr("127.0.0.1", port, &to4);
	to6len = h_sockaddr("::1", port, &to6);
	deadline = h_now_ms() + h_ms(20000);
	for (uint32_t seq = 1; seq <= SOAK_DATAGRAMS &&
	    h_now_ms() < deadline; seq++) {
		int i = (int)(seq % SOAK_SENDERS);
		bool v6 = i >= 32;
		/* Sizes from 0 to the largest; over IPv6, past IPv4's. */
		size_t len = (size_t)(erand48(xsubi) * ((v6 ? NET_MAX_UDP6 :
		    NET_MAX_UDP4) + 1));

		make_datagram(buf, seq, len);
		/* A full socket buffer may refuse one (ENOBUFS): a loss. */
		if (sendto(fd[i], buf, len, 0, (struct sockaddr *)(v6 ? &to6 :
		    &to4), v6 ? to6len : to4len) == (ssize_t)len)
			sent++;
		if (c->answer != NONE)
			read_answers(fd[i], i, c->answer, &t);
		if (seq == SOAK_WARMUP)
			rss_warm = rss_kb(h_pid(srv));
	}
	/* What is still on its way: half a second more of answers. */
	for (long until = h_now_ms() + h_ms(500); h_now_ms() < until;)
		for (int i = 0; i < SOAK_SENDERS; i++)
			if (c->answer != NONE)
				read_answers(fd[i], i, c->answer, &t);
	rss_end = rss_kb(h_pid(srv));
	fprintf(stderr, "figure: soak %s: %ld datagrams sent, %ld answers, "
	    "%ld verified; RSS %ld kB after %d, %ld kB at the end\n", name,
	    sent, t.answers, t.verified, rss_warm, SOAK_WARMUP, rss_end);

	cr_assert_eq(h_wait(srv, 0), -1, "%s ended under the flood; %s",
	    name, h_ending(srv));
	cr_assert(sent > SOAK_WARMUP, "only %ld datagrams were sent within "
	    "%ld ms", sent, h_ms(20000));
	cr_assert_eq(t.bad, 0, "%s answered %ld of %ld datagrams with bytes "
	    "it was not sent (the first: %zd bytes)", name, t.bad, t.answers,
	    t.bad_len);
	cr_assert(c->answer == NONE || t.answers >= 100, "%s answered only "
	    "%ld of %ld datagrams", name, t.answers, sent);
	/*
	 * A server reads only what it can of a flood: a leak shows per
	 * datagram it answered.  8 bytes an answer, 16 kB at least: the
	 * stable ones here grow by a page or two at most.  A server that
	 * answers nothing is held to 256 kB in all.
	 */
	{
		long budget = c->answer == NONE ? 256 :
		    16 + t.answers * 8 / 1024;

		cr_assert(rss_end - rss_warm <= budget, "%s grew from %ld kB "
		    "after %d datagrams to %ld kB after %ld, %ld answered: "
		    "memory that grows with traffic runs out (allowed: %ld "
		    "kB)", name, rss_warm, SOAK_WARMUP, rss_end, sent,
		    t.answers, budget);
	}
	/* What it printed, as far as we kept it: escaped text only. */
	out = h_stdout(srv);
	for (size_t i = 0; out[i] != '\0'; i++)
		cr_assert((out[i] >= 0x20 && out[i] < 0x7f) || out[i] == '\n',
		    "%s printed byte 0x%02x at offset %zu of its output: "
		    "datagram bytes must be escaped", name,
		    (unsigned)(unsigned char)out[i], i);
	cr_assert(h_stdout_total(srv) == strlen(out) ||
	    strlen(out) == 1 << 20, "%s printed a NUL byte", name);
	for (int i = 0; i < SOAK_SENDERS; i++)
		close(fd[i]);
	if (c->clean_stop)
		h_expect_clean_stop(srv, SIGTERM);
	else
		h_expect_ends(srv, SIGTERM);
	if (echo != NULL)
		h_expect_ends(echo, SIGTERM);
}
