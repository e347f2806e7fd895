#include "credstore.h"
#include "dynlib.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const SecretSchema SCHEMA = {
	.name = "org.guichet.Token",
	.flags = SECRET_SCHEMA_NONE,
	.attributes = {
		{ .name = "application", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = "server", .type = SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ .name = NULL, .type = 0 },
	},
};

static void wipe_free(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = '\0';
	free(s);
}

void credstore_free_token(char *token)
{
	wipe_free(token);
}

int credstore_init(struct credstore *cs, const char *kind, const char *server)
{
	memset(cs, 0, sizeof *cs);
	snprintf(cs->server, sizeof cs->server, "%s", server);
	const char *env = getenv("GUICHET_TOKEN");
	cs->env_token = env && *env ? env : NULL;
	if (!kind || strcmp(kind, "keyring") == 0)
		cs->kind = CRED_KEYRING;
	else if (strcmp(kind, "file") == 0)
		cs->kind = CRED_FILE;
	else if (strcmp(kind, "none") == 0)
		cs->kind = CRED_NONE;
	else
		return -1;
	return 0;
}

void credstore_release(struct credstore *cs)
{
	wipe_free(cs->memory);
	cs->memory = NULL;
}

const char *credstore_where(const struct credstore *cs)
{
	if (cs->env_token)
		return "GUICHET_TOKEN";
	if (cs->kind == CRED_KEYRING && !cs->fell_back)
		return gettext("trousseau");
	if (cs->kind == CRED_FILE || cs->fell_back)
		return gettext("fichier");
	return gettext("mémoire");
}

/* ---- file ---- */

/* what: "token" or "email" */
static int file_path(const struct credstore *cs, const char *what, char *out, size_t outsz, int create_dir)
{
	char dir[2048];
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (state && *state)
		snprintf(dir, sizeof dir, "%s/guichet", state);
	else if (home && *home)
		snprintf(dir, sizeof dir, "%s/.local/state/guichet", home);
	else
		return -1;
	if (create_dir) {
		/* mkdir -p, private at the last level */
		for (char *p = dir + 1; *p; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			mkdir(dir, 0700);
			*p = '/';
		}
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			return -1;
	}
	char name[256];
	size_t n = 0;
	for (const char *s = cs->server; *s && n + 1 < sizeof name; s++)
		name[n++] = ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '-')
				    ? *s : '_';
	name[n] = '\0';
	return snprintf(out, outsz, "%s/%s-%s", dir, what, name) < (int)outsz ? 0 : -1;
}

/* ---- keyring ---- */

/* From now on the file store serves; told once, in msg, with the file's name. */
static void fall_back(struct credstore *cs, char *msg, size_t msgsz)
{
	char path[2400];
	cs->fell_back = 1;
	if (!cs->noticed && file_path(cs, "token", path, sizeof path, 0) == 0)
		snprintf(msg, msgsz, gettext("Trousseau indisponible : le jeton est gardé dans le fichier %s "
					     "(lisible par vous seul)."), path);
	cs->noticed = 1;
}

/* 1 when the keyring is to be asked; 0 when the file store serves (libsecret could not be loaded: told as unavailable). */
static int keyring_first(struct credstore *cs, char *msg, size_t msgsz)
{
	if (cs->kind != CRED_KEYRING || cs->fell_back)
		return 0;
	if (dynlib_secret() == 0)
		return 1;
	fall_back(cs, msg, msgsz);
	return 0;
}

/*
 * Turns a GError into "unavailable" (1: the file store serves from now on,
 * told once in msg with the file's name) or a real failure (-1).
 */
static int keyring_error(struct credstore *cs, GError *error, char *msg, size_t msgsz)
{
	int unavailable = error->domain == sym_g_io_error_quark() || error->domain == sym_g_dbus_error_quark() ||
			  (error->domain == sym_secret_error_get_quark() && error->code == SECRET_ERROR_IS_LOCKED);
	if (unavailable)
		fall_back(cs, msg, msgsz);
	else
		snprintf(msg, msgsz, gettext("Trousseau : %s"), error->message);
	sym_g_error_free(error);
	return unavailable ? 1 : -1;
}

static char *file_load(const struct credstore *cs, const char *what)
{
	char path[2400], buf[512];
	if (file_path(cs, what, path, sizeof path, 0) != 0)
		return NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *token = buf[0] ? strdup(buf) : NULL;
	memset(buf, 0, sizeof buf);
	return token;
}

