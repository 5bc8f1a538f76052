/*
 * Hostile: put before the reference solution (scripts/check-grader does),
 * so that it passes its tests, but first leaves a daemon behind that holds
 * a thousand UDP ports on loopback and never exits: the ports a test's
 * next server might want, and a process no test started.
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void
squat(void)
{
	if (fork() != 0)
		return;
	/* Out of the test's process group, its pipes closed. */
	(void)setsid();
	if (fork() != 0)
		_exit(0);
	for (int fd = 0; fd < 3; fd++)
		(void)close(fd);
	for (int port = 32768, held = 0; port < 61000 && held < 1000; port++) {
		struct sockaddr_in a = { .sin_family = AF_INET,
		    .sin_port = htons((unsigned short)port),
		    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd == -1)
			break;
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			held++;
		else
			(void)close(fd);
	}
	for (;;)
		pause();
}
