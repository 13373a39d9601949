# Loket: `make run` starts a local desk on embedded SQLite; `make test` runs every test.
GO ?= go
BIN := bin/loket

.PHONY: run build web test test-go test-web lint fmt bench clean

run: web
	$(GO) run ./cmd/loket serve

build: web
	$(GO) build -trimpath -o $(BIN) ./cmd/loket

# The agent web app, embedded into the binary (needs Node >= 20.19 and npm).
web:
	cd web/agent && npm ci --no-audit --no-fund && npm run build
	cd web/widget && npm ci --no-audit --no-fund && npm run build

# PostgreSQL tests run when LOKET_TEST_POSTGRES is set (CI sets it), e.g.
# LOKET_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable make test
PG_SKIPPED := PostgreSQL tests skipped: set LOKET_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run them

# test runs the Go tests and the web tests, the second even when the first
# fail, and fails when either did.
test:
	@$(MAKE) --no-print-directory -k test-go test-web || { echo "make test: FAILED (see above)"; exit 1; }

# Every package's failures are reported; the binary built once here serves
# the tests that run it (cmd/loket) and the browser tests. Four packages at
# a time: much of their time is spent waiting on databases and sockets, so
# two cores are kept busy by more than two.
test-go: build
	@rc=0; LOKET_BIN=$(CURDIR)/$(BIN) $(GO) test -race -count=1 -p 4 ./... || rc=$$?; \
	[ -n "$$LOKET_TEST_POSTGRES" ] || echo "$(PG_SKIPPED)"; \
	exit $$rc

# Browser tests drive Debian's Chromium (apt-get install chromium); without
# it they are skipped outside CI. Unit and browser tests both run.
test-web: build
	@rc=0; \
	(cd web/agent && npm test) || rc=1; \
	(cd web/widget && npm test) || rc=1; \
	if [ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || [ -n "$$CI" ]; then \
		(cd web/agent && LOKET_BIN=$(CURDIR)/$(BIN) npm run e2e) || rc=1; \
	else \
		echo "browser tests skipped: install chromium (apt-get install chromium) to run them"; \
	fi; \
	exit $$rc

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

bench:
	$(GO) run ./cmd/loket bench ingest --messages 20000 --concurrency 64

clean:
	rm -rf bin
	find web/agent/build -mindepth 1 ! -name .gitkeep -delete
	find web/widget/build -mindepth 1 ! -name .gitkeep -delete
