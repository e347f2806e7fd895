/*
 * The menu after login: 1–9, or the arrows and Enter. 1–6 are the contract's
 * first menu, in its order; the support desk's screens (7–9) come beside them
 * on a wide terminal, below them on a narrow one.
 */
#include <stdio.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

static const char *const ITEMS[] = { N_("Profil"), N_("OTP citoyen"), N_("Changer le mot de passe"),
				     N_("Changer l'adresse e-mail"), N_("Déconnexion"), N_("Quitter"),
				     N_("Citoyen"), N_("Journal"), N_("Sessions") };
#define ITEM_COUNT 9
#define FIRST_SUPPORT 6

struct menu {
	struct screen base;
	int selected;
};

static const struct legend LEGEND[] = {
	{ N_("1-9 ↑ ↓ Entrée"), N_("choisir"), 1 },
	{ NULL, NULL, 0 },
};

static void draw(struct ui *ui, struct screen *s)
{
	struct menu *m = (struct menu *)s;
	char line[600];
	snprintf(line, sizeof line, _("Bonjour %s %s."), ui->admin.prenom, ui->admin.nom);
	draw_text(3, 4, COLS - 8, line, 0);
	int wide = COLS >= 78;
	if (wide)
		draw_text(4, 42, COLS - 46, _("Support"), (int)colors_attr(C_TITLE));
	for (int i = 0; i < ITEM_COUNT; i++) {
		char item[200];
		int support = i >= FIRST_SUPPORT, y = wide && support ? 5 + i - FIRST_SUPPORT : 5 + i, x = wide && support ? 42 : 6;
		snprintf(item, sizeof item, " %d. %s", i + 1, _(ITEMS[i]));
		int w = (int)text_cells(item); /* the highlight spans one width, whatever the language */
		snprintf(line, sizeof line, "%s%*s", item, w < 30 ? 30 - w : 0, "");
		draw_text(y, x, COLS - x - 6, line, (int)colors_attr(i == m->selected ? C_FOCUS : C_NORMAL));
	}
}

static void logged_out(struct ui *ui, struct screen *s, const struct action_run *run)
{
	(void)s;
	ui_reset_role(ui, ROLE_START, ui->last_email); /* the shell has forgotten the token, whatever the answer */
	ui_say_result(ui, run);
}

static void choose(struct ui *ui, int item)
{
	switch (item) {
	case 0: ui_push(ui, SCREEN_PROFIL, NULL); break;
	case 1: ui_push(ui, SCREEN_OTP_CITOYEN, NULL); break;
	case 2: ui_push(ui, SCREEN_CHANGER_MOT_DE_PASSE, NULL); break;
	case 3: ui_push(ui, SCREEN_CHANGER_EMAIL, NULL); break;
	case 4: ui_request(ui, ACTION_LOGOUT, NULL, logged_out); break;
	case 5: ui->quit = 1; break;
	case 6: ui_push(ui, SCREEN_CITOYEN, NULL); break;
	case 7: ui_push(ui, SCREEN_JOURNAL, NULL); break;
	case 8: ui_push(ui, SCREEN_SESSIONS, NULL); break;
	default: break;
	}
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct menu *m = (struct menu *)s;
	switch (k->req) {
	case REQ_NEXT:
	case REQ_DOWN:
		m->selected = (m->selected + 1) % ITEM_COUNT;
		return HANDLED;
	case REQ_PREV:
	case REQ_UP:
		m->selected = (m->selected + ITEM_COUNT - 1) % ITEM_COUNT;
		return HANDLED;
	case REQ_SUBMIT:
		choose(ui, m->selected);
		return HANDLED;
	case REQ_CHAR:
		if (k->ch >= L'1' && k->ch <= L'9') {
			m->selected = (int)(k->ch - L'1');
			choose(ui, m->selected);
			return HANDLED;
		}
		return UNKNOWN;
	default:
		return UNKNOWN;
	}
}

const struct screen_ops menu_screen = {
	.title = N_("Menu"),
	.role = ROLE_HOME,
	.size = sizeof(struct menu),
	.legend = LEGEND,
	.draw = draw,
	.action = action,
};
