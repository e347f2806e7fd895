/* Mot de passe oublié: the address to mail a reset code to. */
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

struct oublie {
	struct screen base;
	struct form form;
};

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	struct oublie *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	form_add(&c->form, "Adresse e-mail", FIELD_TEXT, 254);
	if (arg)
		field_set(&c->form.fields[0], arg);
	return &c->base;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct oublie *c = (struct oublie *)s;
	draw_text(3, 4, COLS - 8, "Un code de réinitialisation sera envoyé à cette adresse.", 0);
	form_draw(&c->form, 5, 4, 20, 40);
}

static void forgot_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct oublie *c = (struct oublie *)s;
	ui_say_result(ui, r);
	if (r->outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_RESET };
	field_text(&c->form.fields[0], arg.email, sizeof arg.email);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct oublie *c = (struct oublie *)s;
	if (k->action != ACT_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	if (ui_busy(ui))
		return HANDLED;
	char email[400];
	field_text(&c->form.fields[0], email, sizeof email);
	if (screens_form_ready(ui, &c->form, "Saisissez votre adresse e-mail.", 0))
		ui_send_prepared(ui, client_password_forgot(&ui->call, &ui->cli->net, email), forgot_done);
	return HANDLED;
}

static void destroy(struct screen *s)
{
	free(s);
}

const struct screen_ops mot_de_passe_oublie_screen = {
	.title = "Mot de passe oublié",
	.hint = "Entrée : recevoir le code · Échap : retour · F1 : aide",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
