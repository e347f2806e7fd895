#ifndef GUICHET_UI_H
#define GUICHET_UI_H
/*
 * The terminal shell: a stack of screens, one request in flight at a time,
 * one loop that sleeps in curl_multi_poll() on the terminal and libcurl's
 * sockets together, so the screen answers while the network works.
 */
#include <stdint.h>

#include "../net/client.h"
#include "../screens/screens.h"
#include "cli.h"
#include "colors.h"
#include "keys.h"

#define UI_STACK_MAX 8
#define UI_MIN_COLS 60
#define UI_MIN_ROWS 18

enum handled { UNKNOWN, HANDLED };

struct ui;

/* What every screen is; a screen's own state struct starts with it. */
struct screen {
	enum screen_id id;
	const struct screen_ops *ops;
};

struct screen_ops {
	const char *title;
	const char *hint; /* the screen's keys, shown above the message line */
	int ticks;        /* redraw every second (countdowns) */
	struct screen *(*create)(struct ui *ui, const void *arg);
	void (*opened)(struct ui *ui, struct screen *s); /* optional: once on the stack */
	void (*draw)(struct ui *ui, struct screen *s);
	enum handled (*action)(struct ui *ui, struct screen *s, const struct key *k);
	void (*destroy)(struct screen *s);
};

typedef void ui_done_fn(struct ui *ui, struct screen *s, const struct client_result *r);

struct ui {
	struct cli *cli;
	CURLM *multi;
	struct client_call call;
	int busy;
	int64_t busy_since;
	struct screen *caller;
	ui_done_fn *on_done;

	char *token; /* the session's bearer token (owned), NULL when logged out */
	int logged_in;
	struct client_admin admin;

	struct screen *stack[UI_STACK_MAX];
	int depth;

	char message[600];
	enum color_role message_role;
	int help_open;
	int quit;
	int otp_digits;     /* GUICHET_OTP_DIGITS, default 6 */
	long admin_otp_ttl; /* GUICHET_ADMIN_OTP_TTL, default 600 s */
	const char *dump_path; /* GUICHET_SCREEN_DUMP, read once at start */
};

int ui_main(struct cli *cli);

void ui_push(struct ui *ui, enum screen_id id, const void *arg);
void ui_pop(struct ui *ui);
/* Empties the stack, then opens id. */
void ui_reset(struct ui *ui, enum screen_id id, const void *arg);
struct screen *ui_top(struct ui *ui);

void ui_say(struct ui *ui, enum color_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The server's message verbatim: green for 2xx, red otherwise. */
void ui_say_result(struct ui *ui, const struct client_result *r);

/* Starts ui->call (already prepared by a client_* function); on_done runs when it ends. */
void ui_send(struct ui *ui, ui_done_fn *on_done);
/* 1 (after saying so) when a request is already in flight. */
int ui_busy(struct ui *ui);
/* Refuses politely when prepare failed (returns 0) or starts the request. */
int ui_send_prepared(struct ui *ui, int prepare_rc, ui_done_fn *on_done);

/* Session: keeps the token in the store (keyring...) and the admin for the status bar. */
void ui_session_start(struct ui *ui, const char *token, const struct client_admin *admin);
void ui_session_end(struct ui *ui);
/* On a 401 from a connected route: ends the session, back to Connexion. 1 when it did. */
int ui_session_lost(struct ui *ui, const struct client_result *r);

#endif
