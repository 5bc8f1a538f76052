/*
 * Lab 05, the UDP pinger (lessons/05-echo-client/LAB.md).
 *
 * Two kinds of test.  Exact ones put a test socket where the server would
 * be and answer as the test decides: twice, out of order, late, with
 * garbage, from a stranger.  Statistical ones put tools/relay between the
 * pinger and lesson 04's echo server, and check what the pinger counted
 * against the relay's own accounting, with inequalities where timing
 * decides.  Every run's whole output is parsed line by line against
 * LAB.md, and its summary checked against its own lines; where LAB.md says
 * when a line is printed, the test reads the output while the pinger runs.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(pinger, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

#define USAGE "usage: pinger [-c count] [-i milliseconds] [-t milliseconds] " \
    "host port"
#define PING_LEN 12
#define MAX_EVENTS 256

/* ---------------------------------------------------------------------- */
/* Running the pinger and reading what it printed. */

enum kind { REPLY, TIMEOUT, IGNORED };

/* One line between the PING line and the summary. */
struct event {
	enum kind kind;
	long seq;		/* REPLY, TIMEOUT */
	double ms;		/* REPLY: time= */
	char tag[16];		/* REPLY: "", DUP!, late, out of order */
	long bytes;		/* IGNORED */
	char host[NET_HOSTLEN];	/* REPLY, IGNORED: the sender */
	long port;
	char why[32];		/* IGNORED */
	char line[160];
};

struct run {
	int status;
	const char *out;
	char host[NET_HOSTLEN];	/* from the PING line */
	long port;
	struct event ev[MAX_EVENTS];
	int nev;
	long tx;		/* the summary's counts */
	long rx;
	long loss;
	long dup;
	long late;
	long ooo;
	long ign;
	bool has_rtt;		/* and its rtt line */
	double min;
	double avg;
	double max;
	double mdev;
};

/* Start the program under test; a negative option is left out. */
static struct h_proc *
start_pinger(const char *host, uint16_t port, long count, long interval,
    long timeout)
{
	char c[16];
	char i[16];
	char t[16];
	char portstr[8];
	char *argv[10];
	int n = 0;

	argv[n++] = (char *)h_lab_program();
	snprintf(c, sizeof(c), "%ld", count);
	snprintf(i, sizeof(i), "%ld", interval);
	snprintf(t, sizeof(t), "%ld", timeout);
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (count >= 0) {
		argv[n++] = "-c";
		argv[n++] = c;
	}
	if (interval >= 0) {
		argv[n++] = "-i";
		argv[n++] = i;
	}
	if (timeout >= 0) {
		argv[n++] = "-t";
		argv[n++] = t;
	}
	argv[n++] = (char *)host;
	argv[n++] = portstr;
	argv[n] = NULL;
	return h_spawn(argv, &(struct h_opts){ .wrap = true });
}

/* Match line against an extended regex; copy the groups into m. */
static bool
match(const char *line, const char *pattern, regmatch_t *m, size_t nm)
{
	regex_t re;
	int rc;

	cr_assert(regcomp(&re, pattern, REG_EXTENDED) == 0,
	    "test bug: bad regex %s", pattern);
	rc = regexec(&re, line, nm, m, 0);
	regfree(&re);
	return rc == 0;
}

static void
group(const char *line, const regmatch_t *m, char *out, size_t cap)
{
	size_t len = (size_t)(m->rm_eo - m->rm_so);

	if (len >= cap)
		len = cap - 1;
	memcpy(out, line + m->rm_so, len);
	out[len] = '\0';
}

static long
group_long(const char *line, const regmatch_t *m)
{
	char s[32];

	group(line, m, s, sizeof(s));
	return strtol(s, NULL, 10);
}

static double
group_double(const char *line, const regmatch_t *m)
{
	char s[32];

	group(line, m, s, sizeof(s));
	return strtod(s, NULL);
}

#define RE_MS "([0-9]+\\.[0-9]{3})"
#define RE_REPLY "^12 bytes from ([^ ]+) port ([0-9]+): seq=([0-9]+) " \
    "time=" RE_MS " ms( \\((DUP!|late|out of order)\\))?$"
#define RE_TIMEOUT "^timeout for seq=([0-9]+)$"
#define RE_IGNORED "^ignored ([0-9]+) bytes from ([^ ]+) port ([0-9]+): " \
    "(not from the server|not 12 bytes|not a ping we sent)$"

/* One line between the PING line and the summary, or false. */
static bool
parse_event(const char *line, struct event *e)
{
	regmatch_t m[8];

	memset(e, 0, sizeof(*e));
	snprintf(e->line, sizeof(e->line), "%s", line);
	if (match(line, RE_REPLY, m, 8)) {
		e->kind = REPLY;
		group(line, &m[1], e->host, sizeof(e->host));
		e->port = group_long(line, &m[2]);
		e->seq = group_long(line, &m[3]);
		e->ms = group_double(line, &m[4]);
		if (m[6].rm_so != -1)
			group(line, &m[6], e->tag, sizeof(e->tag));
		return true;
	}
	if (match(line, RE_TIMEOUT, m, 2)) {
		e->kind = TIMEOUT;
		e->seq = group_long(line, &m[1]);
		return true;
	}
	if (match(line, RE_IGNORED, m, 5)) {
		e->kind = IGNORED;
		e->bytes = group_long(line, &m[1]);
		group(line, &m[2], e->host, sizeof(e->host));
		e->port = group_long(line, &m[3]);
		group(line, &m[4], e->why, sizeof(e->why));
		return true;
	}
	return false;
}

/* The next line of out (advancing *pos), or NULL at the end. */
static const char *
next_line(const char *out, size_t *pos, char *buf, size_t cap)
{
	const char *start = out + *pos;
	const char *nl = strchr(start, '\n');
	size_t len;

	if (*start == '\0')
		return NULL;
	len = nl ? (size_t)(nl - start) : strlen(start);
	*pos += len + (nl ? 1 : 0);
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, start, len);
	buf[len] = '\0';
	return buf;
}

/*
 * Wait at most ms for the pinger to end, then parse every line it printed;
 * fail on any line LAB.md does not define, or one out of its place.
 */
static void
finish(struct h_proc *p, long ms, struct run *r)
{
	char buf[512];
	const char *line;
	regmatch_t m[6];
	size_t pos = 0;

	memset(r, 0, sizeof(*r));
	r->status = h_wait(p, ms);
	cr_assert(r->status != -1, "the test waited %ld ms for the pinger to "
	    "end, and it was still running (it should end as soon as every "
	    "ping is answered or timed out); its output so far:\n%.2000s",
	    ms, h_stdout(p));
	r->out = h_stdout(p);

	line = next_line(r->out, &pos, buf, sizeof(buf));
	cr_assert(line != NULL && match(line, "^PING ([^ ]+) port ([0-9]+): "
	    "12 bytes of data$", m, 3), "the first line should be \"PING "
	    "HOST port PORT: 12 bytes of data\", got \"%s\"; %s",
	    line ? line : "(nothing)", h_ending(p));
	group(line, &m[1], r->host, sizeof(r->host));
	r->port = group_long(line, &m[2]);
	{
		/* Numeric: an IPv4 or IPv6 address, with its scope if any. */
		char addr[NET_HOSTLEN];
		unsigned char bin[sizeof(struct in6_addr)];

		snprintf(addr, sizeof(addr), "%s", r->host);
		addr[strcspn(addr, "%")] = '\0';
		cr_assert(inet_pton(AF_INET, addr, bin) == 1 ||
		    inet_pton(AF_INET6, addr, bin) == 1, "the PING line "
		    "should name the address the pings are sent to, "
		    "numeric, as net_addrstr prints it (127.0.0.1, ::1), "
		    "also when the host was given as a name; got \"%s\"",
		    line);
	}

	for (;;) {
		line = next_line(r->out, &pos, buf, sizeof(buf));
		cr_assert(line != NULL, "the output should end with the "
		    "summary (\"--- HOST port PORT ping statistics ---\" and "
		    "what follows); the whole output:\n%.2000s", r->out);
		if (strncmp(line, "--- ", 4) == 0)
			break;
		cr_assert(r->nev < MAX_EVENTS, "more than %d lines between the "
		    "PING line and the summary:\n%.2000s", MAX_EVENTS, r->out);
		cr_assert(parse_event(line, &r->ev[r->nev]), "this line is "
		    "none of those LAB.md defines: \"%s\"; the whole output:"
		    "\n%.2000s", line, r->out);
		r->nev++;
	}

	cr_assert(match(line, "^--- ([^ ]+) port ([0-9]+) ping statistics "
	    "---$", m, 3), "the summary should start \"--- HOST port PORT "
	    "ping statistics ---\", got \"%s\"", line);
	{
		char host[NET_HOSTLEN];

		group(line, &m[1], host, sizeof(host));
		cr_assert(strcmp(host, r->host) == 0 &&
		    group_long(line, &m[2]) == r->port, "the summary should "
		    "name the host and port of the PING line (%s port %ld), "
		    "got \"%s\"", r->host, r->port, line);
	}
	line = next_line(r->out, &pos, buf, sizeof(buf));
	/* A sign, so that a count gone wrong is reported as such below. */
	cr_assert(line != NULL && match(line, "^([0-9]+) packets transmitted, "
	    "([0-9]+) received, (-?[0-9]+)% packet loss$", m, 4),
	    "after the summary's first line: \"T packets transmitted, R "
	    "received, L%% packet loss\", got \"%s\"",
	    line ? line : "(nothing)");
	r->tx = group_long(line, &m[1]);
	r->rx = group_long(line, &m[2]);
	r->loss = group_long(line, &m[3]);
	line = next_line(r->out, &pos, buf, sizeof(buf));
	cr_assert(line != NULL && match(line, "^duplicates ([0-9]+), late "
	    "([0-9]+), out of order ([0-9]+), ignored ([0-9]+)$", m, 5),
	    "then \"duplicates D, late L, out of order O, ignored I\", got "
	    "\"%s\"", line ? line : "(nothing)");
	r->dup = group_long(line, &m[1]);
	r->late = group_long(line, &m[2]);
	r->ooo = group_long(line, &m[3]);
	r->ign = group_long(line, &m[4]);
	line = next_line(r->out, &pos, buf, sizeof(buf));
	if (line != NULL) {
		cr_assert(match(line, "^rtt min/avg/max/mdev = " RE_MS "/"
		    RE_MS "/" RE_MS "/" RE_MS " ms$", m, 5), "the last line "
		    "should be \"rtt min/avg/max/mdev = A/B/C/D ms\", each "
		    "with 3 decimals, got \"%s\"", line);
		r->has_rtt = true;
		r->min = group_double(line, &m[1]);
		r->avg = group_double(line, &m[2]);
		r->max = group_double(line, &m[3]);
		r->mdev = group_double(line, &m[4]);
		line = next_line(r->out, &pos, buf, sizeof(buf));
		cr_assert(line == NULL, "nothing should follow the rtt line, "
		    "got \"%s\"", line);
	}
}

static int
count_tag(const struct run *r, const char *tag)
{
	int n = 0;

	for (int i = 0; i < r->nev; i++)
		if (r->ev[i].kind == REPLY && strcmp(r->ev[i].tag, tag) == 0)
			n++;
	return n;
}

static int
count_kind(const struct run *r, enum kind kind)
{
	int n = 0;

	for (int i = 0; i < r->nev; i++)
		if (r->ev[i].kind == kind)
			n++;
	return n;
}

