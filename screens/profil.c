/* Profil: the logged-in admin, fetched from /api/admin/me on opening (F5 refreshes). */
#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

static const struct legend LEGEND[] = {
	{ N_("F5 ^R"), N_("actualiser"), 1 },
	{ N_("Échap"), N_("retour"), 2 },
	{ NULL, NULL, 0 },
};

static void loaded(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	if (run->r.outcome == CLIENT_OK && run->r.has_admin) {
		ui->admin = run->r.admin;
		ui->message[0] = '\0';
	} else {
		ui_say_result(ui, run);
	}
}

static void opened(struct ui *ui, struct screen *s)
{
	(void)s;
	ui_request(ui, ACTION_WHOAMI, NULL, loaded);
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)s;
	const char *labels[PROFILE_LINES], *values[PROFILE_LINES];
	action_profile(&ui->admin, labels, values);
	for (int i = 0; i < PROFILE_LINES; i++) {
		draw_text(3 + i * 2, 4, 14, labels[i], (int)colors_attr(C_TITLE));
		draw_text(3 + i * 2, 18, COLS - 22, values[i][0] ? values[i] : "—", 0);
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	if (k->req != REQ_RESEND)
		return UNKNOWN;
	opened(ui, s);
	return HANDLED;
}

const struct screen_ops profil_screen = {
	.title = N_("Profil"),
	.size = sizeof(struct screen),
	.legend = LEGEND,
	.opened = opened,
	.draw = draw,
	.action = action,
};
