/*
 * The PostgreSQL engine of the store (libpq): several guichetd nodes on one
 * database behave as one server. Every piece of state a limit, a token or a
 * code depends on is a row here, the OTP key included; races are settled by
 * row locks, unique indexes and single statements, never by a check in C.
 *
 * A small pool of connections, each with its statements prepared once;
 * a connection found broken is reset and prepared again on next use.
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* enough for every thread that may call the store at once (http.c: 2 + 8) */
#define POOL_SIZE 12
/*
 * A citizen step and its audit entry in one statement, so one commit: the
 * step's status picks the outcome from $13 (a text[] by status + 1; NULL: no entry).
 */
#define AUDIT_NOTE_SQL \
	", a AS (INSERT INTO audit (at, admin_id, email, event, outcome, ip, detail)" \
	" SELECT $9::bigint, $10::bigint, $11::text, $12::text, ($13::text[])[r.status + 1], $14::text, $15::text" \
	" FROM r WHERE ($13::text[])[r.status + 1] IS NOT NULL)" \
	" SELECT status, used, reset_at FROM r"
#define PARAMS_MAX 16
#define PRUNE_EVERY 1024
/* Token and key use is recorded at most once a minute, as in the SQLite engine. */
#define TOUCH_EVERY_MS 60000
/* Every node takes this advisory lock to migrate, so that one migrates and the others wait. */
#define MIGRATION_LOCK "4242061"

/* Versioned schema: migration N brings guichet_schema.version from N-1 to N. */
static const char *const MIGRATIONS[] = {
	"CREATE TABLE users ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  phone TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  nom TEXT, prenom TEXT,"
	"  created_at BIGINT NOT NULL);"
	"CREATE TABLE citizen_otps ("
	"  user_id BIGINT PRIMARY KEY REFERENCES users(id),"
	"  code_hash BYTEA NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  used INT NOT NULL DEFAULT 0,"
	"  tries INT NOT NULL DEFAULT 0,"
	"  created_at BIGINT NOT NULL);"
	"CREATE TABLE admins ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  matricule TEXT NOT NULL,"
	"  nom TEXT NOT NULL, prenom TEXT NOT NULL,"
	"  email TEXT NOT NULL,"
	"  email_verified_at BIGINT,"
	"  telephone TEXT, pays TEXT, ville TEXT, photo_profil TEXT, piece_identite TEXT,"
	"  password_hash TEXT,"
	"  created_at BIGINT NOT NULL,"
	"  deleted_at BIGINT);"
	"CREATE UNIQUE INDEX admins_matricule ON admins (lower(matricule));"
	"CREATE UNIQUE INDEX admins_live_email ON admins (lower(email)) WHERE deleted_at IS NULL;"
	"CREATE TABLE admin_otps ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  admin_id BIGINT NOT NULL REFERENCES admins(id),"
	"  purpose TEXT NOT NULL,"
	"  code_hash BYTEA NOT NULL,"
	"  new_email TEXT,"
	"  expires_at BIGINT NOT NULL,"
	"  tries INT NOT NULL DEFAULT 0,"
	"  used INT NOT NULL DEFAULT 0,"
	"  created_at BIGINT NOT NULL);"
	"CREATE INDEX admin_otps_code ON admin_otps (purpose, code_hash);"
	"CREATE INDEX admin_otps_admin ON admin_otps (admin_id, purpose);"
	"CREATE TABLE tokens ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  admin_id BIGINT NOT NULL REFERENCES admins(id),"
	"  secret_hash BYTEA NOT NULL,"
	"  created_at BIGINT NOT NULL,"
	"  expires_at BIGINT NOT NULL,"
	"  last_used_at BIGINT,"
	"  revoked_at BIGINT);"
	"CREATE INDEX tokens_admin ON tokens (admin_id);"
	"CREATE TABLE audit ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  at BIGINT NOT NULL,"
	"  admin_id BIGINT,"
	"  email TEXT,"
	"  event TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  ip TEXT,"
	"  detail TEXT);"
	"CREATE INDEX audit_at ON audit (at);"
	"CREATE TABLE limits ("
	"  key TEXT PRIMARY KEY,"
	"  count BIGINT NOT NULL,"
	"  reset_at BIGINT NOT NULL);"
	"CREATE INDEX limits_reset ON limits (reset_at);"
	"CREATE TABLE api_keys ("
	"  id BIGSERIAL PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  key_hash BYTEA NOT NULL UNIQUE,"
	"  created_at BIGINT NOT NULL,"
	"  last_used_at BIGINT,"
	"  revoked_at BIGINT);"
	"CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked_at IS NULL;"
	"CREATE TABLE server_key (id INT PRIMARY KEY CHECK (id = 1), key BYTEA NOT NULL);",
	/*
	 * 2: the citizen's two hot steps, each one statement and one round trip.
	 * They answer the numbers of enum store_status (store.h): 0 ok, 1 not
	 * found, 3 exists, 4 none, 5 limited, 6 wrong; with the limit's count and end.
	 */
	"CREATE FUNCTION guichet_limit_take(p_key text, p_now bigint, p_budget bigint, p_window bigint,"
	"  OUT used bigint, OUT reset_at bigint) AS $$"
	"  INSERT INTO limits AS l (key, count, reset_at) VALUES (p_key, 1, p_now + p_window)"
	"  ON CONFLICT (key) DO UPDATE SET"
	"    count = CASE WHEN l.reset_at <= p_now THEN 1 WHEN l.count <= p_budget THEN l.count + 1 ELSE l.count END,"
	"    reset_at = CASE WHEN l.reset_at <= p_now THEN p_now + p_window"
	"      WHEN l.count < p_budget THEN p_now + p_window ELSE l.reset_at END"
	"  RETURNING count, reset_at"
	"$$ LANGUAGE sql;"
	"CREATE FUNCTION guichet_citizen_issue(p_phone text, p_create boolean, p_hash bytea, p_expires bigint,"
	"  p_now bigint, p_key text, p_budget bigint, p_window bigint,"
	"  OUT status int, OUT used bigint, OUT reset_at bigint) AS $$"
	"DECLARE u record; o record; has_otp boolean;"
	"BEGIN"
	"  used := 0; reset_at := 0;"
	"  SELECT id, type INTO u FROM users WHERE phone = p_phone FOR UPDATE;"
	"  IF NOT FOUND OR u.type <> 'CITIZEN' THEN status := 1; RETURN; END IF;"
	"  SELECT c.used, c.tries, c.expires_at INTO o FROM citizen_otps c WHERE c.user_id = u.id;"
	"  has_otp := FOUND;"
	"  IF p_create AND has_otp AND o.used = 0 AND o.tries < 5 AND o.expires_at > p_now THEN status := 3; RETURN; END IF;"
	"  IF NOT p_create AND (NOT has_otp OR o.used <> 0) THEN status := 4; RETURN; END IF;"
	"  IF p_budget > 0 THEN"
	"    SELECT t.used, t.reset_at INTO used, reset_at FROM guichet_limit_take(p_key, p_now, p_budget, p_window) t;"
	"    IF used > p_budget THEN status := 5; RETURN; END IF;"
	"  END IF;"
	"  INSERT INTO citizen_otps (user_id, code_hash, expires_at, used, tries, created_at)"
	"    VALUES (u.id, p_hash, p_expires, 0, 0, p_now) ON CONFLICT (user_id) DO UPDATE SET"
	"    code_hash = excluded.code_hash, expires_at = excluded.expires_at, used = 0, tries = 0,"
	"    created_at = excluded.created_at;"
	"  status := 0;"
	"END $$ LANGUAGE plpgsql;"
	"CREATE FUNCTION guichet_citizen_verify(p_phone text, p_hash bytea, p_now bigint, p_max_tries int,"
	"  p_key text, p_budget bigint, p_window bigint, p_clear boolean,"
	"  OUT status int, OUT used bigint, OUT reset_at bigint) AS $$"
	"DECLARE u record; o record;"
	"BEGIN"
	"  used := 0; reset_at := 0;"
	"  SELECT id, type INTO u FROM users WHERE phone = p_phone FOR UPDATE;"
	"  IF NOT FOUND OR u.type <> 'CITIZEN' THEN status := 1; RETURN; END IF;"
	"  SELECT c.used, c.tries, c.expires_at, c.code_hash = p_hash AS match INTO o"
	"    FROM citizen_otps c WHERE c.user_id = u.id;"
	"  IF NOT FOUND OR o.used <> 0 OR o.tries >= p_max_tries OR o.expires_at <= p_now THEN status := 6; RETURN; END IF;"
	"  IF p_budget > 0 THEN"
	"    SELECT t.used, t.reset_at INTO used, reset_at FROM guichet_limit_take(p_key, p_now, p_budget, p_window) t;"
	"    IF used > p_budget THEN status := 5; RETURN; END IF;"
	"  END IF;"
	"  IF o.match THEN"
	"    UPDATE citizen_otps SET used = 1 WHERE user_id = u.id;"
	"    IF p_budget > 0 AND p_clear THEN DELETE FROM limits WHERE key = p_key; END IF;"
	"    status := 0;"
	"  ELSE"
	"    UPDATE citizen_otps SET tries = tries + 1 WHERE user_id = u.id;"
	"    status := 6;"
	"  END IF;"
	"END $$ LANGUAGE plpgsql;",
};

