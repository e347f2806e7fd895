/* guichet: the administration console (contract §6, §7). */
#include <curl/curl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ui.h"

#ifndef GUICHET_VERSION
#define GUICHET_VERSION "0.0.0"
#endif

#define DEFAULT_SERVER "http://127.0.0.1:8080"

struct settings {
	char server[1024];
	char cacert[1024];
	char token_store[32];
	long timeout_s;
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
			s->timeout_s = strtol(value, NULL, 10);
	}
	fclose(f);
}

/*
 * "--name value" or "--name=value" for the options that take a value.
 * Returns 1 and *value when argv[*i] is that option (advancing *i), 0 when it
 * is not, -1 when its value is missing.
 */
static int option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t len = strlen(name);
	const char *arg = argv[*i];
	if (strncmp(arg, name, len) != 0 || (arg[len] != '\0' && arg[len] != '='))
		return 0;
	if (arg[len] == '=') {
		*value = arg + len + 1;
		return 1;
	}
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	struct settings s = { .server = DEFAULT_SERVER, .token_store = "keyring", .timeout_s = 30 };
	read_config_file(&s);
	set(s.server, sizeof s.server, getenv("GUICHET_SERVER"));
	set(s.cacert, sizeof s.cacert, getenv("GUICHET_CACERT"));
	set(s.token_store, sizeof s.token_store, getenv("GUICHET_TOKEN_STORE"));

	struct cli cli = { .in = stdin };
	int headless = 0, keep_going = 0, first_command = argc;
	struct {
		const char *name;
		char *dst;
		size_t size;
	} valued[] = {
		{ "--server", s.server, sizeof s.server },
		{ "--cacert", s.cacert, sizeof s.cacert },
		{ "--token-store", s.token_store, sizeof s.token_store },
	};
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int rc = 0;
		if (cli_is_command(argv[i])) {
			first_command = i;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			cli_usage(stdout);
			return EXIT_DONE;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("guichet %s\n", GUICHET_VERSION);
			return EXIT_DONE;
		} else if (strcmp(argv[i], "--headless") == 0) {
			headless = 1;
			continue;
		} else if (strcmp(argv[i], "--keep-going") == 0) {
			keep_going = 1;
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			cli.json = 1;
			continue;
		} else if (strcmp(argv[i], "--password-stdin") == 0) {
			cli.password_stdin = 1;
			continue;
		}
		for (size_t k = 0; k < sizeof valued / sizeof valued[0] && rc == 0; k++)
			if ((rc = option_value(argc, argv, &i, valued[k].name, &v)) > 0)
				snprintf(valued[k].dst, valued[k].size, "%s", v);
		if (rc == 0 && (rc = option_value(argc, argv, &i, "--timeout", &v)) > 0)
			s.timeout_s = strtol(v, NULL, 10);
		if (rc <= 0) {
			fprintf(stderr, "guichet: %s '%s' (guichet --help)\n",
				rc < 0 ? "missing value for" : argv[i][0] == '-' ? "unknown option" : "unknown command", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (strncmp(s.server, "http://", 7) != 0 && strncmp(s.server, "https://", 8) != 0) {
		fprintf(stderr, "guichet: --server: expected http://HOST:PORT or https://..., got '%s'\n", s.server);
		return EXIT_USAGE;
	}
	if (s.timeout_s <= 0 || s.timeout_s > 3600) {
		fprintf(stderr, "guichet: --timeout: expected 1 to 3600 seconds\n");
		return EXIT_USAGE;
	}
	cli.net = (struct transport_options){
		.base_url = s.server,
		.cacert = s.cacert[0] ? s.cacert : NULL,
		.timeout_s = s.timeout_s,
	};
	if (credstore_init(&cli.tokens, s.token_store, s.server) != 0) {
		fprintf(stderr, "guichet: --token-store: expected keyring, file or none, got '%s'\n", s.token_store);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "guichet: cannot initialise libcurl\n");
		return EXIT_SERVER;
	}
	int rc;
	if (headless)
		rc = cli_script(&cli, keep_going);
	else if (first_command < argc)
		rc = cli_command(&cli, argc - first_command, argv + first_command);
	else
		rc = ui_main(&cli);
	credstore_release(&cli.tokens);
	curl_global_cleanup();
	return rc;
}
