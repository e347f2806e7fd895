#ifndef GUICHET_APP_H
#define GUICHET_APP_H
#include "config.h"
#include "mail.h"
#include "otp.h"
#include "sms.h"
#include "abuse.h"
#include "store.h"

/* What every route needs; built once by `guichetd serve`, shared read-only by all threads. */
struct app {
	const struct config *cfg;
	struct store *store;
	struct mailer *mailer;
	struct sms *sms; /* NULL or off: the code travels in /otp's answer */
	struct abuse *abuse; /* the abuse limits */
	unsigned char key[OTP_KEY_BYTES];
};

#endif
