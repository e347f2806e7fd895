# guichet: guichetd (the backend) and guichet (the console).
# make · make check · make check SANITIZE=1 · make demo · make clean
VERSION := 0.1.0

# Debian packages the build and the tests need; `make deps` installs the missing ones.
DEBS := pkg-config gcc make libncurses-dev libcurl4-openssl-dev libcjson-dev \
	gettext libsecret-1-dev libmicrohttpd-dev libsqlite3-dev libpq-dev postgresql libsodium-dev zlib1g-dev \
	check libsubunit-dev libsecret-tools gnome-keyring dbus dbus-daemon dbus-x11 libglib2.0-bin \
	tmux python3 python3-aiosmtpd ca-certificates openssl e2fsprogs valgrind \
	libsystemd-dev systemd python3-prometheus-client python3-yaml mandoc groff-base man-db zsh

ifeq ($(SANITIZE),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD := build
SANFLAGS :=
endif

CC ?= cc
CFLAGS ?= -O2 -g
# CPPFLAGS and LDFLAGS are the user's (dpkg-buildflags' in `make deb`); -Werror is for
# developers and CI only: `make check` builds with DEVELOPER=1, a user's `make` does not.
WARNINGS := -Wall -Wextra -Wpedantic
ifeq ($(DEVELOPER),1)
WARNINGS += -Werror
endif
BASEFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DGUICHET_VERSION='"$(VERSION)"' \
	$(WARNINGS) $(SANFLAGS) -MMD -MP
# pkg-config runs when a recipe needs it, after `deps` has installed the .pc files
SERVER_PKGS := libmicrohttpd libcjson sqlite3 libpq libsodium libcurl zlib
SERVER_PKGS += libsystemd
SERVER_CFLAGS = $(shell pkg-config --cflags $(SERVER_PKGS))
SERVER_LIBS = $(shell pkg-config --libs $(SERVER_PKGS)) -lpthread -lm
CONSOLE_PKGS := libcurl libcjson libsecret-1 ncursesw
CONSOLE_CFLAGS = $(shell pkg-config --cflags $(CONSOLE_PKGS)) -pthread -DLOCALEDIR='"$(LOCALEDIR)"'
# libcurl and libsecret-1 are not linked: the console loads them on first use (net/dynlib.h)
CONSOLE_LIBS = $(shell pkg-config --libs libcjson ncursesw) -pthread
# the console's English (gettext; French is the source): build/locale, beside the program
CONSOLE_MO := $(BUILD)/locale/en/LC_MESSAGES/guichet.mo
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

SERVER_SRC := $(filter-out net/server/main.c,$(wildcard net/server/*.c))
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/obj/%.o)
CONSOLE_SRC := $(wildcard net/*.c tui/*.c screens/*.c)
CONSOLE_OBJ := $(CONSOLE_SRC:%.c=$(BUILD)/obj/%.o)
CLIENT_OBJ := $(filter $(BUILD)/obj/net/%,$(CONSOLE_OBJ))
UNIT_SRC := $(wildcard tests/unit/test_server_*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# A build on a machine without the libraries stops at once, with one line that says what to do
# (targets that install packages first, such as check and demo, are not held back).
ifneq ($(filter all install $(BUILD)/guichet $(BUILD)/guichetd,$(or $(MAKECMDGOALS),all)),)
MISSING := $(shell for c in $(firstword $(CC)) pkg-config; do command -v $$c >/dev/null 2>&1 || printf ' %s' $$c; done; \
	command -v pkg-config >/dev/null 2>&1 && for p in $(SERVER_PKGS) $(CONSOLE_PKGS); do \
	pkg-config --exists $$p || printf ' %s' $$p; done)
ifneq ($(strip $(MISSING)),)
$(error guichet: missing$(MISSING); run: make deps)
endif
endif

.PHONY: all check deps test-bins clean demo fuzz fuzz-deps lint install uninstall FORCE
all: $(BUILD)/guichetd $(BUILD)/guichet $(CONSOLE_MO)

# Objects are rebuilt when the flags change (a user's `make`, then `make check` with -Werror).
BUILD_FLAGS = $(CC) $(BASEFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
$(BUILD)/build-flags: FORCE
	@mkdir -p $(@D)
	@echo '$(subst ','\'',$(BUILD_FLAGS))' | cmp -s - $@ || echo '$(subst ','\'',$(BUILD_FLAGS))' > $@

# One rule for every object; each group brings its libraries' flags.
$(SERVER_OBJ) $(BUILD)/obj/net/server/main.o: PKG_CFLAGS = $(SERVER_CFLAGS)
$(CONSOLE_OBJ): PKG_CFLAGS = $(CONSOLE_CFLAGS)
$(UNIT_OBJ): PKG_CFLAGS = $(SERVER_CFLAGS) $(CHECK_CFLAGS) -Inet/server

$(BUILD)/obj/%.o: %.c $(BUILD)/build-flags
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

$(BUILD)/guichet: $(CONSOLE_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CONSOLE_LIBS)

$(BUILD)/guichetd: $(SERVER_OBJ) $(BUILD)/obj/net/server/main.o
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS)

$(BUILD)/test-unit-server: $(UNIT_OBJ) $(SERVER_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SERVER_LIBS) $(CHECK_LIBS)

test-bins: $(BUILD)/guichetd $(BUILD)/guichet $(CONSOLE_MO) $(BUILD)/test-unit-server

$(BUILD)/locale/%/LC_MESSAGES/guichet.mo: assets/po/%.po
	@mkdir -p $(@D)
	@echo "  MSGFMT  $<"
	$(Q)msgfmt --check -o $@ $<

# Installs the Debian packages of $(1) that are missing (apt-get, sudo when not root).
define install_missing
	@missing=""; \
	for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing missing packages:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install_missing,$(DEBS))

# ---- fuzzing (libFuzzer): make fuzz [FUZZ_SECONDS=60] ----
FUZZ_DEBS := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_CFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DGUICHET_VERSION='"$(VERSION)"' -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror

$(FUZZ_DIR)/fuzz-api: tests/fuzz/fuzz_api.c $(SERVER_SRC) $(wildcard net/server/*.h)
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) $(SERVER_CFLAGS) -Inet/server -o $@ tests/fuzz/fuzz_api.c $(SERVER_SRC) $(SERVER_LIBS)

$(FUZZ_DIR)/fuzz-client: tests/fuzz/fuzz_client.c net/client.c net/transport.c net/dynlib.c net/client.h net/transport.h
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) $(CONSOLE_CFLAGS) -Inet -o $@ tests/fuzz/fuzz_client.c net/client.c net/transport.c net/dynlib.c \
		$(shell pkg-config --libs libcurl libcjson)

$(FUZZ_DIR)/fuzz-abuse: tests/fuzz/fuzz_abuse.c net/server/netaddr.c net/server/netaddr.h
	@mkdir -p $(@D)
	@echo "  FUZZ    $@"
	$(Q)clang $(FUZZ_CFLAGS) -Inet/server -o $@ tests/fuzz/fuzz_abuse.c net/server/netaddr.c

fuzz-deps: deps
	$(call install_missing,$(FUZZ_DEBS))

# Each target runs FUZZ_SECONDS from the seeds in tests/fuzz/corpus (new inputs go to build/fuzz).
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_DIR)/fuzz-api $(FUZZ_DIR)/fuzz-client $(FUZZ_DIR)/fuzz-abuse
	@for t in api client abuse; do \
		mkdir -p $(FUZZ_DIR)/corpus-$$t; \
		echo "== fuzz-$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
			-print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash-$$t- \
			$(FUZZ_DIR)/corpus-$$t tests/fuzz/corpus/$$t 2>$(FUZZ_DIR)/fuzz-$$t.log \
			|| { tail -50 $(FUZZ_DIR)/fuzz-$$t.log; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|new_units_added)' $(FUZZ_DIR)/fuzz-$$t.log; \
	done

check: deps
	@$(MAKE) --no-print-directory DEVELOPER=1 test-bins
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash assets/demo.sh

PREFIX ?= /usr/local
LOCALEDIR ?= $(PREFIX)/share/locale
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALLED := $(BINDIR)/guichet $(BINDIR)/guichetd $(MANDIR)/man1/guichet.1 $(MANDIR)/man5/guichet-config.5 \
	$(MANDIR)/man8/guichetd.8 $(BASHCOMPDIR)/guichet $(BASHCOMPDIR)/guichetd $(ZSHCOMPDIR)/_guichet \
	$(ZSHCOMPDIR)/_guichetd $(SYSTEMDUNITDIR)/guichetd.service $(LOCALEDIR)/en/LC_MESSAGES/guichet.mo

# The programs, their man pages, bash and zsh completion, and the systemd unit (ExecStart= in BINDIR).
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0755 $(BUILD)/guichet $(BUILD)/guichetd $(DESTDIR)$(BINDIR)/
	install -D -m 0644 $(CONSOLE_MO) $(DESTDIR)$(LOCALEDIR)/en/LC_MESSAGES/guichet.mo
	install -m 0644 assets/man/guichet.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 assets/man/guichet-config.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 assets/man/guichetd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 assets/completion/guichet.bash $(DESTDIR)$(BASHCOMPDIR)/guichet
	install -m 0644 assets/completion/guichetd.bash $(DESTDIR)$(BASHCOMPDIR)/guichetd
	install -m 0644 assets/completion/_guichet assets/completion/_guichetd $(DESTDIR)$(ZSHCOMPDIR)/
	sed 's|/usr/bin/guichetd|$(BINDIR)/guichetd|' assets/guichetd.service > $(DESTDIR)$(SYSTEMDUNITDIR)/guichetd.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/guichetd.service

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# ---- static checks: make lint ----
LINT_DEBS := cppcheck clang-tidy
TIDY_CHECKS := -*,bugprone-*,-bugprone-easily-swappable-parameters,-bugprone-reserved-identifier,\
-bugprone-narrowing-conversions,-bugprone-assignment-in-if-condition,-bugprone-branch-clone,\
-bugprone-macro-parentheses,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,\
-clang-analyzer-valist.Uninitialized,misc-redundant-expression
LINT_SRC = $(SERVER_SRC) net/server/main.c $(CONSOLE_SRC)

lint: deps
	$(call install_missing,$(LINT_DEBS))
	@echo "  CPPCHECK"
	$(Q)cppcheck --enable=warning,performance,portability --std=c11 --inline-suppr --quiet --error-exitcode=1 \
		-D__GNUC__ -Inet/server -Inet -Itui --suppress=missingIncludeSystem net tui screens tests/unit tests/fuzz
	@echo "  CLANG-TIDY"
	$(Q)out=$$(clang-tidy --quiet -checks='$(TIDY_CHECKS)' $(LINT_SRC) -- -std=c11 -D_DEFAULT_SOURCE \
		-D_POSIX_C_SOURCE=200809L $(SERVER_CFLAGS) $(CONSOLE_CFLAGS) -Inet/server 2>/dev/null | grep -A3 -E 'warning:|error:'); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi
	@echo "lint: clean"

clean:
	rm -rf build

# Packaging and operations: make deb, make openapi-lint, make package-check (assets/ops.mk).
include assets/ops.mk

-include $(shell find build -name '*.d' 2>/dev/null)