/* The index of the first event of kind for seq (any tag), or -1. */
static int
find(const struct run *r, enum kind kind, long seq, const char *tag)
{
	for (int i = 0; i < r->nev; i++)
		if (r->ev[i].kind == kind && r->ev[i].seq == seq &&
		    (tag == NULL || strcmp(r->ev[i].tag, tag) == 0))
			return i;
	return -1;
}

/* Whether a reply line counts as received: no tag, or out of order. */
static bool
fresh(const struct event *e)
{
	return e->kind == REPLY && (e->tag[0] == '\0' ||
	    strcmp(e->tag, "out of order") == 0);
}

/*
 * What every run must satisfy, whatever the network did: each line agrees
 * with the ones before it, and the summary with the lines.  stopped: the
 * run was ended by SIGINT or SIGTERM, count is the pings sent by then, and
 * those still waiting have no timeout line.
 */
static void
check_run(const struct run *r, long count, bool stopped)
{
	static bool received[MAX_EVENTS];
	static bool timed_out[MAX_EVENTS];
	static bool replied[MAX_EVENTS];
	static double rtt[MAX_EVENTS];
	long highest = -1;
	double sum = 0;
	double var = 0;
	double min = 0;
	double max = 0;
	long fresh_replies = 0;
	long loss;

	cr_assert(r->tx == count, "asked for -c %ld, the summary says %ld "
	    "packets transmitted", count, r->tx);
	cr_assert(count <= MAX_EVENTS, "test bug: count too large");
	memset(received, 0, sizeof(received));
	memset(timed_out, 0, sizeof(timed_out));
	memset(replied, 0, sizeof(replied));

	for (int i = 0; i < r->nev; i++) {
		const struct event *e = &r->ev[i];

		if (e->kind == IGNORED) {
			cr_assert(strcmp(e->host, "::") != 0 &&
			    strcmp(e->host, "0.0.0.0") != 0, "\"%s\": no "
			    "datagram comes from %s; an address printed so "
			    "means the address length passed to recvfrom "
			    "(sizeof the sockaddr_storage, before each call) "
			    "or to getnameinfo is wrong", e->line, e->host);
			continue;
		}
		cr_assert(e->seq < count, "\"%s\": only seq=0 to seq=%ld "
		    "were sent", e->line, count - 1);
		if (e->kind == TIMEOUT) {
			cr_assert(!timed_out[e->seq] && !received[e->seq],
			    "\"%s\": that ping was already answered or timed "
			    "out", e->line);
			timed_out[e->seq] = true;
			continue;
		}
		cr_assert(strcmp(e->host, r->host) == 0 && e->port == r->port,
		    "\"%s\": replies come from the server, %s port %ld%s",
		    e->line, r->host, r->port, e->port != r->port &&
		    e->port == (long)ntohs((uint16_t)r->port) ?
		    " (the port printed is the right one byte-swapped: byte "
		    "order (ntohs))" : "");
		if (strcmp(e->tag, "DUP!") == 0) {
			cr_assert(replied[e->seq], "\"%s\" is marked (DUP!), "
			    "but it is the first reply to seq=%ld", e->line,
			    e->seq);
			continue;
		}
		cr_assert(!replied[e->seq], "\"%s\": seq=%ld was answered "
		    "before, so this reply should be marked (DUP!): a second "
		    "reply to the same seq is a duplicate, not a fresh reply",
		    e->line, e->seq);
		replied[e->seq] = true;
		if (strcmp(e->tag, "late") == 0) {
			cr_assert(timed_out[e->seq], "\"%s\" is marked (late) "
			    "but no \"timeout for seq=%ld\" came before it",
			    e->line, e->seq);
			continue;
		}
		cr_assert(!timed_out[e->seq], "\"%s\" came after \"timeout "
		    "for seq=%ld\": it should be marked (late) and counted "
		    "as late, not as received", e->line, e->seq);
		received[e->seq] = true;
		if (e->seq < highest)
			cr_assert(e->tag[0] != '\0', "\"%s\" came after the "
			    "reply to seq=%ld and should be marked (out of "
			    "order)", e->line, highest);
		else
			cr_assert(e->tag[0] == '\0', "\"%s\" is marked (out "
			    "of order), but no reply to a later ping came "
			    "before it", e->line);
		if (e->seq > highest)
			highest = e->seq;
		if (fresh_replies == 0 || e->ms < min)
			min = e->ms;
		if (e->ms > max)
			max = e->ms;
		sum += e->ms;
		rtt[fresh_replies] = e->ms;
		fresh_replies++;
	}

	cr_assert(r->rx == count_tag(r, "") + count_tag(r, "out of order"),
	    "the summary says %ld received, but %d reply lines are neither "
	    "(DUP!) nor (late)", r->rx, count_tag(r, "") +
	    count_tag(r, "out of order"));
	cr_assert(r->dup == count_tag(r, "DUP!"), "the summary says "
	    "duplicates %ld, but %d lines are marked (DUP!)", r->dup,
	    count_tag(r, "DUP!"));
	cr_assert(r->late == count_tag(r, "late"), "the summary says late "
	    "%ld, but %d lines are marked (late)", r->late,
	    count_tag(r, "late"));
	cr_assert(r->ooo == count_tag(r, "out of order"), "the summary says "
	    "out of order %ld, but %d lines are marked (out of order)",
	    r->ooo, count_tag(r, "out of order"));
	cr_assert(r->ign == count_kind(r, IGNORED), "the summary says "
	    "ignored %ld, but there are %d \"ignored\" lines", r->ign,
	    count_kind(r, IGNORED));
	if (stopped)
		cr_assert(count_kind(r, TIMEOUT) <= r->tx - r->rx, "%ld of %ld "
		    "pings were not received, but there are %d \"timeout for "
		    "seq=N\" lines", r->tx - r->rx, r->tx,
		    count_kind(r, TIMEOUT));
	else
		cr_assert(count_kind(r, TIMEOUT) == r->tx - r->rx, "%ld of %ld "
		    "pings were not received, so there should be as many "
		    "\"timeout for seq=N\" lines, not %d", r->tx - r->rx,
		    r->tx, count_kind(r, TIMEOUT));
	loss = r->tx > 0 ? (r->tx - r->rx) * 100 / r->tx : 0;
	cr_assert(r->loss == loss, "%ld transmitted and %ld received is %ld%% "
	    "packet loss (rounded down), the summary says %ld%%", r->tx,
	    r->rx, loss, r->loss);

	cr_assert(r->has_rtt == (r->rx > 0), "%s", r->rx > 0 ?
	    "with replies received the summary should end with the rtt line" :
	    "with nothing received there should be no rtt line");
	if (r->has_rtt) {
		double mean = sum / (double)r->rx;

		/* The variance from the printed times, in two passes. */
		for (long i = 0; i < fresh_replies; i++)
			var += (rtt[i] - mean) * (rtt[i] - mean);
		var /= (double)fresh_replies;

		cr_assert(r->min >= min - 0.0015 && r->min <= min + 0.0015 &&
		    r->max >= max - 0.0015 && r->max <= max + 0.0015,
		    "the rtt line says min %.3f and max %.3f, but the received "
		    "replies' times go from %.3f to %.3f", r->min, r->max, min,
		    max);
		cr_assert(r->avg >= mean - 0.002 && r->avg <= mean + 0.002,
		    "the rtt line says avg %.3f, but the received replies' "
		    "times average %.4f", r->avg, mean);
		/*
		 * mdev squared against the variance, so that the test needs
		 * no libm.  The times are rounded to 3 decimals: each may be
		 * off by 0.0005, which moves the deviation by as much.
		 */
		cr_assert(r->mdev * r->mdev >= var - 0.004 * (r->mdev + 0.01) &&
		    r->mdev * r->mdev <= var + 0.004 * (r->mdev + 0.01),
		    "the rtt line says mdev %.3f, but the received replies' "
		    "times have a standard deviation whose square is %.4f: "
		    "mdev is the standard deviation, the square root of the "
		    "mean of the squared differences from the mean (divided "
		    "by R, not R - 1)", r->mdev, var);
	}
	cr_assert(r->status == (r->rx > 0 ? 0 : 1), "with %ld received the "
	    "pinger should exit %d, it exited %d", r->rx, r->rx > 0 ? 0 : 1,
	    r->status);
}

static void
check_consistent(const struct run *r, long count)
{
	check_run(r, count, false);
}

/* ---------------------------------------------------------------------- */
/* The scripted server: a test socket that answers as each test says. */

struct wire {
	unsigned char raw[PING_LEN];
	unsigned long seq;
	uint64_t ns;
	uint16_t port;		/* the pinger's */
	long at;		/* h_now_ms() when it arrived */
};

