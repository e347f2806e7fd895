/* Unit tests for guichetd's pure parts: input parsing, codes, tokens, policy, time. */
#include <check.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "jsonbody.h"
#include "metrics.h"
#include "netaddr.h"
#include "otp.h"
#include "password.h"
#include "phone.h"
#include "store.h"
#include "token.h"

/* ---- phone numbers ---- */

START_TEST(phone_separators_removed)
{
	char out[PHONE_MAX + 1];
	ck_assert_int_eq(phone_normalize("01 23.45-67 89", out), PHONE_OK);
	ck_assert_str_eq(out, "0123456789");
	ck_assert_int_eq(phone_normalize("+237 677-34.21.34", out), PHONE_OK);
	ck_assert_str_eq(out, "+237677342134");
}
END_TEST

START_TEST(phone_rejects_other_characters)
{
	char out[PHONE_MAX + 1];
	ck_assert_int_eq(phone_normalize("01234abc", out), PHONE_INVALID);
	ck_assert_int_eq(phone_normalize("12+34", out), PHONE_INVALID);
	ck_assert_int_eq(phone_normalize("+", out), PHONE_INVALID);
	ck_assert_int_eq(phone_normalize("0123456789012345678901234567890123", out), PHONE_INVALID);
	ck_assert_int_eq(phone_normalize(" - . ", out), PHONE_EMPTY);
	ck_assert_int_eq(phone_normalize("", out), PHONE_EMPTY);
}
END_TEST

/* ---- JSON bodies and fields ---- */

static enum body_result parse(const char *text, size_t len)
{
	cJSON *root = NULL;
	enum body_result r = jsonbody_parse(text, len, &root);
	cJSON_Delete(root);
	return r;
}
#define PARSE(s) parse(s, sizeof(s) - 1)

START_TEST(body_accepts_objects_and_empty)
{
	ck_assert_int_eq(PARSE("{\"a\":1}"), BODY_OK);
	ck_assert_int_eq(PARSE(""), BODY_OK);
	ck_assert_int_eq(PARSE("  \n"), BODY_OK);
	ck_assert_int_eq(PARSE("{\"a\":\"caf\xc3\xa9\"}"), BODY_OK);
	ck_assert_int_eq(PARSE("{\"a\":\"x\\\\u0000\"}"), BODY_OK); /* an escaped backslash, not a NUL */
}
END_TEST

START_TEST(body_rejects_bad_input)
{
	ck_assert_int_eq(PARSE("[1,2]"), BODY_NOT_OBJECT);
	ck_assert_int_eq(PARSE("\"str\""), BODY_NOT_OBJECT);
	ck_assert_int_eq(PARSE("{\"a\":"), BODY_INVALID);
	ck_assert_int_eq(PARSE("{} {}"), BODY_INVALID);
	ck_assert_int_eq(PARSE("{\"a\":\"\xff\"}"), BODY_INVALID);     /* not UTF-8 */
	ck_assert_int_eq(PARSE("{\"a\":\"\xc0\xaf\"}"), BODY_INVALID); /* overlong */
	ck_assert_int_eq(PARSE("{\"a\":\"\xed\xa0\x80\"}"), BODY_INVALID); /* surrogate */
	ck_assert_int_eq(PARSE("{\"a\":\"x\\u0000y\"}"), BODY_INVALID);
	ck_assert_int_eq(PARSE("{\"a\":\"x\0y\"}"), BODY_INVALID);
}
END_TEST

START_TEST(fields_missing_empty_wrong_type)
{
	cJSON *o = cJSON_Parse("{\"s\":\"v\",\"e\":\"\",\"n\":null,\"i\":3}");
	const char *v;
	ck_assert_int_eq(jsonbody_string(o, "s", &v), FIELD_OK);
	ck_assert_str_eq(v, "v");
	ck_assert_int_eq(jsonbody_string(o, "e", &v), FIELD_MISSING);
	ck_assert_int_eq(jsonbody_string(o, "n", &v), FIELD_MISSING);
	ck_assert_int_eq(jsonbody_string(o, "absent", &v), FIELD_MISSING);
	ck_assert_int_eq(jsonbody_string(o, "i", &v), FIELD_WRONG_TYPE);
	cJSON_Delete(o);
}
END_TEST

