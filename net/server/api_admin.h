#ifndef GUICHET_API_ADMIN_H
#define GUICHET_API_ADMIN_H
/* The /api/admin/... routes (seed: admin-auth-routes.fr.md, contract §3.2). */
#include "api.h"

void api_admin_signin_init(struct call *c);
void api_admin_signin_process(struct call *c);
void api_admin_login(struct call *c);
void api_admin_logout(struct call *c);
void api_admin_me(struct call *c);
void api_admin_reset_init(struct call *c);
void api_admin_reset_process(struct call *c);
void api_admin_change_init(struct call *c);
void api_admin_change_process(struct call *c);
void api_admin_email_init(struct call *c);
void api_admin_email_process(struct call *c);

/* The admin as the seed's login example shows it (never the password hash). */
cJSON *api_admin_json(const struct admin *a);

#endif
