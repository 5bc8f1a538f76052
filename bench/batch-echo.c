/*
 * batch-echo - an echo server that moves many datagrams per system call.
 *
 * Lesson 04 -q makes two system calls a datagram, and each one crosses into
 * the kernel and back; the rest of the cost is the kernel's own path.
 * Linux's recvmmsg() takes up to BATCH datagrams that are waiting in one
 * call, and sendmmsg() sends as many back in one more.  Under load the
 * cost of the crossing is shared by the batch; when datagrams come one
 * at a time, a batch is one datagram and nothing is gained.  This is the
 * benchmark's view of how far the simple design is from what the kernel
 * path can do on one core.
 *
 *   usage: batch-echo port
 *
 * recvmmsg and sendmmsg are Linux's (and FreeBSD's), not POSIX: this file
 * is built with _GNU_SOURCE, which glibc wants before it declares them.
 */
#define _GNU_SOURCE
#include <err.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"

/* How many datagrams one call may move; the buffers take 32 * 64 KiB. */
#define BATCH 32

static unsigned char bufs[BATCH][NET_MAX_DATAGRAM];

int
main(int argc, char *argv[])
{
	/* One message header per datagram: where its bytes and sender go. */
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct sockaddr_storage addrs[BATCH];
	struct net_addrstr name;
	char why[NET_WHYLEN];
	long port;
	int fd;

	if (argc != 2 || net_parse_number(argv[1], 0, 65535, &port) == -1) {
		fprintf(stderr, "usage: batch-echo port\n");
		return 2;
	}
	fd = net_server_socket("127.0.0.1", (uint16_t)port, &name, why,
	    sizeof(why));
	if (fd == -1)
		errx(1, "%s", why);
	printf("batch-echo on %s port %s\n", name.host, name.port);
	if (fflush(stdout) == EOF)
		err(1, "stdout");

	for (;;) {
		int n;
		int sent;

		/* The kernel writes each header's lengths: set them anew. */
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iovs[i].iov_base = bufs[i];
			iovs[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iovs[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &addrs[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
		}
		/*
		 * MSG_WAITFORONE: block for the first datagram only, then take
		 * whatever else is already waiting, up to BATCH, and return.
		 * Without it recvmmsg would wait until BATCH had come.
		 */
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n == -1)
			err(1, "recvmmsg");
		/* Each echo is as long as its datagram, to whoever sent it. */
		for (int i = 0; i < n; i++)
			iovs[i].iov_len = msgs[i].msg_len;
		for (int done = 0; done < n; done += sent) {
			sent = sendmmsg(fd, msgs + done, (unsigned)(n - done),
			    0);
			if (sent == -1) {
				/* That echo is lost; send the ones after it. */
				warn("sendmmsg");
				sent = 1;
			}
		}
	}
}
