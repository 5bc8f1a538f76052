/*
 * harness.h - what every udplab test does: start real programs, read what
 * they print, talk to them over loopback, and end them.
 *
 * Every wait has its own deadline (scaled by UDPLAB_TIME_FACTOR, for
 * sanitizer and valgrind runs) and every process a test starts is ended
 * and reaped, by the test or by h_cleanup() in the suite's .fini.
 *
 * Environment:
 *   UDPLAB_BIN          folder of the built programs (h_prog)
 *   UDPLAB_PROGRAM      the lab program under test (h_lab_program)
 *   UDPLAB_TIME_FACTOR  multiplies every deadline (default 1)
 *   UDPLAB_VALGRIND=1   run udplab programs under valgrind
 *   UDPLAB_SANITIZED=1  the programs are built with ASan+UBSan
 *   UDPLAB_TEST         SUITE/NAME: run that one test alone, its exact
 *                       name as --list shows it (no patterns, unlike
 *                       --filter); exit 2 if the suite has no such test
 */
#ifndef UDPLAB_HARNESS_H
#define UDPLAB_HARNESS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/*
 * The timeout every test declares, in seconds.  Under parallel jobs
 * Criterion 2.4 can let a test run past a longer .timeout, so no test
 * relies on it: every wait has its own deadline, and run-suites puts the
 * whole runner under timeout(1).
 */
#define H_TEST_TIMEOUT 120

struct h_proc;

struct h_opts {
	const void *stdin_data; /* written to the child's stdin, then EOF */
	size_t stdin_len;
	bool wrap;              /* under valgrind when UDPLAB_VALGRIND=1 */
	size_t keep;            /* keep this much of stdout and stderr (0: all) */
};

/* Suite fixtures: h_init ignores SIGPIPE; h_cleanup ends every process. */
void h_init(void);
void h_cleanup(void);

/* A deadline of ms milliseconds, stretched by UDPLAB_TIME_FACTOR. */
long h_ms(long ms);
/* Monotonic milliseconds, to measure how long something took. */
long h_now_ms(void);
/* The UDPLAB_TIME_FACTOR itself (at least 1). */
long h_time_factor(void);
/* Whether udplab programs run under valgrind (UDPLAB_VALGRIND=1). */
bool h_valgrind(void);
/* Whether they are built with ASan+UBSan (UDPLAB_SANITIZED=1), whose
 * quarantine keeps freed memory by design. */
bool h_sanitized(void);

/* Start a program: argv[0] is a path or a name searched in PATH. */
struct h_proc *h_spawn(char *const argv[], const struct h_opts *o);
/* A udplab program from UDPLAB_BIN, with NULL-terminated arguments. */
struct h_proc *h_prog(const char *name, ...);
/* A third-party tool (nc, socat, python3), never under valgrind. */
struct h_proc *h_tool(const char *name, ...);
/* The path of a udplab program, or of the lab program under test. */
const char *h_bin(const char *name);
const char *h_lab_program(void);

/*
 * Start a server ("PROG [HOST] 0"; HOST may be NULL), read its first line,
 * and return the port that line ends with.  Fails the test if the line
 * does not come in time or does not end "port N".
 */
struct h_proc *h_server(const char *path, const char *host, uint16_t *port);
/* The same with extra arguments before HOST (NULL-terminated). */
struct h_proc *h_server_args(const char *path, const char *const *opts,
    const char *host, uint16_t *port);
/* Any command whose first line ends "port N" (a tool when wrap is false). */
struct h_proc *h_server_cmd(char *const argv[], bool wrap, uint16_t *port);
/* The same, started with options o (how much output to keep, say). */
struct h_proc *h_server_opts(char *const argv[], const struct h_opts *o,
    uint16_t *port);

/*
 * The next line on the child's stdout, without its newline, or NULL when
 * none came within ms (or the child closed stdout).  The string lives as
 * long as the process record.
 */
const char *h_line(struct h_proc *p, long ms);
/* Skip lines until one starts with prefix; NULL when none came in time. */
const char *h_line_starting(struct h_proc *p, const char *prefix, long ms);
/* Wait until stdout/stderr contains needle; false when not in time. */
bool h_stdout_has(struct h_proc *p, const char *needle, long ms);
bool h_stderr_has(struct h_proc *p, const char *needle, long ms);
/* All output so far (NUL-terminated copies the record owns). */
const char *h_stdout(struct h_proc *p);
/* All the bytes stdout has carried, kept (h_opts.keep) or not. */
size_t h_stdout_total(struct h_proc *p);
const char *h_stderr(struct h_proc *p);

