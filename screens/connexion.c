/* Connexion: e-mail and password; F2 Inscription, F3 Mot de passe oublié. */
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct connexion {
	struct screen base;
	struct form form;
};

enum { EMAIL, PASSWORD };

static const struct legend LEGEND[] = {
	{ N_("Entrée"), N_("se connecter"), 3 },
	{ N_("F2 ^N"), N_("inscription"), 1 },
	{ N_("F3 ^O"), N_("mot de passe oublié"), 2 },
	{ NULL, NULL, 0 },
};

/* arg: the address to fill in (the last admin's), or NULL. */
static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	struct connexion *c = (struct connexion *)s;
	form_add(&c->form, N_("Adresse e-mail"), FIELD_TEXT, 254);
	form_add(&c->form, N_("Mot de passe"), FIELD_PASSWORD, 1024);
	if (arg && *(const char *)arg) {
		field_set(&c->form.fields[EMAIL], arg);
		c->form.focus = PASSWORD;
	}
	return 0;
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct connexion *c = (struct connexion *)s;
	draw_text(3, 4, COLS - 8, _("Connectez-vous avec votre adresse e-mail d'administrateur."), 0);
	form_draw(&c->form, 5, 4, 20, 36);
}

static void login_done(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct connexion *c = (struct connexion *)s;
	field_clear(&c->form.fields[PASSWORD]);
	if (!action_starts_session(run)) {
		ui_say_result(ui, run);
		c->form.focus = PASSWORD;
		return;
	}
	ui_reset_role(ui, ROLE_HOME, NULL); /* frees this screen */
	ui_say_result(ui, run);
}

static void submit(struct ui *ui, struct connexion *c)
{
	char email[400], password[1100];
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	field_text(&c->form.fields[PASSWORD], password, sizeof password);
	if (screens_form_ready(ui, &c->form, N_("Saisissez l'adresse e-mail et le mot de passe."), EMAIL))
		ui_request(ui, ACTION_LOGIN, &(struct action_input){ .email = email, .password = password }, login_done);
	memset(password, 0, sizeof password);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct connexion *c = (struct connexion *)s;
	switch (k->req) {
	case REQ_SIGNUP: {
		struct signup_arg arg = { .matricule = "" };
		field_text(&c->form.fields[EMAIL], arg.email, sizeof arg.email);
		ui_push(ui, SCREEN_INSCRIPTION, &arg);
		return HANDLED;
	}
	case REQ_FORGOT: {
		char email[400];
		field_text(&c->form.fields[EMAIL], email, sizeof email);
		ui_push(ui, SCREEN_MOT_DE_PASSE_OUBLIE, email);
		return HANDLED;
	}
	case REQ_SUBMIT:
		if (c->form.focus == EMAIL && field_empty(&c->form.fields[PASSWORD]) && !field_empty(&c->form.fields[EMAIL]))
			c->form.focus = PASSWORD;
		else
			submit(ui, c);
		return HANDLED;
	default:
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	}
}

static void release(struct screen *s)
{
	form_clear(&((struct connexion *)s)->form);
}

const struct screen_ops connexion_screen = {
	.title = N_("Connexion"),
	.role = ROLE_START,
	.size = sizeof(struct connexion),
	.takes_text = 1,
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
	.release = release,
};
