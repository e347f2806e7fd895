#include "clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_format_iso(int64_t ms, char *out)
{
	time_t secs = (time_t)(ms / 1000);
	int millis = (int)(ms % 1000);
	struct tm tm;
	if (millis < 0) {
		millis += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	/* the buffer is larger than CLOCK_ISO_LEN only in gcc's view of int ranges */
	char buf[64];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, millis);
	memcpy(out, buf, CLOCK_ISO_LEN);
	out[CLOCK_ISO_LEN] = '\0';
}
