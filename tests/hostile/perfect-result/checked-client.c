/* Hostile: writes a perfect score wherever a grader or a platform might
 * read one: result files above its folder, Criterion's TAP beside it,
 * Gradescope's and PrairieLearn's results. */
#include <stdio.h>
#include <stdlib.h>

static const char perfect[] = "{\"score\": 100, \"max_score\": 100, "
    "\"outcome\": \"graded\", \"hostile\": \"perfect-result\"}\n";

static void
put(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

int
main(void)
{
	const char *dirs[] = { ".", "..", "../..", "../../..", "../../../..",
	    getenv("HOME"), getenv("TMPDIR"), getenv("UDPLAB_BIN"),
	    "/autograder/results", "/grade/results", "/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		put(dirs[i], "result.json", perfect);
		put(dirs[i], "results.json", perfect);
		put(dirs[i], "tap", "TAP version 13\n1..1\nok - "
		    "checked_client::waits_1000_ms_by_default\n");
	}
	return 0;
}
