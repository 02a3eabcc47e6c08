/* SPDX-License-Identifier: MIT */
/*
 * sigconf - integration-test helper: print the process state a PID 1 must
 * hand to its child, or set up a signal state and exec a command.
 *
 * Without a command it prints, one "key: value" line each, and exits 0:
 *
 *   pid: 7
 *   ppid: 1
 *   pgid: 7
 *   sid: 1
 *   blocked: 10 12        signals in the mask (sigprocmask), ascending
 *   ignored: 13           signals whose disposition is SIG_IGN
 *   fds: 0 1 2            entries of /proc/self/fd, minus the listing's own
 *   nonewprivs: 1         prctl(PR_GET_NO_NEW_PRIVS)
 *
 * Empty lists print as "blocked:" with nothing after the colon.
 *
 *   --reset         first set every disposition to SIG_DFL and empty the
 *                   mask (must come before --block and --ignore)
 *   --block SIG     block signal number SIG first (repeatable)
 *   --ignore SIG    set SIG to SIG_IGN first (repeatable)
 *   --no-ipv6       make socket(AF_INET6, ...) fail with EAFNOSUPPORT from
 *                   then on, as on a kernel booted with ipv6.disable=1
 *   --fake-ok CALL  make CALL (setresuid or setgroups) return 0 without
 *                   doing anything: a privilege drop that did not happen
 *   (both are seccomp filters, inherited by CMD and its children; they
 *   need root (CAP_SYS_ADMIN); exit 77 on an architecture sigconf does
 *   not know)
 *   -- CMD ARG...   after the above, exec CMD instead of printing
 *
 * "sigconf --block 10 --ignore 12 -- pidone -- sigconf" starts pidone with
 * USR1 blocked and USR2 ignored, and the inner sigconf shows what pidone
 * passed on (the same test as tini's sigconf-test).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: sigconf [--reset] [--no-ipv6] [--fake-ok CALL] "
			"[--block SIG]... [--ignore SIG]... [-- CMD [ARG...]]\n");
}

/*
 * Every disposition back to SIG_DFL, nothing blocked. SIGKILL and SIGSTOP
 * cannot be changed, and 32/33 belong to glibc (sigaction says EINVAL):
 * those failures are expected and skipped.
 */
static int reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig <= SIGRTMAX; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL) {
			perror("sigconf: sigaction");
			return -errno;
		}
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) {
		perror("sigconf: sigprocmask");
		return -errno;
	}
	return 0;
}

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * A seccomp filter: system call @nr (when @family >= 0, only with that
 * first argument) returns -@err without running; @err 0 is a success
 * that did nothing. Returns 0, or the exit code after saying why not.
 */
static int refuse(long nr, int family, unsigned err)
{
#ifdef NATIVE_ARCH
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 3),
		/* the low 32 bits of the first argument (little-endian) */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		/* without a family both ways lead to the refusal */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)family, 0,
			 family < 0 ? 0 : 1),
		BPF_STMT(BPF_RET | BPF_K,
			 SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("sigconf: seccomp");
		return 2;
	}
	return 0;
#else
	(void)nr;
	(void)family;
	(void)err;
	fprintf(stderr, "sigconf: seccomp: unknown architecture\n");
	return 77;
#endif
}

static int parse_sig(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 1 || v > SIGRTMAX)
		return -EINVAL;
	return (int)v;
}

static void print_blocked(void)
{
	sigset_t set;
	int sig;

	sigprocmask(SIG_SETMASK, NULL, &set);
	printf("blocked:");
	for (sig = 1; sig <= SIGRTMAX; sig++)
		if (sigismember(&set, sig) == 1)
			printf(" %d", sig);
	printf("\n");
}

static void print_ignored(void)
{
	struct sigaction sa;
	int sig;

	printf("ignored:");
	for (sig = 1; sig <= SIGRTMAX; sig++) {
		if (sigaction(sig, NULL, &sa) < 0)
			continue; /* 32 and 33 belong to glibc */
		if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
			printf(" %d", sig);
	}
	printf("\n");
}

static int print_fds(void)
{
	struct dirent *de;
	DIR *dir;
	int self;

	dir = opendir("/proc/self/fd");
	if (!dir) {
		perror("sigconf: /proc/self/fd");
		return -errno;
	}
	self = dirfd(dir);
	printf("fds:");
	/* readdir lists fds in ascending order in procfs */
	while ((de = readdir(dir))) {
		char *end;
		long fd;

		if (de->d_name[0] == '.')
			continue;
		fd = strtol(de->d_name, &end, 10);
		if (*end || fd == self)
			continue;
		printf(" %ld", fd);
	}
	printf("\n");
	closedir(dir);
	return 0;
}

int main(int argc, char **argv)
{
	int i, sig, nnp;

	i = 1;
	while (i < argc) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--no-ipv6")) {
			int r = refuse(__NR_socket, AF_INET6, EAFNOSUPPORT);

			if (r)
				return r;
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--fake-ok") && i + 1 < argc) {
			long nr = !strcmp(argv[i + 1], "setresuid") ?
					  __NR_setresuid :
				  !strcmp(argv[i + 1], "setgroups") ?
					  __NR_setgroups :
					  -1;
			int r = nr < 0 ? 2 : refuse(nr, -1, 0);

			if (r) {
				usage();
				return r;
			}
			i += 2;
			continue;
		}
		if (!strcmp(argv[i], "--reset")) {
			if (reset_signals() < 0)
				return 2;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			usage();
			return 2;
		}
		sig = parse_sig(argv[i + 1]);
		if (sig < 0) {
			usage();
			return 2;
		}
		if (!strcmp(argv[i], "--block")) {
			sigset_t set;

			sigemptyset(&set);
			sigaddset(&set, sig);
			sigprocmask(SIG_BLOCK, &set, NULL);
		} else if (!strcmp(argv[i], "--ignore")) {
			struct sigaction sa;

			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_IGN;
			if (sigaction(sig, &sa, NULL) < 0) {
				perror("sigconf: sigaction");
				return 2;
			}
		} else {
			usage();
			return 2;
		}
		i += 2;
	}

	if (i < argc) {
		execvp(argv[i], argv + i);
		fprintf(stderr, "sigconf: exec %s: %s\n", argv[i],
			strerror(errno));
		return 127;
	}

	printf("pid: %d\n", (int)getpid());
	printf("ppid: %d\n", (int)getppid());
	printf("pgid: %d\n", (int)getpgid(0));
	printf("sid: %d\n", (int)getsid(0));
	print_blocked();
	print_ignored();
	if (print_fds() < 0)
		return 1;
	nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	printf("nonewprivs: %d\n", nnp);
	return fflush(stdout) ? 1 : 0;
}
