/* SPDX-License-Identifier: MIT */
/*
 * test_health_http.c - what src/health_http.c keeps between callbacks: the
 * real server on its own libev loop and loopback, driven one loop
 * iteration at a time, with socket buffers shrunk on both ends so that
 * answers stop part-way and heads arrive cut. Every answer must arrive
 * whole, once and in order, and no connection may keep bytes at the end.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "health.h"
#include "lifecycle_fake.h"
#include "health_http.h"
#include "http.h"
#include "log.h"
#include "settings.h"

struct rig {
	struct settings s;
	struct health h;
	struct health_http srv;
	struct ev_loop *loop;
	int client;
	int target; /* the --ready-tcp listener, -1 without */
};

/* A loopback TCP listener on a kernel-chosen port; its port to *@port. */
static int listener(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(fd, 16) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void rig_start(struct rig *r, bool ready_tcp)
{
	struct health_config cfg = { .ready_tcp = ready_tcp };
	unsigned port;
	int fd, code = 0;

	memset(r, 0, sizeof(*r));
	r->client = r->target = -1;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	settings_init(&r->s);
	/* a port that was free a moment ago */
	fd = listener(&port);
	close(fd);
	r->s.health_port = port;
	memcpy(r->s.health_addr, "127.0.0.1", sizeof("127.0.0.1"));
	if (ready_tcp) {
		r->target = listener(&r->s.ready_tcp_port);
		r->s.ready_tcp_host = strdup("127.0.0.1");
		cr_assert(r->s.ready_tcp_host);
	}
	health_init(&r->h, &cfg, fresh_lc());
	child_started(&r->h, clock_monotonic_ms());
	health_http_init(&r->srv);
	cr_assert(health_http_open(&r->srv, &r->s, &code) == 0);
	r->loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert(r->loop);
	cr_assert(health_http_start(&r->srv, r->loop, &r->s, &r->h, NULL) == 0);
}

static void rig_done(struct rig *r)
{
	if (r->client >= 0)
		close(r->client);
	health_http_done(&r->srv);
	ev_loop_destroy(r->loop);
	if (r->target >= 0)
		close(r->target);
	settings_done(&r->s);
}

/* One loop iteration that does not wait. */
static void step(struct rig *r)
{
	ev_run(r->loop, EVRUN_NOWAIT);
}

/* Let the loop run for about @ms (loopback needs no more than a few). */
static void pump(struct rig *r, int ms)
{
	struct timespec pause = { 0, 1000000 };

	for (int i = 0; i < ms; i++) {
		step(r);
		nanosleep(&pause, NULL);
	}
}

/* Input not handled yet, over every open connection. */
static size_t kept_in(const struct rig *r)
{
	size_t n = 0;

	for (unsigned i = 0; i < HEALTH_HTTP_CONNS_MAX; i++)
		if (r->srv.conns[i].state != HEALTH_HTTP_CLOSED)
			n += r->srv.conns[i].in_len - r->srv.conns[i].in_off;
	return n;
}

/* Answer bytes not sent yet, over every open connection. */
static size_t kept_out(const struct rig *r)
{
	size_t n = 0;

	for (unsigned i = 0; i < HEALTH_HTTP_CONNS_MAX; i++)
		if (r->srv.conns[i].state != HEALTH_HTTP_CLOSED)
			n += r->srv.conns[i].out_len - r->srv.conns[i].out_sent;
	return n;
}

/* No connection keeps bytes: no input waiting, no answer unsent. */
static void assert_nothing_kept(const struct rig *r)
{
	cr_assert_eq(kept_in(r), 0);
	cr_assert_eq(kept_out(r), 0);
}

/*
 * Connect a client with the smallest receive buffer, wait until the
 * server took it, and give the server's end the smallest send buffer.
 */
static void rig_connect(struct rig *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, me, peer;
	socklen_t len = sizeof(me);
	int one = 1, fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)r->s.health_port);
	r->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(r->client >= 0);
	cr_assert(setsockopt(r->client, SOL_SOCKET, SO_RCVBUF, &one,
			     sizeof(one)) == 0);
	cr_assert(connect(r->client, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(getsockname(r->client, (struct sockaddr *)&me, &len) == 0);
	for (int i = 0; i < 1000 && r->srv.n_open == 0; i++)
		pump(r, 1);
	cr_assert_eq(r->srv.n_open, 1);

	/* the server's end: the socket whose peer is the client */
	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(peer);
		if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 &&
		    peer.sin_family == AF_INET && peer.sin_port == me.sin_port)
			break;
	}
	cr_assert(fd < 1024, "the server's end of the connection");
	cr_assert(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) ==
		  0);
}

