#include "metrics.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "abuse.h"
#include "clock.h"
#include "netaddr.h"

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

/* Routes of api.c's table, plus one row for requests that matched none. */
#define ROUTES_MAX 64
#define UNMATCHED ROUTES_MAX
#define RENDER_MAX ((size_t)1024 * 1024)

/* The statuses guichetd answers; anything else is counted as "other". 0: the client left first. */
static const int STATUSES[] = { 0, 200, 201, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503 };
#define STATUS_COUNT (sizeof STATUSES / sizeof STATUSES[0])
#define STATUS_OTHER STATUS_COUNT

/* Upper bounds of the latency buckets, microseconds (+Inf is the total). */
static const int64_t BUCKETS_US[] = { 1000, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
				      1000000, 2500000, 5000000, 10000000 };
#define BUCKET_COUNT (sizeof BUCKETS_US / sizeof BUCKETS_US[0])

static const char *const CHANNELS[METRICS_CHANNELS] = { [METRICS_MAIL] = "mail", [METRICS_SMS] = "sms" };

static atomic_uint_fast64_t requests[ROUTES_MAX + 1][STATUS_COUNT + 1];
static atomic_uint_fast64_t latency[ROUTES_MAX + 1][BUCKET_COUNT + 1]; /* per bucket, not cumulative */
static atomic_uint_fast64_t latency_sum_us[ROUTES_MAX + 1];
static atomic_uint_fast64_t codes_sent[METRICS_CHANNELS], codes_failed[METRICS_CHANNELS];
static atomic_uint_fast64_t limit_hits[LIMIT_COUNT];
static atomic_int_fast64_t started_ms;

