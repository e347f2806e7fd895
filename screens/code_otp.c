/*
 * Code OTP: the code mailed by an *-init route, as digit boxes with a
 * countdown and F5 to resend; with the new password (twice) when the code
 * sets one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

struct code_otp {
	struct screen base;
	struct code_otp_arg arg;
	struct form form;
	time_t sent_at;
};

enum { CODE, PASSWORD, CONFIRM };

static int sets_password(const struct code_otp *c)
{
	return c->arg.purpose != CODE_EMAIL;
}

static struct screen *create(struct ui *ui, const void *arg)
{
	struct code_otp *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->arg = *(const struct code_otp_arg *)arg;
	form_add(&c->form, "Code reçu", FIELD_CODE, ui->otp_digits);
	if (sets_password(c)) {
		form_add(&c->form, "Nouveau mot de passe", FIELD_PASSWORD, 1024);
		form_add(&c->form, "Confirmation", FIELD_PASSWORD, 1024);
	}
	c->sent_at = time(NULL);
	return &c->base;
}

static const char *where(const struct code_otp *c, const struct ui *ui)
{
	return c->arg.email[0] ? c->arg.email : ui->admin.email;
}

static void draw(struct ui *ui, struct screen *s)
{
	struct code_otp *c = (struct code_otp *)s;
	char line[512];
	snprintf(line, sizeof line, "Saisissez le code envoyé à %s%s", where(c, ui),
		 sets_password(c) ? ", puis le nouveau mot de passe deux fois." : ".");
	draw_text(3, 4, COLS - 8, line, 0);
	long left = ui->admin_otp_ttl - (long)(time(NULL) - c->sent_at);
	if (left > 0)
		snprintf(line, sizeof line, "Le code expire dans %02ld:%02ld.", left / 60, left % 60);
	else
		snprintf(line, sizeof line, "Le code a expiré : F5 pour en recevoir un nouveau.");
	draw_text(4, 4, COLS - 8, line, (int)colors_attr(left > 0 ? C_HINT : C_ERROR));
	form_draw(&c->form, 6, 4, 24, 34);
}

static void resent(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct code_otp *c = (struct code_otp *)s;
	if (ui_session_lost(ui, r))
		return;
	ui_say_result(ui, r);
	if (r->outcome == CLIENT_OK) {
		c->sent_at = time(NULL);
		field_clear(&c->form.fields[CODE]);
		c->form.focus = CODE;
	}
}

static void resend(struct ui *ui, struct code_otp *c)
{
	struct transport_options *net = &ui->cli->net;
	switch (c->arg.purpose) {
	case CODE_SIGNUP:
		ui_send_prepared(ui, client_signup_init(&ui->call, net, c->arg.matricule, c->arg.email), resent);
		break;
	case CODE_RESET:
		ui_send_prepared(ui, client_password_forgot(&ui->call, net, c->arg.email), resent);
		break;
	case CODE_CHANGE:
		ui_send_prepared(ui, client_password_change_init(&ui->call, net, ui->token), resent);
		break;
	case CODE_EMAIL:
		/* a new code needs the current password again: it is asked on the previous screen */
		ui_say(ui, C_HINT, "Pour un nouveau code, revenez (Échap) et validez à nouveau.");
		break;
	}
}

static void submitted(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct code_otp *c = (struct code_otp *)s;
	if (r->outcome != CLIENT_OK) {
		if (ui_session_lost(ui, r))
			return;
		ui_say_result(ui, r);
		field_clear(&c->form.fields[CODE]);
		c->form.focus = CODE;
		return;
	}
	char email[320];
	snprintf(email, sizeof email, "%s", c->arg.email[0] ? c->arg.email : ui->admin.email);
	switch (c->arg.purpose) {
	case CODE_SIGNUP:
	case CODE_RESET:
		ui_reset(ui, SCREEN_CONNEXION, email);
		break;
	case CODE_CHANGE: /* the server revoked every token */
		ui_session_end(ui);
		ui_reset(ui, SCREEN_CONNEXION, email);
		break;
	case CODE_EMAIL:
		snprintf(ui->admin.email, sizeof ui->admin.email, "%s", email);
		ui_reset(ui, SCREEN_MENU, NULL);
		break;
	}
	ui_say_result(ui, r);
}

static void submit(struct ui *ui, struct code_otp *c)
{
	char code[16], password[1100] = "", confirm[1100] = "";
	field_text(&c->form.fields[CODE], code, sizeof code);
	if (sets_password(c)) {
		field_text(&c->form.fields[PASSWORD], password, sizeof password);
		field_text(&c->form.fields[CONFIRM], confirm, sizeof confirm);
	}
	struct transport_options *net = &ui->cli->net;
	const char *email = c->arg.email[0] ? c->arg.email : NULL;
	if ((int)strlen(code) != ui->otp_digits) {
		ui_say(ui, C_ERROR, "Le code doit avoir %d chiffres.", ui->otp_digits);
		c->form.focus = CODE;
	} else if (sets_password(c) && !password[0]) {
		ui_say(ui, C_ERROR, "Saisissez le nouveau mot de passe.");
		c->form.focus = PASSWORD;
	} else if (sets_password(c) && strcmp(password, confirm) != 0) {
		ui_say(ui, C_ERROR, "Les mots de passe ne correspondent pas.");
		field_clear(&c->form.fields[CONFIRM]);
		c->form.focus = CONFIRM;
	} else {
		int rc = -1;
		switch (c->arg.purpose) {
		case CODE_SIGNUP:
			rc = client_signup_finish(&ui->call, net, code, password, email);
			break;
		case CODE_RESET:
			rc = client_password_reset(&ui->call, net, code, password, email);
			break;
		case CODE_CHANGE:
			rc = client_password_change(&ui->call, net, ui->token, code, password);
			break;
		case CODE_EMAIL:
			rc = client_email_change(&ui->call, net, ui->token, code);
			break;
		}
		ui_send_prepared(ui, rc, submitted);
	}
	memset(password, 0, sizeof password);
	memset(confirm, 0, sizeof confirm);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct code_otp *c = (struct code_otp *)s;
	if (k->action == ACT_RESEND) {
		if (!ui_busy(ui))
			resend(ui, c);
		return HANDLED;
	}
	if (k->action == ACT_SUBMIT) {
		if (c->form.focus + 1 < c->form.count && field_empty(&c->form.fields[c->form.focus + 1]))
			c->form.focus++;
		else if (!ui_busy(ui))
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

static void destroy(struct screen *s)
{
	struct code_otp *c = (struct code_otp *)s;
	form_clear(&c->form);
	free(c);
}

const struct screen_ops code_otp_screen = {
	.title = "Code OTP",
	.hint = "Entrée : valider · F5 : renvoyer le code · F4 : voir le mot de passe · Échap : retour",
	.ticks = 1,
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
