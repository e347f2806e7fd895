#ifndef GUICHET_TEXT_H
#define GUICHET_TEXT_H
/*
 * The console's words: French by default, English through gettext
 * (LANG=en_* or LANGUAGE=en; catalogues built from assets/po/), always as
 * UTF-8 inside the program. A terminal whose locale is not UTF-8 (LANG=C)
 * gets the same text in ASCII: accents dropped, frames drawn with - | +.
 */
#include <libintl.h>
#include <stddef.h>
#include <wchar.h>

#define _(s) gettext(s)
#define N_(s) (s) /* marks a string for the catalogue; translated where it is used */

/* setlocale, then the catalogues: beside the program (build/locale) or in LOCALEDIR. */
void text_init(void);
/* 1 when the terminal's locale is UTF-8; else the UI draws ASCII. */
int text_utf8(void);

/*
 * Decodes UTF-8 into code points, whatever the locale (an invalid byte becomes
 * U+FFFD). Writes at most max characters and a terminating 0 (out has room for
 * max + 1). Returns how many.
 */
size_t text_decode(const char *utf8, wchar_t *out, size_t max);
/* Encodes n code points as UTF-8 into out, NUL-terminated; "" when they do not fit. Returns the length. */
size_t text_encode(const wchar_t *in, size_t n, char *out, size_t outsz);
/* What stands for c on an ASCII terminal: "e" for é, "..." for …, "?" when nothing fits; c itself below 128. */
const char *text_ascii(wchar_t c, char buf[2]);
/* Characters (not bytes) in a UTF-8 string. */
size_t text_width(const char *utf8);
/* The cells a UTF-8 string takes when drawn: its characters, or its ASCII stand-ins' on an ASCII terminal. */
size_t text_cells(const char *utf8);

#endif