static void add(atomic_uint_fast64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

void metrics_start(void)
{
	atomic_store_explicit(&started_ms, clock_now_ms(), memory_order_relaxed);
}

void metrics_request(int route, int status, int64_t duration_us)
{
	size_t row = route >= 0 && route < ROUTES_MAX ? (size_t)route : UNMATCHED;
	size_t s = 0, b = 0;
	while (s < STATUS_COUNT && STATUSES[s] != status)
		s++;
	if (duration_us < 0)
		duration_us = 0;
	while (b < BUCKET_COUNT && duration_us > BUCKETS_US[b])
		b++;
	add(&requests[row][s], 1);
	add(&latency[row][b], 1);
	add(&latency_sum_us[row], (uint64_t)duration_us);
}

void metrics_code(enum metrics_channel channel, int sent)
{
	if (channel >= 0 && channel < METRICS_CHANNELS)
		add(sent ? &codes_sent[channel] : &codes_failed[channel], 1);
}

void metrics_limit_hit(int limit)
{
	if (limit >= 0 && limit < LIMIT_COUNT)
		add(&limit_hits[limit], 1);
}

/* ---- the exposition text ---- */

/* A growing text, capped at RENDER_MAX; failed is set once anything did not fit. */
struct text {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	for (;;) {
		if (t->failed)
			return;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap * 2;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *bigger = cap <= RENDER_MAX ? cJSON_malloc(cap) : NULL;
		if (!bigger) {
			t->failed = 1;
			return;
		}
		memcpy(bigger, t->buf, t->len + 1);
		cJSON_free(t->buf);
		t->buf = bigger;
		t->cap = cap;
	}
}

static const char *route_method(size_t row)
{
	return row == UNMATCHED ? "any" : api_route_method(row);
}

static const char *route_path(size_t row)
{
	return row == UNMATCHED ? "unmatched" : api_route_path(row);
}

static size_t routes_in_use(void)
{
	size_t n = api_route_count();
	return n < ROUTES_MAX ? n : ROUTES_MAX;
}

/* Row i of the tables: the routes, then the one of requests that matched none. */
static size_t row_of(size_t i, size_t nroutes)
{
	return i == nroutes ? UNMATCHED : i;
}

static void render_requests(struct text *t, size_t nroutes)
{
	put(t, "# HELP guichet_http_requests_total Requests answered, by route template and status.\n"
	       "# TYPE guichet_http_requests_total counter\n");
	for (size_t i = 0; i <= nroutes; i++) {
		size_t row = row_of(i, nroutes);
		for (size_t s = 0; s <= STATUS_COUNT; s++) {
			uint64_t n = get(&requests[row][s]);
			if (!n)
				continue;
			char status[8];
			snprintf(status, sizeof status, s == STATUS_OTHER ? "other" : "%d", s == STATUS_OTHER ? 0 : STATUSES[s]);
			put(t, "guichet_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
			    route_method(row), route_path(row), status, (unsigned long long)n);
		}
	}
}

static void render_latency(struct text *t, size_t nroutes)
{
	put(t, "# HELP guichet_http_request_duration_seconds Time from a request's headers to the end of its answer.\n"
	       "# TYPE guichet_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i <= nroutes; i++) {
		size_t row = row_of(i, nroutes);
		uint64_t counts[BUCKET_COUNT + 1], total = 0;
		for (size_t b = 0; b <= BUCKET_COUNT; b++)
			total += counts[b] = get(&latency[row][b]);
		if (total) {
			const char *m = route_method(row), *p = route_path(row);
			uint64_t cumulative = 0;
			for (size_t b = 0; b < BUCKET_COUNT; b++) {
				cumulative += counts[b];
				put(t, "guichet_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
				    m, p, (double)BUCKETS_US[b] / 1e6, (unsigned long long)cumulative);
			}
			put(t, "guichet_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
			    m, p, (unsigned long long)total);
			put(t, "guichet_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n", m, p,
			    (double)get(&latency_sum_us[row]) / 1e6);
			put(t, "guichet_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} %llu\n", m, p,
			    (unsigned long long)total);
		}
	}
}

char *metrics_render(void)
{
	struct text t = { .cap = 16384 };
	if (!(t.buf = cJSON_malloc(t.cap)))
		return NULL;
	t.buf[0] = '\0';
	size_t nroutes = routes_in_use();
	render_requests(&t, nroutes);
	render_latency(&t, nroutes);
	put(&t, "# HELP guichet_codes_sent_total Codes handed to their channel (mail: admin codes, sms: citizen codes).\n"
		"# TYPE guichet_codes_sent_total counter\n");
	for (int c = 0; c < METRICS_CHANNELS; c++)
		put(&t, "guichet_codes_sent_total{channel=\"%s\"} %llu\n", CHANNELS[c],
		    (unsigned long long)get(&codes_sent[c]));
	put(&t, "# HELP guichet_codes_failed_total Codes that could not be sent (the route answered 500).\n"
		"# TYPE guichet_codes_failed_total counter\n");
	for (int c = 0; c < METRICS_CHANNELS; c++)
		put(&t, "guichet_codes_failed_total{channel=\"%s\"} %llu\n", CHANNELS[c],
		    (unsigned long long)get(&codes_failed[c]));
	put(&t, "# HELP guichet_limit_hits_total Requests refused with 429, by abuse limit.\n"
		"# TYPE guichet_limit_hits_total counter\n");
	for (int l = 0; l < LIMIT_COUNT; l++)
		put(&t, "guichet_limit_hits_total{limit=\"%s\"} %llu\n", abuse_name((enum limit_id)l),
		    (unsigned long long)get(&limit_hits[l]));
	put(&t, "# HELP guichet_build_info The running guichetd.\n"
		"# TYPE guichet_build_info gauge\n"
		"guichet_build_info{version=\"%s\"} 1\n", GUICHET_VERSION);
	put(&t, "# HELP guichet_start_time_seconds When guichetd started, seconds since the Unix epoch.\n"
		"# TYPE guichet_start_time_seconds gauge\n"
		"guichet_start_time_seconds %.3f\n",
	    (double)atomic_load_explicit(&started_ms, memory_order_relaxed) / 1000.0);
	if (t.failed) {
		cJSON_free(t.buf);
		return NULL;
	}
	return t.buf;
}

/* ---- the route ---- */

/* 1 when ip (an IPv4-mapped IPv6 address too) is in one of the --metrics-allow ranges. */
static int allowed(const char *spec, const char *ip)
{
	struct cidr_list list;
	if (!ip || !spec || strcmp(spec, "none") == 0 || netaddr_parse_list(spec, &list) != 0)
		return 0;
	if (netaddr_contains(&list, ip))
		return 1;
	return strncasecmp(ip, "::ffff:", 7) == 0 && strchr(ip + 7, '.') && netaddr_contains(&list, ip + 7);
}

void api_metrics(struct call *c)
{
	if (!allowed(c->app->cfg->metrics_allow, c->rq->client_ip)) {
		reply_json(c->out, ENV_CITIZEN, 403, "Accès refusé.", NULL);
		return;
	}
	char *text = metrics_render();
	if (!text) {
		reply_json(c->out, ENV_CITIZEN, 500, "Erreur interne.", NULL);
		return;
	}
	reply_text(c->out, 200, text, "text/plain; version=0.0.4; charset=utf-8");
}
