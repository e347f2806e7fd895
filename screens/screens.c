#include "screens.h"

#include <stdio.h>
#include <time.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"

const struct screen_ops *const SCREENS[SCREEN_COUNT] = {
#define SCREEN_ENTRY(id, name) [SCREEN_##id] = &name##_screen,
	SCREEN_INFO(SCREEN_ENTRY)
#undef SCREEN_ENTRY
};

int screens_form_ready(struct ui *ui, struct form *form, const char *empty_message, int email_field)
{
	for (int i = 0; i < form->count; i++) {
		if (field_empty(&form->fields[i])) {
			ui_say(ui, C_ERROR, "%s", _(empty_message));
			form->focus = i;
			return 0;
		}
	}
	if (email_field >= 0 && !wcschr(form->fields[email_field].text, L'@')) {
		ui_say(ui, C_ERROR, "%s", _("Adresse e-mail invalide : il manque « @ »."));
		form->focus = email_field;
		return 0;
	}
	return 1;
}

void screens_local_time(const char *iso, const char *format, char *out, size_t outsz)
{
	time_t at = client_time(iso);
	struct tm tm;
	if (at < 0 || !localtime_r(&at, &tm) || !strftime(out, outsz, format, &tm))
		snprintf(out, outsz, "%s", iso);
}

int screens_confirmed(const struct key *k)
{
	return k->req == REQ_CHAR && (k->ch == L'o' || k->ch == L'O' || k->ch == L'y' || k->ch == L'Y');
}

void screens_phone(const char *typed, char *out, size_t outsz)
{
	size_t n = 0;
	for (; *typed && n + 1 < outsz; typed++)
		if (*typed != ' ' && *typed != '.' && *typed != '-')
			out[n++] = *typed;
	out[n] = '\0';
}
