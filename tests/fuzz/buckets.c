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
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"

/* The solution itself, its main() renamed so that it is not ours. */
#define main safe_echo_main
#include "../../solutions/04-echo-server/safe-echo.c"
#undef main

#define ADDRS 2048

static double rate_now, burst_now;	/* this input's -r and -b */
static int slot_of[ADDRS];		/* the bucket each source had */
static int slot_owner[MAX_SOURCES];	/* the source each bucket had */

static struct {
	double tokens;
	double last;		/* when tokens was brought up to date */
} model[ADDRS];

/* The source 10.0.x.y of bucket k, as an index 0 to ADDRS - 1. */
static int
owner(size_t k)
{
	if (buckets[k].family != AF_INET)
		return -1;
	return (buckets[k].addr[2] << 8 | buckets[k].addr[3]) % ADDRS;
}

/* The model's tokens of source a, brought up to time t. */
static double
model_at(int a, double t)
{
	double tokens = model[a].tokens + rate_now * (t - model[a].last);

	return tokens > burst_now ? burst_now : tokens;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct timespec now = { .tv_sec = 1000, .tv_nsec = 0 };
	double rate, burst;

	if (size < 2)
		return 0;
	rate = rate_now = 1 + data[0] % 50;
	burst = burst_now = 1 + data[1] % 30;
	memset(buckets, 0, sizeof(buckets));
	memset(model, 0, sizeof(model));
	for (int a = 0; a < ADDRS; a++)
		slot_of[a] = -1;
	for (int k = 0; k < MAX_SOURCES; k++)
		slot_owner[k] = -1;
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
		known = slot_of[a] != -1 && owner((size_t)slot_of[a]) == (int)a;
		b = find_bucket(&ss, &now, rate, burst);
		if (b == NULL) {
			/* Refused only when it is new and the table full. */
			must(!known);
			for (size_t k = 0; k < MAX_SOURCES; k++)
				must(buckets[k].family != 0);
			continue;
		}
		if (!known) {
			/*
			 * A newcomer took the place of a source that had
			 * refilled, or of none: a bucket not yet full,
			 * forgotten, would give its source a fresh burst.
			 */
			int was = slot_owner[b - buckets];

			must(was == -1 || model_at(was, t) >= burst - 1e-6);
		} else {
			must(b == &buckets[slot_of[a]]);
		}
		slot_of[a] = (int)(b - buckets);
		slot_owner[b - buckets] = (int)a;
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
	{
		static bool seen[ADDRS];

		memset(seen, 0, sizeof(seen));
		for (size_t k = 0; k < MAX_SOURCES; k++) {
			int a = owner(k);

			if (a == -1)
				continue;
			must(!seen[a]);
			seen[a] = true;
		}
	}
	return 0;
}