#define ADMIN_COLS \
	"id, matricule, nom, prenom, email, telephone, pays, ville, photo_profil," \
	" piece_identite, password_hash, email_verified_at, deleted_at"
#define LIVE_OTP "used = 0 AND tries < $3::int AND expires_at > $2::bigint"

#define PG_STATEMENTS(_) \
	_(USER_ADD, "INSERT INTO users (phone, type, nom, prenom, created_at)" \
		" VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint)") \
	_(CITIZEN_LOCK, "SELECT id, type FROM users WHERE phone = $1::text FOR UPDATE") \
	_(CITIZEN_OTP_DEL, "DELETE FROM citizen_otps WHERE user_id = $1::bigint") \
	_(CITIZEN_STATE, "SELECT u.nom, u.prenom, o.used, o.tries, o.expires_at, o.created_at FROM users u" \
		" LEFT JOIN citizen_otps o ON o.user_id = u.id WHERE u.phone = $1::text AND u.type = 'CITIZEN'") \
	_(ADMIN_ADD, "INSERT INTO admins (matricule, nom, prenom, email, telephone, pays, ville, created_at)" \
		" VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint) RETURNING id") \
	_(ADMIN_LIST, "SELECT " ADMIN_COLS " FROM admins ORDER BY id") \
	_(ADMIN_BY_ID, "SELECT " ADMIN_COLS " FROM admins WHERE id = $1::bigint AND deleted_at IS NULL") \
	_(ADMIN_BY_EMAIL, "SELECT " ADMIN_COLS " FROM admins WHERE lower(email) = lower($1::text) AND deleted_at IS NULL") \
	_(ADMIN_BY_MATRICULE_EMAIL, "SELECT " ADMIN_COLS " FROM admins WHERE lower(matricule) = lower($1::text)" \
		" AND lower(email) = lower($2::text) AND deleted_at IS NULL") \
	_(ADMIN_LOCK, "SELECT id FROM admins WHERE id = $1::bigint AND deleted_at IS NULL FOR UPDATE") \
	_(ADMIN_DELETE, "UPDATE admins SET deleted_at = $2::bigint WHERE lower(email) = lower($1::text)" \
		" AND deleted_at IS NULL RETURNING id") \
	_(ADMIN_SET_PASSWORD, "UPDATE admins SET password_hash = $2::text," \
		" email_verified_at = CASE WHEN $3::int <> 0 THEN $4::bigint ELSE email_verified_at END" \
		" WHERE id = $1::bigint AND deleted_at IS NULL") \
	_(ADMIN_SET_EMAIL, "UPDATE admins SET email = $2::text, email_verified_at = $3::bigint" \
		" WHERE id = $1::bigint AND deleted_at IS NULL") \
	_(ADMIN_OTP_KILL, "UPDATE admin_otps SET used = 1 WHERE admin_id = $1::bigint AND purpose = $2::text AND used = 0") \
	_(ADMIN_OTP_KILL_ALL, "UPDATE admin_otps SET used = 1 WHERE admin_id = $1::bigint AND used = 0") \
	_(ADMIN_OTP_CLASH, "SELECT 1 FROM admin_otps WHERE purpose = $1::text AND code_hash = $4::bytea AND " LIVE_OTP) \
	_(ADMIN_OTP_ADD, "INSERT INTO admin_otps (admin_id, purpose, code_hash, new_email, expires_at, created_at)" \
		" VALUES ($1::bigint, $2::text, $3::bytea, $4::text, $5::bigint, $6::bigint) RETURNING id") \
	_(ADMIN_OTP_DEL, "DELETE FROM admin_otps WHERE id = $1::bigint") \
	_(ADMIN_OTP_BY_CODE, "SELECT o.id, o.admin_id FROM admin_otps o JOIN admins a ON a.id = o.admin_id" \
		" WHERE o.purpose = $1::text AND o.code_hash = $4::bytea AND o.used = 0 AND o.tries < $3::int" \
		" AND o.expires_at > $2::bigint AND a.deleted_at IS NULL") \
	_(ADMIN_OTP_OF_ADMIN, "SELECT id, code_hash = $5::bytea FROM admin_otps" \
		" WHERE purpose = $1::text AND admin_id = $4::bigint AND " LIVE_OTP " ORDER BY id DESC LIMIT 1") \
	_(ADMIN_OTP_MISS, "UPDATE admin_otps SET tries = tries + 1" \
		" WHERE purpose = $1::text AND admin_id = $4::bigint AND " LIVE_OTP) \
	_(ADMIN_OTP_CONSUME, "UPDATE admin_otps SET used = 1 WHERE id = $1::bigint AND admin_id = $4::bigint AND " \
		"used = 0 AND tries < $3::int AND expires_at > $2::bigint RETURNING new_email") \
	_(TOKEN_ADD, "INSERT INTO tokens (admin_id, secret_hash, created_at, expires_at)" \
		" VALUES ($1::bigint, $2::bytea, $3::bigint, $4::bigint) RETURNING id") \
	_(TOKEN_GET, "SELECT t.admin_id, t.last_used_at FROM tokens t JOIN admins a ON a.id = t.admin_id" \
		" WHERE t.id = $1::bigint AND t.secret_hash = $3::bytea AND t.revoked_at IS NULL" \
		" AND t.expires_at > $2::bigint AND a.deleted_at IS NULL") \
	_(TOKEN_TOUCH, "UPDATE tokens SET last_used_at = $2::bigint WHERE id = $1::bigint") \
	_(TOKEN_REVOKE, "UPDATE tokens SET revoked_at = $2::bigint WHERE id = $1::bigint AND revoked_at IS NULL") \
	_(TOKEN_REVOKE_ALL, "UPDATE tokens SET revoked_at = $2::bigint WHERE admin_id = $1::bigint AND revoked_at IS NULL") \
	_(TOKEN_LIST, "SELECT id, created_at, last_used_at FROM tokens" \
		" WHERE admin_id = $1::bigint AND revoked_at IS NULL AND expires_at > $2::bigint ORDER BY id DESC") \
	_(TOKEN_REVOKE_OWN, "UPDATE tokens SET revoked_at = $3::bigint WHERE id = $1::bigint AND admin_id = $2::bigint" \
		" AND revoked_at IS NULL AND expires_at > $3::bigint") \
	_(AUDIT_ADD, "INSERT INTO audit (at, admin_id, email, event, outcome, ip, detail)" \
		" VALUES ($1::bigint, $2::bigint, $3::text, $4::text, $5::text, $6::text, $7::text)") \
	_(AUDIT_LIST, "SELECT 0, at, email, event, outcome, ip, detail FROM audit WHERE at >= $1::bigint" \
		" AND ($2::text IS NULL OR lower(email) = lower($2::text)) ORDER BY id") \
	_(AUDIT_PAGE, "SELECT id, at, email, event, outcome, ip, detail FROM audit" \
		" WHERE ($1::bigint IS NULL OR id < $1::bigint) AND ($2::text IS NULL OR lower(email) = lower($2::text))" \
		" AND ($3::text IS NULL OR detail = $3::text) ORDER BY id DESC LIMIT $4::int") \
	_(AUDIT_PRUNE, "DELETE FROM audit WHERE at < $1::bigint") \
	_(LIMIT_TAKE, "INSERT INTO limits AS l (key, count, reset_at) VALUES ($1::text, 1, $2::bigint + $4::bigint)" \
		" ON CONFLICT (key) DO UPDATE SET" \
		" count = CASE WHEN l.reset_at <= $2::bigint THEN 1 WHEN l.count <= $3::bigint THEN l.count + 1" \
		" ELSE l.count END," \
		" reset_at = CASE WHEN l.reset_at <= $2::bigint THEN $2::bigint + $4::bigint WHEN $5::int <> 0 THEN l.reset_at" \
		" WHEN l.count < $3::bigint THEN $2::bigint + $4::bigint ELSE l.reset_at END" \
		" RETURNING count, reset_at") \
	_(LIMIT_REFUND, "UPDATE limits SET count = count - 1 WHERE key = $1::text AND count > 0") \
	_(LIMIT_CLEAR, "DELETE FROM limits WHERE key = $1::text") \
	_(LIMIT_PRUNE, "DELETE FROM limits WHERE reset_at <= $1::bigint") \
	_(LIMIT_PEEK, "SELECT count, reset_at FROM limits WHERE key = $1::text AND reset_at > $2::bigint") \
	_(APIKEY_ADD, "INSERT INTO api_keys (name, key_hash, created_at) VALUES ($1::text, $2::bytea, $3::bigint)") \
	_(APIKEY_LIST, "SELECT name, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id") \
	_(APIKEY_REVOKE, "UPDATE api_keys SET revoked_at = $2::bigint WHERE name = $1::text AND revoked_at IS NULL") \
	_(APIKEY_GET, "SELECT id, name, last_used_at FROM api_keys WHERE key_hash = $1::bytea AND revoked_at IS NULL") \
	_(APIKEY_TOUCH, "UPDATE api_keys SET last_used_at = $2::bigint WHERE id = $1::bigint") \
	_(CITIZEN_ISSUE, "WITH r AS (SELECT status, used, reset_at FROM guichet_citizen_issue($1::text, $2::int <> 0," \
		" $3::bytea, $4::bigint, $5::bigint, $6::text, $7::bigint, $8::bigint))" AUDIT_NOTE_SQL) \
	_(CITIZEN_VERIFY, "WITH r AS (SELECT status, used, reset_at FROM guichet_citizen_verify($1::text, $2::bytea," \
		" $3::bigint, $4::int, $5::text, $6::bigint, $7::bigint, $8::int <> 0))" AUDIT_NOTE_SQL) \
	_(KEY_PUT, "INSERT INTO server_key (id, key) VALUES (1, $1::bytea) ON CONFLICT (id) DO NOTHING") \
	_(KEY_GET, "SELECT key FROM server_key WHERE id = 1")

