/* Hostile: takes memory a mebibyte at a time and touches every page, and
 * keeps asking when the allocator says no. */
#include <stdlib.h>
#include <string.h>

int
main(void)
{
	for (;;) {
		char *p = malloc(1 << 20);

		if (p != NULL)
			memset(p, 0xa5, 1 << 20);
	}
}