static uint64_t
get_be(const unsigned char *p, int len)
{
	uint64_t v = 0;

	for (int i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be(unsigned char *p, uint64_t v, int len)
{
	for (int i = len - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Fail: ping seq did not come within ms.  h_wait tells an ended pinger
 * from a late one (and fails the test itself on a sanitizer's report).
 */
static void
no_ping(struct h_proc *p, long ms, long seq)
{
	if (h_wait(p, 0) != -1)
		cr_assert_fail("the pinger ended before ping %ld (seq=%ld) "
		    "came: %s", seq, seq, h_ending(p));
	cr_assert_fail("waited %ld ms for ping %ld (seq=%ld), none came", ms,
	    seq, seq);
}

/*
 * A datagram of n bytes in buf, from from, that must be ping seq: check
 * its bytes, and take it apart into w.
 */
static void
take_ping(const unsigned char *buf, ssize_t n,
    const struct sockaddr_storage *from, unsigned long seq, struct wire *w)
{
	unsigned long swapped;

	cr_assert(n == PING_LEN, "a ping must be exactly 12 bytes, a 4-byte "
	    "sequence number then an 8-byte send time, nothing between (a C "
	    "struct sent as it is carries padding and the host's byte "
	    "order); ping %lu was %zd bytes", seq, n);
	memcpy(w->raw, buf, PING_LEN);
	w->seq = (unsigned long)get_be(buf, 4);
	w->ns = get_be(buf + 4, 8);
	w->port = h_sockaddr_port(from);
	w->at = h_now_ms();
	swapped = (unsigned long)buf[3] << 24 | (unsigned long)buf[2] << 16 |
	    (unsigned long)buf[1] << 8 | buf[0];
	cr_assert(w->seq == seq, "ping %lu should carry seq=%lu in bytes 0-3, "
	    "big-endian (network byte order), counting from 0; read that "
	    "way it carries %lu%s", seq, seq, w->seq, swapped == seq ?
	    " (its bytes are the wrong way round: host byte order?)" : "");
}

/*
 * The next ping of pinger p, which must come within ms and be ping seq.
 * If p ends first, the wait ends with it, and the message says how p ended
 * (a crash, an early exit) rather than that nothing came.
 */
static void
get_ping(struct h_proc *p, int srv, long ms, unsigned long seq,
    struct wire *w)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	struct sockaddr_storage from;
	ssize_t n = h_udp_recv_while(p, srv, buf, sizeof(buf), ms, &from);

	if (n == -1)
		no_ping(p, ms, (long)seq);
	take_ping(buf, n, &from, seq, w);
}

/*
 * The same, while a stranger sends the pinger a datagram every 50 ms (the
 * 5 bytes "stray", or 12 that are no ping of its own), so that it wakes
 * often.  Returns false if ping seq did not come within ms.
 */
static bool
get_ping_among_strays(int srv, int stranger, const char *host,
    uint16_t pinger_port, long ms, unsigned long seq, struct wire *w)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	unsigned char fake[PING_LEN] = { 0, 0, 0x7f, 0xff };
	long deadline = h_now_ms() + ms;
	struct sockaddr_storage from;
	ssize_t n = -1;

	for (int i = 0; n == -1 && h_now_ms() < deadline; i++) {
		if (i % 2 == 0)
			h_udp_send(stranger, host, pinger_port, "stray", 5);
		else
			h_udp_send(stranger, host, pinger_port, fake,
			    sizeof(fake));
		n = h_udp_recv(srv, buf, sizeof(buf), 50, &from);
	}
	if (n == -1)
		return false;
	take_ping(buf, n, &from, seq, w);
	return true;
}

/* Send a ping's 12 bytes back, as an echo server would. */
static void
answer(int srv, const char *host, const struct wire *w)
{
	h_udp_send(srv, host, w->port, w->raw, PING_LEN);
}

/* Let ms pass on the server's socket, where nothing should arrive. */
static void
pause_ms(int srv, long ms)
{
	unsigned char buf[64];

	cr_assert(h_udp_recv(srv, buf, sizeof(buf), ms, NULL) == -1,
	    "a datagram came while no ping was due");
}

/* ---------------------------------------------------------------------- */
/* The wire format and the schedule. */
Test(pinger, sends_12_byte_pings_with_seq_and_monotonic_time_big_endian)
{
	int srv = h_udp_open("127.0.0.1");
	uint64_t before = mono_ns();
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 3, 50,
	    h_ms(1000));
	struct run r;
	uint16_t first_port = 0;

	for (unsigned long k = 0; k < 3; k++) {
		struct wire w;
		uint64_t after;

		get_ping(p, srv, h_ms(3000), k, &w);
		after = mono_ns();
		if (k == 0)
			first_port = w.port;
		cr_assert(w.port == first_port, "ping 0 came from port %u, "
		    "ping %lu from port %u: all pings go out from one socket, "
		    "so from one port (open the socket once, before the "
		    "first ping)", first_port, k, w.port);
		cr_assert(w.ns >= before && w.ns <= after, "the send time "
		    "(bytes 4-11) must be CLOCK_MONOTONIC in nanoseconds, in "
		    "network byte order: ping %lu carried %llu read big-"
		    "endian, but the clock read between %llu and %llu while "
		    "the pinger ran", k, (unsigned long long)w.ns,
		    (unsigned long long)before, (unsigned long long)after);
		before = w.ns;
		answer(srv, "127.0.0.1", &w);
	}
	finish(p, h_ms(3000), &r);
	check_consistent(&r, 3);
	cr_assert(r.rx == 3, "all 3 pings were answered at once, the summary "
	    "says %ld received", r.rx);
}

Test(pinger, sends_a_ping_every_interval_whether_or_not_answered)
{
	int srv = h_udp_open("::1");
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 3, 200,
	    h_ms(2000));
	struct wire w[3];
	struct run r;
	long gap;

	/* Ping 0 answered at once, ping 1 not until ping 2 has come. */
	get_ping(p, srv, h_ms(3000), 0, &w[0]);
	answer(srv, "::1", &w[0]);
	get_ping(p, srv, h_ms(3000), 1, &w[1]);
	gap = w[1].at - w[0].at;
	cr_assert(gap >= 150, "with -i 200, ping 1 came %ld ms after ping 0: "
	    "pings go out every INTERVAL_MS, not as soon as the last reply "
	    "comes", gap);
	cr_assert(gap <= 200 + h_ms(150), "with -i 200, ping 1 came %ld ms "
	    "after ping 0", gap);
	get_ping(p, srv, h_ms(3000), 2, &w[2]);
	gap = w[2].at - w[1].at;
	cr_assert(gap >= 150 && gap <= 200 + h_ms(150), "with -i 200, ping 2 "
	    "came %ld ms after ping 1, which was not answered yet: pings go "
	    "out every INTERVAL_MS, not after waiting for the last reply",
	    gap);
	answer(srv, "::1", &w[1]);
	answer(srv, "::1", &w[2]);

	finish(p, h_ms(1000), &r);
	check_consistent(&r, 3);
	cr_assert(r.rx == 3 && r.ooo == 0, "3 pings answered in order within "
	    "their timeout: expected 3 received, none out of order; got:\n%s",
	    r.out);
}

/* ---------------------------------------------------------------------- */
/* Replies matched by sequence number: delayed, repeated, reordered, late. */
Test(pinger, a_reply_held_back_by_the_server_shows_that_delay_as_its_rtt)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1,
	    h_ms(3000));
	struct wire w;
	struct run r;
	long held;
	int i;

	get_ping(p, srv, h_ms(3000), 0, &w);
	pause_ms(srv, 150);
	held = h_now_ms() - w.at;
	answer(srv, "127.0.0.1", &w);
	finish(p, h_ms(3000), &r);

	i = find(&r, REPLY, 0, NULL);
	cr_assert(i != -1, "the reply to seq=0 was not reported; got:\n%s",
	    r.out);
	cr_assert(r.ev[i].ms >= (double)held - 1, "the server held its reply "
	    "to seq=0 for %ld ms, the pinger printed time=%.3f ms: the RTT "
	    "runs from the ping's send time to the reply's arrival%s", held,
	    r.ev[i].ms, r.ev[i].ms < 10 ? " (a time so short leaves the "
	    "wait out: read the clock when recvfrom returns the reply, not "
	    "before the wait)" : "");
	cr_assert(r.ev[i].ms <= (double)(held + h_ms(300)), "the server held "
	    "its reply to seq=0 for %ld ms, the pinger printed time=%.3f ms",
	    held, r.ev[i].ms);
	check_consistent(&r, 1);
	cr_assert(r.mdev == 0, "one reply: mdev should be 0.000, got %.3f",
	    r.mdev);
}

Test(pinger, a_second_reply_to_a_ping_is_a_dup_not_a_fresh_reply)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 3, 50,
	    h_ms(1000));
	struct run r;
	static const long want_seq[] = { 0, 0, 1, 1, 2 };
	static const char *const want_tag[] = { "", "DUP!", "", "DUP!", "" };

	/* Pings 0 and 1 answered twice; ping 2 once, so that the pinger
	 * has read both copies of every other before it ends. */
	for (unsigned long k = 0; k < 3; k++) {
		struct wire w;

		get_ping(p, srv, h_ms(3000), k, &w);
		answer(srv, "127.0.0.1", &w);
		if (k < 2)
			answer(srv, "127.0.0.1", &w);
	}
	finish(p, h_ms(3000), &r);

	cr_assert(r.rx == 3 && r.dup == 2, "the server answered seq=0 and "
	    "seq=1 twice each, seq=2 once: expected 3 received and "
	    "duplicates 2, the summary says %ld received, duplicates %ld: "
	    "a second reply to the same seq is a duplicate, not a fresh "
	    "reply; the output:\n%s", r.rx, r.dup, r.out);
	cr_assert(r.nev == 5, "expected 5 reply lines, got:\n%s", r.out);
	for (int i = 0; i < 5; i++)
		cr_assert(r.ev[i].kind == REPLY && r.ev[i].seq == want_seq[i] &&
		    strcmp(r.ev[i].tag, want_tag[i]) == 0, "line %d after "
		    "the PING line should be the %s reply to seq=%ld%s, got "
		    "\"%s\"", i + 1, *want_tag[i] ? "second" : "first",
		    want_seq[i], *want_tag[i] ? ", marked (DUP!)" : "",
		    r.ev[i].line);
	check_consistent(&r, 3);
}

Test(pinger, replies_are_matched_by_seq_even_out_of_order)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 2, 100,
	    h_ms(3000));
	struct wire w0;
	struct wire w1;
	struct run r;

	/* Hold ping 0 until ping 1 has come, then answer 1 before 0. */
	get_ping(p, srv, h_ms(3000), 0, &w0);
	get_ping(p, srv, h_ms(3000), 1, &w1);
	answer(srv, "127.0.0.1", &w1);
	answer(srv, "127.0.0.1", &w0);
	finish(p, h_ms(3000), &r);

	cr_assert(r.nev >= 1 && r.ev[0].kind == REPLY && r.ev[0].seq == 1,
	    "the server answered seq=1 first, then seq=0, but the first "
	    "reply line is \"%s\": match each reply to its ping by the "
	    "sequence number it carries, not by arrival order",
	    r.nev >= 1 ? r.ev[0].line : "(none)");
	cr_assert(r.nev == 2 && r.ev[1].kind == REPLY && r.ev[1].seq == 0 &&
	    strcmp(r.ev[1].tag, "out of order") == 0, "the reply to seq=0 "
	    "came after the reply to seq=1: expected \"12 bytes from ...: "
	    "seq=0 time=... ms (out of order)\" next; got:\n%s", r.out);
	cr_assert(r.ev[1].ms >= 90 && r.ev[1].ms > r.ev[0].ms, "ping 0 "
	    "waited for ping 1, sent 100 ms later, so its RTT must be the "
	    "longer, at least 90 ms; got seq=0 time=%.3f, seq=1 time=%.3f: "
	    "the RTT comes from the matching ping's send time, not the "
	    "latest ping's", r.ev[1].ms, r.ev[0].ms);
	check_consistent(&r, 2);
	cr_assert(r.rx == 2 && r.ooo == 1, "both replies came within the "
	    "timeout: expected 2 received, out of order 1; got:\n%s", r.out);
}

Test(pinger, a_reply_after_its_timeout_is_late_not_received)
{
	int srv = h_udp_open("::1");
	long interval = h_ms(300);
	long timeout = h_ms(150);
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 2, interval,
	    timeout);
	struct wire w0;
	struct wire w1;
	struct run r;
	int t;
	int l;

	/* Ping 1 comes INTERVAL after ping 0, long after its TIMEOUT. */
	get_ping(p, srv, h_ms(3000), 0, &w0);
	get_ping(p, srv, h_ms(3000), 1, &w1);
	answer(srv, "::1", &w0);
	answer(srv, "::1", &w1);
	finish(p, h_ms(3000), &r);

	t = find(&r, TIMEOUT, 0, NULL);
	l = find(&r, REPLY, 0, NULL);
	cr_assert(t != -1 && (l == -1 || t < l), "ping 0 was not answered "
	    "within -t %ld: \"timeout for seq=0\" should come (before the "
	    "late reply); got:\n%s", timeout, r.out);
	cr_assert(l != -1 && strcmp(r.ev[l].tag, "late") == 0 &&
	    r.late == 1 && r.rx == 1, "the reply to seq=0 came %ld ms after "
	    "it was sent, after its %ld ms timeout: it must be reported "
	    "(late) and counted as late, not as received (expected 1 "
	    "received, late 1); got:\n%s", w1.at - w0.at, timeout, r.out);
	cr_assert(r.ev[l].ms >= (double)timeout, "a late reply's time should "
	    "be its real RTT, over the timeout: \"%s\"", r.ev[l].line);
	cr_assert(find(&r, REPLY, 1, "") != -1, "ping 1 was answered at "
	    "once: expected its plain reply line; got:\n%s", r.out);
	check_consistent(&r, 2);
	cr_assert(r.loss == 50, "1 of 2 received is 50%% packet loss");
}

/*
 * The expected lines, in order, from the first; the rest are only checked
 * by check_consistent.  tag is "" for a timeout.
 */
struct want_line {
	enum kind kind;
	long seq;
	char tag[16];
};

