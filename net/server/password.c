#include "password.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static int slots_left = 2;

void password_init(int slots)
{
	pthread_mutex_lock(&slot_lock);
	slots_left = slots > 0 ? slots : 1;
	pthread_mutex_unlock(&slot_lock);
}

static void slot_take(void)
{
	pthread_mutex_lock(&slot_lock);
	while (slots_left == 0)
		pthread_cond_wait(&slot_free, &slot_lock);
	slots_left--;
	pthread_mutex_unlock(&slot_lock);
}

static void slot_give(void)
{
	pthread_mutex_lock(&slot_lock);
	slots_left++;
	pthread_cond_signal(&slot_free);
	pthread_mutex_unlock(&slot_lock);
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

const char *password_policy(const char *pw, int min_chars, char *msg, size_t msgsz)
{
	if (strlen(pw) > PASSWORD_MAX_BYTES) {
		snprintf(msg, msgsz, "Le mot de passe ne doit pas dépasser %d octets.", PASSWORD_MAX_BYTES);
		return msg;
	}
	if (utf8_chars(pw) < (size_t)min_chars) {
		snprintf(msg, msgsz, "Le mot de passe doit contenir au moins %d caractères.", min_chars);
		return msg;
	}
	return NULL;
}

int password_hash(const char *pw, char out[PASSWORD_HASH_LEN])
{
	slot_take();
	int rc = crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				   crypto_pwhash_MEMLIMIT_INTERACTIVE);
	slot_give();
	return rc == 0 ? 0 : -1;
}

int password_verify(const char *stored, const char *pw)
{
	slot_take();
	int rc = crypto_pwhash_str_verify(stored, pw, strlen(pw));
	slot_give();
	return rc == 0;
}
