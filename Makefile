GO ?= go
BIN := bin/fwpol

.PHONY: build test fmt-check vet fuzz bench demo clean

build:
	$(GO) build -o $(BIN) ./cmd/fwpol

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

test: fmt-check vet
	$(GO) test -race -count=1 ./...

clean:
	rm -rf bin out
