#ifndef GUICHET_CLIENT_H
#define GUICHET_CLIENT_H
/*
 * The guichetd API client: one function per route, each preparing a call
 * that is then either run to its end (client_call_run) or driven from an
 * event loop (client_call_start + curl_multi_*), and finally read as a typed
 * result (client_call_result). All JSON handling of the console is here.
 */
#include <time.h>

#include "transport.h"

enum client_outcome {
	CLIENT_OK,           /* 2xx */
	CLIENT_REFUSED,      /* 4xx: the server's message says why */
	CLIENT_SERVER_ERROR, /* 5xx, or an answer that is not the API's */
	CLIENT_UNREACHABLE,  /* no answer at all */
};

struct client_admin {
	long long id;
	char matricule[40];
	char nom[256];
	char prenom[256];
	char email[320];
	char telephone[64];
	char pays[128];
	char ville[128];
};

/* GET /api/admin/meta: what the console must know of the server's settings (contract §9.6). */
struct client_meta {
	int otp_digits;         /* the code length, 4-10 */
	long citizen_otp_ttl;   /* seconds */
	long admin_otp_ttl;     /* seconds */
	int sms;                /* citizen codes go by SMS */
};

/* GET /api/admin/citizens/{phone}: a citizen's state, for the support desk (contract §9.6). */
struct client_citizen {
	char phone[40];
	char nom[256];
	char prenom[256];
	int live;              /* a code is live */
	char expires_at[32];   /* its expiry ("" when none) */
	long tries_left;       /* wrong guesses left on it */
	long cooldown;         /* seconds before a new code may be sent */
	long budget_left;      /* wrong guesses left before the phone is refused */
	char last_sent_at[32]; /* "" when none */
	char last_sent_by[320];
};

/* One entry of the audit trail (GET /api/admin/audit); "" for a null field. */
struct client_audit_entry {
	long long id;
	char at[32];
	char event[48];
	char outcome[48];
	char actor[320];
	char ip[64];
	char detail[256];
};

/* One of the admin's live sessions (GET /api/admin/sessions). */
struct client_session {
	long long id;
	char created_at[32];
	char last_used_at[32];
	int current; /* the token this request carried */
};

/* The most a page holds: the console asks for no more; the rest of a longer answer is dropped. */
#define CLIENT_AUDIT_PAGE 50
#define CLIENT_SESSIONS_MAX 64

struct client_result {
	enum client_outcome outcome;
	long status;          /* HTTP status, 0 when unreachable */
	long retry_after;     /* seconds, from Retry-After */
	char message[512];    /* the server's message (controls shown as '?'), or what went wrong */
	int auth_failed;      /* 401 "Non authentifié." to a request that carried a token: it expired or was revoked */
	const char *raw_json; /* the body as received (valid until the call is freed) */
	int has_admin;
	struct client_admin admin;
	char token[160];      /* login */
	int otp_issued;       /* citizen OTP create/resend: phone and expiry */
	int has_code;         /* ... and the code itself (not when it went by SMS only) */
	char phone[40];
	char code[16];
	char expires_at[32];
	int has_meta;         /* GET /api/admin/meta */
	struct client_meta meta;
	int has_citizen;      /* GET /api/admin/citizens/{phone}, and its unlock */
	struct client_citizen citizen;
	int has_audit;        /* GET /api/admin/audit */
	int naudit;
	struct client_audit_entry audit[CLIENT_AUDIT_PAGE];
	long long audit_next; /* the `before` of the next page; 0 on the last one */
	int has_sessions;     /* GET /api/admin/sessions */
	int nsessions;
	struct client_session sessions[CLIENT_SESSIONS_MAX];
};

/* Shown where the code would be when /otp kept it out of its answer (contract §9.2). */
#define CLIENT_CODE_BY_SMS "Code envoyé par SMS."
/* /otp's answer to a create while a code is live (the seed's words): a resend applies. */
#define CLIENT_OTP_EXISTS "Un OTP existe déjà pour ce numéro. Utilisez le type 'resend' pour régénérer."

struct client_call {
	struct transport_exchange x;
	int sent_token; /* the request carries Authorization */
};

