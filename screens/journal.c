/*
 * Journal: the audit trail, newest first, as the support desk reads it.
 * The arrows and PgUp/PgDn scroll; reaching the last entry loaded fetches
 * the next page. `/` searches the entries loaded and n/N repeat the search
 * forwards and backwards, as in less and tig; `a` and `t` narrow the trail
 * to one admin or one phone (the server filters); Enter shows one entry in
 * full. Nothing here takes text but the prompt, so `?` opens help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tui/ui.h"
#include "../tui/widgets.h"
#include "screens.h"

enum prompt { PROMPT_NONE, PROMPT_SEARCH, PROMPT_ADMIN, PROMPT_PHONE };

struct journal {
	struct screen base;
	struct client_audit_entry *entries; /* the pages loaded so far (owned) */
	int count, cap;
	long long next;       /* the next page's `before`; 0 once the oldest is loaded */
	int appending;        /* the page in flight goes after the others (else it starts afresh) */
	int loaded;           /* a first page came */
	int selected, top;    /* the highlighted entry, the first one shown */
	int detail;           /* the selected entry shown in full */
	enum prompt prompt;
	struct form input;    /* the prompt's one field */
	char search[401];     /* the last search, for n and N */
	char admin[320];      /* the filters the server applies */
	char phone[64];
};

static const struct legend LEGEND[] = {
	{ N_("/ n N"), N_("chercher"), 1 },
	{ N_("Entrée"), N_("détail"), 2 },
	{ N_("a t"), N_("filtrer"), 3 },
	{ N_("↑ ↓ PgUp/Dn"), N_("défiler"), 4 },
	{ N_("F5"), N_("actualiser"), 5 },
	{ NULL, NULL, 0 },
};

/* The rows the list has on this terminal. */
static int list_rows(void)
{
	int rows = LINES - 1 - UI_MESSAGE_ROWS - 1 - 5; /* below the header, above the legend */
	return rows > 1 ? rows : 1;
}

static void loaded(struct ui *ui, struct screen *s, const struct action_run *run)
{
	struct journal *j = (struct journal *)s;
	if (run->r.outcome != CLIENT_OK || !run->r.has_audit) {
		ui_say_result(ui, run);
		return;
	}
	if (!j->appending) {
		j->count = j->selected = j->top = 0;
		j->detail = 0;
	}
	if (j->count + run->r.naudit > j->cap) {
		int cap = j->cap ? j->cap * 2 : 128;
		while (cap < j->count + run->r.naudit)
			cap *= 2;
		struct client_audit_entry *grown = realloc(j->entries, (size_t)cap * sizeof *grown);
		if (!grown) {
			ui_say(ui, C_ERROR, "%s", _("Mémoire insuffisante pour la suite du journal."));
			return;
		}
		j->entries = grown;
		j->cap = cap;
	}
	memcpy(j->entries + j->count, run->r.audit, (size_t)run->r.naudit * sizeof *j->entries);
	j->count += run->r.naudit;
	j->next = run->r.audit_next;
	j->loaded = 1;
}

/* Fetches the first page (again), or the one after those loaded. */
static void load(struct ui *ui, struct journal *j, int more)
{
	struct action_input in = { .limit = CLIENT_AUDIT_PAGE, .id = more ? j->next : 0, .admin = j->admin,
				   .phone = j->phone };
	if (more && (!j->next || ui_busy(ui)))
		return;
	if (ui_request(ui, ACTION_AUDIT, &in, loaded) == 0)
		j->appending = more;
}

static void opened(struct ui *ui, struct screen *s)
{
	load(ui, (struct journal *)s, 0);
}

static int init(struct ui *ui, struct screen *s, const void *arg)
{
	(void)ui;
	(void)arg;
	form_add(&((struct journal *)s)->input, "", FIELD_TEXT, 100);
	return 0;
}

/* Moves the selection to i (clamped), scrolls to show it, and fetches the next page at the bottom. */
static void select_entry(struct ui *ui, struct journal *j, int i)
{
	if (i >= j->count)
		i = j->count - 1;
	if (i < 0)
		i = 0;
	j->selected = i;
	if (j->selected < j->top)
		j->top = j->selected;
	if (j->selected >= j->top + list_rows())
		j->top = j->selected - list_rows() + 1;
	if (j->count && j->selected >= j->count - 1)
		load(ui, j, 1);
}

/* Case-insensitive (ASCII) search of needle in what an entry shows. */
static int entry_matches(const struct client_audit_entry *e, const char *needle)
{
	char hay[1200], low[sizeof hay], when[32];
	screens_local_time(e->at, "%d/%m %H:%M:%S", when, sizeof when);
	snprintf(hay, sizeof hay, "%s\t%s\t%s\t%s\t%s\t%s\t%s", when, e->at, e->actor, e->event, e->outcome, e->ip,
		 e->detail);
	char pattern[sizeof ((struct journal *)0)->search];
	size_t i;
	for (i = 0; hay[i]; i++)
		low[i] = (char)(hay[i] >= 'A' && hay[i] <= 'Z' ? hay[i] + 32 : hay[i]);
	low[i] = '\0';
	for (i = 0; needle[i] && i + 1 < sizeof pattern; i++)
		pattern[i] = (char)(needle[i] >= 'A' && needle[i] <= 'Z' ? needle[i] + 32 : needle[i]);
	pattern[i] = '\0';
	return strstr(low, pattern) != NULL;
}

