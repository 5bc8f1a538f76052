/*
 * net.c - the small helper every udplab program builds on.
 *
 * Nothing here prints a diagnostic or exits.  A function that fails returns
 * -1 with errno set, or (for the two getaddrinfo-family calls) a nonzero
 * EAI_* code for gai_strerror(); the program decides what the failure means
 * and says so, naming the call that failed.
 */
#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/select.h>

/*
 * Idea: a number from the command line is parsed whole, or refused.
 *
 * atoi("80x") is 80, atoi("99999") is 99999 with nothing to say it is no
 * port, and atoi("9999999999") is undefined behaviour.  strtol reports all
 * three, but only to a caller who checks errno, the end pointer and the
 * range, which is what this does.  Leading spaces and signs, which strtol
 * would accept, are refused too: "-1" is not a port.
 * Stores the number in *out, unless out is NULL (only a check).
 * Returns 0, or -1 with errno EINVAL (not a number) or ERANGE (out of range).
 */
int
net_parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long value;

	if (s == NULL || !isdigit((unsigned char)s[0])) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	value = strtol(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || value < min || value > max) {
		errno = ERANGE;
		return -1;
	}
	if (out != NULL)
		*out = value;
	return 0;
}

/*
 * Idea: getaddrinfo turns names into addresses of either family, so one
 * program works over IPv4 and IPv6 alike.
 *
 * The port arrives as a number the caller has already checked: given the
 * user's string, getaddrinfo would look "http" up as a service name, and
 * some versions quietly truncate "99999" to 16 bits (34463).  We format it
 * as digits ourselves, and AI_NUMERICSERV says so: getaddrinfo then skips
 * the services database (/etc/services).
 *
 * With NET_PASSIVE and no host, this asks for the IPv6 wildcard "::" only.
 * A plain AI_PASSIVE lookup lists 0.0.0.0 first, so a server that binds the
 * first address would serve IPv4 alone; an IPv6 socket with IPV6_V6ONLY
 * off takes both families (see the servers).
 * Returns 0, or an EAI_* code for gai_strerror().
 */
int
net_resolve(const char *host, uint16_t port, int flags, struct addrinfo **res)
{
	struct addrinfo hints = { 0 };
	char service[NET_PORTLEN];

	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	hints.ai_family = AF_UNSPEC;
	if (flags & NET_PASSIVE) {
		hints.ai_flags |= AI_PASSIVE;
		if (host == NULL)
			hints.ai_family = AF_INET6;
	}
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	return getaddrinfo(host, service, &hints, res);
}

/*
 * Idea: getnameinfo is getaddrinfo's inverse, and works for any family.
 *
 * inet_ntoa knows IPv4 only and returns a static buffer.  The NUMERIC flags
 * keep getnameinfo from asking DNS, which could stall a server on every
 * datagram.  An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d.
 * Returns 0, or an EAI_* code for gai_strerror().
 */
int
net_addrstr(const struct sockaddr *sa, socklen_t salen,
    struct net_addrstr *out)
{
	return getnameinfo(sa, salen, out->host, sizeof(out->host),
	    out->port, sizeof(out->port), NI_NUMERICHOST | NI_NUMERICSERV);
}

/*
 * Idea: a datagram is bytes, not a string.
 *
 * It may hold a NUL (printf("%s") would stop there), no NUL at all (printf
 * would run past its end), or bytes that a terminal takes as commands.  So
 * every byte is written: printable ASCII as itself, a newline as \n, the
 * quote and backslash escaped, and all else as \xNN.
 * Returns 0, or -1 with errno set when writing to out failed.
 */
int
net_print_escaped(FILE *out, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n')
			fputs("\\n", out);
		else if (p[i] == '\\' || p[i] == '"')
			fprintf(out, "\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], out);
		else
			fprintf(out, "\\x%02x", p[i]);
	}
	return ferror(out) ? -1 : 0;
}

/*
 * Idea: descriptors 0, 1 and 2 are stdin, stdout and stderr only while
 * they are open.
 *
 * Started with one of them closed ("prog >&-"), a program gets its first
 * descriptor there, since open() and socket() take the lowest free one: a
 * socket as 1 turns printf() into datagrams to whatever it is connected
 * to, and a socket as 0 turns reading stdin into reading datagrams.  So
 * whichever of the three is closed gets /dev/null, before anything else
 * is opened (getaddrinfo() may open files and sockets too).  Read-only,
 * even as 1 or 2: a write there fails (EBADF) as on a closed descriptor,
 * and a program that checks its output still says it could not write.
 * net_server_socket() and net_client_socket() call this first.
 * Returns 0, or -1 with errno set.
 */
