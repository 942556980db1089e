# Overwatch — build, setup and test targets.
# `make test` is the README's test command: it installs what the tests need
# (JSROOT from the npm registry, Debian's chromium and python3-zmq) and runs
# every Go test.

GO        ?= go
BIN       := bin/overwatch
JSROOT    := tools/jsroot/node_modules/jsroot/package.json
APT_PKGS  := chromium python3-zmq

.PHONY: all build setup setup-jsroot setup-system test test-short bench lint demo fuzz clean

all: build

build: setup-jsroot
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/overwatch

# JSROOT is installed at build time, never copied into the repository.
setup-jsroot: $(JSROOT)
$(JSROOT): tools/jsroot/package.json
	cd tools/jsroot && npm install --ignore-scripts --no-audit --no-fund --silent
	@touch $@

# System packages and servers for the interop, browser and store tests (Debian):
# chromium (browser tests), python3-zmq (libzmq interop), python3-scipy (the
# statistical tests' independent oracle), PostgreSQL (the cluster index),
# XRootD (EOS blob backend) and versitygw (a real S3 server, built from the Go
# module proxy). Tests that need one of them skip, naming this target, when it
# is missing.
VERSITYGW := $(shell $(GO) env GOPATH)/bin/versitygw

setup-system: $(VERSITYGW)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	/usr/bin/python3 -c 'import zmq' >/dev/null 2>&1 || missing="$$missing python3-zmq"; \
	/usr/bin/python3 -c 'import scipy' >/dev/null 2>&1 || missing="$$missing python3-scipy"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v xrootd >/dev/null 2>&1 || missing="$$missing xrootd-server"; \
	command -v xrdcp >/dev/null 2>&1 || missing="$$missing xrootd-client"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VERSITYGW):
	$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

setup: setup-jsroot setup-system
	$(GO) mod download

# Modules of their own inside the repository (not part of ./...).
SUBMODULES := examples/customdetector

test: setup lint
	$(GO) test -count=1 -timeout 30m ./...
	for m in $(SUBMODULES); do (cd $$m && $(GO) test -count=1 -timeout 10m ./...) || exit 1; done

test-short:
	$(GO) test -short -count=1 ./...
	for m in $(SUBMODULES); do (cd $$m && $(GO) test -short -count=1 ./...) || exit 1; done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo 'go mod tidy would change go.mod/go.sum:'; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@for m in $(SUBMODULES); do \
	  (cd $$m && { $(GO) mod tidy -diff >/dev/null || { echo "$$m: go mod tidy would change go.mod/go.sum"; exit 1; }; } && \
	   $(GO) vet ./... && $(STATICCHECK) ./...) || exit 1; \
	done

demo: build
	./$(BIN) demo

clean:
	rm -rf bin