/* Append @s to the string in @buf of @size bytes. */
static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf), n = strlen(s);

	cr_assert(len + n < size);
	memcpy(buf + len, s, n + 1);
}

static void send_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		cr_assert(n > 0, "send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

/*
 * Read what the server sends, @chunk bytes at most per read with a loop
 * iteration between reads, until it closes or about 10 s pass. Returns
 * the bytes (NUL-terminated, to be freed) and their count in *@ret_len.
 */
static char *read_until_close(struct rig *r, size_t chunk, size_t *ret_len)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	uint64_t deadline = clock_monotonic_ms() + 10000;

	cr_assert(buf);
	while (clock_monotonic_ms() < deadline) {
		ssize_t n;

		step(r);
		n = recv(r->client, buf + len,
			 chunk < cap - len ? chunk : cap - len, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0) {
			cr_assert(errno == EAGAIN || errno == EWOULDBLOCK,
				  "recv: %s", strerror(errno));
			pump(r, 1);
			continue;
		}
		len += (size_t)n;
		cr_assert(len < cap, "more than 1 MiB of answers");
	}
	cr_assert(clock_monotonic_ms() < deadline, "no close within 10 s");
	buf[len] = '\0';
	*ret_len = len;
	return buf;
}

/*
 * Split @buf into answers: the status and body length of each, checked
 * against @want (status, body prefix or NULL) in order; nothing may be
 * left over.
 */
struct want {
	int status;
	const char *body_start;
};

static void check_answers(const char *buf, size_t len, const struct want *want,
			  size_t n_want)
{
	size_t pos = 0;

	for (size_t i = 0; i < n_want; i++) {
		const char *end = strstr(buf + pos, "\r\n\r\n");
		const char *cl = strstr(buf + pos, "\r\nContent-Length: ");
		int status = 0;
		unsigned long body;

		cr_assert(end, "answer %zu: no end of head", i);
		cr_assert(sscanf(buf + pos, "HTTP/1.1 %d ", &status) == 1,
			  "answer %zu: no status line", i);
		cr_assert_eq(status, want[i].status, "answer %zu", i);
		cr_assert(cl && cl < end, "answer %zu: no Content-Length", i);
		body = strtoul(cl + 18, NULL, 10);
		pos = (size_t)(end - buf) + 4;
		cr_assert(pos + body <= len, "answer %zu: body cut", i);
		if (want[i].body_start)
			cr_assert(strncmp(buf + pos, want[i].body_start,
					  strlen(want[i].body_start)) == 0,
				  "answer %zu: body %.20s", i, buf + pos);
		pos += body;
	}
	cr_assert_eq(pos, len, "bytes after the last answer");
}

#define METRICS "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
#define N_METRICS 24

/*
 * Send N_METRICS pipelined GET /metrics and a closing GET /healthz, and
 * fill @want (N_METRICS + 1) with their answers.
 */
