/* SPDX-License-Identifier: MIT */
/*
 * replay.c - `make check` replays every fuzz input kept in the tree through
 * one libFuzzer target, without libFuzzer: the seed corpus
 * tests/fuzz/corpus/TARGET and the regressions tests/fuzz/regress/TARGET
 * (each a former crash, leak or invariant failure, named for what it
 * caught). Built once per target with -DFUZZ_TARGET='"http"' and linked
 * with tests/fuzz/fuzz_http.c; FUZZ_SRCDIR is $(abs_top_srcdir)/tests/fuzz.
 *
 * A target checks its invariants with abort(), so a failing input shows up
 * as a crashed Criterion test naming the file (printed just before). Under
 * the ASan build of `make check-all` the inputs are also checked for
 * memory errors and leaks, as in the fuzzer.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"'"
#endif
#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "tests/fuzz"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read @path whole into a malloc'd exactly-sized block. */
static uint8_t *slurp(const char *path, size_t *ret_len)
{
	struct stat st;
	uint8_t *buf;
	size_t have = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0, "%s: %s", path, strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	cr_assert_not_null(buf);
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		cr_assert_gt(n, 0, "%s: short read", path);
		have += (size_t)n;
	}
	close(fd);
	*ret_len = have;
	return buf;
}

static int replay_dir(const char *dir, bool must_exist)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), done = 0;

	if (n < 0) {
		cr_assert(!must_exist, "%s: %s", dir, strerror(errno));
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		uint8_t *data;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] == '.' || stat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode)) {
			free(names[i]);
			continue;
		}
		fprintf(stderr, "replay: %s\n", path);
		data = slurp(path, &len);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		free(names[i]);
		done++;
	}
	free(names);
	return done;
}

Test(fuzz_replay, corpus_and_regressions)
{
	int n = replay_dir(FUZZ_SRCDIR "/corpus/" FUZZ_TARGET, true);

	n += replay_dir(FUZZ_SRCDIR "/regress/" FUZZ_TARGET, false);
	cr_assert_gt(n, 0, "no input for " FUZZ_TARGET);
	cr_log_info("%s: %d inputs replayed", FUZZ_TARGET, n);
}