static int file_save(const struct credstore *cs, const char *what, const char *token, char *msg, size_t msgsz)
{
	char path[2400], tmp[2500];
	if (file_path(cs, what, path, sizeof path, 1) != 0) {
		snprintf(msg, msgsz, gettext("Impossible de créer le dossier de guichet (XDG_STATE_HOME)."));
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(msg, msgsz, gettext("Impossible d'écrire %s : %s"), tmp, strerror(errno));
		return -1;
	}
	size_t len = strlen(token);
	int ok = write(fd, token, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(msg, msgsz, gettext("Impossible d'écrire %s : %s"), path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- the three stores behind one face ---- */

char *credstore_load(struct credstore *cs, char *msg, size_t msgsz)
{
	msg[0] = '\0';
	if (cs->env_token)
		return strdup(cs->env_token);
	if (cs->memory)
		return strdup(cs->memory);
	if (cs->kind == CRED_NONE)
		return NULL;
	if (!keyring_first(cs, msg, msgsz))
		return file_load(cs, "token");
	GError *error = NULL;
	gchar *secret = sym_secret_password_lookup_sync(&SCHEMA, NULL, &error, "application", "guichet",
							"server", cs->server, NULL);
	if (error)
		return keyring_error(cs, error, msg, msgsz) > 0 ? file_load(cs, "token") : NULL;
	char *token = secret ? strdup(secret) : NULL;
	sym_secret_password_free(secret);
	return token;
}

static int keep_in_memory(struct credstore *cs, const char *token)
{
	wipe_free(cs->memory);
	cs->memory = strdup(token);
	return cs->memory ? 0 : -1;
}

int credstore_save(struct credstore *cs, const char *token, char *msg, size_t msgsz)
{
	msg[0] = '\0';
	if (cs->kind == CRED_NONE)
		return keep_in_memory(cs, token);
	if (keyring_first(cs, msg, msgsz)) {
		GError *error = NULL;
		char label[1200];
		snprintf(label, sizeof label, "guichet — %s", cs->server);
		sym_secret_password_store_sync(&SCHEMA, SECRET_COLLECTION_DEFAULT, label, token, NULL, &error,
					       "application", "guichet", "server", cs->server, NULL);
		if (!error)
			return 0;
		if (keyring_error(cs, error, msg, msgsz) < 0)
			return -1;
	}
	char notice[1024];
	snprintf(notice, sizeof notice, "%s", msg);
	if (file_save(cs, "token", token, msg, msgsz) != 0)
		return -1;
	snprintf(msg, msgsz, "%s", notice);
	return msg[0] ? 1 : 0;
}

int credstore_clear(struct credstore *cs, char *msg, size_t msgsz)
{
	msg[0] = '\0';
	wipe_free(cs->memory);
	cs->memory = NULL;
	if (cs->kind == CRED_NONE)
		return 0;
	if (keyring_first(cs, msg, msgsz)) {
		GError *error = NULL;
		/* both attributes, never an empty set: that would clear every secret of the schema */
		sym_secret_password_clear_sync(&SCHEMA, NULL, &error, "application", "guichet", "server", cs->server, NULL);
		if (error && keyring_error(cs, error, msg, msgsz) < 0)
			return -1;
	}
	/* the file store, or a fallback file left by a session without a keyring */
	char path[2400];
	if (file_path(cs, "token", path, sizeof path, 0) == 0 && unlink(path) != 0 && errno != ENOENT) {
		snprintf(msg, msgsz, gettext("Impossible de supprimer %s : %s"), path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the admin's e-mail, for the code-only routes ---- */

int credstore_save_email(struct credstore *cs, const char *email, char *msg, size_t msgsz)
{
	msg[0] = '\0';
	snprintf(cs->email, sizeof cs->email, "%s", email);
	return file_save(cs, "email", email, msg, msgsz);
}

int credstore_load_email(struct credstore *cs, char *out, size_t outsz)
{
	if (!cs->email[0]) {
		char *email = file_load(cs, "email");
		snprintf(cs->email, sizeof cs->email, "%s", email ? email : "");
		free(email);
	}
	snprintf(out, outsz, "%s", cs->email);
	return out[0] ? 0 : -1;
}

void credstore_clear_email(struct credstore *cs)
{
	char path[2400];
	cs->email[0] = '\0';
	if (file_path(cs, "email", path, sizeof path, 0) == 0)
		unlink(path);
}