START_TEST(otp_field_number_or_digits)
{
	cJSON *o = cJSON_Parse("{\"n\":512,\"s\":\"000512\",\"short\":\"512\",\"neg\":-1,\"frac\":1.5,"
			       "\"big\":1000000,\"alpha\":\"12a456\",\"b\":true}");
	char code[OTP_DIGITS_MAX + 1];
	ck_assert_int_eq(jsonbody_otp(o, "n", 6, code), FIELD_OK);
	ck_assert_str_eq(code, "000512");
	ck_assert_int_eq(jsonbody_otp(o, "s", 6, code), FIELD_OK);
	ck_assert_str_eq(code, "000512");
	ck_assert_int_eq(jsonbody_otp(o, "n", 4, code), FIELD_OK);
	ck_assert_str_eq(code, "0512");
	ck_assert_int_eq(jsonbody_otp(o, "short", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "neg", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "frac", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "big", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "alpha", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "b", 6, code), FIELD_WRONG_TYPE);
	ck_assert_int_eq(jsonbody_otp(o, "absent", 6, code), FIELD_MISSING);
	cJSON_Delete(o);
}
END_TEST

/* ---- OTP codes ---- */

START_TEST(otp_codes_are_digits_of_the_length)
{
	char code[OTP_DIGITS_MAX + 1];
	for (int digits = OTP_DIGITS_MIN; digits <= OTP_DIGITS_MAX; digits++) {
		otp_generate(digits, code);
		ck_assert_uint_eq(strlen(code), (size_t)digits);
		ck_assert_uint_eq(strspn(code, "0123456789"), (size_t)digits);
	}
}
END_TEST

START_TEST(otp_digits_are_uniform)
{
	/*
	 * 60,000 digits: each should appear about 6,000 times; 5,500..6,500 is
	 * > 6 sigma. The leading digit alone (a code is drawn as one number): each
	 * about 1,000 times in 10,000, 850..1,150 is 5 sigma.
	 */
	int count[10] = { 0 }, leading[10] = { 0 };
	char code[7];
	for (int i = 0; i < 10000; i++) {
		otp_generate(6, code);
		leading[code[0] - '0']++;
		for (int k = 0; k < 6; k++)
			count[code[k] - '0']++;
	}
	for (int d = 0; d < 10; d++) {
		ck_assert_int_gt(count[d], 5500);
		ck_assert_int_lt(count[d], 6500);
		ck_assert_int_gt(leading[d], 850);
		ck_assert_int_lt(leading[d], 1150);
	}
}
END_TEST

START_TEST(otp_hash_is_keyed_and_contextual)
{
	unsigned char k1[OTP_KEY_BYTES] = { 1 }, k2[OTP_KEY_BYTES] = { 2 };
	unsigned char a[OTP_HASH_BYTES], b[OTP_HASH_BYTES];
	otp_hash(k1, "citizen:0123456789", "123456", a);
	otp_hash(k1, "citizen:0123456789", "123456", b);
	ck_assert(otp_hash_equal(a, b));
	otp_hash(k2, "citizen:0123456789", "123456", b);
	ck_assert(!otp_hash_equal(a, b));
	otp_hash(k1, "citizen:0123456780", "123456", b);
	ck_assert(!otp_hash_equal(a, b));
	otp_hash(k1, "citizen:0123456789", "123457", b);
	ck_assert(!otp_hash_equal(a, b));
}
END_TEST

/* ---- tokens ---- */

START_TEST(token_seed_example_is_wellformed)
{
	/* the token of the seed's login example: its last 8 chars are the crc32b of the 40 before */
	ck_assert(token_secret_wellformed("nINtdv9FwrRuQspI5SO2PT3Yxgp0yoyJTlAtSncte9d499ba"));
	ck_assert(!token_secret_wellformed("nINtdv9FwrRuQspI5SO2PT3Yxgp0yoyJTlAtSncte9d499bb"));
	ck_assert(!token_secret_wellformed("short"));
}
END_TEST

