# Loket: `make run` starts a local desk on embedded SQLite; `make test` runs every test.
GO ?= go
BIN := bin/loket

.PHONY: run build test test-go lint fmt bench clean

run:
	$(GO) run ./cmd/loket serve

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/loket

# PostgreSQL tests run when LOKET_TEST_POSTGRES is set (CI sets it), e.g.
# LOKET_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable make test
test: test-go

test-go:
	$(GO) test -race -count=1 ./...

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
