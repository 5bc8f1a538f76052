/* Hostile: writes 1 GiB to stdout as fast as the reader takes it. */
#include <string.h>
#include <unistd.h>

int
main(void)
{
	static char block[1 << 16];

	memset(block, 'y', sizeof(block));
	for (long i = 0; i < (1L << 30) / (long)sizeof(block); i++)
		if (write(1, block, sizeof(block)) == -1)
			return 1;
	return 0;
}
