/*
 * Lab 03, "Who answered?": checked-client takes as a reply only a datagram
 * from the address and port it sent to, and reports every other one.
 *
 * The test plays the server with a socket of its own, and a stranger with
 * another: the stranger learns the client's port from the request the
 * server receives, and answers first.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(checked_client, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);
/* Tests that run only in a network namespace of their own (see below). */
TestSuite(checked_client_netns, .init = h_init, .fini = h_cleanup,
    .timeout = H_TEST_TIMEOUT);

/* How long a reply may take to show in the client's output. */
#define SHOW_MS 3000

/*
 * Start the client: "checked-client [-t MS] HOST PORT ARGS...", with
 * input (if any) on its standard input.  timeout_ms 0 leaves -t out.
 */
static struct h_proc *
start_client(long timeout_ms, const char *host, uint16_t port,
    const char *const *args, const void *input, size_t input_len)
{
	char *argv[24];
	char t[24];
	char p[8];
	int n = 0;

	argv[n++] = (char *)h_lab_program();
	if (timeout_ms > 0) {
		snprintf(t, sizeof(t), "%ld", timeout_ms);
		argv[n++] = "-t";
		argv[n++] = t;
	}
	snprintf(p, sizeof(p), "%u", (unsigned)port);
	argv[n++] = (char *)host;
	argv[n++] = p;
	for (int i = 0; args[i] != NULL && n < 23; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return h_spawn(argv, &(struct h_opts){ .wrap = true,
	    .stdin_data = input, .stdin_len = input_len });
}

/*
 * What a wrong line's look says about its cause, or "".  An address shown
 * as :: or 0.0.0.0 is one recvfrom() never filled in; "ffffff" in an
 * escape is a byte that went through a signed char.
 */
static const char *
line_hint(const char *line)
{
	if (line == NULL)
		return "";
	if (strstr(line, " from :: port ") != NULL ||
	    strstr(line, " from 0.0.0.0 port ") != NULL)
		return "An address printed as :: (or 0.0.0.0) is one "
		    "recvfrom() never filled in: the address length passed "
		    "to recvfrom() "
		    "(or to getnameinfo) is wrong; set it to sizeof(from) "
		    "before each call, and pass on what recvfrom() leaves "
		    "there.\n";
	if (strstr(line, "\\xffffff") != NULL)
		return "A byte shown as \\xffffff80 went through a signed "
		    "char: escape the bytes as unsigned char.\n";
	return "";
}

/* The client's next line, which must be want; what says which line. */
static void
expect_line(struct h_proc *c, const char *want, const char *what)
{
	const char *line = h_line(c, h_ms(SHOW_MS));

	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "%s: expected the line\n  %s\ngot\n  %s\n%s(stderr: %s)", what,
	    want, line ? line : "(no line)", line_hint(line), h_stderr(c));
}

/*
 * The request the server socket must receive from the client c; returns
 * its length.  When none comes, the client's own words (on stderr) say
 * why it never sent.
 */
static ssize_t
expect_request(struct h_proc *c, int srv, void *buf, size_t cap,
    struct sockaddr_storage *from, const char *what)
{
	ssize_t n = h_udp_recv(srv, buf, cap, h_ms(SHOW_MS), from);

	if (n == -1)
		(void)h_wait(c, h_ms(500));
	cr_assert(n != -1, "%s never reached the server within %ld ms; %s",
	    what, h_ms(SHOW_MS), h_ending(c));
	return n;
}

/* "sent N bytes to HOST port P" */
static void
expect_sent(struct h_proc *c, size_t len, const char *host, uint16_t port,
    const char *what)
{
	char want[128];

	snprintf(want, sizeof(want), "sent %zu bytes to %s port %u", len,
	    host, (unsigned)port);
	expect_line(c, want, what);
}

/* "WHAT N bytes from HOST port P: "ESCAPED"" */
static void
datagram_line(char *out, size_t cap, const char *what, const void *data,
    size_t len, const char *host, uint16_t port)
{
	char *escaped = h_escape(data, len);

	snprintf(out, cap, "%s %zu bytes from %s port %u: \"%s\"", what, len,
	    host, (unsigned)port, escaped);
	free(escaped);
}

static void
expect_received(struct h_proc *c, const void *data, size_t len,
    const char *host, uint16_t port, const char *what)
{
	char want[512];

	datagram_line(want, sizeof(want), "received", data, len, host, port);
	expect_line(c, want, what);
}

/* The client's exit status; when says after what it should have exited. */
static int
exit_status(struct h_proc *c, const char *when)
{
	int status = h_wait(c, h_ms(SHOW_MS));

	cr_assert(status != -1, "the client did not exit within %ld ms %s",
	    h_ms(SHOW_MS), when);
	return status;
}

/*
 * The client's next datagram at the server socket srv must hold msg;
 * what says which message it is.  Returns the client's port.
 */
static uint16_t
expect_message(struct h_proc *c, int srv, const char *msg, const char *what)
{
	struct sockaddr_storage from;
	char got[64];
	ssize_t n = expect_request(c, srv, got, sizeof(got), &from, what);

	cr_assert(n == (ssize_t)strlen(msg) && memcmp(got, msg, (size_t)n) == 0,
	    "%s should be a datagram holding \"%s\" (%zu bytes), it held %zd "
	    "bytes: \"%s\". One datagram per message, in order", what, msg,
	    strlen(msg), n, h_escape(got, (size_t)n));
	return h_sockaddr_port(&from);
}

/*
 * The client was started with msgs (NULL-terminated) for the server
 * socket srv on 127.0.0.1; answer each with "reply N" and check the
 * client's two lines for it.  how says how the client was started.
 */
static void
answer_each(struct h_proc *c, int srv, const char *const *msgs,
    const char *how)
{
	uint16_t sport = h_udp_port(srv);
	uint16_t first = 0;

	for (int i = 0; msgs[i] != NULL; i++) {
		char reply[64];
		char what[128];
		uint16_t cport;
		int len;

		snprintf(what, sizeof(what), "%s, message %d (\"%s\")", how,
		    i + 1, msgs[i]);
		cport = expect_message(c, srv, msgs[i], what);
		if (i == 0)
			first = cport;
		cr_assert(cport == first, "%s came from port %u, message 1 "
		    "from port %u: all messages go out from one socket (one "
		    "source port); open it once, before the first message, not "
		    "once for each", what, (unsigned)cport, (unsigned)first);
		len = snprintf(reply, sizeof(reply), "reply %d", i + 1);
		h_udp_send(srv, "127.0.0.1", cport, reply, (size_t)len);
		expect_sent(c, strlen(msgs[i]), "127.0.0.1", sport, what);
		snprintf(what, sizeof(what), "%s: the server answered message "
		    "%d, the client should print that reply", how, i + 1);
		expect_received(c, reply, (size_t)len, "127.0.0.1", sport,
		    what);
	}
}

Test(checked_client, sends_each_message_and_prints_each_reply)
{
	static const char *const msgs[] = { "one", "two words", "three",
		NULL };
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *c = start_client(0, "127.0.0.1", h_udp_port(srv), msgs,
	    NULL, 0);
	const char *line;
	int status;

	answer_each(c, srv, msgs, "sent 3 messages");
	status = exit_status(c, "after its last reply");
	cr_assert(status == 0, "every message got its reply: the exit status "
	    "should be 0, got %d (stderr: %s)", status, h_stderr(c));
	line = h_line(c, 0);
	cr_assert(line == NULL, "after the last reply the client should print "
	    "nothing more; it printed\n  %s", line);
}

