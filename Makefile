# Developer shortcuts. The two commands a newcomer needs are in README.md.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
PKG     := github.com/mlforge/mlforge/internal/buildinfo
LDFLAGS := -s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT)

.PHONY: build install test unit lint bench demo

build: ## build bin/mlforge
	go build -trimpath -ldflags "$(LDFLAGS)" -o bin/mlforge ./cmd/mlforge

install: ## install mlforge into GOBIN
	go install -trimpath -ldflags "$(LDFLAGS)" ./cmd/mlforge

test: ## the whole suite, installing what it needs
	scripts/test.sh

unit: ## the Go tests only, against what is installed
	go test ./...

lint: ## gofmt and go vet
	test -z "$$(gofmt -l $$(git ls-files '*.go'))"
	go vet ./...

bench: build ## every benchmark script under bench/
	for b in bench/*.sh; do bash $$b; done

demo: ## scaffold the default template and run it on local Docker
	scripts/demo.sh
