#ifndef GUICHET_COLORS_H
#define GUICHET_COLORS_H
/*
 * Every colour role in one table (as ncdu's UI_COLORS): foreground,
 * background and attribute in colour, and the attribute alone for NO_COLOR
 * or monochrome terminals.
 */
#include <curses.h>

#define UI_COLORS(_) \
	_(NORMAL, COLOR_WHITE,  -1,          A_NORMAL, A_NORMAL) \
	_(TITLE,  COLOR_CYAN,   -1,          A_BOLD,   A_BOLD) \
	_(LABEL,  COLOR_WHITE,  -1,          A_NORMAL, A_NORMAL) \
	_(FIELD,  COLOR_WHITE,  COLOR_BLUE,  A_NORMAL, A_UNDERLINE) \
	_(FOCUS,  COLOR_BLACK,  COLOR_CYAN,  A_BOLD,   A_REVERSE) \
	_(OK,     COLOR_GREEN,  -1,          A_BOLD,   A_BOLD) \
	_(ERROR,  COLOR_RED,    -1,          A_BOLD,   A_BOLD | A_UNDERLINE) \
	_(HINT,   COLOR_YELLOW, -1,          A_NORMAL, A_DIM) \
	_(STATUS, COLOR_BLACK,  COLOR_WHITE, A_NORMAL, A_REVERSE)

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