enum pg_stmt {
#define PG_ENUM(name, sql) P_##name,
	PG_STATEMENTS(PG_ENUM)
#undef PG_ENUM
	P_COUNT
};

static const char *const PG_SQL[P_COUNT] = {
#define PG_TEXT(name, sql) [P_##name] = sql,
	PG_STATEMENTS(PG_TEXT)
#undef PG_TEXT
};

struct pg_conn {
	PGconn *conn;
	int prepared;
	pthread_mutex_t lock;
};

struct pg_store {
	struct store base;
	char *url;
	struct pg_conn pool[POOL_SIZE];
	atomic_uint next;
	atomic_uint takes;
	/* store_begin pins one connection to the calling thread until commit or rollback */
	struct pg_conn *pinned;
	pthread_t pinned_by;
};

static const struct store_ops PG_OPS;

/* ---- connections ---- */

static int prepare_all(struct pg_conn *c, char *err, size_t errsz)
{
	for (int i = 0; i < P_COUNT; i++) {
		char name[16];
		snprintf(name, sizeof name, "g%d", i);
		PGresult *r = PQprepare(c->conn, name, PG_SQL[i], 0, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			snprintf(err, errsz, "cannot prepare statement %d: %s", i, PQerrorMessage(c->conn));
		PQclear(r);
		if (!ok)
			return -1;
	}
	c->prepared = 1;
	return 0;
}

/* A usable connection: reset and prepared again when the server went away. */
static int conn_ready(struct pg_conn *c)
{
	char err[512];
	if (PQstatus(c->conn) != CONNECTION_OK) {
		PQreset(c->conn);
		c->prepared = 0;
		if (PQstatus(c->conn) != CONNECTION_OK) {
			fprintf(stderr, "guichetd: database: %s", PQerrorMessage(c->conn));
			return -1;
		}
	}
	if (!c->prepared && prepare_all(c, err, sizeof err) != 0) {
		fprintf(stderr, "guichetd: database: %s\n", err);
		return -1;
	}
	return 0;
}

static struct pg_conn *acquire(struct pg_store *st)
{
	if (st->pinned && pthread_equal(st->pinned_by, pthread_self()))
		return st->pinned;
	unsigned start = atomic_fetch_add(&st->next, 1);
	struct pg_conn *c = NULL;
	for (int i = 0; i < POOL_SIZE && !c; i++) {
		struct pg_conn *try = &st->pool[(start + (unsigned)i) % POOL_SIZE];
		if (pthread_mutex_trylock(&try->lock) == 0)
			c = try;
	}
	if (!c) {
		c = &st->pool[start % POOL_SIZE];
		pthread_mutex_lock(&c->lock);
	}
	if (conn_ready(c) != 0) {
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	return c;
}

static void release(struct pg_store *st, struct pg_conn *c)
{
	if (c && c != st->pinned)
		pthread_mutex_unlock(&c->lock);
}

/* ---- statements ---- */

struct params {
	const char *values[PARAMS_MAX];
	int lengths[PARAMS_MAX];
	int formats[PARAMS_MAX];
	char numbers[PARAMS_MAX][24];
	int n;
};

static void p_text(struct params *p, const char *v)
{
	p->values[p->n] = v;
	p->lengths[p->n] = 0;
	p->formats[p->n++] = 0;
}

static void p_int(struct params *p, int64_t v)
{
	snprintf(p->numbers[p->n], sizeof p->numbers[0], "%lld", (long long)v);
	p_text(p, p->numbers[p->n]);
}

static void p_null(struct params *p)
{
	p_text(p, NULL);
}

/* An empty text is stored as NULL. */
static const char *or_null(const char *v)
{
	return v && *v ? v : NULL;
}

static void p_hash(struct params *p, const unsigned char *h)
{
	p->values[p->n] = (const char *)h;
	p->lengths[p->n] = 32;
	p->formats[p->n++] = 1;
}

/* Runs a prepared statement. The result, or NULL after reporting the error (*unique set for 23505). */
static PGresult *run(struct pg_conn *c, enum pg_stmt id, const struct params *p, int *unique)
{
	char name[16];
	snprintf(name, sizeof name, "g%d", (int)id);
	PGresult *r = PQexecPrepared(c->conn, name, p ? p->n : 0, p ? p->values : NULL, p ? p->lengths : NULL,
				     p ? p->formats : NULL, 0);
	ExecStatusType status = PQresultStatus(r);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
		return r;
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	if (unique && state && strcmp(state, "23505") == 0)
		*unique = 1;
	else
		fprintf(stderr, "guichetd: database: statement %d: %s", (int)id, PQerrorMessage(c->conn));
	PQclear(r);
	return NULL;
}

/* A statement whose rows we do not need: 0 or -1. */
static int exec_ok(struct pg_conn *c, enum pg_stmt id, const struct params *p)
{
	PGresult *r = run(c, id, p, NULL);
	PQclear(r);
	return r ? 0 : -1;
}

/* Rows changed by a statement, or -1. */
static int exec_changes(struct pg_conn *c, enum pg_stmt id, const struct params *p)
{
	PGresult *r = run(c, id, p, NULL);
	if (!r)
		return -1;
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n;
}

static int64_t col_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int col_true(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

static void col_text(const PGresult *r, int row, int col, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

static int simple(struct pg_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->conn, sql);
	/* a COMMIT of a transaction that failed answers ROLLBACK, with no error */
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK &&
		 (strcmp(sql, "COMMIT") != 0 || strcmp(PQcmdStatus(r), "COMMIT") == 0);
	if (!ok)
		fprintf(stderr, "guichetd: database: %s: %s", sql, PQerrorMessage(c->conn));
	PQclear(r);
	return ok ? 0 : -1;
}

/* ---- transactions: the one helper every multi-statement step goes through ---- */

enum keep { KEEP_OK, KEEP_ANSWERS };

typedef int (*step_fn)(struct pg_conn *c, void *ctx);

/*
 * Runs fn inside one transaction on one connection; commits what is kept
 * (only success, or every answer but an error), rolls back the rest.
 */
static int transaction(struct pg_store *st, step_fn fn, void *ctx, enum keep keep)
{
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	/* inside store_begin's transaction, a savepoint: one failed step must not fail the others */
	int nested = c == st->pinned;
	int status = simple(c, nested ? "SAVEPOINT step" : "BEGIN") == 0 ? fn(c, ctx) : ST_ERROR;
	int kept = keep == KEEP_OK ? status == ST_OK : status != ST_ERROR;
	if (!kept)
		simple(c, nested ? "ROLLBACK TO SAVEPOINT step" : "ROLLBACK");
	else if (simple(c, nested ? "RELEASE SAVEPOINT step" : "COMMIT") != 0)
		status = ST_ERROR;
	release(st, c);
	return status;
}

static struct pg_store *pg(struct store *base)
{
	return (struct pg_store *)base;
}

/* ---- opening ---- */

static int migrate(struct pg_conn *c, char *err, size_t errsz)
{
	int latest = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
	PGresult *lock = PQexec(c->conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")");
	int locked = PQresultStatus(lock) == PGRES_TUPLES_OK;
	PQclear(lock);
	if (!locked) {
		snprintf(err, errsz, "cannot take the migration lock: %s", PQerrorMessage(c->conn));
		return -1;
	}
	int rc = -1;
	PGresult *r = PQexec(c->conn, "CREATE TABLE IF NOT EXISTS guichet_schema (version INT NOT NULL);"
				      "INSERT INTO guichet_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM guichet_schema)");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	r = ok ? PQexec(c->conn, "SELECT version FROM guichet_schema") : NULL;
	int version = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	if (version < 0) {
		snprintf(err, errsz, "cannot read the schema version: %s", PQerrorMessage(c->conn));
	} else if (version > latest) {
		snprintf(err, errsz, "database schema version %d is newer than this guichetd (%d)", version, latest);
	} else {
		rc = 0;
		for (; version < latest && rc == 0; version++) {
			char bump[64];
			snprintf(bump, sizeof bump, "UPDATE guichet_schema SET version = %d", version + 1);
			if (simple(c, "BEGIN") != 0 || simple(c, MIGRATIONS[version]) != 0 || simple(c, bump) != 0 ||
			    simple(c, "COMMIT") != 0) {
				snprintf(err, errsz, "migration %d failed: %s", version + 1, PQerrorMessage(c->conn));
				simple(c, "ROLLBACK");
				rc = -1;
			}
		}
	}
	PQclear(PQexec(c->conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")"));
	return rc;
}

static void pg_close(struct store *base)
{
	struct pg_store *st = pg(base);
	for (int i = 0; i < POOL_SIZE; i++) {
		if (st->pool[i].conn)
			PQfinish(st->pool[i].conn);
		pthread_mutex_destroy(&st->pool[i].lock);
	}
	free(st->url);
	free(st);
}

int store_pg_open(const char *url, struct store **out, char *err, size_t errsz)
{
	*out = NULL;
	struct pg_store *st = calloc(1, sizeof *st);
	if (!st || !(st->url = strdup(url))) {
		free(st);
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	st->base.ops = &PG_OPS;
	for (int i = 0; i < POOL_SIZE; i++)
		pthread_mutex_init(&st->pool[i].lock, NULL);
	for (int i = 0; i < POOL_SIZE; i++) {
		struct pg_conn *c = &st->pool[i];
		c->conn = PQconnectdb(url);
		if (PQstatus(c->conn) != CONNECTION_OK) {
			/* libpq's message names the host, never the password */
			snprintf(err, errsz, "cannot connect to the database: %s", PQerrorMessage(c->conn));
			goto fail;
		}
		PQclear(PQexec(c->conn, "SET client_min_messages = warning"));
		if (i == 0 && migrate(c, err, errsz) != 0)
			goto fail;
		if (prepare_all(c, err, errsz) != 0)
			goto fail;
	}
	*out = &st->base;
	return 0;
fail:
	pg_close(&st->base);
	return -1;
}

static int pg_shared(const struct store *base)
{
	(void)base;
	return 1;
}

/* The OTP key lives in the database: the first node makes it, every node reads the same. */
static int pg_server_key(struct store *base, unsigned char *key, char *err, size_t errsz)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	if (!c) {
		snprintf(err, errsz, "cannot read the server key");
		return -1;
	}
	unsigned char fresh[OTP_KEY_BYTES];
	randombytes_buf(fresh, sizeof fresh);
	struct params p = { .n = 0 };
	p_hash(&p, fresh);
	PGresult *r = exec_ok(c, P_KEY_PUT, &p) == 0 ? run(c, P_KEY_GET, NULL, NULL) : NULL;
	sodium_memzero(fresh, sizeof fresh);
	int rc = -1;
	if (r && PQntuples(r) == 1) {
		size_t len = 0;
		unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len);
		if (raw && len == OTP_KEY_BYTES) {
			memcpy(key, raw, OTP_KEY_BYTES);
			rc = 0;
		}
		if (raw) {
			sodium_memzero(raw, len);
			PQfreemem(raw);
		}
	}
	PQclear(r);
	release(st, c);
	if (rc != 0)
		snprintf(err, errsz, "cannot read the server key from the database");
	return rc;
}

static int pg_begin(struct store *base)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	if (!c)
		return -1;
	if (simple(c, "BEGIN") != 0) {
		release(st, c);
		return -1;
	}
	st->pinned_by = pthread_self();
	st->pinned = c;
	return 0;
}

static int pg_end_pinned(struct pg_store *st, const char *sql)
{
	struct pg_conn *c = st->pinned;
	if (!c)
		return -1;
	int rc = simple(c, sql);
	st->pinned = NULL;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static int pg_commit(struct store *base)
{
	return pg_end_pinned(pg(base), "COMMIT");
}

static int pg_rollback(struct store *base)
{
	return pg_end_pinned(pg(base), "ROLLBACK");
}

struct single {
	enum pg_stmt id;
	const struct params *p;
};

static int single_step(struct pg_conn *c, void *ctx)
{
	const struct single *x = ctx;
	int unique = 0;
	PGresult *r = run(c, x->id, x->p, &unique);
	PQclear(r);
	return r ? ST_OK : unique ? ST_CONFLICT : ST_ERROR;
}

/* One statement: its status (inside store_begin's transaction, under a savepoint). */
static int one(struct pg_store *st, enum pg_stmt id, const struct params *p)
{
	struct single x = { id, p };
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	int pinned = c == st->pinned;
	release(st, c);
	if (pinned)
		return transaction(st, single_step, &x, KEEP_OK);
	c = acquire(st);
	int status = c ? single_step(c, &x) : ST_ERROR;
	release(st, c);
	return status;
}

static int pg_user_add(struct store *base, const char *phone, const char *type, const char *nom, const char *prenom,
		       int64_t now)
{
	struct params p = { .n = 0 };
	p_text(&p, phone);
	p_text(&p, type);
	p_text(&p, nom);
	p_text(&p, prenom);
	p_int(&p, now);
	return one(pg(base), P_USER_ADD, &p);
}

/* ---- abuse limits ---- */

static int limit_take(struct pg_store *st, struct pg_conn *c, struct limit_use *lu, int64_t now)
{
	if (!lu)
		return ST_OK;
	lu->taken = 0;
	if (lu->budget <= 0)
		return ST_OK;
	struct params p = { .n = 0 };
	p_text(&p, lu->key);
	p_int(&p, now);
	p_int(&p, lu->budget);
	p_int(&p, lu->window_ms);
	p_int(&p, lu->fixed_window);
	PGresult *r = run(c, P_LIMIT_TAKE, &p, NULL);
	if (!r || PQntuples(r) != 1) {
		PQclear(r);
		return ST_ERROR;
	}
	int64_t count = col_int(r, 0, 0), reset_at = col_int(r, 0, 1);
	PQclear(r);
	lu->used = (long)count;
	if (count > lu->budget) {
		lu->retry_after_s = reset_at > now ? (long)((reset_at - now + 999) / 1000) : 1;
		return ST_LIMITED;
	}
	lu->taken = 1;
	if ((atomic_fetch_add(&st->takes, 1) + 1) % PRUNE_EVERY == 0) {
		struct params q = { .n = 0 };
		p_int(&q, now);
		if (exec_ok(c, P_LIMIT_PRUNE, &q) != 0)
			return ST_ERROR;
	}
	return ST_OK;
}

static int limit_key_stmt(struct pg_conn *c, enum pg_stmt id, const char *key)
{
	struct params p = { .n = 0 };
	p_text(&p, key);
	return exec_ok(c, id, &p) == 0 ? ST_OK : ST_ERROR;
}

static int limit_refund(struct pg_conn *c, const struct limit_use *lu)
{
	return lu && lu->taken ? limit_key_stmt(c, P_LIMIT_REFUND, lu->key) : ST_OK;
}

static int limit_succeeded(struct pg_conn *c, const struct limit_use *lu)
{
	return lu && lu->taken && lu->clear_on_success ? limit_key_stmt(c, P_LIMIT_CLEAR, lu->key) : ST_OK;
}

static int pg_limit_take(struct store *base, struct limit_use *lu, int64_t now)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	int status = c ? limit_take(st, c, lu, now) : ST_ERROR;
	release(st, c);
	return status;
}

static int pg_limit_refund(struct store *base, const struct limit_use *lu)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	int status = c ? limit_refund(c, lu) : ST_ERROR;
	release(st, c);
	return status;
}

