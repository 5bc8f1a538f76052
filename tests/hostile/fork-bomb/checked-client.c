/* Hostile: forks until fork fails, and every child does the same. */
#include <unistd.h>

int
main(void)
{
	for (;;)
		(void)fork();
}