START_TEST(token_made_and_parsed)
{
	char secret[TOKEN_SECRET_LEN + 1], header[128];
	token_make_secret(secret);
	ck_assert_uint_eq(strlen(secret), TOKEN_SECRET_LEN);
	ck_assert(token_secret_wellformed(secret));
	int64_t id;
	const char *got;
	snprintf(header, sizeof header, "Bearer 42|%s", secret);
	ck_assert_int_eq(token_parse(header, &id, &got), 0);
	ck_assert_int_eq(id, 42);
	ck_assert_str_eq(got, secret);
	snprintf(header, sizeof header, "42|%s", secret);
	ck_assert_int_eq(token_parse(header, &id, &got), 0);
	snprintf(header, sizeof header, "0|%s", secret);
	ck_assert_int_eq(token_parse(header, &id, &got), -1);
	snprintf(header, sizeof header, "Bearer x|%s", secret);
	ck_assert_int_eq(token_parse(header, &id, &got), -1);
	ck_assert_int_eq(token_parse("Bearer 99999999999999999999999|abc", &id, &got), -1);
}
END_TEST

START_TEST(uuid_is_version_4)
{
	char u[37];
	token_uuid_v4(u);
	ck_assert_uint_eq(strlen(u), 36);
	ck_assert_int_eq(u[8], '-');
	ck_assert_int_eq(u[14], '4');
	ck_assert(strchr("89ab", u[19]) != NULL);
}
END_TEST

/* ---- passwords ---- */

START_TEST(password_policy_rules)
{
	char msg[160];
	ck_assert_ptr_nonnull(password_policy("azerty", 8, msg, sizeof msg));
	ck_assert_str_eq(msg, "Le mot de passe doit contenir au moins 8 caractères.");
	ck_assert_ptr_null(password_policy("azertyui", 8, msg, sizeof msg));
	/* eight accented letters are eight characters, sixteen bytes */
	ck_assert_ptr_null(password_policy("éééééééé", 8, msg, sizeof msg));
	ck_assert_ptr_nonnull(password_policy("ééééééé", 8, msg, sizeof msg));
	char *big = malloc(PASSWORD_MAX_BYTES + 2);
	memset(big, 'a', PASSWORD_MAX_BYTES + 1);
	big[PASSWORD_MAX_BYTES + 1] = '\0';
	ck_assert_ptr_nonnull(password_policy(big, 8, msg, sizeof msg));
	big[PASSWORD_MAX_BYTES] = '\0';
	ck_assert_ptr_null(password_policy(big, 8, msg, sizeof msg));
	free(big);
}
END_TEST

START_TEST(password_hash_verifies)
{
	char hash[PASSWORD_HASH_LEN];
	ck_assert_int_eq(password_hash("correct horse", hash), 0);
	ck_assert(strncmp(hash, "$argon2id$", 10) == 0);
	ck_assert(password_verify(hash, "correct horse"));
	ck_assert(!password_verify(hash, "correct horsE"));
}
END_TEST

/* ---- time ---- */