/* The first entry loaded from `from` on, going dir (1 or -1), that matches the search. */
static void search(struct ui *ui, struct journal *j, int from, int dir)
{
	if (!j->search[0]) {
		ui_say(ui, C_HINT, "%s", _("Aucune recherche : / pour chercher."));
		return;
	}
	for (int i = from; i >= 0 && i < j->count; i += dir) {
		if (entry_matches(&j->entries[i], j->search)) {
			select_entry(ui, j, i);
			ui->message[0] = '\0';
			return;
		}
	}
	if (dir > 0 && j->next)
		ui_say(ui, C_HINT, _("« %s » : rien de plus dans les %d entrées chargées (PgDn charge la suite)."), j->search,
		       j->count);
	else
		ui_say(ui, C_HINT, _("« %s » : pas d'autre entrée."), j->search);
}

/* The prompt's Enter: search, or a new filter (the trail is fetched again). */
static void prompt_done(struct ui *ui, struct journal *j)
{
	const struct field *f = &j->input.fields[0];
	enum prompt p = j->prompt;
	j->prompt = PROMPT_NONE;
	if (p == PROMPT_SEARCH) {
		if (!field_empty(f)) /* an empty search repeats the last one */
			field_text(f, j->search, sizeof j->search);
		search(ui, j, j->selected, 1); /* the selected entry itself may be the one */
		return;
	}
	/* text that does not fit its filter clears it, as an empty one does */
	if (p == PROMPT_ADMIN)
		field_text(f, j->admin, sizeof j->admin);
	else
		field_text(f, j->phone, sizeof j->phone);
	load(ui, j, 0);
}

static void open_prompt(struct journal *j, enum prompt p)
{
	struct field *f = &j->input.fields[0];
	j->prompt = p;
	field_clear(f);
	if (p == PROMPT_ADMIN)
		field_set(f, j->admin);
	else if (p == PROMPT_PHONE)
		field_set(f, j->phone);
	f->fresh = 1;
}

/* Draws text from (y, x) over as many rows of width cells as it needs, up to max; returns the rows used. */
static int draw_wrapped(int y, int x, int width, const char *utf8, int max)
{
	wchar_t text[400];
	char part[400 * 4 + 1];
	size_t n = text_decode(utf8, text, 399), at = 0;
	int rows = 0;
	if (width < 1)
		return 1;
	do {
		size_t len = n - at < (size_t)width ? n - at : (size_t)width;
		text_encode(text + at, len, part, sizeof part);
		draw_text(y + rows++, x, width, part, 0);
		at += len;
	} while (at < n && rows < max);
	return rows;
}

static void draw_detail(const struct client_audit_entry *e)
{
	char id[32], local[40];
	snprintf(id, sizeof id, "%lld", e->id);
	screens_local_time(e->at, "%d/%m/%Y %H:%M:%S", local, sizeof local);
	const char *labels[] = { _("Entrée n°"), _("Date"), _("UTC"), _("Acteur"), _("Événement"), _("Résultat"),
				 _("Adresse IP"), _("Détail") };
	const char *values[] = { id, local, e->at, e->actor, e->event, e->outcome, e->ip, e->detail };
	int y = 5, last = LINES - 1 - UI_MESSAGE_ROWS - 2; /* above the hint and the legend */
	for (int i = 0; i < 8 && y < last; i++) {
		draw_text(y, 4, 14, labels[i], (int)colors_attr(C_TITLE));
		y += draw_wrapped(y, 18, COLS - 22, values[i][0] ? values[i] : "—", last - y); /* whole, however long */
	}
	draw_text(y + 1 < last + 1 ? y + 1 : last, 4, COLS - 8, _("Entrée ou Échap : revenir à la liste."),
		  (int)colors_attr(C_HINT));
}

/* The list's columns for this width: date, actor, event and outcome, detail (x and width of each). */
struct columns {
	int x[4], w[4];
};

static struct columns columns(void)
{
	int rest = COLS - 4 - 15; /* after the date */
	struct columns c = { .x = { 2, 17 }, .w = { 14, rest * 30 / 100 } };
	c.w[2] = rest * 36 / 100;
	c.w[3] = rest - c.w[1] - c.w[2] - 2;
	c.x[2] = c.x[1] + c.w[1] + 1;
	c.x[3] = c.x[2] + c.w[2] + 1;
	return c;
}

