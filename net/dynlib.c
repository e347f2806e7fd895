#include "dynlib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define DYNLIB_DEFINE(name) __typeof__(name) *sym_##name;
DYNLIB_CURL_FUNCTIONS(DYNLIB_DEFINE)
DYNLIB_SECRET_FUNCTIONS(DYNLIB_DEFINE)
#undef DYNLIB_DEFINE

/* what went wrong, per library: written only inside its pthread_once routine */
static char curl_why[256], secret_why[256];
static pthread_once_t curl_once = PTHREAD_ONCE_INIT, secret_once = PTHREAD_ONCE_INIT;
static int curl_loaded, secret_loaded;
static _Thread_local const char *last_why = "";

static void *open_library(const char *soname, char *why, size_t whysz)
{
	/* RTLD_LOCAL: their symbols serve our sym_ pointers only */
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *err = dlerror();
		snprintf(why, whysz, "%s", err ? err : soname);
	}
	return lib;
}

/* Sets *slot to the address of name in lib (or in a library it needs); 0, or -1 with why filled. */
static int bind_symbol(void *lib, const char *name, void *slot, size_t slotsz, char *why, size_t whysz)
{
	dlerror();
	void *address = dlsym(lib, name);
	if (!address) {
		const char *err = dlerror();
		snprintf(why, whysz, "%s", err ? err : name);
		return -1;
	}
	/* POSIX makes dlsym's data pointer a valid function pointer; ISO C has no cast for it */
	memcpy(slot, &address, slotsz);
	return 0;
}

#define DYNLIB_BIND(name) || bind_symbol(lib, #name, &sym_##name, sizeof sym_##name, why, whysz)

static void load_curl(void)
{
	char *why = curl_why;
	size_t whysz = sizeof curl_why;
	void *lib = open_library(DYNLIB_CURL_SONAME, why, whysz);
	if (!lib || (0 DYNLIB_CURL_FUNCTIONS(DYNLIB_BIND)))
		return;
	if (sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, whysz, "curl_global_init");
		return;
	}
	curl_loaded = 1;
}

static void load_secret(void)
{
	char *why = secret_why;
	size_t whysz = sizeof secret_why;
	void *lib = open_library(DYNLIB_SECRET_SONAME, why, whysz);
	if (!lib || (0 DYNLIB_SECRET_FUNCTIONS(DYNLIB_BIND)))
		return;
	secret_loaded = 1;
}

int dynlib_curl(void)
{
	pthread_once(&curl_once, load_curl);
	last_why = curl_why;
	return curl_loaded ? 0 : -1;
}

int dynlib_secret(void)
{
	pthread_once(&secret_once, load_secret);
	last_why = secret_why;
	return secret_loaded ? 0 : -1;
}

const char *dynlib_error(void)
{
	return last_why;
}

void dynlib_release(void)
{
	if (curl_loaded)
		sym_curl_global_cleanup();
}
