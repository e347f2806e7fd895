#ifndef GUICHET_PROVISION_H
#define GUICHET_PROVISION_H
/*
 * guichetd's provisioning subcommands (contract §5). Each takes the
 * arguments after its name and returns the process exit code:
 * 0 done, 1 refused or failed, 2 usage error.
 */
int provision_admin(int argc, char **argv);
int provision_citizen(int argc, char **argv);
int provision_user(int argc, char **argv);
/* guichetd apikey add|list|revoke: keys of the citizen routes (printed once, stored as a hash). */
int provision_apikey(int argc, char **argv);
/* guichetd backup FILE: an online copy of the database, checked. */
int provision_backup(int argc, char **argv);
/* guichetd audit: the admin events, oldest first. */
int provision_audit(int argc, char **argv);

#endif