/*
 * Wait at most ms for the process to exit on its own.  Returns its exit
 * status (0-255), 128+N if a signal N killed it, or -1 if it is still
 * running (it is then left running).  A sanitizer or valgrind report in its
 * stderr fails the test.
 */
int h_wait(struct h_proc *p, long ms);
/* Send sig, then wait for the exit as h_wait does; a process that does not
 * exit in time is killed and fails the test. */
int h_stop(struct h_proc *p, int sig);
/*
 * Send sig to a server that may let the signal's default action end it
 * (lessons 01-05) or catch it and exit 0, and check that it ended either
 * way within h_ms(2000), with nothing on stderr.
 */
void h_expect_ends(struct h_proc *p, int sig);
/*
 * Send sig (SIGINT or SIGTERM) to a server that promises a clean stop and
 * check that it exits 0 within h_ms(5000); the message names the likely
 * mistake when it dies of the signal or does not stop.
 */
void h_expect_clean_stop(struct h_proc *p, int sig);
pid_t h_pid(struct h_proc *p);

/*
 * The CPU time (user + system) the process has used so far, in ms: from
 * /proc/PID/stat while it runs, from wait4()'s rusage once reaped.
 */
long h_cpu_ms(struct h_proc *p);
/*
 * Check that p slept through a wait: from cpu0 (h_cpu_ms then) and t0
 * (h_now_ms then) until now it may have used at most a fifth of the wall
 * time on the CPU.  what names the wait: "waiting 3000 ms for a reply".
 * Make the wait at least 2 s.  Not checked under valgrind.
 */
void h_expect_sleeping(struct h_proc *p, long cpu0, long t0, const char *what);
/*
 * How p ended, for a failure message: "it exited with status 1; its
 * stderr ends: ..." with the last lines of its stderr (a program's own
 * error says why it gave up).  The text lives until the next call.
 */
const char *h_ending(struct h_proc *p);

/* Skip the test, saying why where run-suites shows it ("skipped: ..."). */
void h_skip(const char *test, const char *why);
/* The same for a test that could not finish in time, which may be the
 * program's doing: when graded (UDPLAB_SANDBOX), a failure instead. */
void h_too_slow(const char *test, const char *why);
/*
 * Run this same runner again, with --filter filter, inside a user and
 * network namespace of its own (unshare -rn) whose loopback is up, after
 * the shell commands setup (e.g. "echo 1 >/proc/sys/net/ipv6/bindv6only"),
 * and fail when a test there fails.  Skips, naming why, where the system
 * allows no such namespace (as root, a network namespace alone).  The
 * tests filter names check h_in_netns() and skip outside it, and live in
 * suites whose names end in _netns: the grader (scripts/grade) grades the
 * test that runs them, never them alone.
 */
void h_rerun_in_netns(const char *test, const char *setup, const char *filter);
bool h_in_netns(void);
/*
 * A setup for h_rerun_in_netns: two links, v0 and w0 (each a veth pair:
 * this kernel has no dummy ones), both carrying the link-local fe80::1,
 * so that two senders differ by their scope alone.
 */
#define H_TWO_LINKS "ip link add v0 type veth peer name v1 && "           \
	"ip link add w0 type veth peer name w1 && "                       \
	"for d in v0 v1 w0 w1; do ip link set $d up || exit 1; done && "  \
	"ip -6 addr add fe80::1/64 dev v0 nodad && "                      \
	"ip -6 addr add fe80::1/64 dev w0 nodad"
/*
 * Wait until p sleeps in a system call (state S in /proc/PID/stat) twice
 * in a row: waiting in its poll(), not passing through.  A test moves
 * the clock under a program only then, so that the jump falls in a wait.
 */
void h_wait_asleep(struct h_proc *p);
/*
 * Move the wall clock (CLOCK_REALTIME, time(), gettimeofday()) of the
 * programs this test starts from now on, with libfaketime: offset is
 * libfaketime's, "+0" or "-3600" seconds, or an instant the clock stays
 * at, "2026-01-05 07:08:09".  The monotonic clock, and so
 * poll() timeouts, run on untouched.  Returns the timestamp file, for
 * h_move_wall_clock() to jump the clock while they run.  Skips the test,
 * naming test, where libfaketime is missing.
 */
