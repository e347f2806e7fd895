#include "colors.h"

#include <stdlib.h>

struct color_def {
	short fg, bg;
	attr_t attr, mono;
};

static const struct color_def DEFS[C_COUNT] = {
#define COLOR_DEF(name, f, b, a, m) [C_##name] = { .fg = f, .bg = b, .attr = a, .mono = m },
	UI_COLORS(COLOR_DEF)
#undef COLOR_DEF
};

static int use_color;

void colors_init(void)
{
	const char *no_color = getenv("NO_COLOR");
	use_color = has_colors() && !(no_color && *no_color);
	if (!use_color)
		return;
	start_color();
	use_default_colors();
	for (int i = 0; i < C_COUNT; i++)
		init_pair((short)(i + 1), DEFS[i].fg, DEFS[i].bg);
}

attr_t colors_attr(enum color_role role)
{
	if (!use_color)
		return DEFS[role].mono;
	/* a role in the terminal's own colours needs no pair */
	if (DEFS[role].fg < 0 && DEFS[role].bg < 0)
		return DEFS[role].attr;
	return (attr_t)COLOR_PAIR(role + 1) | DEFS[role].attr;
}
