# Packaging and operations targets, included by the Makefile:
#   make deb            build/guichet_$(VERSION)_amd64.deb, from assets/debian/
#   make package-check  the .deb: lintian, then installed in a temporary root (tests/package.sh)
#   make openapi-lint   assets/openapi.yaml through Redocly's linter (npm)
#   make ops-check      both checks, as .ci/run runs them
# The man pages, completions, service unit, metrics and OpenAPI-versus-server checks
# run in `make check` (tests/api/test_ops.py).

DEB_DEBS := debhelper dpkg-dev lintian
DEB_DIR := build/deb
DEB_FILE := build/guichet_$(VERSION)_amd64.deb
NODE_DEBS := nodejs npm
REDOCLY_VERSION := 2.77.0
REDOCLY := build/redocly/node_modules/.bin/redocly

.PHONY: deb package-check openapi-lint node-deps ops-check

# dpkg-buildpackage in a copy of the tree: assets/debian/ becomes its debian/.
deb: deps
	$(call install_missing,$(DEB_DEBS))
	@test "$$(dpkg-parsechangelog -l assets/debian/changelog -S Version)" = "$(VERSION)" || \
		{ echo "assets/debian/changelog does not start with version $(VERSION)" >&2; exit 1; }
	@rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/guichet-$(VERSION)
	@tar -c --exclude=./build --exclude=./.git --exclude='*.db*' --exclude=./outbox -f - . \
		| tar -x -C $(DEB_DIR)/guichet-$(VERSION)
	@cp -r assets/debian $(DEB_DIR)/guichet-$(VERSION)/debian
	@echo "  DEB     $(DEB_FILE)"
	$(Q)cd $(DEB_DIR)/guichet-$(VERSION) && DEB_BUILD_OPTIONS="nocheck noautodbgsym" \
		dpkg-buildpackage -b -us -uc -d > ../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	@cp $(DEB_DIR)/guichet_$(VERSION)_amd64.deb $(DEB_FILE)

package-check: deb
	@echo "  LINTIAN $(DEB_FILE)"
	$(Q)lintian --fail-on warning $(DEB_FILE)
	$(Q)bash tests/package.sh $(DEB_FILE)

# Debian has no OpenAPI linter: Redocly's, pinned, from npm into build/redocly.
openapi-lint:
	@command -v npm >/dev/null 2>&1 || $(MAKE) --no-print-directory node-deps
	@test -x $(REDOCLY) || npm install --no-audit --no-fund --loglevel=error \
		--prefix build/redocly @redocly/cli@$(REDOCLY_VERSION) >/dev/null
	@echo "  REDOCLY assets/openapi.yaml"
	@# the project has not chosen a license yet: info.license stays out, and so does its rule
	$(Q)out=$$($(REDOCLY) lint --skip-rule=info-license assets/openapi.yaml 2>&1); rc=$$?; \
		if [ $$rc -ne 0 ] || echo "$$out" | grep -qE '[0-9]+ warnings?\.'; then echo "$$out"; exit 1; fi; \
		echo "$$out" | tail -2

# Debian's Node.js, only where there is no npm at all (a machine's own Node.js stays).
node-deps:
	$(call install_missing,$(NODE_DEBS))

ops-check: openapi-lint package-check
