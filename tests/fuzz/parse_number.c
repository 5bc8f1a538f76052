/*
 * Fuzz net_parse_number(): it accepts exactly the strings of decimal
 * digits whose value lies in [min, max], and gives that value; a simple
 * digit-by-digit reading is the oracle.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "net.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long min, max, got = 12345, want = 0;
	char s[64];
	bool digits = true, overflow = false;
	size_t n;
	int r;

	if (size < 2 * sizeof(long))
		return 0;
	memcpy(&min, data, sizeof(long));
	memcpy(&max, data + sizeof(long), sizeof(long));
	data += 2 * sizeof(long);
	size -= 2 * sizeof(long);
	n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	n = strlen(s);

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') {
			digits = false;
			break;
		}
		if (want > (LONG_MAX - (s[i] - '0')) / 10)
			overflow = true;
		else
			want = want * 10 + (s[i] - '0');
	}
	digits = digits && n > 0;

	errno = 0;
	r = net_parse_number(s, min, max, &got);
	if (!digits) {
		must(r == -1 && errno == EINVAL && got == 12345);
	} else if (overflow || want < min || want > max) {
		must(r == -1 && errno == ERANGE && got == 12345);
	} else {
		must(r == 0 && got == want);
		/* A check alone (out NULL) says the same. */
		must(net_parse_number(s, min, max, NULL) == 0);
	}
	return 0;
}