int
net_open_std_fds(void)
{
	/*
	 * In order: 0, 1 and 2 below fd are open by the time we get to it,
	 * so open() takes fd itself.
	 */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDONLY) == -1)
			return -1;
	return 0;
}

/*
 * Idea: lesson 01's server socket, in one call, for the lessons after it.
 *
 * It resolves host (NULL: the wildcard "::"), opens a socket of the first
 * address's family, turns IPV6_V6ONLY off on an IPv6 one so that it takes
 * IPv4 too, binds it, and reads back the address it got: with port 0 the
 * kernel chooses the port, and only getsockname() says which.
 * Returns the socket, its address in *bound (unless bound is NULL); or -1,
 * with errno set when a system call failed, and in why (whylen bytes) the
 * line a program prints with errx(): "CALL: reason", as in "bind: Address
 * already in use", or "HOST: reason" when host does not resolve.
 */
int
net_server_socket(const char *host, uint16_t port, struct net_addrstr *bound,
    char *why, size_t whylen)
{
	struct addrinfo *ai;
	struct sockaddr_storage addr;
	socklen_t addrlen = sizeof(addr);
	const char *call;
	int off = 0;
	int save_errno;
	int gaierr;
	int fd;

	if (net_open_std_fds() == -1) {
		snprintf(why, whylen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	gaierr = net_resolve(host, port, NET_PASSIVE, &ai);
	if (gaierr != 0) {
		snprintf(why, whylen, "%s: %s", host ? host : "::",
		    gai_strerror(gaierr));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	call = "socket";
	if (fd == -1)
		goto fail;
	call = "setsockopt IPV6_V6ONLY";
	if (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1)
		goto fail;
	call = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
		goto fail;
	call = "getsockname";
	if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) == -1)
		goto fail;
	freeaddrinfo(ai);
	gaierr = bound ? net_addrstr((struct sockaddr *)&addr, addrlen,
	    bound) : 0;
	if (gaierr != 0) {
		snprintf(why, whylen, "getnameinfo: %s", gai_strerror(gaierr));
		close(fd);
		return -1;
	}
	return fd;

fail:
	/* close() may change errno; the caller wants the first failure's. */
	save_errno = errno;
	snprintf(why, whylen, "%s: %s", call, strerror(save_errno));
	if (fd != -1)
		close(fd);
	freeaddrinfo(ai);
	errno = save_errno;
	return -1;
}

/*
 * Idea: lesson 03's client socket, in one call, for the lessons after it.
 *
 * It resolves host and port, opens a socket of the first address's family,
 * and copies that address to *to, for sendto().  Only the first: as lesson
 * 03 says, an unconnected socket never learns that nobody listens there,
 * so there is no telling when to try the next.  No bind(): the first
 * sendto() gives the socket a port of the kernel's choosing.
 * Returns the socket, or -1 with errno set when socket() failed, and in
 * why (whylen bytes) the line to print: "socket: reason", or "HOST:
 * reason" when host does not resolve.
 */
int
net_client_socket(const char *host, uint16_t port, struct net_peer *to,
    char *why, size_t whylen)
{
	struct addrinfo *ai;
	int gaierr;
	int fd;

	if (net_open_std_fds() == -1) {
		snprintf(why, whylen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	gaierr = net_resolve(host, port, 0, &ai);
	if (gaierr != 0) {
		/* No host is the loopback address, for getaddrinfo. */
		snprintf(why, whylen, "%s: %s", host ? host : "loopback",
		    gai_strerror(gaierr));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd == -1) {
		int save_errno = errno;

		snprintf(why, whylen, "socket: %s", strerror(save_errno));
		freeaddrinfo(ai);
		errno = save_errno;
		return -1;
	}
	memcpy(&to->addr, ai->ai_addr, ai->ai_addrlen);
	to->len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return fd;
}

/*
 * Idea: stopping a server on a signal without a race, even under a flood.
 * Lesson 06 writes this out step by step; these are its parts, packaged.
 *
 * The obvious way, a handler that sets a flag which the loop checks before
 * recvfrom, has a window: a signal that arrives after the check but before
 * recvfrom blocks is noticed only when the next datagram comes, which may be
 * never.  So SIGINT and SIGTERM stay blocked all the time, and are let in
 * only inside pselect, which unblocks them and waits in one atomic step.
 * Once the handler has run, pselect fails with EINTR: it is never
 * restarted, with or without SA_RESTART (signal(7)).
 *
 * The trap in that fix: when a descriptor is already readable, Linux's
 * pselect returns at once and blocks the signals again without delivering
 * one that was pending.  Under a steady flood a descriptor is always
 * readable, so the handler would never run.  After every pselect we
 * therefore ask sigpending() whether a stop signal is waiting.
 */
static volatile sig_atomic_t stop_signal;
static sigset_t wait_mask;
static int catching;

static void
on_stop(int sig)
{
	stop_signal = sig;
}

/*
 * Blocks SIGINT and SIGTERM and installs the handler net_wait_or_stop needs.
 * Returns 0, or -1 with errno set.
 */
int
net_catch_stop_signals(void)
{
	struct sigaction sa = { 0 };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &wait_mask) == -1)
		return -1;
	/* Inside pselect both must get through, even if we inherited them
	 * blocked. */
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);

	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	catching = 1;
	return 0;
}

