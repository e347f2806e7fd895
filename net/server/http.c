#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "connwatch.h"
#include "jobs.h"
#include "metrics.h"
#include "reqlog.h"

#define MHD_THREADS 2
#define SLOW_THREADS 8
/* as many requests as wait on the network at once (PostgreSQL) */
#define WAIT_THREADS 32
#define LATER_DRAIN_STEP_US 1000
#define CONNECTION_LIMIT_MAX 65536
#define FDS_KEPT 64 /* for the database, mail, logs */
#define LOG_PATH_MAX 96
#define FORWARDED_LINES 32

/* Mozilla's "intermediate" profile in GnuTLS words: TLS 1.2 and 1.3, AEAD ciphers, forward secrecy only. */
static const char TLS_PRIORITIES[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"
				     "+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-RSA:+ECDHE-ECDSA";
static const char HSTS[] = "max-age=31536000";

struct http {
	struct app *app;
	struct MHD_Daemon *daemon;
	struct jobs *slow;  /* hashing, mail, SMS: SLOW_THREADS */
	struct jobs *waits; /* waits on the store: WAIT_THREADS */
	struct connwatch *watch;
	atomic_int stopping; /* no new connection is kept */
	atomic_int later;    /* requests the store's writer is to answer */
	int listen_fd;
	int log_requests;
	enum reqlog_format log_format;
	int tls;
	const struct cidr_list *trusted;
};

/* One request's state, from its first callback to its completion. */
struct exchange {
	struct job job; /* first: the job pool hands it back */
	struct http *http;
	struct MHD_Connection *conn;
	int64_t started_us;
	char method[16];
	char path[LOG_PATH_MAX + 1]; /* printable copy, for the log only */
	char *url;
	char *body;
	size_t body_len;
	int too_large;
	char *authorization;
	char client_ip[NETADDR_TEXT];
	char client_key[NETADDR_KEY];
	int close; /* the request's framing was ambiguous: close after answering */
	struct query_arg query[API_QUERY_MAX];
	size_t nquery;
	enum { RECEIVING, RUNNING, DONE } phase;
	atomic_int holds; /* a suspended run: its run and its answer; the last let go resumes */
	int counted;      /* in http.later */
	struct reply reply;
};

/* What the headers say that the request line does not. */
struct headers {
	const char *forwarded[FORWARDED_LINES]; /* the last X-Forwarded-For lines, in order */
	size_t nforwarded;
	int content_lengths;
};

static enum MHD_Result read_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct headers *hd = cls;
	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		hd->content_lengths++;
	if (strcasecmp(key, "X-Forwarded-For") != 0 || !value)
		return MHD_YES;
	if (hd->nforwarded == FORWARDED_LINES) { /* keep the rightmost lines: those are our proxies' */
		memmove(hd->forwarded, hd->forwarded + 1, sizeof hd->forwarded - sizeof hd->forwarded[0]);
		hd->nforwarded--;
	}
	hd->forwarded[hd->nforwarded++] = value;
	return MHD_YES;
}

static void printable(const char *in, char *out, size_t outsz)
{
	size_t i = 0;
	for (; in[i] && i + 1 < outsz; i++)
		out[i] = (in[i] > ' ' && in[i] < 0x7f) ? in[i] : '?';
	out[i] = '\0';
}

static void client_address(struct MHD_Connection *conn, char *out, size_t outsz)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!info || !info->client_addr)
		return;
	const struct sockaddr *sa = info->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)outsz);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)outsz);
}

static enum MHD_Result read_argument(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct exchange *ex = cls;
	(void)kind;
	if (ex->nquery == API_QUERY_MAX)
		return MHD_NO;
	ex->query[ex->nquery++] = (struct query_arg){ .name = key, .value = value ? value : "" };
	return MHD_YES;
}

static struct conn_entry *conn_entry_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