static int pg_limit_clear(struct store *base, const char *key)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	int status = c ? limit_key_stmt(c, P_LIMIT_CLEAR, key) : ST_ERROR;
	release(st, c);
	return status;
}

static int pg_limit_peek(struct store *base, const char *key, int64_t now, int64_t *count, int64_t *reset_at)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	struct params p = { .n = 0 };
	p_text(&p, key);
	p_int(&p, now);
	PGresult *r = c ? run(c, P_LIMIT_PEEK, &p, NULL) : NULL;
	*count = r && PQntuples(r) ? col_int(r, 0, 0) : 0;
	*reset_at = r && PQntuples(r) ? col_int(r, 0, 1) : 0;
	PQclear(r);
	release(st, c);
	return r ? ST_OK : ST_ERROR;
}

/* ---- citizen OTPs ---- */

/* Locks the citizen's row for this transaction: 1 found, 0 not a citizen, -1 error. */
static int citizen_lock(struct pg_conn *c, const char *phone, int64_t *id)
{
	struct params p = { .n = 0 };
	p_text(&p, phone);
	PGresult *r = run(c, P_CITIZEN_LOCK, &p, NULL);
	if (!r)
		return -1;
	int found = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), "CITIZEN") == 0;
	if (found)
		*id = col_int(r, 0, 0);
	PQclear(r);
	return found;
}

