/* Mot de passe oublié: the address to mail a reset code to. */
#include <stdio.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct oublie {
	struct screen base;
	struct form form;
};

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("recevoir le code"), 1 },
	{ N_("Échap"), N_("retour"), 2 },
	{ NULL, NULL, 0 },
};

/* arg: the address to fill in, or NULL. */
static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	struct oublie *c = (struct oublie *)s;
	form_add(&c->form, N_("Adresse e-mail"), FIELD_TEXT, 254);
	if (arg)
		field_set(&c->form.fields[0], arg);
	return 0;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct oublie *c = (struct oublie *)s;
	draw_text(3, 4, COLS - 8, _("Un code de réinitialisation sera envoyé à cette adresse."), 0);
	form_draw(&c->form, 5, 4, 20, 40);
}

static void forgot_done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	ui_say_result(ui, run);
	if (run->r.outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_RESET };
	snprintf(arg.email, sizeof arg.email, "%s", run->email);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct oublie *c = (struct oublie *)s;
	if (k->req != REQ_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	char email[400];
	field_text(&c->form.fields[0], email, sizeof email);
	if (screens_form_ready(ui, &c->form, N_("Saisissez votre adresse e-mail."), 0))
		ui_request(ui, ACTION_PASSWORD_FORGOT, &(struct action_input){ .email = email }, forgot_done);
	return HANDLED;
}

const struct screen_ops mot_de_passe_oublie_screen = {
	.title = N_("Mot de passe oublié"),
	.size = sizeof(struct oublie),
	.takes_text = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
};
