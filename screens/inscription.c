/* Inscription: matricule and e-mail; the code and the password follow on Code OTP. */
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

struct inscription {
	struct screen base;
	struct form form;
};

enum { MATRICULE, EMAIL };

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	struct inscription *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	form_add(&c->form, "Matricule", FIELD_TEXT, 64);
	form_add(&c->form, "Adresse e-mail", FIELD_TEXT, 254);
	return &c->base;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct inscription *c = (struct inscription *)s;
	draw_text(3, 4, COLS - 8, "Étape 1 sur 2 : votre matricule et votre adresse e-mail.", 0);
	draw_text(4, 4, COLS - 8, "Un code vous sera envoyé par e-mail.", 0);
	form_draw(&c->form, 6, 4, 20, 40);
}

static void init_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct inscription *c = (struct inscription *)s;
	ui_say_result(ui, r);
	if (r->outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_SIGNUP };
	field_text(&c->form.fields[EMAIL], arg.email, sizeof arg.email);
	field_text(&c->form.fields[MATRICULE], arg.matricule, sizeof arg.matricule);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct inscription *c = (struct inscription *)s;
	if (k->action != ACT_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	if (ui_busy(ui))
		return HANDLED;
	char matricule[80], email[400];
	field_text(&c->form.fields[MATRICULE], matricule, sizeof matricule);
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	if (screens_form_ready(ui, &c->form, "Saisissez le matricule et l'adresse e-mail.", EMAIL))
		ui_send_prepared(ui, client_signup_init(&ui->call, &ui->cli->net, matricule, email), init_done);
	return HANDLED;
}

static void destroy(struct screen *s)
{
	free(s);
}

const struct screen_ops inscription_screen = {
	.title = "Inscription",
	.hint = "Entrée : recevoir le code · Échap : retour · F1 : aide",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
