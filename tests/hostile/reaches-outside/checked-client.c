/* Hostile: names the network links it can see and tries to reach
 * TEST-NET-1, 192.0.2.1, saying what it found on stderr, where the grade
 * shows it.  A UDP connect() sends nothing: it only asks for a route,
 * which the sandbox must not have. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int
main(void)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	char line[1024], name[64];
	FILE *ip;
	int fd, n = 0;

	/* ip link, not /sys/class/net: that shows the host's links.  ip is
	 * in /usr/sbin, which a plain PATH may lack. */
	fprintf(stderr, "links: [");
	ip = popen("PATH=$PATH:/usr/sbin:/sbin ip -o link 2>&1", "r");
	while (ip != NULL && fgets(line, sizeof(line), ip) != NULL)
		if (sscanf(line, "%*d: %63[^:@]", name) == 1)
			fprintf(stderr, "%s%s", n++ ? " " : "", name);
	if (ip != NULL)
		pclose(ip);
	fprintf(stderr, "]\n");
	inet_pton(AF_INET, "192.0.2.1", &to.sin_addr);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		fprintf(stderr, "connect: socket: %s\n", strerror(errno));
	else if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1)
		fprintf(stderr, "connect: %s\n", errno == ENETUNREACH ?
		    "ENETUNREACH" : strerror(errno));
	else
		fprintf(stderr, "connect: connected\n");
	return 0;
}
