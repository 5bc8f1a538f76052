/* Hostile: looks for the reference solution upwards from its folder and
 * from every path in its environment, and copies what it finds to stderr,
 * where the grade shows it (and to leak.txt in its folder). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int found;

static void
try(const char *dir)
{
	char path[4096], line[256];
	FILE *in, *out;

	snprintf(path, sizeof(path), "%s/solutions/03-client/checked-client.c",
	    dir);
	if ((in = fopen(path, "r")) == NULL)
		return;
	if ((out = fopen("leak.txt", "a")) != NULL) {
		while (fgets(line, sizeof(line), in) != NULL)
			fputs(line, out);
		fclose(out);
	}
	fprintf(stderr, "LEAKED %s: ", path);
	rewind(in);
	if (fgets(line, sizeof(line), in) != NULL)
		fputs(line, stderr);
	fclose(in);
	found = 1;
}

int
main(void)
{
	char dir[4096] = ".";

	for (int up = 0; up < 12; up++) {
		try(dir);
		strncat(dir, "/..", sizeof(dir) - strlen(dir) - 1);
	}
	for (char **e = environ; *e != NULL; e++) {
		const char *v = strchr(*e, '=');
		char path[4096];

		if (v == NULL || v[1] != '/')
			continue;
		snprintf(path, sizeof(path), "%s", v + 1);
		/* Each of the path's folders, from the whole path up. */
		for (char *slash; (slash = strrchr(path, '/')) != NULL;
		    *slash = '\0')
			try(*path ? path : "/");
	}
	fprintf(stderr, "searched, found %s\n", found ? "it" : "nothing");
	return 0;
}