Test(checked_client, messages_after_the_host_may_start_with_a_dash)
{
	static const char *const msgs[] = { "-t", "--", "-x", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(0, "127.0.0.1", sport, msgs, NULL, 0);
	struct pollfd pfd = { .fd = srv, .events = POLLIN };
	long give_up = h_now_ms() + h_ms(SHOW_MS);
	int ready = 0;
	int status = -1;

	/* Wait without reading (answer_each reads the first datagram), and
	 * stop waiting if the client exits without sending. */
	while (ready == 0 && status == -1 && h_now_ms() < give_up) {
		ready = poll(&pfd, 1, 50);
		if (ready == 0)
			status = h_wait(c, 0);
	}
	cr_assert(ready == 1, "checked-client 127.0.0.1 %u -t -- -x: after "
	    "the host and port every argument is a message, even one that "
	    "starts with \"-\", but nothing reached the server (exit status "
	    "%d, -1 if still running; stderr: %s). Options come before the "
	    "host: does getopt() look for them among the messages? GNU getopt "
	    "does (with _GNU_SOURCE); POSIX getopt stops at the host",
	    (unsigned)sport, status, h_stderr(c));
	answer_each(c, srv, msgs, "sent the messages -t, -- and -x");
	status = exit_status(c, "after its last reply");
	cr_assert(status == 0, "every message got its reply: the exit status "
	    "should be 0, got %d (stderr: %s)", status, h_stderr(c));
}

/*
 * The client sends "hello"; a stranger on stranger_host (on the server's
 * port number if same_port) answers first, to the client on stranger_to,
 * then the server answers.  who says how the stranger differs from the
 * server, and hint what a client that took its datagram as the reply got
 * wrong.
 */
static void
check_stranger_to(const char *host, const char *stranger_host,
    const char *stranger_to, bool same_port, const char *who,
    const char *hint)
{
	static const char *const msgs[] = { "hello", NULL };
	static const char fake[] = "I am the server, trust me";
	static const char real[] = "the real reply";
	int srv = h_udp_open(host);
	uint16_t sport = h_udp_port(srv);
	int stranger = h_udp_open_port(stranger_host, same_port ? sport : 0);
	uint16_t xport = h_udp_port(stranger);
	struct h_proc *c = start_client(0, host, sport, msgs, NULL, 0);
	struct sockaddr_storage from;
	char got[64];
	char want[256];
	const char *line;
	int status;

	expect_request(c, srv, got, sizeof(got), &from,
	    "the message \"hello\"");
	h_udp_send(stranger, stranger_to, h_sockaddr_port(&from), fake,
	    sizeof(fake) - 1);
	h_udp_send(srv, host, h_sockaddr_port(&from), real, sizeof(real) - 1);

	expect_sent(c, 5, host, sport, "the message \"hello\"");
	line = h_line(c, h_ms(SHOW_MS));
	cr_assert(line != NULL, "a stranger and then the server answered "
	    "\"hello\"; the client printed nothing more (stderr: %s)",
	    h_stderr(c));
	datagram_line(want, sizeof(want), "received", fake, sizeof(fake) - 1,
	    stranger_host, xport);
	cr_assert(strcmp(line, want) != 0, "took the datagram from %s port "
	    "%u (a stranger: %s) as the reply to \"hello\"; the server is %s "
	    "port %u: %s", stranger_host, xport, who, host, sport, hint);
	datagram_line(want, sizeof(want), "ignored", fake, sizeof(fake) - 1,
	    stranger_host, xport);
	cr_assert(strcmp(line, want) == 0, "a stranger on %s port %u (%s) "
	    "answered \"hello\" before the server: expected the line\n  %s\n"
	    "got\n  %s\n%s%s", stranger_host, xport, who, want, line,
	    line_hint(line),
	    strncmp(line, "received ", 9) == 0 ? "The stranger's datagram "
	    "was never reported: a connect()ed socket drops it silently, "
	    "and this lab asks you to see it and say so." : "");
	expect_received(c, real, sizeof(real) - 1, host, sport,
	    "after ignoring the stranger the client should take the "
	    "server's reply");
	status = exit_status(c, "after its reply");
	cr_assert(status == 0, "\"hello\" got its reply from the server: the "
	    "exit status should be 0, got %d", status);
}

/* The same, the stranger sending to the address the client sent to. */
static void
check_stranger(const char *host, const char *stranger_host, bool same_port,
    const char *who, const char *hint)
{
	check_stranger_to(host, stranger_host, host, same_port, who, hint);
}

Test(checked_client, ignores_a_stranger_on_the_servers_address)
{
	check_stranger("127.0.0.1", "127.0.0.1", false,
	    "the server's address but another port", "compare the port too");
}

Test(checked_client, ignores_a_stranger_with_the_servers_port)
{
	check_stranger("127.0.0.1", "127.0.0.2", true,
	    "the server's port but another address",
	    "compare the address too");
}

Test(checked_client, ignores_a_stranger_on_another_address_and_port)
{
	check_stranger("127.0.0.1", "127.0.0.2", false,
	    "another address and another port",
	    "the client does not check who sent a datagram");
}

Test(checked_client, ignores_a_stranger_over_ipv6)
{
	check_stranger("::1", "::1", false,
	    "the server's address but another port", "compare the port too");
}

/*
 * The next line must be want, a datagram line holding bytes with a NUL;
 * if only its quoted bytes differ, say why they probably do.
 */
static void
expect_bytes_line(struct h_proc *c, const char *want, const char *what)
{
	const char *line = h_line(c, h_ms(SHOW_MS));
	size_t head = (size_t)(strstr(want, ": \"") - want);

	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "%s: expected\n  %s\ngot\n  %s\n%s%s", what, want,
	    line ? line : "(no line)", line_hint(line),
	    line != NULL && strncmp(line, want, head) == 0 ?
	    "Print all n bytes recvfrom() returned, escaped; strlen() stops "
	    "at the NUL." : "");
}

Test(checked_client, prints_stray_datagrams_and_the_reply_escaped)
{
	static const char *const msgs[] = { "bytes?", NULL };
	static const unsigned char odd[] = { 'a', 0, 0xff, '\n', '"', '\\',
		'z' };
	static const unsigned char reply[] = { 'o', 'k', 0, 0x01, 0xfe, '\n',
		'!' };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	int stranger = h_udp_open("127.0.0.1");
	uint16_t xport = h_udp_port(stranger);
	struct h_proc *c = start_client(0, "127.0.0.1", sport, msgs, NULL, 0);
	struct sockaddr_storage from;
	char got[64];
	char want[256];
	uint16_t cport;

	expect_request(c, srv, got, sizeof(got), &from,
	    "the message \"bytes?\"");
	cport = h_sockaddr_port(&from);
	h_udp_send(stranger, "127.0.0.1", cport, odd, sizeof(odd));
	h_udp_send(stranger, "127.0.0.1", cport, "", 0);
	h_udp_send(srv, "127.0.0.1", cport, reply, sizeof(reply));

	expect_sent(c, 6, "127.0.0.1", sport, "the message \"bytes?\"");
	datagram_line(want, sizeof(want), "ignored", odd, sizeof(odd),
	    "127.0.0.1", xport);
	expect_bytes_line(c, want, "a stranger sent 7 bytes with a NUL at "
	    "byte 2");
	datagram_line(want, sizeof(want), "ignored", "", 0, "127.0.0.1",
	    xport);
	expect_line(c, want, "then the stranger sent an empty datagram, "
	    "which is a datagram too");
	datagram_line(want, sizeof(want), "received", reply, sizeof(reply),
	    "127.0.0.1", sport);
	expect_bytes_line(c, want, "then the server replied with 7 bytes with "
	    "a NUL at byte 3");
	cr_assert(exit_status(c, "after its reply") == 0, "the message got its "
	    "reply: the exit "
	    "status should be 0");
}

