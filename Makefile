# The two commands a new user needs: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
SERIN := .build/debug/serin

.PHONY: run test build dependencies clean benchmark

run: build
	$(SERIN) validate examples/deployments

# One process per test module: suites that block threads (git, kubectl and server child processes) do not starve
# the others of Swift's small cooperative pool on a 2-core machine.
TEST_MODULES := SerinCoreTests CLibGit2Tests CCurlTests SerinCLITests SerinGitTests KubeEmulatorTests SerinKubeTests SerinGatesTests SerinOperatorTests SerinKubeRuntimeTests

test: dependencies
	$(SWIFT) build --build-tests
	@for module in $(TEST_MODULES); do \
		echo "== $$module"; \
		$(SWIFT) test --skip-build --disable-xctest --filter "^$$module\." || exit 1; \
	done

build: dependencies
	$(SWIFT) build --product serin

dependencies:
	@bash scripts/install-dependencies.sh

clean:
	rm -rf .build

# Serin against the git CLI on the same repositories; prints ratios. Not part of `make test`.
benchmark: dependencies
	$(SWIFT) run -c release --package-path Benchmarks SerinBenchmarks
	$(SWIFT) run -c release --package-path Benchmarks InformerBenchmarks
