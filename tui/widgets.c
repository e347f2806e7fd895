#include "widgets.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "colors.h"
#include "text.h"

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
	f->len = f->cursor = f->fresh = 0;
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

/* Removes the characters [from, to). */
static void erase_range(struct field *f, int from, int to)
{
	if (from < 0 || to > f->len || from >= to)
		return;
	memmove(&f->text[from], &f->text[to], (size_t)(f->len - to) * sizeof(wchar_t));
	f->len -= to - from;
	for (int i = f->len; i < f->len + (to - from); i++)
		f->text[i] = 0;
	if (f->cursor > from)
		f->cursor = f->cursor >= to ? f->cursor - (to - from) : from;
}

/* Ctrl-W: the word before the cursor, and the blanks after it (as a shell does). */
static int word_start(const struct field *f)
{
	int i = f->cursor;
	while (i > 0 && (f->text[i - 1] == L' ' || f->text[i - 1] == L'\t'))
		i--;
	while (i > 0 && f->text[i - 1] != L' ' && f->text[i - 1] != L'\t')
		i--;
	return i;
}

int field_edit(struct field *f, const struct key *k)
{
	if (k->req == REQ_CHAR && f->fresh)
		field_clear(f);
	if (k->req != REQ_REVEAL)
		f->fresh = 0;
	switch (k->req) {
	case REQ_CHAR:
		if (f->kind != FIELD_CODE)
			insert(f, k->ch);
		else if (k->ch >= L'0' && k->ch <= L'9')
			insert(f, k->ch);
		else /* spaces and dashes of a pasted code are skipped; other keys are not the field's */
			return k->ch == L' ' || k->ch == L'-';
		return 1;
	case REQ_BACKSPACE:
		erase_range(f, f->cursor - 1, f->cursor);
		return 1;
	case REQ_DELETE:
		erase_range(f, f->cursor, f->cursor + 1);
		return 1;
	case REQ_KILL_START:
		erase_range(f, 0, f->cursor);
		return 1;
	case REQ_KILL_WORD:
		erase_range(f, word_start(f), f->cursor);
		return 1;
	case REQ_KILL_END:
		erase_range(f, f->cursor, f->len);
		return 1;
	case REQ_LEFT:
		if (f->cursor > 0)
			f->cursor--;
		return 1;
	case REQ_RIGHT:
		if (f->cursor < f->len)
			f->cursor++;
		return 1;
	case REQ_HOME:
		f->cursor = 0;
		return 1;
	case REQ_END:
		f->cursor = f->len;
		return 1;
	case REQ_REVEAL:
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
	text_encode(f->text, (size_t)f->len, out, outsz);
}

void field_set(struct field *f, const char *utf8)
{
	field_clear(f);
	f->len = f->cursor = (int)text_decode(utf8, f->text, (size_t)f->max);
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
	if (k->req == REQ_NEXT || k->req == REQ_DOWN) {
		form->focus = (form->focus + 1) % form->count;
		return 1;
	}
	if (k->req == REQ_PREV || k->req == REQ_UP) {
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

/* One character as the terminal can show it: itself, or its ASCII stand-in. */
static void put_char(int y, int x, wchar_t c)
{
	if (text_utf8() || c < 0x80) {
		mvaddnwstr(y, x, &c, 1);
	} else {
		char buf[2];
		mvaddch(y, x, (chtype)(unsigned char)text_ascii(c, buf)[0]);
	}
}

void draw_text(int y, int x, int width, const char *utf8, int attr)
{
	wchar_t wide[1024], ascii[1024];
	size_t n = text_decode(utf8, wide, 1023);
	const wchar_t *shown = wide;
	if (!text_utf8()) {
		size_t m = 0;
		for (size_t i = 0; i < n && m < 1023; i++) {
			char buf[2];
			for (const char *a = wide[i] < 0x80 ? NULL : text_ascii(wide[i], buf); a && *a && m < 1023; a++)
				ascii[m++] = (wchar_t)*a;
			if (wide[i] < 0x80)
				ascii[m++] = wide[i];
		}
		ascii[m] = 0;
		shown = ascii;
	}
	attron(attr);
	mvaddnwstr(y, x, shown, width > 0 ? width : 0);
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
			put_char(y, x + i * 4 + 1, f->text[i]);
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
	for (int i = first, col = 0; i < f->len && col < width; i++, col++)
		put_char(y, x + col, f->kind == FIELD_PASSWORD && !f->revealed ? L'*' : f->text[i]);
	attroff(attr);
	*cx = x + (f->cursor - first);
}

void form_draw(const struct form *form, int y, int x, int label_width, int field_width)
{
	int cy = -1, cx = 0;
	for (int i = 0; i < form->count; i++) {
		const struct field *f = &form->fields[i];
		int focused = i == form->focus;
		draw_text(y + i * 2, x, label_width - 1, _(f->label), (int)colors_attr(focused ? C_TITLE : C_LABEL));
		int fx;
		draw_field(f, y + i * 2, x + label_width, field_width, focused, &fx);
		if (focused) {
			cy = y + i * 2;
			cx = fx;
		}
		if (f->kind == FIELD_PASSWORD)
			draw_text(y + i * 2, x + label_width + field_width + 1, 16,
				  f->revealed ? _("(F4 ^T masquer)") : _("(F4 ^T voir)"), (int)colors_attr(C_HINT));
	}
	if (cy >= 0) {
		move(cy, cx);
		curs_set(1);
	}
}
