/* Changer le mot de passe: mails a code to the admin's address; Code OTP follows. */
#include <stdio.h>
#include <stdlib.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	return calloc(1, sizeof(struct screen));
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)s;
	char line[512];
	snprintf(line, sizeof line, "Un code sera envoyé à %s.", ui->admin.email);
	draw_text(3, 4, COLS - 8, line, 0);
	draw_text(4, 4, COLS - 8, "Appuyez sur Entrée pour l'envoyer, puis saisissez-le avec le nouveau mot de passe.", 0);
	draw_text(6, 4, COLS - 8, "Après le changement, toutes vos sessions sont fermées : reconnectez-vous.",
		  (int)colors_attr(C_HINT));
}

static void init_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	(void)s;
	if (ui_session_lost(ui, r))
		return;
	ui_say_result(ui, r);
	if (r->outcome == CLIENT_OK) {
		struct code_otp_arg arg = { .purpose = CODE_CHANGE };
		ui_push(ui, SCREEN_CODE_OTP, &arg);
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	(void)s;
	if (k->action != ACT_SUBMIT)
		return UNKNOWN;
	if (!ui_busy(ui))
		ui_send_prepared(ui, client_password_change_init(&ui->call, &ui->cli->net, ui->token), init_done);
	return HANDLED;
}

static void destroy(struct screen *s)
{
	free(s);
}

const struct screen_ops changer_mot_de_passe_screen = {
	.title = "Changer le mot de passe",
	.hint = "Entrée : envoyer le code · Échap : retour · F1 : aide",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