static void
check_lines(const struct run *r, const struct want_line *want, int n,
    const char *why)
{
	for (int i = 0; i < n; i++) {
		const struct want_line *w = &want[i];
		char line[64];

		if (w->kind == TIMEOUT)
			snprintf(line, sizeof(line), "timeout for seq=%ld",
			    w->seq);
		else
			snprintf(line, sizeof(line), "a reply to seq=%ld%s%s%s",
			    w->seq, w->tag[0] ? " marked (" : "", w->tag,
			    w->tag[0] ? ")" : " with no mark");
		cr_assert(r->nev > i && r->ev[i].kind == w->kind &&
		    r->ev[i].seq == w->seq && (w->kind == TIMEOUT ||
		    strcmp(r->ev[i].tag, w->tag) == 0), "%s: line %d after "
		    "the PING line should be %s, got \"%s\"; the whole "
		    "output:\n%s", why, i + 1, line,
		    r->nev > i ? r->ev[i].line : "(nothing)", r->out);
	}
}

Test(pinger, a_second_reply_is_a_dup_even_after_the_timeout)
{
	int srv = h_udp_open("127.0.0.1");
	long interval = h_ms(250);
	long timeout = h_ms(150);
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 4,
	    interval, timeout);
	struct wire w[3];
	struct run r;
	static const struct want_line want[] = {
		{ TIMEOUT, 0, "" },
		{ REPLY, 1, "" },
		{ REPLY, 0, "late" },
		{ REPLY, 0, "DUP!" },
	};

	/*
	 * Ping 0 has timed out when ping 1 comes: its first reply then is
	 * (late), its second (DUP!).  Ping 1 is answered at once, and again
	 * once ping 2 has come, after ping 1's timeout: (DUP!) all the same.
	 * Pings 2 and 3, never answered, keep the pinger running meanwhile.
	 */
	get_ping(p, srv, h_ms(3000), 0, &w[0]);
	get_ping(p, srv, h_ms(3000), 1, &w[1]);
	answer(srv, "127.0.0.1", &w[1]);
	answer(srv, "127.0.0.1", &w[0]);
	answer(srv, "127.0.0.1", &w[0]);
	get_ping(p, srv, h_ms(3000), 2, &w[2]);
	answer(srv, "127.0.0.1", &w[1]);
	finish(p, h_ms(5000), &r);

	/* First the RTT mistake: its other symptom is in check_lines. */
	cr_assert(find(&r, REPLY, 1, "DUP!") != -1, "ping 1 was answered a "
	    "second time %ld ms after it was sent, after its %ld ms timeout: "
	    "expected \"12 bytes from ...: seq=1 time=... ms (DUP!)\": a "
	    "second reply is a duplicate, whatever its RTT, and a reply is "
	    "late only if its ping timed out, which ping 1 did not; got:\n%s",
	    w[2].at - w[1].at, timeout, r.out);
	check_lines(&r, want, 4, "ping 0 was answered twice after its "
	    "timeout, ping 1 at once: a first reply after its ping's timeout "
	    "is (late), a second reply (DUP!), late or not (check for a "
	    "duplicate first, then for late)");
	check_consistent(&r, 4);
	cr_assert(r.rx == 1 && r.late == 1 && r.dup == 2, "expected 1 "
	    "received, duplicates 2, late 1; got:\n%s", r.out);
}

Test(pinger, exits_1_when_no_reply_came_in_time)
{
	int srv = h_udp_open("::1");
	long interval = h_ms(250);
	long timeout = h_ms(150);
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 3, interval,
	    timeout);
	struct wire w[2];
	struct run r;

	/* Ping 0 answered twice, after its timeout; nothing else. */
	get_ping(p, srv, h_ms(3000), 0, &w[0]);
	get_ping(p, srv, h_ms(3000), 1, &w[1]);
	answer(srv, "::1", &w[0]);
	answer(srv, "::1", &w[0]);
	finish(p, h_ms(5000), &r);

	cr_assert(find(&r, REPLY, 0, "late") != -1 &&
	    find(&r, REPLY, 0, "DUP!") != -1, "ping 0 was answered twice "
	    "after its timeout: expected a (late) reply, then a (DUP!); "
	    "got:\n%s", r.out);
	cr_assert(r.rx == 0, "no reply came in time: expected 0 received, "
	    "got:\n%s", r.out);
	cr_assert(r.status == 1, "the only replies were late or duplicates, "
	    "so none was received (R = 0): the pinger should exit 1, it "
	    "exited %d", r.status);
	check_consistent(&r, 3);
}

Test(pinger, keeps_its_schedule_while_datagrams_arrive)
{
	int srv = h_udp_open("127.0.0.1");
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 2, 200,
	    h_ms(1000));
	struct wire w0;
	struct wire w1;
	struct run r;
	long limit = 200 + h_ms(400);
	long gap;

	/* Ping 0 answered at once; then a stray datagram every 50 ms. */
	get_ping(p, srv, h_ms(3000), 0, &w0);
	answer(srv, "127.0.0.1", &w0);
	cr_assert(get_ping_among_strays(srv, stranger, "127.0.0.1", w0.port,
	    limit, 1, &w1), "with -i 200, ping 1 had not come %ld ms after "
	    "ping 0, while a stranger sent a datagram every 50 ms: ping k is "
	    "due at T0 + k x interval, a fixed schedule, and a datagram that "
	    "arrives must not restart the wait for the next ping", limit);
	gap = w1.at - w0.at;
	cr_assert(gap >= 150 && gap <= 200 + h_ms(150), "with -i 200, ping 1 "
	    "came %ld ms after ping 0, while datagrams kept arriving: ping k "
	    "is due at T0 + k x interval, whatever arrives", gap);
	answer(srv, "127.0.0.1", &w1);
	finish(p, h_ms(3000), &r);
	check_consistent(&r, 2);
	cr_assert(r.rx == 2 && r.ign >= 1, "both pings were answered, and "
	    "the stranger's datagrams ignored: expected 2 received, some "
	    "ignored; got:\n%s", r.out);
}

Test(pinger, prints_a_timeout_when_it_happens)
{
	int srv = h_udp_open("::1");
	long interval = 200 + h_ms(1000);
	long wait = 200 + h_ms(400);
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 2, interval,
	    200);
	static const struct want_line want[] = {
		{ TIMEOUT, 0, "" },
		{ TIMEOUT, 1, "" },
	};
	struct wire w;
	struct run r;
	bool seen;
	long at;

	get_ping(p, srv, h_ms(3000), 0, &w);
	seen = h_stdout_has(p, "timeout for seq=0\n", wait);
	at = h_now_ms() - w.at;
	if (!seen) {
		/*
		 * Too late: which mistake?  Only the message depends on it.
		 * A line that waits for the next ping comes just after it;
		 * a fully buffered one at exit, 200 ms after ping 1.
		 */
		get_ping(p, srv, interval + h_ms(1000), 1, &w);
		seen = h_stdout_has(p, "timeout for seq=0\n", 100);
		cr_assert(!seen, "with -t 200 and no reply, \"timeout for "
		    "seq=0\" should be printed when the ping times out, 200 ms "
		    "after it was sent; it came only when ping 1 went out, %ld "
		    "ms later: poll() until the first deadline, the next "
		    "ping's or the oldest ping's timeout", interval);
		cr_assert(seen, "with -t 200 and no reply, \"timeout for "
		    "seq=0\" should be printed when the ping times out, 200 ms "
		    "after it was sent; it had not come %ld ms after ping 0, "
		    "nor when ping 1 went out: keep stdout line-buffered "
		    "(setvbuf), for into a pipe it is fully buffered and the "
		    "line waits until exit", at);
	}
	cr_assert(at >= 150, "\"timeout for seq=0\" came %ld ms after ping "
	    "0, before its 200 ms timeout", at);
	get_ping(p, srv, interval + h_ms(1000), 1, &w);
	finish(p, h_ms(3000), &r);
	check_lines(&r, want, 2, "nothing answered");
	check_consistent(&r, 2);
}

/*
 * Two sockets with one port number, on 127.0.0.1 and ::1, so that the
 * pings come whichever address "localhost" resolves to first.  Another
 * program may hold the number on ::1: then try another.
 */
static uint16_t
open_localhost_pair(int fd[2])
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in6 sa6;
		uint16_t port;

		fd[0] = h_udp_open("127.0.0.1");
		port = h_udp_port(fd[0]);
		fd[1] = socket(AF_INET6, SOCK_DGRAM, 0);
		cr_assert(fd[1] != -1, "socket: %s", strerror(errno));
		h_cloexec(fd[1]);	/* ours alone, not the pinger's */
		memset(&sa6, 0, sizeof(sa6));
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons(port);
		sa6.sin6_addr = in6addr_loopback;
		if (bind(fd[1], (struct sockaddr *)&sa6, sizeof(sa6)) == 0)
			return port;
		close(fd[0]);
		close(fd[1]);
	}
	cr_assert_fail("test setup: found no port free on both 127.0.0.1 "
	    "and ::1 in 20 tries");
	return 0;
}

Test(pinger, names_the_host_by_its_numeric_address)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	static const char *const numeric[] = { "127.0.0.1", "::1" };
	int fd[2];
	uint16_t port = open_localhost_pair(fd);
	struct h_proc *p = start_pinger("localhost", port, 1, -1, h_ms(3000));
	struct pollfd pfd[2] = {
		{ .fd = fd[0], .events = POLLIN },
		{ .fd = fd[1], .events = POLLIN },
	};
	struct sockaddr_storage from;
	struct wire w;
	struct run r;
	int ready;
	int i;
	ssize_t n;

	ready = poll(pfd, 2, (int)h_ms(3000));
	cr_assert(ready != -1, "test bug: poll: %s", strerror(errno));
	cr_assert(ready > 0, "pinger localhost %u: no ping came within %ld "
	    "ms, to 127.0.0.1 or ::1", port, h_ms(3000));
	i = (pfd[0].revents & POLLIN) ? 0 : 1;
	n = h_udp_recv(fd[i], buf, sizeof(buf), h_ms(1000), &from);
	cr_assert(n != -1, "test bug: poll said a ping was there");
	take_ping(buf, n, &from, 0, &w);
	answer(fd[i], numeric[i], &w);
	finish(p, h_ms(3000), &r);

	cr_assert(strcmp(r.host, numeric[i]) == 0 && r.port == port,
	    "pinger localhost %u sent its pings to %s port %u: the PING line "
	    "should name that address, numeric (as net_addrstr prints it), "
	    "not the name given; got \"PING %s port %ld\"", port,
	    numeric[i], port, r.host, r.port);
	cr_assert(r.nev == 1 && r.ev[0].kind == REPLY &&
	    strcmp(r.ev[0].host, numeric[i]) == 0, "the reply from %s port %u "
	    "should be \"12 bytes from %s port %u: seq=0 ...\"; got:\n%s",
	    numeric[i], port, numeric[i], port, r.out);
	check_consistent(&r, 1);
}

