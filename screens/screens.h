#ifndef GUICHET_SCREENS_H
#define GUICHET_SCREENS_H
#include <stddef.h>
/*
 * Every screen of the console, once (as tig's VIEW_INFO): the enum and the
 * registry the shell is given (tui/ui.c names no screen: it finds its first
 * ones by role). Screens include tui/ui.h; the shell does not include this.
 */

#define SCREEN_INFO(_) \
	_(CONNEXION,            connexion) \
	_(DEMO,                 demo) \
	_(INSCRIPTION,          inscription) \
	_(CODE_OTP,             code_otp) \
	_(MOT_DE_PASSE_OUBLIE,  mot_de_passe_oublie) \
	_(CHANGER_MOT_DE_PASSE, changer_mot_de_passe) \
	_(CHANGER_EMAIL,        changer_email) \
	_(OTP_CITOYEN,          otp_citoyen) \
	_(PROFIL,               profil) \
	_(CITOYEN,              citoyen) \
	_(JOURNAL,              journal) \
	_(SESSIONS,             sessions) \
	_(MENU,                 menu)

enum screen_id {
#define SCREEN_ENUM(id, name) SCREEN_##id,
	SCREEN_INFO(SCREEN_ENUM)
#undef SCREEN_ENUM
	SCREEN_COUNT
};

struct screen_ops;
#define SCREEN_DECL(id, name) extern const struct screen_ops name##_screen;
SCREEN_INFO(SCREEN_DECL)
#undef SCREEN_DECL

/* The registry, by id, for ui_main(). */
extern const struct screen_ops *const SCREENS[SCREEN_COUNT];

struct ui;
struct form;
/*
 * The client-side checks before a form is sent: every field filled (else
 * `empty_message`, translated), and the field `email_field` (-1: none)
 * holding an '@'. Returns 1 when it may be sent; else says why, focuses the
 * field, returns 0.
 */
int screens_form_ready(struct ui *ui, struct form *form, const char *empty_message, int email_field);

/* A typed phone as the server stores it: no spaces, dots or dashes. */
void screens_phone(const char *typed, char *out, size_t outsz);

/* An API time (UTC ISO) in local time with strftime's format; the ISO text itself when it is not one. */
void screens_local_time(const char *iso, const char *format, char *out, size_t outsz);

struct key;
/* A yes to "… ? o : oui": o, O, y or Y (the French and the English letter alike). */
int screens_confirmed(const struct key *k);

/* What Inscription opens with (both may be empty): make demo's admin. */
struct signup_arg {
	char matricule[80];
	char email[320];
};

/* What the Code OTP screen is opened for. */
enum code_purpose { CODE_SIGNUP, CODE_RESET, CODE_CHANGE, CODE_EMAIL };

struct code_otp_arg {
	enum code_purpose purpose;
	char email[320];    /* signup, reset: the address; email: the new one */
	char matricule[80]; /* signup: for a resend */
};

#endif
