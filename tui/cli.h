#ifndef GUICHET_CLI_H
#define GUICHET_CLI_H
/*
 * The console's headless half: every action as a subcommand (contract §6),
 * --headless scripts (plain result lines, or TAP), and the one option parser
 * of the program and of every script line. It uses net/ and the actions only:
 * no ncurses here.
 */
#include <stdio.h>

#include "actions.h"

#define CLI_WORDS_MAX 16

struct cli {
	struct transport_options net;
	struct credstore tokens;
	FILE *in;
	/* options of the command line; a --headless line's own options add to them for that line */
	int json;           /* print the server's JSON (controls escaped) */
	int password_stdin; /* passwords from `in`, one per line */
	int keep_going;     /* --headless: run every line even after a failure */
	int tap;            /* --headless: TAP output */
	int lines_read;     /* lines of `in` read so far, password lines included: a script's line numbers */
};

/* What one command line, or one --headless line, asked for. Strings point into argv. */
struct cli_args {
	const char *server, *cacert, *token_store, *timeout, *email;
	const char *limit, *admin, *phone; /* audit's filters */
	int headless, keep_going, tap, json, password_stdin, finally, help, version;
	char *words[CLI_WORDS_MAX]; /* the subcommand and its arguments, options taken out */
	int nwords;
};

/*
 * The one parser: options may stand anywhere, before or after the subcommand
 * (getopt_long, in order, whatever POSIXLY_CORRECT says). argv[0] is the
 * program. script_line: a --headless line, where only a command's own options
 * (--json, --password-stdin, --email, --finally, audit's --limit, --admin,
 * --phone) are allowed. Returns 0, or
 * EXIT_USAGE with msg saying why. Not reentrant (getopt's state).
 */
int cli_parse(int argc, char **argv, int script_line, struct cli_args *a, char *msg, size_t msgsz);
/* Runs one subcommand and prints its result; returns the exit code. */
int cli_command(struct cli *cli, const struct cli_args *a);
/* Runs a script from cli->in, one subcommand per line; returns the first failure's exit code, or 0. */
int cli_script(struct cli *cli);
void cli_usage(FILE *to);

#endif
