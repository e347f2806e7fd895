/*
 * Code OTP: the code mailed by an *-init route, as digit boxes (as many as
 * the server's codes have) with its expiry in local time and a countdown,
 * F5 to resend; with the new password (twice) when the code sets one.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct code_otp {
	struct screen base;
	struct code_otp_arg arg;
	struct form form;
	time_t sent_at;
};

enum { CODE, PASSWORD, CONFIRM };

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("valider"), 2 },
	{ N_("F5 ^R"), N_("renvoyer le code"), 1 },
	{ N_("F4 ^T"), N_("voir le mot de passe"), 3 },
	{ N_("Échap"), N_("retour"), 4 },
	{ NULL, NULL, 0 },
};

static int sets_password(const struct code_otp *c)
{
	return c->arg.purpose != CODE_EMAIL;
}

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	struct code_otp *c = (struct code_otp *)s;
	c->arg = *(const struct code_otp_arg *)arg;
	form_add(&c->form, N_("Code reçu"), FIELD_CODE, ui->meta.otp_digits);
	if (sets_password(c)) {
		form_add(&c->form, N_("Nouveau mot de passe"), FIELD_PASSWORD, 1024);
		form_add(&c->form, N_("Confirmation"), FIELD_PASSWORD, 1024);
	}
	c->sent_at = time(NULL);
	return 0;
}

/* Where the code went: the address given, else the admin's (the last one's, once the session has ended). */
static const char *where(const struct code_otp *c, const struct ui *ui)
{
	return c->arg.email[0] ? c->arg.email : ui->logged_in ? ui->admin.email : ui->last_email;
}

static void draw(struct ui *ui, struct screen *s)
{
	struct code_otp *c = (struct code_otp *)s;
	struct field *code = &c->form.fields[CODE];
	if (code->max != ui->meta.otp_digits && code->len <= ui->meta.otp_digits)
		code->max = ui->meta.otp_digits; /* the server's length arrived after this screen opened */
	char line[512], at[32];
	snprintf(line, sizeof line, sets_password(c) ? _("Saisissez le code envoyé à %s, puis le nouveau mot de passe deux fois.")
						     : _("Saisissez le code envoyé à %s."), where(c, ui));
	draw_text(3, 4, COLS - 8, line, 0);
	time_t expires = c->sent_at + ui->meta.admin_otp_ttl;
	long left = (long)(expires - time(NULL));
	struct tm tm;
	strftime(at, sizeof at, "%H:%M:%S", localtime_r(&expires, &tm));
	if (left > 0)
		snprintf(line, sizeof line, _("Le code expire à %s (dans %02ld:%02ld)."), at, left / 60, left % 60);
	else
		snprintf(line, sizeof line, _("Le code a expiré à %s : F5 pour en recevoir un nouveau."), at);
	draw_text(4, 4, COLS - 8, line, (int)colors_attr(left > 0 ? C_HINT : C_ERROR));
	form_draw(&c->form, 6, 4, 24, 34);
}

static void resent(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct code_otp *c = (struct code_otp *)s;
	ui_say_result(ui, run);
	if (run->r.outcome == CLIENT_OK) {
		c->sent_at = time(NULL);
		field_clear(&c->form.fields[CODE]);
		c->form.focus = CODE;
	}
}

static void resend(struct ui *ui, struct code_otp *c)
{
	struct action_input in = { .email = c->arg.email, .matricule = c->arg.matricule };
	switch (c->arg.purpose) {
	case CODE_SIGNUP:
		ui_request(ui, ACTION_SIGNUP_INIT, &in, resent);
		break;
	case CODE_RESET:
		ui_request(ui, ACTION_PASSWORD_FORGOT, &in, resent);
		break;
	case CODE_CHANGE:
		ui_request(ui, ACTION_PASSWORD_CHANGE_INIT, NULL, resent);
		break;
	case CODE_EMAIL:
		/* a new code needs the current password again: it is asked on the previous screen */
		ui_say(ui, C_HINT, "%s", _("Pour un nouveau code, revenez (Échap) et validez à nouveau."));
		break;
	}
}