static void send_metrics_pipeline(struct rig *r, struct want *want)
{
	char req[N_METRICS * sizeof(METRICS) + 64] = "";

	for (int i = 0; i < N_METRICS; i++) {
		append(req, sizeof(req), METRICS);
		want[i] = (struct want){ 200, "# HELP " };
	}
	append(req, sizeof(req),
	       "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	want[N_METRICS] = (struct want){ 200, "{\"status\":\"ok\"}" };
	send_str(r->client, req);
}

Test(health_http, slow_reader_gets_every_answer_once_in_order)
{
	struct rig r;
	struct want want[N_METRICS + 1];
	size_t len;
	char *got;

	rig_start(&r, false);
	rig_connect(&r);
	send_metrics_pipeline(&r, want);

	/* stuck: part of an answer and the heads behind it are kept */
	pump(&r, 20);
	cr_assert_gt(kept_out(&r), 0);
	cr_assert_gt(kept_in(&r), 0);

	/* small reads: each kept answer goes out in many sends; no more
	 * input comes, so the kept heads must be picked up on their own */
	got = read_until_close(&r, 300, &len);
	check_answers(got, len, want, N_METRICS + 1);
	free(got);
	pump(&r, 5);
	cr_assert_eq(r.srv.n_open, 0);
	assert_nothing_kept(&r);
	rig_done(&r);
}

Test(health_http, head_cut_across_reads_is_kept_then_answered)
{
	static const struct want want[] = {
		{ 200, "{\"status\":\"ok\"}" },
		{ 200, "{\"status\":\"ok\"}" },
	};
	struct rig r;
	size_t len;
	char *got;

	rig_start(&r, false);
	rig_connect(&r);
	send_str(r.client, "GET /hea");
	pump(&r, 5);
	cr_assert_gt(kept_in(&r), 0);
	send_str(r.client,
		 "lthz HTTP/1.1\r\nHost: x\r\n\r\nGET /livez HTTP/1.1\r");
	pump(&r, 5);
	cr_assert_gt(kept_in(&r), 0);
	send_str(r.client, "\nHost: x\r\nConnection: close\r\n\r\n");
	got = read_until_close(&r, 4096, &len);
	check_answers(got, len, want, 2);
	free(got);
	assert_nothing_kept(&r);
	rig_done(&r);
}

Test(health_http, kept_head_reaching_the_limit_gets_431)
{
	static const struct want want[] = { { 431, "431 " } };
	char head[HTTP_HEAD_MAX];
	struct rig r;
	size_t len;
	char *got;

	rig_start(&r, false);
	rig_connect(&r);
	memset(head, 'a', sizeof(head));
	memcpy(head, "GET /healthz HTTP/1.1\r\nX: ", 26);
	/* one byte short of the limit, in three reads: still waiting */
	send_all(r.client, head, 100);
	pump(&r, 5);
	send_all(r.client, head + 100, sizeof(head) - 101);
	pump(&r, 5);
	cr_assert_gt(kept_in(&r), 0);
	cr_assert_eq(r.srv.n_open, 1);
	/* the byte that fills the buffer */
	send_all(r.client, head, 1);
	shutdown(r.client, SHUT_WR); /* let the lingering close end */
	got = read_until_close(&r, 4096, &len);
	check_answers(got, len, want, 1);
	free(got);
	assert_nothing_kept(&r);
	rig_done(&r);
}

/*
 * A /readyz that waits for a ready-tcp check while the answer before it
 * is stuck: when the check ends, its answer goes after the stuck bytes,
 * and the heads behind it follow. For the answer to be stuck when the
 * check starts, the path to the client must have less room than that
 * answer: earlier answers, one request at a time, fill it more on each
 * pass (how much room there is depends on the kernel), and the case must
 * come up on some of them.
 */
Test(health_http, readyz_parked_behind_a_stuck_answer_keeps_order)
{
	int hits = 0;

	for (int lead = 0; lead < 80 && hits < 3; lead++) {
		struct want want[96];
		size_t n = 0, len;
		struct rig r;
		char *got;

		rig_start(&r, true);
		rig_connect(&r);
		for (int i = 0; i < lead; i++) {
			send_str(r.client,
				 "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
			want[n++] = (struct want){ 200, "{\"status\":\"ok\"}" };
			step(&r);
		}
		send_str(r.client,
			 METRICS "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"
				 "GET /healthz HTTP/1.1\r\nHost: x\r\n"
				 "Connection: close\r\n\r\n");
		want[n++] = (struct want){ 200, "# HELP " };
		/* the target accepts into its backlog: the check passes */
		want[n++] = (struct want){ 200, "{\"status\":\"ok\"}" };
		want[n++] = (struct want){ 200, "{\"status\":\"ok\"}" };
		step(&r);
		if (r.srv.tcp.fd >= 0 && kept_out(&r) > 0)
			hits++;
		got = read_until_close(&r, 512, &len);
		check_answers(got, len, want, n);
		free(got);
		assert_nothing_kept(&r);
		rig_done(&r);
	}
	cr_assert(hits > 0, "never parked behind a stuck answer");
}

/* Is the page holding @p resident? */
static bool page_resident(const void *p)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec = 0;

	cr_assert(page > 0);
	cr_assert(mincore((void *)((uintptr_t)p & ~(uintptr_t)(page - 1)),
			  (size_t)page, &vec) == 0,
		  "mincore: %s", strerror(errno));
	return vec & 1;
}

/*
 * Answers are made in the server's shared buffer: what a stuck client
 * does not take moves into its connection's own, so that another
 * connection answered meanwhile neither spoils it nor touches its own
 * buffer's pages.
 */
Test(health_http, stuck_answer_leaves_the_shared_buffer_to_the_next_client)
{
	struct want want[N_METRICS + 1];
	struct sockaddr_in a = { .sin_family = AF_INET };
	static const struct want quick[] = { { 200, "{\"status\":\"ok\"}" } };
	struct rig r;
	size_t len;
	char *got;
	int stuck;

	rig_start(&r, false);
	rig_connect(&r);
	send_metrics_pipeline(&r, want);
	pump(&r, 20);
	cr_assert_gt(kept_out(&r), 0);
	cr_assert(r.srv.conns[0].out == r.srv.conns[0].own);
	cr_assert_null(r.srv.answers_user);

	/* a second client, answered at once while the first is stuck */
	stuck = r.client;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)r.s.health_port);
	r.client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(r.client >= 0);
	cr_assert(connect(r.client, (struct sockaddr *)&a, sizeof(a)) == 0);
	send_str(
		r.client,
		"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	got = read_until_close(&r, 4096, &len);
	check_answers(got, len, quick, 1);
	free(got);
	close(r.client);
	cr_assert_eq(r.srv.n_used, 2);
	cr_assert_not(page_resident(r.srv.conns[1].own),
		      "an answer sent at once went through its own buffer");

	r.client = stuck;
	got = read_until_close(&r, 300, &len);
	check_answers(got, len, want, N_METRICS + 1);
	free(got);
	pump(&r, 5);
	assert_nothing_kept(&r);
	rig_done(&r);
}

