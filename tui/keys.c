#include "keys.h"

#include <curses.h>

static const char *const HELP[ACT_COUNT] = {
#define ACTION_HELP(name, help) [ACT_##name] = help,
	ACTIONS(ACTION_HELP)
#undef ACTION_HELP
};

const char *keys_help(enum action a)
{
	return a < ACT_COUNT ? HELP[a] : "";
}

#define CTRL(c) ((c) & 0x1f)

struct key keys_map(int rc, wint_t wch)
{
	struct key k = { .action = ACT_NONE, .ch = 0 };
	if (rc == KEY_CODE_YES) {
		switch (wch) {
		case KEY_DOWN: k.action = ACT_NEXT; break;
		case KEY_UP:
		case KEY_BTAB: k.action = ACT_PREV; break;
		case KEY_LEFT: k.action = ACT_LEFT; break;
		case KEY_RIGHT: k.action = ACT_RIGHT; break;
		case KEY_HOME: k.action = ACT_HOME; break;
		case KEY_END: k.action = ACT_END; break;
		case KEY_BACKSPACE: k.action = ACT_BACKSPACE; break;
		case KEY_DC: k.action = ACT_DELETE; break;
		case KEY_ENTER: k.action = ACT_SUBMIT; break;
		case KEY_RESIZE: k.action = ACT_RESIZE; break;
		case KEY_F(1): k.action = ACT_HELP; break;
		case KEY_F(2): k.action = ACT_SIGNUP; break;
		case KEY_F(3): k.action = ACT_FORGOT; break;
		case KEY_F(4): k.action = ACT_REVEAL; break;
		case KEY_F(5): k.action = ACT_RESEND; break;
		default: break;
		}
		return k;
	}
	if (rc != OK)
		return k;
	switch (wch) {
	case '\t': k.action = ACT_NEXT; break;
	case '\r':
	case '\n': k.action = ACT_SUBMIT; break;
	case 27: k.action = ACT_BACK; break;
	case CTRL('q'): k.action = ACT_QUIT; break;
	case 127:
	case CTRL('h'): k.action = ACT_BACKSPACE; break;
	case CTRL('a'): k.action = ACT_HOME; break;
	case CTRL('e'): k.action = ACT_END; break;
	default:
		if (wch >= ' ') {
			k.action = ACT_CHAR;
			k.ch = (wchar_t)wch;
		}
		break;
	}
	return k;
}
