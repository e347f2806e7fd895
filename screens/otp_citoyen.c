/*
 * OTP citoyen, the support desk's screen: a citizen calls, the agent sends
 * their code. Enter on the phone is "Envoyer le code" (a create, or a resend
 * when a code is live: the server says which); Enter on the code verifies.
 * The phones served, the last code and the action log are kept for the
 * whole session: coming back, the last phone is filled in (typing replaces
 * it) and Up goes back through the others, so a known citizen's code is
 * resent with 2, Up, Enter from the menu. Expiry shows in local time with a
 * countdown, a cooldown as a live countdown. Every request carries the
 * admin's token (a server with --otp-callers key wants it); a code the server
 * sent by SMS only shows as "Code envoyé par SMS.".
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

#define HISTORY_MAX 32
#define LOG_MAX 10

/* Kept for the whole session (ui_kept), whatever screens come and go. */
struct desk {
	char history[HISTORY_MAX][64]; /* phones served, oldest first, each once */
	int nhistory;
	char log[LOG_MAX][700]; /* newest first */
	int nlog;
	char phone[40], code[16], expires_at[32]; /* the last code issued; code "" when it went by SMS */
	char cooldown_phone[64];
	time_t cooldown_until;
};

struct otp_citoyen {
	struct screen base;
	struct form form;
	struct desk *desk;
	int position; /* in the history while browsing it with Up/Down; nhistory: not browsing */
};

enum { PHONE, VERIFY };

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("envoyer le code"), 1 },
	{ N_("↑"), N_("numéros précédents"), 2 },
	{ N_("Tab"), N_("vérifier un code"), 3 },
	{ N_("^U"), N_("effacer"), 4 },
	{ NULL, NULL, 0 },
};

static void show_history(struct otp_citoyen *c, int position)
{
	c->position = position;
	field_set(&c->form.fields[PHONE], c->desk->history[position]);
	c->form.fields[PHONE].fresh = 1; /* typing a new number replaces it */
}

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)arg;
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	if (!(c->desk = ui_kept(ui, s)))
		return -1;
	form_add(&c->form, N_("Téléphone"), FIELD_TEXT, 32);
	form_add(&c->form, N_("Code à vérifier"), FIELD_TEXT, 10);
	c->position = c->desk->nhistory;
	if (c->desk->nhistory)
		show_history(c, c->desk->nhistory - 1);
	return 0;
}

static void remember_phone(struct desk *d, const char *phone)
{
	int i = 0;
	while (i < d->nhistory && strcmp(d->history[i], phone) != 0)
		i++;
	if (i == d->nhistory && d->nhistory == HISTORY_MAX)
		i = 0; /* full: the oldest goes */
	if (i < d->nhistory) {
		memmove(d->history[i], d->history[i + 1], sizeof d->history[0] * (size_t)(d->nhistory - i - 1));
		d->nhistory--;
	}
	snprintf(d->history[d->nhistory++], sizeof d->history[0], "%s", phone);
}

static const char *step_name(enum action_id step)
{
	return step == ACTION_OTP_CREATE || step == ACTION_OTP_SEND ? _("création")
	     : step == ACTION_OTP_RESEND ? _("renvoi")
					 : _("vérif.");
}

static void log_action(struct desk *d, const char *phone, const struct action_run *run)
{
	char stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof stamp, "%H:%M:%S", localtime_r(&now, &tm));
	memmove(d->log[1], d->log[0], sizeof d->log[0] * (LOG_MAX - 1));
	const char *step = step_name(run->step);
	int pad = 10 - (int)text_cells(step);
	snprintf(d->log[0], sizeof d->log[0], "%s  %s%*s %-12s %ld %s", stamp, step, pad > 0 ? pad : 0, "", phone,
		 run->r.status, run->r.message);
	if (d->nlog < LOG_MAX)
		d->nlog++;
}

