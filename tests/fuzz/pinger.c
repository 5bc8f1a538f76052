/*
 * Fuzz lab 05's reply handling (take_datagram, expire): pings are sent
 * on a clock the input moves, and datagrams of every kind come back, from
 * the server or from a stranger, whole, cut, forged or repeated.  The
 * oracle keeps, per ping, how many valid replies came and whether it timed
 * out, as LAB.md defines them: a datagram counts only from the server's
 * address and port, 12 bytes, with a seq we sent and the very time we
 * stamped on it; the first before its timeout is received (out of order
 * if a higher seq was received before it), one after it late, any further
 * one a DUP; all else is ignored.  The pinger's counts
 * must be the oracle's, and its RTT statistics consistent.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

/* The solution itself, its main() renamed so that it is not ours. */
#define main pinger_main
#include "../../solutions/05-echo-client/pinger.c"
#undef main

#define PINGS 64

static struct {
	long replies;
	bool timed_out;
} model[PINGS];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ping pings[PINGS];
	struct sockaddr_in server = { .sin_family = AF_INET,
		.sin_port = htons(7), .sin_addr.s_addr = htonl(0x7f000001) };
	struct pinger pg = { .to = (struct sockaddr *)&server,
		.tolen = sizeof(server), .pings = pings, .highest = -1 };
	static bool quiet;
	uint64_t now = 5000000000u;
	long received = 0, late = 0, dups = 0, ignored = 0, reordered = 0;
	long highest = -1;

	if (size < 2)
		return 0;
	pg.timeout_ns = (uint64_t)(1 + data[0]) * 1000000;
	snprintf(pg.server.host, sizeof(pg.server.host), "127.0.0.1");
	snprintf(pg.server.port, sizeof(pg.server.port), "7");
	memset(pings, 0, sizeof(pings));
	memset(model, 0, sizeof(model));
	/* Its output lines would fill the fuzzer's. */
	if (!quiet)
		quiet = freopen("/dev/null", "w", stdout) != NULL;

	for (size_t i = 1; i + 3 <= size; i += 3) {
		unsigned char buf[16];
		struct sockaddr_storage from = { 0 };
		struct sockaddr_in *in = (struct sockaddr_in *)&from;
		unsigned kind = data[i] % 6;
		uint64_t seq = data[i + 1] % (PINGS + 4);
		ssize_t n = PING_LEN;
		bool valid;

		in->sin_family = AF_INET;
		in->sin_port = htons(7);
		in->sin_addr.s_addr = htonl(0x7f000001);
		now += (uint64_t)data[i + 2] * 100000;	/* up to 25.5 ms */
		switch (kind) {
		case 0:		/* a ping goes out */
			if (pg.sent < PINGS) {
				pings[pg.sent].sent_ns = now;
				pg.sent++;
			}
			continue;
		case 1:		/* time passes */
			expire(&pg, now);
			for (long k = 0; k < pg.sent; k++)
				if (model[k].replies == 0 &&
				    now >= pings[k].sent_ns + pg.timeout_ns)
					model[k].timed_out = true;
			continue;
		case 2:		/* from a stranger on the server's port */
			in->sin_addr.s_addr = htonl(0x7f000002);
			break;
		case 3:		/* from the server's address, another port */
			in->sin_port = htons(8);
			break;
		case 4:		/* cut short, or one byte too many */
			n = data[i + 2] % 2 ? 11 : 13;
			break;
		default:	/* whole, with the right time or not */
			break;
		}
		memset(buf, 0, sizeof(buf));
		put_be(buf, seq, 4);
		put_be(buf + 4, seq < PINGS ? pings[seq].sent_ns +
		    (data[i + 2] % 7 == 0) : 0, 8);
		valid = kind >= 5 && seq < (uint64_t)pg.sent &&
		    data[i + 2] % 7 != 0;
		take_datagram(&pg, buf, n, &from, sizeof(struct sockaddr_in),
		    now);
		if (!valid) {
			ignored++;
		} else if (model[seq].replies++ > 0) {
			dups++;
		} else if (model[seq].timed_out) {
			late++;
		} else {
			received++;
			/* Out of order: below the highest seq received. */
			if ((long)seq < highest)
				reordered++;
			else
				highest = (long)seq;
		}
		must(pg.received == received && pg.late == late &&
		    pg.duplicates == dups && pg.ignored == ignored &&
		    pg.reordered == reordered);
		must(pg.received <= pg.sent);
		if (pg.received > 0) {
			must(pg.min_ns <= pg.max_ns);
			must((double)pg.min_ns / 1e6 <= pg.mean_ms + 1e-9 &&
			    pg.mean_ms <= (double)pg.max_ns / 1e6 + 1e-9);
			must(pg.m2_ms >= -1e-9);
		}
	}
	return 0;
}
