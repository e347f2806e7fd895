/* The store's front: opens the engine the --db value names and passes every call on to it. */
#include "store_internal.h"

#include <string.h>

const char *const STORE_PURPOSES[] = {
	[PURPOSE_SIGNUP] = "signup",
	[PURPOSE_PASSWORD_RESET] = "password-reset",
	[PURPOSE_PASSWORD_CHANGE] = "password-change",
	[PURPOSE_EMAIL_CHANGE] = "email-change",
};

const char *store_purpose_name(enum admin_purpose p)
{
	return STORE_PURPOSES[p];
}

int store_is_postgres(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0;
}

int store_open(const char *db, struct store **out, char *err, size_t errsz)
{
	return store_is_postgres(db) ? store_pg_open(db, out, err, errsz) : store_sqlite_open(db, out, err, errsz);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

#define STORE_DISPATCH(ret, name, params, args) \
	ret store_##name params \
	{ \
		return st->ops->name args; \
	}
STORE_OPS(STORE_DISPATCH)
#undef STORE_DISPATCH