/* "14:37:05 (dans 04:59)", or "14:37:05" once past. */
static long until(const char *iso, char *out, size_t outsz)
{
	time_t at = client_time(iso);
	struct tm tm;
	if (at < 0 || !localtime_r(&at, &tm)) {
		snprintf(out, outsz, "%s", iso);
		return 0;
	}
	char clock[16];
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	long left = (long)(at - time(NULL));
	if (left > 0)
		snprintf(out, outsz, _("%s (dans %02ld:%02ld)"), clock, left / 60, left % 60);
	else
		snprintf(out, outsz, "%s", clock);
	return left;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	struct desk *d = c->desk;
	char line[600], when[64];
	if (d->expires_at[0]) {
		long left = until(d->expires_at, when, sizeof when);
		if (d->code[0])
			snprintf(line, sizeof line, left > 0 ? _("Dernier code : %s pour %s, expire à %s")
							     : _("Dernier code : %s pour %s, expiré à %s"), d->code, d->phone, when);
		else
			snprintf(line, sizeof line, left > 0 ? _("%s Pour %s, expire à %s") : _("%s Pour %s, expiré à %s"),
				 _(CLIENT_CODE_BY_SMS), d->phone, when);
		draw_text(7, 4, COLS - 8, line, (int)colors_attr(left > 0 ? C_OK : C_HINT));
	}
	long wait = (long)(d->cooldown_until - time(NULL));
	if (d->cooldown_until && wait > 0) {
		snprintf(line, sizeof line, _("Nouvel envoi possible pour %s dans %ld s."), d->cooldown_phone, wait);
		draw_text(8, 4, COLS - 8, line, (int)colors_attr(C_HINT));
	} else if (d->cooldown_until) {
		snprintf(line, sizeof line, _("Nouvel envoi possible pour %s."), d->cooldown_phone);
		draw_text(8, 4, COLS - 8, line, (int)colors_attr(C_HINT));
	}
	draw_text(10, 4, COLS - 8, _("Actions de la session :"), (int)colors_attr(C_TITLE));
	for (int i = 0; i < d->nlog && 11 + i < LINES - 1 - UI_MESSAGE_ROWS - 1; i++)
		draw_text(11 + i, 4, COLS - 8, d->log[i], 0);
	if (!d->nlog)
		draw_text(11, 4, COLS - 8, _("(aucune)"), (int)colors_attr(C_HINT));
	const char *hint = _("↑ : numéros précédents");
	if (d->nhistory && c->form.focus == PHONE && (size_t)(COLS - 52) >= text_cells(hint))
		draw_text(3, 50, COLS - 52, hint, (int)colors_attr(C_HINT));
	form_draw(&c->form, 3, 4, 20, 24); /* last: the cursor stays in the focused field */
}

static void done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	struct desk *d = c->desk;
	ui_say_result(ui, run);
	if (run->r.outcome == CLIENT_UNREACHABLE)
		return;
	if (run->r.outcome == CLIENT_OK || run->r.retry_after > 0) { /* a mistyped number is not one to recall */
		remember_phone(d, run->phone);
		show_history(c, d->nhistory - 1); /* the number as stored; the next one typed replaces it */
	}
	log_action(d, run->phone, run);
	if (run->r.outcome == CLIENT_OK && run->r.otp_issued) {
		snprintf(d->phone, sizeof d->phone, "%s", run->r.phone);
		snprintf(d->code, sizeof d->code, "%s", run->r.has_code ? run->r.code : "");
		snprintf(d->expires_at, sizeof d->expires_at, "%s", run->r.expires_at);
	}
	if (run->r.retry_after > 0) {
		snprintf(d->cooldown_phone, sizeof d->cooldown_phone, "%s", run->phone);
		d->cooldown_until = time(NULL) + run->r.retry_after;
	}
	if (run->id == ACTION_OTP_VERIFY && run->r.outcome == CLIENT_OK)
		field_clear(&c->form.fields[VERIFY]);
}

/* Enter on the phone: Envoyer le code. Enter on the code: verify it. */
static void send_code(struct ui *ui, struct otp_citoyen *c, int verify)
{
	char typed[64], phone[64], code[32];
	field_text(&c->form.fields[PHONE], typed, sizeof typed);
	field_text(&c->form.fields[VERIFY], code, sizeof code);
	screens_phone(typed, phone, sizeof phone);
	if (!phone[0]) {
		ui_say(ui, C_ERROR, "%s", _("Saisissez le numéro de téléphone du citoyen."));
		c->form.focus = PHONE;
		return;
	}
	if (verify && !code[0]) {
		ui_say(ui, C_ERROR, "%s", _("Saisissez le code à vérifier."));
		return;
	}
	struct action_input in = { .phone = phone, .code = code };
	ui_request(ui, verify ? ACTION_OTP_VERIFY : ACTION_OTP_SEND, &in, done);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct otp_citoyen *c = (struct otp_citoyen *)s;
	struct desk *d = c->desk;
	if (k->req == REQ_SUBMIT || k->req == REQ_RESEND) {
		send_code(ui, c, k->req == REQ_SUBMIT && c->form.focus == VERIFY);
		return HANDLED;
	}
	/* Up and Down on the phone go through the numbers served this session */
	if (c->form.focus == PHONE && k->req == REQ_UP && d->nhistory) {
		if (c->position > 0)
			show_history(c, c->position - 1);
		return HANDLED;
	}
	if (c->form.focus == PHONE && k->req == REQ_DOWN && c->position + 1 < d->nhistory) {
		show_history(c, c->position + 1);
		return HANDLED;
	}
	return form_action(&c->form, k) ? HANDLED : UNKNOWN;
}

static void release(struct screen *s)
{
	form_clear(&((struct otp_citoyen *)s)->form);
}

const struct screen_ops otp_citoyen_screen = {
	.title = N_("OTP citoyen"),
	.size = sizeof(struct otp_citoyen),
	.kept_size = sizeof(struct desk),
	.takes_text = 1,
	.ticks = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
	.release = release,
};
