/*
 * Démonstration: make demo's notice, on a screen of its own before Connexion:
 * the demo admin's whole matricule (nothing cut, so a copy is right), the
 * citizens, and the folders where the admin mail and the citizen SMS land.
 * GUICHET_DEMO gives them, one "key=value" per line (assets/demo.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

struct demo {
	struct screen base;
	char matricule[80], email[320], citizens[200], mail[1024], sms[1024];
};

static const struct legend LEGEND[] = {
	{ N_("F2 ^N"), N_("inscription, matricule et e-mail remplis"), 1 },
	{ N_("Entrée"), N_("continuer"), 2 },
	{ NULL, NULL, 0 },
};

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	(void)arg;
	struct demo *d = (struct demo *)s;
	const char *env = getenv("GUICHET_DEMO");
	if (!env || !*env)
		return -1; /* not a demo: nothing to show */
	const struct {
		const char *key;
		char *value;
		size_t size;
	} keys[] = {
		{ "matricule", d->matricule, sizeof d->matricule }, { "email", d->email, sizeof d->email },
		{ "citizens", d->citizens, sizeof d->citizens },    { "mail", d->mail, sizeof d->mail },
		{ "sms", d->sms, sizeof d->sms },
	};
	for (const char *line = env; *line;) {
		size_t len = strcspn(line, "\n"), eq = strcspn(line, "=");
		for (size_t i = 0; eq < len && i < sizeof keys / sizeof keys[0]; i++)
			if (strlen(keys[i].key) == eq && strncmp(line, keys[i].key, eq) == 0)
				snprintf(keys[i].value, keys[i].size, "%.*s", (int)(len - eq - 1), line + eq + 1);
		line += len + (line[len] == '\n');
	}
	return 0;
}

static void row(int y, int x, const char *label, const char *value)
{
	draw_text(y, x, 14, label, (int)colors_attr(C_TITLE));
	draw_text(y, x + 14, COLS - x - 16, value[0] ? value : "—", 0);
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct demo *d = (struct demo *)s;
	draw_text(3, 4, COLS - 8, _("Bienvenue dans la démonstration de guichet."), 0);
	draw_text(5, 4, COLS - 8, _("Admin de démonstration"), (int)colors_attr(C_TITLE));
	row(6, 6, _("Matricule"), d->matricule);
	row(7, 6, _("E-mail"), d->email);
	row(8, 4, _("Citoyens"), d->citizens);
	draw_text(10, 4, COLS - 8, _("Courrier : les codes des admins, un fichier .eml par message"), (int)colors_attr(C_TITLE));
	draw_text(11, 6, COLS - 8, d->mail, 0);
	draw_text(12, 4, COLS - 8, _("SMS : les codes des citoyens, un fichier par SMS"), (int)colors_attr(C_TITLE));
	draw_text(13, 6, COLS - 8, d->sms, 0);
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct demo *d = (struct demo *)s;
	if (k->req == REQ_SIGNUP) {
		struct signup_arg arg;
		snprintf(arg.matricule, sizeof arg.matricule, "%s", d->matricule);
		snprintf(arg.email, sizeof arg.email, "%s", d->email);
		ui_pop(ui); /* frees d */
		ui_push(ui, SCREEN_INSCRIPTION, &arg);
		return HANDLED;
	}
	if (k->req == REQ_SUBMIT) {
		ui_pop(ui);
		return HANDLED;
	}
	return UNKNOWN;
}

const struct screen_ops demo_screen = {
	.title = N_("Démonstration"),
	.role = ROLE_NOTICE,
	.size = sizeof(struct demo),
	.legend = LEGEND,
	.init = init,
	.draw = draw,
	.action = action,
};