/*
 * Runs one of the citizen's hot steps (a function of migration 2) and reads
 * its answer: one statement, one round trip, one transaction. `lu` is the
 * limit it took (NULL or no budget: none).
 */
static int citizen_step(struct pg_store *st, enum pg_stmt id, const struct params *p, struct limit_use *lu,
			int64_t now)
{
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	PGresult *r = run(c, id, p, NULL);
	int status = r && PQntuples(r) == 1 ? (int)col_int(r, 0, 0) : ST_ERROR;
	if (lu && lu->budget > 0 && r && PQntuples(r) == 1) {
		lu->used = (long)col_int(r, 0, 1);
		int64_t reset_at = col_int(r, 0, 2);
		lu->taken = status != ST_LIMITED && lu->used > 0;
		if (status == ST_LIMITED)
			lu->retry_after_s = reset_at > now ? (long)((reset_at - now + 999) / 1000) : 1;
	}
	PQclear(r);
	/* windows that have passed mean nothing: drop them every so often */
	if ((atomic_fetch_add(&st->takes, 1) + 1) % PRUNE_EVERY == 0) {
		struct params q = { .n = 0 };
		p_int(&q, now);
		exec_ok(c, P_LIMIT_PRUNE, &q);
	}
	release(st, c);
	return status;
}

/* Binds an audit note ($9-$15 of AUDIT_NOTE_SQL); `outcomes` holds the array's text. */
static void note_params(struct params *p, const struct audit_note *n, char *outcomes, size_t outcomessz)
{
	if (!n) {
		for (int i = 0; i < 7; i++)
			p_null(p);
		return;
	}
	/* an array literal of our own outcome names (plain words: nothing to quote) */
	size_t used = (size_t)snprintf(outcomes, outcomessz, "{");
	for (int i = 0; i <= ST_ERROR && used < outcomessz; i++)
		used += (size_t)snprintf(outcomes + used, outcomessz - used, "%s%s", i ? "," : "",
					 n->outcome[i] ? n->outcome[i] : "NULL");
	if (used < outcomessz)
		snprintf(outcomes + used, outcomessz - used, "}");
	p_int(p, n->now);
	if (n->admin_id > 0)
		p_int(p, n->admin_id);
	else
		p_null(p);
	p_text(p, or_null(n->email));
	p_text(p, n->event);
	p_text(p, outcomes);
	p_text(p, or_null(n->ip));
	p_text(p, n->detail);
}

/* Binds a limit's key, budget and window (no budget when lu is NULL). */
static void limit_params(struct params *p, const struct limit_use *lu)
{
	p_text(p, lu ? lu->key : "");
	p_int(p, lu ? lu->budget : 0);
	p_int(p, lu ? lu->window_ms : 0);
}

static int pg_citizen_otp_issue(struct store *base, const char *phone, int create, struct otp_request *rq)
{
	struct params p = { .n = 0 };
	p_text(&p, phone);
	p_int(&p, create);
	p_hash(&p, rq->hash);
	p_int(&p, rq->expires_at);
	p_int(&p, rq->now);
	limit_params(&p, rq->cooldown);
	char outcomes[256];
	note_params(&p, rq->audit, outcomes, sizeof outcomes);
	if (rq->cooldown)
		rq->cooldown->taken = 0;
	return citizen_step(pg(base), P_CITIZEN_ISSUE, &p, rq->cooldown, rq->now);
}

static int pg_citizen_otp_verify(struct store *base, const char *phone, const unsigned char *hash, int64_t now,
				 int max_tries, struct limit_use *budget, const struct audit_note *audit)
{
	struct params p = { .n = 0 };
	p_text(&p, phone);
	p_hash(&p, hash);
	p_int(&p, now);
	p_int(&p, max_tries);
	limit_params(&p, budget);
	p_int(&p, budget ? budget->clear_on_success : 0);
	char outcomes[256];
	note_params(&p, audit, outcomes, sizeof outcomes);
	if (budget)
		budget->taken = 0;
	return citizen_step(pg(base), P_CITIZEN_VERIFY, &p, budget, now);
}

/* A network round trip has no writer to hand the step to: it is run here, and answered at once. */
static int pg_citizen_otp_issue_then(struct store *base, const char *phone, int create, struct otp_request *rq,
				     const struct store_then *then)
{
	then->fn(then->ctx, pg_citizen_otp_issue(base, phone, create, rq));
	return 0;
}

static int pg_citizen_otp_verify_then(struct store *base, const char *phone, const unsigned char *hash, int64_t now,
				      int max_tries, struct limit_use *budget, const struct audit_note *audit,
				      const struct store_then *then)
{
	then->fn(then->ctx, pg_citizen_otp_verify(base, phone, hash, now, max_tries, budget, audit));
	return 0;
}

