/* Hostile: lists the network links it can see (links.txt) and tries to
 * reach TEST-NET-1, 192.0.2.1 (connect.txt).  A UDP connect() sends
 * nothing; it only asks for a route, which the sandbox must not have. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

int
main(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	FILE *f;
	int fd;

	/* ip is in /usr/sbin, which a plain PATH may lack. */
	if (system("PATH=$PATH:/usr/sbin:/sbin ip -o link >links.txt 2>&1") != 0)
		perror("ip");
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if ((f = fopen("connect.txt", "w")) == NULL)
		return 1;
	if (fd == -1)
		fprintf(f, "socket: %s\n", strerror(errno));
	else if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1)
		fprintf(f, "%s\n", errno == ENETUNREACH ? "ENETUNREACH" :
		    strerror(errno));
	else
		fprintf(f, "connected\n");
	fclose(f);
	return 0;
}
