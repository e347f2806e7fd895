#ifndef GUICHET_STORE_H
#define GUICHET_STORE_H
/*
 * The storage module: every SQL statement of guichetd lives behind this
 * header, in one file per engine (store_sqlite.c, store_pg.c; store_internal.h
 * lists what they share). Each function below is one atomic step and may be
 * called from any thread. Times are milliseconds since the epoch.
 */
#include <stddef.h>
#include <stdint.h>

#include "otp.h"
#include "token.h"

struct store;

enum store_status {
	ST_OK = 0,
	ST_NOT_FOUND, /* no such row (or not of the right kind) */
	ST_CONFLICT,  /* a unique value is taken */
	ST_EXISTS,    /* citizen create: a live OTP exists */
	ST_NONE,      /* citizen resend: no OTP to replace */
	ST_LIMITED,   /* an abuse limit's budget is spent (limit_use.retry_after_s set) */
	ST_WRONG,     /* wrong, expired, used or dead OTP */
	ST_ERROR,     /* the database failed; details went to stderr */
};

/*
 * Opens and migrates the database: postgresql://... or postgres://... is a
 * PostgreSQL server (libpq), anything else a SQLite file (created mode 0600).
 * Returns 0 or -1 with err.
 */
int store_open(const char *db, struct store **out, char *err, size_t errsz);
void store_close(struct store *st);
/* 1 when db names a PostgreSQL database. */
int store_is_postgres(const char *db);
/* 1 when several servers may share this store: per-address state must then live in it too. */
int store_shared(const struct store *st);
/* The key of OTP hashes (OTP_KEY_BYTES), made once: beside a SQLite file, inside PostgreSQL. */
int store_server_key(struct store *st, unsigned char *key, char *err, size_t errsz);

/* One transaction around several calls, for bulk imports (single-threaded use). */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* ---- users (citizens and others) ---- */
int store_user_add(struct store *st, const char *phone, const char *type,
		   const char *nom, const char *prenom, int64_t now);

/* ---- abuse limits: counts per key, each taken in one atomic statement (abuse.h says which) ---- */
#define LIMIT_KEY_MAX 96

struct limit_use {
	char key[LIMIT_KEY_MAX];
	long budget;          /* uses per window; <= 0: no limit */
	int64_t window_ms;    /* slides with every counted use, unless fixed_window */
	int fixed_window;     /* the window starts at the first use and does not slide (a rate) */
	int clear_on_success; /* counts failures in a row: a success starts again from zero */
	int limit;            /* which limit (enum limit_id of abuse.h), for the reply */
	long retry_after_s;   /* out, with ST_LIMITED */
	int taken;            /* out: one use was counted */
	long used;            /* out: uses counted in the window, this one included */
};

/* Counts one use unless the budget is spent: ST_OK, ST_LIMITED (retry set) or ST_ERROR. */
int store_limit_take(struct store *st, struct limit_use *lu, int64_t now);
/* Gives back a use that turned out not to count (a mail that failed). */
int store_limit_refund(struct store *st, const struct limit_use *lu);
int store_limit_clear(struct store *st, const char *key);
/* Where a key stands now: its count and the end of its window (both 0 when none is running). */
int store_limit_peek(struct store *st, const char *key, int64_t now, int64_t *count, int64_t *reset_at);

/*
 * An audit entry written in the same transaction as the step it records, so
 * that both cost one commit (one fsync): outcome[status] names the outcome
 * of the step's answer; NULL there, or an error, writes no entry.
 */
struct audit_note {
	int64_t admin_id;
	const char *email, *event, *ip, *detail; /* as store_audit_add's */
	int64_t now;
	const char *outcome[ST_ERROR + 1];
};

struct otp_request {
	const unsigned char *hash;
	int64_t now;
	int64_t expires_at;
	struct limit_use *cooldown; /* taken with the code, in the same transaction */
	const struct audit_note *audit; /* NULL: none */
};

/*
 * create (ST_EXISTS if live) or resend (ST_NONE if none or used); ST_NOT_FOUND:
 * no citizen; ST_LIMITED: the cooldown holds.
 */
