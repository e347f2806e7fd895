#ifndef GUICHET_STORE_INTERNAL_H
#define GUICHET_STORE_INTERNAL_H
/*
 * What the store's engines share (as git's refs/refs-internal.h does for its
 * backends): every operation of store.h listed once, with its parameters and
 * the arguments that pass them on. store.c dispatches each store_NAME() to
 * the engine's NAME; store_sqlite.c and store_pg.c each fill one table, and
 * each keeps its SQL to itself.
 */
#include "store.h"

#define STORE_OPS(X) \
	X(int, begin, (struct store *st), (st)) \
	X(int, commit, (struct store *st), (st)) \
	X(int, rollback, (struct store *st), (st)) \
	X(int, shared, (const struct store *st), (st)) \
	X(int, server_key, (struct store *st, unsigned char *key, char *err, size_t errsz), (st, key, err, errsz)) \
	X(int, user_add, (struct store *st, const char *phone, const char *type, const char *nom, const char *prenom, \
			  int64_t now), (st, phone, type, nom, prenom, now)) \
	X(int, limit_take, (struct store *st, struct limit_use *lu, int64_t now), (st, lu, now)) \
	X(int, limit_refund, (struct store *st, const struct limit_use *lu), (st, lu)) \
	X(int, limit_clear, (struct store *st, const char *key), (st, key)) \
	X(int, limit_peek, (struct store *st, const char *key, int64_t now, int64_t *count, int64_t *reset_at), \
	  (st, key, now, count, reset_at)) \
	X(int, citizen_otp_issue, (struct store *st, const char *phone, int create, struct otp_request *rq), \
	  (st, phone, create, rq)) \
	X(int, citizen_otp_verify, (struct store *st, const char *phone, const unsigned char *hash, int64_t now, \
				    int max_tries, struct limit_use *budget, const struct audit_note *audit), \
	  (st, phone, hash, now, max_tries, budget, audit)) \
	X(int, citizen_otp_issue_then, (struct store *st, const char *phone, int create, struct otp_request *rq, \
					const struct store_then *then), (st, phone, create, rq, then)) \
	X(int, citizen_otp_verify_then, (struct store *st, const char *phone, const unsigned char *hash, int64_t now, \
					 int max_tries, struct limit_use *budget, const struct audit_note *audit, \
					 const struct store_then *then), (st, phone, hash, now, max_tries, budget, audit, then)) \
	X(int, citizen_state, (struct store *st, const char *phone, int64_t now, int max_tries, \
			       struct citizen_state *out), (st, phone, now, max_tries, out)) \
	X(int, citizen_otp_cancel, (struct store *st, const char *phone, const struct limit_use *cooldown), \
	  (st, phone, cooldown)) \
	X(int, admin_add, (struct store *st, const struct admin *a, int64_t now, int64_t *id), (st, a, now, id)) \
	X(int, admin_list, (struct store *st, void (*fn)(const struct admin *, void *), void *ctx), (st, fn, ctx)) \
	X(int, admin_delete, (struct store *st, const char *email, int64_t now), (st, email, now)) \
	X(int, admin_by_id, (struct store *st, int64_t id, struct admin *out), (st, id, out)) \
	X(int, admin_by_email, (struct store *st, const char *email, struct admin *out), (st, email, out)) \
	X(int, admin_by_matricule_email, (struct store *st, const char *matricule, const char *email, \
					  struct admin *out), (st, matricule, email, out)) \
	X(int, admin_otp_issue, (struct store *st, int64_t admin_id, enum admin_purpose purpose, \
				 const char *new_email, struct otp_request *rq, int64_t *otp_id), \
	  (st, admin_id, purpose, new_email, rq, otp_id)) \
	X(int, admin_otp_cancel, (struct store *st, int64_t otp_id, const struct limit_use *cooldown), \
	  (st, otp_id, cooldown)) \
	X(int, admin_otp_find, (struct store *st, enum admin_purpose purpose, const unsigned char *hash, \
				int64_t admin_id, int64_t now, int max_tries, struct limit_use *budget, \
				int64_t *otp_id, int64_t *found_admin), \
	  (st, purpose, hash, admin_id, now, max_tries, budget, otp_id, found_admin)) \
	X(int, admin_password_set, (struct store *st, int64_t otp_id, int64_t admin_id, const char *hash, \
				    int verify_email, int revoke_tokens, int64_t now), \
	  (st, otp_id, admin_id, hash, verify_email, revoke_tokens, now)) \
	X(int, admin_email_set, (struct store *st, int64_t otp_id, int64_t admin_id, int64_t now, char *new_email), \
	  (st, otp_id, admin_id, now, new_email)) \
	X(int, token_create, (struct store *st, int64_t admin_id, const unsigned char *hash, int64_t now, \
			      int64_t expires_at, int64_t *id), (st, admin_id, hash, now, expires_at, id)) \
	X(int, token_auth, (struct store *st, int64_t id, const unsigned char *hash, int64_t now, struct admin *out), \
	  (st, id, hash, now, out)) \
	X(int, token_revoke, (struct store *st, int64_t id, int64_t now), (st, id, now)) \
	X(int, token_list, (struct store *st, int64_t admin_id, int64_t now, \
			    void (*fn)(const struct session_row *, void *), void *ctx), (st, admin_id, now, fn, ctx)) \
	X(int, token_revoke_own, (struct store *st, int64_t admin_id, int64_t id, int64_t now), \
	  (st, admin_id, id, now)) \
	X(int, apikey_add, (struct store *st, const char *name, const unsigned char *hash, int64_t now), \
	  (st, name, hash, now)) \
	X(int, apikey_list, (struct store *st, void (*fn)(const struct apikey_row *, void *), void *ctx), \
	  (st, fn, ctx)) \
	X(int, apikey_revoke, (struct store *st, const char *name, int64_t now), (st, name, now)) \
	X(int, apikey_auth, (struct store *st, const unsigned char *hash, int64_t now, char *name, size_t namesz), \
	  (st, hash, now, name, namesz)) \
	X(int, audit_add, (struct store *st, int64_t admin_id, const char *email, const char *event, \
			   const char *outcome, const char *ip, const char *detail, int64_t now), \
	  (st, admin_id, email, event, outcome, ip, detail, now)) \
	X(int, audit_list, (struct store *st, int64_t since, const char *email, \
			    void (*fn)(const struct audit_row *, void *), void *ctx), (st, since, email, fn, ctx)) \
	X(int, audit_page, (struct store *st, int64_t before_id, int limit, const char *actor, const char *detail, \
			    void (*fn)(const struct audit_row *, void *), void *ctx), \
	  (st, before_id, limit, actor, detail, fn, ctx)) \
	X(int, audit_prune, (struct store *st, int64_t before), (st, before)) \
	X(int, backup, (struct store *st, const char *path, char *err, size_t errsz), (st, path, err, errsz))

struct store_ops {
	void (*close)(struct store *st);
#define STORE_OP_FIELD(ret, name, params, args) ret (*name) params;
	STORE_OPS(STORE_OP_FIELD)
#undef STORE_OP_FIELD
};

/* Every engine's handle starts with this. */
struct store {
	const struct store_ops *ops;
};

/* The engine's table, its functions named PREFIX_NAME. */
#define STORE_OP_ENTRY_sqlite(ret, name, params, args) .name = sqlite_##name,
#define STORE_OP_ENTRY_pg(ret, name, params, args) .name = pg_##name,

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errsz);
int store_pg_open(const char *url, struct store **out, char *err, size_t errsz);

/* The lifecycle step of admin OTP purposes, shared by the engines. */
extern const char *const STORE_PURPOSES[];

#endif
