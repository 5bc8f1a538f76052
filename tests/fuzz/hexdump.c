/*
 * Fuzz lab 01's hexdump(): read back, its lines give the bytes again,
 * every line has the layout LAB.md shows, and the last line is the length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* The solution itself, its main() renamed so that it is not ours. */
#define main hexdump_server_main
#include "../../solutions/01-bare-server/hexdump-server.c"
#undef main

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *saved;
	char *text = NULL;
	size_t len = 0;
	unsigned char *back = malloc(size + 16);
	size_t n = 0, expect_off = 0;
	char *line, *save;
	int star = 0;

	must(back != NULL);
	/* hexdump() prints to stdout: here, into memory.  (stdout is a
	 * variable one may set in glibc; C does not promise it.) */
	if (saved == NULL)
		saved = stdout;
	stdout = open_memstream(&text, &len);
	must(stdout != NULL);
	hexdump(data, size);
	must(fclose(stdout) == 0);
	stdout = saved;

	if (size == 0) {
		must(len == 0);
		free(text);
		free(back);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		unsigned long off;
		size_t k = 0;

		if (strcmp(line, "*") == 0) {
			/* A run of lines equal to the one before. */
			must(!star && n >= 16);
			star = 1;
			continue;
		}
		must(strlen(line) >= 8 && sscanf(line, "%8lx", &off) == 1);
		if (strlen(line) == 8) {
			/* The last line: the length, after any run. */
			while (star && n < off) {
				memcpy(back + n, back + n - 16, 16);
				n += 16;
			}
			must(off == size && n == size);
			must(strtok_r(NULL, "\n", &save) == NULL);
			break;
		}
		while (star && n < off) {
			memcpy(back + n, back + n - 16, 16);
			n += 16;
		}
		star = 0;
		must(off == n && off % 16 == 0);
		/* "OFFSET  xx xx ... xx  xx ... xx  |ascii|": 78 at most. */
		must(strlen(line) <= 78);
		for (size_t i = 0; i < 16; i++) {
			const char *at = line + 8 + 1 + (i >= 8) + 3 * i;
			unsigned int b;

			if (at[1] == ' ')
				break;
			/* Two lower-case hex digits, as %02x prints. */
			must(at[0] == ' ' &&
			    strspn(at + 1, "0123456789abcdef") >= 2 &&
			    sscanf(at + 1, "%2x", &b) == 1);
			back[n + k++] = (unsigned char)b;
		}
		{
			const char *bar = strchr(line, '|');

			must(bar != NULL && strlen(bar) == k + 2 &&
			    bar[k + 1] == '|');
			for (size_t i = 0; i < k; i++) {
				unsigned char c = back[n + i];

				must(bar[1 + i] == (c >= 0x20 && c < 0x7f ?
				    (char)c : '.'));
			}
		}
		n += k;
		expect_off = n;
	}
	(void)expect_off;
	must(n == size && memcmp(back, data, size) == 0);
	free(text);
	free(back);
	return 0;
}
