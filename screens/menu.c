/* The menu after login: 1–6, or the arrows and Enter. */
#include <stdio.h>
#include <stdlib.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

static const char *const ITEMS[] = { "Profil", "OTP citoyen", "Changer le mot de passe",
				     "Changer l'adresse e-mail", "Déconnexion", "Quitter" };
#define ITEM_COUNT 6

struct menu {
	struct screen base;
	int selected;
};

static struct screen *create(struct ui *ui, const void *arg)
{
	(void)ui;
	(void)arg;
	struct menu *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	return &m->base;
}

static void draw(struct ui *ui, struct screen *s)
{
	struct menu *m = (struct menu *)s;
	char line[600];
	snprintf(line, sizeof line, "Bonjour %s %s.", ui->admin.prenom, ui->admin.nom);
	draw_text(3, 4, COLS - 8, line, 0);
	for (int i = 0; i < ITEM_COUNT; i++) {
		snprintf(line, sizeof line, " %d. %-28s", i + 1, ITEMS[i]);
		draw_text(5 + i, 6, COLS - 12, line, (int)colors_attr(i == m->selected ? C_FOCUS : C_NORMAL));
	}
}

static void logged_out(struct ui *ui, struct screen *s, const struct client_result *r)
{
	(void)s;
	char email[320];
	snprintf(email, sizeof email, "%s", ui->admin.email);
	ui_session_end(ui); /* whatever the server said, the token goes */
	ui_reset(ui, SCREEN_CONNEXION, email);
	if (r->outcome == CLIENT_UNREACHABLE)
		ui_say(ui, C_ERROR, "%s — jeton supprimé localement.", r->message);
	else if (r->auth_failed)
		ui_say(ui, C_OK, "Session déjà fermée — jeton supprimé localement.");
	else
		ui_say_result(ui, r);
}

static void choose(struct ui *ui, int item)
{
	switch (item) {
	case 0: ui_push(ui, SCREEN_PROFIL, NULL); break;
	case 1: ui_push(ui, SCREEN_OTP_CITOYEN, NULL); break;
	case 2: ui_push(ui, SCREEN_CHANGER_MOT_DE_PASSE, NULL); break;
	case 3: ui_push(ui, SCREEN_CHANGER_EMAIL, NULL); break;
	case 4:
		if (!ui_busy(ui))
			ui_send_prepared(ui, client_logout(&ui->call, &ui->cli->net, ui->token), logged_out);
		break;
	case 5: ui->quit = 1; break;
	default: break;
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct menu *m = (struct menu *)s;
	switch (k->action) {
	case ACT_NEXT:
		m->selected = (m->selected + 1) % ITEM_COUNT;
		return HANDLED;
	case ACT_PREV:
		m->selected = (m->selected + ITEM_COUNT - 1) % ITEM_COUNT;
		return HANDLED;
	case ACT_SUBMIT:
		choose(ui, m->selected);
		return HANDLED;
	case ACT_CHAR:
		if (k->ch >= L'1' && k->ch <= L'6') {
			m->selected = (int)(k->ch - L'1');
			choose(ui, m->selected);
			return HANDLED;
		}
		return UNKNOWN;
	default:
		return UNKNOWN;
	}
}

static void destroy(struct screen *s)
{
	free(s);
}

const struct screen_ops menu_screen = {
	.title = "Menu",
	.hint = "1–6 ou ↑↓ et Entrée : choisir · F1 : aide · Ctrl-Q : quitter",
	.create = create,
	.draw = draw,
	.action = action,
	.destroy = destroy,
};
