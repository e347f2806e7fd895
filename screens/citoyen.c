/*
 * Citoyen, the support desk's look-up: a citizen calls to say the code never
 * came or that they are blocked. Enter on the phone shows what the server
 * knows (name, live code and its tries, cooldown, guess budget, who sent the
 * last code); F5 sends a code (a create, or a resend when one is live: the
 * same action as OTP citoyen) and F6 unlocks after a confirmation. Both
 * refresh the state. The cooldown counts down on screen.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct citoyen {
	struct screen base;
	struct form form;
	int shown;                     /* a citizen is on screen */
	struct client_citizen citizen; /* as last read */
	time_t cooldown_until;         /* the citizen's cooldown, as a clock time */
	char sent[80];                 /* what the last send gave: the code, or that it went by SMS */
	int confirming;                /* "Débloquer … ?" waits for o/n */
};

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("consulter"), 3 },
	{ N_("F5 ^R"), N_("envoyer"), 1 },
	{ N_("F6 ^D"), N_("débloquer"), 2 },
	{ N_("Échap"), N_("retour"), 4 },
	{ NULL, NULL, 0 },
};

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	(void)arg;
	struct citoyen *c = (struct citoyen *)s;
	form_add(&c->form, N_("Téléphone"), FIELD_TEXT, 32);
	return 0;
}

/* The phone to act on: the one typed, without spaces, dots or dashes. */
static int typed_phone(struct ui *ui, struct citoyen *c, char *out, size_t outsz)
{
	char typed[64];
	field_text(&c->form.fields[0], typed, sizeof typed);
	screens_phone(typed, out, outsz);
	if (!out[0])
		ui_say(ui, C_ERROR, "%s", _("Saisissez le numéro de téléphone du citoyen."));
	return out[0] != '\0';
}

static void take_state(struct citoyen *c, const struct client_result *r)
{
	c->citizen = r->citizen;
	c->shown = 1;
	c->cooldown_until = r->citizen.cooldown > 0 ? time(NULL) + r->citizen.cooldown : 0;
}

/* A look-up's answer: the state, and the server's words. */
static void looked_up(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct citoyen *c = (struct citoyen *)s;
	ui_say_result(ui, run);
	if (run->r.outcome == CLIENT_OK && run->r.has_citizen) {
		take_state(c, &run->r);
		return;
	}
	if (run->r.outcome != CLIENT_UNREACHABLE)
		c->shown = 0;
}

/* After a send: the state again, keeping the send's message on screen. */
static void refreshed(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct citoyen *c = (struct citoyen *)s;
	if (run->r.outcome == CLIENT_OK && run->r.has_citizen)
		take_state(c, &run->r);
	else
		ui_say_result(ui, run);
}

static void sent(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct citoyen *c = (struct citoyen *)s;
	if (run->r.outcome == CLIENT_OK || run->r.status == 429) /* the state changed, or says why not */
		ui_request(ui, ACTION_CITIZEN_SHOW, &(struct action_input){ .phone = run->phone }, refreshed);
	ui_say_result(ui, run); /* after: a request clears the message line */
	c->sent[0] = '\0';
	if (run->r.outcome == CLIENT_OK && run->r.otp_issued) {
		if (run->r.has_code)
			snprintf(c->sent, sizeof c->sent, _("Code envoyé : %s"), run->r.code);
		else
			snprintf(c->sent, sizeof c->sent, "%s", _(CLIENT_CODE_BY_SMS));
	}
}

static void unlocked(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct citoyen *c = (struct citoyen *)s;
	ui_say_result(ui, run);
	if (run->r.outcome == CLIENT_OK && run->r.has_citizen)
		take_state(c, &run->r);
}

