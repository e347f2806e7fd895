#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Versioned schema: migration N brings user_version from N-1 to N. */
static const char *const MIGRATIONS[] = {
	"CREATE TABLE users ("
	"  id INTEGER PRIMARY KEY,"
	"  phone TEXT NOT NULL UNIQUE,"
	"  type TEXT NOT NULL,"
	"  nom TEXT, prenom TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE citizen_otps ("
	"  user_id INTEGER PRIMARY KEY REFERENCES users(id),"
	"  code_hash BLOB NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  tries INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE sends ("
	"  address TEXT PRIMARY KEY,"
	"  last_at INTEGER NOT NULL);"
	"CREATE TABLE admins ("
	"  id INTEGER PRIMARY KEY,"
	"  matricule TEXT NOT NULL UNIQUE COLLATE NOCASE,"
	"  nom TEXT NOT NULL, prenom TEXT NOT NULL,"
	"  email TEXT NOT NULL COLLATE NOCASE,"
	"  email_verified_at INTEGER,"
	"  telephone TEXT, pays TEXT, ville TEXT, photo_profil TEXT, piece_identite TEXT,"
	"  password_hash TEXT,"
	"  failed_logins INTEGER NOT NULL DEFAULT 0,"
	"  locked_until INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL,"
	"  deleted_at INTEGER);"
	"CREATE UNIQUE INDEX admins_live_email ON admins(email) WHERE deleted_at IS NULL;"
	"CREATE TABLE admin_otps ("
	"  id INTEGER PRIMARY KEY,"
	"  admin_id INTEGER NOT NULL REFERENCES admins(id),"
	"  purpose TEXT NOT NULL,"
	"  code_hash BLOB NOT NULL,"
	"  new_email TEXT,"
	"  expires_at INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0,"
	"  used INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX admin_otps_code ON admin_otps(purpose, code_hash);"
	"CREATE INDEX admin_otps_admin ON admin_otps(admin_id, purpose);"
	"CREATE TABLE tokens ("
	"  id INTEGER PRIMARY KEY,"
	"  admin_id INTEGER NOT NULL REFERENCES admins(id),"
	"  secret_hash BLOB NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER);"
	"CREATE INDEX tokens_admin ON tokens(admin_id);",
	/* 2: audit trail, and wrong-guess budgets that outlive regenerated codes */
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  admin_id INTEGER,"
	"  email TEXT,"
	"  event TEXT NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  ip TEXT);"
	"CREATE INDEX audit_at ON audit(at);"
	"CREATE TABLE guesses ("
	"  key TEXT PRIMARY KEY,"
	"  window_start INTEGER NOT NULL,"
	"  count INTEGER NOT NULL);",
	/*
	 * 3: every abuse limit counts in one table (abuse.h): cooldowns, guess
	 * budgets and login locks, each taken in one atomic statement
	 */
	"CREATE TABLE limits ("
	"  key TEXT PRIMARY KEY,"
	"  count INTEGER NOT NULL,"
	"  reset_at INTEGER NOT NULL);"
	"CREATE INDEX limits_reset ON limits(reset_at);"
	"DROP TABLE guesses;"
	"DROP TABLE sends;"
	"ALTER TABLE admins DROP COLUMN failed_logins;"
	"ALTER TABLE admins DROP COLUMN locked_until;",
	/* 4: API keys for the citizen routes (--otp-callers key); what an audit entry is about */
	"CREATE TABLE api_keys ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  key_hash BLOB NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER);"
	"CREATE UNIQUE INDEX api_keys_live_name ON api_keys(name) WHERE revoked_at IS NULL;"
	"ALTER TABLE audit ADD COLUMN detail TEXT;",
};

#define ADMIN_COLS \
	"id, matricule, nom, prenom, email, telephone, pays, ville, photo_profil," \
	" piece_identite, password_hash, email_verified_at, deleted_at"
#define LIVE_OTP "used = 0 AND tries < ?3 AND expires_at > ?2"