static struct exchange *exchange_new(struct http *h, struct MHD_Connection *conn,
				     const char *method, const char *url)
{
	struct exchange *ex = calloc(1, sizeof *ex);
	if (!ex)
		return NULL;
	ex->http = h;
	ex->conn = conn;
	ex->started_us = clock_mono_us();
	ex->url = strdup(url);
	if (!ex->url) {
		free(ex);
		return NULL;
	}
	printable(method, ex->method, sizeof ex->method);
	printable(url, ex->path, sizeof ex->path);
	char peer[NETADDR_TEXT];
	struct headers hd = { .nforwarded = 0 };
	client_address(conn, peer, sizeof peer);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, read_header, &hd);
	netaddr_client(h->trusted, peer, hd.forwarded, hd.nforwarded, ex->client_ip);
	netaddr_key(ex->client_ip, ex->client_key);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, read_argument, ex);
	/* two lengths: which one ends the body decides where the next request starts */
	ex->close = hd.content_lengths > 1;
	const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (length && strtoull(length, NULL, 10) > API_BODY_MAX)
		ex->too_large = 1;
	return ex;
}

static void exchange_free(struct exchange *ex)
{
	reply_release(&ex->reply);
	free(ex->url);
	free(ex->body);
	free(ex->authorization);
	free(ex);
}

/* Appends a chunk of body, up to the cap; past it, only remembers it was too large. */
static void exchange_append(struct exchange *ex, const char *data, size_t len)
{
	if (ex->too_large)
		return;
	if (ex->body_len + len > API_BODY_MAX) {
		ex->too_large = 1;
		free(ex->body);
		ex->body = NULL;
		ex->body_len = 0;
		return;
	}
	if (!ex->body) {
		ex->body = malloc(API_BODY_MAX);
		if (!ex->body) {
			ex->too_large = 1;
			return;
		}
	}
	memcpy(ex->body + ex->body_len, data, len);
	ex->body_len += len;
}

/* One hold on a suspended exchange let go; the last one resumes its connection, answered. */
static void exchange_settle(struct exchange *ex)
{
	if (atomic_fetch_sub(&ex->holds, 1) != 1)
		return;
	struct http *h = ex->http;
	int counted = ex->counted;
	ex->phase = DONE;
	MHD_resume_connection(ex->conn); /* ex may be gone from here on */
	if (counted)
		atomic_fetch_sub(&h->later, 1);
}

static void exchange_answered(void *ctx)
{
	exchange_settle(ctx);
}

/* 1 when the answer comes later, through exchange_answered (may_defer: the connection is suspended). */
static int exchange_run(struct exchange *ex, int may_defer)
{
	if (ex->close) {
		api_error(ex->url, 400, "Requête HTTP invalide : plusieurs en-têtes Content-Length.", &ex->reply);
		return 0;
	}
	struct request rq = {
		.app = ex->http->app,
		.method = ex->method,
		.path = ex->url,
		.body = ex->body ? ex->body : "",
		.body_len = ex->body_len,
		.body_too_large = ex->too_large,
		.authorization = ex->authorization,
		.client_ip = ex->client_ip,
		.client_key = ex->client_key,
		.query = ex->query,
		.nquery = ex->nquery,
		.answered = may_defer ? exchange_answered : NULL,
		.answered_ctx = ex,
	};
	return api_handle(&rq, &ex->reply);
}

/*
 * Runs the exchange of a suspended connection, which resumes once answered:
 * now, or later from the store's writer (whichever of the run and the
 * answer ends last resumes it).
 */
static void exchange_run_suspended(struct exchange *ex)
{
	atomic_store(&ex->holds, 2);
	if (!exchange_run(ex, 1))
		exchange_settle(ex);
	exchange_settle(ex);
}

static void slow_job(struct job *job)
{
	exchange_run_suspended((struct exchange *)job);
}

/* Slow work that will not start: the server is stopping. */
static void refuse_stopping(struct exchange *ex)
{
	api_error(ex->url, 503, "Service en cours d'arrêt. Réessayez dans un instant.", &ex->reply);
	ex->close = 1;
	ex->phase = DONE;
}

static void slow_job_cancel(struct job *job)
{
	struct exchange *ex = (struct exchange *)job;
	refuse_stopping(ex);
	MHD_resume_connection(ex->conn);
}