static void row(int y, const char *label, const char *value, enum color_role role)
{
	draw_text(y, 4, 17, label, (int)colors_attr(C_TITLE));
	draw_text(y, 21, COLS - 25, value, (int)colors_attr(role));
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct citoyen *c = (struct citoyen *)s;
	const struct client_citizen *z = &c->citizen;
	char line[700], when[64];
	if (c->shown) {
		if (z->nom[0] || z->prenom[0])
			snprintf(line, sizeof line, "%s%s%s", z->prenom, z->prenom[0] ? " " : "", z->nom);
		else
			snprintf(line, sizeof line, "%s", _("(sans nom)"));
		row(5, _("Citoyen"), line, C_NORMAL);
		long left = z->live ? (long)(client_time(z->expires_at) - time(NULL)) : 0;
		if (z->live && left > 0) {
			screens_local_time(z->expires_at, "%H:%M", when, sizeof when);
			snprintf(line, sizeof line, _("en cours jusqu'à %s (dans %02ld:%02ld)"), when, left / 60, left % 60);
			row(6, _("Code"), line, C_OK);
			snprintf(line, sizeof line, _("%ld restant(s)"), z->tries_left);
			row(7, _("Essais du code"), line, C_NORMAL);
		} else {
			row(6, _("Code"), _("aucun en cours"), C_NORMAL);
			row(7, _("Essais du code"), "—", C_NORMAL);
		}
		long wait = c->cooldown_until ? (long)(c->cooldown_until - time(NULL)) : 0;
		if (wait > 0)
			snprintf(line, sizeof line, _("nouvel envoi possible dans %ld s"), wait);
		else
			snprintf(line, sizeof line, "%s", _("aucun : un code peut être envoyé"));
		row(8, _("Délai d'envoi"), line, wait > 0 ? C_HINT : C_NORMAL);
		snprintf(line, sizeof line, _("%ld avant blocage"), z->budget_left);
		row(9, _("Erreurs permises"), line, z->budget_left > 0 ? C_NORMAL : C_ERROR);
		if (z->last_sent_at[0]) {
			screens_local_time(z->last_sent_at, "%d/%m %H:%M:%S", when, sizeof when);
			snprintf(line, sizeof line, z->last_sent_by[0] ? _("%s par %s") : "%s%s", when, z->last_sent_by);
		} else {
			snprintf(line, sizeof line, "%s", _("jamais"));
		}
		row(10, _("Dernier envoi"), line, C_NORMAL);
		if (c->confirming) { /* the two rows above the legend, whatever the height */
			int y = LINES - 1 - UI_MESSAGE_ROWS - 1 - 2;
			snprintf(line, sizeof line, _("Débloquer %s : délai et erreurs à zéro."), z->phone);
			draw_text(y, 4, COLS - 8, line, (int)colors_attr(C_ERROR));
			draw_text(y + 1, 4, COLS - 8, _("Confirmer ? o : oui, autre touche : non"), (int)colors_attr(C_ERROR));
		} else if (c->sent[0]) {
			draw_text(12, 4, COLS - 8, c->sent, (int)colors_attr(C_OK));
		}
	} else {
		draw_text(5, 4, COLS - 8, _("Saisissez un numéro puis Entrée."), (int)colors_attr(C_HINT));
	}
	form_draw(&c->form, 3, 4, 17, 24); /* last: the cursor stays in the field */
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct citoyen *c = (struct citoyen *)s;
	char phone[64] = "";
	if (c->confirming) {
		c->confirming = 0;
		if (screens_confirmed(k))
			ui_request(ui, ACTION_CITIZEN_UNLOCK, &(struct action_input){ .phone = c->citizen.phone }, unlocked);
		else
			ui_say(ui, C_HINT, "%s", _("Déblocage annulé."));
		return HANDLED;
	}
	switch (k->req) {
	case REQ_SUBMIT:
		if (typed_phone(ui, c, phone, sizeof phone)) {
			c->sent[0] = '\0';
			ui_request(ui, ACTION_CITIZEN_SHOW, &(struct action_input){ .phone = phone }, looked_up);
		}
		return HANDLED;
	case REQ_RESEND:
		if (typed_phone(ui, c, phone, sizeof phone))
			ui_request(ui, ACTION_OTP_SEND, &(struct action_input){ .phone = phone }, sent);
		return HANDLED;
	case REQ_ALT:
		/* the number unlocked is the one on screen, and the one in the field */
		if (c->shown && typed_phone(ui, c, phone, sizeof phone) && strcmp(phone, c->citizen.phone) == 0)
			c->confirming = 1;
		else if (phone[0] || !c->shown)
			ui_say(ui, C_HINT, "%s", _("Consultez d'abord ce numéro (Entrée)."));
		return HANDLED;
	default:
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	}
}

static void release(struct screen *s)
{
	form_clear(&((struct citoyen *)s)->form);
}

const struct screen_ops citoyen_screen = {
	.title = N_("Citoyen"),
	.size = sizeof(struct citoyen),
	.takes_text = 1,
	.ticks = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
	.release = release,
};
