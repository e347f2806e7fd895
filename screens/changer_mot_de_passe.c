/* Changer le mot de passe: mails a code to the admin's address; Code OTP follows. */
#include <stdio.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("envoyer le code"), 1 },
	{ N_("Échap"), N_("retour"), 2 },
	{ NULL, NULL, 0 },
};

static void draw(struct ui *ui, struct screen *s)
{
	(void)s;
	char line[512];
	snprintf(line, sizeof line, _("Un code sera envoyé à %s."), ui->admin.email);
	draw_text(3, 4, COLS - 8, line, 0);
	draw_text(4, 4, COLS - 8, _("Appuyez sur Entrée pour l'envoyer, puis saisissez-le avec le nouveau mot de passe."), 0);
	draw_text(6, 4, COLS - 8, _("Après le changement, toutes vos sessions sont fermées : reconnectez-vous."),
		  (int)colors_attr(C_HINT));
}

static void init_done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	ui_say_result(ui, run);
	if (run->r.outcome == CLIENT_OK) {
		struct code_otp_arg arg = { .purpose = CODE_CHANGE };
		ui_push(ui, SCREEN_CODE_OTP, &arg);
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	(void)s;
	if (k->req != REQ_SUBMIT)
		return UNKNOWN;
	ui_request(ui, ACTION_PASSWORD_CHANGE_INIT, NULL, init_done);
	return HANDLED;
}

const struct screen_ops changer_mot_de_passe_screen = {
	.title = N_("Changer le mot de passe"),
	.size = sizeof(struct screen),
	.legend = LEGEND,
	.draw = draw,
	.action = action,
};
