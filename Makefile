GO ?= go
BIN := bin/fwpol
FUZZTIME ?= 10s

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

# Runs every Fuzz* target for FUZZTIME each (bounded, for CI).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# Go benchmarks (parse throughput, flow decisions, packet-space algebra),
# then end-to-end timings on the generated 850K-line estate.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./scripts/bench-e2e.sh

demo: build
	./scripts/demo.sh

clean:
	rm -rf bin out
