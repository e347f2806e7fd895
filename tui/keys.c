#include "keys.h"

#include <curses.h>
#include <string.h>

#include "text.h"

const struct key_help KEYS_HELP[] = {
	{ N_("Tab / Maj-Tab"), N_("champ suivant / précédent") },
	{ N_("↑ ↓ PgUp/Dn"), N_("champ, choix, ligne ; ↑ : historique") },
	{ N_("Entrée / Échap"), N_("valider / annuler la requête, revenir") },
	{ N_("^A ^E ^U ^W ^K"), N_("début, fin ; effacer avant/mot/après") },
	{ N_("F1 ^G ?"), N_("cette aide (? hors des champs)") },
	{ N_("F2 ^N"), N_("inscription") },
	{ N_("F3 ^O"), N_("mot de passe oublié") },
	{ N_("F4 ^T"), N_("voir ou masquer le mot de passe") },
	{ N_("F5 ^R"), N_("envoyer le code, actualiser") },
	{ N_("F6 ^D"), N_("débloquer, révoquer (support)") },
	{ N_("/ n N"), N_("chercher, suivant, précédent") },
	{ N_("1 à 9"), N_("choix du menu") },
	{ N_("^Q ^C"), N_("quitter") },
};
const int KEYS_HELP_COUNT = (int)(sizeof KEYS_HELP / sizeof KEYS_HELP[0]);

#define CTRL(c) ((c) & 0x1f)

/* Sequences after ESC that terminfo may not name for this TERM (PuTTY, the Linux console, xterm variants). */
static const struct {
	const char *seq;
	enum request req;
} SEQUENCES[] = {
	{ "[11~", REQ_HELP }, { "[12~", REQ_SIGNUP }, { "[13~", REQ_FORGOT }, { "[14~", REQ_REVEAL },
	{ "[15~", REQ_RESEND }, { "[17~", REQ_ALT }, { "[5~", REQ_PAGE_UP }, { "[6~", REQ_PAGE_DOWN }, { "[[A", REQ_HELP }, { "[[B", REQ_SIGNUP }, { "[[C", REQ_FORGOT },
	{ "[[D", REQ_REVEAL }, { "[[E", REQ_RESEND }, { "OP", REQ_HELP }, { "OQ", REQ_SIGNUP },
	{ "OR", REQ_FORGOT }, { "OS", REQ_REVEAL }, { "[A", REQ_UP }, { "OA", REQ_UP },
	{ "[B", REQ_DOWN }, { "OB", REQ_DOWN }, { "[C", REQ_RIGHT }, { "OC", REQ_RIGHT },
	{ "[D", REQ_LEFT }, { "OD", REQ_LEFT }, { "[H", REQ_HOME }, { "OH", REQ_HOME },
	{ "[1~", REQ_HOME }, { "[7~", REQ_HOME }, { "[F", REQ_END }, { "OF", REQ_END },
	{ "[4~", REQ_END }, { "[8~", REQ_END }, { "[3~", REQ_DELETE }, { "[Z", REQ_PREV },
	{ "OM", REQ_SUBMIT },
};

static enum request from_keycode(wint_t wch)
{
	switch (wch) {
	case KEY_DOWN: return REQ_DOWN;
	case KEY_UP: return REQ_UP;
	case KEY_BTAB: return REQ_PREV;
	case KEY_LEFT: return REQ_LEFT;
	case KEY_RIGHT: return REQ_RIGHT;
	case KEY_HOME: return REQ_HOME;
	case KEY_END: return REQ_END;
	case KEY_BACKSPACE: return REQ_BACKSPACE;
	case KEY_DC: return REQ_DELETE;
	case KEY_ENTER: return REQ_SUBMIT;
	case KEY_RESIZE: return REQ_RESIZE;
	case KEY_F(1): return REQ_HELP;
	case KEY_F(2): return REQ_SIGNUP;
	case KEY_F(3): return REQ_FORGOT;
	case KEY_F(4): return REQ_REVEAL;
	case KEY_F(5): return REQ_RESEND;
	case KEY_F(6): return REQ_ALT;
	case KEY_PPAGE: return REQ_PAGE_UP;
	case KEY_NPAGE: return REQ_PAGE_DOWN;
	default: return REQ_NONE;
	}
}

static enum request from_char(wint_t wch)
{
	switch (wch) {
	case '\t': return REQ_NEXT;
	case '\r':
	case '\n': return REQ_SUBMIT;
	case 127:
	case CTRL('h'): return REQ_BACKSPACE;
	case CTRL('a'): return REQ_HOME;
	case CTRL('e'): return REQ_END;
	case CTRL('u'): return REQ_KILL_START;
	case CTRL('w'): return REQ_KILL_WORD;
	case CTRL('k'): return REQ_KILL_END;
	case CTRL('q'):
	case CTRL('c'): return REQ_QUIT;
	case CTRL('g'): return REQ_HELP;
	case CTRL('n'): return REQ_SIGNUP;
	case CTRL('o'): return REQ_FORGOT;
	case CTRL('t'): return REQ_REVEAL;
	case CTRL('r'): return REQ_RESEND;
	case CTRL('d'): return REQ_ALT;
	default: return REQ_NONE;
	}
}

/* After ESC: the rest of a CSI (ESC [ ... final) or SS3 (ESC O x) sequence, whatever arrived with it. */
static enum request escape_sequence(void)
{
	char seq[24];
	size_t n = 0;
	wint_t wch;
	int rc = get_wch(&wch);
	if (rc == ERR)
		return REQ_BACK; /* Esc alone */
	if (rc == KEY_CODE_YES || (wch != '[' && wch != 'O')) {
		/* Esc, then a key typed soon after: both count (Alt-key is not a sequence this console reads) */
		if (rc == KEY_CODE_YES)
			ungetch((int)wch);
		else
			unget_wch((wchar_t)wch);
		return REQ_BACK;
	}
	seq[n++] = (char)wch;
	while (n + 1 < sizeof seq && get_wch(&wch) == OK) {
		seq[n++] = (char)(wch < 0x80 ? wch : '?');
		if (n == 2 && seq[0] == '[' && wch == '[')
			continue; /* the Linux console's F1-F5: ESC [ [ A */
		if (seq[0] == 'O' || (wch >= 0x40 && wch <= 0x7E))
			break; /* SS3 takes one character; CSI ends with a final byte */
	}
	seq[n] = '\0';
	for (size_t i = 0; i < sizeof SEQUENCES / sizeof SEQUENCES[0]; i++)
		if (strcmp(SEQUENCES[i].seq, seq) == 0)
			return SEQUENCES[i].req;
	return REQ_NONE;
}

int keys_read(struct key *k)
{
	wint_t wch;
	int rc = get_wch(&wch);
	k->req = REQ_NONE;
	k->ch = 0;
	if (rc == ERR)
		return 0;
	if (rc == KEY_CODE_YES) {
		k->req = from_keycode(wch);
	} else if (wch == 27) {
		k->req = escape_sequence();
	} else if ((k->req = from_char(wch)) == REQ_NONE && wch >= ' ' && wch != 127 &&
		   (wch < 0x80 || text_utf8())) {
		/* a non-UTF-8 terminal sends bytes this program cannot read as characters: ASCII only */
		k->req = REQ_CHAR;
		k->ch = (wchar_t)wch;
	}
	return 1;
}