#define STATEMENTS(_) \
	_(BEGIN, "BEGIN IMMEDIATE") \
	_(COMMIT, "COMMIT") \
	_(ROLLBACK, "ROLLBACK") \
	_(SAVEPOINT, "SAVEPOINT step") \
	_(RELEASE, "RELEASE step") \
	_(ROLLBACK_TO, "ROLLBACK TO step") \
	_(USER_ADD, "INSERT INTO users(phone, type, nom, prenom, created_at) VALUES (?1, ?2, ?3, ?4, ?5)") \
	_(USER_BY_PHONE, "SELECT id, type FROM users WHERE phone = ?1") \
	_(CITIZEN_OTP_GET, "SELECT used, tries, expires_at, code_hash FROM citizen_otps WHERE user_id = ?1") \
	_(CITIZEN_OTP_PUT, "INSERT INTO citizen_otps(user_id, code_hash, expires_at, used, tries, created_at)" \
		" VALUES (?1, ?2, ?3, 0, 0, ?4) ON CONFLICT(user_id) DO UPDATE SET code_hash = excluded.code_hash," \
		" expires_at = excluded.expires_at, used = 0, tries = 0, created_at = excluded.created_at") \
	_(CITIZEN_OTP_USE, "UPDATE citizen_otps SET used = 1 WHERE user_id = ?1") \
	_(CITIZEN_OTP_MISS, "UPDATE citizen_otps SET tries = tries + 1 WHERE user_id = ?1") \
	_(CITIZEN_OTP_DEL, "DELETE FROM citizen_otps WHERE user_id = ?1") \
	_(ADMIN_ADD, "INSERT INTO admins(matricule, nom, prenom, email, telephone, pays, ville, created_at)" \
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") \
	_(ADMIN_LIST, "SELECT " ADMIN_COLS " FROM admins ORDER BY id") \
	_(ADMIN_BY_ID, "SELECT " ADMIN_COLS " FROM admins WHERE id = ?1 AND deleted_at IS NULL") \
	_(ADMIN_BY_EMAIL, "SELECT " ADMIN_COLS " FROM admins WHERE email = ?1 AND deleted_at IS NULL") \
	_(ADMIN_BY_MATRICULE_EMAIL, "SELECT " ADMIN_COLS " FROM admins" \
		" WHERE matricule = ?1 AND email = ?2 AND deleted_at IS NULL") \
	_(ADMIN_DELETE, "UPDATE admins SET deleted_at = ?2 WHERE email = ?1 AND deleted_at IS NULL RETURNING id") \
	_(ADMIN_SET_PASSWORD, "UPDATE admins SET password_hash = ?2," \
		" email_verified_at = CASE WHEN ?3 THEN ?4 ELSE email_verified_at END" \
		" WHERE id = ?1 AND deleted_at IS NULL") \
	_(ADMIN_SET_EMAIL, "UPDATE admins SET email = ?2, email_verified_at = ?3 WHERE id = ?1 AND deleted_at IS NULL") \
	_(ADMIN_OTP_KILL, "UPDATE admin_otps SET used = 1 WHERE admin_id = ?1 AND purpose = ?2 AND used = 0") \
	_(ADMIN_OTP_KILL_ALL, "UPDATE admin_otps SET used = 1 WHERE admin_id = ?1 AND used = 0") \
	_(ADMIN_OTP_CLASH, "SELECT 1 FROM admin_otps WHERE purpose = ?1 AND code_hash = ?4 AND " LIVE_OTP) \
	_(ADMIN_OTP_ADD, "INSERT INTO admin_otps(admin_id, purpose, code_hash, new_email, expires_at, created_at)" \
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6)") \
	_(ADMIN_OTP_DEL, "DELETE FROM admin_otps WHERE id = ?1") \
	_(ADMIN_OTP_BY_CODE, "SELECT o.id, o.admin_id FROM admin_otps o JOIN admins a ON a.id = o.admin_id" \
		" WHERE o.purpose = ?1 AND o.code_hash = ?4 AND o.used = 0 AND o.tries < ?3 AND o.expires_at > ?2" \
		" AND a.deleted_at IS NULL") \
	_(ADMIN_OTP_OF_ADMIN, "SELECT id, code_hash FROM admin_otps" \
		" WHERE purpose = ?1 AND admin_id = ?4 AND " LIVE_OTP " ORDER BY id DESC LIMIT 1") \
	_(ADMIN_OTP_MISS, "UPDATE admin_otps SET tries = tries + 1" \
		" WHERE purpose = ?1 AND admin_id = ?4 AND " LIVE_OTP) \
	_(ADMIN_OTP_CONSUME, "UPDATE admin_otps SET used = 1 WHERE id = ?1 AND admin_id = ?4 AND " LIVE_OTP \
		" RETURNING new_email") \
	_(TOKEN_ADD, "INSERT INTO tokens(admin_id, secret_hash, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)") \
	_(TOKEN_GET, "SELECT t.admin_id, t.secret_hash, t.last_used_at FROM tokens t JOIN admins a ON a.id = t.admin_id" \
		" WHERE t.id = ?1 AND t.revoked_at IS NULL AND t.expires_at > ?2 AND a.deleted_at IS NULL") \
	_(TOKEN_TOUCH, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1") \
	_(TOKEN_REVOKE, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL") \
	_(TOKEN_REVOKE_ALL, "UPDATE tokens SET revoked_at = ?2 WHERE admin_id = ?1 AND revoked_at IS NULL") \
	_(AUDIT_ADD, "INSERT INTO audit(at, admin_id, email, event, outcome, ip, detail)" \
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") \
	_(AUDIT_LIST, "SELECT at, email, event, outcome, ip, detail FROM audit WHERE at >= ?1" \
		" AND (?2 IS NULL OR email = ?2 COLLATE NOCASE) ORDER BY id") \
	_(AUDIT_PRUNE, "DELETE FROM audit WHERE at < ?1") \
	_(CITIZEN_STATE, "SELECT u.nom, u.prenom, o.used, o.tries, o.expires_at, o.created_at FROM users u" \
		" LEFT JOIN citizen_otps o ON o.user_id = u.id WHERE u.phone = ?1 AND u.type = 'CITIZEN'") \
	_(LIMIT_PEEK, "SELECT count, reset_at FROM limits WHERE key = ?1 AND reset_at > ?2") \
	_(AUDIT_PAGE, "SELECT id, at, email, event, outcome, ip, detail FROM audit" \
		" WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR email = ?2 COLLATE NOCASE)" \
		" AND (?3 IS NULL OR detail = ?3) ORDER BY id DESC LIMIT ?4") \
	_(TOKEN_LIST, "SELECT id, created_at, last_used_at FROM tokens" \
		" WHERE admin_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 ORDER BY id DESC") \
	_(TOKEN_REVOKE_OWN, "UPDATE tokens SET revoked_at = ?3" \
		" WHERE id = ?1 AND admin_id = ?2 AND revoked_at IS NULL AND expires_at > ?3") \
	_(APIKEY_ADD, "INSERT INTO api_keys(name, key_hash, created_at) VALUES (?1, ?2, ?3)") \
	_(APIKEY_LIST, "SELECT name, created_at, last_used_at, revoked_at FROM api_keys ORDER BY id") \
	_(APIKEY_REVOKE, "UPDATE api_keys SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL") \
	_(APIKEY_GET, "SELECT id, name, last_used_at FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL") \
	_(APIKEY_TOUCH, "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1") \
	_(LIMIT_TAKE, "INSERT INTO limits(key, count, reset_at) VALUES (?1, 1, ?2 + ?4)" \
		" ON CONFLICT(key) DO UPDATE SET" \
		" count = CASE WHEN reset_at <= ?2 THEN 1 WHEN count <= ?3 THEN count + 1 ELSE count END," \
		" reset_at = CASE WHEN reset_at <= ?2 THEN ?2 + ?4 WHEN ?5 THEN reset_at" \
		" WHEN count < ?3 THEN ?2 + ?4 ELSE reset_at END" \
		" RETURNING count, reset_at") \
	_(LIMIT_REFUND, "UPDATE limits SET count = count - 1 WHERE key = ?1 AND count > 0") \
	_(LIMIT_CLEAR, "DELETE FROM limits WHERE key = ?1") \
	_(LIMIT_PRUNE, "DELETE FROM limits WHERE reset_at <= ?1")

enum stmt_id {
#define STMT_ENUM(name, sql) S_##name,
	STATEMENTS(STMT_ENUM)
#undef STMT_ENUM
	S_COUNT
};

static const char *const SQL[S_COUNT] = {
#define STMT_SQL(name, sql) [S_##name] = sql,
	STATEMENTS(STMT_SQL)
#undef STMT_SQL
};


/* Token use is recorded at most once a minute: a write per request would cost more than it tells. */
#define TOKEN_TOUCH_EVERY_MS 60000

/*
 * Group commit: writes queue up as steps; one writer thread takes all that
 * wait, runs them in one transaction, a savepoint per step (one failing step
 * does not fail its neighbours), one COMMIT and so one fsync for all, then
 * answers every step. Each still answers only once its write is on disk, as
 * PostgreSQL's WAL flush serves many commits. A step's answer is a function
 * called by the writer: it wakes a thread that waits (store_*) or carries the
 * answer on itself (store_*_then), so no thread need wait at all.
 */
struct sqlite_store;

struct step {
	int (*fn)(struct sqlite_store *st, void *ctx);
	void *ctx;
	const struct audit_note *audit; /* written after the step, in its batch */
	int keep; /* enum keep */
	int status;
	void (*answer)(struct step *s); /* called once its batch is on disk (or failed); may free the step */
	struct step *next;
};

struct sqlite_store {
	struct store base;
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_work;
	struct step *queue;  /* newest first */
	pthread_t writer;
	int writer_running;
	int writer_idle;     /* waits on queue_work */
	int writer_stop;
	char *key_path; /* the server key beside the database */
	/*
	 * A second connection for the reads of the event loop (credentials, a
	 * citizen's state, the trail): in WAL, it reads the last commit while the
	 * writer's own commit waits on the disk. NULL in the reader itself.
	 */
	struct sqlite_store *reader;
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	pthread_mutex_t lock;
	unsigned takes; /* limit uses counted, to prune spent windows now and then */
};


static const struct store_ops SQLITE_OPS;

/* ---- small helpers: every one assumes the lock is held ---- */

static void report(struct sqlite_store *st, const char *what)
{
	fprintf(stderr, "guichetd: database: %s: %s\n", what, sqlite3_errmsg(st->db));
}

/* Returns the statement reset, bindings cleared, ready to bind. */
static sqlite3_stmt *stmt(struct sqlite_store *st, enum stmt_id id)
{
	sqlite3_stmt *s = st->stmt[id];
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_hash(sqlite3_stmt *s, int i, const unsigned char *h)
{
	sqlite3_bind_blob(s, i, h, 32, SQLITE_TRANSIENT);
}

/* Steps a statement that returns no row we need. 0 or -1. */
static int run(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		report(st, what);
		return -1;
	}
	return 0;
}

/* Steps a write that may hit a unique index: ST_OK, ST_CONFLICT or ST_ERROR (reported). */
static int insert_status(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	int ext = sqlite3_extended_errcode(st->db);
	if (rc != SQLITE_DONE && ext != SQLITE_CONSTRAINT_UNIQUE)
		report(st, what);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? ST_OK : ext == SQLITE_CONSTRAINT_UNIQUE ? ST_CONFLICT : ST_ERROR;
}

