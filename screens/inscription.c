/* Inscription: matricule and e-mail; the code and the password follow on Code OTP. */
#include <stdio.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct inscription {
	struct screen base;
	struct form form;
};

enum { MATRICULE, EMAIL };

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("recevoir le code"), 1 },
	{ N_("Échap"), N_("retour"), 2 },
	{ NULL, NULL, 0 },
};

/* arg: a struct signup_arg to fill the form with, or NULL. */
static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	struct inscription *c = (struct inscription *)s;
	const struct signup_arg *a = arg;
	form_add(&c->form, N_("Matricule"), FIELD_TEXT, 64);
	form_add(&c->form, N_("Adresse e-mail"), FIELD_TEXT, 254);
	if (a) {
		field_set(&c->form.fields[MATRICULE], a->matricule);
		field_set(&c->form.fields[EMAIL], a->email);
		c->form.focus = a->matricule[0] && !a->email[0] ? EMAIL : MATRICULE;
	}
	return 0;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct inscription *c = (struct inscription *)s;
	draw_text(3, 4, COLS - 8, _("Étape 1 sur 2 : votre matricule et votre adresse e-mail."), 0);
	draw_text(4, 4, COLS - 8, _("Un code vous sera envoyé par e-mail."), 0);
	form_draw(&c->form, 6, 4, 20, 40);
}

static void init_done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	ui_say_result(ui, run);
	if (run->r.outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_SIGNUP };
	snprintf(arg.email, sizeof arg.email, "%s", run->email);
	snprintf(arg.matricule, sizeof arg.matricule, "%s", run->matricule);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct inscription *c = (struct inscription *)s;
	if (k->req != REQ_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	char matricule[80], email[400];
	field_text(&c->form.fields[MATRICULE], matricule, sizeof matricule);
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	if (screens_form_ready(ui, &c->form, N_("Saisissez le matricule et l'adresse e-mail."), EMAIL))
		ui_request(ui, ACTION_SIGNUP_INIT, &(struct action_input){ .matricule = matricule, .email = email }, init_done);
	return HANDLED;
}

const struct screen_ops inscription_screen = {
	.title = N_("Inscription"),
	.size = sizeof(struct inscription),
	.takes_text = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
};