static enum MHD_Result queue_reply(struct http *h, struct MHD_Connection *conn, struct exchange *ex)
{
	struct reply *r = &ex->reply;
	const char *body = r->body ? r->body : "{}";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				r->content_type ? r->content_type : "application/json; charset=utf-8");
	if (r->allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->rate_limit > 0) {
		char v[24];
		snprintf(v, sizeof v, "%ld", r->rate_limit);
		MHD_add_response_header(resp, "X-RateLimit-Limit", v);
		snprintf(v, sizeof v, "%ld", r->rate_remaining);
		MHD_add_response_header(resp, "X-RateLimit-Remaining", v);
	}
	if (r->retry_after > 0) {
		char v[24];
		snprintf(v, sizeof v, "%ld", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
	}
	if (ex->close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (h->tls)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_STRICT_TRANSPORT_SECURITY, HSTS);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **state)
{
	struct http *h = cls;
	struct exchange *ex = *state;
	(void)version;
	if (!ex) {
		/* first call: headers only; answering now would cost keep-alive */
		ex = exchange_new(h, conn, method, url);
		if (!ex)
			return MHD_NO;
		*state = ex;
		return MHD_YES;
	}
	if (*upload_data_size) {
		exchange_append(ex, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (ex->phase == RUNNING)
		return MHD_YES;
	if (ex->phase == RECEIVING) {
		connwatch_busy(conn_entry_of(conn));
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		if (auth && !(ex->authorization = strdup(auth)))
			return MHD_NO;
		enum api_pool pool = ex->too_large || ex->close ? API_INLINE : api_pool_of(h->app, ex->method, ex->url);
		if (pool == API_LATER) {
			ex->phase = RUNNING;
			MHD_suspend_connection(conn);
			/* counted before stopping is read: http_stop waits for every one counted */
			atomic_fetch_add(&h->later, 1);
			ex->counted = 1;
			if (atomic_load(&h->stopping)) {
				refuse_stopping(ex);
				atomic_store(&ex->holds, 1);
				exchange_settle(ex);
				return MHD_YES;
			}
			exchange_run_suspended(ex);
			return MHD_YES;
		}
		if (pool != API_INLINE) {
			ex->phase = RUNNING;
			ex->job.run = slow_job;
			ex->job.cancel = slow_job_cancel;
			MHD_suspend_connection(conn);
			if (jobs_submit(pool == API_SLOW ? h->slow : h->waits, &ex->job) == 0)
				return MHD_YES;
			refuse_stopping(ex);
			MHD_resume_connection(conn);
			return MHD_YES;
		}
		exchange_run(ex, 0);
		ex->phase = DONE;
	}
	return queue_reply(h, conn, ex);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct exchange *ex = *state;
	(void)toe; /* a reply cut short was still the answer given */
	if (!ex)
		return;
	connwatch_idle(h->watch, conn_entry_of(conn));
	/* the answer given; 0: none (the connection ended first) */
	int status = ex->phase == DONE ? ex->reply.status : 0;
	int64_t took_us = clock_mono_us() - ex->started_us;
	int route = api_route_index(ex->method, ex->url);
	metrics_request(route, status, took_us);
	if (h->log_requests)
		reqlog_write(h->log_format, ex->method, ex->path, route >= 0 ? api_route_path((size_t)route) : NULL,
			     status, took_us);
	exchange_free(ex);
	*state = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		connwatch_close(h->watch, *socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	char peer[NETADDR_TEXT];
	client_address(conn, peer, sizeof peer);
	*socket_context = NULL;
	if (fd && atomic_load(&h->stopping))
		shutdown(fd->connect_fd, SHUT_RDWR); /* stopping: accepted, and closed at once */
	else if (fd)
		*socket_context = connwatch_open(h->watch, fd->connect_fd, peer);
}

/* As many connections as file descriptors allow: the soft limit raised to the hard one. */
static unsigned int connection_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 1024 - FDS_KEPT;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	rlim_t limit = rl.rlim_cur > CONNECTION_LIMIT_MAX + FDS_KEPT ? CONNECTION_LIMIT_MAX : rl.rlim_cur - FDS_KEPT;
	return (unsigned int)limit;
}

/* Splits "HOST:PORT" / "[V6]:PORT". */
static int split_listen(const char *listen, char *host, size_t hostsz, char *port, size_t portsz)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || colon[1] == '\0')
		return -1;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= hostsz || strlen(colon + 1) >= portsz)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, portsz, "%s", colon + 1);
	char *end;
	long p = strtol(port, &end, 10);
	return (*end || p < 0 || p > 65535) ? -1 : 0;
}