/* ---------------------------------------------------------------------- */
/* What is not a reply. */
Test(pinger, ignores_garbage_and_strangers_and_counts_them)
{
	int srv = h_udp_open("127.0.0.1");
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1,
	    h_ms(3000));
	struct wire w;
	struct run r;
	unsigned char longer[PING_LEN + 4];
	unsigned char unknown[PING_LEN];
	unsigned char forged[PING_LEN];
	char want[160];
	static const char *const why[] = {
		"not 12 bytes", "not 12 bytes", "not 12 bytes",
		"not a ping we sent", "not a ping we sent",
		"not from the server"
	};
	static const long bytes[] = { 5, 0, 16, 12, 12, 12 };

	get_ping(p, srv, h_ms(3000), 0, &w);
	memcpy(longer, w.raw, PING_LEN);
	memcpy(longer + PING_LEN, "more", 4);
	memcpy(unknown, w.raw, PING_LEN);
	put_be(unknown, 7, 4);
	memcpy(forged, w.raw, PING_LEN);
	put_be(forged + 4, w.ns + 1, 8);

	/* Over loopback they arrive in the order sent, the echo last. */
	h_udp_send(srv, "127.0.0.1", w.port, "hello", 5);
	h_udp_send(srv, "127.0.0.1", w.port, "", 0);
	h_udp_send(srv, "127.0.0.1", w.port, longer, sizeof(longer));
	h_udp_send(srv, "127.0.0.1", w.port, unknown, sizeof(unknown));
	h_udp_send(srv, "127.0.0.1", w.port, forged, sizeof(forged));
	h_udp_send(stranger, "127.0.0.1", w.port, w.raw, PING_LEN);
	answer(srv, "127.0.0.1", &w);
	finish(p, h_ms(3000), &r);

	for (int i = 0; i < 6; i++) {
		uint16_t from = i == 5 ? h_udp_port(stranger) :
		    h_udp_port(srv);

		snprintf(want, sizeof(want), "ignored %ld bytes from "
		    "127.0.0.1 port %u: %s", bytes[i], from, why[i]);
		if (i == 5)
			cr_assert(r.nev > i && strcmp(r.ev[i].line, want) == 0,
			    "a stranger (port %u) sent a copy of ping 0; "
			    "expected \"%s\", got \"%s\": a reply counts only "
			    "if recvfrom says it came from the server's "
			    "address and port", from, want,
			    r.nev > i ? r.ev[i].line : "(nothing)");
		else if (i >= 3)
			cr_assert(r.nev > i && strcmp(r.ev[i].line, want) == 0,
			    "the server sent 12 bytes that are no ping the "
			    "pinger sent (%s); expected \"%s\", got \"%s\"",
			    i == 3 ? "seq=7" : "seq=0 with another send time",
			    want, r.nev > i ? r.ev[i].line : "(nothing)");
		else
			cr_assert(r.nev > i && strcmp(r.ev[i].line, want) == 0,
			    "the server sent a %ld-byte datagram; expected "
			    "\"%s\", got \"%s\"", bytes[i], want,
			    r.nev > i ? r.ev[i].line : "(nothing)");
	}
	cr_assert(r.nev == 7 && fresh(&r.ev[6]) && r.ev[6].seq == 0 &&
	    r.ev[6].tag[0] == '\0', "after 6 ignored datagrams the real echo "
	    "of ping 0 should be its reply; got:\n%s", r.out);
	check_consistent(&r, 1);
	cr_assert(r.ign == 6 && r.rx == 1 && r.dup == 0, "expected 1 received, "
	    "duplicates 0, ignored 6; got:\n%s", r.out);
}

Test(pinger, stray_datagrams_do_not_extend_the_timeout)
{
	int srv = h_udp_open("127.0.0.1");
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1,
	    300);
	unsigned char fake[PING_LEN] = { 0, 0, 0x7f, 0xff };
	struct wire w;
	struct run r;
	long limit;
	int status = -1;

	/*
	 * From a stranger every 50 ms, until it ends: 5 bytes, or 12 that
	 * are no ping of its own.
	 */
	get_ping(p, srv, h_ms(3000), 0, &w);
	limit = w.at + 300 + h_ms(500);
	for (int i = 0; status == -1 && h_now_ms() < limit; i++) {
		if (i % 2 == 0)
			h_udp_send(stranger, "127.0.0.1", w.port, "stray", 5);
		else
			h_udp_send(stranger, "127.0.0.1", w.port, fake,
			    sizeof(fake));
		status = h_wait(p, 50);
	}
	cr_assert(status != -1, "with -t 300 and no answer the pinger was "
	    "still running %ld ms after its ping, while a stray datagram "
	    "came every 50 ms: the timeout is a deadline from the ping's "
	    "sending, not restarted by each datagram", h_now_ms() - w.at);
	finish(p, h_ms(1000), &r);
	check_consistent(&r, 1);
	cr_assert(r.ign >= 1, "the strays should be reported ignored");
	for (int i = 0; i < r.nev; i++)
		cr_assert(r.ev[i].kind != IGNORED ||
		    strcmp(r.ev[i].why, "not from the server") == 0, "\"%s\": "
		    "this datagram came from a stranger (port %u), not from "
		    "the server: check the sender first, so that the reason "
		    "is \"not from the server\" whatever its length or bytes",
		    r.ev[i].line, h_udp_port(stranger));
}

/* ---------------------------------------------------------------------- */
/* Loss. */
Test(pinger, unanswered_pings_time_out_and_count_as_loss)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 3, 50,
	    h_ms(200));
	struct wire w;
	struct run r;

	/* Answer seq=1 only: 2 of 3 lost, 66% rounded down. */
	get_ping(p, srv, h_ms(3000), 0, &w);
	get_ping(p, srv, h_ms(3000), 1, &w);
	answer(srv, "127.0.0.1", &w);
	get_ping(p, srv, h_ms(3000), 2, &w);
	finish(p, h_ms(3000), &r);

	cr_assert(find(&r, TIMEOUT, 0, NULL) != -1 &&
	    find(&r, TIMEOUT, 2, NULL) != -1 &&
	    find(&r, TIMEOUT, 1, NULL) == -1,
	    "seq=0 and seq=2 were never answered: expected \"timeout for "
	    "seq=0\" and \"timeout for seq=2\" (and none for seq=1); got:\n%s",
	    r.out);
	cr_assert(r.rx == 1 && r.loss == 66, "3 transmitted, 1 received: "
	    "expected \"3 packets transmitted, 1 received, 66%% packet loss\" "
	    "(rounded down); got:\n%s", r.out);
	check_consistent(&r, 3);
}

Test(pinger, exits_1_when_nothing_answers)
{
	int srv = h_udp_open("::1");
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 3, 50, 100);
	struct wire w;
	struct run r;
	long elapsed;

	get_ping(p, srv, h_ms(3000), 0, &w);
	finish(p, h_ms(3000), &r);
	elapsed = h_now_ms() - w.at;
	cr_assert(r.status == 1, "nothing answered: the pinger should exit 1, "
	    "it exited %d", r.status);
	check_consistent(&r, 3);
	cr_assert(r.rx == 0 && r.loss == 100 && !r.has_rtt, "expected \"3 "
	    "packets transmitted, 0 received, 100%% packet loss\" and no rtt "
	    "line; got:\n%s", r.out);
	for (int k = 0; k < 3; k++)
		cr_assert(r.nev == 3 && r.ev[k].kind == TIMEOUT &&
		    r.ev[k].seq == k, "expected \"timeout for seq=0\", "
		    "\"timeout for seq=1\", \"timeout for seq=2\"; got:\n%s",
		    r.out);
	/* The last ping goes 2 intervals after the first, then its timeout. */
	cr_assert(elapsed >= 160, "with -c 3 -i 50 -t 100 the pinger should "
	    "run 200 ms from its first ping (the last ping's timeout), it "
	    "ended after %ld ms", elapsed);
	cr_assert(elapsed <= 200 + h_ms(800), "with -c 3 -i 50 -t 100 the "
	    "pinger took %ld ms from its first ping to end", elapsed);
}

/* ---------------------------------------------------------------------- */
/* The defaults: -c 10, -i 1000, -t 1000. */
Test(pinger, sends_10_pings_by_default)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	struct h_proc *p = start_pinger("127.0.0.1", port, -1, 10, -1);
	struct run r;

	finish(p, h_ms(5000), &r);
	check_consistent(&r, 10);
	cr_assert(r.rx == 10, "10 pings to lesson 04's echo server should all "
	    "be received; got:\n%s", r.out);
	h_expect_ends(srv, SIGTERM);
}

Test(pinger, waits_1000_ms_between_pings_by_default)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 2, -1,
	    -1);
	struct wire w0;
	struct wire w1;
	struct run r;

	get_ping(p, srv, h_ms(3000), 0, &w0);
	answer(srv, "127.0.0.1", &w0);
	get_ping(p, srv, h_ms(3000), 1, &w1);
	answer(srv, "127.0.0.1", &w1);
	cr_assert(w1.at - w0.at >= 900 && w1.at - w0.at <= 1000 + h_ms(300),
	    "without -i, ping 1 should come 1000 ms after ping 0, it came "
	    "after %ld ms", w1.at - w0.at);
	finish(p, h_ms(3000), &r);
	check_consistent(&r, 2);
}

Test(pinger, waits_1000_ms_for_a_reply_by_default)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1,
	    -1);
	struct wire w;
	struct run r;
	long elapsed;

	get_ping(p, srv, h_ms(3000), 0, &w);
	finish(p, h_ms(5000), &r);
	elapsed = h_now_ms() - w.at;
	cr_assert(elapsed >= 900 && elapsed <= 1000 + h_ms(500), "without -t "
	    "a ping should time out after 1000 ms; the pinger ended %ld ms "
	    "after its ping", elapsed);
	check_consistent(&r, 1);
}

/* ---------------------------------------------------------------------- */
/* Lesson 04's echo server, directly and through tools/relay. */

static void
ping_echo_server(const char *host)
{
	uint16_t port;
	struct h_proc *srv = h_server(h_bin("echo-server"), host, &port);
	struct h_proc *p = start_pinger(host, port, 5, 20, h_ms(500));
	struct run r;
	char want[128];

	finish(p, h_ms(5000), &r);
	snprintf(want, sizeof(want), "PING %s port %u: 12 bytes of data\n",
	    host, port);
	cr_assert(strncmp(r.out, want, strlen(want)) == 0, "the first line "
	    "should be \"%.*s\"; got:\n%s", (int)strlen(want) - 1, want, r.out);
	check_consistent(&r, 5);
	cr_assert(r.rx == 5 && r.nev == 5, "5 pings to lesson 04's echo server "
	    "over loopback should be 5 replies, in order; got:\n%s", r.out);
	for (int k = 0; k < 5; k++)
		cr_assert(r.ev[k].seq == k, "reply %d should be seq=%d: \"%s\"",
		    k + 1, k, r.ev[k].line);
	h_expect_ends(srv, SIGTERM);
}

Test(pinger, pings_lesson_04s_echo_server_over_ipv4)
{
	ping_echo_server("127.0.0.1");
}

Test(pinger, pings_lesson_04s_echo_server_over_ipv6)
{
	ping_echo_server("::1");
}

/* The relay's own count of one direction, from its last lines. */
struct relay_count {
	unsigned long datagrams;
	unsigned long dropped;
	unsigned long duplicated;
	unsigned long reordered;
};

static struct h_proc *
start_relay(const char *option, const char *percent, const char *host,
    uint16_t server_port, uint16_t *port)
{
	char portstr[8];

	snprintf(portstr, sizeof(portstr), "%u", server_port);
	return h_server_cmd((char *[]){ (char *)h_bin("relay"), "-s", "7",
	    (char *)option, (char *)percent, "0", (char *)host, portstr,
	    NULL }, false, port);
}

/* Stop the relay and read its counts of both directions. */
static void
stop_relay(struct h_proc *relay, struct relay_count *up,
    struct relay_count *down)
{
	static const char *const dirs[] = { "c->s: ", "s->c: " };
	struct relay_count *counts[] = { up, down };

