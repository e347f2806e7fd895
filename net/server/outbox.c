#include "outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int outbox_prepare(const char *dir, char *err, size_t errsz)
{
	if (dir[0] == '\0' || (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		snprintf(err, errsz, "cannot create outbox directory '%s': %s", dir,
			 dir[0] ? strerror(errno) : "empty path");
		return -1;
	}
	return 0;
}

int outbox_write(const char *dir, const char *ext, const char *data, size_t len, char *err, size_t errsz)
{
	char tmp[4096], final[4096];
	unsigned char rnd[8];
	char hex[17];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	snprintf(final, sizeof final, "%s/%lld%03ld-%s.%s", dir, (long long)ts.tv_sec, ts.tv_nsec / 1000000, hex, ext);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, hex);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errsz, "outbox: %s", strerror(errno));
		return -1;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	int ok = done == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, final) != 0) {
		snprintf(err, errsz, "outbox: %s", strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