/* SQLITE_ROW, SQLITE_DONE, or -1 on error. */
static int step(struct sqlite_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	report(st, what);
	sqlite3_reset(s);
	return -1;
}

static void copy_col(sqlite3_stmt *s, int col, char *out, size_t outsz)
{
	const unsigned char *v = sqlite3_column_text(s, col);
	snprintf(out, outsz, "%s", v ? (const char *)v : "");
}

static int begin(struct sqlite_store *st)
{
	return run(st, stmt(st, S_BEGIN), "begin");
}

static int commit(struct sqlite_store *st)
{
	if (run(st, stmt(st, S_COMMIT), "commit") == 0)
		return 0;
	run(st, stmt(st, S_ROLLBACK), "rollback");
	return -1;
}

static int rollback_with(struct sqlite_store *st, int status)
{
	run(st, stmt(st, S_ROLLBACK), "rollback");
	return status;
}

/* Which outcomes of a transaction are written: only success, or every answer (a counted miss is one). */
enum keep { KEEP_OK, KEEP_ANSWERS };

/* Ends the transaction begun for `status`: commits what is kept, rolls back the rest. */
static int end(struct sqlite_store *st, int status, enum keep keep)
{
	int kept = keep == KEEP_OK ? status == ST_OK : status != ST_ERROR;
	if (!kept)
		return rollback_with(st, status);
	return commit(st) == 0 ? status : ST_ERROR;
}

static int audit_insert(struct sqlite_store *st, int64_t admin_id, const char *email, const char *event,
			const char *outcome, const char *ip, const char *detail, int64_t now);

/* The step's audit entry, for its answer: outside its savepoint, so that a refusal rolled back is still told. */
static void note_write(struct sqlite_store *st, const struct step *s)
{
	const struct audit_note *n = s->audit;
	if (!n || s->status < 0 || s->status >= ST_ERROR || !n->outcome[s->status])
		return;
	audit_insert(st, n->admin_id, n->email, n->event, n->outcome[s->status], n->ip, n->detail, n->now);
}

/* Runs one batch of steps, in the order of the list, in one transaction. */
static void batch_run(struct sqlite_store *st, struct step *batch)
{
	pthread_mutex_lock(&st->lock);
	int began = begin(st) == 0;
	for (struct step *s = batch; s; s = s->next) {
		if (!began || run(st, stmt(st, S_SAVEPOINT), "savepoint") != 0) {
			s->status = ST_ERROR;
			continue;
		}
		s->status = s->fn(st, s->ctx);
		int kept = s->keep == KEEP_OK ? s->status == ST_OK : s->status != ST_ERROR;
		if (!kept)
			run(st, stmt(st, S_ROLLBACK_TO), "rollback to savepoint");
		if (run(st, stmt(st, S_RELEASE), "release savepoint") != 0 && kept)
			s->status = ST_ERROR;
		note_write(st, s);
	}
	if (began && commit(st) != 0)
		for (struct step *s = batch; s; s = s->next)
			s->status = ST_ERROR; /* nothing of it is on disk */
	pthread_mutex_unlock(&st->lock);
}

/* Takes the whole queue as the next batch, oldest first: first come, first served. */
static struct step *batch_take(struct sqlite_store *st)
{
	struct step *batch = NULL;
	while (st->queue) {
		struct step *next = st->queue->next;
		st->queue->next = batch;
		batch = st->queue;
		st->queue = next;
	}
	return batch;
}

static void *writer_main(void *arg)
{
	struct sqlite_store *st = arg;
	pthread_mutex_lock(&st->queue_lock);
	for (;;) {
		while (!st->queue && !st->writer_stop) {
			st->writer_idle = 1;
			pthread_cond_wait(&st->queue_work, &st->queue_lock);
			st->writer_idle = 0;
		}
		if (!st->queue)
			break; /* stopping, and nothing left to write */
		struct step *batch = batch_take(st);
		pthread_mutex_unlock(&st->queue_lock);
		batch_run(st, batch);
		while (batch) { /* an answer may free its step: read next first */
			struct step *next = batch->next;
			batch->answer(batch);
			batch = next;
		}
		pthread_mutex_lock(&st->queue_lock);
	}
	pthread_mutex_unlock(&st->queue_lock);
	return NULL;
}

/* Queues a step for the next batch; the writer starts with the first one. */
static void step_submit(struct sqlite_store *st, struct step *s)
{
	pthread_mutex_lock(&st->queue_lock);
	if (!st->writer_running && !st->writer_stop)
		st->writer_running = pthread_create(&st->writer, NULL, writer_main, st) == 0;
	if (!st->writer_running || st->writer_stop) {
		pthread_mutex_unlock(&st->queue_lock);
		s->status = ST_ERROR;
		s->answer(s);
		return;
	}
	s->next = st->queue;
	st->queue = s;
	if (st->writer_idle) /* a busy writer finds the step when its batch is done */
		pthread_cond_signal(&st->queue_work);
	pthread_mutex_unlock(&st->queue_lock);
}

/* Lets every queued step be written, then stops the writer. */
static void writer_stop(struct sqlite_store *st)
{
	pthread_mutex_lock(&st->queue_lock);
	st->writer_stop = 1;
	pthread_cond_signal(&st->queue_work);
	int running = st->writer_running;
	pthread_mutex_unlock(&st->queue_lock);
	if (running)
		pthread_join(st->writer, NULL);
}

/* A thread that waits for its step's answer. */
struct waiter {
	struct step step; /* first: the answer gets the step */
	pthread_mutex_t lock;
	pthread_cond_t answered;
	int done;
};

static void waiter_answer(struct step *s)
{
	struct waiter *w = (struct waiter *)s;
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->answered);
	pthread_mutex_unlock(&w->lock);
}

/* Runs fn as one step of the next group commit; its status once it is on disk (or failed). */
static int group_run(struct sqlite_store *st, int (*fn)(struct sqlite_store *, void *), void *ctx, enum keep keep,
		     const struct audit_note *audit)
{
	struct waiter w = {
		.step = { .fn = fn, .ctx = ctx, .audit = audit, .keep = keep, .status = ST_ERROR, .answer = waiter_answer },
	};
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.answered, NULL);
	step_submit(st, &w.step);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.answered, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_cond_destroy(&w.answered);
	pthread_mutex_destroy(&w.lock);
	return w.step.status;
}

/* The connection for a read that needs no writer (the writer's own when there is no reader). */
static struct sqlite_store *reader_of(struct sqlite_store *st)
{
	return st->reader ? st->reader : st;
}

/* A record of use (token, API key) written with the next group commit: nobody waits for it. */
struct touch {
	struct step step; /* first: the answer gets the step */
	int stmt;         /* enum stmt_id */
	int64_t id;
	int64_t now;
};

static int touch_step(struct sqlite_store *st, void *ctx)
{
	const struct touch *t = ctx;
	sqlite3_stmt *s = stmt(st, (enum stmt_id)t->stmt);
	sqlite3_bind_int64(s, 1, t->id);
	sqlite3_bind_int64(s, 2, t->now);
	return run(st, s, "record use") == 0 ? ST_OK : ST_ERROR; /* best effort: a read-only database still answers */
}

static void touch_answer(struct step *s)
{
	free(s);
}

static void touch_later(struct sqlite_store *st, int stmt_id, int64_t id, int64_t now)
{
	struct touch *t = malloc(sizeof *t);
	if (!t)
		return;
	*t = (struct touch){ .stmt = stmt_id, .id = id, .now = now };
	t->step = (struct step){ .fn = touch_step, .ctx = t, .keep = KEEP_OK, .status = ST_ERROR, .answer = touch_answer };
	step_submit(st, &t->step);
}

/* ---- opening ---- */

