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
test: test-go test-web

test-go: web
	$(GO) test -race -count=1 ./...

# Browser tests drive Debian's Chromium (apt-get install chromium); without
# it they are skipped outside CI.
test-web: build
	cd web/agent && npm test
	cd web/widget && npm test
	@if [ -x "$${CHROMIUM_PATH:-/usr/bin/chromium}" ] || [ -n "$$CI" ]; then \
		cd web/agent && LOKET_BIN=$(CURDIR)/$(BIN) npm run e2e; \
	else \
		echo "browser tests skipped: install chromium (apt-get install chromium) to run them"; \
	fi

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
