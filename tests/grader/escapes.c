/*
 * escapes.c - a submission for every lab (scripts/check-grader, case
 * escapes-LAB-MODE) that does nothing but say where it ran.  In the
 * sandbox its $HOME is the scratch folder, gone when it ends; run outside
 * (by a tool of a test's, as root) it has the grader's $HOME, where it
 * leaves a file that check-grader looks for.  It always exits 1, so that
 * no test passes: only where it ran matters.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *home = getenv("HOME");
	char path[4096];
	int fd;

	(void)argc;
	if (home == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/escaped", home);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd != -1) {
		dprintf(fd, "%s ran as uid %d outside the sandbox\n", argv[0],
		    (int)getuid());
		close(fd);
	}
	return 1;
}