static void draw_row(int y, const struct columns *c, const struct client_audit_entry *e, int selected)
{
	char when[32], what[100];
	int a = (int)colors_attr(selected ? C_FOCUS : C_NORMAL);
	if (selected) {
		attron((attr_t)a);
		mvhline(y, 2, ' ', COLS - 4);
		attroff((attr_t)a);
	}
	screens_local_time(e->at, "%d/%m %H:%M:%S", when, sizeof when);
	snprintf(what, sizeof what, "%s %s", e->event, e->outcome);
	const char *cells[] = { when, e->actor, what, e->detail[0] ? e->detail : "—" };
	for (int i = 0; i < 4; i++)
		draw_text(y, c->x[i], c->w[i], cells[i], a);
}

static void draw(struct ui *ui, struct screen *s)
{
	(void)ui;
	struct journal *j = (struct journal *)s;
	char line[600];
	if (j->prompt != PROMPT_NONE) {
		const char *label = j->prompt == PROMPT_SEARCH ? _("Chercher :")
				  : j->prompt == PROMPT_ADMIN ? _("Admin (vide : tous) :")
							      : _("Téléphone (vide : tous) :");
		draw_text(3, 2, 26, label, (int)colors_attr(C_TITLE));
	} else if (j->admin[0] || j->phone[0]) {
		snprintf(line, sizeof line, _("Filtres : admin %s · téléphone %s"), j->admin[0] ? j->admin : _("tous"),
			 j->phone[0] ? j->phone : _("tous"));
		draw_text(3, 2, COLS - 4, line, (int)colors_attr(C_HINT));
	} else {
		snprintf(line, sizeof line, _("%d entrée(s) chargée(s)%s"), j->count, j->next ? _(", d'autres plus anciennes") : "");
		draw_text(3, 2, COLS - 4, line, (int)colors_attr(C_HINT));
	}
	if (j->detail && j->selected < j->count) {
		draw_detail(&j->entries[j->selected]);
	} else {
		struct columns c = columns();
		const char *heads[] = { _("Date"), _("Acteur"), _("Événement"), _("Détail") };
		for (int i = 0; i < 4; i++)
			draw_text(4, c.x[i], c.w[i], heads[i], (int)colors_attr(C_TITLE));
		for (int r = 0; r < list_rows() && j->top + r < j->count; r++)
			draw_row(5 + r, &c, &j->entries[j->top + r], j->top + r == j->selected);
		if (j->loaded && !j->count)
			draw_text(5, 2, COLS - 4, _("(aucune entrée)"), (int)colors_attr(C_HINT));
	}
	if (j->prompt != PROMPT_NONE)
		form_draw(&j->input, 3, 28, 0, COLS - 32 < 40 ? COLS - 32 : 40); /* last: the cursor in the prompt */
}

static enum handled prompt_key(struct ui *ui, struct journal *j, const struct key *k)
{
	if (k->req == REQ_SUBMIT)
		prompt_done(ui, j);
	else if (k->req == REQ_BACK)
		j->prompt = PROMPT_NONE;
	else
		field_edit(&j->input.fields[0], k);
	return HANDLED;
}

static enum handled action(struct ui *ui, struct screen *s, const struct key *k)
{
	struct journal *j = (struct journal *)s;
	if (j->prompt != PROMPT_NONE)
		return prompt_key(ui, j, k);
	if (j->detail) {
		if (k->req != REQ_SUBMIT && k->req != REQ_BACK)
			return UNKNOWN;
		j->detail = 0;
		return HANDLED;
	}
	int page = list_rows();
	switch (k->req) {
	case REQ_DOWN: select_entry(ui, j, j->selected + 1); return HANDLED;
	case REQ_UP: select_entry(ui, j, j->selected - 1); return HANDLED;
	case REQ_PAGE_DOWN: select_entry(ui, j, j->selected + page); return HANDLED;
	case REQ_PAGE_UP: select_entry(ui, j, j->selected - page); return HANDLED;
	case REQ_HOME: select_entry(ui, j, 0); return HANDLED;
	case REQ_END: select_entry(ui, j, j->count - 1); return HANDLED;
	case REQ_RESEND: load(ui, j, 0); return HANDLED;
	case REQ_SUBMIT:
		j->detail = j->count > 0;
		return HANDLED;
	case REQ_CHAR:
		switch (k->ch) {
		case L'/': open_prompt(j, PROMPT_SEARCH); return HANDLED;
		case L'n': search(ui, j, j->selected + 1, 1); return HANDLED;
		case L'N': search(ui, j, j->selected - 1, -1); return HANDLED;
		case L'a': open_prompt(j, PROMPT_ADMIN); return HANDLED;
		case L't': open_prompt(j, PROMPT_PHONE); return HANDLED;
		default: return UNKNOWN;
		}
	default:
		return UNKNOWN;
	}
}

static void release(struct screen *s)
{
	struct journal *j = (struct journal *)s;
	free(j->entries);
	j->entries = NULL;
	form_clear(&j->input);
}

const struct screen_ops journal_screen = {
	.title = N_("Journal"),
	.size = sizeof(struct journal),
	.legend = LEGEND,
	.init = init,
	.opened = opened,
	.draw = draw,
	.action = action,
	.release = release,
};
