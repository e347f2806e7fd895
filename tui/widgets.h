#ifndef GUICHET_WIDGETS_H
#define GUICHET_WIDGETS_H
/*
 * Form widgets: text fields edited as characters (code points, whatever the
 * locale, so an accent is one character and one cell), masked password
 * fields, and OTP entry as digit boxes. Labels are UTF-8, translated when drawn.
 */
#include <stddef.h>
#include <wchar.h>

#include "keys.h"

#define FIELD_MAX 320
#define FORM_MAX 6

enum field_kind { FIELD_TEXT, FIELD_PASSWORD, FIELD_CODE };

struct field {
	const char *label; /* N_() */
	enum field_kind kind;
	wchar_t text[FIELD_MAX + 1];
	int len;
	int cursor;
	int max;      /* characters (FIELD_CODE: the number of digits) */
	int revealed; /* a password shown in clear (F4) */
	int fresh;    /* filled in for the user: the first character typed replaces it all */
};

struct form {
	struct field fields[FORM_MAX];
	int count;
	int focus;
};

void field_init(struct field *f, const char *label, enum field_kind kind, int max);
/*
 * Applies an editing request (characters, cursor moves, Backspace/Delete,
 * Ctrl-U/W/K, F4); 1 when the field used it. Codes take digits only (a
 * pasted code with spaces or dashes fills the boxes).
 */
int field_edit(struct field *f, const struct key *k);
/* The text as UTF-8 into out; "" when it does not fit. */
void field_text(const struct field *f, char *out, size_t outsz);
/* Sets the text (UTF-8), cursor at its end. */
void field_set(struct field *f, const char *utf8);
/* Empties the field, overwriting what it held (passwords, codes). */
void field_clear(struct field *f);
int field_empty(const struct field *f);

/* Adds a field to the form; returns its index. */
int form_add(struct form *form, const char *label, enum field_kind kind, int max);
/* Focus moves (Tab, arrows), F4 and editing of the focused field; 1 when used. */
int form_action(struct form *form, const struct key *k);
/* Draws labels and fields from row y, labels at x, fields at x + label_width; the cursor ends in the focused one. */
void form_draw(const struct form *form, int y, int x, int label_width, int field_width);
void form_clear(struct form *form);

/* Draws a UTF-8 string clipped to width cells (in ASCII on a terminal that is not UTF-8). */
void draw_text(int y, int x, int width, const char *utf8, int attr);

#endif
