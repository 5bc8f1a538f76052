/*
 * net.h - the small helper every udplab program builds on.
 *
 * Like Redis's anet.c, nothing here prints a diagnostic or exits: each
 * function returns an error the caller explains, because only the program
 * knows what the failure means to its user.  Each function teaches one
 * idea; its comment in net.c says which.
 */
#ifndef UDPLAB_NET_H
#define UDPLAB_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <netdb.h>
#include <sys/select.h>
#include <sys/socket.h>

/*
 * The largest UDP payloads.  The UDP length field is 16 bits and counts the
 * 8-byte UDP header, and an IPv4 packet's total length (also at most 65535)
 * counts its 20-byte header too: 65535 - 20 - 8 = 65507.  IPv6 counts its
 * payload without its own header: 65535 - 8 = 65527.
 */
#define NET_MAX_UDP4 65507
#define NET_MAX_UDP6 65527

/* One buffer size that holds any datagram either family can carry. */
#define NET_MAX_DATAGRAM NET_MAX_UDP6

/*
 * Room for a numeric host and port.  NI_MAXHOST (1025) is a BSD name that
 * strict C17 with POSIX does not define; a numeric IPv6 address is at most
 * 45 characters, plus "%" and an interface name of up to 16 for a scope.
 */
#define NET_HOSTLEN 64
#define NET_PORTLEN 8

struct net_addrstr {
	char host[NET_HOSTLEN];
	char port[NET_PORTLEN];
};

/* For net_resolve's flags: an address to bind(), not one to send to. */
#define NET_PASSIVE 1

/*
 * What the two wait functions return.  The numbers are the ones they have
 * always returned; the names say what each means, because select(2)'s 0
 * means "timed out" and ours means "stop".
 */
enum {
	NET_STOPPED = 0,	/* SIGINT or SIGTERM came: time to stop */
	NET_READY = 1,		/* net_wait_or_stop: the socket is readable
				 * (net_wait_many_or_stop: how many are) */
	NET_TIMEDOUT = -1	/* with errno ETIMEDOUT: the time was up;
				 * -1 with any other errno is an error */
};

/* Room for the "CALL: reason" line of net_server_socket and
 * net_client_socket. */
#define NET_WHYLEN 256

/* An address to send to, as net_client_socket found it. */
struct net_peer {
	struct sockaddr_storage addr;	/* room for any family's address */
	socklen_t len;			/* how much of it this one uses */
};

int net_parse_number(const char *s, long min, long max, long *out);
int net_resolve(const char *host, uint16_t port, int flags,
    struct addrinfo **res);
int net_addrstr(const struct sockaddr *sa, socklen_t salen,
    struct net_addrstr *out);
int net_print_escaped(FILE *out, const void *data, size_t len);
int net_open_std_fds(void);
int net_server_socket(const char *host, uint16_t port,
    struct net_addrstr *bound, char *why, size_t whylen);
int net_client_socket(const char *host, uint16_t port, struct net_peer *to,
    char *why, size_t whylen);
int net_catch_stop_signals(void);
int net_wait_or_stop(int fd);
int net_wait_many_or_stop(int nfds, fd_set *readable, int timeout_ms);
int net_deadline(long ms, struct timespec *deadline);
int net_ms_left(const struct timespec *deadline);

#endif