static int open_listener(const char *where, int *port_out, char *err, size_t errsz)
{
	char host[256], port[16];
	if (split_listen(where, host, sizeof host, port, sizeof port) != 0) {
		snprintf(err, errsz, "--listen: expected HOST:PORT, got '%s'", where);
		return -1;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsz, "--listen %s: %s", where, gai_strerror(rc));
		return -1;
	}
	int fd = -1, one = 1;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		snprintf(err, errsz, "cannot listen on %s: %s", where, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
					     : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static char *make_url(const char *listen, int tls, int port)
{
	char host[256], ignored[16], *url = malloc(300);
	if (!url)
		return NULL;
	split_listen(listen, host, sizeof host, ignored, sizeof ignored);
	snprintf(url, 300, strchr(host, ':') ? "%s://[%s]:%d" : "%s://%s:%d", tls ? "https" : "http", host, port);
	return url;
}

/* Stops the daemon and frees everything: no slow request may be running. */
static void http_free(struct http *h)
{
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	jobs_stop(h->slow);
	jobs_stop(h->waits);
	connwatch_stop(h->watch);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
}

struct http *http_start(struct app *app, const struct http_options *opt, char **url,
			char *err, size_t errsz)
{
	struct http *h = calloc(1, sizeof *h);
	int port = 0;
	if (!h) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	h->app = app;
	h->listen_fd = -1;
	h->log_requests = opt->log_requests;
	h->log_format = reqlog_format_of(app->cfg ? app->cfg->log_format : NULL);
	h->trusted = opt->trusted_proxies;
	h->tls = opt->tls_cert != NULL;
	h->listen_fd = open_listener(opt->listen, &port, err, errsz);
	if (h->listen_fd < 0)
		goto fail;
	h->slow = jobs_start(SLOW_THREADS);
	h->waits = jobs_start(WAIT_THREADS);
	h->watch = connwatch_start((int)opt->max_conns_per_addr, opt->request_timeout_s * 1000, opt->trusted_proxies);
	if (!h->slow || !h->waits || !h->watch) {
		snprintf(err, errsz, "cannot start worker threads");
		goto fail;
	}
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			     MHD_USE_ERROR_LOG;
	if (opt->tls_cert)
		flags |= MHD_USE_TLS;
	h->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_LISTEN_SOCKET, h->listen_fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)MHD_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)opt->request_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
		opt->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, opt->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, opt->tls_key,
		MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
		MHD_OPTION_END);
	if (!h->daemon) {
		snprintf(err, errsz, "cannot start the HTTP server on %s%s", opt->listen,
			 opt->tls_cert ? " (check the TLS certificate and key)" : "");
		goto fail;
	}
	h->listen_fd = -1; /* MHD_stop_daemon closes it */
	*url = make_url(opt->listen, opt->tls_cert != NULL, port);
	return h;
fail:
	http_free(h);
	return NULL;
}

int http_stop(struct http *h, long grace_ms)
{
	if (!h)
		return 0;
	/*
	 * No new connection: each one is closed as it comes. (MHD_quiesce_daemon
	 * would do it, but 0.9.75 can abort when a worker moves its listening
	 * socket in or out of epoll at the same moment.)
	 */
	atomic_store(&h->stopping, 1);
	/*
	 * Slow requests run with their connection suspended, and libmicrohttpd
	 * must not stop while one is: refuse new ones, answer the queued ones
	 * 503, and wait for those running to resume theirs.
	 */
	if ((h->slow && jobs_drain(h->slow, grace_ms) != 0) || (h->waits && jobs_drain(h->waits, grace_ms) != 0))
		return -1;
	/* and the store's writer answers what it holds: quick, it waits on nothing but the disk */
	for (long waited_us = 0; atomic_load(&h->later) > 0; waited_us += LATER_DRAIN_STEP_US) {
		if (waited_us / 1000 >= grace_ms)
			return -1;
		usleep(LATER_DRAIN_STEP_US);
	}
	http_free(h);
	return 0;
}
