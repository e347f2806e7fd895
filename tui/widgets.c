#include "widgets.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "colors.h"

void field_init(struct field *f, const char *label, enum field_kind kind, int max)
{
	memset(f, 0, sizeof *f);
	f->label = label;
	f->kind = kind;
	f->max = max > FIELD_MAX ? FIELD_MAX : max;
}

void field_clear(struct field *f)
{
	volatile wchar_t *p = f->text;
	for (int i = 0; i <= FIELD_MAX; i++)
		p[i] = 0;
	f->len = f->cursor = 0;
}

int field_empty(const struct field *f)
{
	return f->len == 0;
}

static void insert(struct field *f, wchar_t c)
{
	if (f->len >= f->max)
		return;
	memmove(&f->text[f->cursor + 1], &f->text[f->cursor], (size_t)(f->len - f->cursor) * sizeof(wchar_t));
	f->text[f->cursor++] = c;
	f->text[++f->len] = 0;
}

static void erase_at(struct field *f, int pos)
{
	if (pos < 0 || pos >= f->len)
		return;
	memmove(&f->text[pos], &f->text[pos + 1], (size_t)(f->len - pos) * sizeof(wchar_t));
	f->len--;
	f->text[f->len] = 0;
}

int field_edit(struct field *f, const struct key *k)
{
	switch (k->action) {
	case ACT_CHAR:
		if (f->kind == FIELD_CODE) {
			/* a pasted code may carry spaces or dashes: skip them, keep the digits */
			if (k->ch >= L'0' && k->ch <= L'9')
				insert(f, k->ch);
		} else if (k->ch >= L' ') {
			insert(f, k->ch);
		}
		return 1;
	case ACT_BACKSPACE:
		if (f->cursor > 0)
			erase_at(f, --f->cursor);
		return 1;
	case ACT_DELETE:
		erase_at(f, f->cursor);
		return 1;
	case ACT_LEFT:
		if (f->cursor > 0)
			f->cursor--;
		return 1;
	case ACT_RIGHT:
		if (f->cursor < f->len)
			f->cursor++;
		return 1;
	case ACT_HOME:
		f->cursor = 0;
		return 1;
	case ACT_END:
		f->cursor = f->len;
		return 1;
	case ACT_REVEAL:
		if (f->kind != FIELD_PASSWORD)
			return 0;
		f->revealed = !f->revealed;
		return 1;
	default:
		return 0;
	}
}

void field_text(const struct field *f, char *out, size_t outsz)
{
	size_t n = wcstombs(out, f->text, outsz);
	if (n == (size_t)-1 || n >= outsz)
		out[0] = '\0';
}

void field_set(struct field *f, const char *utf8)
{
	field_clear(f);
	size_t n = mbstowcs(f->text, utf8, (size_t)f->max);
	if (n == (size_t)-1)
		n = 0;
	f->text[n] = 0;
	f->len = f->cursor = (int)n;
}

int form_add(struct form *form, const char *label, enum field_kind kind, int max)
{
	if (form->count >= FORM_MAX)
		return -1;
	field_init(&form->fields[form->count], label, kind, max);
	return form->count++;
}

int form_action(struct form *form, const struct key *k)
{
	if (form->count == 0)
		return 0;
	if (k->action == ACT_NEXT) {
		form->focus = (form->focus + 1) % form->count;
		return 1;
	}
	if (k->action == ACT_PREV) {
		form->focus = (form->focus + form->count - 1) % form->count;
		return 1;
	}
	return field_edit(&form->fields[form->focus], k);
}

void form_clear(struct form *form)
{
	for (int i = 0; i < form->count; i++)
		field_clear(&form->fields[i]);
	form->focus = 0;
}

void draw_text(int y, int x, int width, const char *utf8, int attr)
{
	wchar_t wide[1024];
	size_t n = mbstowcs(wide, utf8, 1023);
	if (n == (size_t)-1)
		return;
	wide[n] = 0;
	attron(attr);
	mvaddnwstr(y, x, wide, width > 0 ? width : 0);
	attroff(attr);
}

/* Digit boxes: [1][2][3][ ][ ][ ]; the cursor sits in the next empty box. */
static void draw_code(const struct field *f, int y, int x, int focused, int *cx)
{
	attr_t box = colors_attr(focused ? C_FOCUS : C_FIELD);
	for (int i = 0; i < f->max; i++) {
		mvaddch(y, x + i * 4, '[');
		attron(box);
		mvaddch(y, x + i * 4 + 1, ' ');
		if (i < f->len)
			mvaddnwstr(y, x + i * 4 + 1, &f->text[i], 1);
		attroff(box);
		mvaddch(y, x + i * 4 + 2, ']');
	}
	*cx = x + (f->cursor < f->max ? f->cursor : f->max - 1) * 4 + 1;
}

static void draw_field(const struct field *f, int y, int x, int width, int focused, int *cx)
{
	if (f->kind == FIELD_CODE) {
		draw_code(f, y, x, focused, cx);
		return;
	}
	attr_t attr = colors_attr(focused ? C_FOCUS : C_FIELD);
	/* scroll so the cursor stays visible */
	int first = f->cursor >= width ? f->cursor - width + 1 : 0;
	attron(attr);
	mvhline(y, x, ' ', width);
	for (int i = first, col = 0; i < f->len && col < width; i++, col++) {
		if (f->kind == FIELD_PASSWORD && !f->revealed)
			mvaddch(y, x + col, '*');
		else
			mvaddnwstr(y, x + col, &f->text[i], 1);
	}
	attroff(attr);
	*cx = x + (f->cursor - first);
}

void form_draw(const struct form *form, int y, int x, int label_width, int field_width)
{
	int cy = -1, cx = 0;
	for (int i = 0; i < form->count; i++) {
		const struct field *f = &form->fields[i];
		int focused = i == form->focus;
		draw_text(y + i * 2, x, label_width - 1, f->label, (int)colors_attr(focused ? C_TITLE : C_LABEL));
		int fx;
		draw_field(f, y + i * 2, x + label_width, field_width, focused, &fx);
		if (focused) {
			cy = y + i * 2;
			cx = fx;
		}
		if (f->kind == FIELD_PASSWORD)
			draw_text(y + i * 2, x + label_width + field_width + 1, 12, f->revealed ? "(F4 masquer)" : "(F4 voir)",
				  (int)colors_attr(C_HINT));
	}
	if (cy >= 0) {
		move(cy, cx);
		curs_set(1);
	}
}
