#ifndef GUICHET_API_CITIZEN_H
#define GUICHET_API_CITIZEN_H
#include "api.h"

/* GET /health */
void api_health(struct call *c);
/* POST /otp: create or resend a citizen's OTP (seed: citizen-otp-api.fr.md) */
void api_citizen_otp(struct call *c);
/* POST /otp/verify: consume a citizen's OTP */
void api_citizen_verify(struct call *c);

#endif
