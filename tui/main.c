/* guichet: the administration console (contract §6, §7). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/dynlib.h"
#include "../screens/screens.h"
#include "cli.h"
#include "text.h"
#include "ui.h"

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

#define DEFAULT_SERVER "http://127.0.0.1:8080"

struct settings {
	char server[1024];
	char cacert[1024];
	char token_store[32];
	char timeout[32];
};

static void set(char *dst, size_t dstsz, const char *value)
{
	if (value && *value)
		snprintf(dst, dstsz, "%s", value);
}

/* $XDG_CONFIG_HOME/guichet/config: "key = value" lines, '#' comments. */
static void read_config_file(struct settings *s)
{
	char path[2048], line[2048];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(path, sizeof path, "%s/guichet/config", xdg);
	else if (home && *home)
		snprintf(path, sizeof path, "%s/.config/guichet/config", home);
	else
		return;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n#")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		char *key = line + strspn(line, " \t"), *value = eq + 1 + strspn(eq + 1, " \t");
		for (char *e = key + strlen(key); e > key && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		for (char *e = value + strlen(value); e > value && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (strcmp(key, "server") == 0)
			set(s->server, sizeof s->server, value);
		else if (strcmp(key, "cacert") == 0)
			set(s->cacert, sizeof s->cacert, value);
		else if (strcmp(key, "token-store") == 0)
			set(s->token_store, sizeof s->token_store, value);
		else if (strcmp(key, "timeout") == 0)
			set(s->timeout, sizeof s->timeout, value);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	text_init();
	struct settings s = { .server = DEFAULT_SERVER, .token_store = "keyring", .timeout = "30" };
	read_config_file(&s);
	set(s.server, sizeof s.server, getenv("GUICHET_SERVER"));
	set(s.cacert, sizeof s.cacert, getenv("GUICHET_CACERT"));
	set(s.token_store, sizeof s.token_store, getenv("GUICHET_TOKEN_STORE"));

	struct cli_args a;
	char msg[512];
	if (cli_parse(argc, argv, 0, &a, msg, sizeof msg) != EXIT_DONE) {
		fprintf(stderr, _("guichet: %s (guichet --help)\n"), msg);
		return EXIT_USAGE;
	}
	if (a.version) {
		printf("guichet %s\n", GUICHET_VERSION);
		return EXIT_DONE;
	}
	set(s.server, sizeof s.server, a.server);
	set(s.cacert, sizeof s.cacert, a.cacert);
	set(s.token_store, sizeof s.token_store, a.token_store);
	set(s.timeout, sizeof s.timeout, a.timeout);
	char *end;
	long timeout = strtol(s.timeout, &end, 10);
	if (strncmp(s.server, "http://", 7) != 0 && strncmp(s.server, "https://", 8) != 0) {
		fprintf(stderr, _("guichet: --server : http://HÔTE:PORT ou https://... attendu, pas « %s »\n"), s.server);
		return EXIT_USAGE;
	}
	if (*end || timeout <= 0 || timeout > 3600) {
		fprintf(stderr, _("guichet: --timeout : de 1 à 3600 secondes\n"));
		return EXIT_USAGE;
	}
	struct cli cli = {
		.in = stdin,
		.json = a.json,
		.password_stdin = a.password_stdin,
		.keep_going = a.keep_going,
		.tap = a.tap,
		.net = { .base_url = s.server, .cacert = s.cacert[0] ? s.cacert : NULL, .timeout_s = timeout },
	};
	if (credstore_init(&cli.tokens, s.token_store, s.server) != 0) {
		fprintf(stderr, _("guichet: --token-store : keyring, file ou none attendu, pas « %s »\n"), s.token_store);
		return EXIT_USAGE;
	}
	if (a.help && !a.nwords) {
		cli_usage(stdout);
		return EXIT_DONE;
	}
	/* the interface loads libcurl with its first request, after its first frame; commands need it now */
	if ((a.headless || a.tap || a.nwords || a.help) && dynlib_curl() != 0) {
		fprintf(stderr, _("guichet: libcurl ne se charge pas : %s\n"), dynlib_error());
		return EXIT_SERVER;
	}
	int rc;
	if (a.headless || a.tap)
		rc = a.nwords ? (fprintf(stderr, _("guichet: --headless lit ses commandes sur l'entrée standard, "
						   "pas sur la ligne de commande\n")), EXIT_USAGE)
			      : cli_script(&cli);
	else if (a.nwords || a.help)
		rc = cli_command(&cli, &a);
	else
		rc = ui_main(&cli, SCREENS, SCREEN_COUNT);
	credstore_release(&cli.tokens);
	dynlib_release();
	return rc;
}
