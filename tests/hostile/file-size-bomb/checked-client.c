/* Hostile: fills a file in its folder, and one in /tmp, without end, and
 * says on stderr where each stopped. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static void
fill(const char *path)
{
	static char block[1 << 16];
	FILE *f = fopen(path, "w");
	long total = 0;

	if (f == NULL)
		return;
	memset(block, 'z', sizeof(block));
	while (fwrite(block, 1, sizeof(block), f) == sizeof(block))
		total += (long)sizeof(block);
	fprintf(stderr, "%s: stopped after %ld MiB: %s\n", path, total >> 20,
	    strerror(errno));
	fclose(f);
}

int
main(void)
{
	/* Past the file-size limit the kernel sends SIGXFSZ: ignored, the
	 * write fails with EFBIG instead, and the next file is tried. */
	signal(SIGXFSZ, SIG_IGN);
	fill("bomb");
	fill("/tmp/bomb");
	return 0;
}