	cr_assert_eq(h_stop(relay, SIGTERM), 0, "relay: SIGTERM exits 0");
	for (int i = 0; i < 2; i++) {
		const char *line = strstr(h_stdout(relay), dirs[i]);
		struct relay_count *c = counts[i];

		cr_assert(line != NULL && sscanf(line + strlen(dirs[i]),
		    "%lu datagrams, %lu dropped, %lu duplicated, %lu reordered",
		    &c->datagrams, &c->dropped, &c->duplicated,
		    &c->reordered) == 4, "the relay printed no \"%s...\" "
		    "count: %s", dirs[i], h_stdout(relay));
	}
}

Test(pinger, through_a_lossy_relay_counts_exactly_the_replies_that_came)
{
	enum { COUNT = 40 };
	uint16_t port;
	uint16_t relay_port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	struct h_proc *relay = start_relay("-l", "30", "127.0.0.1", port,
	    &relay_port);
	long timeout = h_ms(1000);
	struct h_proc *p = start_pinger("127.0.0.1", relay_port, COUNT, 10,
	    timeout);
	struct relay_count up;
	struct relay_count down;
	struct run r;
	long passed;

	finish(p, h_ms(10000), &r);
	stop_relay(relay, &up, &down);
	h_expect_ends(srv, SIGTERM);

	check_consistent(&r, COUNT);
	cr_assert(up.datagrams == COUNT, "the relay saw %lu pings, the "
	    "pinger says it sent %d", up.datagrams, COUNT);
	passed = (long)(down.datagrams - down.dropped);
	cr_assert(r.rx + r.late == passed, "the relay passed %ld replies on "
	    "to the pinger (of %lu, %lu lost), but the pinger reported %ld "
	    "(%ld received, %ld late): each reply that comes is reported "
	    "once; got:\n%s", passed, down.datagrams, down.dropped,
	    r.rx + r.late, r.rx, r.late, r.out);
	cr_assert(r.late == 0, "%ld replies came after their %ld ms timeout, "
	    "though over loopback a reply through the relay takes about a "
	    "millisecond: either the machine was very busy (try again, or "
	    "with UDPLAB_TIME_FACTOR=4), or the pinger times pings out too "
	    "early (a ping times out -t milliseconds after it was sent); "
	    "got:\n%s", r.late, timeout, r.out);
	cr_assert(r.dup == 0, "the relay duplicated nothing (-l only), yet "
	    "the pinger reported %ld (DUP!); got:\n%s", r.dup, r.out);
	cr_assert(r.rx > 0 && r.rx < COUNT, "test setup: with -l 30 -s 7 "
	    "the relay should lose some of %d round trips, not %s; got:\n%s",
	    COUNT, r.rx == 0 ? "all" : "none", r.out);
}

Test(pinger, through_a_duplicating_relay_reports_every_copy_as_dup)
{
	enum { COUNT = 5 };
	uint16_t port;
	uint16_t relay_port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "127.0.0.1", &port);
	struct h_proc *relay = start_relay("-d", "100", "127.0.0.1", port,
	    &relay_port);
	struct h_proc *p = start_pinger("127.0.0.1", relay_port, COUNT,
	    h_ms(50), h_ms(1000));
	struct run r;

	finish(p, h_ms(5000), &r);
	/* Each ping went twice and each echo came back twice: 4 copies. */
	cr_assert(r.rx == COUNT, "with -d 100 every ping and every reply is "
	    "sent twice, so each of %d pings comes back 4 times: expected "
	    "%d received, the rest (DUP!) (a second reply to the same seq is "
	    "a duplicate, not a fresh reply), got %ld received; the "
	    "output:\n%s", COUNT, COUNT, r.rx, r.out);
	check_consistent(&r, COUNT);
	/* The last ping's copies may come after the pinger has ended. */
	cr_assert(r.dup >= 3 * (COUNT - 1) && r.dup <= 3 * COUNT, "each of "
	    "%d pings came back 4 times: expected duplicates from %d to %d, "
	    "got %ld", COUNT, 3 * (COUNT - 1), 3 * COUNT, r.dup);
	for (long k = 0; k < COUNT - 1; k++)
		cr_assert(find(&r, REPLY, k, "DUP!") != -1, "no (DUP!) line "
		    "for seq=%ld, which came back 4 times; got:\n%s", k,
		    r.out);
	cr_assert_eq(h_stop(relay, SIGTERM), 0, "relay: SIGTERM exits 0");
	h_expect_ends(srv, SIGTERM);
}

Test(pinger, through_a_reordering_relay_recognises_out_of_order_replies)
{
	enum { COUNT = 20 };
	uint16_t port;
	uint16_t relay_port;
	struct h_proc *srv = h_server(h_bin("echo-server"), "::1", &port);
	struct h_proc *relay = start_relay("-r", "40", "::1", port,
	    &relay_port);
	/*
	 * 20 ms, never scaled: the relay holds a reordered datagram at most
	 * 250 ms for the next to overtake it, and that does not scale.
	 */
	struct h_proc *p = start_pinger("::1", relay_port, COUNT, 20,
	    h_ms(3000));
	struct relay_count up;
	struct relay_count down;
	struct run r;

	finish(p, h_ms(10000), &r);
	stop_relay(relay, &up, &down);
	h_expect_ends(srv, SIGTERM);

	/* A held datagram waits at most 250 ms: nothing is lost. */
	check_consistent(&r, COUNT);
	cr_assert(r.rx == COUNT && r.late == 0 && r.dup == 0, "the relay "
	    "reorders but never loses: expected all %d received, none late "
	    "or duplicated; got:\n%s", COUNT, r.out);
	cr_assert(up.reordered + down.reordered >= 2, "test setup: with -r 40 "
	    "-s 7 the relay should have held back several of %d pings and "
	    "their replies, it held %lu and %lu", COUNT, up.reordered,
	    down.reordered);
	cr_assert(r.ooo >= 1, "the relay held back %lu pings and %lu replies "
	    "to let the next overtake them, but the pinger found no reply "
	    "out of order: match replies by sequence number, not arrival "
	    "order; got:\n%s", up.reordered, down.reordered, r.out);
}

/* ---------------------------------------------------------------------- */
/* The command line. */

/* "PORT" in args stands for the port of a test socket, to see if a ping
 * goes out. */
struct bad_args {
	char args[4][24];
	int nargs;
	char why[40];
};

ParameterizedTestParameters(pinger, bad_command_lines_exit_2_with_usage)
{
	static struct bad_args cases[] = {
		{ { { 0 } }, 0, "no arguments" },
		{ { "127.0.0.1" }, 1, "no port" },
		{ { "127.0.0.1", "0" }, 2, "port 0" },
		{ { "127.0.0.1", "65536" }, 2, "port 65536" },
		{ { "127.0.0.1", "echo" }, 2, "a service name" },
		{ { "127.0.0.1", "PORT", "extra" }, 3, "an extra argument" },
		{ { "-c", "0", "127.0.0.1", "PORT" }, 4, "-c 0" },
		{ { "-c", "100001", "127.0.0.1", "PORT" }, 4, "-c 100001" },
		{ { "-c", "ten", "127.0.0.1", "PORT" }, 4, "-c ten" },
		{ { "-i", "0", "127.0.0.1", "PORT" }, 4, "-i 0" },
		{ { "-i", "3600001", "127.0.0.1", "PORT" }, 4, "-i 3600001" },
		{ { "-t", "0", "127.0.0.1", "PORT" }, 4, "-t 0" },
		{ { "-t", "-5", "127.0.0.1", "PORT" }, 4, "-t -5" },
		{ { "-t", "1.5", "127.0.0.1", "PORT" }, 4, "-t 1.5" },
		{ { "-t", "3600001", "127.0.0.1", "PORT" }, 4, "-t 3600001" },
		{ { "-c", "-1", "127.0.0.1", "PORT" }, 4, "-c -1" },
		{ { "-i", "1.5", "127.0.0.1", "PORT" }, 4, "-i 1.5" },
		{ { "-c", "0", H_BAD_HOST, "7" }, 4,
		    "-c 0 and a host that never resolves" },
		{ { H_BAD_HOST, "0" }, 2,
		    "port 0 and a host that never resolves" },
		{ { "-t" }, 1, "-t without a value" },
		{ { "-x", "127.0.0.1", "PORT" }, 3, "an unknown option" },
	};

	return cr_make_param_array(struct bad_args, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_args *c, pinger,
    bad_command_lines_exit_2_with_usage)
{
	char *argv[6];
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	unsigned char buf[64];
	ssize_t n;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	argv[0] = (char *)h_lab_program();
	for (int i = 0; i < c->nargs; i++)
		argv[i + 1] = strcmp(c->args[i], "PORT") == 0 ? port :
		    c->args[i];
	argv[c->nargs + 1] = NULL;
	h_expect_usage(argv, USAGE, c->why);
	/* Over loopback a datagram sent is there at once: no need to wait. */
	n = h_udp_recv(srv, buf, sizeof(buf), 20, NULL);
	cr_assert(n == -1, "with %s the pinger should send nothing, but a "
	    "%zd-byte datagram came to the port it named: check the whole "
	    "command line before the first ping", c->why, n);
}

Test(pinger, an_unresolvable_host_exits_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_lab_program(), "-c", "1",
	    H_BAD_HOST, "7", NULL }, false);
}

/*
 * Every write to /dev/full fails (ENOSPC), as on a full disk.  sh makes
 * the redirection, so this test never runs the pinger under valgrind.
 */
Test(pinger, a_failed_write_to_stdout_exits_1)
{
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	char timeout[16];
	struct h_proc *p;
	struct wire w;
	char want[128];
	char line[130];
	int status;

	snprintf(port, sizeof(port), "%u", h_udp_port(srv));
	snprintf(timeout, sizeof(timeout), "%ld", h_ms(3000));
	p = h_spawn((char *[]){ "sh", "-c", "exec \"$0\" \"$@\" >/dev/full",
	    (char *)h_lab_program(), "-c", "1", "-t", timeout, "127.0.0.1",
	    port, NULL }, &(struct h_opts){ .wrap = false });
	get_ping(p, srv, h_ms(3000), 0, &w);
	answer(srv, "127.0.0.1", &w);
	status = h_wait(p, h_ms(5000));
	cr_assert(status != -1, "ping 0 was answered at once, but the pinger "
	    "with its stdout on /dev/full had not ended %ld ms later",
	    h_ms(5000));
	cr_assert_eq(status, 1, "with its standard output on /dev/full, "
	    "where every write fails, the pinger printed nothing it was asked "
	    "to: it should exit 1, not %d. Line buffering writes each line "
	    "as it is printed and a failed write only sets the stream's error "
	    "flag: check ferror(stdout) (after fflush) before exiting",
	    status);
	/* err(3) names the program by argv[0]'s last part. */
	snprintf(want, sizeof(want), "%s: stdout:", strrchr(h_lab_program(),
	    '/') ? strrchr(h_lab_program(), '/') + 1 : h_lab_program());
	snprintf(line, sizeof(line), "\n%s", want);
	cr_assert(strncmp(h_stderr(p), want, strlen(want)) == 0 ||
	    strstr(h_stderr(p), line) != NULL, "exit 1 for a failed write "
	    "should come with the line \"pinger: stdout: ...\" on stderr "
	    "(errx(1, \"stdout: ...\")); %s", h_ending(p));
}

/* ---------------------------------------------------------------------- */
/* Stopping early: SIGINT and SIGTERM, as ping(8) on Ctrl-C. */

/*
 * Send sig to the pinger and check that it ends on it, with its summary:
 * not killed by it, within h_ms(2000).  Then nothing more may come to srv.
 */