/*
 * The body of answer @i in @buf (answers as check_answers reads them),
 * as a NUL-terminated copy to be freed.
 */
static char *answer_body(const char *buf, unsigned i)
{
	const char *at = buf;
	unsigned long body = 0;
	char *copy;

	for (unsigned k = 0; k <= i; k++) {
		const char *end = strstr(at, "\r\n\r\n");
		const char *cl = strstr(at, "\r\nContent-Length: ");

		cr_assert(end && cl && cl < end, "answer %u", k);
		body = strtoul(cl + 18, NULL, 10);
		at = end + 4 + (k < i ? body : 0);
	}
	copy = strndup(at, body);
	cr_assert(copy);
	return copy;
}

/* The /metrics 200 count a /metrics body shows. */
static unsigned long metrics_200(const char *body)
{
	static const char series[] = "pidone_health_requests_total{path="
				     "\"/metrics\",code=\"200\"} ";
	const char *at = strstr(body, series);

	cr_assert(at, "no /metrics 200 series");
	return strtoul(at + strlen(series), NULL, 10);
}

/*
 * /metrics read at once share one body, built once: the second of two
 * pipelined ones shows the request count the first saw (not one more),
 * byte for byte the same text. But a body is never older than the
 * request it answers: two clients whose requests are read one after the
 * other, in the same loop pass, get one body each.
 */
