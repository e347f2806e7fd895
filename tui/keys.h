#ifndef GUICHET_KEYS_H
#define GUICHET_KEYS_H
/*
 * Keys become requests before any screen sees them (as tig maps keys to
 * requests). REQ_ALT is a screen's second action (F6 ^D: Débloquer,
 * Révoquer). Every function key has a Ctrl alias, for terminals that keep
 * F1 for themselves; escape sequences this console does not know are
 * swallowed whole, never taken as Esc followed by text.
 */
#include <wchar.h>

#define REQUESTS(_) \
	_(NONE) _(CHAR) _(NEXT) _(PREV) _(UP) _(DOWN) _(LEFT) _(RIGHT) _(HOME) _(END) \
	_(BACKSPACE) _(DELETE) _(KILL_START) _(KILL_WORD) _(KILL_END) _(SUBMIT) _(BACK) _(QUIT) \
	_(HELP) _(SIGNUP) _(FORGOT) _(REVEAL) _(RESEND) _(ALT) _(PAGE_UP) _(PAGE_DOWN) _(RESIZE)

enum request {
#define REQUEST_ENUM(name) REQ_##name,
	REQUESTS(REQUEST_ENUM)
#undef REQUEST_ENUM
	REQ_COUNT
};

struct key {
	enum request req;
	wchar_t ch; /* with REQ_CHAR */
};

/*
 * Reads the next key from the terminal (nodelay): 1 and *k, or 0 when none is
 * waiting. An escape sequence is read whole: a known one (PuTTY's ESC[11~ for
 * F1, the Linux console's ESC[[A...) becomes its key, an unknown one REQ_NONE.
 */
int keys_read(struct key *k);

/* The help overlay's lines: keys and what they do (both to translate with _()). */
struct key_help {
	const char *keys;
	const char *what;
};
extern const struct key_help KEYS_HELP[];
extern const int KEYS_HELP_COUNT;

#endif