static int pg_citizen_state(struct store *base, const char *phone, int64_t now, int max_tries,
			    struct citizen_state *out)
{
	struct pg_store *st = pg(base);
	memset(out, 0, sizeof *out);
	struct pg_conn *c = acquire(st);
	struct params p = { .n = 0 };
	p_text(&p, phone);
	PGresult *r = c ? run(c, P_CITIZEN_STATE, &p, NULL) : NULL;
	int found = r && PQntuples(r) == 1;
	if (found) {
		col_text(r, 0, 0, out->nom, sizeof out->nom);
		col_text(r, 0, 1, out->prenom, sizeof out->prenom);
		int has_otp = !PQgetisnull(r, 0, 2);
		int tries = (int)col_int(r, 0, 3);
		out->otp_expires_at = col_int(r, 0, 4);
		out->otp_live = has_otp && !col_int(r, 0, 2) && tries < max_tries && out->otp_expires_at > now;
		out->tries_left = out->otp_live ? max_tries - tries : 0;
		out->last_sent_at = has_otp ? col_int(r, 0, 5) : 0;
	}
	PQclear(r);
	release(st, c);
	return !r ? ST_ERROR : found ? ST_OK : ST_NOT_FOUND;
}

struct citizen_cancel {
	const char *phone;
	const struct limit_use *cooldown;
};

static int citizen_otp_cancel(struct pg_conn *c, void *ctx)
{
	struct citizen_cancel *x = ctx;
	int64_t user_id;
	int found = citizen_lock(c, x->phone, &user_id);
	if (found <= 0)
		return found < 0 ? ST_ERROR : ST_NOT_FOUND;
	struct params p = { .n = 0 };
	p_int(&p, user_id);
	if (exec_ok(c, P_CITIZEN_OTP_DEL, &p) != 0)
		return ST_ERROR;
	return limit_refund(c, x->cooldown);
}

static int pg_citizen_otp_cancel(struct store *base, const char *phone, const struct limit_use *cooldown)
{
	struct citizen_cancel x = { phone, cooldown };
	return transaction(pg(base), citizen_otp_cancel, &x, KEEP_OK);
}

/* ---- admins ---- */

static void read_admin(const PGresult *r, int row, struct admin *a)
{
	memset(a, 0, sizeof *a);
	a->id = col_int(r, row, 0);
	col_text(r, row, 1, a->matricule, sizeof a->matricule);
	col_text(r, row, 2, a->nom, sizeof a->nom);
	col_text(r, row, 3, a->prenom, sizeof a->prenom);
	col_text(r, row, 4, a->email, sizeof a->email);
	col_text(r, row, 5, a->telephone, sizeof a->telephone);
	col_text(r, row, 6, a->pays, sizeof a->pays);
	col_text(r, row, 7, a->ville, sizeof a->ville);
	col_text(r, row, 8, a->photo_profil, sizeof a->photo_profil);
	col_text(r, row, 9, a->piece_identite, sizeof a->piece_identite);
	a->has_password = !PQgetisnull(r, row, 10);
	col_text(r, row, 10, a->password_hash, sizeof a->password_hash);
	a->email_verified_at = col_int(r, row, 11);
	a->deleted_at = col_int(r, row, 12);
}

static int pg_admin_add(struct store *base, const struct admin *a, int64_t now, int64_t *id)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_text(&p, a->matricule);
	p_text(&p, a->nom);
	p_text(&p, a->prenom);
	p_text(&p, a->email);
	p_text(&p, or_null(a->telephone));
	p_text(&p, or_null(a->pays));
	p_text(&p, or_null(a->ville));
	p_int(&p, now);
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	int unique = 0;
	PGresult *r = run(c, P_ADMIN_ADD, &p, &unique);
	if (r && id)
		*id = col_int(r, 0, 0);
	PQclear(r);
	release(st, c);
	return r ? ST_OK : unique ? ST_CONFLICT : ST_ERROR;
}

static int pg_admin_list(struct store *base, void (*fn)(const struct admin *, void *), void *ctx)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, P_ADMIN_LIST, NULL, NULL) : NULL;
	release(st, c);
	struct admin a;
	for (int i = 0; r && i < PQntuples(r); i++) {
		read_admin(r, i, &a);
		fn(&a, ctx);
	}
	int status = r ? ST_OK : ST_ERROR;
	PQclear(r);
	return status;
}

static int revoke_all(struct pg_conn *c, int64_t admin_id, int64_t now)
{
	struct params p = { .n = 0 };
	p_int(&p, admin_id);
	p_int(&p, now);
	return exec_ok(c, P_TOKEN_REVOKE_ALL, &p);
}

struct admin_delete {
	const char *email;
	int64_t now;
};

static int admin_delete(struct pg_conn *c, void *ctx)
{
	struct admin_delete *x = ctx;
	struct params p = { .n = 0 };
	p_text(&p, x->email);
	p_int(&p, x->now);
	PGresult *r = run(c, P_ADMIN_DELETE, &p, NULL);
	if (!r)
		return ST_ERROR;
	int found = PQntuples(r) > 0;
	int64_t id = found ? col_int(r, 0, 0) : 0;
	PQclear(r);
	if (!found)
		return ST_NOT_FOUND;
	return revoke_all(c, id, x->now) == 0 ? ST_OK : ST_ERROR;
}

static int pg_admin_delete(struct store *base, const char *email, int64_t now)
{
	struct admin_delete x = { email, now };
	return transaction(pg(base), admin_delete, &x, KEEP_OK);
}

static int admin_one(struct pg_store *st, enum pg_stmt id, const struct params *p, struct admin *out)
{
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, id, p, NULL) : NULL;
	release(st, c);
	int found = r && PQntuples(r) > 0;
	if (found)
		read_admin(r, 0, out);
	PQclear(r);
	return !r ? ST_ERROR : found ? ST_OK : ST_NOT_FOUND;
}

static int pg_admin_by_id(struct store *base, int64_t id, struct admin *out)
{
	struct params p = { .n = 0 };
	p_int(&p, id);
	return admin_one(pg(base), P_ADMIN_BY_ID, &p, out);
}

static int pg_admin_by_email(struct store *base, const char *email, struct admin *out)
{
	struct params p = { .n = 0 };
	p_text(&p, email);
	return admin_one(pg(base), P_ADMIN_BY_EMAIL, &p, out);
}

static int pg_admin_by_matricule_email(struct store *base, const char *matricule, const char *email,
				       struct admin *out)
{
	struct params p = { .n = 0 };
	p_text(&p, matricule);
	p_text(&p, email);
	return admin_one(pg(base), P_ADMIN_BY_MATRICULE_EMAIL, &p, out);
}

/* ---- admin OTPs ---- */

/* Binds what every live-OTP statement shares: $1 purpose, $2 now, $3 max tries. */
static void otp_params(struct params *p, enum admin_purpose purpose, int64_t now, int max_tries)
{
	p->n = 0;
	p_text(p, STORE_PURPOSES[purpose]);
	p_int(p, now);
	p_int(p, max_tries);
}

/* Locks the admin's row: concurrent steps on one admin's codes take turns. */
static int admin_lock(struct pg_conn *c, int64_t admin_id)
{
	struct params p = { .n = 0 };
	p_int(&p, admin_id);
	PGresult *r = run(c, P_ADMIN_LOCK, &p, NULL);
	int found = r && PQntuples(r) == 1;
	PQclear(r);
	return !r ? ST_ERROR : found ? ST_OK : ST_NOT_FOUND;
}

struct admin_issue {
	struct pg_store *st;
	int64_t admin_id;
	enum admin_purpose purpose;
	const char *new_email;
	struct otp_request *rq;
	int64_t *otp_id;
};

static int admin_otp_issue(struct pg_conn *c, void *ctx)
{
	struct admin_issue *x = ctx;
	int status = admin_lock(c, x->admin_id);
	if (status != ST_OK)
		return status == ST_NOT_FOUND ? ST_ERROR : status;
	struct params p;
	otp_params(&p, x->purpose, x->rq->now, 5);
	p_hash(&p, x->rq->hash);
	PGresult *r = run(c, P_ADMIN_OTP_CLASH, &p, NULL);
	if (!r)
		return ST_ERROR;
	int clash = PQntuples(r) > 0;
	PQclear(r);
	if (clash)
		return ST_CONFLICT;
	if ((status = limit_take(x->st, c, x->rq->cooldown, x->rq->now)) != ST_OK)
		return status;
	p.n = 0;
	p_int(&p, x->admin_id);
	p_text(&p, STORE_PURPOSES[x->purpose]);
	if (exec_ok(c, P_ADMIN_OTP_KILL, &p) != 0)
		return ST_ERROR;
	p.n = 0;
	p_int(&p, x->admin_id);
	p_text(&p, STORE_PURPOSES[x->purpose]);
	p_hash(&p, x->rq->hash);
	p_text(&p, x->new_email);
	p_int(&p, x->rq->expires_at);
	p_int(&p, x->rq->now);
	r = run(c, P_ADMIN_OTP_ADD, &p, NULL);
	if (!r)
		return ST_ERROR;
	*x->otp_id = col_int(r, 0, 0);
	PQclear(r);
	return ST_OK;
}

