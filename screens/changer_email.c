/* Changer l'adresse e-mail: the new address and the current password; Code OTP follows. */
#include <stdio.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct changer_email {
	struct screen base;
	struct form form;
};

enum { EMAIL, PASSWORD };

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("envoyer le code"), 1 },
	{ N_("F4 ^T"), N_("voir le mot de passe"), 3 },
	{ N_("Échap"), N_("retour"), 2 },
	{ NULL, NULL, 0 },
};

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	(void)arg;
	struct changer_email *c = (struct changer_email *)s;
	form_add(&c->form, N_("Nouvelle adresse"), FIELD_TEXT, 254);
	form_add(&c->form, N_("Mot de passe actuel"), FIELD_PASSWORD, 1024);
	return 0;
}

static void draw(struct ui *ui, struct screen *s)
{
	struct changer_email *c = (struct changer_email *)s;
	char line[512];
	snprintf(line, sizeof line, _("Adresse actuelle : %s"), ui->admin.email);
	draw_text(3, 4, COLS - 8, line, 0);
	draw_text(4, 4, COLS - 8, _("Un code sera envoyé à la nouvelle adresse."), 0);
	form_draw(&c->form, 6, 4, 22, 36);
}

static void init_done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct changer_email *c = (struct changer_email *)s;
	field_clear(&c->form.fields[PASSWORD]);
	c->form.focus = PASSWORD;
	ui_say_result(ui, run);
	if (run->r.outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_EMAIL };
	snprintf(arg.email, sizeof arg.email, "%s", run->email);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct changer_email *c = (struct changer_email *)s;
	if (k->req != REQ_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	char email[400], password[1100];
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	field_text(&c->form.fields[PASSWORD], password, sizeof password);
	if (screens_form_ready(ui, &c->form, N_("Saisissez la nouvelle adresse et votre mot de passe actuel."), EMAIL))
		ui_request(ui, ACTION_EMAIL_CHANGE_INIT, &(struct action_input){ .email = email, .password = password },
			   init_done);
	memset(password, 0, sizeof password);
	return HANDLED;
}

static void release(struct screen *s)
{
	form_clear(&((struct changer_email *)s)->form);
}

const struct screen_ops changer_email_screen = {
	.title = N_("Changer l'adresse e-mail"),
	.size = sizeof(struct changer_email),
	.takes_text = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
	.release = release,
};
