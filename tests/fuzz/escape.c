/*
 * Fuzz net_print_escaped(): whatever the bytes, what it prints is
 * printable ASCII only, and decoding it gives the bytes back.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* The escapes net.c promises: \n, \", \\, \xNN; all else as itself. */
static size_t
unescape(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		assert(s[i] >= 0x20 && s[i] < 0x7f);
		if (s[i] != '\\') {
			assert(s[i] != '"');
			out[n++] = (unsigned char)s[i];
			continue;
		}
		assert(i + 1 < len);
		switch (s[++i]) {
		case 'n':
			out[n++] = '\n';
			break;
		case '"':
		case '\\':
			out[n++] = (unsigned char)s[i];
			break;
		case 'x':
			assert(i + 2 < len);
			out[n++] = (unsigned char)strtol((char[]){ s[i + 1],
			    s[i + 2], '\0' }, NULL, 16);
			i += 2;
			break;
		default:
			assert(!"an escape net.c does not make");
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;
	size_t len = 0;
	unsigned char *back = malloc(size + 1);
	FILE *f = open_memstream(&text, &len);

	assert(f != NULL && back != NULL);
	assert(net_print_escaped(f, data, size) == 0);
	assert(fclose(f) == 0);
	/* At most four characters a byte: \xNN. */
	assert(len <= 4 * size);
	assert(unescape(text, len, back) == size);
	assert(memcmp(back, data, size) == 0);
	free(text);
	free(back);
	return 0;
}
