/*
 * harness.c - start, watch, talk to and end the programs under test.
 *
 * Each child gets a thread that drains its stdout and stderr into memory,
 * so a chatty server never blocks on a full pipe while the test is busy
 * elsewhere; readers wait on a condition variable with a deadline.
 */
/* wait4(), which hands back what a reaped child used, is BSD's, not POSIX's. */
#define _DEFAULT_SOURCE
#include "harness.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define H_MAX_ARGS 32

struct h_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t total;            /* bytes read, kept or not */
	bool eof;
};

struct h_line {
	struct h_line *next;
	char text[];
};

struct h_proc {
	pid_t pid;
	bool reaped;
	int status;
	struct rusage usage;     /* once reaped: what it used */
	bool sandboxed;          /* started by UDPLAB_SANDBOX (see h_pid) */
	pid_t target;            /* the program itself, once found */
	long cpu_seen;           /* its CPU time (ms), last seen alive */
	char name[64];
	int out_fd;
	int err_fd;
	size_t keep;             /* bytes of each stream kept; 0: all */
	pthread_t drainer;
	bool draining;           /* drainer running, pipes open */
	bool checked;            /* its stderr was checked for reports */
	pthread_mutex_t lock;
	pthread_cond_t grew;
	struct h_buf out;
	struct h_buf err;
	size_t out_pos;          /* where h_line reads next */
	struct h_line *lines;    /* strings handed out, freed with the record */
	char *out_copy;
	char *err_copy;
};

/* The timestamp file of h_fake_wall_clock, removed by h_cleanup. */
static char fake_clock_file[512];

/* Every process this test started, ended and freed by h_cleanup. */
static struct h_proc **procs;
static size_t nprocs;

long
h_time_factor(void)
{
	const char *s = getenv("UDPLAB_TIME_FACTOR");
	long f = s ? strtol(s, NULL, 10) : 1;

	return f < 1 ? 1 : f;
}

long
h_ms(long ms)
{
	return ms * h_time_factor();
}

