# The two commands a new user needs: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
SERIN := .build/debug/serin

.PHONY: run test build dependencies clean benchmark

run: build
	$(SERIN) validate examples/deployments

test: dependencies
	$(SWIFT) build --build-tests
	$(SWIFT) test --disable-xctest

build: dependencies
	$(SWIFT) build --product serin

dependencies:
	@bash scripts/install-dependencies.sh

clean:
	rm -rf .build

# Serin against the git CLI on the same repositories; prints ratios. Not part of `make test`.
benchmark: dependencies
	$(SWIFT) run -c release --package-path Benchmarks SerinBenchmarks
