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
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "jobs.h"

#define MHD_THREADS 2
#define SLOW_THREADS 8
#define CONNECTION_LIMIT 2048
#define IDLE_TIMEOUT_S 30
#define LOG_PATH_MAX 96

struct http {
	struct app *app;
	struct MHD_Daemon *daemon;
	struct jobs *slow;
	int listen_fd;
	int log_requests;
	const struct cidr_list *trusted;
};

/* One request's state, from its first callback to its completion. */
struct exchange {
	struct job job; /* first: the job pool hands it back */
	struct http *http;
	struct MHD_Connection *conn;
	int64_t started;
	char method[16];
	char path[LOG_PATH_MAX + 1]; /* printable copy, for the log only */
	char *url;
	char *body;
	size_t body_len;
	int too_large;
	char *authorization;
	char client_ip[INET6_ADDRSTRLEN];
	enum { RECEIVING, RUNNING, DONE } phase;
	struct reply reply;
};

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

static struct exchange *exchange_new(struct http *h, struct MHD_Connection *conn,
				     const char *method, const char *url)
{
	struct exchange *ex = calloc(1, sizeof *ex);
	if (!ex)
		return NULL;
	ex->http = h;
	ex->conn = conn;
	ex->started = clock_mono_ms();
	ex->url = strdup(url);
	if (!ex->url) {
		free(ex);
		return NULL;
	}
	printable(method, ex->method, sizeof ex->method);
	printable(url, ex->path, sizeof ex->path);
	client_address(conn, ex->client_ip, sizeof ex->client_ip);
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

static void exchange_run(struct exchange *ex)
{
	struct request rq = {
		.app = ex->http->app,
		.method = ex->method,
		.path = ex->url,
		.body = ex->body ? ex->body : "",
		.body_len = ex->body_len,
		.body_too_large = ex->too_large,
		.authorization = ex->authorization,
		.client_ip = ex->client_ip,
	};
	api_handle(&rq, &ex->reply);
}

static void slow_job(struct job *job)
{
	struct exchange *ex = (struct exchange *)job;
	exchange_run(ex);
	ex->phase = DONE;
	MHD_resume_connection(ex->conn);
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct reply *r)
{
	const char *body = r->body ? r->body : "{}";
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
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
		const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		if (auth && !(ex->authorization = strdup(auth)))
			return MHD_NO;
		if (h->trusted) {
			char peer[sizeof ex->client_ip];
			memcpy(peer, ex->client_ip, sizeof peer);
			netaddr_client(h->trusted, peer, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For"),
				       ex->client_ip, sizeof ex->client_ip);
		}
		if (!ex->too_large && api_is_slow(ex->method, ex->url)) {
			ex->phase = RUNNING;
			ex->job.run = slow_job;
			MHD_suspend_connection(conn);
			jobs_submit(h->slow, &ex->job);
			return MHD_YES;
		}
		exchange_run(ex);
		ex->phase = DONE;
	}
	return queue_reply(conn, &ex->reply);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct exchange *ex = *state;
	(void)conn;
	if (!ex)
		return;
	if (h->log_requests) {
		int status = ex->phase == DONE && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? ex->reply.status : 0;
		fprintf(stderr, "%s %s %d %lldms\n", ex->method, ex->path, status,
			(long long)(clock_mono_ms() - ex->started));
	}
	exchange_free(ex);
	*state = NULL;
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
	h->trusted = opt->trusted_proxies;
	h->listen_fd = open_listener(opt->listen, &port, err, errsz);
	if (h->listen_fd < 0)
		goto fail;
	h->slow = jobs_start(SLOW_THREADS);
	if (!h->slow) {
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
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		opt->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, opt->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, opt->tls_key,
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
	http_stop(h);
	return NULL;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	/* finish slow requests first: their connections are suspended and must be resumed */
	jobs_stop(h->slow);
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
}
