#ifndef GUICHET_UI_H
#define GUICHET_UI_H
#include "cli.h"

/* Runs the terminal UI on the console's settings; returns the exit code. */
int ui_main(struct cli *cli);

#endif
