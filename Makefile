# KeyShareDetector: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1
# No MSBuild or compiler server is left behind after a target finishes.
export MSBUILDDISABLENODEREUSE := 1
export DOTNET_CLI_USE_MSBUILD_SERVER := 0
export UseSharedCompilation := false

CONFIG ?= Release
DURATION ?= 45
SEED ?= 1
CLI := src/KeyShareDetector.Cli/bin/$(CONFIG)/net10.0/keyshare
TEST_RESULTS ?= artifacts/test-results

.PHONY: all restore build test test-deps soak demo eval dev-broker bench bench-micro bench-e2e clean

all: build

restore:
	dotnet restore KeyShareDetector.sln

build: restore
	dotnet build KeyShareDetector.sln -c $(CONFIG) --no-restore -nodeReuse:false

# OS packages the tests need (PostgreSQL binaries for the audit ledger's throwaway server), when we may install them.
test-deps:
	@if ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null && ! command -v pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql for the audit ledger tests"; \
	    apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1; \
	  else echo "PostgreSQL binaries not found: set KSD_TEST_POSTGRES or install postgresql"; fi; \
	fi

# Runs every test project; the console summary of each is what .ci/run adds up.
test: test-deps build
	@rm -rf $(TEST_RESULTS); mkdir -p $(TEST_RESULTS)
	@set -o pipefail; status=0; \
	for p in tests/*/*.Tests.csproj; do \
	  name=$$(basename $$p .csproj); \
	  dotnet test $$p -c $(CONFIG) --no-build --logger "trx;LogFileName=$$name.trx" \
	    --results-directory $(TEST_RESULTS) --blame-hang-timeout 5m 2>&1 | tee $(TEST_RESULTS)/$$name.log || status=1; \
	done; \
	dotnet build-server shutdown >/dev/null 2>&1 || true; \
	exit $$status

# `make soak`: the reliability tests (the tests tagged Category=Soak: fault runs, scale-out, hostile input, hostile
# key) at SOAK times their CI size, then one line of figures per test (events, faults, duration, missing, duplicated),
# collected by the tests in SOAK_RESULTS. Console logs go to $(dir SOAK_RESULTS)soak.log.
SOAK ?= 5
SOAK_RESULTS ?= artifacts/soak/results.txt
SOAK_PROJECTS := tests/KeyShareDetector.Detection.Tests/KeyShareDetector.Detection.Tests.csproj tests/KeyShareDetector.Integration.Tests/KeyShareDetector.Integration.Tests.csproj
soak: build
	@mkdir -p $(dir $(SOAK_RESULTS)); rm -f $(SOAK_RESULTS) $(dir $(SOAK_RESULTS))soak.log
	@set -o pipefail; status=0; start=$$(date +%s); \
	for p in $(SOAK_PROJECTS); do \
	  KSD_SOAK=$(SOAK) KSD_SOAK_RESULTS=$(abspath $(SOAK_RESULTS)) dotnet test $$p -c $(CONFIG) --no-build --filter "Category=Soak" \
	    --blame-hang-timeout 60m 2>&1 | tee -a $(dir $(SOAK_RESULTS))soak.log || status=1; \
	done; \
	echo "== make soak: SOAK=$(SOAK) (x$(SOAK) the CI sizes), $$(( $$(date +%s) - start )) s in all, status $$status =="; \
	cat $(SOAK_RESULTS) 2>/dev/null || echo "no figures were recorded"; \
	dotnet build-server shutdown >/dev/null 2>&1 || true; \
	exit $$status

demo: build
	$(CLI) demo --duration $(DURATION) --seed $(SEED)

eval: build
	$(CLI) eval --seed $(SEED)

dev-broker: build
	$(CLI) dev-broker

# `make bench` = the micro-benchmarks, then the end-to-end harness.
bench: bench-micro bench-e2e

# BenchmarkDotNet micro-benchmarks (ns/op, B/op); BENCH_FILTER narrows them, BENCH_JOB=short for a quick pass.
BENCH_FILTER ?= *
BENCH_JOB ?= short
bench-micro: restore
	dotnet run -c Release --project tests/KeyShareDetector.Benchmarks -- --filter '$(BENCH_FILTER)' --job $(BENCH_JOB)

# End to end on the embedded broker: bare consumer vs detector, latency at half load, RSS per 100,000 keys.
# Sized by BENCH_E2E_EVENTS (1000000), BENCH_E2E_KEYS (50000), BENCH_E2E_PARTITIONS (0 = automatic),
# BENCH_E2E_THREADS (2), BENCH_E2E_WAIT_MS (10), BENCH_E2E_COMMIT_MS (100), BENCH_E2E_SEED (1), BENCH_E2E_LATENCY_EVENTS (0 = all), BENCH_E2E_FLEET_PARTITIONS (8), BENCH_E2E_LINGER_MS (500); table on stdout, JSON in BENCH_E2E_OUT.
BENCH_E2E_OUT ?= artifacts/bench/e2e.json
# glibc malloc arenas, as the Helm chart sets them for the detector (detector.mallocArenaMax); the JSON records it.
BENCH_E2E_MALLOC_ARENA_MAX ?= 2
# .NET's tiered compilation call counting delay, as the Helm chart sets it (detector.tieredCallCountingDelayMs); the JSON records it.
BENCH_E2E_TC_CALL_COUNTING_DELAY_MS ?= 0
export BENCH_E2E_EVENTS BENCH_E2E_KEYS BENCH_E2E_PARTITIONS BENCH_E2E_THREADS BENCH_E2E_WAIT_MS BENCH_E2E_COMMIT_MS BENCH_E2E_SEED BENCH_E2E_LATENCY_EVENTS BENCH_E2E_FLEET_PARTITIONS BENCH_E2E_LINGER_MS
E2E := tests/KeyShareDetector.Benchmarks.EndToEnd/bin/$(CONFIG)/net10.0/KeyShareDetector.Benchmarks.EndToEnd
bench-e2e: restore
	dotnet build tests/KeyShareDetector.Benchmarks.EndToEnd -c $(CONFIG) --no-restore -nodeReuse:false -v quiet
	BENCH_COMMAND="make $(or $(MAKECMDGOALS),bench) $(MAKEOVERRIDES)" BENCH_GIT_COMMIT="$$(git rev-parse --short HEAD 2>/dev/null)" \
	  MALLOC_ARENA_MAX=$(BENCH_E2E_MALLOC_ARENA_MAX) DOTNET_TC_CallCountingDelayMs=$(BENCH_E2E_TC_CALL_COUNTING_DELAY_MS) $(E2E) --out $(BENCH_E2E_OUT)

clean:
	rm -rf artifacts; dotnet clean KeyShareDetector.sln >/dev/null 2>&1 || true