static int migrate(struct sqlite_store *st, char *err, size_t errsz)
{
	sqlite3_stmt *s;
	int version = 0;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	int latest = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
	if (version > latest) {
		snprintf(err, errsz, "database schema version %d is newer than this guichetd (%d)", version, latest);
		return -1;
	}
	for (; version < latest; version++) {
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version + 1);
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		if (sqlite3_exec(st->db, MIGRATIONS[version], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, bump, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errsz, "migration %d failed: %s", version + 1, sqlite3_errmsg(st->db));
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
fail:
	snprintf(err, errsz, "cannot read the database: %s", sqlite3_errmsg(st->db));
	return -1;
}

/* SQLite creates its -wal and -shm files with the database's mode: make that 0600. */
static int create_private(const char *path, char *err, size_t errsz)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "cannot open database %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static void sqlite_close(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	if (!st)
		return;
	writer_stop(st);
	sqlite_close(st->reader ? &st->reader->base : NULL);
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->queue_lock);
	pthread_cond_destroy(&st->queue_work);
	free(st->key_path);
	free(st);
}

/* Opens one connection to path: WAL, synchronous=FULL, every statement prepared (after migrating, unless a reader). */
static int connect_db(struct sqlite_store *st, const char *path, int reader, char *err, size_t errsz)
{
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "cannot open database %s: %s", path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		return -1;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* synchronous=FULL: a commit is on disk before we answer, so nothing acknowledged is lost */
	if (sqlite3_exec(st->db, reader ? "PRAGMA query_only=ON"
					: "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errsz, "cannot open database %s: %s", path, sqlite3_errmsg(st->db));
		return -1;
	}
	if (!reader && migrate(st, err, errsz) != 0)
		return -1;
	for (int i = 0; i < S_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i], NULL) != SQLITE_OK) {
			snprintf(err, errsz, "cannot prepare statement %d: %s", i, sqlite3_errmsg(st->db));
			return -1;
		}
	}
	return 0;
}

static struct sqlite_store *store_new(void)
{
	struct sqlite_store *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->base.ops = &SQLITE_OPS;
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->queue_lock, NULL);
	pthread_cond_init(&st->queue_work, NULL);
	return st;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errsz)
{
	*out = NULL;
	if (create_private(path, err, errsz) != 0)
		return -1;
	struct sqlite_store *st = store_new();
	if (!st) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (!(st->key_path = malloc(strlen(path) + 5)) || !(st->reader = store_new())) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	snprintf(st->key_path, strlen(path) + 5, "%s.key", path);
	if (connect_db(st, path, 0, err, errsz) != 0 || connect_db(st->reader, path, 1, err, errsz) != 0)
		goto fail;
	*out = &st->base;
	return 0;
fail:
	sqlite_close(&st->base);
	return -1;
}

static int sqlite_shared(const struct store *base)
{
	(void)base;
	return 0; /* one process serves a SQLite file: per-address state may stay in memory */
}

/* The server key is a file beside the database (0600), made at first start. */
static int sqlite_server_key(struct store *base, unsigned char *key, char *err, size_t errsz)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	return otp_key_load(st->key_path, key, err, errsz);
}

static int sqlite_begin(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int rc = begin(st);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int sqlite_commit(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int rc = commit(st);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

static int sqlite_rollback(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	rollback_with(st, 0);
	pthread_mutex_unlock(&st->lock);
	return 0;
}

/* ---- users and citizen OTPs ---- */

static int sqlite_user_add(struct store *base, const char *phone, const char *type,
		   const char *nom, const char *prenom, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_USER_ADD);
	bind_text(s, 1, phone);
	bind_text(s, 2, type);
	bind_text(s, 3, nom);
	bind_text(s, 4, prenom);
	sqlite3_bind_int64(s, 5, now);
	int status = insert_status(st, s, "add user");
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* Finds a CITIZEN by normalised phone: 1 found, 0 not, -1 error. */
static int citizen_id(struct sqlite_store *st, const char *phone, int64_t *id)
{
	sqlite3_stmt *s = stmt(st, S_USER_BY_PHONE);
	bind_text(s, 1, phone);
	int rc = step(st, s, "find user");
	if (rc < 0)
		return -1;
	int found = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 1), "CITIZEN") == 0;
	if (found)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return found;
}

/* ---- abuse limits ---- */

#define PRUNE_EVERY 1024

/* Takes one use of lu within the caller's transaction: ST_OK, ST_LIMITED or ST_ERROR. */
static int limit_take(struct sqlite_store *st, struct limit_use *lu, int64_t now)
{
	if (!lu)
		return ST_OK;
	lu->taken = 0;
	if (lu->budget <= 0)
		return ST_OK;
	sqlite3_stmt *s = stmt(st, S_LIMIT_TAKE);
	bind_text(s, 1, lu->key);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int64(s, 3, lu->budget);
	sqlite3_bind_int64(s, 4, lu->window_ms);
	sqlite3_bind_int(s, 5, lu->fixed_window);
	int rc = step(st, s, "take limit");
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return ST_ERROR;
	}
	int64_t count = sqlite3_column_int64(s, 0), reset_at = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	lu->used = (long)count;
	if (count > lu->budget) {
		lu->retry_after_s = reset_at > now ? (long)((reset_at - now + 999) / 1000) : 1;
		return ST_LIMITED;
	}
	lu->taken = 1;
	/* windows that have passed mean nothing: drop them every so often */
	if (++st->takes % PRUNE_EVERY == 0) {
		s = stmt(st, S_LIMIT_PRUNE);
		sqlite3_bind_int64(s, 1, now);
		if (run(st, s, "prune limits") != 0)
			return ST_ERROR;
	}
	return ST_OK;
}

static int limit_refund(struct sqlite_store *st, const struct limit_use *lu)
{
	if (!lu || !lu->taken)
		return ST_OK;
	sqlite3_stmt *s = stmt(st, S_LIMIT_REFUND);
	bind_text(s, 1, lu->key);
	return run(st, s, "refund limit") == 0 ? ST_OK : ST_ERROR;
}

static int limit_clear(struct sqlite_store *st, const char *key)
{
	sqlite3_stmt *s = stmt(st, S_LIMIT_CLEAR);
	bind_text(s, 1, key);
	return run(st, s, "clear limit") == 0 ? ST_OK : ST_ERROR;
}

/* A use that succeeded: failures in a row start again from zero. */
static int limit_succeeded(struct sqlite_store *st, const struct limit_use *lu)
{
	return lu && lu->taken && lu->clear_on_success ? limit_clear(st, lu->key) : ST_OK;
}

