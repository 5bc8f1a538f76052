/*
 * Fuzz net_print_escaped(): whatever the bytes, what it prints is
 * printable ASCII only, and decoding it gives the bytes back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "net.h"

/* The escapes net.c promises: \n, \", \\, \xNN; all else as itself. */
static size_t
unescape(const char *s, size_t len, unsigned char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		must(s[i] >= 0x20 && s[i] < 0x7f);
		if (s[i] != '\\') {
			must(s[i] != '"');
			out[n++] = (unsigned char)s[i];
			continue;
		}
		must(i + 1 < len);
		switch (s[++i]) {
		case 'n':
			out[n++] = '\n';
			break;
		case '"':
		case '\\':
			out[n++] = (unsigned char)s[i];
			break;
		case 'x':
			/* Two hex digits, lower case, as %02x writes them. */
			must(i + 2 < len && strchr("0123456789abcdef",
			    s[i + 1]) != NULL && strchr("0123456789abcdef",
			    s[i + 2]) != NULL && s[i + 1] && s[i + 2]);
			out[n++] = (unsigned char)strtol((char[]){ s[i + 1],
			    s[i + 2], '\0' }, NULL, 16);
			i += 2;
			break;
		default:
			must(!"an escape net.c does not make");
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

	must(f != NULL && back != NULL);
	must(net_print_escaped(f, data, size) == 0);
	must(fclose(f) == 0);
	/* At most four characters a byte: \xNN. */
	must(len <= 4 * size);
	must(unescape(text, len, back) == size);
	must(memcmp(back, data, size) == 0);
	free(text);
	free(back);
	return 0;
}
