# The two commands a new user needs: `make run` and `make test`. Both install what they need first.
SWIFT ?= swift
SERIN := .build/debug/serin

.PHONY: run test build dependencies python-dependencies clean benchmark

# Serin on this machine: a quickstart repository, model servers as local processes, Serin's router on :8080.
run: dependencies
	$(SWIFT) build --product serin
	$(SWIFT) build --product serin-model-server
	@bash scripts/quickstart.sh

# One process per test module: suites that block threads (git, kubectl and server child processes) do not starve
# the others of Swift's small cooperative pool on a 2-core machine.
TEST_MODULES := SerinCoreTests CLibGit2Tests CCurlTests SerinCLITests SerinGitTests KubeEmulatorTests SerinKubeTests SerinGatesTests SerinOperatorTests ReferenceModelServerTests SerinLocalRuntimeTests SerinRouterTests SerinKubeRuntimeTests SerinEndpointsTests

test: dependencies python-dependencies
	$(SWIFT) build --build-tests
	@for module in $(TEST_MODULES); do \
		echo "== $$module"; \
		$(SWIFT) test --skip-build --disable-xctest --filter "^$$module\." || exit 1; \
	done

build: dependencies
	$(SWIFT) build --product serin
	$(SWIFT) build --product serin-model-server

dependencies:
	@bash scripts/install-dependencies.sh

# .venv with MLServer and scikit-learn (the MLServer end-to-end test, SerinLocalRuntimeTests), the CRD validator and the
# chart tests' Helm and kubernetes-validate (SerinCoreTests, SerinCLITests); only `make test`
# needs it.
python-dependencies:
	@bash scripts/install-python.sh

clean:
	rm -rf .build

# Serin against the git CLI on the same repositories, kubectl on the same emulator, and the router against direct
# calls and nginx on the same upstreams; prints ratios. Not part of `make test`.
benchmark:
	@bash scripts/install-dependencies.sh benchmark
	@# SwiftPM keeps the root package's file lists in this build plan and misses files added to or removed from it
	@# since the last benchmark build (the root is a path dependency here); dropping the plan makes it list them anew.
	@rm -f Benchmarks/.build/release.yaml
	$(SWIFT) run -c release --package-path Benchmarks SerinBenchmarks
	$(SWIFT) run -c release --package-path Benchmarks InformerBenchmarks
	$(SWIFT) build -c release --product serin
	$(SWIFT) run -c release --package-path Benchmarks OperatorBenchmarks
	$(SWIFT) run -c release --package-path Benchmarks RouterBenchmarks
