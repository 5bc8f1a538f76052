/*
 * Fuzz lab 04's token buckets (find_bucket, refill), driven as main()
 * drives them, on a clock the input moves.  The oracle is a token bucket
 * written the plainest way, in seconds as doubles: a source's tokens
 * grow by rate a second, never past burst, and an echo spends one.  The
 * solution's bucket must hold what the oracle's holds, whatever the
 * clock does; a source in the table always finds its bucket, and no two
 * sources share one.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"

/* The solution itself, its main() renamed so that it is not ours. */
#define main safe_echo_main
#include "../../solutions/04-echo-server/safe-echo.c"
#undef main

#define ADDRS 2048

static struct {
	double tokens;
	double last;		/* when tokens was brought up to date */
} model[ADDRS];

/* Whether the table has a bucket for this IPv4 address. */
static int
in_table(const struct in_addr *addr)
{
	for (size_t k = 0; k < MAX_SOURCES; k++)
		if (buckets[k].family == AF_INET &&
		    memcmp(buckets[k].addr, addr, 4) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct timespec now = { .tv_sec = 1000, .tv_nsec = 0 };
	double rate, burst;

	if (size < 2)
		return 0;
	rate = 1 + data[0] % 50;
	burst = 1 + data[1] % 30;
	memset(buckets, 0, sizeof(buckets));
	memset(model, 0, sizeof(model));
	for (size_t i = 2; i + 3 <= size; i += 3) {
		unsigned a = ((unsigned)data[i] << 8 | data[i + 1]) % ADDRS;
		unsigned step = data[i + 2];
		struct sockaddr_storage ss = { 0 };
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		struct bucket *b;
		double t;
		int known;

		/* The clock: up to 254 ms on, or 1000 s. */
		if (step == 255)
			now.tv_sec += 1000;
		else
			now.tv_nsec += (long)step * 1000000;
		now.tv_sec += now.tv_nsec / 1000000000;
		now.tv_nsec %= 1000000000;
		t = (double)now.tv_sec + (double)now.tv_nsec / 1e9;

		in->sin_family = AF_INET;
		in->sin_port = htons(5000);
		in->sin_addr.s_addr = htonl(0x0a000000u + a);
		known = in_table(&in->sin_addr);
		b = find_bucket(&ss, &now, rate, burst);
		if (b == NULL) {
			/* Refused only when it is not in the table, and the
			 * table is full. */
			for (size_t k = 0; k < MAX_SOURCES; k++)
				must(buckets[k].family != 0 &&
				    memcmp(buckets[k].addr, &in->sin_addr,
				    4) != 0);
			continue;
		}
		/* A new bucket is a full one (or a full one forgotten). */
		if (!known) {
			model[a].tokens = burst;
			model[a].last = t;
		}
		model[a].tokens += rate * (t - model[a].last);
		if (model[a].tokens > burst)
			model[a].tokens = burst;
		model[a].last = t;
		must(fabs(b->tokens - model[a].tokens) < 1e-6);
		/*
		 * main(): a token for an echo, or the datagram is dropped.
		 * Within rounding of a whole token either may be right; the
		 * oracle then follows the solution.
		 */
		if (b->tokens >= 1) {
			must(model[a].tokens > 1 - 1e-6);
			b->tokens -= 1;
			model[a].tokens -= 1;
		} else {
			must(model[a].tokens < 1 + 1e-6);
		}
	}
	/* Every source in at most one bucket. */
	for (size_t i = 0; i < MAX_SOURCES; i++)
		for (size_t j = i + 1; j < MAX_SOURCES && buckets[i].family;
		    j++)
			must(buckets[j].family == 0 ||
			    memcmp(buckets[i].addr, buckets[j].addr, 4) != 0);
	return 0;
}