static int sqlite_limit_peek(struct store *base, const char *key, int64_t now, int64_t *count, int64_t *reset_at)
{
	struct sqlite_store *st = reader_of((struct sqlite_store *)base);
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_LIMIT_PEEK);
	bind_text(s, 1, key);
	sqlite3_bind_int64(s, 2, now);
	int rc = step(st, s, "read limit");
	*count = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	*reset_at = rc == SQLITE_ROW ? sqlite3_column_int64(s, 1) : 0;
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int sqlite_limit_take(struct store *base, struct limit_use *lu, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = limit_take(st, lu, now);
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_limit_refund(struct store *base, const struct limit_use *lu)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = limit_refund(st, lu);
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_limit_clear(struct store *base, const char *key)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = limit_clear(st, key);
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* ---- citizen OTPs ---- */

static int citizen_otp_issue(struct sqlite_store *st, const char *phone, int create, struct otp_request *rq)
{
	int64_t user_id;
	int found = citizen_id(st, phone, &user_id);
	if (found <= 0)
		return found < 0 ? ST_ERROR : ST_NOT_FOUND;
	sqlite3_stmt *s = stmt(st, S_CITIZEN_OTP_GET);
	sqlite3_bind_int64(s, 1, user_id);
	int rc = step(st, s, "read citizen otp");
	if (rc < 0)
		return ST_ERROR;
	int exists = rc == SQLITE_ROW;
	int used = exists && sqlite3_column_int(s, 0);
	int live = exists && !used && sqlite3_column_int(s, 1) < 5 && sqlite3_column_int64(s, 2) > rq->now;
	sqlite3_reset(s);
	if (create && live)
		return ST_EXISTS;
	if (!create && (!exists || used))
		return ST_NONE;
	int status = limit_take(st, rq->cooldown, rq->now);
	if (status != ST_OK)
		return status;
	s = stmt(st, S_CITIZEN_OTP_PUT);
	sqlite3_bind_int64(s, 1, user_id);
	bind_hash(s, 2, rq->hash);
	sqlite3_bind_int64(s, 3, rq->expires_at);
	sqlite3_bind_int64(s, 4, rq->now);
	return run(st, s, "write citizen otp") == 0 ? ST_OK : ST_ERROR;
}

struct citizen_issue {
	const char *phone;
	int create;
	struct otp_request *rq;
};

static int citizen_issue_step(struct sqlite_store *st, void *ctx)
{
	struct citizen_issue *x = ctx;
	return citizen_otp_issue(st, x->phone, x->create, x->rq);
}

static int sqlite_citizen_otp_issue(struct store *base, const char *phone, int create, struct otp_request *rq)
{
	struct citizen_issue x = { phone, create, rq };
	return group_run((struct sqlite_store *)base, citizen_issue_step, &x, KEEP_OK, rq->audit);
}

static int sqlite_citizen_state(struct store *base, const char *phone, int64_t now, int max_tries,
			struct citizen_state *out)
{
	struct sqlite_store *st = reader_of((struct sqlite_store *)base);
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_CITIZEN_STATE);
	bind_text(s, 1, phone);
	int rc = step(st, s, "read citizen");
	if (rc == SQLITE_ROW) {
		copy_col(s, 0, out->nom, sizeof out->nom);
		copy_col(s, 1, out->prenom, sizeof out->prenom);
		int has_otp = sqlite3_column_type(s, 2) != SQLITE_NULL;
		int tries = sqlite3_column_int(s, 3);
		out->otp_expires_at = sqlite3_column_int64(s, 4);
		out->otp_live = has_otp && !sqlite3_column_int(s, 2) && tries < max_tries && out->otp_expires_at > now;
		out->tries_left = out->otp_live ? max_tries - tries : 0;
		out->last_sent_at = has_otp ? sqlite3_column_int64(s, 5) : 0;
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : rc == SQLITE_ROW ? ST_OK : ST_NOT_FOUND;
}

static int citizen_otp_cancel(struct sqlite_store *st, const char *phone, const struct limit_use *cooldown)
{
	int64_t user_id;
	int found = citizen_id(st, phone, &user_id);
	if (found <= 0)
		return found < 0 ? ST_ERROR : ST_NOT_FOUND;
	sqlite3_stmt *s = stmt(st, S_CITIZEN_OTP_DEL);
	sqlite3_bind_int64(s, 1, user_id);
	if (run(st, s, "cancel citizen otp") != 0)
		return ST_ERROR;
	return limit_refund(st, cooldown);
}

static int sqlite_citizen_otp_cancel(struct store *base, const char *phone, const struct limit_use *cooldown)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0 ? end(st, citizen_otp_cancel(st, phone, cooldown), KEEP_OK) : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int citizen_otp_verify(struct sqlite_store *st, const char *phone, const unsigned char *hash,
			      int64_t now, int max_tries, struct limit_use *budget)
{
	int64_t user_id;
	int found = citizen_id(st, phone, &user_id);
	if (found <= 0)
		return found < 0 ? ST_ERROR : ST_NOT_FOUND;
	sqlite3_stmt *s = stmt(st, S_CITIZEN_OTP_GET);
	sqlite3_bind_int64(s, 1, user_id);
	int rc = step(st, s, "read citizen otp");
	if (rc < 0)
		return ST_ERROR;
	int live = rc == SQLITE_ROW && !sqlite3_column_int(s, 0) &&
		   sqlite3_column_int(s, 1) < max_tries && sqlite3_column_int64(s, 2) > now &&
		   sqlite3_column_bytes(s, 3) == OTP_HASH_BYTES;
	unsigned char stored[OTP_HASH_BYTES];
	if (live)
		memcpy(stored, sqlite3_column_blob(s, 3), sizeof stored);
	sqlite3_reset(s);
	if (!live)
		return ST_WRONG;
	int status = limit_take(st, budget, now);
	if (status != ST_OK)
		return status;
	int match = otp_hash_equal(stored, hash);
	s = stmt(st, match ? S_CITIZEN_OTP_USE : S_CITIZEN_OTP_MISS);
	sqlite3_bind_int64(s, 1, user_id);
	if (run(st, s, "update citizen otp") != 0)
		return ST_ERROR;
	if (!match)
		return ST_WRONG;
	return limit_succeeded(st, budget);
}

struct citizen_verify {
	const char *phone;
	const unsigned char *hash;
	int64_t now;
	int max_tries;
	struct limit_use *budget;
};

static int citizen_verify_step(struct sqlite_store *st, void *ctx)
{
	struct citizen_verify *x = ctx;
	return citizen_otp_verify(st, x->phone, x->hash, x->now, x->max_tries, x->budget);
}

static int sqlite_citizen_otp_verify(struct store *base, const char *phone, const unsigned char *hash,
			     int64_t now, int max_tries, struct limit_use *budget, const struct audit_note *audit)
{
	struct citizen_verify x = { phone, hash, now, max_tries, budget };
	/* a miss is recorded too: every answer is kept */
	return group_run((struct sqlite_store *)base, citizen_verify_step, &x, KEEP_ANSWERS, audit);
}

/* A citizen step whose answer the caller does not wait for: it goes to `then`. */
struct later {
	struct step step; /* first: the answer gets the step */
	union {
		struct citizen_issue issue;
		struct citizen_verify verify;
	} args;
	struct store_then then;
};

static void later_answer(struct step *s)
{
	struct later *l = (struct later *)s;
	struct store_then then = l->then;
	int status = s->status;
	free(l);
	then.fn(then.ctx, status);
}

static void later_submit(struct sqlite_store *st, struct later *l, int (*fn)(struct sqlite_store *, void *),
			 enum keep keep, const struct audit_note *audit, const struct store_then *then)
{
	l->step = (struct step){ .fn = fn, .ctx = &l->args, .audit = audit, .keep = keep, .status = ST_ERROR,
				 .answer = later_answer };
	l->then = *then;
	step_submit(st, &l->step);
}

static int sqlite_citizen_otp_issue_then(struct store *base, const char *phone, int create, struct otp_request *rq,
					 const struct store_then *then)
{
	struct later *l = malloc(sizeof *l);
	if (!l) {
		then->fn(then->ctx, ST_ERROR);
		return 0;
	}
	l->args.issue = (struct citizen_issue){ phone, create, rq };
	later_submit((struct sqlite_store *)base, l, citizen_issue_step, KEEP_OK, rq->audit, then);
	return 0;
}

static int sqlite_citizen_otp_verify_then(struct store *base, const char *phone, const unsigned char *hash,
					  int64_t now, int max_tries, struct limit_use *budget,
					  const struct audit_note *audit, const struct store_then *then)
{
	struct later *l = malloc(sizeof *l);
	if (!l) {
		then->fn(then->ctx, ST_ERROR);
		return 0;
	}
	l->args.verify = (struct citizen_verify){ phone, hash, now, max_tries, budget };
	later_submit((struct sqlite_store *)base, l, citizen_verify_step, KEEP_ANSWERS, audit, then);
	return 0;
}

/* ---- admins ---- */

static void read_admin(sqlite3_stmt *s, struct admin *a)
{
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(s, 0);
	copy_col(s, 1, a->matricule, sizeof a->matricule);
	copy_col(s, 2, a->nom, sizeof a->nom);
	copy_col(s, 3, a->prenom, sizeof a->prenom);
	copy_col(s, 4, a->email, sizeof a->email);
	copy_col(s, 5, a->telephone, sizeof a->telephone);
	copy_col(s, 6, a->pays, sizeof a->pays);
	copy_col(s, 7, a->ville, sizeof a->ville);
	copy_col(s, 8, a->photo_profil, sizeof a->photo_profil);
	copy_col(s, 9, a->piece_identite, sizeof a->piece_identite);
	a->has_password = sqlite3_column_type(s, 10) != SQLITE_NULL;
	copy_col(s, 10, a->password_hash, sizeof a->password_hash);
	a->email_verified_at = sqlite3_column_int64(s, 11);
	a->deleted_at = sqlite3_column_int64(s, 12);
}

static const char *or_null(const char *v)
{
	return v && *v ? v : NULL;
}

static int sqlite_admin_add(struct store *base, const struct admin *a, int64_t now, int64_t *id)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_ADMIN_ADD);
	bind_text(s, 1, a->matricule);
	bind_text(s, 2, a->nom);
	bind_text(s, 3, a->prenom);
	bind_text(s, 4, a->email);
	bind_text(s, 5, or_null(a->telephone));
	bind_text(s, 6, or_null(a->pays));
	bind_text(s, 7, or_null(a->ville));
	sqlite3_bind_int64(s, 8, now);
	int status = insert_status(st, s, "add admin");
	if (status == ST_OK && id)
		*id = sqlite3_last_insert_rowid(st->db);
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_admin_list(struct store *base, void (*fn)(const struct admin *, void *), void *ctx)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	struct admin a;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_ADMIN_LIST);
	int rc;
	while ((rc = step(st, s, "list admins")) == SQLITE_ROW) {
		read_admin(s, &a);
		fn(&a, ctx);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int revoke_all(struct sqlite_store *st, int64_t admin_id, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_TOKEN_REVOKE_ALL);
	sqlite3_bind_int64(s, 1, admin_id);
	sqlite3_bind_int64(s, 2, now);
	return run(st, s, "revoke tokens");
}

