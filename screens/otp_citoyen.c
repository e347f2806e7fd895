/*
 * OTP citoyen: Enter on the phone field creates the citizen's OTP, F5
 * resends it, Enter on the code field verifies one. The session's recent
 * actions are listed below. Every request carries the admin's token (a
 * server with --otp-callers key wants it); a code the server sent by SMS
 * only shows as "Code envoyé par SMS.".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

#define RECENT_MAX 8

struct otp_citoyen {
	struct screen base;
	struct form form;
	char phone[40], code[16], expires[32]; /* the last code issued; code "" when it went by SMS */
	char recent[RECENT_MAX][700];
	int nrecent;
	char pending[16]; /* the action in flight: create, resend, verify */
};

enum { PHONE, VERIFY };

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	struct otp_citoyen *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	form_add(&c->form, "Téléphone", FIELD_TEXT, 32);
	form_add(&c->form, "Code à vérifier", FIELD_TEXT, 10);
	return &c->base;
}

static void remember(struct otp_citoyen *c, const char *phone, const struct client_result *r)
{
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
	memmove(c->recent[1], c->recent[0], sizeof c->recent[0] * (RECENT_MAX - 1));
	snprintf(c->recent[0], sizeof c->recent[0], "%s  %-7s %-14s %ld %s", stamp, c->pending, phone, r->status, r->message);
	if (c->nrecent < RECENT_MAX)
		c->nrecent++;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	form_draw(&c->form, 3, 4, 20, 24);
	int y = 8;
	if (c->expires[0]) {
		char line[200];
		if (c->code[0])
			snprintf(line, sizeof line, "Dernier code : %s  pour %s  (expire %s)", c->code, c->phone, c->expires);
		else
			snprintf(line, sizeof line, "%s  pour %s  (expire %s)", CLIENT_CODE_BY_SMS, c->phone, c->expires);
		draw_text(y, 4, COLS - 8, line, (int)colors_attr(C_OK));
	}
	draw_text(y + 2, 4, COLS - 8, "Actions de la session :", (int)colors_attr(C_TITLE));
	for (int i = 0; i < c->nrecent && y + 3 + i < LINES - 4; i++)
		draw_text(y + 3 + i, 4, COLS - 8, c->recent[i], 0);
	if (!c->nrecent)
		draw_text(y + 3, 4, COLS - 8, "(aucune)", (int)colors_attr(C_HINT));
	/* keep the cursor in the focused field */
	form_draw(&c->form, 3, 4, 20, 24);
}

static void done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	char phone[64];
	field_text(&c->form.fields[PHONE], phone, sizeof phone);
	if (ui_session_lost(ui, r)) /* the token we sent is dead (--otp-callers key) */
		return;
	ui_say_result(ui, r);
	if (r->outcome == CLIENT_OK && r->otp_issued) {
		snprintf(c->phone, sizeof c->phone, "%s", r->phone);
		snprintf(c->code, sizeof c->code, "%s", r->code);
		snprintf(c->expires, sizeof c->expires, "%s", r->expires_at);
	}
	if (strcmp(c->pending, "verify") == 0 && r->outcome == CLIENT_OK)
		field_clear(&c->form.fields[VERIFY]);
	if (r->outcome != CLIENT_UNREACHABLE)
		remember(c, phone, r);
}

static void send_request(struct ui *ui, struct otp_citoyen *c, const char *what)
{
	char phone[64], code[32];
	field_text(&c->form.fields[PHONE], phone, sizeof phone);
	field_text(&c->form.fields[VERIFY], code, sizeof code);
	if (!phone[0]) {
		ui_say(ui, C_ERROR, "Saisissez le numéro de téléphone du citoyen.");
		c->form.focus = PHONE;
		return;
	}
	if (strcmp(what, "verify") == 0 && !code[0]) {
		ui_say(ui, C_ERROR, "Saisissez le code à vérifier.");
		return;
	}
	snprintf(c->pending, sizeof c->pending, "%s", what);
	int rc = strcmp(what, "verify") == 0 ? client_otp_verify(&ui->call, &ui->cli->net, ui->token, phone, code)
					     : client_otp(&ui->call, &ui->cli->net, ui->token, what, phone);
	ui_send_prepared(ui, rc, done);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	if (k->action == ACT_SUBMIT || k->action == ACT_RESEND) {
		if (!ui_busy(ui))
			send_request(ui, c, k->action == ACT_RESEND ? "resend" : c->form.focus == PHONE ? "create" : "verify");
		return HANDLED;
	}
	return form_action(&c->form, k) ? HANDLED : UNKNOWN;
}

static void destroy(struct screen *s)
{
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	form_clear(&c->form);
	memset(c->code, 0, sizeof c->code);
	free(c);
}

const struct screen_ops otp_citoyen_screen = {
	.title = "OTP citoyen",
	.hint = "Entrée (téléphone) : créer · F5 : renvoyer · Entrée (code) : vérifier · Échap : retour",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
