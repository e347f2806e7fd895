#ifndef GUICHET_DYNLIB_H
#define GUICHET_DYNLIB_H
/*
 * libcurl and libsecret, loaded on first use instead of at start. Together they
 * bring some forty shared objects (TLS, Kerberos, LDAP, GIO...): mapping and
 * relocating them took 17 ms and 9 MiB of the console's start on the reference
 * machine, before its first frame, although the login screen needs neither until
 * the admin submits it. systemd loads its optional libraries the same way (its
 * dlopen helpers): one pointer per function we call, named sym_<function>, set
 * once and never changed.
 *
 * The headers still come from pkg-config; the packages are run-time
 * dependencies named in debian/control, since dpkg-shlibdeps cannot see a dlopen.
 */
#include <curl/curl.h>
#include <libsecret/secret.h>

#define DYNLIB_CURL_SONAME "libcurl.so.4"
#define DYNLIB_SECRET_SONAME "libsecret-1.so.0"

#define DYNLIB_CURL_FUNCTIONS(X)                                                              \
	X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) X(curl_easy_setopt)     \
	X(curl_easy_perform) X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror) \
	X(curl_easy_escape) X(curl_free) X(curl_slist_append) X(curl_slist_free_all)         \
	X(curl_multi_init) X(curl_multi_cleanup) X(curl_multi_add_handle)                    \
	X(curl_multi_remove_handle) X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read)

#define DYNLIB_SECRET_FUNCTIONS(X)                                                                       \
	X(secret_password_lookup_sync) X(secret_password_store_sync) X(secret_password_clear_sync)      \
	X(secret_password_free) X(secret_error_get_quark) X(g_error_free) X(g_io_error_quark)          \
	X(g_dbus_error_quark)

#define DYNLIB_DECLARE(name) extern __typeof__(name) *sym_##name;
DYNLIB_CURL_FUNCTIONS(DYNLIB_DECLARE)
DYNLIB_SECRET_FUNCTIONS(DYNLIB_DECLARE)
#undef DYNLIB_DECLARE

/*
 * Loads the library once (thread-safe; curl_global_init included for libcurl).
 * 0 when its sym_ pointers are set; -1 when it could not be loaded, and
 * dynlib_error() says why.
 */
int dynlib_curl(void);
int dynlib_secret(void);
const char *dynlib_error(void);

/* curl_global_cleanup, when libcurl was loaded. At exit, with no other thread using it. */
void dynlib_release(void);

#endif
