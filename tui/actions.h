#ifndef GUICHET_ACTIONS_H
#define GUICHET_ACTIONS_H
/*
 * Every operation of the console, once, with the rules that go with it:
 * whether it needs the stored token, what it changes in the token store when
 * it ends, what step follows. The subcommands (cli.c) and the screens run
 * actions only through here, so a session rule cannot differ between the two.
 * No ncurses here, and no blocking but in action_end (the keyring).
 *
 * A run: action_check, action_send, then the request (client_call_run, or the
 * UI's event loop), action_answered (which may prepare a next step: run it
 * too), action_end, action_release.
 */
#include "../net/client.h"
#include "../net/credstore.h"

/* How an action ended; also guichet's exit code (contract §6). */
enum exit_code {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_SERVER = 4,
	EXIT_STORAGE = 5,
};

#define ACTION_LIST(_) \
	_(HEALTH) _(META) _(LOGIN) _(LOGOUT) _(WHOAMI) _(SIGNUP_INIT) _(SIGNUP_FINISH) _(PASSWORD_FORGOT) \
	_(PASSWORD_RESET) _(PASSWORD_CHANGE_INIT) _(PASSWORD_CHANGE) _(EMAIL_CHANGE_INIT) _(EMAIL_CHANGE) \
	_(OTP_CREATE) _(OTP_RESEND) _(OTP_SEND) _(OTP_VERIFY) \
	_(CITIZEN_SHOW) _(CITIZEN_UNLOCK) _(AUDIT) _(SESSIONS) _(SESSION_REVOKE)

enum action_id {
#define ACTION_ENUM(name) ACTION_##name,
	ACTION_LIST(ACTION_ENUM)
#undef ACTION_ENUM
	ACTION_COUNT
};

/* Whether an action carries the stored token. */
enum token_use {
	TOKEN_NONE,     /* never */
	TOKEN_OPTIONAL, /* when there is one (citizen routes: a server with --otp-callers key wants it) */
	TOKEN_REQUIRED, /* a connected action: refused with "Non connecté." without one, nothing sent */
};
enum token_use action_token_use(enum action_id id);

/* What an action sends; each uses the fields it needs (the table in actions.c says which). */
struct action_input {
	const char *email;     /* login, signup init, forgot; email change-init: the new address;
				  signup finish, reset: the admin's (NULL: the one remembered by init / forgot) */
	const char *matricule; /* signup init */
	const char *password;  /* login, signup finish, reset, change, email change-init */
	const char *code;      /* the *-process routes, otp verify */
	const char *phone;     /* otp, citizen show/unlock; audit: only this phone's entries */
	const char *admin;     /* audit: only this admin's entries */
	int limit;             /* audit: entries on the page (0: CLIENT_AUDIT_PAGE) */
	long long id;          /* audit: entries older than this one (0: the newest); session revoke: the session */
	int current;           /* session revoke: it is the session of the token sent, which ends with it */
};

struct action_run {
	enum action_id id;      /* what was asked */
	enum action_id step;    /* what runs now: otp send is a create, then a resend if a code is live */
	struct action_input in; /* copies in the buffers below; the password only borrowed, until action_send */
	char email[320], matricule[80], code[32], phone[64], admin[320];
	const char *token;      /* borrowed: the token the request carries, NULL when none */
	struct client_call call;
	struct client_result r; /* the answer; its message adjusted by action_end (logout) */
	int status;             /* enum exit_code, once ended */
	int token_saved;        /* the answer's token went to the store (login) */
	int token_forgotten;    /* the stored token was removed: logout, password change, a dead token */
	int session_lost;       /* the token sent was dead (401 Non authentifié.): the session is over */
	char note[1100];        /* what the token store said: the fallback notice, or why it failed */
};

/*
 * Checks the rules before anything is sent: the token a connected action
 * needs (token may be NULL), the admin a code-only route must name. 0, or the
 * exit code with run->r.message saying why (nothing to send).
 */
int action_check(struct action_run *run, enum action_id id, const struct action_input *in, const char *token,
		 struct credstore *cs);
/* Prepares the current step's request; 0, or EXIT_USAGE with the message. Forgets the password. */
int action_send(struct action_run *run, const struct transport_options *net);
/* The request ended: reads its answer. 1 when a next step was prepared (run it), 0 when answered. */
int action_answered(struct action_run *run, const struct transport_options *net);
/* 1 when action_end will change the token store (which may block: the keyring). */
int action_touches_store(const struct action_run *run);
/* Applies the local effects of the answer (token store, remembered address); returns the exit code. */
int action_end(struct action_run *run, struct credstore *cs);
/* Wipes the secrets and frees the request. */
void action_release(struct action_run *run);

/* 1 when the answer opened a session: its token (r.token) is the session's from now on (login). */
int action_starts_session(const struct action_run *run);

/* The exit code of an answer, before local effects. */
int action_status(enum client_outcome outcome);

/* The admin's profile as labelled lines (labels translated), for whoami and the Profil screen. */
#define PROFILE_LINES 7
void action_profile(const struct client_admin *a, const char *labels[PROFILE_LINES], const char *values[PROFILE_LINES]);

#endif
