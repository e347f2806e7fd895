#ifndef GUICHET_UI_H
#define GUICHET_UI_H
/*
 * The terminal shell: a stack of screens, one request in flight at a time,
 * one loop that sleeps in curl_multi_poll() (poll() until the first request
 * loads libcurl) on the terminal, libcurl's sockets and the token store's thread together, so the screen answers while
 * the network or the keyring works. The shell knows its screens only through
 * the registry it is given (their roles say which comes first), and runs
 * every operation through the actions layer (actions.h), which carries the
 * session rules.
 */
#include <pthread.h>
#include <stdint.h>

#include "actions.h"
#include "cli.h"
#include "colors.h"
#include "keys.h"
#include "text.h"

#define UI_STACK_MAX 8
#define UI_MIN_COLS 60
#define UI_MIN_ROWS 18
#define UI_SCREENS_MAX 16
#define UI_MESSAGE_ROWS 2

enum handled { UNKNOWN, HANDLED };

/* Where a screen stands in the journey, for the shell. */
enum screen_role {
	ROLE_NONE,
	ROLE_START,  /* the first screen when logged out */
	ROLE_HOME,   /* the first screen once logged in */
	ROLE_NOTICE, /* opened over START at start-up, when it has something to say */
};

struct ui;

/* What every screen is; a screen's own state struct starts with it. */
struct screen {
	int id;
	const struct screen_ops *ops;
};

/* One entry of a screen's key legend (N_() strings). When the legend does not fit, the highest rank goes first. */
struct legend {
	const char *keys;
	const char *what;
	int rank;
};

struct screen_ops {
	const char *title; /* N_() */
	enum screen_role role;
	size_t size;       /* the screen's state (starting with struct screen), allocated zeroed by the shell */
	size_t kept_size;  /* state kept for the whole session (ui_kept); 0: none */
	int takes_text;    /* '?' is typed into a field here, so the legend shows ^G for help */
	int ticks;         /* redraw every second (countdowns) */
	const struct legend *legend; /* ends with { NULL }; help and quit are added by the shell */
	/* 0; -1: not opened (nothing to show). arg: what the opener passed, may be NULL. */
	int (*init)(struct ui *ui, struct screen *s, const void *arg);
	void (*opened)(struct ui *ui, struct screen *s); /* optional: once on the stack */
	void (*draw)(struct ui *ui, struct screen *s);
	enum handled (*action)(struct ui *ui, struct screen *s, const struct key *k);
	void (*release)(struct screen *s); /* optional: wipes secrets; the shell frees */
};

/* Called on the screen that asked, when its request has ended (not when the screen was closed meanwhile). */
typedef void ui_done_fn(struct ui *ui, struct screen *s, const struct action_run *run);

enum ui_phase { PHASE_IDLE, PHASE_LOAD, PHASE_HTTP, PHASE_STORE };

struct ui {
	struct cli *cli;
	CURLM *multi; /* NULL until the first request */
	const struct screen_ops *const *screens; /* the registry, by id */
	int nscreens;

	/* the request in flight: its action, then the token store's part of it on a thread */
	struct {
		enum ui_phase phase;
		struct action_run run;
		struct screen *caller;
		ui_done_fn *done;
		int64_t since;
	} req;
	struct {
		pthread_t thread;
		int running;
		int pipe[2];
		char *token; /* PHASE_LOAD: what the store held (owned) */
		char msg[1100];
	} job;
	struct action_run meta_run; /* GET /api/admin/meta, in the background beside the first request */
	int meta_busy;

	char *token; /* the session's bearer token (owned), NULL when logged out */
	int logged_in;
	struct client_admin admin;
	char last_email[320]; /* the last admin's address, to fill in Connexion */
	char where[64];       /* where the token is kept, for the status bar */
	struct client_meta meta; /* code length and lifetimes, learned from the server */
	void *kept[UI_SCREENS_MAX];

	struct screen *stack[UI_STACK_MAX];
	int depth;

	char message[1400];
	enum color_role message_role;
	int help_open;
	int quit;
	const char *dump_path; /* GUICHET_SCREEN_DUMP, read once at start */
};

/* The terminal UI over the registry of screens (by id). Returns the exit code. */
int ui_main(struct cli *cli, const struct screen_ops *const *screens, int nscreens);

/* Opens screen id over the current one; 0, or -1 when it did not open. */
int ui_push(struct ui *ui, int id, const void *arg);
void ui_pop(struct ui *ui);
/* Empties the stack, then opens id. */
void ui_reset(struct ui *ui, int id, const void *arg);
/* Empties the stack, then opens the screen of that role (START or HOME). */
void ui_reset_role(struct ui *ui, enum screen_role role, const void *arg);
struct screen *ui_top(struct ui *ui);
/* The screen's state kept for the whole session (ops->kept_size bytes, zeroed at first), or NULL. */
void *ui_kept(struct ui *ui, const struct screen *s);

/* The message line: C_OK and C_ERROR messages also say so in words. */
void ui_say(struct ui *ui, enum color_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The server's message verbatim (success or error), and what the token store said. */
void ui_say_result(struct ui *ui, const struct action_run *run);

/*
 * Runs an action (the shell's one request slot): refused with a message when
 * one is in flight or the action's rules refuse it (returns -1); else 0, and
 * done runs on this screen when it has ended. The session rules (a token
 * saved or forgotten, a dead token ending the session) are applied before.
 */
int ui_request(struct ui *ui, enum action_id id, const struct action_input *in, ui_done_fn *done);
int ui_busy(const struct ui *ui);

#endif