START_TEST(iso_time_utc_with_millis)
{
	char out[CLOCK_ISO_LEN + 1];
	clock_format_iso(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
	clock_format_iso(1732801500000LL, out);
	ck_assert_str_eq(out, "2024-11-28T13:45:00.000Z");
	clock_format_iso(1732801500042LL, out);
	ck_assert_str_eq(out, "2024-11-28T13:45:00.042Z");
}
END_TEST

/* ---- client addresses behind proxies ---- */

START_TEST(cidr_lists_parse_and_match)
{
	struct cidr_list l;
	ck_assert_int_eq(netaddr_parse_list("10.0.0.0/8, 192.168.1.7,::1,fd00::/8", &l), 0);
	ck_assert_int_eq(l.count, 4);
	ck_assert(netaddr_contains(&l, "10.200.3.4"));
	ck_assert(!netaddr_contains(&l, "11.0.0.1"));
	ck_assert(netaddr_contains(&l, "192.168.1.7"));
	ck_assert(!netaddr_contains(&l, "192.168.1.8"));
	ck_assert(netaddr_contains(&l, "::1"));
	ck_assert(netaddr_contains(&l, "fd12::5"));
	ck_assert(!netaddr_contains(&l, "garbage"));
	ck_assert_int_eq(netaddr_parse_list("10.0.0.0/33", &l), -1);
	ck_assert_int_eq(netaddr_parse_list("nonsense", &l), -1);
	ck_assert_int_eq(netaddr_parse_list("", &l), -1);
}
END_TEST

/* The client of a request whose peer is `peer` and whose X-Forwarded-For lines are given. */
static const char *client(const struct cidr_list *l, const char *peer, const char *const *lines, size_t n)
{
	static char out[NETADDR_TEXT];
	netaddr_client(l, peer, lines, n, out);
	return out;
}

START_TEST(forwarded_client_is_the_rightmost_untrusted)
{
	struct cidr_list l;
	netaddr_parse_list("127.0.0.0/8,10.0.0.0/8", &l);
	const char *one[] = { "203.0.113.9" };
	ck_assert_str_eq(client(&l, "127.0.0.1", one, 1), "203.0.113.9");
	const char *chain[] = { "1.1.1.1, 203.0.113.9, 10.1.1.1" };
	ck_assert_str_eq(client(&l, "127.0.0.1", chain, 1), "203.0.113.9");
	ck_assert_str_eq(client(&l, "198.51.100.2", one, 1), "198.51.100.2"); /* untrusted peer: header ignored */
	ck_assert_str_eq(client(&l, "127.0.0.1", NULL, 0), "127.0.0.1");
	const char *garbage[] = { "not-an-ip" };
	ck_assert_str_eq(client(&l, "127.0.0.1", garbage, 1), "127.0.0.1");
	/* a client's own line comes first: the proxy's line, last, wins */
	const char *split[] = { "6.6.6.6", "203.0.113.9" };
	ck_assert_str_eq(client(&l, "127.0.0.1", split, 2), "203.0.113.9");
	const char *split_trusted[] = { "6.6.6.6", "203.0.113.9", "10.0.0.2" };
	ck_assert_str_eq(client(&l, "127.0.0.1", split_trusted, 3), "203.0.113.9");
	/* padding of any length on the client's side changes nothing */
	static char padded[20000];
	memset(padded, ' ', sizeof padded);
	memcpy(padded + 100, "6.6.6.6", 7);
	snprintf(padded + sizeof padded - 40, 40, "7.7.7.7 , ,203.0.113.9");
	const char *pad[] = { padded };
	ck_assert_str_eq(client(&l, "127.0.0.1", pad, 1), "203.0.113.9");
	const char *empty[] = { "", " , ", "203.0.113.9," };
	ck_assert_str_eq(client(&l, "127.0.0.1", empty, 3), "203.0.113.9");
}
END_TEST

START_TEST(limit_keys_take_ipv6_by_its_64)
{
	char key[NETADDR_KEY];
	netaddr_key("203.0.113.9", key);
	ck_assert_str_eq(key, "203.0.113.9");
	netaddr_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", key);
	ck_assert_str_eq(key, "2001:db8:1:2::/64");
	netaddr_key("2001:db8:1:2::1", key);
	ck_assert_str_eq(key, "2001:db8:1:2::/64");
	netaddr_key("::ffff:198.51.100.4", key);
	ck_assert_str_eq(key, "198.51.100.4");
	netaddr_key("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", key);
	ck_assert_str_eq(key, "ffff:ffff:ffff:ffff::/64");
}
END_TEST

static struct store *temp_store(char *dir)
{
	char path[256], err[256];
	struct store *st;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/t.db", dir);
	ck_assert_int_eq(store_open(path, &st, err, sizeof err), 0);
	return st;
}

static void temp_store_close(struct store *st, const char *dir)
{
	char cmd[300];
	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(limits_count_refuse_slide_and_clear)
{
	char dir[] = "/tmp/guichet-unit-XXXXXX";
	struct store *st = temp_store(dir);
	struct limit_use lu = { .key = "guess:x", .budget = 3, .window_ms = 1000, .clear_on_success = 1 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(store_limit_take(st, &lu, 10000 + i), ST_OK);
		ck_assert(lu.taken);
	}
	ck_assert_int_eq(store_limit_take(st, &lu, 10100), ST_LIMITED);
	ck_assert(!lu.taken);
	/* the window slid with the last counted use (t=10002), not with the refusal */
	ck_assert_int_eq(lu.retry_after_s, 1);
	ck_assert_int_eq(store_limit_take(st, &lu, 10900), ST_LIMITED);
	/* past it, counting starts again from one: no re-arming on a single use */
	ck_assert_int_eq(store_limit_take(st, &lu, 11003), ST_OK);
	ck_assert_int_eq(store_limit_take(st, &lu, 11004), ST_OK);
	ck_assert_int_eq(store_limit_refund(st, &lu), ST_OK);
	ck_assert_int_eq(store_limit_take(st, &lu, 11005), ST_OK);
	ck_assert_int_eq(store_limit_take(st, &lu, 11006), ST_OK);
	ck_assert_int_eq(store_limit_take(st, &lu, 11006), ST_LIMITED);
	ck_assert_int_eq(store_limit_clear(st, lu.key), ST_OK);
	ck_assert_int_eq(store_limit_take(st, &lu, 11007), ST_OK);
	/* other keys, and no budget, are their own */
	struct limit_use other = { .key = "guess:y", .budget = 1, .window_ms = 1000 };
	ck_assert_int_eq(store_limit_take(st, &other, 11008), ST_OK);
	struct limit_use none = { .key = "guess:z", .budget = 0 };
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(store_limit_take(st, &none, 11009), ST_OK);
	temp_store_close(st, dir);
}
END_TEST

/* ---- metrics ---- */

#define HAMMER_THREADS 4
#define HAMMER_ROUNDS 10000

static void *hammer(void *arg)
{
	int route = *(const int *)arg;
	for (int i = 0; i < HAMMER_ROUNDS; i++)
		metrics_request(route, 200, 1500);
	return NULL;
}

START_TEST(metrics_count_every_request_by_template)
{
	int route = api_route_index("GET", "/api/admin/citizens/0123456789");
	ck_assert_int_ge(route, 0);
	ck_assert_str_eq(api_route_path((size_t)route), "/api/admin/citizens/{}");
	ck_assert_int_eq(api_route_index("GET", "/nowhere"), -1);
	ck_assert_int_eq(api_route_index("PUT", "/health"), -1);
	/* no lock on the hot path, and yet not one request lost */
	pthread_t threads[HAMMER_THREADS];
	for (int i = 0; i < HAMMER_THREADS; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, hammer, &route), 0);
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(threads[i], NULL);
	metrics_request(-1, 404, 10);
	metrics_code(METRICS_SMS, 0);
	char *text = metrics_render();
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "guichet_http_requests_total{method=\"GET\",route=\"/api/admin/citizens/{}\","
					   "status=\"200\"} 40000\n"));
	ck_assert_ptr_nonnull(strstr(text, "guichet_http_request_duration_seconds_bucket{method=\"GET\","
					   "route=\"/api/admin/citizens/{}\",le=\"0.001\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "guichet_http_request_duration_seconds_bucket{method=\"GET\","
					   "route=\"/api/admin/citizens/{}\",le=\"0.005\"} 40000\n"));
	ck_assert_ptr_nonnull(strstr(text, "guichet_http_request_duration_seconds_sum{method=\"GET\","
					   "route=\"/api/admin/citizens/{}\"} 60.000000\n"));
	ck_assert_ptr_nonnull(strstr(text, "{method=\"any\",route=\"unmatched\",status=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "guichet_codes_failed_total{channel=\"sms\"} 1\n"));
	ck_assert_ptr_null(strstr(text, "0123456789"));
	cJSON_free(text);
}
END_TEST

static Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	struct {
		const char *name;
		const TTest *test;
	} cases[] = {
		{ "phone", phone_separators_removed },
		{ "phone", phone_rejects_other_characters },
		{ "body", body_accepts_objects_and_empty },
		{ "body", body_rejects_bad_input },
		{ "fields", fields_missing_empty_wrong_type },
		{ "fields", otp_field_number_or_digits },
		{ "otp", otp_codes_are_digits_of_the_length },
		{ "otp", otp_digits_are_uniform },
		{ "otp", otp_hash_is_keyed_and_contextual },
		{ "token", token_seed_example_is_wellformed },
		{ "token", token_made_and_parsed },
		{ "token", uuid_is_version_4 },
		{ "password", password_policy_rules },
		{ "password", password_hash_verifies },
		{ "time", iso_time_utc_with_millis },
		{ "netaddr", cidr_lists_parse_and_match },
		{ "netaddr", forwarded_client_is_the_rightmost_untrusted },
		{ "netaddr", limit_keys_take_ipv6_by_its_64 },
		{ "store", limits_count_refuse_slide_and_clear },
		{ "metrics", metrics_count_every_request_by_template },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	SRunner *sr = srunner_create(server_suite());
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
