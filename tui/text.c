#include "text.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static int utf8_terminal;

void text_init(void)
{
	setlocale(LC_ALL, "");
	const char *codeset = nl_langinfo(CODESET);
	utf8_terminal = strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0;
	/*
	 * The catalogues: beside the program in a build tree (build/locale), then
	 * where an install put them for it (BINDIR/../share/locale, whatever the
	 * prefix), then LOCALEDIR.
	 */
	static const char *const PLACES[] = { "/locale", "/../share/locale" };
	char dir[4096], probe[4200];
	const char *found = LOCALEDIR;
	struct stat st;
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 32);
	ssize_t slash = n - 1;
	while (slash >= 0 && dir[slash] != '/')
		slash--;
	for (size_t i = 0; slash >= 0 && i < sizeof PLACES / sizeof PLACES[0]; i++) {
		snprintf(dir + slash, sizeof dir - (size_t)slash, "%s", PLACES[i]);
		snprintf(probe, sizeof probe, "%s/en/LC_MESSAGES/guichet.mo", dir);
		if (stat(probe, &st) == 0) {
			found = dir;
			break;
		}
	}
	bindtextdomain("guichet", found);
	bind_textdomain_codeset("guichet", "UTF-8"); /* converted for the terminal when drawn */
	textdomain("guichet");
}

int text_utf8(void)
{
	return utf8_terminal;
}

size_t text_decode(const char *utf8, wchar_t *out, size_t max)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = 0;
	while (*s && n < max) {
		unsigned long c = *s;
		int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (len > 1)
			c &= 0x3Fu >> (len - 1);
		int i = 1;
		for (; i < len && (s[i] & 0xC0) == 0x80; i++)
			c = c << 6 | (s[i] & 0x3Fu);
		if (len == 0 || i < len) {
			c = 0xFFFD;
			len = 1;
		}
		out[n++] = (wchar_t)c;
		s += len;
	}
	out[n] = 0;
	return n;
}

size_t text_encode(const wchar_t *in, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long c = (unsigned long)in[i];
		unsigned char b[4];
		size_t len;
		if (c < 0x80) {
			b[0] = (unsigned char)c;
			len = 1;
		} else if (c < 0x800) {
			b[0] = (unsigned char)(0xC0 | c >> 6);
			b[1] = (unsigned char)(0x80 | (c & 0x3F));
			len = 2;
		} else if (c < 0x10000) {
			b[0] = (unsigned char)(0xE0 | c >> 12);
			b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
			b[2] = (unsigned char)(0x80 | (c & 0x3F));
			len = 3;
		} else {
			b[0] = (unsigned char)(0xF0 | (c >> 18 & 0x07));
			b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
			b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
			b[3] = (unsigned char)(0x80 | (c & 0x3F));
			len = 4;
		}
		if (o + len >= outsz) {
			if (outsz)
				out[0] = '\0';
			return 0;
		}
		memcpy(out + o, b, len);
		o += len;
	}
	if (outsz)
		out[o] = '\0';
	return o;
}

/* U+00C0..U+00FF without their accents ('?' where two letters are needed, handled below). */
static const char LATIN1[] = "AAAAAA?CEEEEIIIIDNOOOOOxOUUUUYT?aaaaaa?ceeeeiiiidnooooo/ouuuuyty";

static const struct {
	wchar_t c;
	const char *ascii;
} OTHERS[] = {
	{ 0x00A0, " " }, { 0x00AB, "\"" }, { 0x00BB, "\"" }, { 0x00B0, "o" }, { 0x00B7, "." },
	{ 0x00C6, "AE" }, { 0x00E6, "ae" }, { 0x00DF, "ss" }, { 0x0152, "OE" }, { 0x0153, "oe" },
	{ 0x2013, "-" }, { 0x2014, "-" }, { 0x2018, "'" }, { 0x2019, "'" }, { 0x201C, "\"" },
	{ 0x201D, "\"" }, { 0x2022, "*" }, { 0x2026, "..." }, { 0x202F, " " }, { 0x2190, "<-" },
	{ 0x2191, "Up" }, { 0x2192, "->" }, { 0x2193, "Down" }, { 0x2500, "-" }, { 0x2502, "|" },
	{ 0x250C, "+" }, { 0x2510, "+" }, { 0x2514, "+" }, { 0x2518, "+" }, { 0x2713, "v" },
	{ 0x2717, "x" }, { 0x20AC, "EUR" },
};

const char *text_ascii(wchar_t c, char buf[2])
{
	for (size_t i = 0; i < sizeof OTHERS / sizeof OTHERS[0]; i++)
		if (OTHERS[i].c == c)
			return OTHERS[i].ascii;
	buf[1] = '\0';
	if (c >= 0x20 && c < 0x7F)
		buf[0] = (char)c;
	else if (c >= 0xC0 && c <= 0xFF)
		buf[0] = LATIN1[c - 0xC0];
	else
		buf[0] = '?';
	return buf;
}

size_t text_cells(const char *utf8)
{
	if (utf8_terminal)
		return text_width(utf8);
	wchar_t wide[1024];
	size_t n = text_decode(utf8, wide, 1023), cells = 0;
	for (size_t i = 0; i < n; i++) {
		char buf[2];
		cells += wide[i] < 0x80 ? 1 : strlen(text_ascii(wide[i], buf));
	}
	return cells;
}

size_t text_width(const char *utf8)
{
	size_t n = 0;
	for (const unsigned char *s = (const unsigned char *)utf8; *s; s++)
		n += (*s & 0xC0) != 0x80;
	return n;
}
