/* SPDX-License-Identifier: MIT */
/*
 * test_signals.c - src/signals.c: the mask pidone starts with, and the one
 * signalfd that carries every signal, SIGCHLD included (the reaper is woken
 * through it), drained completely on each wakeup. Each test runs in its own
 * process (Criterion forks), so blocking signals here touches nothing else.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signals.h"

#define MAX_SEEN 32

struct seen {
	struct signals s;
	int n;
	int signo[MAX_SEEN];
};

static void record(void *data, int signo)
{
	struct seen *seen = data;

	if (seen->n < MAX_SEEN)
		seen->signo[seen->n] = signo;
	seen->n++;
}

static bool saw(const struct seen *seen, int signo)
{
	for (int i = 0; i < seen->n && i < MAX_SEEN; i++) {
		if (seen->signo[i] == signo)
			return true;
	}
	return false;
}

/*
 * To this thread, and not as kill() from our own pid, which is what a
 * signal pidone raised itself looks like (and is dropped).
 */
static void send_self(int sig)
{
	cr_assert_eq(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig), 0);
}

/* Block everything, open the signalfd on a fresh loop. */
static struct ev_loop *start(struct seen *seen)
{
	sigset_t original;
	struct ev_loop *loop = ev_loop_new(EVFLAG_NOSIGMASK | EVFLAG_NOENV);

	cr_assert_not_null(loop);
	cr_assert_eq(signals_block_all(&original), 0);
	*seen = (struct seen){ .s = { .fd = -1 } };
	cr_assert_eq(signals_start(&seen->s, loop, record, seen), 0, "%s",
		     strerror(errno));
	cr_assert_geq(seen->s.fd, 0);
	return loop;
}

static void stop(struct seen *seen, struct ev_loop *loop)
{
	signals_done(&seen->s, loop);
	cr_expect_eq(seen->s.fd, -1, "signals_done closes the fd");
	ev_loop_destroy(loop);
}

/* The synchronous ones too, and SIGCHLD: all wait in the signalfd. */
static const int blocked[] = {
	SIGTERM, SIGINT, SIGCHLD, SIGSEGV, SIGPIPE, SIGTSTP,
};

Test(signals, block_all_blocks_everything_and_saves_the_original)
{
	sigset_t before, original, now;

	sigemptyset(&before);
	sigaddset(&before, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_SETMASK, &before, NULL), 0);
	cr_assert_eq(signals_block_all(&original), 0);
	cr_expect(sigismember(&original, SIGUSR1));
	cr_expect_not(sigismember(&original, SIGTERM));
	cr_assert_eq(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		cr_expect(sigismember(&now, blocked[i]), "signal %d blocked",
			  blocked[i]);
	cr_expect(sigismember(&now, SIGRTMIN));
	cr_expect(sigismember(&now, SIGRTMAX));
}

/*
 * The signals the C library keeps for itself (glibc 32-33, musl 32-34) are
 * blocked and read from the signalfd too: 34 is glibc's SIGRTMIN, which a
 * child may use, and an unblocked one would end pidone.
 */
Test(signals, libc_reserved_signals_are_blocked_and_read)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);
	uint64_t mask = 0;

	cr_assert_eq(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask,
			     sizeof(mask)),
		     0);
	/* all but KILL (9) and STOP (19), which the kernel never blocks */
	cr_assert_eq(mask, ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1))),
		     "mask %#llx", (unsigned long long)mask);
	/*
	 * To this thread: Criterion's runner has other threads, which do not
	 * block these, and glibc's handlers would take them there.
	 */
	for (int sig = 32; sig <= 34; sig++)
		cr_assert_eq(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid),
				     sig),
			     0);
	ev_run(loop, EVRUN_NOWAIT);
	for (int sig = 32; sig <= 34; sig++)
		cr_expect(saw(&seen, sig), "signal %d read", sig);
	stop(&seen, loop);
}