int store_citizen_otp_issue(struct store *st, const char *phone, int create, struct otp_request *rq);
/*
 * Consumes the citizen's live OTP if hash matches; a miss counts one try.
 * `budget` is taken only when a code is live (a guess at nothing costs the
 * citizen nothing), before the comparison: ST_LIMITED when spent. `audit`
 * (NULL: none) is written with the answer.
 */
int store_citizen_otp_verify(struct store *st, const char *phone, const unsigned char *hash,
			     int64_t now, int max_tries, struct limit_use *budget, const struct audit_note *audit);

/*
 * The same two steps for a caller that does not wait: then->fn(then->ctx,
 * status) is called once the step is on disk (or failed), on the store's
 * writer thread (SQLite: a group commit without a thread waiting per step)
 * or before the call returns (PostgreSQL). What the step reads (phone, rq,
 * hash, budget, audit) must live until then. Return 0.
 */
struct store_then {
	void (*fn)(void *ctx, int status);
	void *ctx;
};
int store_citizen_otp_issue_then(struct store *st, const char *phone, int create, struct otp_request *rq,
				 const struct store_then *then);
int store_citizen_otp_verify_then(struct store *st, const char *phone, const unsigned char *hash, int64_t now,
				  int max_tries, struct limit_use *budget, const struct audit_note *audit,
				  const struct store_then *then);

/* What support staff see of a citizen (GET /api/admin/citizens/{phone}). */
struct citizen_state {
	char nom[256];
	char prenom[256];
	int otp_live;
	int64_t otp_expires_at;
	int tries_left;       /* 0 when no code is live */
	int64_t last_sent_at; /* 0: never */
};
int store_citizen_state(struct store *st, const char *phone, int64_t now, int max_tries,
			struct citizen_state *out);

/* A code that could not be delivered: none is left live, and the cooldown is given back. */
int store_citizen_otp_cancel(struct store *st, const char *phone, const struct limit_use *cooldown);

/* ---- admins ---- */
struct admin {
	int64_t id;
	char matricule[40];
	char nom[256];
	char prenom[256];
	char email[320];
	char telephone[64];
	char pays[128];
	char ville[128];
	char photo_profil[512];
	char piece_identite[512];
	char password_hash[128]; /* crypto_pwhash_STRBYTES */
	int has_password;
	int64_t email_verified_at; /* 0: never */
	int64_t deleted_at; /* 0: live */
};

int store_admin_add(struct store *st, const struct admin *a, int64_t now, int64_t *id);
/* Calls fn for every admin, deleted ones included, by id. */
int store_admin_list(struct store *st, void (*fn)(const struct admin *, void *), void *ctx);
/* Soft delete: deleted_at set, every token revoked. ST_NOT_FOUND if no live admin. */
int store_admin_delete(struct store *st, const char *email, int64_t now);

/* Live admins only. */
int store_admin_by_id(struct store *st, int64_t id, struct admin *out);
int store_admin_by_email(struct store *st, const char *email, struct admin *out);
int store_admin_by_matricule_email(struct store *st, const char *matricule, const char *email,
				   struct admin *out);

/* ---- admin OTPs ---- */
enum admin_purpose { PURPOSE_SIGNUP, PURPOSE_PASSWORD_RESET, PURPOSE_PASSWORD_CHANGE, PURPOSE_EMAIL_CHANGE };
const char *store_purpose_name(enum admin_purpose p);

/*
 * Issues an OTP for (admin, purpose), killing the previous one. ST_CONFLICT:
 * a live code of that purpose already has this hash (draw another);
 * ST_LIMITED: the cooldown holds. On ST_OK, *otp_id lets
 * store_admin_otp_cancel undo it (and give the cooldown back) if the mail fails.
 */
int store_admin_otp_issue(struct store *st, int64_t admin_id, enum admin_purpose purpose,
			  const char *new_email, struct otp_request *rq, int64_t *otp_id);
int store_admin_otp_cancel(struct store *st, int64_t otp_id, const struct limit_use *cooldown);

/*
 * Finds the live OTP of `purpose` with this hash: the admin's own when
 * admin_id > 0 (ST_NONE when that admin has none: nothing to guess, nothing
 * taken), else anyone's. `budget` is taken before the comparison (ST_LIMITED
 * when spent); a miss on an admin's own code also counts a try on it.
 */