Test(checked_client, times_out_on_a_message_and_goes_on_with_the_next)
{
	static const char *const msgs[] = { "one", "two", "three", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(400, "127.0.0.1", sport, msgs, NULL,
	    0);
	struct sockaddr_storage from;
	char got[64];
	uint16_t cport;
	long asked;
	long waited;
	ssize_t n;
	int status;

	cport = expect_message(c, srv, "one", "the first message");
	/* The client sends "two" only once it has "1", so after this. */
	asked = h_now_ms();
	h_udp_send(srv, "127.0.0.1", cport, "1", 1);
	expect_message(c, srv, "two", "the second message");
	/* "two" gets no answer. */
	n = h_udp_recv(srv, got, sizeof(got), 400 + h_ms(SHOW_MS), &from);
	waited = h_now_ms() - asked;
	cr_assert(n != -1, "sent 3 messages with -t 400 and did not answer "
	    "the second: the client should give up on it after 400 ms and "
	    "send the third, which never came");
	cr_assert(n == 5 && memcmp(got, "three", 5) == 0, "after the second "
	    "message timed out, the next datagram should be the third, "
	    "\"three\"; it held %zd bytes: \"%s\"", n,
	    h_escape(got, (size_t)n));
	/* 10 ms for the two clocks' rounding. */
	cr_assert(waited >= 400 - 10, "with -t 400 the client sent the third "
	    "message %ld ms after the first reply: it gave up on the second "
	    "before its 400 ms were up", waited);
	cr_assert(waited <= 400 + h_ms(1000), "with -t 400 the client waited "
	    "%ld ms for the second reply", waited);
	h_udp_send(srv, "127.0.0.1", h_sockaddr_port(&from), "3", 1);

	expect_sent(c, 3, "127.0.0.1", sport, "the first message");
	expect_received(c, "1", 1, "127.0.0.1", sport, "the first reply");
	expect_sent(c, 3, "127.0.0.1", sport, "the second message");
	expect_line(c, "no reply within 400 ms", "the second message was "
	    "never answered");
	expect_sent(c, 5, "127.0.0.1", sport, "the third message");
	expect_received(c, "3", 1, "127.0.0.1", sport, "the third reply");
	status = exit_status(c, "after its last reply");
	cr_assert(status == 1, "sent 3 datagrams, got 2 replies: the second "
	    "was never answered, so the exit status should be 1, got %d",
	    status);
}

Test(checked_client, waits_1000_ms_by_default)
{
	static const char *const msgs[] = { "anyone?", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	/* Before the client starts, so before it can send. */
	long started = h_now_ms();
	struct h_proc *c = start_client(0, "127.0.0.1", sport, msgs, NULL, 0);
	const char *line;
	long waited;
	int status;

	expect_message(c, srv, "anyone?", "the message \"anyone?\"");
	expect_sent(c, 7, "127.0.0.1", sport, "the message \"anyone?\"");
	line = h_line(c, 1000 + h_ms(SHOW_MS));
	waited = h_now_ms() - started;
	/* Without its line, all its stderr (written in pieces) first. */
	if (line == NULL)
		(void)h_wait(c, h_ms(SHOW_MS));
	cr_assert(line != NULL || strstr(h_stderr(c), "no reply within") ==
	    NULL, "without -t, and no reply to \"anyone?\": the line \"no "
	    "reply within 1000 ms\" went to stderr (%s). It goes to stdout "
	    "with the others: it is part of the report, not an error (lesson "
	    "05 prints its timeout on stderr, this lab does not)",
	    h_stderr(c));
	cr_assert(line != NULL && strcmp(line, "no reply within 1000 ms") == 0,
	    "without -t, and no reply to \"anyone?\": expected the line\n"
	    "  no reply within 1000 ms\ngot\n  %s\n(the default timeout is "
	    "1000 ms; stderr: %s)", line ? line : "(no line)", h_stderr(c));
	/* 10 ms for the two clocks' rounding. */
	cr_assert(waited >= 1000 - 10, "without -t the client gave up %ld ms "
	    "after it was started: the default timeout is 1000 ms", waited);
	status = exit_status(c, "after \"no reply within 1000 ms\"");
	cr_assert(status == 1, "the message got no reply: the exit status "
	    "should be 1, got %d", status);
}

Test(checked_client, a_stranger_sending_every_50_ms_does_not_extend_the_wait)
{
	static const char *const msgs[] = { "anyone?", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *c = start_client(500, "127.0.0.1", sport, msgs, NULL,
	    0);
	struct sockaddr_storage from;
	char got[64];
	const long limit = 500 + h_ms(1000);
	long asked;
	long waited = 0;
	int status = -1;
	int sent = 0;
	int ignored = 0;
	const char *line;

	expect_request(c, srv, got, sizeof(got), &from, "the message");
	asked = h_now_ms();
	/* The server stays silent; the stranger keeps going until the
	 * client is gone or well past the limit (at most 400 datagrams). */
	while (status == -1 && waited < limit + 1000 && sent < 400) {
		h_udp_send(stranger, "127.0.0.1", h_sockaddr_port(&from),
		    "noise", 5);
		sent++;
		status = h_wait(c, 50);
		waited = h_now_ms() - asked;
	}
	cr_assert(status != -1, "a stranger sent a datagram every 50 ms; "
	    "with -t 500 the client was still waiting %ld ms after it sent: "
	    "does each stray datagram restart the timeout? Fix one deadline "
	    "when you send", waited);
	cr_assert(waited <= limit, "with -t 500 and a stranger sending every "
	    "50 ms, the client took %ld ms to give up", waited);
	cr_assert(status == 1, "the message got no reply: the exit status "
	    "should be 1, got %d", status);

	expect_sent(c, 7, "127.0.0.1", sport, "the message");
	while ((line = h_line(c, 0)) != NULL &&
	    strncmp(line, "ignored 5 bytes from 127.0.0.1 port ", 36) == 0)
		ignored++;
	cr_assert(ignored >= 3, "a stranger sent %d datagrams in %ld ms; the "
	    "client reported %d with an \"ignored ...\" line (a connect()ed "
	    "socket never sees them)", sent, waited, ignored);
	cr_assert(line != NULL && strcmp(line, "no reply within 500 ms") == 0,
	    "after the stranger's datagrams expected \"no reply within 500 "
	    "ms\", got \"%s\"", line ? line : "(no line)");
}

/*
 * LAB.md: the wait ends MS milliseconds after the message was sent,
 * however many ignored datagrams arrive.  One stranger's datagram at 80 %
 * of the timeout, then quiet: a client that checks its deadline but then
 * polls for the whole timeout again waits 80 % too long.
 */
Test(checked_client, one_stranger_late_in_the_wait_does_not_extend_it)
{
	static const char *const msgs[] = { "anyone?", NULL };
	int srv = h_udp_open("127.0.0.1");
	int stranger = h_udp_open("127.0.0.1");
	struct h_proc *c = start_client(1000, "127.0.0.1", h_udp_port(srv),
	    msgs, NULL, 0);
	struct sockaddr_storage from;
	char got[64];
	const long limit = 1000 + h_ms(400);
	long asked, waited;
	int status;

	expect_request(c, srv, got, sizeof(got), &from, "the message");
	asked = h_now_ms();
	status = h_wait(c, 800);
	cr_assert(status == -1, "with -t 1000 the client gave up after %ld "
	    "ms; %s", h_now_ms() - asked, h_ending(c));
	h_udp_send(stranger, "127.0.0.1", h_sockaddr_port(&from), "noise", 5);
	status = h_wait(c, limit + 1000 - (h_now_ms() - asked));
	waited = h_now_ms() - asked;
	cr_assert(status != -1 && waited <= limit, "with -t 1000 and one "
	    "stranger's datagram 800 ms into the wait, the client %s %ld ms "
	    "after it sent: after an ignored datagram, poll() must wait only "
	    "what is left of the deadline (net_ms_left()), not the whole "
	    "timeout again", status == -1 ? "was still waiting" :
	    "gave up", waited);
	cr_assert(status == 1, "the message got no reply: the exit status "
	    "should be 1; %s", h_ending(c));
}

Test(checked_client, sends_each_line_of_stdin_as_a_datagram)
{
	static const char *const msgs[] = { "-", NULL };
	static const char input[] = "first\nsecond line\n\nwith\0nul\nlast";
	static const struct {
		const char *bytes;
		size_t len;
		const char *what;
	} lines[] = {
		{ "first", 5, "the first line, \"first\"" },
		{ "second line", 11, "the second line, \"second line\"" },
		{ "", 0, "the third line, an empty one (an empty datagram)" },
		{ "with\0nul", 8, "the fourth line, 8 bytes with a NUL "
		    "(getline's length, not strlen)" },
		{ "last", 4, "the last line, \"last\", which has no newline" },
	};
	int srv = h_udp_open("::1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(0, "::1", sport, msgs, input,
	    sizeof(input) - 1);

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct sockaddr_storage from;
		char got[64];
		char reply[16];
		ssize_t n;
		int len;

		n = expect_request(c, srv, got, sizeof(got), &from,
		    lines[i].what);
		cr_assert(n == (ssize_t)lines[i].len &&
		    memcmp(got, lines[i].bytes, lines[i].len) == 0,
		    "stdin held 5 lines; datagram %zu should be %s, without "
		    "its newline, but it held %zd bytes: \"%s\"", i + 1,
		    lines[i].what, n, h_escape(got, (size_t)n));
		len = snprintf(reply, sizeof(reply), "ok %zu", i + 1);
		h_udp_send(srv, "::1", h_sockaddr_port(&from), reply,
		    (size_t)len);
		expect_sent(c, lines[i].len, "::1", sport, lines[i].what);
		expect_received(c, reply, (size_t)len, "::1", sport,
		    lines[i].what);
	}
	cr_assert(exit_status(c, "after its last reply") == 0, "every line got "
	    "its reply: the exit "
	    "status should be 0");
}

Test(checked_client, empty_stdin_sends_nothing_and_exits_0)
{
	static const char *const msgs[] = { "-", NULL };
	int srv = h_udp_open("127.0.0.1");
	struct h_proc *c = start_client(0, "127.0.0.1", h_udp_port(srv), msgs,
	    NULL, 0);
	char got[16];
	int status = exit_status(c, "with \"-\" and empty standard input");

	cr_assert(status == 0, "with \"-\" and empty standard input there is "
	    "nothing to send: the exit status should be 0, got %d", status);
	cr_assert(h_stdout(c)[0] == '\0', "with \"-\" and empty standard "
	    "input the client should print nothing, printed \"%s\"",
	    h_stdout(c));
	cr_assert(h_udp_recv(srv, got, sizeof(got), 0, NULL) == -1,
	    "with \"-\" and empty standard input nothing should be sent");
}

Test(checked_client, a_host_that_does_not_resolve_exits_1)
{
	h_expect_unresolvable((char *[]){ (char *)h_lab_program(), H_BAD_HOST,
	    "9", "hello", NULL }, false);
}

/*
 * Each usage error exits 2 with a usage line and sends nothing.  "PORT"
 * stands for the port of a socket of ours, which must then receive
 * nothing: the usage is checked before the first message goes out.
 */
Test(checked_client, usage_errors_exit_2)
{
	static const struct {
		const char *args[7];
		const char *why;
	} cases[] = {
		{ { NULL }, "no arguments" },
		{ { "127.0.0.1", NULL }, "no port" },
		{ { "127.0.0.1", "PORT", NULL }, "no message" },
		{ { "127.0.0.1", "0", "hi", NULL }, "port 0" },
		{ { "127.0.0.1", "65536", "hi", NULL }, "port 65536" },
		{ { "127.0.0.1", "echo", "hi", NULL }, "a port name" },
		{ { "-t", "0", "127.0.0.1", "PORT", "hi", NULL }, "-t 0" },
		{ { "-t", "3600001", "127.0.0.1", "PORT", "hi", NULL },
		    "-t 3600001" },
		{ { "-t", "4294967297", "127.0.0.1", "PORT", "hi", NULL },
		    "-t 4294967297 (2^32 + 1)" },
		{ { "-t", "1s", "127.0.0.1", "PORT", "hi", NULL }, "-t 1s" },
		{ { "-x", "127.0.0.1", "PORT", "hi", NULL },
		    "an unknown option" },
		{ { "127.0.0.1", "PORT", "hi", "-", NULL },
		    "\"-\" after another message" },
		{ { "127.0.0.1", "PORT", "-", "hi", NULL },
		    "\"-\" before another message" },
	};
	int srv = h_udp_open("127.0.0.1");
	char port[8];

	snprintf(port, sizeof(port), "%u", (unsigned)h_udp_port(srv));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[9];
		bool to_us = false;
		int k = 0;

		argv[k++] = (char *)h_lab_program();
		for (int j = 0; cases[i].args[j] != NULL; j++) {
			to_us = to_us || strcmp(cases[i].args[j], "PORT") == 0;
			argv[k++] = strcmp(cases[i].args[j], "PORT") == 0 ?
			    port : (char *)cases[i].args[j];
		}
		argv[k] = NULL;
		if (to_us) {
			/* First what it sends, then how it ends. */
			struct h_proc *c = h_spawn(argv, &(struct h_opts){
			    .wrap = true });
			int status = h_wait(c, h_ms(SHOW_MS));
			char got[16];
			/* Once it has exited, what it sent is here. */
			ssize_t n = h_udp_recv(srv, got, sizeof(got), 0, NULL);

			cr_assert(n == -1, "with %s the client should send "
			    "nothing, but it sent a datagram of %zd bytes "
			    "(\"%s\"), and then %s: check every argument "
			    "before the first message goes out", cases[i].why,
			    n, h_escape(got, n > 0 ? (size_t)n : 0),
			    status == 2 ? "gave up with a usage error" :
			    status == -1 ? "waited for its reply" :
			    "exited, but not with status 2");
		}
		h_expect_usage(argv, "usage: ", cases[i].why);
	}
}

/*
 * The bounds themselves are allowed: port 1 and 65535, -t 1 and (in
 * long_timeouts_do_not_wrap) -t 3600000.  Nothing of ours listens on
 * those ports, and whether something else answers there does not matter:
 * the client must send, say so, and not exit 2.
 */
Test(checked_client, accepts_the_bounds_of_port_and_timeout)
{
	static const char *const ports[] = { "1", "65535" };
	int srv = h_udp_open("127.0.0.1");
	char sport[8];

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		struct h_proc *c = h_spawn((char *[]){
		    (char *)h_lab_program(), "-t", "1", "127.0.0.1",
		    (char *)ports[i], "hi", NULL }, &(struct h_opts){
		    .wrap = true });
		char want[64];
		const char *line = h_line(c, h_ms(SHOW_MS));
		int status = exit_status(c, "after one message with -t 1");

		snprintf(want, sizeof(want), "sent 2 bytes to 127.0.0.1 "
		    "port %s", ports[i]);
		cr_assert(status != 2 && line != NULL &&
		    strcmp(line, want) == 0, "checked-client -t 1 127.0.0.1 "
		    "%s hi: ports go from 1 to 65535, both included, so the "
		    "first line should be\n  %s\ngot\n  %s\n%s", ports[i],
		    want, line ? line : "(no line)", h_ending(c));
	}
	snprintf(sport, sizeof(sport), "%u", (unsigned)h_udp_port(srv));
	{
		struct h_proc *c = h_spawn((char *[]){
		    (char *)h_lab_program(), "-t", "1", "127.0.0.1", sport,
		    "hi", NULL }, &(struct h_opts){ .wrap = true });
		int status;

		expect_message(c, srv, "hi", "with -t 1, the message \"hi\"");
		expect_sent(c, 2, "127.0.0.1", h_udp_port(srv), "with -t 1");
		expect_line(c, "no reply within 1 ms", "-t 1 (the smallest "
		    "timeout) and no reply");
		status = exit_status(c, "after \"no reply within 1 ms\"");
		cr_assert(status == 1, "-t 1 and no reply: the exit status "
		    "should be 1, got %d; %s", status, h_ending(c));
	}
}