static void
stop_with(struct h_proc *p, int sig, int srv, struct run *r)
{
	const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
	unsigned char buf[64];
	int status;

	cr_assert(kill(h_pid(p), sig) == 0, "kill: %s", strerror(errno));
	status = h_wait(p, h_ms(2000));
	cr_assert(status != -1, "the pinger was still running %ld ms after "
	    "%s: it should stop at once, print the summary of the pings "
	    "sent so far and exit (wait with net_wait_many_or_stop, which "
	    "returns NET_STOPPED)", h_ms(2000), name);
	cr_assert(status != 128 + sig, "%s killed the pinger (%s): like "
	    "ping(8) on Ctrl-C it should stop sending, print the summary of "
	    "the pings sent so far and exit 0 or 1 (catch both signals with "
	    "net_catch_stop_signals() before the first line)", name,
	    h_ending(p));
	cr_assert(h_udp_recv(srv, buf, sizeof(buf), 20, NULL) == -1, "a ping "
	    "came after %s: the pinger should send no more", name);
	finish(p, h_ms(1000), r);
}

Test(pinger, stops_on_sigint_with_the_summary_of_the_pings_sent)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 5,
	    h_ms(300), h_ms(10000));
	struct wire w;
	struct run r;

	/* Pings 0 and 1 answered, ping 2 still waiting at Ctrl-C. */
	for (unsigned long k = 0; k < 3; k++) {
		get_ping(p, srv, h_ms(3000), k, &w);
		if (k < 2)
			answer(srv, "127.0.0.1", &w);
	}
	cr_assert(h_stdout_has(p, ": seq=1 time=", h_ms(2000)), "pings 0 and "
	    "1 were answered at once, but no reply line for seq=1 came; "
	    "got:\n%s", h_stdout(p));
	stop_with(p, SIGINT, srv, &r);

	cr_assert(count_kind(&r, TIMEOUT) == 0, "after SIGINT the pinger "
	    "prints no more timeout lines: ping 2 was still waiting (its "
	    "timeout is %ld ms), so it counts as not received, without a "
	    "\"timeout for seq=2\"; got:\n%s", h_ms(10000), r.out);
	cr_assert(r.tx == 3 && r.rx == 2 && r.loss == 33, "SIGINT came after "
	    "3 pings, 2 of them answered: expected \"3 packets transmitted, "
	    "2 received, 33%% packet loss\" (T is the pings sent so far); "
	    "got:\n%s", r.out);
	check_run(&r, 3, true);
}

/* ---------------------------------------------------------------------- */
/* Values past 32 bits of nanoseconds, and the largest ones. */
Test(pinger, a_timeout_past_32_bits_of_nanoseconds_still_waits)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1,
	    4400);
	struct wire w;
	struct run r;

	/* 4400 ms in 32 bits of ns wraps to about 105 ms. */
	get_ping(p, srv, h_ms(3000), 0, &w);
	pause_ms(srv, 500);
	answer(srv, "127.0.0.1", &w);
	finish(p, h_ms(3000), &r);

	cr_assert(find(&r, TIMEOUT, 0, NULL) == -1 && r.rx == 1, "with -t "
	    "4400 the reply came about 500 ms after ping 0, well within its "
	    "timeout, yet the pinger timed it out: 4400 ms is 4.4e9 ns, past "
	    "what 32 bits hold (4.29e9, about 4.29 s), and it wraps to about "
	    "105 ms; keep nanoseconds in 64 bits (uint64_t); got:\n%s", r.out);
	check_consistent(&r, 1);
}

Test(pinger, an_interval_past_32_bits_of_nanoseconds_is_kept)
{
	int srv = h_udp_open("::1");
	struct h_proc *p = start_pinger("::1", h_udp_port(srv), 2, 4400, 100);
	unsigned char buf[64];
	struct wire w;
	struct run r;
	ssize_t n;

	get_ping(p, srv, h_ms(3000), 0, &w);
	n = h_udp_recv(srv, buf, sizeof(buf), 1000, NULL);
	cr_assert(n == -1, "with -i 4400 ping 1 is due 4400 ms after ping 0, "
	    "but a datagram came %ld ms after it: 4400 ms is 4.4e9 ns, past "
	    "what 32 bits hold (4.29e9), and it wraps to about 105 ms; keep "
	    "nanoseconds in 64 bits (uint64_t)", h_now_ms() - w.at);
	/* SIGTERM ends it as SIGINT does: nothing received, exit 1. */
	stop_with(p, SIGTERM, srv, &r);
	cr_assert(r.tx == 1 && r.rx == 0 && find(&r, TIMEOUT, 0, NULL) != -1,
	    "SIGTERM came after ping 0 had timed out: expected \"timeout for "
	    "seq=0\" and \"1 packets transmitted, 0 received, 100%% packet "
	    "loss\"; got:\n%s", r.out);
	check_run(&r, 1, true);
}

Test(pinger, accepts_the_largest_count_interval_and_timeout)
{
	static unsigned char buf[NET_MAX_DATAGRAM];
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 100000,
	    3600000, 3600000);
	struct sockaddr_storage from;
	struct wire w;
	struct run r;
	ssize_t n;

	n = h_udp_recv(srv, buf, sizeof(buf), h_ms(3000), &from);
	if (n == -1)
		h_wait(p, h_ms(500));
	cr_assert(n != -1, "pinger -c 100000 -i 3600000 -t 3600000 sent no "
	    "ping within %ld ms: each is the largest value LAB.md allows, and "
	    "a range includes its ends; %s", h_ms(3000), h_ending(p));
	take_ping(buf, n, &from, 0, &w);
	answer(srv, "127.0.0.1", &w);
	cr_assert(h_stdout_has(p, ": seq=0 time=", h_ms(2000)), "ping 0 was "
	    "answered at once, but no reply line came; got:\n%s", h_stdout(p));
	stop_with(p, SIGINT, srv, &r);
	cr_assert(r.tx == 1 && r.rx == 1, "SIGINT after one ping, answered: "
	    "expected \"1 packets transmitted, 1 received, 0%% packet "
	    "loss\"; got:\n%s", r.out);
	check_run(&r, 1, true);
}

/* ---------------------------------------------------------------------- */
/* The schedule over a long run, and after falling behind. */
Test(pinger, keeps_its_schedule_over_a_long_run_without_drifting)
{
	/* 2000 pings 1 ms apart: 2 s; under valgrind fewer, further apart. */
	long count = h_valgrind() ? 200 : 2000;
	long interval = h_valgrind() ? 10 : 1;
	long slack = h_ms(40);
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), count,
	    interval, 3600000);
	uint64_t t0 = 0;
	uint64_t step = (uint64_t)interval * 1000000u;
	uint64_t least = UINT64_MAX;
	long at = 0;
	struct wire w;
	struct run r;

	/*
	 * On a busy machine our socket may overflow and lose pings: each
	 * is judged by the seq it carries, and ping 0, the first, gives T0.
	 */
	get_ping(p, srv, h_ms(3000), 0, &w);
	t0 = w.ns;
	for (long k = 0; k < count - 1;) {
		static unsigned char buf[NET_MAX_DATAGRAM];
		struct sockaddr_storage from;
		ssize_t n = h_udp_recv_while(p, srv, buf, sizeof(buf),
		    h_ms(3000), &from);
		long seq;
		uint64_t due;

		if (n == -1)
			no_ping(p, h_ms(3000), k + 1);
		seq = n == PING_LEN ? (long)get_be(buf, 4) : -1;
		cr_assert(seq > k && seq < count, "after ping %ld came a "
		    "datagram that is no later ping of the run", k);
		k = seq;
		take_ping(buf, n, &from, (unsigned long)k, &w);
		due = t0 + (uint64_t)k * step;
		cr_assert(w.ns >= due, "ping %ld carried the send time T0 + "
		    "%.3f ms, but it is due at T0 + %ld x %ld ms (T0 the time "
		    "ping 0 carries): a ping is never sent before its time", k,
		    (double)(w.ns - t0) / 1e6, k, interval);
		/*
		 * The least lateness of the last tenth: one late wake-up
		 * (a busy machine) makes one ping late, a drift all of them.
		 */
		if (k >= count - count / 10 && w.ns - due < least) {
			least = w.ns - due;
			at = k;
		}
	}
	cr_assert(least != UINT64_MAX, "test setup: the test's socket lost "
	    "all of the last %ld pings", count / 10);
	cr_assert(least <= (uint64_t)slack * 1000000u, "of the last %ld pings, "
	    "the one nearest its time, ping %ld, was sent %.3f ms after it "
	    "was due (T0 + %ld ms): the schedule drifted. Ping k is due at "
	    "T0 + k x interval, computed from T0, not an interval after the "
	    "last ping went out (that adds each wake-up's delay to all the "
	    "pings after it)", count / 10, at, (double)least / 1e6,
	    at * interval);
	stop_with(p, SIGTERM, srv, &r);
	cr_assert(r.tx == count, "after %ld pings the summary says %ld "
	    "transmitted", count, r.tx);
}

Test(pinger, catches_up_after_falling_behind_skipping_no_ping)
{
	enum { COUNT = 20 };
	long interval = h_ms(20);
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), COUNT,
	    interval, 3600000);
	static unsigned char buf[NET_MAX_DATAGRAM];
	uint64_t step = (uint64_t)interval * 1000000u;
	uint64_t t0 = 0;
	uint64_t least = UINT64_MAX;
	struct wire w;
	struct run r;
	unsigned long next = 3;
	ssize_t got;

	for (unsigned long k = 0; k < 3; k++) {
		get_ping(p, srv, h_ms(3000), k, &w);
		if (k == 0)
			t0 = w.ns;
	}
	/* Stopped for 10 intervals: then 10 pings are due at once. */
	cr_assert(kill(h_pid(p), SIGSTOP) == 0, "kill: %s", strerror(errno));
	/* A ping or two may leave before the stop takes hold (on a busy
	 * machine, later than at once): the run goes on after them. */
	while ((got = h_udp_recv(srv, buf, sizeof(buf), 50, NULL)) != -1)
		if (got == PING_LEN && get_be(buf, 4) >= next)
			next = (unsigned long)get_be(buf, 4) + 1;
	pause_ms(srv, 10 * interval);
	cr_assert(kill(h_pid(p), SIGCONT) == 0, "kill: %s", strerror(errno));
	for (unsigned long k = next; k < COUNT; k++) {
		struct sockaddr_storage from;
		ssize_t n = h_udp_recv(srv, buf, sizeof(buf), h_ms(3000),
		    &from);
		unsigned long seq;

		cr_assert(n == PING_LEN, "after the pinger had been stopped "
		    "(SIGSTOP) and continued, ping %lu did not come (%s)", k,
		    n == -1 ? "nothing came" : "a datagram not 12 bytes");
		seq = (unsigned long)get_be(buf, 4);
		if (seq < k)
			continue;	/* sent just before the stop */
		cr_assert(seq == k, "after the pinger had fallen 10 intervals "
		    "behind, the next ping was seq=%lu, not seq=%lu: it should "
		    "send every ping that is due at once, skipping none", seq,
		    k);
		take_ping(buf, n, &from, k, &w);
		cr_assert(w.ns >= t0 + k * step, "ping %lu was sent at T0 + "
		    "%.3f ms, before it was due (T0 + %lu ms)", k,
		    (double)(w.ns - t0) / 1e6, k * (unsigned long)interval);
		/* The least lateness of the last 5, due after the catch-up. */
		if (k >= COUNT - 5 && w.ns - (t0 + k * step) < least)
			least = w.ns - (t0 + k * step);
	}
	cr_assert(least <= (uint64_t)h_ms(40) * 1000000u, "after being "
	    "stopped (SIGSTOP) for %ld ms the pinger sent each of pings %d "
	    "to %d at least %.3f ms after it was due: a pinger that falls "
	    "behind sends every ping that is due at once and keeps the "
	    "schedule T0 + k x interval, rather than starting it again from "
	    "the moment it went on", 10 * interval, COUNT - 5, COUNT - 1,
	    (double)least / 1e6);
	stop_with(p, SIGTERM, srv, &r);
	check_run(&r, COUNT, true);
}