int store_admin_otp_find(struct store *st, enum admin_purpose purpose, const unsigned char *hash,
			 int64_t admin_id, int64_t now, int max_tries, struct limit_use *budget,
			 int64_t *otp_id, int64_t *found_admin);

/*
 * Consumes the OTP and sets the password; optionally marks the e-mail verified
 * and revokes every token. Every other code of the admin is retired: a new
 * credential outlives no code issued before it. ST_WRONG if the OTP stopped
 * being live meanwhile.
 */
int store_admin_password_set(struct store *st, int64_t otp_id, int64_t admin_id,
			     const char *hash, int verify_email, int revoke_tokens, int64_t now);
/* Consumes the OTP, moves the admin to its new e-mail (copied to new_email, 320 bytes), retires every other code. */
int store_admin_email_set(struct store *st, int64_t otp_id, int64_t admin_id, int64_t now,
			  char *new_email);

/* ---- tokens ---- */
int store_token_create(struct store *st, int64_t admin_id, const unsigned char *hash,
		       int64_t now, int64_t expires_at, int64_t *id);
/* ST_OK and the admin when the token is live and its admin too; updates last_used_at. */
int store_token_auth(struct store *st, int64_t id, const unsigned char *hash, int64_t now,
		     struct admin *out);
int store_token_revoke(struct store *st, int64_t id, int64_t now);

/* An admin's live sessions (tokens), newest first. */
struct session_row {
	int64_t id;
	int64_t created_at;
	int64_t last_used_at; /* 0: never */
};
int store_token_list(struct store *st, int64_t admin_id, int64_t now,
		     void (*fn)(const struct session_row *, void *), void *ctx);
/* Revokes one live token of that admin: ST_NOT_FOUND when it is not one. */
int store_token_revoke_own(struct store *st, int64_t admin_id, int64_t id, int64_t now);

/* ---- API keys of the citizen routes: stored as a hash only ---- */
struct apikey_row {
	char name[128];
	int64_t created_at;
	int64_t last_used_at; /* 0: never */
	int64_t revoked_at;   /* 0: live */
};
/* ST_CONFLICT: a live key has that name. */
int store_apikey_add(struct store *st, const char *name, const unsigned char *hash, int64_t now);
int store_apikey_list(struct store *st, void (*fn)(const struct apikey_row *, void *), void *ctx);
/* ST_NOT_FOUND: no live key of that name. */
int store_apikey_revoke(struct store *st, const char *name, int64_t now);
/* ST_OK and its name (copied) when hash is a live key's; updates last_used_at. */
int store_apikey_auth(struct store *st, const unsigned char *hash, int64_t now, char *name, size_t namesz);

/* ---- audit trail: admin events, never a secret ---- */
struct audit_row {
	int64_t id;
	int64_t at;
	char email[320];
	char event[64];
	char outcome[64];
	char ip[64];
	char detail[64];
};
/* email: who acted (an admin's e-mail, an API key's name, "anonyme"); detail: what about (a phone). */
int store_audit_add(struct store *st, int64_t admin_id, const char *email, const char *event,
		    const char *outcome, const char *ip, const char *detail, int64_t now);
/* Rows at or after `since`, for one e-mail when non-NULL, oldest first. */
int store_audit_list(struct store *st, int64_t since, const char *email,
		     void (*fn)(const struct audit_row *, void *), void *ctx);
/*
 * One page of the trail, newest first: `limit` rows older than before_id
 * (0: from the newest), narrowed to one actor (case-insensitive) and one
 * detail (a phone) when non-NULL.
 */
int store_audit_page(struct store *st, int64_t before_id, int limit, const char *actor, const char *detail,
		     void (*fn)(const struct audit_row *, void *), void *ctx);
/*
 * An online copy of the whole database in path, taken while servers run:
 * SQLite's backup API into a new file (0600) that then passes
 * integrity_check; PostgreSQL's own pg_dump (custom format) for a server.
 * 0, or -1 with err.
 */
int store_backup(struct store *st, const char *path, char *err, size_t errsz);
/* Deletes the rows older than `before` (the retention, --audit-days). */
int store_audit_prune(struct store *st, int64_t before);

#endif