Test(health_http, metrics_read_at_once_share_one_body)
{
	static const struct want want[] = {
		{ 200, "# HELP " },
		{ 200, "# HELP " },
		{ 200, "{\"status\":\"ok\"}" },
	};
	static const char close_req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
					"Connection: close\r\n\r\n";
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned long seen[2];
	struct rig r;
	size_t len;
	char *got, *first, *second;
	int other;

	rig_start(&r, false);
	rig_connect(&r);
	/* one send: the server reads both heads at once */
	send_str(r.client,
		 METRICS METRICS "GET /healthz HTTP/1.1\r\nHost: x\r\n"
				 "Connection: close\r\n\r\n");
	got = read_until_close(&r, 4096, &len);
	check_answers(got, len, want, 3);
	first = answer_body(got, 0);
	second = answer_body(got, 1);
	free(got);
	cr_assert_str_eq(first, second);
	cr_assert_eq(metrics_200(first), 0);
	free(first);
	free(second);

	/* two clients, both requests there before the next pass */
	close(r.client);
	r.client = -1;
	pump(&r, 5);
	cr_assert_eq(r.srv.n_open, 0);
	rig_connect(&r);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)r.s.health_port);
	other = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert(other >= 0);
	cr_assert(connect(other, (struct sockaddr *)&a, sizeof(a)) == 0);
	for (int i = 0; i < 1000 && r.srv.n_open < 2; i++)
		pump(&r, 1);
	cr_assert_eq(r.srv.n_open, 2);
	send_str(r.client, close_req);
	send_str(other, close_req);
	for (int i = 0; i < 2; i++) {
		got = read_until_close(&r, 4096, &len);
		check_answers(got, len, want, 1);
		first = answer_body(got, 0);
		seen[i] = metrics_200(first);
		free(first);
		free(got);
		close(r.client);
		r.client = other;
	}
	r.client = -1;
	/* the two pipelined ones counted; then one of these, then the other */
	cr_assert_eq(seen[0] + seen[1], 2 + 3, "%lu %lu", seen[0], seen[1]);
	rig_done(&r);
}

/* A client connected to the rig's port, not waited for. */
static int dial(const struct rig *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)r->s.health_port);
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

/* Lines of @path holding @needle. */
static int lines_with(const char *path, const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path, "re");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/*
 * Under a low open-files limit the cap is the limit less the fds kept for
 * pidone, and a flood at the cap is warned about again an hour after the
 * last warning, not at every eviction.
 */
Test(health_http, cap_under_low_nofile_and_warned_hourly)
{
	static const char needle[] = "connection limit reached";
	char path[] = "/tmp/test-health-http-XXXXXX";
	struct rlimit was, low;
	/* 13 clients and 8 connections: within the process's limit too */
	int fds[13], log_fd = mkstemp(path), saved = dup(2);
	struct rig r;

	cr_assert(log_fd >= 0 && saved >= 0);
	cr_assert(getrlimit(RLIMIT_NOFILE, &was) == 0);
	low = was;
	low.rlim_cur = HEALTH_HTTP_FDS_KEPT + 8;
	cr_assert(setrlimit(RLIMIT_NOFILE, &low) == 0);
	cr_assert(dup2(log_fd, 2) == 2);
	rig_start(&r, false);
	cr_expect_eq(r.srv.conns_max, 8);
	for (int i = 0; i < 10; i++) {
		fds[i] = dial(&r);
		pump(&r, 2);
	}
	cr_expect_eq(r.srv.n_open, 8);
	cr_expect_eq(r.srv.evictions, 2);
	cr_expect_eq(lines_with(path, needle), 1, "warned once");
	/* an hour later (the warning's time moved back), warned again */
	for (int i = 0; i < HEALTH_HTTP_TROUBLES; i++)
		if (r.srv.warned_ms[i])
			r.srv.warned_ms[i] -= 3600u * 1000u;
	for (int i = 10; i < 13; i++) {
		fds[i] = dial(&r);
		pump(&r, 2);
	}
	cr_expect_eq(r.srv.evictions, 5);
	cr_expect_eq(lines_with(path, needle), 2, "once more, not 3 times");
	for (int i = 0; i < 13; i++)
		close(fds[i]);
	rig_done(&r);
	dup2(saved, 2);
	close(saved);
	close(log_fd);
	unlink(path);
	setrlimit(RLIMIT_NOFILE, &was);
}
