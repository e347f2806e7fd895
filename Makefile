# guichet: guichetd (the backend) and guichet (the console).
# make · make check · make check SANITIZE=1 · make demo · make clean
VERSION := 0.1.0

# Debian packages the build and the tests need; `make deps` installs the missing ones.
DEBS := pkg-config gcc make libncurses-dev libcurl4-openssl-dev libcjson-dev \
	libsecret-1-dev libmicrohttpd-dev libsqlite3-dev libsodium-dev zlib1g-dev \
	check libsubunit-dev libsecret-tools gnome-keyring dbus dbus-x11 libglib2.0-bin \
	tmux python3 python3-aiosmtpd ca-certificates openssl e2fsprogs

ifeq ($(SANITIZE),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD := build
SANFLAGS :=
endif

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wpedantic -Werror
BASEFLAGS = -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -DGUICHET_VERSION='"$(VERSION)"' \
	$(WARNINGS) $(SANFLAGS) -MMD -MP
# pkg-config runs when a recipe needs it, after `deps` has installed the .pc files
SERVER_PKGS := libmicrohttpd libcjson sqlite3 libsodium libcurl zlib
SERVER_CFLAGS = $(shell pkg-config --cflags $(SERVER_PKGS))
SERVER_LIBS = $(shell pkg-config --libs $(SERVER_PKGS)) -lpthread -lm
CONSOLE_PKGS := libcurl libcjson libsecret-1 ncursesw
CONSOLE_CFLAGS = $(shell pkg-config --cflags $(CONSOLE_PKGS))
CONSOLE_LIBS = $(shell pkg-config --libs $(CONSOLE_PKGS))
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

.PHONY: all check deps test-bins clean demo
all: $(BUILD)/guichetd $(BUILD)/guichet

$(BUILD)/obj/net/server/%.o: net/server/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(SERVER_CFLAGS) -c $< -o $@

$(BUILD)/obj/net/%.o: net/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(CONSOLE_CFLAGS) -c $< -o $@

$(BUILD)/obj/tui/%.o: tui/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(CONSOLE_CFLAGS) -c $< -o $@

$(BUILD)/obj/screens/%.o: screens/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(CONSOLE_CFLAGS) -c $< -o $@

$(BUILD)/guichet: $(CONSOLE_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) -o $@ $^ $(CONSOLE_LIBS)

$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(BASEFLAGS) $(CFLAGS) $(SERVER_CFLAGS) $(CHECK_CFLAGS) -Inet/server -c $< -o $@

$(BUILD)/guichetd: $(SERVER_OBJ) $(BUILD)/obj/net/server/main.o
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) -o $@ $^ $(SERVER_LIBS)

$(BUILD)/test-unit-server: $(UNIT_OBJ) $(SERVER_OBJ)
	@echo "  LD      $@"
	$(Q)$(CC) $(SANFLAGS) $(CFLAGS) -o $@ $^ $(SERVER_LIBS) $(CHECK_LIBS)

test-bins: $(BUILD)/guichetd $(BUILD)/guichet $(BUILD)/test-unit-server

deps:
	@missing=""; \
	for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing missing packages:$$missing"; \
		if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

check: deps
	@$(MAKE) --no-print-directory test-bins
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@bash assets/demo.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
