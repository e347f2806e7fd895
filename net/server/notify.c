#include "notify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>

void notify_ready(const char *url)
{
	char state[512];
	snprintf(state, sizeof state, "READY=1\nSTATUS=listening on %s", url ? url : "?");
	sd_notify(0, state);
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the requests in flight");
}