Test(pinger, a_datagram_read_after_a_timeout_comes_after_the_timeout_line)
{
	int srv = h_udp_open("127.0.0.1");
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 2,
	    h_ms(1000), 100);
	static const struct want_line want[] = {
		{ TIMEOUT, 0, "" },
		{ IGNORED, 0, "" },
		{ REPLY, 0, "late" },
		{ REPLY, 1, "" },
	};
	struct wire w;
	struct run r;

	/*
	 * Stopped in its wait, through ping 0's timeout, with a stranger's
	 * datagram and the (late) reply waiting for it when it goes on.
	 * Ping 1, due long after, keeps it running to read them.
	 */
	get_ping(p, srv, h_ms(3000), 0, &w);
	h_wait_asleep(p);
	cr_assert(kill(h_pid(p), SIGSTOP) == 0, "kill: %s", strerror(errno));
	pause_ms(srv, 300);
	h_udp_send(stranger, "127.0.0.1", w.port, "stray", 5);
	answer(srv, "127.0.0.1", &w);
	cr_assert(kill(h_pid(p), SIGCONT) == 0, "kill: %s", strerror(errno));
	get_ping(p, srv, h_ms(3000), 1, &w);
	answer(srv, "127.0.0.1", &w);
	finish(p, h_ms(3000), &r);

	cr_assert(r.nev == 4 && r.ev[0].kind == TIMEOUT &&
	    r.ev[1].kind == IGNORED && r.ev[2].kind == REPLY, "the pinger was "
	    "stopped (SIGSTOP) past ping 0's 100 ms timeout, and went on with "
	    "a stranger's datagram and the reply waiting: first \"timeout for "
	    "seq=0\", then the stranger's \"ignored\" line, then the reply "
	    "(late). When a datagram is read, first give up on every ping "
	    "whose timeout has passed by then, whatever the datagram is; "
	    "got:\n%s", r.out);
	check_lines(&r, want, 4, "after a stop past ping 0's timeout");
	check_consistent(&r, 2);
}

/* ---------------------------------------------------------------------- */
/* The clock. */
Test(pinger, measures_rtts_on_the_monotonic_clock_when_the_wall_clock_jumps)
{
	static const char test[] = "pinger::measures_rtts_on_the_monotonic_"
	    "clock_when_the_wall_clock_jumps";
	const char *clock;
	int srv;
	struct h_proc *p;
	regmatch_t m[8];
	const char *line;
	struct wire w;
	long held;
	double ms;

	clock = h_fake_wall_clock(test, "+0");
	srv = h_udp_open("127.0.0.1");
	p = start_pinger("127.0.0.1", h_udp_port(srv), 1, -1, h_ms(3000));

	/* The wall clock is set back an hour between ping and reply. */
	get_ping(p, srv, h_ms(3000), 0, &w);
	h_move_wall_clock(clock, "-3600");
	pause_ms(srv, 100);
	held = h_now_ms() - w.at;
	answer(srv, "127.0.0.1", &w);
	line = h_line_starting(p, "12 bytes from ", h_ms(2000));
	cr_assert(line != NULL, "ping 0 was answered after %ld ms, while the "
	    "wall clock was set back an hour, and no reply line came; the "
	    "output:\n%s", held, h_stdout(p));
	cr_assert(match(line, RE_REPLY, m, 8), "the reply line should be "
	    "\"12 bytes from HOST port PORT: seq=0 time=MS ms\", got \"%s\" "
	    "(a negative time: the RTT was measured on the wall clock, which "
	    "had been set back an hour; use CLOCK_MONOTONIC)", line);
	ms = group_double(line, &m[4]);
	cr_assert(ms >= (double)held - 1 && ms <= (double)(held + h_ms(300)),
	    "the reply came %ld ms after ping 0, the pinger printed \"%s\": "
	    "the wall clock was set back an hour in between (as NTP or an "
	    "administrator may do), so the RTT was measured on it; measure on "
	    "CLOCK_MONOTONIC, which nobody sets", held, line);
	h_stop(p, SIGTERM);
}

/* ---------------------------------------------------------------------- */
/* Cost: a pinger that waits sleeps. */
Test(pinger, sleeps_while_it_waits)
{
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *p = start_pinger("127.0.0.1", h_udp_port(srv), 2, 1100,
	    1100);
	struct wire w;
	long cpu0;
	long t0;

	/* 1100 ms until ping 1 is due, 1100 more until it times out. */
	get_ping(p, srv, h_ms(3000), 0, &w);
	cpu0 = h_cpu_ms(p);
	t0 = h_now_ms();
	get_ping(p, srv, h_ms(3000), 1, &w);
	cr_assert(h_wait(p, h_ms(3000)) == 1, "nothing answered: the pinger "
	    "should end 1100 ms after ping 1 and exit 1; %s", h_ending(p));
	h_expect_sleeping(p, cpu0, t0, "waiting 1100 ms for a ping to be due "
	    "and 1100 ms for it to time out");
}

/* ---------------------------------------------------------------------- */
/* Datagrams of every length, and senders that are not the server. */

static void
expect_whole_length(const char *host, size_t longest)
{
	static unsigned char big[NET_MAX_DATAGRAM];
	const size_t len[] = { 1025, 4097, longest };
	int srv = h_udp_open(host);
	struct h_proc *p = start_pinger(host, h_udp_port(srv), 1, -1,
	    h_ms(5000));
	struct wire w;
	struct run r;

	get_ping(p, srv, h_ms(3000), 0, &w);
	/* Copies of the ping, so that a cut one looks like a reply. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = w.raw[i % PING_LEN];
	/* One at a time, each read before the next, so none is dropped. */
	for (int i = 0; i < 3; i++) {
		const char *line;

		h_udp_send(srv, host, w.port, big, len[i]);
		line = h_line_starting(p, "ignored ", h_ms(2000));
		cr_assert(line != NULL, "the server sent a %zu-byte "
		    "datagram%s: expected \"ignored %zu bytes from %s port "
		    "%u: not 12 bytes\", none came; the output:\n%s", len[i],
		    i == 2 ? " (the largest over this family)" : "", len[i],
		    host, h_udp_port(srv), h_stdout(p));
		cr_assert(strtol(line + 8, NULL, 10) == (long)len[i], "the "
		    "server sent a %zu-byte datagram, the pinger printed "
		    "\"%s\"%s", len[i], line,
		    strtol(line + 8, NULL, 10) < (long)len[i] ? ": recvfrom "
		    "cut it to the size of the buffer; give it room for the "
		    "largest datagram (NET_MAX_DATAGRAM, 65527 bytes) so that "
		    "the length it returns is the datagram's" : "");
	}
	answer(srv, host, &w);
	finish(p, h_ms(3000), &r);
	for (int i = 0; i < 3; i++)
		cr_assert(r.nev > i && r.ev[i].kind == IGNORED &&
		    r.ev[i].bytes == (long)len[i] &&
		    strcmp(r.ev[i].why, "not 12 bytes") == 0, "the server sent "
		    "a %zu-byte datagram; expected \"ignored %zu bytes from %s "
		    "port %u: not 12 bytes\", got \"%s\"", len[i], len[i],
		    host, h_udp_port(srv), r.nev > i ? r.ev[i].line :
		    "(nothing)");
	check_consistent(&r, 1);
	cr_assert(r.rx == 1 && r.ign == 3, "expected 1 received and ignored "
	    "3; got:\n%s", r.out);
}

Test(pinger, reports_the_whole_length_of_the_longest_datagram_over_ipv4)
{
	expect_whole_length("127.0.0.1", NET_MAX_UDP4);
}

Test(pinger, reports_the_whole_length_of_the_longest_datagram_over_ipv6)
{
	expect_whole_length("::1", NET_MAX_UDP6);
}

Test(pinger, a_copy_from_another_address_on_the_servers_port_is_ignored)
{
	int srv = h_udp_open("127.0.0.1");
	uint16_t port = h_udp_port(srv);
	int other = h_udp_open_port("127.0.0.2", port);
	struct h_proc *p = start_pinger("127.0.0.1", port, 1, -1, h_ms(3000));
	char want[128];
	struct wire w;
	struct run r;

	get_ping(p, srv, h_ms(3000), 0, &w);
	h_udp_send(other, "127.0.0.1", w.port, w.raw, PING_LEN);
	answer(srv, "127.0.0.1", &w);
	finish(p, h_ms(3000), &r);

	snprintf(want, sizeof(want), "ignored 12 bytes from 127.0.0.2 port "
	    "%u: not from the server", port);
	cr_assert(r.nev >= 1 && strcmp(r.ev[0].line, want) == 0, "a copy of "
	    "ping 0 came from 127.0.0.2 port %u, the server's port at another "
	    "address: another host's. Expected \"%s\", got \"%s\": a sender "
	    "is an address and a port, compare both (sin_addr too)", port,
	    want, r.nev >= 1 ? r.ev[0].line : "(nothing)");
	cr_assert(r.nev == 2 && fresh(&r.ev[1]) && r.ev[1].tag[0] == '\0',
	    "then the server's own echo should be the reply; got:\n%s", r.out);
	check_consistent(&r, 1);
}

/*
 * Two links with one link-local address, fe80::1, in a namespace of our
 * own: the same address and port on another link is another host.
 */
TestSuite(pinger_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

Test(pinger, a_copy_from_the_same_link_local_address_on_another_link_is_ignored)
{
	h_rerun_in_netns("pinger::a_copy_from_the_same_link_local_address_on_"
	    "another_link_is_ignored", H_TWO_LINKS, "pinger_netns/*");
}

Test(pinger_netns, another_links_fe80_1_is_not_the_server)
{
	int srv;
	uint16_t port;
	int other;
	struct h_proc *p;
	struct wire w;
	struct run r;

	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that pinger::a_"
		    "copy_from_the_same_link_local_address_on_another_link_is_"
		    "ignored makes");
	srv = h_udp_open("fe80::1%v0");
	port = h_udp_port(srv);
	other = h_udp_open_port("fe80::1%w0", port);
	p = start_pinger("fe80::1%v0", port, 1, -1, h_ms(3000));
	get_ping(p, srv, h_ms(3000), 0, &w);
	h_udp_send(other, "fe80::1%w0", w.port, w.raw, PING_LEN);
	answer(srv, "fe80::1%v0", &w);
	finish(p, h_ms(3000), &r);

	cr_assert(r.nev >= 1 && r.ev[0].kind == IGNORED &&
	    strcmp(r.ev[0].why, "not from the server") == 0 &&
	    r.ev[0].port == port, "a copy of ping 0 came from fe80::1 port %u "
	    "on link w0, the pings go to fe80::1 port %u on link v0: the same "
	    "address and port on another link is another host. Expected "
	    "\"ignored 12 bytes from fe80::1%%w0 port %u: not from the "
	    "server\", got \"%s\": compare sin6_scope_id too", port, port,
	    port, r.nev >= 1 ? r.ev[0].line : "(nothing)");
	cr_assert(r.nev == 2 && fresh(&r.ev[1]), "then the server's own echo "
	    "should be the reply; got:\n%s", r.out);
	check_consistent(&r, 1);
}
