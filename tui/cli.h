#ifndef GUICHET_CLI_H
#define GUICHET_CLI_H
/*
 * The console's headless half: every action as a subcommand (contract §6),
 * and --headless scripts. It uses net/ only: no ncurses here.
 */
#include <stdio.h>

#include "../net/credstore.h"
#include "../net/transport.h"

enum cli_exit {
	EXIT_DONE = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
	EXIT_SERVER = 4,
	EXIT_STORAGE = 5,
};

struct cli {
	struct transport_options net;
	struct credstore tokens;
	int json;           /* print the server's JSON unchanged */
	int password_stdin; /* read passwords from `in`, one per line */
	int headless;       /* inside a --headless script: one result line per command */
	FILE *in;
};

/* Runs one subcommand (argv[0] is its name). Returns an exit code. */
int cli_command(struct cli *cli, int argc, char **argv);
/* Runs a script from `in`, one subcommand per line. */
int cli_script(struct cli *cli, int keep_going);
/* 1 when name is a subcommand. */
int cli_is_command(const char *name);
void cli_usage(FILE *to);

#endif