static int pg_admin_otp_issue(struct store *base, int64_t admin_id, enum admin_purpose purpose,
			      const char *new_email, struct otp_request *rq, int64_t *otp_id)
{
	struct admin_issue x = { pg(base), admin_id, purpose, new_email, rq, otp_id };
	return transaction(x.st, admin_otp_issue, &x, KEEP_OK);
}

struct admin_cancel {
	int64_t otp_id;
	const struct limit_use *cooldown;
};

static int admin_otp_cancel(struct pg_conn *c, void *ctx)
{
	struct admin_cancel *x = ctx;
	struct params p = { .n = 0 };
	p_int(&p, x->otp_id);
	if (exec_ok(c, P_ADMIN_OTP_DEL, &p) != 0)
		return ST_ERROR;
	return limit_refund(c, x->cooldown);
}

static int pg_admin_otp_cancel(struct store *base, int64_t otp_id, const struct limit_use *cooldown)
{
	struct admin_cancel x = { otp_id, cooldown };
	return transaction(pg(base), admin_otp_cancel, &x, KEEP_OK);
}

struct admin_find {
	struct pg_store *st;
	enum admin_purpose purpose;
	const unsigned char *hash;
	int64_t admin_id;
	int64_t now;
	int max_tries;
	struct limit_use *budget;
	int64_t *otp_id;
	int64_t *found_admin;
};

static int admin_otp_find(struct pg_conn *c, void *ctx)
{
	struct admin_find *x = ctx;
	struct params p;
	int status;
	if (x->admin_id > 0) {
		if ((status = admin_lock(c, x->admin_id)) != ST_OK)
			return status == ST_NOT_FOUND ? ST_NONE : status;
		otp_params(&p, x->purpose, x->now, x->max_tries);
		p_int(&p, x->admin_id);
		p_hash(&p, x->hash);
		PGresult *r = run(c, P_ADMIN_OTP_OF_ADMIN, &p, NULL);
		if (!r)
			return ST_ERROR;
		int live = PQntuples(r) == 1, match = live && col_true(r, 0, 1);
		if (live)
			*x->otp_id = col_int(r, 0, 0);
		PQclear(r);
		if (!live)
			return ST_NONE;
		if ((status = limit_take(x->st, c, x->budget, x->now)) != ST_OK)
			return status;
		if (match) {
			*x->found_admin = x->admin_id;
			return limit_succeeded(c, x->budget);
		}
		otp_params(&p, x->purpose, x->now, x->max_tries);
		p_int(&p, x->admin_id);
		return exec_ok(c, P_ADMIN_OTP_MISS, &p) == 0 ? ST_WRONG : ST_ERROR;
	}
	if ((status = limit_take(x->st, c, x->budget, x->now)) != ST_OK)
		return status;
	otp_params(&p, x->purpose, x->now, x->max_tries);
	p_hash(&p, x->hash);
	PGresult *r = run(c, P_ADMIN_OTP_BY_CODE, &p, NULL);
	if (!r)
		return ST_ERROR;
	int found = PQntuples(r) > 0;
	if (found) {
		*x->otp_id = col_int(r, 0, 0);
		*x->found_admin = col_int(r, 0, 1);
	}
	PQclear(r);
	return found ? limit_succeeded(c, x->budget) : ST_WRONG;
}

static int pg_admin_otp_find(struct store *base, enum admin_purpose purpose, const unsigned char *hash,
			     int64_t admin_id, int64_t now, int max_tries, struct limit_use *budget, int64_t *otp_id,
			     int64_t *found_admin)
{
	struct admin_find x = { pg(base), purpose, hash, admin_id, now, max_tries, budget, otp_id, found_admin };
	/* a miss is counted: every answer is kept */
	return transaction(x.st, admin_otp_find, &x, KEEP_ANSWERS);
}

/* Marks the OTP used if it is still live; copies its new_email. */
static int otp_consume(struct pg_conn *c, int64_t otp_id, int64_t admin_id, int64_t now, char *new_email,
		       size_t new_email_sz)
{
	struct params p = { .n = 0 };
	p_int(&p, otp_id);
	p_int(&p, now);
	p_int(&p, 5);
	p_int(&p, admin_id);
	PGresult *r = run(c, P_ADMIN_OTP_CONSUME, &p, NULL);
	if (!r)
		return ST_ERROR;
	int found = PQntuples(r) == 1;
	if (found && new_email)
		col_text(r, 0, 0, new_email, new_email_sz);
	PQclear(r);
	return found ? ST_OK : ST_WRONG;
}

/* A new credential: every code issued before it dies. */
static int retire_codes(struct pg_conn *c, int64_t admin_id)
{
	struct params p = { .n = 0 };
	p_int(&p, admin_id);
	return exec_ok(c, P_ADMIN_OTP_KILL_ALL, &p) == 0 ? ST_OK : ST_ERROR;
}

struct password_set {
	int64_t otp_id, admin_id;
	const char *hash;
	int verify_email, revoke_tokens;
	int64_t now;
};

static int admin_password_set(struct pg_conn *c, void *ctx)
{
	struct password_set *x = ctx;
	int status = otp_consume(c, x->otp_id, x->admin_id, x->now, NULL, 0);
	if (status != ST_OK)
		return status;
	struct params p = { .n = 0 };
	p_int(&p, x->admin_id);
	p_text(&p, x->hash);
	p_int(&p, x->verify_email);
	p_int(&p, x->now);
	if (exec_ok(c, P_ADMIN_SET_PASSWORD, &p) != 0 || (x->revoke_tokens && revoke_all(c, x->admin_id, x->now) != 0))
		return ST_ERROR;
	return retire_codes(c, x->admin_id);
}

static int pg_admin_password_set(struct store *base, int64_t otp_id, int64_t admin_id, const char *hash,
				 int verify_email, int revoke_tokens, int64_t now)
{
	struct password_set x = { otp_id, admin_id, hash, verify_email, revoke_tokens, now };
	return transaction(pg(base), admin_password_set, &x, KEEP_OK);
}

struct email_set {
	int64_t otp_id, admin_id, now;
	char *new_email;
};

static int admin_email_set(struct pg_conn *c, void *ctx)
{
	struct email_set *x = ctx;
	int status = otp_consume(c, x->otp_id, x->admin_id, x->now, x->new_email, 320);
	if (status != ST_OK)
		return status;
	struct params p = { .n = 0 };
	p_int(&p, x->admin_id);
	p_text(&p, x->new_email);
	p_int(&p, x->now);
	int unique = 0;
	PGresult *r = run(c, P_ADMIN_SET_EMAIL, &p, &unique);
	PQclear(r);
	if (!r)
		return unique ? ST_CONFLICT : ST_ERROR;
	return retire_codes(c, x->admin_id);
}

static int pg_admin_email_set(struct store *base, int64_t otp_id, int64_t admin_id, int64_t now, char *new_email)
{
	struct email_set x = { otp_id, admin_id, now, new_email };
	return transaction(pg(base), admin_email_set, &x, KEEP_OK);
}

/* ---- tokens ---- */

static int pg_token_create(struct store *base, int64_t admin_id, const unsigned char *hash, int64_t now,
			   int64_t expires_at, int64_t *id)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_int(&p, admin_id);
	p_hash(&p, hash);
	p_int(&p, now);
	p_int(&p, expires_at);
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, P_TOKEN_ADD, &p, NULL) : NULL;
	release(st, c);
	if (r)
		*id = col_int(r, 0, 0);
	PQclear(r);
	return r ? ST_OK : ST_ERROR;
}

