#ifndef GUICHET_CLOCK_H
#define GUICHET_CLOCK_H
#include <stdint.h>

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ" without its NUL. */
#define CLOCK_ISO_LEN 24

/* Wall-clock time in milliseconds since the Unix epoch. */
int64_t clock_now_ms(void);

/* Monotonic milliseconds, for durations only. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds, for durations only. */
int64_t clock_mono_us(void);

/* Writes ms as UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (CLOCK_ISO_LEN + 1 bytes). */
void clock_format_iso(int64_t ms, char *out);

#endif
