#include "ui.h"

int ui_main(struct cli *cli)
{
	(void)cli;
	fprintf(stderr, "guichet: the terminal UI is not built yet; use a subcommand (guichet --help)\n");
	return EXIT_USAGE;
}