const char *h_fake_wall_clock(const char *test, const char *offset);
void h_move_wall_clock(const char *file, const char *offset);
const char *h_faketime_library(void);

/* Make fd close-on-exec: a descriptor of the test's, not the child's. */
void h_cloexec(int fd);

/* UDP over loopback.  host is numeric: "127.0.0.1" or "::1". */
int h_udp_open(const char *host);
/* A socket bound to host and port: a stranger's, or a low port's. */
int h_udp_open_port(const char *host, uint16_t port);
uint16_t h_udp_port(int fd);
/*
 * A UDP port that was free on host a moment ago, for the few tests that
 * check a server binds the port it is given (all others pass 0, so that
 * tests in parallel never collide).  The kernel hands out ports at random
 * over some 28000, so another taker in between is unlikely, not impossible.
 */
uint16_t h_free_port(const char *host);
void h_udp_send(int fd, const char *host, uint16_t port, const void *buf,
    size_t len);
/* A datagram within ms: its length, or -1 on timeout.  from may be NULL. */
ssize_t h_udp_recv(int fd, void *buf, size_t cap, long ms,
    struct sockaddr_storage *from);
/*
 * The same, for a datagram that only p sends, to fd itself (not through a
 * relay, which may still hold one when p ends): -1 when none came within
 * ms, or as soon as p has ended with none left to read, since no more can
 * come.  h_wait(p, 0) != -1 then tells the two apart, and h_ending(p) says
 * how p ended.
 */
ssize_t h_udp_recv_while(struct h_proc *p, int fd, void *buf, size_t cap,
    long ms, struct sockaddr_storage *from);
/* host (numeric) and port as a socket address; returns its length. */
socklen_t h_sockaddr(const char *host, uint16_t port,
    struct sockaddr_storage *ss);
/* The port a sockaddr carries. */
uint16_t h_sockaddr_port(const struct sockaddr_storage *ss);

/*
 * Start a server (argv: its command line with port 0, NULL-terminated),
 * flood it with datagrams from 127.0.0.1, send it SIGTERM 300 ms in, and
 * go on flooding for h_ms(1000): it must exit 0 before that second is up.
 * Linux's pselect returns at once for a readable socket without
 * delivering a pending signal, so a server that waits only in pselect
 * never sees SIGTERM while a flood lasts.  To make the flood one that no
 * server can outrun, whatever else the machine does, the server runs
 * under strace(1), which holds each of its receiving calls for 2 ms: it
 * then reads at most 500 datagrams a second, and its socket (a few
 * hundred datagrams) stays full as long as our sender gets the CPU once
 * in half a second.  Under valgrind (UDPLAB_VALGRIND=1) strace is left
 * out: the harness puts valgrind in front of the server, and valgrind
 * alone makes it slow enough.
 */
void h_expect_flood_stop(char *const server_argv[]);

/* Escape bytes the way udplab prints them, independently of net.c. */
char *h_escape(const void *data, size_t len);

/*
 * The command-line contract every udplab program keeps.
 *
 * h_expect_usage runs argv (argv[0] the program, NULL-terminated) and
 * checks a usage error: exit 2, nothing on stdout, and stderr ending in a
 * line that starts with usage (a whole usage line, or just "usage: "),
 * after at most one line saying what was wrong.  why names the case in
 * the messages: "port 65536".
 */
void h_expect_usage(char *const argv[], const char *usage, const char *why);

/*
 * A host name that never resolves, and fails at once: .invalid is reserved
 * (RFC 2606), and the empty label between the dots is one that no DNS
 * query can carry, so no name server is asked.
 */
#define H_BAD_HOST "nosuchhost..invalid"

/*
 * h_expect_unresolvable runs argv, which names H_BAD_HOST, and checks a
 * runtime failure: exit 1, nothing on stdout, and stderr the one line
 * "PROG: HOST: REASON", PROG argv[0]'s last part (what err(3) prints) and
 * REASON gai_strerror's words for the name.  passive: argv is a server's,
 * which looks the name up with AI_PASSIVE.
 */
void h_expect_unresolvable(char *const argv[], bool passive);

#endif