static int admin_delete(struct sqlite_store *st, const char *email, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_DELETE);
	bind_text(s, 1, email);
	sqlite3_bind_int64(s, 2, now);
	int rc = step(st, s, "delete admin");
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc < 0)
		return ST_ERROR;
	if (rc == SQLITE_DONE)
		return ST_NOT_FOUND;
	return revoke_all(st, id, now) == 0 ? ST_OK : ST_ERROR;
}

static int sqlite_admin_delete(struct store *base, const char *email, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0 ? end(st, admin_delete(st, email, now), KEEP_OK) : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int admin_one(struct sqlite_store *st, sqlite3_stmt *s, struct admin *out)
{
	int rc = step(st, s, "find admin");
	if (rc == SQLITE_ROW)
		read_admin(s, out);
	sqlite3_reset(s);
	return rc < 0 ? ST_ERROR : rc == SQLITE_ROW ? ST_OK : ST_NOT_FOUND;
}

static int sqlite_admin_by_id(struct store *base, int64_t id, struct admin *out)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_ADMIN_BY_ID);
	sqlite3_bind_int64(s, 1, id);
	int status = admin_one(st, s, out);
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_admin_by_email(struct store *base, const char *email, struct admin *out)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_ADMIN_BY_EMAIL);
	bind_text(s, 1, email);
	int status = admin_one(st, s, out);
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_admin_by_matricule_email(struct store *base, const char *matricule, const char *email,
				   struct admin *out)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_ADMIN_BY_MATRICULE_EMAIL);
	bind_text(s, 1, matricule);
	bind_text(s, 2, email);
	int status = admin_one(st, s, out);
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* ---- admin OTPs ---- */

/* Binds the parameters every live-OTP statement shares: ?1 purpose, ?2 now, ?3 max tries. */
static sqlite3_stmt *otp_stmt(struct sqlite_store *st, enum stmt_id id, enum admin_purpose p,
			      int64_t now, int max_tries)
{
	sqlite3_stmt *s = stmt(st, id);
	bind_text(s, 1, STORE_PURPOSES[p]);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, max_tries);
	return s;
}

static int admin_otp_issue(struct sqlite_store *st, int64_t admin_id, enum admin_purpose purpose,
			   const char *new_email, struct otp_request *rq, int64_t *otp_id)
{
	sqlite3_stmt *s = otp_stmt(st, S_ADMIN_OTP_CLASH, purpose, rq->now, 5);
	bind_hash(s, 4, rq->hash);
	int rc = step(st, s, "check otp clash");
	sqlite3_reset(s);
	if (rc < 0)
		return ST_ERROR;
	if (rc == SQLITE_ROW)
		return ST_CONFLICT;
	int status = limit_take(st, rq->cooldown, rq->now);
	if (status != ST_OK)
		return status;
	s = stmt(st, S_ADMIN_OTP_KILL);
	sqlite3_bind_int64(s, 1, admin_id);
	bind_text(s, 2, STORE_PURPOSES[purpose]);
	if (run(st, s, "retire otp") != 0)
		return ST_ERROR;
	s = stmt(st, S_ADMIN_OTP_ADD);
	sqlite3_bind_int64(s, 1, admin_id);
	bind_text(s, 2, STORE_PURPOSES[purpose]);
	bind_hash(s, 3, rq->hash);
	bind_text(s, 4, new_email);
	sqlite3_bind_int64(s, 5, rq->expires_at);
	sqlite3_bind_int64(s, 6, rq->now);
	if (run(st, s, "add otp") != 0)
		return ST_ERROR;
	*otp_id = sqlite3_last_insert_rowid(st->db);
	return ST_OK;
}

static int sqlite_admin_otp_issue(struct store *base, int64_t admin_id, enum admin_purpose purpose,
			  const char *new_email, struct otp_request *rq, int64_t *otp_id)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0 ? end(st, admin_otp_issue(st, admin_id, purpose, new_email, rq, otp_id), KEEP_OK)
				    : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int admin_otp_cancel(struct sqlite_store *st, int64_t otp_id, const struct limit_use *cooldown)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_OTP_DEL);
	sqlite3_bind_int64(s, 1, otp_id);
	if (run(st, s, "cancel otp") != 0)
		return ST_ERROR;
	return limit_refund(st, cooldown);
}

static int sqlite_admin_otp_cancel(struct store *base, int64_t otp_id, const struct limit_use *cooldown)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0 ? end(st, admin_otp_cancel(st, otp_id, cooldown), KEEP_OK) : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* The admin's own live OTP of `purpose`: 1 found (id and hash copied), 0 none, -1 error. */
static int admin_live_otp(struct sqlite_store *st, enum admin_purpose purpose, int64_t admin_id, int64_t now,
			  int max_tries, int64_t *otp_id, unsigned char *hash)
{
	sqlite3_stmt *s = otp_stmt(st, S_ADMIN_OTP_OF_ADMIN, purpose, now, max_tries);
	sqlite3_bind_int64(s, 4, admin_id);
	int rc = step(st, s, "read otp");
	int found = rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == OTP_HASH_BYTES;
	if (found) {
		*otp_id = sqlite3_column_int64(s, 0);
		memcpy(hash, sqlite3_column_blob(s, 1), OTP_HASH_BYTES);
	}
	sqlite3_reset(s);
	return rc < 0 ? -1 : found;
}