/*
 * Each prepares *call; 0 or -1. Strings are copied; token may be NULL. The
 * citizen routes (client_otp, client_otp_verify) need no token, but send one
 * when given, so that a server with --otp-callers key accepts the console.
 */
int client_health(struct client_call *call, const struct transport_options *o);
int client_meta(struct client_call *call, const struct transport_options *o);
int client_login(struct client_call *call, const struct transport_options *o, const char *email, const char *password);
int client_logout(struct client_call *call, const struct transport_options *o, const char *token);
int client_me(struct client_call *call, const struct transport_options *o, const char *token);
int client_signup_init(struct client_call *call, const struct transport_options *o, const char *matricule, const char *email);
int client_signup_finish(struct client_call *call, const struct transport_options *o, const char *code,
			 const char *password, const char *email);
int client_password_forgot(struct client_call *call, const struct transport_options *o, const char *email);
int client_password_reset(struct client_call *call, const struct transport_options *o, const char *code,
			  const char *password, const char *email);
int client_password_change_init(struct client_call *call, const struct transport_options *o, const char *token);
int client_password_change(struct client_call *call, const struct transport_options *o, const char *token,
			   const char *code, const char *password);
int client_email_change_init(struct client_call *call, const struct transport_options *o, const char *token,
			     const char *new_email, const char *password);
int client_email_change(struct client_call *call, const struct transport_options *o, const char *token, const char *code);
int client_otp(struct client_call *call, const struct transport_options *o, const char *token, const char *type,
	       const char *phone);
int client_otp_verify(struct client_call *call, const struct transport_options *o, const char *token, const char *phone,
		      const char *code);

/* The support routes (contract §9.6): a token always. */
int client_citizen(struct client_call *call, const struct transport_options *o, const char *token, const char *phone);
int client_citizen_unlock(struct client_call *call, const struct transport_options *o, const char *token,
			  const char *phone);
/* One page of the trail: at most limit entries (1..CLIENT_AUDIT_PAGE) older than before (0: the newest),
   narrowed to one admin and one phone (NULL or "": all). */
int client_audit(struct client_call *call, const struct transport_options *o, const char *token, int limit,
		 long long before, const char *admin, const char *phone);
int client_sessions(struct client_call *call, const struct transport_options *o, const char *token);
int client_session_revoke(struct client_call *call, const struct transport_options *o, const char *token,
			  long long id);

void client_call_run(struct client_call *call);
int client_call_start(struct client_call *call, CURLM *multi);
int client_call_done(const struct client_call *call);
void client_call_cancel(struct client_call *call, CURLM *multi);
/* Reads the finished call into *r (zeroed first). */
void client_call_result(const struct client_call *call, struct client_result *r);
void client_call_free(struct client_call *call);

/*
 * Server text made safe for a terminal. Every string of a client_result went
 * through client_clean_text; raw_json did not: print it through client_clean_json.
 */

/*
 * Copies in[0..len) into out (NUL-terminated, at most outsz - 1 bytes, never
 * half a character), writing '?' for every control character (C0 with TAB,
 * CR and LF; DEL; C1 U+0080-U+009F; the invisible format characters that
 * reorder or hide text: bidi controls, zero-width characters, the BOM) and
 * every byte that is not valid UTF-8.
 * Returns the length written.
 */
size_t client_clean_text(char *out, size_t outsz, const char *in, size_t len);
/*
 * The server's JSON as received, except that inside strings a control
 * character becomes \u00XX and invalid UTF-8 \ufffd (valid JSON stays valid
 * and means the same); outside strings TAB, CR and LF become a space (LF stays
 * unless one_line) and anything else unsafe '?'. Returns a string you own
 * (free()), or NULL when out of memory.
 */
char *client_clean_json(const char *json, size_t len, int one_line);

/* The API's timestamps ("2026-11-30T13:37:05.000Z", UTC) as a time_t; -1 when it is not one. */
time_t client_time(const char *iso);

/* Parses a response body as the API's (for tests and fuzzing): fills message and data. */
void client_parse(const char *json, size_t len, struct client_result *r);

#endif