/* Whether SIGINT or SIGTERM is waiting, blocked, to be delivered. */
static int
stop_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending) == -1)
		return 0;
	return sigismember(&pending, SIGINT) == 1 ||
	    sigismember(&pending, SIGTERM) == 1;
}

/*
 * Waits until fd has a datagram to read or a stop signal arrives.
 * Returns NET_READY (1) when fd is readable, NET_STOPPED (0) when it is
 * time to stop, -1 with errno set on error.  Before net_catch_stop_signals
 * it only waits for fd.
 *
 * pselect is the POSIX call for this (Linux's ppoll is the same with poll's
 * interface); it takes descriptors below FD_SETSIZE only.
 */
int
net_wait_or_stop(int fd)
{
	fd_set readable;
	int n;

	if (fd < 0 || fd >= FD_SETSIZE) {
		errno = EBADF;
		return -1;
	}
	FD_ZERO(&readable);
	FD_SET(fd, &readable);
	n = net_wait_many_or_stop(fd + 1, &readable, -1);
	return n > 0 ? NET_READY : n;
}

/*
 * The same for a program with several sockets, or with something of its
 * own to do at a time it knows (tools/relay: a delayed datagram falls due).
 * *readable holds the descriptors to watch, all below nfds, and comes back
 * holding those that are ready.  timeout_ms < 0 waits without a limit;
 * otherwise the wait ends on a deadline, so a signal that interrupts it
 * does not start it again.
 * Returns how many are readable; NET_STOPPED (0) when it is time to stop;
 * NET_TIMEDOUT (-1) with errno ETIMEDOUT (and *readable empty) when the
 * time is up, or -1 with another errno on error.
 */
int
net_wait_many_or_stop(int nfds, fd_set *readable, int timeout_ms)
{
	const fd_set watch = *readable;
	struct timespec deadline;

	if (nfds < 0 || nfds > FD_SETSIZE) {
		errno = EBADF;
		return -1;
	}
	if (timeout_ms >= 0 && net_deadline(timeout_ms, &deadline) == -1)
		return -1;
	for (;;) {
		struct timespec ts;
		int left = timeout_ms >= 0 ? net_ms_left(&deadline) : 0;
		int n;

		if (stop_signal != 0)
			return NET_STOPPED;
		*readable = watch;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000L;
		n = pselect(nfds, readable, NULL, NULL,
		    timeout_ms >= 0 ? &ts : NULL, catching ? &wait_mask : NULL);
		/* The trap above: ready, but a stop signal still waits. */
		if (n >= 0 && catching && stop_pending())
			return NET_STOPPED;
		if (n > 0)
			return n;
		if (n == 0) {
			FD_ZERO(readable);
			errno = ETIMEDOUT;
			return NET_TIMEDOUT;
		}
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Idea: a timeout is a deadline on a clock that never jumps.
 *
 * A wait that is cut short (a signal, a datagram that is not the one we
 * want) must not start its timeout again, or it could wait forever.  So we
 * fix the moment we give up, on CLOCK_MONOTONIC (the wall clock can be set
 * back), and before each wait ask how much time is left.
 * Returns 0, or -1 with errno set.
 */
int
net_deadline(long ms, struct timespec *deadline)
{
	if (clock_gettime(CLOCK_MONOTONIC, deadline) == -1)
		return -1;
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
	return 0;
}

/*
 * Returns the milliseconds left until deadline, rounded up so that a wait
 * for them does not wake just before it, and 0 once it has passed: a value
 * for poll's timeout.  A clock that fails (it cannot, for CLOCK_MONOTONIC)
 * counts as the deadline passed.
 */
int
net_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ns;

	if (clock_gettime(CLOCK_MONOTONIC, &now) == -1)
		return 0;
	ns = (long long)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
	    (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	if (ns / 1000000 >= INT_MAX)
		return INT_MAX;
	return (int)((ns + 999999) / 1000000);
}
