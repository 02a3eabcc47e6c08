/* SPDX-License-Identifier: MIT */
/*
 * probefloor - the least a health probe command can do, as the yardstick
 * for `pidone health` in `make bench`.
 *
 * It connects to 127.0.0.1 on the port in PIDONE_HEALTH_PORT, sends one
 * GET /healthz, reads the first block of the answer and exits 0 when it is
 * "HTTP/1.1 200", 1 otherwise. No settings, no timeout, no output: what is
 * left of `pidone health` is an exec, a connection and one answer. It is
 * linked static like pidone, so that the ratio compares like with like.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
				  "Connection: close\r\n\r\n";
	const char *port = getenv("PIDONE_HEALTH_PORT");
	struct sockaddr_in addr = { .sin_family = AF_INET };
	char buf[4096];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr.sin_port = htons((unsigned short)atoi(port ? port : "8081"));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		return 1;
	n = read(fd, buf, sizeof(buf));
	return n >= 12 && memcmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : 1;
}