long
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
deadline_after(long ms, struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Milliseconds from now until an h_now_ms() deadline, at least 0. */
static long
ms_until_ms(long deadline)
{
	long left = deadline - h_now_ms();

	return left < 0 ? 0 : left;
}

static long
ms_until(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

/*
 * Each suite's main (this file is linked into every runner): Criterion's
 * own (its doc/internal.rst, "Providing your own main"), and UDPLAB_TEST.
 * The grader runs every test alone, a run each.  --filter would do, but
 * Criterion matches its pattern by Brzozowski derivatives, copying what is
 * left of the pattern at each character of each test's name: some 25 ms
 * of CPU a run, which for lab 05's 39 tests was a third of a grading's
 * CPU.  strcmp costs nothing.
 */
int
main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	const char *only = getenv("UDPLAB_TEST");
	int result = 0;

	if (only != NULL) {
		size_t found = 0;

		FOREACH_SET(struct criterion_suite_set *s, tests->suites) {
			size_t len = strlen(s->suite.name);
			bool suite = strncmp(only, s->suite.name, len) == 0 &&
			    only[len] == '/';

			FOREACH_SET(struct criterion_test *t, s->tests) {
				t->data->disabled = !suite ||
				    strcmp(only + len + 1, t->name) != 0;
				found += !t->data->disabled;
			}
		}
		if (found == 0) {
			fprintf(stderr, "UDPLAB_TEST=%s: no such test (SUITE/"
			    "NAME, exactly as --list shows it)\n", only);
			criterion_finalize(tests);
			return 2;
		}
		/* Not for the runner that a test starts in turn
		 * (h_rerun_in_netns): it chooses its own tests. */
		unsetenv("UDPLAB_TEST");
	}
	if (criterion_handle_args(argc, argv, true))
		result = !criterion_run_all_tests(tests);
	criterion_finalize(tests);
	return result;
}

void
h_init(void)
{
	/* A child that dies before reading its stdin must not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

/* ---------------------------------------------------------------------- */
/* Draining a child's output. */

static void
buf_append(struct h_buf *b, const char *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (b->len + len + 1 > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			abort();
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void *
drain(void *arg)
{
	struct h_proc *p = arg;
	struct pollfd pfd[2] = {
		{ .fd = p->out_fd, .events = POLLIN },
		{ .fd = p->err_fd, .events = POLLIN },
	};
	struct h_buf *bufs[2] = { &p->out, &p->err };
	int open_fds = 2;

	while (open_fds > 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			char chunk[65536];
			ssize_t n;

			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof(chunk));
			if (n == -1 && errno == EINTR)
				continue;
			pthread_mutex_lock(&p->lock);
			if (n > 0) {
				size_t room = (size_t)n;

				bufs[i]->total += (size_t)n;
				if (p->keep > 0)
					room = bufs[i]->len >= p->keep ? 0 :
					    p->keep - bufs[i]->len;
				if (room > (size_t)n)
					room = (size_t)n;
				if (room > 0)
					buf_append(bufs[i], chunk, room);
			} else {
				bufs[i]->eof = true;
				pfd[i].fd = -1;
				open_fds--;
			}
			pthread_cond_broadcast(&p->grew);
			pthread_mutex_unlock(&p->lock);
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Starting children. */

static void
reset_child_signals(void)
{
	struct sigaction dfl = { 0 };
	sigset_t none;

	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	/* Criterion (and we) may have ignored or caught signals, and an
	 * ignored signal stays ignored across exec. */
	for (int sig = 1; sig < 65; sig++)
		(void)sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

bool
h_sanitized(void)
{
	const char *v = getenv("UDPLAB_SANITIZED");

	return v != NULL && strcmp(v, "1") == 0;
}

bool
h_valgrind(void)
{
	const char *v = getenv("UDPLAB_VALGRIND");

	return v != NULL && strcmp(v, "1") == 0;
}

/*
 * No descriptor of the test process leaks into a child: every pipe end and
 * socket of ours is close-on-exec, so a program under test holds only its
 * own stdin, stdout and stderr (a leaked copy of a pipe's write end would
 * keep our reader from ever seeing end of file).
 */
void
h_cloexec(int fd)
{
	cr_assert(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "fcntl: %s",
	    strerror(errno));
}

/* In the child: make from its descriptor to, kept open across exec. */
static void
child_fd(int from, int to)
{
	if (from == to)
		(void)fcntl(to, F_SETFD, 0);
	else
		(void)dup2(from, to);	/* the copy is not close-on-exec */
}

/* name as execv wants it: a path, or the first match in PATH. */
static void
find_program(const char *name, char *path, size_t cap)
{
	const char *dirs = getenv("PATH");

	if (strchr(name, '/') != NULL || dirs == NULL) {
		snprintf(path, cap, "%s", name);
		return;
	}
	while (*dirs != '\0') {
		size_t len = strcspn(dirs, ":");

		/* An empty entry in PATH means the current folder. */
		snprintf(path, cap, "%.*s/%s", len ? (int)len : 1,
		    len ? dirs : ".", name);
		if (access(path, X_OK) == 0)
			return;
		dirs += len + (dirs[len] == ':');
	}
	cr_assert_fail("cannot run %s: not found in PATH (sh "
	    "scripts/install-deps test installs what the tests run)", name);
}

/*
 * The grader (scripts/grade) runs a student's program in a sandbox: it sets
 * UDPLAB_SANDBOX to a command (scripts/sandbox-exec) that starts the program
 * named after it, and UDPLAB_SANDBOX_DEPTH to how many processes that
 * command keeps between us and the program (bubblewrap keeps two: itself
 * and the init of the program's PID namespace).  Only the program under
 * test goes in, and whatever command runs it (a test's sh -c 'exec "$0"
 * ...', the floods' strace): we are root when graded, and so would a
 * student's program be, run by a tool of ours outside.  What is seen is
 * the program's path as an argument of its own, as every test passes it;
 * a path written inside an sh -c script would not be.  The tools a test
 * runs beside the program stay out.
 */
static bool
graded(void)
{
	const char *box = getenv("UDPLAB_SANDBOX");

	return box != NULL && *box != '\0' && getenv("UDPLAB_PROGRAM") != NULL;
}

static bool
in_sandbox(char *const argv[])
{
	if (!graded())
		return false;
	for (int i = 0; argv[i] != NULL; i++)
		if (strcmp(argv[i], getenv("UDPLAB_PROGRAM")) == 0)
			return true;
	return false;
}

/*
 * UDPLAB_OUTPUT_CAP bounds what is kept of each stream of a program whose
 * test keeps it all: a program that floods stdout (a gigabyte, say) costs
 * the grader that many bytes of memory, not the flood.
 */
static size_t
output_cap(void)
{
	const char *v = getenv("UDPLAB_OUTPUT_CAP");

	return v != NULL ? (size_t)strtoull(v, NULL, 10) : 0;
}

/*
 * The environment of a sandboxed program, made before the fork: LD_PRELOAD
 * (libfaketime's, h_fake_wall_clock) moves to UDPLAB_SANDBOX_PRELOAD, which
 * sandbox-exec gives back to the program alone.  Loaded into the sandbox's
 * own commands, libfaketime would make its semaphore (FAKETIME_SHARED)
 * where the program, another user, cannot open it.
 */
static char **
sandbox_environ(void)
{
	static const char from[] = "LD_PRELOAD=";
	static const char to[] = "UDPLAB_SANDBOX_PRELOAD=";
	size_t n = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = calloc(n + 1, sizeof(*env));
	cr_assert(env != NULL, "calloc");
	for (size_t i = 0; i < n; i++) {
		const char *v = environ[i];

		if (strncmp(v, from, sizeof(from) - 1) != 0) {
			env[i] = strdup(v);
		} else {
			size_t len = sizeof(to) + strlen(v + sizeof(from) - 1);

			env[i] = malloc(len);
			if (env[i] != NULL)
				snprintf(env[i], len, "%s%s", to,
				    v + sizeof(from) - 1);
		}
		cr_assert(env[i] != NULL, "malloc");
	}
	return env;
}

static void
free_environ(char **env)
{
	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

struct h_proc *
h_spawn(char *const argv[], const struct h_opts *o)
{
	static const struct h_opts none = { 0 };
	char *args[H_MAX_ARGS + 16];
	char path[1024];
	int out[2], errp[2], in[2], status[2];
	struct h_proc *p;
	struct h_proc **grown;
	int n = 0;
	int child_errno = 0;
	char **env;
	ssize_t got;

	if (o == NULL)
		o = &none;
	if (o->wrap && h_valgrind()) {
		static char *vg[] = {
			"valgrind", "-q", "--error-exitcode=99",
			"--leak-check=full",
			"--show-leak-kinds=definite,indirect",
			"--errors-for-leak-kinds=definite,indirect",
			"--child-silent-after-fork=yes", NULL
		};
		for (int i = 0; vg[i] != NULL; i++)
			args[n++] = vg[i];
	}
	if (in_sandbox(argv))
		args[n++] = getenv("UDPLAB_SANDBOX");
	for (int i = 0; argv[i] != NULL; i++) {
		cr_assert(i < H_MAX_ARGS, "test harness: too many arguments");
		args[n++] = argv[i];
	}
	args[n] = NULL;
	find_program(args[0], path, sizeof(path));

	cr_assert(pipe(out) == 0 && pipe(errp) == 0 && pipe(in) == 0 &&
	    pipe(status) == 0, "pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		h_cloexec(out[i]);
		h_cloexec(errp[i]);
		h_cloexec(in[i]);
		h_cloexec(status[i]);
	}
	cr_assert(o->stdin_len < 65536,
	    "test harness: stdin data must fit in a pipe");

	p = calloc(1, sizeof(*p));
	cr_assert(p != NULL, "calloc");
	p->keep = o->keep > 0 ? o->keep : output_cap();
	p->sandboxed = in_sandbox(argv);
	/* A graded program's path is the grader's business: its name is
	 * what the student knows. */
	snprintf(p->name, sizeof(p->name), "%s", p->sandboxed &&
	    strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 :
	    argv[0]);
	pthread_mutex_init(&p->lock, NULL);
	{
		/* Deadlines are on the monotonic clock; so must the waits
		 * be. */
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&p->grew, &attr);
		pthread_condattr_destroy(&attr);
	}

	env = p->sandboxed ? sandbox_environ() : environ;
	p->pid = fork();
	cr_assert(p->pid != -1, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		/*
		 * From here to exec the child calls only async-signal-safe
		 * functions (signal-safety(7): fcntl, dup2, setpgid,
		 * sigaction, sigprocmask, execve, write, _exit) and prctl, a
		 * bare system call.  Another thread of ours (a drainer) may
		 * have held a lock, malloc's say, when we forked; in the
		 * child it would stay locked for ever.  That is why PATH was
		 * searched before the fork: execvp may allocate.  Every
		 * other descriptor of ours closes on exec.
		 */
		int e;

		/* If the test process dies, so does this child. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		(void)setpgid(0, 0);
		reset_child_signals();
		child_fd(in[0], 0);
		child_fd(out[1], 1);
		child_fd(errp[1], 2);
		execve(path, args, env);
		e = errno;
		(void)write(status[1], &e, sizeof(e));
		_exit(127);
	}
	if (env != environ)
		free_environ(env);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(status[1]);
	got = read(status[0], &child_errno, sizeof(child_errno));
	close(status[0]);
	if (got == (ssize_t)sizeof(child_errno)) {
		waitpid(p->pid, NULL, 0);
		cr_assert_fail("cannot run %s: %s", path,
		    strerror(child_errno));
	}
	if (o->stdin_len > 0)
		(void)write(in[1], o->stdin_data, o->stdin_len);
	close(in[1]);

	p->out_fd = out[0];
	p->err_fd = errp[0];
	cr_assert(pthread_create(&p->drainer, NULL, drain, p) == 0,
	    "pthread_create");
	p->draining = true;
	grown = realloc(procs, (nprocs + 1) * sizeof(*procs));
	cr_assert(grown != NULL, "realloc");
	procs = grown;
	procs[nprocs++] = p;
	return p;
}

static struct h_proc *
spawn_va(const char *path, bool wrap, va_list ap)
{
	char *argv[H_MAX_ARGS + 1];
	struct h_opts o = { .wrap = wrap };
	int n = 0;
	const char *a;

	argv[n++] = (char *)path;
	while ((a = va_arg(ap, const char *)) != NULL) {
		cr_assert(n < H_MAX_ARGS, "test harness: too many arguments");
		argv[n++] = (char *)a;
	}
	argv[n] = NULL;
	return h_spawn(argv, &o);
}

const char *
h_bin(const char *name)
{
	static char paths[8][512];
	static int next;
	const char *dir = getenv("UDPLAB_BIN");
	char *path = paths[next++ % 8];

	cr_assert(dir != NULL && *dir != '\0',
	    "UDPLAB_BIN is not set: run the tests with 'make check'");
	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

const char *
h_lab_program(void)
{
	const char *prog = getenv("UDPLAB_PROGRAM");

	cr_assert(prog != NULL && *prog != '\0',
	    "UDPLAB_PROGRAM is not set: say which program to test, "
	    "e.g. UDPLAB_PROGRAM=./my-solution");
	cr_assert(access(prog, X_OK) == 0,
	    "UDPLAB_PROGRAM=%s: %s", prog, strerror(errno));
	return prog;
}

struct h_proc *
h_prog(const char *name, ...)
{
	struct h_proc *p;
	va_list ap;

	va_start(ap, name);
	p = spawn_va(h_bin(name), true, ap);
	va_end(ap);
	return p;
}

struct h_proc *
h_tool(const char *name, ...)
{
	struct h_proc *p;
	va_list ap;

	va_start(ap, name);
	p = spawn_va(name, false, ap);
	va_end(ap);
	return p;
}

/*
 * h_server_cmd, with name for the server in every message (and report):
 * argv[0] may be a tool that runs it, as strace does for the floods.
 */
static struct h_proc *
server_named(char *const argv[], const struct h_opts *o, const char *name,
    uint16_t *port)
{
	struct h_proc *p = h_spawn(argv, o);
	const char *line;
	const char *tail;
	const char *next;
	long value;
	char *end;
	int status;

	snprintf(p->name, sizeof(p->name), "%s", name);
	line = h_line(p, h_ms(5000));
	if (line == NULL) {
		/* End of file, or no line in time: has it ended? */
		status = h_wait(p, h_ms(2000));
		cr_assert(status == -1, "%s ended (status %d) before its "
		    "first line; stderr: %.500s%s", name, status, h_stderr(p),
		    strstr(h_stderr(p), "PTRACE") != NULL ? " (this test runs "
		    "the server under strace, and ptrace is not allowed here)" :
		    "");
		cr_assert_fail("%s printed no first line within %ld ms "
		    "(stderr: %.500s)", name, h_ms(5000), h_stderr(p));
	}
	/* The last "port " on the line: the address may not contain one. */
	tail = NULL;
	for (next = strstr(line, "port "); next != NULL;
	    next = strstr(next + 1, "port "))
		tail = next;
	cr_assert(tail != NULL,
	    "the first line should end with \"port N\", got \"%s\"", line);
	errno = 0;
	value = strtol(tail + 5, &end, 10);
	cr_assert(*end == '\0' && errno == 0 && value > 0 && value < 65536,
	    "the first line should end with \"port N\" (N the bound port), "
	    "got \"%s\"", line);
	*port = (uint16_t)value;
	return p;
}

struct h_proc *
h_server_cmd(char *const argv[], bool wrap, uint16_t *port)
{
	return server_named(argv, &(struct h_opts){ .wrap = wrap }, argv[0],
	    port);
}

struct h_proc *
h_server_opts(char *const argv[], const struct h_opts *o, uint16_t *port)
{
	return server_named(argv, o, argv[0], port);
}

struct h_proc *
h_server_args(const char *path, const char *const *opts, const char *host,
    uint16_t *port)
{
	char *argv[H_MAX_ARGS + 1];
	int n = 0;

	argv[n++] = (char *)path;
	for (int i = 0; opts != NULL && opts[i] != NULL; i++) {
		cr_assert(n < H_MAX_ARGS - 2,
		    "test harness: too many arguments");
		argv[n++] = (char *)opts[i];
	}
	if (host != NULL)
		argv[n++] = (char *)host;
	argv[n++] = "0";
	argv[n] = NULL;
	return h_server_cmd(argv, true, port);
}

struct h_proc *
h_server(const char *path, const char *host, uint16_t *port)
{
	return h_server_args(path, NULL, host, port);
}

/* The first child of pid, or 0 while it has none. */
static pid_t
first_child(pid_t pid)
{
	char path[64];
	long child = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)pid, (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &child) != 1)
		child = 0;
	fclose(f);
	return (pid_t)child;
}

/* Whether pid runs the program prog (its name as the kernel keeps it). */
static bool
runs(pid_t pid, const char *prog)
{
	const char *base = strrchr(prog, '/');
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fgets(comm, sizeof(comm), f) == NULL)
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	base = base != NULL ? base + 1 : prog;
	/* proc(5): comm is the first 15 bytes of the name. */
	return strncmp(comm, base, 15) == 0;
}

/*
 * The pid a test signals and looks at.  In a sandbox, that is not our
 * child but a descendant UDPLAB_SANDBOX_DEPTH levels down, once it runs
 * the program (or one more, under strace): signalled in its place, the
 * sandbox would die and kill the program, never letting it catch the
 * signal.
 */
pid_t
h_pid(struct h_proc *p)
{
	const char *d = getenv("UDPLAB_SANDBOX_DEPTH");
	int depth = d != NULL ? atoi(d) : 0;
	long deadline = h_now_ms() + h_ms(5000);
	const char *prog = getenv("UDPLAB_PROGRAM");

	if (!p->sandboxed || p->reaped)
		return p->target > 0 ? p->target : p->pid;
	while (p->target == 0) {
		pid_t pid = p->pid;
		pid_t child;

		for (int i = 0; i < depth && pid != 0; i++)
			pid = first_child(pid);
		/* strace's child, when strace is what the sandbox runs. */
		if (pid != 0 && !runs(pid, prog) &&
		    (child = first_child(pid)) != 0 && runs(child, prog))
			pid = child;
		if (pid != 0 && runs(pid, prog))
			p->target = pid;
		else if (kill(p->pid, 0) == -1 || h_now_ms() > deadline)
			return p->pid;	/* gone, or never got that far */
		else
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 },
			    NULL);
	}
	return p->target;
}

/* ---------------------------------------------------------------------- */
/* Reading output. */

const char *
h_line(struct h_proc *p, long ms)
{
	struct timespec deadline;
	struct h_line *line = NULL;

	deadline_after(ms, &deadline);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		const char *start = p->out.data ? p->out.data + p->out_pos : "";
		const char *nl = p->out.data ? memchr(start, '\n',
		    p->out.len - p->out_pos) : NULL;

		if (nl != NULL) {
			size_t len = (size_t)(nl - start);

			line = malloc(sizeof(*line) + len + 1);
			if (line == NULL)
				abort();
			memcpy(line->text, start, len);
			line->text[len] = '\0';
			line->next = p->lines;
			p->lines = line;
			p->out_pos += len + 1;
			break;
		}
		if (p->out.eof)
			break;
		if (pthread_cond_timedwait(&p->grew, &p->lock,
		    &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return line ? line->text : NULL;
}

const char *
h_line_starting(struct h_proc *p, const char *prefix, long ms)
{
	struct timespec deadline;
	const char *line;

	deadline_after(ms, &deadline);
	do {
		line = h_line(p, ms_until(&deadline));
		if (line != NULL && strncmp(line, prefix, strlen(prefix)) == 0)
			return line;
	} while (line != NULL);
	return NULL;
}

/* Wait until the buffer holds needle, or it ends, or the deadline. */
static bool
buf_has(struct h_proc *p, struct h_buf *b, const char *needle, long ms)
{
	struct timespec deadline;
	bool found = false;

	deadline_after(ms, &deadline);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		found = b->data != NULL && strstr(b->data, needle) != NULL;
		if (found || b->eof)
			break;
		if (pthread_cond_timedwait(&p->grew, &p->lock,
		    &deadline) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

bool
h_stdout_has(struct h_proc *p, const char *needle, long ms)
{
	return buf_has(p, &p->out, needle, ms);
}

bool
h_stderr_has(struct h_proc *p, const char *needle, long ms)
{
	return buf_has(p, &p->err, needle, ms);
}

static const char *
snapshot(struct h_proc *p, struct h_buf *b, char **copy)
{
	pthread_mutex_lock(&p->lock);
	free(*copy);
	*copy = strdup(b->data ? b->data : "");
	pthread_mutex_unlock(&p->lock);
	if (*copy == NULL)
		abort();
	return *copy;
}

size_t
h_stdout_total(struct h_proc *p)
{
	size_t total;

	pthread_mutex_lock(&p->lock);
	total = p->out.total;
	pthread_mutex_unlock(&p->lock);
	return total;
}

const char *
h_stdout(struct h_proc *p)
{
	return snapshot(p, &p->out, &p->out_copy);
}

const char *
h_stderr(struct h_proc *p)
{
	return snapshot(p, &p->err, &p->err_copy);
}

/* ---------------------------------------------------------------------- */
/* Ending children. */

static long proc_cpu_ms(pid_t pid, long otherwise);

/* Poll waitpid until the child is gone or the deadline passes. */
static bool
reap_within(struct h_proc *p, long ms)
{
	struct timespec deadline;

	if (p->reaped)
		return true;
	deadline_after(ms, &deadline);
	for (;;) {
		pid_t r;

		/* A sandboxed program's CPU time does not come back with the
		 * sandbox's status (bubblewrap reports none of its children's):
		 * it is read while the program lives. */
		if (p->sandboxed && p->target > 0)
			p->cpu_seen = proc_cpu_ms(p->target, p->cpu_seen);
		r = wait4(p->pid, &p->status, WNOHANG, &p->usage);
		if (r == p->pid) {
			p->reaped = true;
			return true;
		}
		if (r == -1 && errno != EINTR)
			return false;
		if (ms_until(&deadline) == 0)
			return false;
		/* waitpid has no timeout: poll it, every 2 ms, until the
		 * deadline. */
		nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
	}
}

/* After the child is gone: its output is complete once the drainer ends. */
static void
finish_output(struct h_proc *p)
{
	/* Anything the child left behind in its group goes too, so that
	 * the pipes close and the drainer sees end of file. */
	(void)kill(-p->pid, SIGKILL);
	pthread_join(p->drainer, NULL);
	p->draining = false;
	close(p->out_fd);
	close(p->err_fd);
}

/* Which tool, if any, reported an error on the child's stderr. */
static const char *
report_in(struct h_proc *p)
{
	const char *err = h_stderr(p);
	const char *vg;

	if (strstr(err, "Sanitizer") != NULL ||
	    strstr(err, "runtime error:") != NULL)
		return "sanitizer";
	/* valgrind -q prints only errors, each line starting "==PID==". */
	for (vg = strstr(err, "=="); vg != NULL; vg = strstr(vg + 2, "==")) {
		const char *q = vg + 2;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q > vg + 2 && q[0] == '=' && q[1] == '=')
			return "valgrind";
	}
	return NULL;
}

static void
check_reports(struct h_proc *p)
{
	const char *tool = report_in(p);

	p->checked = true;
	cr_assert(tool == NULL, "%s: %s report on stderr:\n%s", p->name,
	    tool, h_stderr(p));
}

/*
 * The signal that killed p, once reaped, or 0 if it exited.  A sandboxed
 * program's status is bubblewrap's, which passes on a death by signal n
 * as an exit with 128 + n.
 */
static int
killing_signal(const struct h_proc *p)
{
	if (WIFSIGNALED(p->status))
		return WTERMSIG(p->status);
	if (p->sandboxed && WIFEXITED(p->status) &&
	    WEXITSTATUS(p->status) > 128)
		return WEXITSTATUS(p->status) - 128;
	return 0;
}

static int
decode_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int
h_wait(struct h_proc *p, long ms)
{
	if (!reap_within(p, ms))
		return -1;
	if (p->draining)
		finish_output(p);
	check_reports(p);
	return decode_status(p->status);
}

/*
 * Send sig; fail the test if the process has not exited within ms, with
 * hint (the likely mistake, or "") after the message.
 */
static int
signal_and_wait(struct h_proc *p, int sig, long ms, const char *hint)
{
	int status;

	if (!p->reaped)
		cr_assert(kill(h_pid(p), sig) == 0, "kill: %s",
		    strerror(errno));
	status = h_wait(p, ms);
	if (status == -1) {
		(void)kill(-p->pid, SIGKILL);
		reap_within(p, 5000);
		cr_assert_fail("%s did not exit within %ld ms of signal %d%s",
		    p->name, ms, sig, hint);
	}
	return status;
}

void
h_expect_ends(struct h_proc *p, int sig)
{
	long start = h_now_ms();
	int status = signal_and_wait(p, sig, h_ms(2000), "");

	cr_assert(status == 0 || status == 128 + sig, "%s got signal %d and "
	    "ended with status %d after %ld ms: it should exit 0 or die of "
	    "the signal (status %d); stderr: %.300s", p->name, sig, status,
	    h_now_ms() - start, 128 + sig, h_stderr(p));
	cr_assert_str_eq(h_stderr(p), "", "%s printed on stderr when "
	    "signalled: %.300s", p->name, h_stderr(p));
}

int
h_stop(struct h_proc *p, int sig)
{
	return signal_and_wait(p, sig, h_ms(5000), "");
}

void
h_expect_clean_stop(struct h_proc *p, int sig)
{
	const char *what = sig == SIGINT ? "SIGINT" : "SIGTERM";
	int status = signal_and_wait(p, sig, h_ms(5000), ": a server blocked "
	    "in recvfrom() (or restarted there by SA_RESTART) never sees the "
	    "signal; wait in net_wait_or_stop()");

	cr_assert(status != 128 + sig, "%s died of %s (status %d = 128 + %d): "
	    "it never caught the signal, so it could not exit 0; call "
	    "net_catch_stop_signals() before the first line", p->name, what,
	    status, sig);
	cr_assert_eq(status, 0, "%s got %s and exited %d, not 0 (stderr: "
	    "%.300s)", p->name, what, status, h_stderr(p));
}

static void
free_proc(struct h_proc *p)
{
	while (p->lines != NULL) {
		struct h_line *next = p->lines->next;

		free(p->lines);
		p->lines = next;
	}
	free(p->out.data);
	free(p->err.data);
	free(p->out_copy);
	free(p->err_copy);
	free(p);
}

void
h_cleanup(void)
{
	for (size_t i = 0; i < nprocs; i++) {
		struct h_proc *p = procs[i];

		if (!p->reaped) {
			(void)kill(-p->pid, SIGKILL);
			(void)kill(p->pid, SIGKILL);
			while (wait4(p->pid, &p->status, 0, &p->usage) == -1 &&
			    errno == EINTR)
				;
			p->reaped = true;
		}
		if (p->draining)
			finish_output(p);
		/* Also when the test failed first: the report may be why. */
		if (!p->checked && report_in(p) != NULL)
			cr_expect_fail("%s: %s report on stderr:\n%s", p->name,
			    report_in(p), h_stderr(p));
		free_proc(p);
	}
	free(procs);
	procs = NULL;
	nprocs = 0;
	if (fake_clock_file[0] != '\0') {
		(void)unlink(fake_clock_file);
		fake_clock_file[0] = '\0';
	}
}

/* ---------------------------------------------------------------------- */
/* UDP. */

static struct addrinfo *
numeric_addr(const char *host, uint16_t port)
{
	struct addrinfo hints = { 0 };
	struct addrinfo *ai;
	char service[8];
	int e;

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	e = getaddrinfo(host, service, &hints, &ai);
	cr_assert(e == 0, "getaddrinfo %s: %s", host, gai_strerror(e));
	return ai;
}

socklen_t
h_sockaddr(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	struct addrinfo *ai = numeric_addr(host, port);
	socklen_t len = ai->ai_addrlen;

	memcpy(ss, ai->ai_addr, len);
	freeaddrinfo(ai);
	return len;
}

int
h_udp_open(const char *host)
{
	return h_udp_open_port(host, 0);
}

int
h_udp_open_port(const char *host, uint16_t port)
{
	struct addrinfo *ai = numeric_addr(host, port);
	int fd = socket(ai->ai_family, SOCK_DGRAM, 0);

	cr_assert(fd != -1, "socket: %s", strerror(errno));
	h_cloexec(fd);
	cr_assert(bind(fd, ai->ai_addr, ai->ai_addrlen) == 0,
	    "bind %s port %u: %s", host, (unsigned)port, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

uint16_t
h_free_port(const char *host)
{
	int fd = h_udp_open(host);
	uint16_t port = h_udp_port(fd);

	close(fd);
	return port;
}

uint16_t
h_sockaddr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

uint16_t
h_udp_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	cr_assert(getsockname(fd, (struct sockaddr *)&ss, &len) == 0,
	    "getsockname: %s", strerror(errno));
	return h_sockaddr_port(&ss);
}

void
h_udp_send(int fd, const char *host, uint16_t port, const void *buf,
    size_t len)
{
	struct addrinfo *ai = numeric_addr(host, port);
	ssize_t n = sendto(fd, buf, len, 0, ai->ai_addr, ai->ai_addrlen);

	freeaddrinfo(ai);
	cr_assert(n == (ssize_t)len, "sendto %s port %u: %s", host,
	    (unsigned)port, n == -1 ? strerror(errno) : "short send");
}

ssize_t
h_udp_recv(int fd, void *buf, size_t cap, long ms,
    struct sockaddr_storage *from)
{
	struct timespec deadline;

	deadline_after(ms, &deadline);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		socklen_t len = sizeof(*from);
		int r = poll(&pfd, 1, (int)ms_until(&deadline));
		ssize_t n;

		if (r == -1 && errno == EINTR)
			continue;
		cr_assert(r != -1, "poll: %s", strerror(errno));
		if (r == 0)
			return -1;
		n = recvfrom(fd, buf, cap, MSG_DONTWAIT,
		    (struct sockaddr *)from, from ? &len : NULL);
		if (n == -1 && (errno == EAGAIN || errno == ECONNREFUSED))
			continue;
		cr_assert(n != -1, "recvfrom: %s", strerror(errno));
		return n;
	}
}

/* How often h_udp_recv_while looks whether its program has ended. */
#define ENDED_LOOK_MS 20

ssize_t
h_udp_recv_while(struct h_proc *p, int fd, void *buf, size_t cap, long ms,
    struct sockaddr_storage *from)
{
	long deadline = h_now_ms() + ms;

	/* Waited for in slices, between which we look whether p has ended:
	 * a crash is seen at once, not after the whole wait. */
	for (;;) {
		long left = ms_until_ms(deadline);
		ssize_t n = h_udp_recv(fd, buf, cap, left < ENDED_LOOK_MS ?
		    left : ENDED_LOOK_MS, from);

		if (n != -1 || left <= ENDED_LOOK_MS)
			return n;
		if (h_wait(p, 0) != -1)
			/* Ended: what it sent before its end is there now. */
			return h_udp_recv(fd, buf, cap, 0, from);
	}
}

/* ---------------------------------------------------------------------- */
/* Floods. */

/* Datagrams sent in one burst between two looks at the server. */
#define FLOOD_BURST 64
/* At most this many in all, whatever the time. */
#define FLOOD_MAX 3000000L

/* The pid of the program strace started: strace's one child, once it has
 * forked (first_child). */
static pid_t
tracee_of(pid_t tracer)
{
	long deadline = h_now_ms() + h_ms(5000);
	pid_t pid;

	while ((pid = first_child(tracer)) == 0) {
		cr_assert(ms_until_ms(deadline) > 0, "strace started no "
		    "program within %ld ms (or /proc/%ld/task/%ld/children is "
		    "missing: a kernel without CONFIG_PROC_CHILDREN?)", h_ms(5000),
		    (long)tracer, (long)tracer);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return pid;
}

void
h_expect_flood_stop(char *const server_argv[])
{
	static const char payload[16] = "0123456789abcdef";
	int fd = h_udp_open("127.0.0.1");
	const char *name = server_argv[0];
	struct sockaddr_storage to;
	socklen_t tolen;
	char *argv[H_MAX_ARGS + 16];
	struct h_proc *srv;
	struct addrinfo *ai;
	pid_t server;
	uint16_t port;
	long sent = 0;
	long warmup_end;
	long signalled = -1;
	long flood_end;
	int status = -1;
	int n = 0;

	if (!h_valgrind()) {
		const char *asan = getenv("ASAN_OPTIONS");
		char opts[512];

		argv[n++] = "strace";
		argv[n++] = "-qq";
		argv[n++] = "-o";
		argv[n++] = "/dev/null";
		argv[n++] = "-e";
		argv[n++] = "trace=recvfrom,recvmsg,recvmmsg,read";
		argv[n++] = "-e";
		argv[n++] = "inject=recvfrom,recvmsg,recvmmsg,read:"
		    "delay_exit=2000";
		/* LeakSanitizer stops the program with ptrace to look for
		 * leaks, which it cannot do while strace traces it. */
		snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0",
		    asan ? asan : "", asan ? ":" : "");
		cr_assert(setenv("ASAN_OPTIONS", opts, 1) == 0, "setenv");
	}
	for (int i = 0; server_argv[i] != NULL; i++) {
		cr_assert(i < H_MAX_ARGS, "test harness: too many arguments");
		argv[n++] = server_argv[i];
	}
	argv[n] = NULL;
	srv = server_named(argv, &(struct h_opts){ .wrap = h_valgrind() },
	    name, &port);
	/* In the sandbox, h_pid looks past strace itself. */
	server = h_valgrind() || srv->sandboxed ? h_pid(srv) :
	    tracee_of(h_pid(srv));
	cr_assert(server != srv->pid || h_valgrind(), "%s did not start under "
	    "strace within %ld ms", name, h_ms(5000));
	ai = numeric_addr("127.0.0.1", port);
	memcpy(&to, ai->ai_addr, ai->ai_addrlen);
	tolen = ai->ai_addrlen;
	freeaddrinfo(ai);

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
			cr_assert(kill(server, SIGTERM) == 0, "kill: %s",
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
	    "before the signal", name, sent);
	if (status == -1) {
		status = h_wait(srv, h_ms(5000));
		cr_assert(status != -1, "%s got SIGTERM during a flood of "
		    "datagrams and was still running %ld ms after the flood "
		    "stopped: a server blocked in recvfrom() (or restarted "
		    "there by SA_RESTART) never sees the signal; wait in "
		    "net_wait_or_stop()", name, h_ms(5000));
		cr_assert_fail("%s got SIGTERM during a steady flood of "
		    "datagrams and went on serving for %ld ms, until the flood "
		    "stopped: when the socket is already readable, pselect() "
		    "returns without delivering a pending signal, so a server "
		    "must check for one (sigpending) after each wait, as "
		    "lesson 06 and net_wait_or_stop() do", name,
		    flood_end - signalled);
	}
	cr_assert(status != 128 + SIGTERM, "%s got SIGTERM during a flood and "
	    "died of it (status %d = 128 + %d): it never caught the signal; "
	    "call net_catch_stop_signals() before the first line", name,
	    status, SIGTERM);
	cr_assert_eq(status, 0, "%s got SIGTERM during a flood and exited %d, "
	    "not 0; stderr: %.300s", name, status, h_stderr(srv));
}

/* ---------------------------------------------------------------------- */

char *
h_escape(const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = data;
	char *out = malloc(len * 4 + 1);
	size_t o = 0;

	cr_assert(out != NULL, "malloc");
	for (size_t i = 0; i < len; i++) {
		switch (b[i]) {
		case '\n':
			out[o++] = '\\';
			out[o++] = 'n';
			break;
		case '\\':
		case '"':
			out[o++] = '\\';
			out[o++] = (char)b[i];
			break;
		default:
			if (b[i] < ' ' || b[i] > '~') {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[b[i] >> 4];
				out[o++] = hex[b[i] & 15];
			} else {
				out[o++] = (char)b[i];
			}
		}
	}
	out[o] = '\0';
	return out;
}

/* ---------------------------------------------------------------------- */
/* The command-line contract. */

void
h_expect_usage(char *const argv[], const char *usage, const char *why)
{
	struct h_proc *p = h_spawn(argv, &(struct h_opts){ .wrap = true });
	/* "At once" with room to spare; not more, since a test tries some
	 * twenty command lines, and a program that takes them all for good
	 * ones must not run the test past its limit. */
	int status = h_wait(p, h_ms(2000));
	const char *err = h_stderr(p);
	const char *line = err;
	int before = 0;

	cr_assert(status != -1, "with %s the program should exit 2 (a usage "
	    "error) at once; it was still running %ld ms later: it took the "
	    "arguments for good ones", why, h_ms(2000));
	cr_assert_eq(status, 2, "with %s the program should exit 2 (a usage "
	    "error), got %d; stderr: %.300s", why, status, err);
	/* The usage line, after the lines before it. */
	while (*line != '\0' && strncmp(line, usage, strlen(usage)) != 0) {
		line += strcspn(line, "\n");
		line += *line == '\n';
		before++;
	}
	cr_assert(*line != '\0', "with %s stderr should show the usage line, "
	    "\"%s...\"; stderr was: %.300s", why, usage, err);
	cr_assert(before <= 1, "with %s stderr should hold the usage line "
	    "and at most one line before it, saying what was wrong; it "
	    "was:\n%.500s", why, err);
	/* After it, only the synopsis's own indented lines. */
	line += strcspn(line, "\n");
	while (*line == '\n' && line[1] != '\0') {
		line++;
		cr_assert(*line == ' ' || *line == '\t', "with %s the usage "
		    "line should end stderr (its own indented lines aside); "
		    "stderr was:\n%.500s", why, err);
		line += strcspn(line, "\n");
	}
	cr_assert_str_eq(h_stdout(p), "", "with %s nothing should go to "
	    "stdout; it printed: %.300s", why, h_stdout(p));
}

void
h_expect_unresolvable(char *const argv[], bool passive)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };
	struct addrinfo *ai = NULL;
	const char *slash = strrchr(argv[0], '/');
	const char *prog = slash != NULL ? slash + 1 : argv[0];
	/* What this system's resolver says, and what others may. */
	const int codes[] = { getaddrinfo(H_BAD_HOST, "9", &hints, &ai),
		EAI_NONAME, EAI_AGAIN, EAI_FAIL };
	struct h_proc *p;
	int status;
	char want[sizeof(codes) / sizeof(codes[0])][256];
	bool found = false;

	if (ai != NULL)
		freeaddrinfo(ai);
	cr_assert(codes[0] != 0, "test harness: %s resolves here",
	    H_BAD_HOST);
	p = h_spawn(argv, &(struct h_opts){ .wrap = true });
	status = h_wait(p, h_ms(10000));
	/* Still running, or killed by a signal: said in words, not as the
	 * -1 or 128 + N that h_wait returns. */
	cr_assert(status != -1 && killing_signal(p) == 0, "the host %s does "
	    "not resolve: a runtime failure, so the program should exit 1 at "
	    "once; %s", H_BAD_HOST, h_ending(p));
	cr_assert_eq(status, 1, "the host %s does not resolve: a runtime "
	    "failure, so the exit status should be 1, got %d; stderr: %.300s",
	    H_BAD_HOST, status, h_stderr(p));
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		snprintf(want[i], sizeof(want[i]), "%s: %s: %s\n", prog,
		    H_BAD_HOST, gai_strerror(codes[i]));
		found = found || strcmp(h_stderr(p), want[i]) == 0;
	}
	cr_assert(found, "the host %s does not resolve: stderr should be "
	    "the one line \"%.*s\": the host as given, then getaddrinfo's "
	    "reason in gai_strerror's words, as errx(1, \"%%s: %%s\", host, "
	    "gai_strerror(e)) prints it; got: \"%.300s\"", H_BAD_HOST,
	    (int)strlen(want[0]) - 1, want[0], h_stderr(p));
	cr_assert_str_eq(h_stdout(p), "", "the host %s does not resolve: "
	    "nothing should go to stdout; it printed: %.300s", H_BAD_HOST,
	    h_stdout(p));
}

/* ---------------------------------------------------------------------- */
/* What a program cost, and how it ended. */

/* The CPU time pid has used, in ms, from /proc; otherwise if it is gone. */
static long
proc_cpu_ms(pid_t pid, long otherwise)
{
	char path[64], buf[1024];
	unsigned long utime, stime;
	long tick = sysconf(_SC_CLK_TCK);
	const char *fields;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return otherwise;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* proc(5): the name in parentheses may hold spaces; fields 14 and
	 * 15, utime and stime, come 11 after the state that follows it. */
	fields = strrchr(buf, ')');
	if (fields == NULL || sscanf(fields + 1, " %*c %*d %*d %*d %*d "
	    "%*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
		return otherwise;
	return (long)((utime + stime) * 1000 / (unsigned long)tick);
}

long
h_cpu_ms(struct h_proc *p)
{
	long used;

	if (p->reaped) {
		used = (long)(p->usage.ru_utime.tv_sec +
		    p->usage.ru_stime.tv_sec) * 1000 +
		    (long)(p->usage.ru_utime.tv_usec +
		    p->usage.ru_stime.tv_usec) / 1000;
		return used > p->cpu_seen ? used : p->cpu_seen;
	}
	used = proc_cpu_ms(h_pid(p), -1);
	cr_assert(used >= 0, "test harness: cannot read /proc/%ld/stat: %s",
	    (long)h_pid(p), strerror(errno));
	if (p->sandboxed)
		p->cpu_seen = used;
	return used;
}

void
h_expect_sleeping(struct h_proc *p, long cpu0, long t0, const char *what)
{
	long cpu, wall;

	/* valgrind runs the program on a simulated CPU of its own. */
	if (h_valgrind())
		return;
	cpu = h_cpu_ms(p) - cpu0;
	wall = h_now_ms() - t0;
	cr_assert(cpu * 5 <= wall, "%s used %ld ms of CPU time in %ld ms "
	    "%s, more than a fifth of it: a program that waits should sleep "
	    "in poll() (or a blocking call) until something happens or its "
	    "deadline comes, not spin in a loop of calls that return at once "
	    "(a zero timeout, MSG_DONTWAIT, or polling the clock)", p->name,
	    cpu, wall, what);
}

const char *
h_ending(struct h_proc *p)
{
	static char text[1024];
	const char *err = h_stderr(p);
	const char *tail = err + strlen(err);
	int lines = 0;
	int len;

	/* The last three lines: where a program says why it gave up. */
	while (tail > err && lines < 4)
		if (*--tail == '\n')
			lines++;
	if (lines == 4)
		tail++;
	/* And no more than its last 700 bytes: a line can be long. */
	if (strlen(tail) > 700)
		tail = err + strlen(err) - 700;
	if (!p->reaped)
		len = snprintf(text, sizeof(text), "it is still running");
	else if (killing_signal(p) != 0)
		len = snprintf(text, sizeof(text), "it was killed by signal "
		    "%d (%s)", killing_signal(p), strsignal(killing_signal(p)));
	else
		len = snprintf(text, sizeof(text), "it exited with status %d",
		    WEXITSTATUS(p->status));
	if (len >= 0 && (size_t)len < sizeof(text))
		snprintf(text + len, sizeof(text) - (size_t)len, "; %s%.700s",
		    *err == '\0' ? "its stderr is empty" :
		    tail == err ? "its stderr: " : "its stderr ends: ", tail);
	return text;
}

/* ---------------------------------------------------------------------- */
/* Skips, other namespaces, other clocks. */

void
h_skip(const char *test, const char *why)
{
	/* Said twice: Criterion shows a skip only with --verbose, and
	 * run-suites prints the lines that start "skipped:". */
	fprintf(stderr, "skipped: %s: %s\n", test, why);
	cr_skip_test("%s", why);
}

void
h_too_slow(const char *test, const char *why)
{
	/* A graded program could slow itself down to turn a failure into a
	 * skip, whose points leave the total: when graded, it fails. */
	if (graded())
		cr_assert_fail("%s; when graded, that is a failure: a program "
		    "this slow to answer loses the test", why);
	h_skip(test, why);
}

void
h_wait_asleep(struct h_proc *p)
{
	long deadline = h_now_ms() + h_ms(2000);
	int asleep = 0;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)h_pid(p));
	while (asleep < 2) {
		char buf[512];
		FILE *f = fopen(path, "r");
		size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		const char *paren;

		if (f != NULL)
			fclose(f);
		buf[n] = '\0';
		/* proc(5): the state follows the name in parentheses. */
		paren = strrchr(buf, ')');
		asleep = paren != NULL && paren[1] == ' ' && paren[2] == 'S' ?
		    asleep + 1 : 0;
		cr_assert(h_now_ms() < deadline, "test setup: %s did not go "
		    "to sleep, waiting, within %ld ms", p->name, h_ms(2000));
		(void)h_wait(p, 5);
	}
}

bool
h_in_netns(void)
{
	return getenv("UDPLAB_NETNS") != NULL;
}

/*
 * What the runner inside the namespace said of its failures, without
 * Criterion's frame: the messages, the names of the tests that failed,
 * and the skips with their reasons.
 */
static const char *
inner_failures(struct h_proc *p)
{
	static char text[4096];
	const char *line = h_stderr(p);
	size_t len = 0;

	text[0] = '\0';
	while (*line != '\0' && len + 1 < sizeof(text)) {
		size_t n = strcspn(line, "\n");
		const char *msg = NULL;
		int skip = 0;

		if (strncmp(line, "[----]   ", 9) == 0) {
			msg = line + 9;	/* a message line */
			skip = 9;
		} else if (strncmp(line, "[FAIL] ", 7) == 0 ||
		    strncmp(line, "skipped: ", 9) == 0) {
			msg = line;	/* which test failed there, or skipped */
		}
		if (msg != NULL && n > (size_t)skip) {
			int w = snprintf(text + len, sizeof(text) - len,
			    "%s%.*s", len ? "\n" : "", (int)(n - (size_t)skip),
			    msg);

			len = w < 0 ? len : len + (size_t)w;
			if (len >= sizeof(text))
				len = sizeof(text) - 1;
		}
		line += n + (line[n] == '\n');
	}
	return len > 0 ? text : "the tests there failed, and said nothing";
}

void
h_rerun_in_netns(const char *test, const char *setup, const char *filter)
{
	/*
	 * sh looks for the two commands first, so that a missing one is a
	 * skip that names it.  ip is often in /usr/sbin, which a user's PATH
	 * may lack.  Inside the namespace, BXFI_MAP must go: it marks a
	 * Criterion worker, and the runner started there is a runner.
	 */
	static const char outer[] =
	    "PATH=$PATH:/usr/sbin:/sbin; export PATH\n"
	    "command -v unshare >/dev/null || exit 120\n"
	    "command -v ip >/dev/null || exit 121\n"
	    "[ \"$(id -u)\" = 0 ] && r= || r=r\n"
	    "exec unshare -${r}n sh -c \"$1\" \"$0\" \"$2\" \"$3\"\n";
	static const char inner[] =
	    "ip link set lo up || exit 125\n"
	    "eval \"$1\" || exit 126\n"
	    "echo namespace ready\n"
	    "unset BXFI_MAP\n"
	    "UDPLAB_NETNS=1 exec \"$0\" --filter \"$2\" --jobs 1\n";
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct h_proc *p;
	int status;

	cr_assert(len > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[len] = '\0';
	p = h_tool("sh", "-c", outer, self, inner, setup, filter, NULL);
	status = h_wait(p, h_ms(20000));
	cr_assert(status != -1, "the tests inside the namespace (%s) did "
	    "not finish within %ld ms", filter, h_ms(20000));
	if (strncmp(h_stdout(p), "namespace ready", 15) != 0) {
		char why[512];
		int n = (int)strcspn(h_stderr(p), "\n");

		snprintf(why, sizeof(why), "it runs in a user and network "
		    "namespace of its own, and %s%s%.*s",
		    status == 120 ? "needs the unshare command (util-linux): "
		    "there is none" :
		    status == 121 ? "needs the ip command (iproute2): there "
		    "is none" :
		    status == 125 ? "\"ip link set lo up\" failed there" :
		    status == 126 ? "setting the namespace up failed" :
		    "this system does not allow one (unshare -rn)",
		    n > 0 ? ": " : "", n, h_stderr(p));
		h_skip(test, why);
	}
	cr_assert(status == 0 && strstr(h_stderr(p), "Tested: 0 ") == NULL,
	    "in a network namespace of its own, %s", inner_failures(p));
}

const char *
h_faketime_library(void)
{
	static const char *const patterns[] = {
		"/usr/lib/*/faketime/libfaketime.so.1",
		"/usr/lib64/faketime/libfaketime.so.1",
		"/usr/lib/faketime/libfaketime.so.1",
		"/usr/local/lib/faketime/libfaketime.so.1",
	};
	static char path[512];

	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		glob_t g;

		if (glob(patterns[i], 0, NULL, &g) != 0)
			continue;
		snprintf(path, sizeof(path), "%s", g.gl_pathv[0]);
		globfree(&g);
		return path;
	}
	return NULL;
}

const char *
h_fake_wall_clock(const char *test, const char *offset)
{
	char *file = fake_clock_file;
	const char *lib = h_faketime_library();
	const char *asan = getenv("ASAN_OPTIONS");
	char asan_opts[512];
	int fd;

	if (lib == NULL)
		h_skip(test, "it moves the program's wall clock with "
		    "libfaketime, and no libfaketime.so.1 was found (Debian's "
		    "package faketime; sh scripts/install-deps test installs "
		    "it)");
	/* In TMPDIR if set: the grader's sandbox sees only that one. */
	snprintf(file, sizeof(fake_clock_file), "%s/udplab-faketime-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(file);
	cr_assert(fd != -1, "mkstemp: %s", strerror(errno));
	close(fd);
	h_move_wall_clock(file, offset);
	cr_assert(setenv("LD_PRELOAD", lib, 1) == 0 &&
	    setenv("FAKETIME_TIMESTAMP_FILE", file, 1) == 0 &&
	    /* Read the file at every call, so that a jump takes effect. */
	    setenv("FAKETIME_NO_CACHE", "1", 1) == 0 &&
	    /* The monotonic clock, and so every poll() timeout, runs on. */
	    setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1) == 0, "setenv");
	/*
	 * ASan wants to be the first library loaded, and would refuse; and
	 * its allocator, reading the clock to release memory, would call
	 * libfaketime, which allocates: a deadlock before main().
	 */
	snprintf(asan_opts, sizeof(asan_opts), "%s%sverify_asan_link_order=0:"
	    "allocator_release_to_os_interval_ms=-1", asan ? asan : "",
	    asan && *asan ? ":" : "");
	cr_assert(setenv("ASAN_OPTIONS", asan_opts, 1) == 0, "setenv");
	return file;
}

void
h_move_wall_clock(const char *file, const char *offset)
{
	char tmp[sizeof(fake_clock_file) + 8];
	FILE *f;

	/* Written aside and renamed, so that no reader sees half a line. */
	cr_assert((size_t)snprintf(tmp, sizeof(tmp), "%s.new", file) <
	    sizeof(tmp), "test harness: %s: path too long", file);
	f = fopen(tmp, "w");
	cr_assert(f != NULL && fprintf(f, "%s\n", offset) > 0 &&
	    fclose(f) == 0 && rename(tmp, file) == 0,
	    "test harness: cannot write %s: %s", file, strerror(errno));
}
