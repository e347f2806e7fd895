/* Profil: the logged-in admin, fetched from /api/admin/me on opening (F5 refreshes). */
#include <stdio.h>
#include <stdlib.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

static void loaded(struct ui *ui, struct screen *s, const struct client_result *r)
{
	(void)s;
	if (ui_session_lost(ui, r))
		return;
	if (r->outcome == CLIENT_OK && r->has_admin) {
		ui->admin = r->admin;
		ui->message[0] = '\0';
	} else {
		ui_say_result(ui, r);
	}
}

static void load(struct ui *ui)
{
	if (!ui_busy(ui))
		ui_send_prepared(ui, client_me(&ui->call, &ui->cli->net, ui->token), loaded);
}

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	return calloc(1, sizeof(struct screen));
}

static void opened(struct ui *ui, struct screen *s)
{
	(void)s;
	load(ui);
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)s;
	const struct client_admin *a = &ui->admin;
	const char *labels[] = { "Nom", "Prénom", "E-mail", "Matricule", "Téléphone", "Ville", "Pays" };
	const char *values[] = { a->nom, a->prenom, a->email, a->matricule, a->telephone, a->ville, a->pays };
	for (int i = 0; i < 7; i++) {
		draw_text(3 + i * 2, 4, 14, labels[i], (int)colors_attr(C_TITLE));
		draw_text(3 + i * 2, 18, COLS - 22, values[i][0] ? values[i] : "—", 0);
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	(void)s;
	if (k->action != ACT_RESEND)
		return UNKNOWN;
	load(ui);
	return HANDLED;
}

static void destroy(struct screen *s)
{
	free(s);
}

const struct screen_ops profil_screen = {
	.title = "Profil",
	.hint = "F5 : actualiser · Échap : retour · F1 : aide",
	.create = create,
	.opened = opened,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