/*
 * Two links in a namespace of ours, each with the link-local address
 * fe80::1 (veth pairs: this kernel has no dummy interfaces).  A socket
 * bound to fe80::1%v0 and one bound to fe80::1%w0 can share a port, and
 * the client sees the same address and port from both, with two scopes.
 */
Test(checked_client, ignores_a_stranger_on_another_link)
{
	h_rerun_in_netns("checked_client::ignores_a_stranger_on_another_link",
	    H_TWO_LINKS, "checked_client_netns/*");
}

Test(checked_client_netns, same_address_and_port_on_another_link)
{
	if (!h_in_netns())
		cr_skip_test("runs only inside the namespace that "
		    "checked_client::ignores_a_stranger_on_another_link makes");
	check_stranger_to("fe80::1%v0", "fe80::1%w0", "fe80::1%w0", true,
	    "the server's address and port, but on another link: another "
	    "sin6_scope_id", "an IPv6 source is its address, its port and "
	    "its scope; compare sin6_scope_id too");
}

/*
 * Each line shows as it happens: the "sent" line while the client still
 * waits for the reply, not when it exits.
 */
Test(checked_client, prints_each_line_as_it_happens)
{
	static const char *const msgs[] = { "wait", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	/* Longer than the wait for the line, however stretched. */
	const long t = 5000 * h_time_factor();
	struct h_proc *c = start_client(t, "127.0.0.1", sport, msgs, NULL, 0);
	struct sockaddr_storage from;
	char got[16];
	const char *line;

	expect_request(c, srv, got, sizeof(got), &from, "the message \"wait\"");
	line = h_line(c, h_ms(2000));
	cr_assert(line != NULL, "the client sent \"wait\" and printed nothing "
	    "in %ld ms while it waited for the reply (with -t %ld): "
	    "standard output is line-buffered, each line shows as it "
	    "happens. stdout to a pipe is fully buffered unless you say "
	    "setvbuf(stdout, NULL, _IOLBF, 0) first; %s", h_ms(2000), t,
	    h_ending(c));
	h_udp_send(srv, "127.0.0.1", h_sockaddr_port(&from), "done", 4);
	expect_received(c, "done", 4, "127.0.0.1", sport, "the reply");
	cr_assert(exit_status(c, "after its reply") == 0, "the message got "
	    "its reply: the exit status should be 0; %s", h_ending(c));
}

/*
 * Each message has its own timeout, from its own sending: the first is
 * answered 400 ms late (of 700), and the second must still get 700 ms.
 * Both stretch with UDPLAB_TIME_FACTOR, so that a slow client (valgrind)
 * still gets its reply in time.
 */
Test(checked_client, every_message_gets_its_whole_timeout)
{
	static const char *const msgs[] = { "one", "two", NULL };
	const long t = 700 * h_time_factor();
	const long pause = 400 * h_time_factor();
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(t, "127.0.0.1", sport, msgs, NULL, 0);
	struct sockaddr_storage from;
	char got[16];
	char want[64];
	uint16_t cport;
	long asked;
	long waited;
	const char *line;

	cport = expect_message(c, srv, "one", "the first message");
	/* A pause, which is also a check that nothing else comes. */
	cr_assert(h_udp_recv(srv, got, sizeof(got), pause, &from) == -1,
	    "the client sent another datagram before \"one\" was answered "
	    "or timed out: one message at a time");
	h_udp_send(srv, "127.0.0.1", cport, "1", 1);
	asked = h_now_ms();
	expect_message(c, srv, "two", "the second message");
	expect_sent(c, 3, "127.0.0.1", sport, "the first message");
	expect_received(c, "1", 1, "127.0.0.1", sport, "the first reply, "
	    "4/7 of the timeout after the message");
	expect_sent(c, 3, "127.0.0.1", sport, "the second message");
	line = h_line(c, t + h_ms(SHOW_MS));
	waited = h_now_ms() - asked;
	snprintf(want, sizeof(want), "no reply within %ld ms", t);
	cr_assert(line != NULL && strcmp(line, want) == 0, "the second "
	    "message was never answered: expected \"%s\", got \"%s\"; %s",
	    want, line ? line : "(no line)", h_ending(c));
	/* 10 ms for the two clocks' rounding. */
	cr_assert(waited >= t - 10, "with -t %ld, \"one\" was answered "
	    "after %ld ms, and the client gave up on \"two\" %ld ms after it "
	    "was sent: each message gets its whole timeout, counted from its "
	    "own sending. Was the deadline fixed once, for all messages? "
	    "Call net_deadline() when each message is sent", t, pause,
	    waited);
	cr_assert(exit_status(c, "after its last message") == 1, "the second "
	    "message got no reply: the exit status should be 1; %s",
	    h_ending(c));
}

/*
 * Timeouts past what 32 bits of nanoseconds (4.29 s) and an int of
 * microseconds (35.8 min) hold: with -t 4400 and -t 3600000 a reply that
 * comes after a second is taken.  4400 ms in a 32-bit count of
 * nanoseconds wraps to 105 ms; 3600000 to 817 ms.
 */
Test(checked_client, long_timeouts_do_not_wrap)
{
	static const char *const msgs[] = { "late?", NULL };
	static const long timeouts[] = { 4400, 3600000 };
	enum { N = sizeof(timeouts) / sizeof(timeouts[0]) };
	struct h_proc *c[N];
	int srv[N];
	uint16_t cport[N];
	long start;

	for (int i = 0; i < N; i++) {
		srv[i] = h_udp_open("127.0.0.1");
		c[i] = start_client(timeouts[i], "127.0.0.1",
		    h_udp_port(srv[i]), msgs, NULL, 0);
	}
	for (int i = 0; i < N; i++) {
		cport[i] = expect_message(c[i], srv[i], "late?",
		    "the message \"late?\"");
		expect_sent(c[i], 5, "127.0.0.1", h_udp_port(srv[i]),
		    "the message \"late?\"");
	}
	/* A second after the last was sent, neither may have given up. */
	start = h_now_ms();
	for (int i = 0; i < N; i++) {
		long left = 1000 - (h_now_ms() - start);
		const char *line = h_line(c[i], left > 0 ? left : 0);

		cr_assert(line == NULL, "with -t %ld the client printed \"%s\" "
		    "%ld ms after it sent: too soon. %ld ms are %.3g ns, "
		    "more than 32 bits hold (4.29e9), and %.3g us, more than "
		    "an int holds (2.1e9): does the timeout wrap around in a "
		    "variable that is too narrow? Keep it in milliseconds, in "
		    "a long, and leave the sums to net_deadline()",
		    timeouts[i], line, h_now_ms() - start, timeouts[i],
		    timeouts[i] * 1e6, timeouts[i] * 1e3);
	}
	for (int i = 0; i < N; i++) {
		char what[64];

		snprintf(what, sizeof(what), "with -t %ld, a reply a second "
		    "late", timeouts[i]);
		h_udp_send(srv[i], "127.0.0.1", cport[i], "here", 4);
		expect_received(c[i], "here", 4, "127.0.0.1",
		    h_udp_port(srv[i]), what);
		cr_assert(exit_status(c[i], "after its reply") == 0, "%s: the "
		    "exit status should be 0; %s", what, h_ending(c[i]));
	}
}

/*
 * A stranger sends word to the client at cport; the client's next line
 * must report it.  Once it has, the client is in its loop of waits: it
 * has fixed its deadline, and will ask how much time is left.  A client
 * that gives up instead, just after the wall clock jumped forward, has
 * its deadline on the wall clock: when says so.
 */
static void
stranger_says(struct h_proc *c, int stranger, uint16_t cport,
    const char *word, const char *when)
{
	char want[128];
	const char *line;

	h_udp_send(stranger, "127.0.0.1", cport, word, strlen(word));
	datagram_line(want, sizeof(want), "ignored", word, strlen(word),
	    "127.0.0.1", h_udp_port(stranger));
	line = h_line(c, h_ms(SHOW_MS));
	cr_assert(line == NULL || strncmp(line, "no reply within ", 16) != 0,
	    "%s: expected the line\n  %s\ngot\n  %s\nThe client gave up at "
	    "once: its deadline is on the wall clock. Setting the date must "
	    "not move it: use CLOCK_MONOTONIC (net_deadline() and "
	    "net_ms_left() do)", when, want, line);
	cr_assert(line != NULL && strcmp(line, want) == 0, "%s: expected the "
	    "line\n  %s\ngot\n  %s\n%s", when, want, line ? line :
	    "(no line)", h_ending(c));
}

/*
 * The deadline is on the monotonic clock: the wall clock jumps an hour
 * forward while the client waits for "one", and two hours back while it
 * waits for "two", and each time a stranger's datagram wakes it so that
 * it asks how much time is left.  The answers must not move.  A first
 * stranger's datagram before each jump makes sure that the client fixed
 * its deadline before it: the jump must fall inside the wait.
 */
Test(checked_client, a_timeout_is_not_moved_by_the_wall_clock)
{
	static const char *const test =
	    "checked_client::a_timeout_is_not_moved_by_the_wall_clock";
	static const char *const msgs[] = { "one", "two", NULL };
	const char *clock;
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	int stranger = h_udp_open("127.0.0.1");
	/* Long enough for a slow client (valgrind) to see both strangers. */
	const long t = 1500 * h_time_factor();
	struct h_proc *c;
	char want[64];
	const char *line;
	uint16_t cport;
	long asked;
	long waited;

	clock = h_fake_wall_clock(test, "+0");
	c = start_client(t, "127.0.0.1", sport, msgs, NULL, 0);
	cport = expect_message(c, srv, "one", "the first message");
	expect_sent(c, 3, "127.0.0.1", sport, "the first message");
	stranger_says(c, stranger, cport, "tick", "a stranger's datagram "
	    "while the client waits for the reply to \"one\"");
	h_move_wall_clock(clock, "+3600");
	stranger_says(c, stranger, cport, "tock", "a stranger's datagram, "
	    "just after the wall clock jumped an hour forward");
	line = h_line(c, 300);
	cr_assert(line == NULL, "with -t %ld, the wall clock jumped an hour "
	    "forward while the client waited for the reply to \"one\", and "
	    "then it printed \"%s\" at once: its deadline is on the wall "
	    "clock. Setting the date must not move it: use CLOCK_MONOTONIC "
	    "(net_deadline() and net_ms_left() do)", t, line);
	h_udp_send(srv, "127.0.0.1", cport, "1", 1);
	expect_received(c, "1", 1, "127.0.0.1", sport, "the reply to \"one\", "
	    "before its timeout");

	expect_message(c, srv, "two", "the second message");
	asked = h_now_ms();
	expect_sent(c, 3, "127.0.0.1", sport, "the second message");
	stranger_says(c, stranger, cport, "tick", "a stranger's datagram "
	    "while the client waits for the reply to \"two\"");
	h_move_wall_clock(clock, "-3600");
	stranger_says(c, stranger, cport, "tock", "a stranger's datagram, "
	    "just after the wall clock jumped two hours back");
	line = h_line(c, t + h_ms(1000));
	waited = h_now_ms() - asked;
	cr_assert(line != NULL || h_wait(c, 0) != -1, "with -t %ld, the "
	    "wall clock jumped two hours back while the client waited for "
	    "the reply to \"two\", and %ld ms after sending it was still "
	    "waiting: its deadline is on the wall clock, which now says it "
	    "has hours to go. Use CLOCK_MONOTONIC (net_deadline() and "
	    "net_ms_left() do)", t, waited);
	cr_assert(line != NULL, "\"two\" got no reply, and the client "
	    "printed no line for it; %s", h_ending(c));
	snprintf(want, sizeof(want), "no reply within %ld ms", t);
	cr_assert(strcmp(line, want) == 0, "\"two\" got no reply: expected "
	    "\"%s\", got \"%s\"", want, line);
	cr_assert(exit_status(c, "after its last message") == 1, "\"two\" got "
	    "no reply: the exit status should be 1; %s", h_ending(c));
}

/* While it waits for a reply that does not come, the client sleeps. */
Test(checked_client, sleeps_while_it_waits)
{
	static const char *const msgs[] = { "anyone?", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(2600, "127.0.0.1", sport, msgs, NULL,
	    0);
	const char *line;
	long cpu0;
	long t0;

	expect_message(c, srv, "anyone?", "the message \"anyone?\"");
	expect_sent(c, 7, "127.0.0.1", sport, "the message \"anyone?\"");
	cpu0 = h_cpu_ms(c);
	t0 = h_now_ms();
	line = h_line(c, 2100);
	cr_assert(line == NULL, "with -t 2600 the client printed \"%s\" %ld ms "
	    "after it sent", line, h_now_ms() - t0);
	h_expect_sleeping(c, cpu0, t0, "waiting 2600 ms for a reply that "
	    "does not come");
	expect_line(c, "no reply within 2600 ms", "no reply, with -t 2600");
	cr_assert(exit_status(c, "after \"no reply within 2600 ms\"") == 1,
	    "the message got no reply: the exit status should be 1; %s",
	    h_ending(c));
}

/* size bytes that need every kind of escape, the same for every call. */
static unsigned char *
pattern(size_t size, unsigned seed)
{
	unsigned char *p = malloc(size > 0 ? size : 1);

	cr_assert(p != NULL, "malloc");
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)((i * 7 + seed) % 256);
	return p;
}

/*
 * The client's next line must be "WHAT LEN bytes from HOST port P:
 * "ESCAPED"" for a datagram of len bytes; a long one is not shown whole
 * in the message, only its start and the byte count the client gave.
 */
static void
expect_datagram_line(struct h_proc *c, const char *what, const void *data,
    size_t len, const char *host, uint16_t port, const char *why)
{
	char *escaped = h_escape(data, len);
	size_t cap = strlen(escaped) + 128;
	char *want = malloc(cap);
	const char *line = h_line(c, h_ms(SHOW_MS));
	char head[64];
	long got_len = -1;

	cr_assert(want != NULL, "malloc");
	snprintf(want, cap, "%s %zu bytes from %s port %u: \"%s\"", what, len,
	    host, (unsigned)port, escaped);
	free(escaped);
	snprintf(head, sizeof(head), "%s %%ld bytes", what);
	if (line != NULL && sscanf(line, head, &got_len) != 1)
		got_len = -1;
	cr_assert(line == NULL || got_len == -1 || got_len == (long)len,
	    "%s: a datagram of %zu bytes, and the client printed a line for "
	    "%ld bytes:\n  %.100s...\nrecvfrom() cuts a datagram to the size "
	    "of the buffer it is given: receive into one that holds the "
	    "largest datagram (NET_MAX_DATAGRAM, 65527 bytes for IPv6)", why,
	    len, got_len, line);
	cr_assert(line != NULL && strcmp(line, want) == 0, "%s: expected the "
	    "line (%zu characters)\n  %.100s...\ngot (%zu characters)\n  "
	    "%.100s...\n%s", why, strlen(want), want,
	    line ? strlen(line) : 0, line ? line : "(no line)", h_ending(c));
	free(want);
}

/* Replies on either side of 1 KiB and 4 KiB, two widths of a buffer. */
Test(checked_client, prints_long_replies_whole)
{
	static const char *const msgs[] = { "a", "b", "c", "d", NULL };
	static const size_t sizes[] = { 1024, 1025, 4096, 4097 };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c = start_client(0, "127.0.0.1", sport, msgs, NULL, 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *reply = pattern(sizes[i], (unsigned)i);
		char why[128];
		uint16_t cport;

		snprintf(why, sizeof(why), "message %zu, answered with %zu "
		    "bytes", i + 1, sizes[i]);
		cport = expect_message(c, srv, msgs[i], why);
		h_udp_send(srv, "127.0.0.1", cport, reply, sizes[i]);
		expect_sent(c, 1, "127.0.0.1", sport, why);
		expect_datagram_line(c, "received", reply, sizes[i],
		    "127.0.0.1", sport, why);
		free(reply);
	}
	cr_assert(exit_status(c, "after its last reply") == 0, "every message "
	    "got its reply: the exit status should be 0; %s", h_ending(c));
}

/*
 * The largest datagram each way, over each family: 65507 bytes over IPv4,
 * 65527 over IPv6, as the message and as the reply.
 */
static void
check_largest(const char *host, size_t size)
{
	/* As an argument the message is a string: letters, then a NUL. */
	char *msg = malloc(size + 1);
	unsigned char *reply = pattern(size, 2);
	unsigned char *got = malloc(size + 1);
	int srv = h_udp_open(host);
	uint16_t sport = h_udp_port(srv);
	struct sockaddr_storage from;
	struct h_proc *c;
	char why[128];
	ssize_t n;

	cr_assert(msg != NULL && got != NULL, "malloc");
	for (size_t i = 0; i < size; i++)
		msg[i] = (char)('a' + i % 26);
	msg[size] = '\0';
	c = start_client(0, host, sport, (const char *[]){ msg, NULL }, NULL,
	    0);
	snprintf(why, sizeof(why), "a message of %zu bytes over %s, the "
	    "largest datagram there", size, host);
	n = expect_request(c, srv, got, size + 1, &from, why);
	cr_assert(n == (ssize_t)size && memcmp(got, msg, size) == 0, "%s "
	    "reached the server as %zd bytes", why, n);
	h_udp_send(srv, host, h_sockaddr_port(&from), reply, size);
	expect_sent(c, size, host, sport, why);
	snprintf(why, sizeof(why), "a reply of %zu bytes over %s, the "
	    "largest datagram there", size, host);
	expect_datagram_line(c, "received", reply, size, host, sport, why);
	cr_assert(exit_status(c, "after its reply") == 0, "%s: the exit "
	    "status should be 0; %s", why, h_ending(c));
	free(msg);
	free(reply);
	free(got);
}

Test(checked_client, sends_and_prints_the_largest_datagrams)
{
	check_largest("127.0.0.1", 65507);
	check_largest("::1", 65527);
}

/*
 * A message one byte longer than the largest IPv4 datagram: sendto fails
 * (EMSGSIZE), the client says so and stops, exit 1, and the message after
 * it is never sent.
 */
Test(checked_client, a_message_too_long_to_send_stops_the_client)
{
	char *big = malloc(65508 + 1);
	const char *reason = strerror(EMSGSIZE);
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	struct h_proc *c;
	const char *line;
	char got[16];
	int status;
	ssize_t n;

	cr_assert(big != NULL, "malloc");
	memset(big, 'y', 65508);
	big[65508] = '\0';
	c = start_client(500, "127.0.0.1", sport,
	    (const char *[]){ "a", big, "b", NULL }, NULL, 0);
	free(big);
	h_udp_send(srv, "127.0.0.1", expect_message(c, srv, "a", "the first "
	    "message, \"a\""), "1", 1);
	expect_sent(c, 1, "127.0.0.1", sport, "the first message, \"a\"");
	expect_received(c, "1", 1, "127.0.0.1", sport, "the first reply");
	status = exit_status(c, "after the second message, 65508 bytes, "
	    "failed to go out");
	line = h_line(c, 0);
	cr_assert(line == NULL || (strncmp(line, "sent 65508 ", 11) != 0 &&
	    strncmp(line, "sent -1 ", 8) != 0), "the second message is 65508 "
	    "bytes, one more than the largest IPv4 datagram, so sendto() "
	    "fails (%s); the client printed\n  %s\nafter the first reply. "
	    "Check what sendto() returns: on -1, say why on stderr and stop, "
	    "and print no \"sent\" line", reason, line);
	n = h_udp_recv(srv, got, sizeof(got), 0, NULL);
	cr_assert(line == NULL && n == -1, "after a message that could not be "
	    "sent, the client should stop, but it %s%s%s",
	    n != -1 ? "sent the next message" : "",
	    n != -1 && line != NULL ? " and printed: " :
	    line != NULL ? "printed: " : "", line != NULL ? line : "");
	cr_assert(strstr(h_stderr(c), "sendto") != NULL &&
	    strstr(h_stderr(c), reason) != NULL, "a message of 65508 bytes "
	    "cannot be sent: stderr should say \"checked-client: sendto ...: "
	    "%s\"; %s", reason, h_ending(c));
	cr_assert(status == 1, "sendto() failed: the exit status should be "
	    "1, got %d; %s", status, h_ending(c));
}

/*
 * Standard output is /dev/full, where every write fails (ENOSPC): the
 * client must say so on stderr and exit 1, though every message gets its
 * reply.  sh makes the redirection (h_spawn has no option for it), and
 * runs the client under valgrind when the harness would.
 */
Test(checked_client, a_failed_write_to_stdout_exits_1)
{
	static char *const vg[] = { "valgrind", "-q", "--error-exitcode=99",
		"--leak-check=full", "--show-leak-kinds=definite,indirect",
		"--errors-for-leak-kinds=definite,indirect",
		"--child-silent-after-fork=yes", NULL };
	const char *reason = strerror(ENOSPC);
	int srv = h_udp_open("127.0.0.1");
	char port[8];
	char *argv[24];
	struct h_proc *c;
	long give_up;
	int status = -1;
	int answered = 0;
	int n = 0;

	snprintf(port, sizeof(port), "%u", (unsigned)h_udp_port(srv));
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "exec \"$@\" >/dev/full";
	argv[n++] = "sh";
	for (int i = 0; h_valgrind() && vg[i] != NULL; i++)
		argv[n++] = vg[i];
	argv[n++] = (char *)h_lab_program();
	argv[n++] = "-t";
	argv[n++] = "300";
	argv[n++] = "127.0.0.1";
	argv[n++] = port;
	argv[n++] = "one";
	argv[n++] = "two";
	argv[n] = NULL;
	c = h_spawn(argv, &(struct h_opts){ .wrap = false });
	/* Answer whatever comes, until the client exits (at most 2). */
	give_up = h_now_ms() + h_ms(SHOW_MS);
	while (status == -1 && h_now_ms() < give_up) {
		struct sockaddr_storage from;
		char got[16];

		if (answered < 2 && h_udp_recv(srv, got, sizeof(got), 50,
		    &from) != -1) {
			h_udp_send(srv, "127.0.0.1", h_sockaddr_port(&from),
			    "ok", 2);
			answered++;
		}
		status = h_wait(c, answered < 2 ? 0 : 50);
	}
	cr_assert(status != -1, "with stdout on /dev/full the client was "
	    "still running after %ld ms", h_ms(SHOW_MS));
	cr_assert(status == 1 && strstr(h_stderr(c), reason) != NULL,
	    "with stdout on /dev/full every write to it fails (%s); the "
	    "client should say \"checked-client: stdout: %s\" and exit 1, "
	    "but %s. Check what printf() returns, and fflush(stdout) before "
	    "exit: the last line may wait in the buffer until then", reason,
	    reason, h_ending(c));
}

/*
 * Several failures in one run: a stranger during the first message, and
 * no message answered.  The exit status is 1 however many timed out.
 */
Test(checked_client, exits_1_however_many_messages_time_out)
{
	static const char *const msgs[] = { "one", "two", "three", NULL };
	int srv = h_udp_open("127.0.0.1");
	uint16_t sport = h_udp_port(srv);
	int stranger = h_udp_open("127.0.0.1");
	/* Long enough for a slow client (valgrind) to see the stranger. */
	const long t = 200 * h_time_factor();
	struct h_proc *c = start_client(t, "127.0.0.1", sport, msgs, NULL, 0);
	char want[128];
	char none[64];
	int status;

	h_udp_send(stranger, "127.0.0.1", expect_message(c, srv, "one",
	    "the first message"), "noise", 5);
	expect_message(c, srv, "two", "the second message");
	expect_message(c, srv, "three", "the third message");
	status = exit_status(c, "after its three messages timed out");
	snprintf(none, sizeof(none), "no reply within %ld ms", t);
	expect_sent(c, 3, "127.0.0.1", sport, "the first message");
	datagram_line(want, sizeof(want), "ignored", "noise", 5, "127.0.0.1",
	    h_udp_port(stranger));
	expect_line(c, want, "a stranger answered the first message");
	expect_line(c, none, "the first message");
	expect_sent(c, 3, "127.0.0.1", sport, "the second message");
	expect_line(c, none, "the second message");
	expect_sent(c, 5, "127.0.0.1", sport, "the third message");
	expect_line(c, none, "the third message");
	cr_assert(status == 1, "three messages timed out (and a stranger "
	    "answered one): the exit status should be 1, however many timed "
	    "out, got %d%s", status, status == 3 ? ": the number of "
	    "unanswered messages is no exit status (2 would be a usage "
	    "error, 256 would be 0)" : "");
}

/*
 * A host given by name: the lines show the address it resolved to,
 * numeric, and the client sends to the first address getaddrinfo gives
 * (the test asks getaddrinfo the same question, and listens there only).
 */
Test(checked_client, prints_the_address_a_name_resolved_to)
{
	static const char *const msgs[] = { "hello", NULL };
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	struct net_addrstr first;
	struct sockaddr_storage from;
	struct h_proc *c;
	char got[16];
	char want[128];
	const char *line;
	uint16_t sport;
	int srv;

	if (getaddrinfo("localhost", "9", &hints, &ai) != 0)
		h_skip("checked_client::prints_the_address_a_name_resolved_to",
		    "it needs the name localhost, which does not resolve here");
	cr_assert(getnameinfo(ai->ai_addr, ai->ai_addrlen, first.host,
	    sizeof(first.host), NULL, 0, NI_NUMERICHOST) == 0, "getnameinfo");
	freeaddrinfo(ai);
	srv = h_udp_open(first.host);
	sport = h_udp_port(srv);
	c = start_client(0, "localhost", sport, msgs, NULL, 0);
	expect_request(c, srv, got, sizeof(got), &from, "checked-client "
	    "localhost PORT hello: the message, to localhost's first address");
	h_udp_send(srv, first.host, h_sockaddr_port(&from), "hi", 2);
	snprintf(want, sizeof(want), "sent 5 bytes to %s port %u", first.host,
	    (unsigned)sport);
	line = h_line(c, h_ms(SHOW_MS));
	cr_assert(line != NULL && strcmp(line, want) == 0, "checked-client "
	    "localhost %u hello: expected the line\n  %s\ngot\n  %s\nADDR is "
	    "the address the name resolved to, numeric, as net_addrstr() "
	    "prints it; not the host as given on the command line; %s",
	    (unsigned)sport, want, line ? line : "(no line)", h_ending(c));
	expect_received(c, "hi", 2, first.host, sport, "the reply from "
	    "localhost's first address");
	cr_assert(exit_status(c, "after its reply") == 0, "the message got "
	    "its reply: the exit status should be 0; %s", h_ending(c));
}