static int admin_otp_find(struct sqlite_store *st, enum admin_purpose purpose, const unsigned char *hash,
			  int64_t admin_id, int64_t now, int max_tries, struct limit_use *budget,
			  int64_t *otp_id, int64_t *found_admin)
{
	unsigned char stored[OTP_HASH_BYTES];
	int status;
	if (admin_id > 0) {
		int live = admin_live_otp(st, purpose, admin_id, now, max_tries, otp_id, stored);
		if (live <= 0)
			return live < 0 ? ST_ERROR : ST_NONE;
		if ((status = limit_take(st, budget, now)) != ST_OK)
			return status;
		if (otp_hash_equal(stored, hash)) {
			*found_admin = admin_id;
			return limit_succeeded(st, budget);
		}
		sqlite3_stmt *s = otp_stmt(st, S_ADMIN_OTP_MISS, purpose, now, max_tries);
		sqlite3_bind_int64(s, 4, admin_id);
		return run(st, s, "count otp miss") == 0 ? ST_WRONG : ST_ERROR;
	}
	if ((status = limit_take(st, budget, now)) != ST_OK)
		return status;
	sqlite3_stmt *s = otp_stmt(st, S_ADMIN_OTP_BY_CODE, purpose, now, max_tries);
	bind_hash(s, 4, hash);
	int rc = step(st, s, "find otp");
	if (rc == SQLITE_ROW) {
		*otp_id = sqlite3_column_int64(s, 0);
		*found_admin = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc < 0)
		return ST_ERROR;
	return rc == SQLITE_ROW ? limit_succeeded(st, budget) : ST_WRONG;
}

static int sqlite_admin_otp_find(struct store *base, enum admin_purpose purpose, const unsigned char *hash,
			 int64_t admin_id, int64_t now, int max_tries, struct limit_use *budget,
			 int64_t *otp_id, int64_t *found_admin)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	/* a miss is counted: every answer is kept */
	int status = begin(st) == 0
			     ? end(st, admin_otp_find(st, purpose, hash, admin_id, now, max_tries, budget, otp_id, found_admin),
				   KEEP_ANSWERS)
			     : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* Marks the OTP used if it is still live; copies its new_email. ST_OK / ST_WRONG / ST_ERROR. */
static int otp_consume(struct sqlite_store *st, int64_t otp_id, int64_t admin_id, int64_t now,
		       char *new_email, size_t new_email_sz)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_OTP_CONSUME);
	sqlite3_bind_int64(s, 1, otp_id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_int(s, 3, 5);
	sqlite3_bind_int64(s, 4, admin_id);
	int rc = step(st, s, "consume otp");
	if (rc == SQLITE_ROW && new_email)
		copy_col(s, 0, new_email, new_email_sz);
	sqlite3_reset(s);
	return rc < 0 ? ST_ERROR : rc == SQLITE_ROW ? ST_OK : ST_WRONG;
}

/* A new credential: every code issued before it dies. */
static int retire_codes(struct sqlite_store *st, int64_t admin_id)
{
	sqlite3_stmt *s = stmt(st, S_ADMIN_OTP_KILL_ALL);
	sqlite3_bind_int64(s, 1, admin_id);
	return run(st, s, "retire codes") == 0 ? ST_OK : ST_ERROR;
}

static int admin_password_set(struct sqlite_store *st, int64_t otp_id, int64_t admin_id,
			      const char *hash, int verify_email, int revoke_tokens, int64_t now)
{
	int status = otp_consume(st, otp_id, admin_id, now, NULL, 0);
	if (status != ST_OK)
		return status;
	sqlite3_stmt *s = stmt(st, S_ADMIN_SET_PASSWORD);
	sqlite3_bind_int64(s, 1, admin_id);
	bind_text(s, 2, hash);
	sqlite3_bind_int(s, 3, verify_email);
	sqlite3_bind_int64(s, 4, now);
	if (run(st, s, "set password") != 0 || (revoke_tokens && revoke_all(st, admin_id, now) != 0))
		return ST_ERROR;
	return retire_codes(st, admin_id);
}

static int sqlite_admin_password_set(struct store *base, int64_t otp_id, int64_t admin_id,
			     const char *hash, int verify_email, int revoke_tokens, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0
			     ? end(st, admin_password_set(st, otp_id, admin_id, hash, verify_email, revoke_tokens, now), KEEP_OK)
			     : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int admin_email_set(struct sqlite_store *st, int64_t otp_id, int64_t admin_id, int64_t now, char *new_email)
{
	int status = otp_consume(st, otp_id, admin_id, now, new_email, 320);
	if (status != ST_OK)
		return status;
	sqlite3_stmt *s = stmt(st, S_ADMIN_SET_EMAIL);
	sqlite3_bind_int64(s, 1, admin_id);
	bind_text(s, 2, new_email);
	sqlite3_bind_int64(s, 3, now);
	status = insert_status(st, s, "set email");
	return status == ST_OK ? retire_codes(st, admin_id) : status;
}

static int sqlite_admin_email_set(struct store *base, int64_t otp_id, int64_t admin_id, int64_t now,
			  char *new_email)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	int status = begin(st) == 0 ? end(st, admin_email_set(st, otp_id, admin_id, now, new_email), KEEP_OK) : ST_ERROR;
	pthread_mutex_unlock(&st->lock);
	return status;
}

/* ---- tokens ---- */

static int sqlite_token_create(struct store *base, int64_t admin_id, const unsigned char *hash,
		       int64_t now, int64_t expires_at, int64_t *id)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_TOKEN_ADD);
	sqlite3_bind_int64(s, 1, admin_id);
	bind_hash(s, 2, hash);
	sqlite3_bind_int64(s, 3, now);
	sqlite3_bind_int64(s, 4, expires_at);
	int rc = run(st, s, "add token");
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(st->db);
	pthread_mutex_unlock(&st->lock);
	return rc == 0 ? ST_OK : ST_ERROR;
}

static int sqlite_token_auth(struct store *base, int64_t id, const unsigned char *hash, int64_t now,
		     struct admin *out)
{
	struct sqlite_store *writer = (struct sqlite_store *)base, *st = reader_of(writer);
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_TOKEN_GET);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	int rc = step(st, s, "read token");
	int status = rc < 0 ? ST_ERROR : ST_NOT_FOUND;
	int64_t admin_id = 0, last_used = 0;
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == TOKEN_HASH_BYTES &&
	    sodium_memcmp(sqlite3_column_blob(s, 1), hash, TOKEN_HASH_BYTES) == 0) {
		admin_id = sqlite3_column_int64(s, 0);
		last_used = sqlite3_column_int64(s, 2);
		status = ST_OK;
	}
	sqlite3_reset(s);
	if (status == ST_OK) {
		s = stmt(st, S_ADMIN_BY_ID);
		sqlite3_bind_int64(s, 1, admin_id);
		status = admin_one(st, s, out);
	}
	pthread_mutex_unlock(&st->lock);
	if (status == ST_OK && now - last_used >= TOKEN_TOUCH_EVERY_MS)
		touch_later(writer, S_TOKEN_TOUCH, id, now);
	return status;
}

static int sqlite_token_revoke(struct store *base, int64_t id, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_TOKEN_REVOKE);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	int rc = run(st, s, "revoke token");
	pthread_mutex_unlock(&st->lock);
	return rc == 0 ? ST_OK : ST_ERROR;
}

