#ifndef GUICHET_API_SUPPORT_H
#define GUICHET_API_SUPPORT_H
/* The support desk's routes (contract §9.6): what a citizen's state is, the audit trail, sessions. */
#include "api.h"

/* GET /api/admin/meta (no token): what the console needs to know of the server. */
void api_support_meta(struct call *c);
/* GET /api/admin/citizens/{phone} */
void api_support_citizen(struct call *c);
/* POST /api/admin/citizens/{phone}/unlock: guess budget and cooldown reset */
void api_support_unlock(struct call *c);
/* GET /api/admin/audit?limit=N&before=ID&admin=E&phone=P */
void api_support_audit(struct call *c);
/* GET /api/admin/sessions */
void api_support_sessions(struct call *c);
/* DELETE /api/admin/sessions/{id} */
void api_support_session_revoke(struct call *c);

#endif
