#ifndef GUICHET_CREDSTORE_H
#define GUICHET_CREDSTORE_H
/*
 * Where the console keeps the admin's bearer token, per server URL:
 *   keyring  the desktop keyring via libsecret (attributes application=guichet, server=URL)
 *   file     a 0600 file under $XDG_STATE_HOME/guichet/
 *   none     this process's memory only
 * GUICHET_TOKEN, when set, overrides whatever is stored. When no Secret
 * Service answers (SSH, servers, CI) the keyring store falls back to the file
 * store, and says so once per process, naming the file (contract §9.7).
 *
 * The keyring calls block (D-Bus): the terminal UI makes them from a thread
 * of their own, never two at a time on one struct credstore.
 */
#include <stddef.h>

enum credstore_kind { CRED_KEYRING, CRED_FILE, CRED_NONE };

struct credstore {
	enum credstore_kind kind;
	int fell_back;       /* keyring unreachable: the file store serves instead */
	int noticed;         /* the fallback has been told (once per process) */
	char server[1024];
	char *memory;        /* the token when kept in memory */
	const char *env_token;
	char email[320];     /* the remembered e-mail (see credstore_save_email) */
};

/* kind from "keyring" | "file" | "none"; -1 if unknown. */
int credstore_init(struct credstore *cs, const char *kind, const char *server);
void credstore_release(struct credstore *cs);

/*
 * Returns the token (you own it; free with credstore_free_token) or NULL when
 * none is stored. A notice, if any (the keyring fell back to the file), is
 * written into msg (else msg[0] = 0).
 */
char *credstore_load(struct credstore *cs, char *msg, size_t msgsz);
/* 0 stored; 1 stored, with a notice in msg (the keyring fell back to the file); -1 failed (msg says why). */
int credstore_save(struct credstore *cs, const char *token, char *msg, size_t msgsz);
/* 0 removed (or nothing was there; msg may hold the fallback notice); -1 failed (msg says why). */
int credstore_clear(struct credstore *cs, char *msg, size_t msgsz);
void credstore_free_token(char *token);

/*
 * The admin's e-mail given to the last `signup init` / `password forgot`, so that
 * the code-only routes that follow can name their admin. Not a secret: kept in
 * this process and in a 0600 file beside the token file (email-<server>),
 * whatever the store kind.
 */
/* 0 remembered; -1 only for this process (msg says why). */
int credstore_save_email(struct credstore *cs, const char *email, char *msg, size_t msgsz);
/* 0 and the address in out; -1 when none is remembered. */
int credstore_load_email(struct credstore *cs, char *out, size_t outsz);
/* Forgets it (the code it served has been used). */
void credstore_clear_email(struct credstore *cs);

/* Where the token lives now, for the status bar: "trousseau", "fichier", "mémoire" (translated). */
const char *credstore_where(const struct credstore *cs);

#endif
