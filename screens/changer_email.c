/* Changer l'adresse e-mail: the new address and the current password; Code OTP follows. */
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

struct changer_email {
	struct screen base;
	struct form form;
};

enum { EMAIL, PASSWORD };

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	struct changer_email *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	form_add(&c->form, "Nouvelle adresse", FIELD_TEXT, 254);
	form_add(&c->form, "Mot de passe actuel", FIELD_PASSWORD, 1024);
	return &c->base;
}

static void draw(struct ui *ui, struct screen *s)
{
	struct changer_email *c = (struct changer_email *)s;
	char line[512];
	snprintf(line, sizeof line, "Adresse actuelle : %s", ui->admin.email);
	draw_text(3, 4, COLS - 8, line, 0);
	draw_text(4, 4, COLS - 8, "Un code sera envoyé à la nouvelle adresse.", 0);
	form_draw(&c->form, 6, 4, 22, 36);
}

static void init_done(struct ui *ui, struct screen *s, const struct client_result *r)
{
	struct changer_email *c = (struct changer_email *)s;
	field_clear(&c->form.fields[PASSWORD]);
	c->form.focus = PASSWORD;
	if (ui_session_lost(ui, r))
		return;
	ui_say_result(ui, r);
	if (r->outcome != CLIENT_OK)
		return;
	struct code_otp_arg arg = { .purpose = CODE_EMAIL };
	field_text(&c->form.fields[EMAIL], arg.email, sizeof arg.email);
	ui_push(ui, SCREEN_CODE_OTP, &arg);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct changer_email *c = (struct changer_email *)s;
	if (k->action != ACT_SUBMIT)
		return form_action(&c->form, k) ? HANDLED : UNKNOWN;
	if (ui_busy(ui))
		return HANDLED;
	char email[400], password[1100];
	field_text(&c->form.fields[EMAIL], email, sizeof email);
	field_text(&c->form.fields[PASSWORD], password, sizeof password);
	if (screens_form_ready(ui, &c->form, "Saisissez la nouvelle adresse et votre mot de passe actuel.", EMAIL))
		ui_send_prepared(ui, client_email_change_init(&ui->call, &ui->cli->net, ui->token, email, password), init_done);
	memset(password, 0, sizeof password);
	return HANDLED;
}

static void destroy(struct screen *s)
{
	struct changer_email *c = (struct changer_email *)s;
	form_clear(&c->form);
	free(c);
}

const struct screen_ops changer_email_screen = {
	.title = "Changer l'adresse e-mail",
	.hint = "Entrée : envoyer le code · F4 : voir le mot de passe · Échap : retour",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
