/* Connexion: e-mail and password; F2 Inscription, F3 Mot de passe oublié. */
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

struct connexion {
	struct screen base;
	struct form form;
};

enum { EMAIL, PASSWORD };

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	struct connexion *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	form_add(&c->form, "Adresse e-mail", FIELD_TEXT, 254);
	form_add(&c->form, "Mot de passe", FIELD_PASSWORD, 1024);
	if (arg && *(const char *)arg) {
		field_set(&c->form.fields[EMAIL], arg);
		c->form.focus = PASSWORD;
	}
	return &c->base;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct connexion *c = (struct connexion *)s;
	draw_text(3, 4, COLS - 8, "Connectez-vous avec votre adresse e-mail d'administrateur.", 0);
	form_draw(&c->form, 5, 4, 20, 36);
}

static void login_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct connexion *c = (struct connexion *)s;
	field_clear(&c->form.fields[PASSWORD]);
	if (r->outcome != CLIENT_OK || !r->token[0]) {
		ui_say_result(ui, r);
		c->form.focus = PASSWORD;
		return;
	}
	ui_session_start(ui, r->token, &r->admin);
	ui_reset(ui, SCREEN_MENU, NULL); /* frees this screen */
	ui_say_result(ui, r);
}

static void submit(struct ui *ui, struct connexion *c)
{
	char email[400], password[1100];
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	field_text(&c->form.fields[PASSWORD], password, sizeof password);
	if (screens_form_ready(ui, &c->form, "Saisissez l'adresse e-mail et le mot de passe.", EMAIL))
		ui_send_prepared(ui, client_login(&ui->call, &ui->cli->net, email, password), login_done);
	memset(password, 0, sizeof password);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct connexion *c = (struct connexion *)s;
	switch (k->action) {
	case ACT_SIGNUP:
		ui_push(ui, SCREEN_INSCRIPTION, NULL);
		return HANDLED;
	case ACT_FORGOT: {
		char email[400];
		field_text(&c->form.fields[EMAIL], email, sizeof email);
		ui_push(ui, SCREEN_MOT_DE_PASSE_OUBLIE, email);
		return HANDLED;
	}
	case ACT_SUBMIT:
		if (c->form.focus == EMAIL && field_empty(&c->form.fields[PASSWORD]) && !field_empty(&c->form.fields[EMAIL]))
			c->form.focus = PASSWORD;
		else if (!ui_busy(ui))
			submit(ui, c);
		return HANDLED;
	default:
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	}
}

static void destroy(struct screen *s)
{
	struct connexion *c = (struct connexion *)s;
	form_clear(&c->form);
	free(c);
}

const struct screen_ops connexion_screen = {
	.title = "Connexion",
	.hint = "Entrée : se connecter · F2 : inscription · F3 : mot de passe oublié · F1 : aide · Ctrl-Q : quitter",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
