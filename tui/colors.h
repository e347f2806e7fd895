#ifndef GUICHET_COLORS_H
#define GUICHET_COLORS_H
/*
 * Every colour role in one table (as ncdu's UI_COLORS): foreground,
 * background and attribute in colour, and the attribute alone for NO_COLOR
 * or monochrome terminals. Text keeps the terminal's own colours (-1), so a
 * light background reads as well as a dark one; colour is never the only
 * sign: success and error messages also say so in words.
 */
#include <curses.h>

#define UI_COLORS(_) \
	_(NORMAL, -1,           -1,          A_NORMAL,  A_NORMAL) \
	_(TITLE,  -1,           -1,          A_BOLD,    A_BOLD) \
	_(LABEL,  -1,           -1,          A_NORMAL,  A_NORMAL) \
	_(FIELD,  COLOR_WHITE,  COLOR_BLUE,  A_NORMAL,  A_UNDERLINE) \
	_(FOCUS,  COLOR_BLACK,  COLOR_CYAN,  A_NORMAL,  A_REVERSE) \
	_(OK,     COLOR_GREEN,  -1,          A_BOLD,    A_BOLD) \
	_(ERROR,  COLOR_RED,    -1,          A_BOLD,    A_BOLD) \
	_(HINT,   -1,           -1,          A_NORMAL,  A_NORMAL) \
	_(KEY,    -1,           -1,          A_REVERSE, A_REVERSE) \
	_(STATUS, -1,           -1,          A_REVERSE, A_REVERSE)

enum color_role {
#define COLOR_ENUM(name, fg, bg, attr, mono) C_##name,
	UI_COLORS(COLOR_ENUM)
#undef COLOR_ENUM
	C_COUNT
};

/* After initscr: colours unless NO_COLOR is set or the terminal has none. */
void colors_init(void);
/* The attributes to draw a role with. */
attr_t colors_attr(enum color_role role);

#endif
