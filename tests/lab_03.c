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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "net.h"

TestSuite(checked_client, .init = h_init, .fini = h_cleanup,
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

/* The client's next line, which must be want; what says which line. */
static void
expect_line(struct h_proc *c, const char *want, const char *what)
{
	const char *line = h_line(c, h_ms(SHOW_MS));

	cr_assert(line != NULL && strcmp(line, want) == 0,
	    "%s: expected the line\n  %s\ngot\n  %s\n(stderr: %s)", what,
	    want, line ? line : "(no line)", h_stderr(c));
}

/* The request the server socket must receive; returns its length. */
static ssize_t
expect_request(int srv, void *buf, size_t cap, struct sockaddr_storage *from,
    const char *what)
{
	ssize_t n = h_udp_recv(srv, buf, cap, h_ms(SHOW_MS), from);

	cr_assert(n != -1, "%s never reached the server within %ld ms",
	    what, h_ms(SHOW_MS));
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
expect_message(int srv, const char *msg, const char *what)
{
	struct sockaddr_storage from;
	char got[64];
	ssize_t n = expect_request(srv, got, sizeof(got), &from, what);

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

	for (int i = 0; msgs[i] != NULL; i++) {
		char reply[64];
		char what[128];
		uint16_t cport;
		int len;

		snprintf(what, sizeof(what), "%s, message %d (\"%s\")", how,
		    i + 1, msgs[i]);
		cport = expect_message(srv, msgs[i], what);
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
 * port number if same_port) answers first, then the server answers.  who
 * says how the stranger differs from the server, and hint what a client
 * that took its datagram as the reply got wrong.
 */
static void
check_stranger(const char *host, const char *stranger_host, bool same_port,
    const char *who, const char *hint)
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

	expect_request(srv, got, sizeof(got), &from, "the message \"hello\"");
	h_udp_send(stranger, host, h_sockaddr_port(&from), fake,
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
	    "got\n  %s\n%s", stranger_host, xport, who, want, line,
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
	    "%s: expected\n  %s\ngot\n  %s\n%s", what, want,
	    line ? line : "(no line)",
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

	expect_request(srv, got, sizeof(got), &from, "the message \"bytes?\"");
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

	cport = expect_message(srv, "one", "the first message");
	/* The client sends "two" only once it has "1", so after this. */
	asked = h_now_ms();
	h_udp_send(srv, "127.0.0.1", cport, "1", 1);
	expect_message(srv, "two", "the second message");
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

	expect_message(srv, "anyone?", "the message \"anyone?\"");
	expect_sent(c, 7, "127.0.0.1", sport, "the message \"anyone?\"");
	line = h_line(c, 1000 + h_ms(SHOW_MS));
	waited = h_now_ms() - started;
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

	expect_request(srv, got, sizeof(got), &from, "the message");
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

		n = expect_request(srv, got, sizeof(got), &from,
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

Test(checked_client, usage_errors_exit_2)
{
	static const struct {
		const char *args[6];
		const char *why;
	} cases[] = {
		{ { NULL }, "no arguments" },
		{ { "127.0.0.1", NULL }, "no port" },
		{ { "127.0.0.1", "9", NULL }, "no message" },
		{ { "127.0.0.1", "0", "hi", NULL }, "port 0" },
		{ { "127.0.0.1", "65536", "hi", NULL }, "port 65536" },
		{ { "127.0.0.1", "echo", "hi", NULL }, "a port name" },
		{ { "-t", "0", "127.0.0.1", "9", "hi", NULL }, "-t 0" },
		{ { "-t", "1s", "127.0.0.1", "9", "hi", NULL }, "-t 1s" },
		{ { "-x", "127.0.0.1", "9", "hi", NULL }, "an unknown option" },
		{ { "127.0.0.1", "9", "hi", "-", NULL },
		    "\"-\" with another message" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[8];
		int n = 0;

		argv[n++] = (char *)h_lab_program();
		for (int j = 0; cases[i].args[j] != NULL; j++)
			argv[n++] = (char *)cases[i].args[j];
		argv[n] = NULL;
		h_expect_usage(argv, "usage: ", cases[i].why);
	}
}