static int pg_token_auth(struct store *base, int64_t id, const unsigned char *hash, int64_t now, struct admin *out)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_int(&p, id);
	p_int(&p, now);
	p_hash(&p, hash);
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	PGresult *r = run(c, P_TOKEN_GET, &p, NULL);
	int found = r && PQntuples(r) == 1;
	int64_t admin_id = found ? col_int(r, 0, 0) : 0, last_used = found ? col_int(r, 0, 1) : 0;
	PQclear(r);
	if (found && now - last_used >= TOUCH_EVERY_MS) {
		struct params q = { .n = 0 };
		p_int(&q, id);
		p_int(&q, now);
		exec_ok(c, P_TOKEN_TOUCH, &q); /* best effort */
	}
	release(st, c);
	if (!r)
		return ST_ERROR;
	return found ? pg_admin_by_id(base, admin_id, out) : ST_NOT_FOUND;
}

static int pg_token_revoke(struct store *base, int64_t id, int64_t now)
{
	struct params p = { .n = 0 };
	p_int(&p, id);
	p_int(&p, now);
	return one(pg(base), P_TOKEN_REVOKE, &p);
}

static int pg_token_list(struct store *base, int64_t admin_id, int64_t now,
			 void (*fn)(const struct session_row *, void *), void *ctx)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_int(&p, admin_id);
	p_int(&p, now);
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, P_TOKEN_LIST, &p, NULL) : NULL;
	release(st, c);
	for (int i = 0; r && i < PQntuples(r); i++) {
		struct session_row row = { col_int(r, i, 0), col_int(r, i, 1), col_int(r, i, 2) };
		fn(&row, ctx);
	}
	int status = r ? ST_OK : ST_ERROR;
	PQclear(r);
	return status;
}

static int pg_token_revoke_own(struct store *base, int64_t admin_id, int64_t id, int64_t now)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_int(&p, id);
	p_int(&p, admin_id);
	p_int(&p, now);
	struct pg_conn *c = acquire(st);
	int changed = c ? exec_changes(c, P_TOKEN_REVOKE_OWN, &p) : -1;
	release(st, c);
	return changed < 0 ? ST_ERROR : changed ? ST_OK : ST_NOT_FOUND;
}

/* ---- API keys ---- */

static int pg_apikey_add(struct store *base, const char *name, const unsigned char *hash, int64_t now)
{
	struct params p = { .n = 0 };
	p_text(&p, name);
	p_hash(&p, hash);
	p_int(&p, now);
	return one(pg(base), P_APIKEY_ADD, &p);
}

static int pg_apikey_list(struct store *base, void (*fn)(const struct apikey_row *, void *), void *ctx)
{
	struct pg_store *st = pg(base);
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, P_APIKEY_LIST, NULL, NULL) : NULL;
	release(st, c);
	struct apikey_row row;
	for (int i = 0; r && i < PQntuples(r); i++) {
		col_text(r, i, 0, row.name, sizeof row.name);
		row.created_at = col_int(r, i, 1);
		row.last_used_at = col_int(r, i, 2);
		row.revoked_at = col_int(r, i, 3);
		fn(&row, ctx);
	}
	int status = r ? ST_OK : ST_ERROR;
	PQclear(r);
	return status;
}

static int pg_apikey_revoke(struct store *base, const char *name, int64_t now)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_text(&p, name);
	p_int(&p, now);
	struct pg_conn *c = acquire(st);
	int changed = c ? exec_changes(c, P_APIKEY_REVOKE, &p) : -1;
	release(st, c);
	return changed < 0 ? ST_ERROR : changed ? ST_OK : ST_NOT_FOUND;
}

static int pg_apikey_auth(struct store *base, const unsigned char *hash, int64_t now, char *name, size_t namesz)
{
	struct pg_store *st = pg(base);
	struct params p = { .n = 0 };
	p_hash(&p, hash);
	struct pg_conn *c = acquire(st);
	if (!c)
		return ST_ERROR;
	PGresult *r = run(c, P_APIKEY_GET, &p, NULL);
	int found = r && PQntuples(r) == 1;
	int64_t id = found ? col_int(r, 0, 0) : 0;
	if (found)
		col_text(r, 0, 1, name, namesz);
	if (found && now - col_int(r, 0, 2) >= TOUCH_EVERY_MS) {
		struct params q = { .n = 0 };
		p_int(&q, id);
		p_int(&q, now);
		exec_ok(c, P_APIKEY_TOUCH, &q); /* best effort */
	}
	PQclear(r);
	release(st, c);
	return !r ? ST_ERROR : found ? ST_OK : ST_NOT_FOUND;
}

/* ---- audit trail ---- */

static int pg_audit_add(struct store *base, int64_t admin_id, const char *email, const char *event,
			const char *outcome, const char *ip, const char *detail, int64_t now)
{
	struct params p = { .n = 0 };
	p_int(&p, now);
	if (admin_id > 0)
		p_int(&p, admin_id);
	else
		p_null(&p);
	p_text(&p, or_null(email));
	p_text(&p, event);
	p_text(&p, outcome);
	p_text(&p, or_null(ip));
	p_text(&p, detail);
	return one(pg(base), P_AUDIT_ADD, &p);
}

static int audit_rows(struct pg_store *st, enum pg_stmt id, const struct params *p,
		      void (*fn)(const struct audit_row *, void *), void *ctx)
{
	struct pg_conn *c = acquire(st);
	PGresult *r = c ? run(c, id, p, NULL) : NULL;
	release(st, c);
	struct audit_row row;
	for (int i = 0; r && i < PQntuples(r); i++) {
		row.id = col_int(r, i, 0);
		row.at = col_int(r, i, 1);
		col_text(r, i, 2, row.email, sizeof row.email);
		col_text(r, i, 3, row.event, sizeof row.event);
		col_text(r, i, 4, row.outcome, sizeof row.outcome);
		col_text(r, i, 5, row.ip, sizeof row.ip);
		col_text(r, i, 6, row.detail, sizeof row.detail);
		fn(&row, ctx);
	}
	int status = r ? ST_OK : ST_ERROR;
	PQclear(r);
	return status;
}

static int pg_audit_list(struct store *base, int64_t since, const char *email,
			 void (*fn)(const struct audit_row *, void *), void *ctx)
{
	struct params p = { .n = 0 };
	p_int(&p, since);
	p_text(&p, email);
	return audit_rows(pg(base), P_AUDIT_LIST, &p, fn, ctx);
}

static int pg_audit_page(struct store *base, int64_t before_id, int limit, const char *actor, const char *detail,
			 void (*fn)(const struct audit_row *, void *), void *ctx)
{
	struct params p = { .n = 0 };
	if (before_id > 0)
		p_int(&p, before_id);
	else
		p_null(&p);
	p_text(&p, actor);
	p_text(&p, detail);
	p_int(&p, limit);
	return audit_rows(pg(base), P_AUDIT_PAGE, &p, fn, ctx);
}

static int pg_audit_prune(struct store *base, int64_t before)
{
	struct params p = { .n = 0 };
	p_int(&p, before);
	return one(pg(base), P_AUDIT_PRUNE, &p);
}

/* A server's database is backed up by its own tool, consistent while nodes write. */
static int pg_backup(struct store *base, const char *path, char *err, size_t errsz)
{
	struct pg_store *st = pg(base);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	/* The URL may hold a password: pg_dump gets it through libpq's variables, never argv. */
	PQconninfoOption *opts = PQconninfoParse(st->url, NULL);
	if (!opts) {
		unlink(path);
		snprintf(err, errsz, "cannot read the database URL");
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		for (PQconninfoOption *o = opts; o->keyword; o++)
			if (o->envvar && o->val && *o->val)
				setenv(o->envvar, o->val, 1);
		execlp("pg_dump", "pg_dump", "--format=custom", "--no-password", "--file", path, (char *)NULL);
		_exit(127);
	}
	PQconninfoFree(opts);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path);
		snprintf(err, errsz, "pg_dump into %s failed%s", path,
			 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (pg_dump not found: apt-get install postgresql-client)" : "");
		return -1;
	}
	return 0;
}

static const struct store_ops PG_OPS = {
	.close = pg_close,
	STORE_OPS(STORE_OP_ENTRY_pg)
};