static void submitted(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct code_otp *c = (struct code_otp *)s;
	if (run->r.outcome != CLIENT_OK) {
		ui_say_result(ui, run);
		field_clear(&c->form.fields[CODE]);
		c->form.focus = CODE;
		return;
	}
	char email[320];
	snprintf(email, sizeof email, "%s", where(c, ui));
	if (c->arg.purpose == CODE_EMAIL) {
		snprintf(ui->admin.email, sizeof ui->admin.email, "%s", email);
		ui_reset_role(ui, ROLE_HOME, NULL);
	} else { /* a password set: log in with it (after a change, the shell has ended the session) */
		ui_reset_role(ui, ROLE_START, email);
	}
	ui_say_result(ui, run);
}

static void submit(struct ui *ui, struct code_otp *c)
{
	char code[16], password[1100] = "", confirm[1100] = "";
	field_text(&c->form.fields[CODE], code, sizeof code);
	if (sets_password(c)) {
		field_text(&c->form.fields[PASSWORD], password, sizeof password);
		field_text(&c->form.fields[CONFIRM], confirm, sizeof confirm);
	}
	if ((int)strlen(code) != ui->meta.otp_digits) {
		ui_say(ui, C_ERROR, _("Le code doit avoir %d chiffres."), ui->meta.otp_digits);
		c->form.focus = CODE;
	} else if (sets_password(c) && !password[0]) {
		ui_say(ui, C_ERROR, "%s", _("Saisissez le nouveau mot de passe."));
		c->form.focus = PASSWORD;
	} else if (sets_password(c) && strcmp(password, confirm) != 0) {
		ui_say(ui, C_ERROR, "%s", _("Les mots de passe ne correspondent pas."));
		field_clear(&c->form.fields[CONFIRM]);
		c->form.focus = CONFIRM;
	} else {
		static const enum action_id BY_PURPOSE[] = {
			[CODE_SIGNUP] = ACTION_SIGNUP_FINISH,
			[CODE_RESET] = ACTION_PASSWORD_RESET,
			[CODE_CHANGE] = ACTION_PASSWORD_CHANGE,
			[CODE_EMAIL] = ACTION_EMAIL_CHANGE,
		};
		/* the code-only routes always name their admin */
		struct action_input in = { .code = code, .password = password, .email = c->arg.email[0] ? c->arg.email : NULL };
		ui_request(ui, BY_PURPOSE[c->arg.purpose], &in, submitted);
	}
	memset(password, 0, sizeof password);
	memset(confirm, 0, sizeof confirm);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct code_otp *c = (struct code_otp *)s;
	if (k->req == REQ_RESEND) {
		resend(ui, c);
		return HANDLED;
	}
	if (k->req == REQ_SUBMIT) {
		if (c->form.focus + 1 < c->form.count && field_empty(&c->form.fields[c->form.focus + 1]))
			c->form.focus++;
		else
			submit(ui, c);
		return HANDLED;
	}
	int was_full = c->form.fields[CODE].len == c->form.fields[CODE].max;
	enum handled h = form_action(&c->form, k) ? HANDLED : UNKNOWN;
	/* a complete code moves on to the password, as a pasted code should */
	if (c->form.focus == CODE && !was_full && c->form.fields[CODE].len == c->form.fields[CODE].max &&
	    c->form.count > 1)
		c->form.focus = PASSWORD;
	return h;
}

static void release(struct screen *s)
{
	form_clear(&((struct code_otp *)s)->form);
}

const struct screen_ops code_otp_screen = {
	.title = N_("Code OTP"),
	.size = sizeof(struct code_otp),
	.takes_text = 1,
	.ticks = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
	.release = release,
};