static int sqlite_token_list(struct store *base, int64_t admin_id, int64_t now,
		     void (*fn)(const struct session_row *, void *), void *ctx)
{
	struct sqlite_store *st = reader_of((struct sqlite_store *)base);
	struct session_row row;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_TOKEN_LIST);
	sqlite3_bind_int64(s, 1, admin_id);
	sqlite3_bind_int64(s, 2, now);
	int rc;
	while ((rc = step(st, s, "list tokens")) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.created_at = sqlite3_column_int64(s, 1);
		row.last_used_at = sqlite3_column_int64(s, 2);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int sqlite_token_revoke_own(struct store *base, int64_t admin_id, int64_t id, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_TOKEN_REVOKE_OWN);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, admin_id);
	sqlite3_bind_int64(s, 3, now);
	int rc = run(st, s, "revoke token");
	int changed = sqlite3_changes(st->db);
	pthread_mutex_unlock(&st->lock);
	return rc != 0 ? ST_ERROR : changed ? ST_OK : ST_NOT_FOUND;
}

/* ---- API keys ---- */

static int sqlite_apikey_add(struct store *base, const char *name, const unsigned char *hash, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_APIKEY_ADD);
	bind_text(s, 1, name);
	bind_hash(s, 2, hash);
	sqlite3_bind_int64(s, 3, now);
	int status = insert_status(st, s, "add api key");
	pthread_mutex_unlock(&st->lock);
	return status;
}

static int sqlite_apikey_list(struct store *base, void (*fn)(const struct apikey_row *, void *), void *ctx)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	struct apikey_row row;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_APIKEY_LIST);
	int rc;
	while ((rc = step(st, s, "list api keys")) == SQLITE_ROW) {
		copy_col(s, 0, row.name, sizeof row.name);
		row.created_at = sqlite3_column_int64(s, 1);
		row.last_used_at = sqlite3_column_int64(s, 2);
		row.revoked_at = sqlite3_column_int64(s, 3);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int sqlite_apikey_revoke(struct store *base, const char *name, int64_t now)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_APIKEY_REVOKE);
	bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, now);
	int rc = run(st, s, "revoke api key");
	int changed = sqlite3_changes(st->db);
	pthread_mutex_unlock(&st->lock);
	return rc != 0 ? ST_ERROR : changed ? ST_OK : ST_NOT_FOUND;
}

static int sqlite_apikey_auth(struct store *base, const unsigned char *hash, int64_t now, char *name, size_t namesz)
{
	struct sqlite_store *writer = (struct sqlite_store *)base, *st = reader_of(writer);
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_APIKEY_GET);
	bind_hash(s, 1, hash);
	int rc = step(st, s, "read api key");
	int64_t id = 0, last_used = 0;
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(s, 0);
		copy_col(s, 1, name, namesz);
		last_used = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	if (rc == SQLITE_ROW && now - last_used >= TOKEN_TOUCH_EVERY_MS)
		touch_later(writer, S_APIKEY_TOUCH, id, now);
	return rc < 0 ? ST_ERROR : rc == SQLITE_ROW ? ST_OK : ST_NOT_FOUND;
}

/* ---- audit trail ---- */

struct audit_entry {
	int64_t admin_id;
	const char *email, *event, *outcome, *ip, *detail;
	int64_t now;
};

static int audit_insert(struct sqlite_store *st, int64_t admin_id, const char *email, const char *event,
			const char *outcome, const char *ip, const char *detail, int64_t now)
{
	sqlite3_stmt *s = stmt(st, S_AUDIT_ADD);
	sqlite3_bind_int64(s, 1, now);
	if (admin_id > 0)
		sqlite3_bind_int64(s, 2, admin_id);
	bind_text(s, 3, email && *email ? email : NULL);
	bind_text(s, 4, event);
	bind_text(s, 5, outcome);
	bind_text(s, 6, ip && *ip ? ip : NULL);
	bind_text(s, 7, detail);
	return run(st, s, "write audit") == 0 ? ST_OK : ST_ERROR;
}

static int audit_step(struct sqlite_store *st, void *ctx)
{
	struct audit_entry *x = ctx;
	return audit_insert(st, x->admin_id, x->email, x->event, x->outcome, x->ip, x->detail, x->now);
}

static int sqlite_audit_add(struct store *base, int64_t admin_id, const char *email, const char *event,
		    const char *outcome, const char *ip, const char *detail, int64_t now)
{
	struct audit_entry x = { admin_id, email, event, outcome, ip, detail, now };
	return group_run((struct sqlite_store *)base, audit_step, &x, KEEP_OK, NULL);
}

static int sqlite_audit_list(struct store *base, int64_t since, const char *email,
		     void (*fn)(const struct audit_row *, void *), void *ctx)
{
	struct sqlite_store *st = reader_of((struct sqlite_store *)base);
	struct audit_row row = { .id = 0 };
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_AUDIT_LIST);
	sqlite3_bind_int64(s, 1, since);
	bind_text(s, 2, email);
	int rc;
	while ((rc = step(st, s, "list audit")) == SQLITE_ROW) {
		row.at = sqlite3_column_int64(s, 0);
		copy_col(s, 1, row.email, sizeof row.email);
		copy_col(s, 2, row.event, sizeof row.event);
		copy_col(s, 3, row.outcome, sizeof row.outcome);
		copy_col(s, 4, row.ip, sizeof row.ip);
		copy_col(s, 5, row.detail, sizeof row.detail);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int sqlite_audit_page(struct store *base, int64_t before_id, int limit, const char *actor, const char *detail,
		     void (*fn)(const struct audit_row *, void *), void *ctx)
{
	struct sqlite_store *st = reader_of((struct sqlite_store *)base);
	struct audit_row row;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_AUDIT_PAGE);
	if (before_id > 0)
		sqlite3_bind_int64(s, 1, before_id);
	bind_text(s, 2, actor);
	bind_text(s, 3, detail);
	sqlite3_bind_int(s, 4, limit);
	int rc;
	while ((rc = step(st, s, "page audit")) == SQLITE_ROW) {
		row.id = sqlite3_column_int64(s, 0);
		row.at = sqlite3_column_int64(s, 1);
		copy_col(s, 2, row.email, sizeof row.email);
		copy_col(s, 3, row.event, sizeof row.event);
		copy_col(s, 4, row.outcome, sizeof row.outcome);
		copy_col(s, 5, row.ip, sizeof row.ip);
		copy_col(s, 6, row.detail, sizeof row.detail);
		fn(&row, ctx);
	}
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? ST_ERROR : ST_OK;
}

static int sqlite_audit_prune(struct store *base, int64_t before)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	pthread_mutex_lock(&st->lock);
	sqlite3_stmt *s = stmt(st, S_AUDIT_PRUNE);
	sqlite3_bind_int64(s, 1, before);
	int rc = run(st, s, "prune audit");
	pthread_mutex_unlock(&st->lock);
	return rc == 0 ? ST_OK : ST_ERROR;
}

/* Copies the live database, a few pages at a time so that writers are never held up long. */
static int sqlite_backup(struct store *base, const char *path, char *err, size_t errsz)
{
	struct sqlite_store *st = (struct sqlite_store *)base;
	sqlite3 *copy = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	int rc = sqlite3_open_v2(path, &copy, SQLITE_OPEN_READWRITE, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(copy, "main", st->db, "main") : NULL;
	if (b) {
		do {
			pthread_mutex_lock(&st->lock);
			rc = sqlite3_backup_step(b, 64);
			pthread_mutex_unlock(&st->lock);
			if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
				sqlite3_sleep(20);
		} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
		sqlite3_backup_finish(b);
	}
	sqlite3_stmt *s = NULL;
	int ok = rc == SQLITE_DONE &&
		 sqlite3_prepare_v2(copy, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		 sqlite3_step(s) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
	sqlite3_finalize(s);
	if (!ok)
		snprintf(err, errsz, "backup into %s failed: %s", path, copy ? sqlite3_errmsg(copy) : "cannot open it");
	sqlite3_close(copy);
	if (!ok)
		unlink(path);
	return ok ? 0 : -1;
}

static const struct store_ops SQLITE_OPS = {
	.close = sqlite_close,
	STORE_OPS(STORE_OP_ENTRY_sqlite)
};