Test(signals, sigchld_of_an_exited_child_comes_through_the_fd)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);
	pid_t pid = fork();
	siginfo_t info;
	int status;

	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(3);
	/* Wait for the exit without reaping: the SIGCHLD is then queued. */
	cr_assert_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT), 0);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, 1);
	cr_expect(saw(&seen, SIGCHLD), "SIGCHLD read from the signalfd");
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	stop(&seen, loop);
}

Test(signals, one_wakeup_drains_every_pending_signal)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);
	const int sigs[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH };
	const int nsigs = (int)(sizeof(sigs) / sizeof(sigs[0]));
	union sigval v = { .sival_int = 0 };

	for (int i = 0; i < nsigs; i++)
		send_self(sigs[i]);
	/* 20 queued real-time signals: more than one read of 16 holds */
	for (int i = 0; i < 20; i++)
		cr_assert_eq(sigqueue(getpid(), SIGRTMIN, v), 0);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, nsigs + 20, "all read in one wakeup, got %d",
		     seen.n);
	for (int i = 0; i < nsigs; i++)
		cr_expect(saw(&seen, sigs[i]), "signal %d read", sigs[i]);
	/* nothing left behind: a second pass finds the fd empty */
	seen.n = 0;
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, 0);
	stop(&seen, loop);
}

Test(signals, standard_signals_collapse_into_one)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);

	/* why the reaper loops: three SIGCHLDs are read as one */
	for (int i = 0; i < 3; i++)
		send_self(SIGCHLD);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, 1);
	cr_expect(saw(&seen, SIGCHLD));
	stop(&seen, loop);
}

/*
 * A write to a pipe without a reader raises SIGPIPE as SI_USER from our
 * own pid: dropped without a call (logging it could raise the next one),
 * while the same signal sent by someone else is passed on.
 */
Test(signals, self_raised_sigpipe_is_dropped)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);
	int fds[2];

	cr_assert_eq(pipe(fds), 0);
	close(fds[0]);
	cr_assert_eq(write(fds[1], "x", 1), -1);
	cr_assert_eq(errno, EPIPE);
	close(fds[1]);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, 0, "our own SIGPIPE was passed on");
	send_self(SIGPIPE);
	ev_run(loop, EVRUN_NOWAIT);
	cr_expect_eq(seen.n, 1);
	cr_expect(saw(&seen, SIGPIPE));
	stop(&seen, loop);
}

/* A long pass polls: the pending signal is acted on without the loop. */
Test(signals, poll_reads_what_is_pending_without_the_loop)
{
	struct seen seen;
	struct ev_loop *loop = start(&seen);

	signals_poll(&seen.s);
	cr_expect_eq(seen.n, 0, "nothing pending, nothing read");
	send_self(SIGTERM);
	signals_poll(&seen.s);
	cr_expect_eq(seen.n, 1);
	cr_expect(saw(&seen, SIGTERM));
	stop(&seen, loop);
}

Test(signals, done_accepts_a_never_started_struct)
{
	struct signals s = { .fd = -1 };

	signals_done(&s, NULL);
	cr_expect_eq(s.fd, -1);
}

struct self_row {
	const char *name;
	int code;
	pid_t pid;
	bool self;
};

Test(signals, is_self_raised)
{
	const pid_t me = 42;
	const struct self_row rows[] = {
		{ "our own EPIPE", SI_USER, 42, true },
		{ "kill from another pid", SI_USER, 7, false },
		{ "kill from outside the namespace", SI_USER, 0, false },
		{ "kernel", SI_KERNEL, 42, false },
		{ "sigqueue from us", SI_QUEUE, 42, false },
		{ "tkill from us", SI_TKILL, 42, false },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct signalfd_siginfo si = {
			.ssi_signo = SIGPIPE,
			.ssi_code = rows[i].code,
			.ssi_pid = (uint32_t)rows[i].pid,
		};

		cr_expect_eq(signals_is_self_raised(&si, me), rows[i].self,
			     "%s", rows[i].name);
	}
}
