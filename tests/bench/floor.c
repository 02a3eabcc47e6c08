/* SPDX-License-Identifier: MIT */
/*
 * floor - the least an init can do, as the yardstick for `make bench`.
 *
 * "floor [--] COMMAND [ARG...]" forks COMMAND, then waits for any child in a
 * blocking waitpid(-1) loop, reaping every orphan handed to it, until
 * COMMAND itself ends; it then exits with COMMAND's status (128+N when
 * signal N killed it). It forwards no signal, handles no signal, opens no
 * fd and allocates nothing. When it is not PID 1 it asks to be a child
 * subreaper, so that it reaps the same orphans as the peers do (one prctl,
 * which every peer makes too). It is linked static like pidone, so that
 * every ratio to it compares like with like.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int first = 1;
	pid_t child;

	if (argc > 1 && strcmp(argv[1], "--") == 0)
		first = 2;
	if (first >= argc)
		return 64;
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	child = fork();
	if (child < 0)
		return 70;
	if (child == 0) {
		execvp(argv[first], argv + first);
		_exit(errno == ENOENT ? 127 : 126);
	}

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return 70;
		if (pid != child)
			continue;
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
		return WEXITSTATUS(status);
	}
}
