/*
 * Sessions: the admin's live tokens, this one marked. F6 (or Suppr) revokes
 * the selected one after a confirmation: a session left open on another
 * machine ends there; revoking this one is a logout.
 */
#include <stdio.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct sessions {
	struct screen base;
	struct client_session list[CLIENT_SESSIONS_MAX];
	int count;
	int loaded;
	int selected;
	int confirming; /* "Révoquer … ?" waits for o/n */
};

static const struct legend LEGEND[] = {
	{ N_("↑ ↓"), N_("choisir"), 1 },
	{ N_("F6 ^D Suppr"), N_("révoquer"), 2 },
	{ N_("F5"), N_("actualiser"), 3 },
	{ N_("Échap"), N_("retour"), 4 },
	{ NULL, NULL, 0 },
};

static void listed(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct sessions *z = (struct sessions *)s;
	if (run->r.outcome != CLIENT_OK || !run->r.has_sessions) {
		ui_say_result(ui, run);
		return;
	}
	z->count = run->r.nsessions;
	memcpy(z->list, run->r.sessions, (size_t)z->count * sizeof z->list[0]);
	z->loaded = 1;
	if (z->selected >= z->count)
		z->selected = z->count ? z->count - 1 : 0;
}

static void opened(struct ui *ui, struct screen *s)
{
	(void)s;
	ui_request(ui, ACTION_SESSIONS, NULL, listed);
}

static void revoked(struct ui *ui, struct screen *s, const struct action_run *run)
{
	if (run->token_forgotten && run->r.outcome == CLIENT_OK) { /* this session: logged out */
		ui_reset_role(ui, ROLE_START, ui->last_email);
		ui_say(ui, C_OK, "%s", _("Session révoquée : c'était la vôtre, vous êtes déconnecté."));
		return;
	}
	if (run->r.outcome == CLIENT_OK || run->r.status == 404)
		opened(ui, s); /* first: a request clears the message line */
	ui_say_result(ui, run);
}

static void time_or_dash(const char *iso, char *out, size_t outsz)
{
	if (iso[0])
		screens_local_time(iso, "%d/%m %H:%M", out, outsz);
	else
		snprintf(out, outsz, "—");
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct sessions *z = (struct sessions *)s;
	char line[300], created[40], used[40];
	int title = (int)colors_attr(C_TITLE);
	draw_text(3, 4, 6, _("N°"), title);
	draw_text(3, 10, 13, _("Ouverte le"), title);
	draw_text(3, 23, 14, _("Dernier usage"), title);
	int rows = LINES - 1 - UI_MESSAGE_ROWS - 1 - 4 - (z->confirming ? 3 : 0);
	for (int i = 0; i < z->count && i < rows; i++) {
		const struct client_session *e = &z->list[i];
		int a = (int)colors_attr(i == z->selected ? C_FOCUS : C_NORMAL);
		if (i == z->selected) {
			attron((attr_t)a);
			mvhline(4 + i, 3, ' ', COLS - 6);
			attroff((attr_t)a);
		}
		time_or_dash(e->created_at, created, sizeof created);
		time_or_dash(e->last_used_at, used, sizeof used);
		snprintf(line, sizeof line, "%lld", e->id);
		draw_text(4 + i, 4, 6, line, a);
		draw_text(4 + i, 10, 13, created, a);
		draw_text(4 + i, 23, 13, used, a);
		if (e->current)
			draw_text(4 + i, 37, COLS - 41, _("← cette session"), a);
	}
	if (z->loaded && !z->count)
		draw_text(4, 4, COLS - 8, _("(aucune session ouverte)"), (int)colors_attr(C_HINT));
	if (z->confirming && z->selected < z->count) {
		const struct client_session *e = &z->list[z->selected];
		int y = 4 + (z->count < rows ? z->count : rows) + 1;
		snprintf(line, sizeof line, e->current ? _("Révoquer la session %lld, celle-ci : vous serez déconnecté.")
						       : _("Révoquer la session %lld ?"), e->id);
		draw_text(y, 4, COLS - 8, line, (int)colors_attr(C_ERROR));
		draw_text(y + 1, 4, COLS - 8, _("Confirmer ? o : oui, autre touche : non"), (int)colors_attr(C_ERROR));
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct sessions *z = (struct sessions *)s;
	if (z->confirming) {
		z->confirming = 0;
		if (screens_confirmed(k)) {
			const struct client_session *e = &z->list[z->selected];
			ui_request(ui, ACTION_SESSION_REVOKE, &(struct action_input){ .id = e->id, .current = e->current },
				   revoked);
		} else {
			ui_say(ui, C_HINT, "%s", _("Révocation annulée."));
		}
		return HANDLED;
	}
	switch (k->req) {
	case REQ_DOWN:
	case REQ_NEXT:
		if (z->selected + 1 < z->count)
			z->selected++;
		return HANDLED;
	case REQ_UP:
	case REQ_PREV:
		if (z->selected > 0)
			z->selected--;
		return HANDLED;
	case REQ_ALT:
	case REQ_DELETE:
		z->confirming = z->count > 0;
		return HANDLED;
	case REQ_RESEND:
		opened(ui, s);
		return HANDLED;
	default:
		return UNKNOWN;
	}
}

const struct screen_ops sessions_screen = {
	.title = N_("Sessions"),
	.size = sizeof(struct sessions),
	.legend = LEGEND,
	.opened = opened,
	.draw = draw,
	.action = action,
};
