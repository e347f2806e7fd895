#ifndef GUICHET_METRICS_H
#define GUICHET_METRICS_H
/*
 * What guichetd counts for Prometheus (GET /metrics, text format 0.0.4):
 *
 *   guichet_http_requests_total{method,route,status}     requests answered, by route template
 *   guichet_http_request_duration_seconds{method,route}  latency histogram
 *   guichet_codes_sent_total{channel}                    codes mailed (mail) or texted (sms)
 *   guichet_codes_failed_total{channel}                  codes that could not be sent
 *   guichet_limit_hits_total{limit}                      429s, per abuse limit (abuse.h)
 *   guichet_build_info{version}, guichet_start_time_seconds
 *
 * Labels are route templates ("/api/admin/citizens/{}"), never a raw path: no
 * phone number, e-mail or token ever reaches a label. Counting is lock-free
 * (relaxed atomics in static tables): cheap enough for every request.
 */
#include <stddef.h>
#include <stdint.h>

#include "api.h"

enum metrics_channel { METRICS_MAIL, METRICS_SMS, METRICS_CHANNELS };

/* Once, at start (for guichet_start_time_seconds). */
void metrics_start(void);

/* One answered request: route is api_route_index() (-1: no route), status 0 when none was sent. */
void metrics_request(int route, int status, int64_t duration_us);

/* One code handed to its channel (sent = 1) or that could not be (sent = 0). */
void metrics_code(enum metrics_channel channel, int sent);

/* One request refused by the abuse limit `limit` (enum limit_id). */
void metrics_limit_hit(int limit);

/*
 * The exposition text, NUL-terminated, allocated with cJSON_malloc (reply
 * bodies are freed with cJSON_free). NULL when out of memory.
 */
char *metrics_render(void);

/* GET /metrics: the exposition to the addresses of --metrics-allow, 403 to any other. */
void api_metrics(struct call *c);

#endif
