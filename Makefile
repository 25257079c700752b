# Thin wrapper over CMake. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PY         := /usr/bin/python3
JOBS       ?= $(shell nproc)

.PHONY: all deps demo test unit integration bench fuzz attack entropy conformance clean

all:
	@scripts/deps.sh build
	@cmake -S . -B $(BUILD) -DPC_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@tests/lab/netns-run tests/lab/demo.sh $(BUILD)

$(ASAN_BUILD)/CMakeCache.txt:
	@cmake -S . -B $(ASAN_BUILD) -DPC_SANITIZE=ON -DPC_TESTS=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory unit integration

unit: $(ASAN_BUILD)/CMakeCache.txt
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure

integration: $(ASAN_BUILD)/CMakeCache.txt
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@PC_BUILD=$(abspath $(ASAN_BUILD)) tests/lab/netns-run $(PY) -m pytest -q -p no:cacheprovider tests/integration $(PYTEST_ARGS)

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@bench/run.sh $(BUILD)

# Deckard's resolver scenarios against build/portcullis (about two minutes):
# writes tests/conformance/results/latest.{md,tsv} and fails when a test that
# passed in the committed report fails now and in every re-run.
# DECKARD=DIR points at the Deckard folder (default ../shared/deckard).
conformance:
	@scripts/deps.sh conformance
	@$(MAKE) --no-print-directory all
	@DECKARD=$(DECKARD) tests/conformance/run.sh $(BUILD)

# The off-path forgery harness (tests/attack): minutes, not part of make test.
attack:
	@scripts/deps.sh attack
	@$(MAKE) --no-print-directory all
	@tests/attack/run.sh $(BUILD)
	@$(MAKE) --no-print-directory entropy

# Bits per upstream query an off-path forger must guess, from 100,000 captured queries.
entropy:
	@scripts/deps.sh attack
	@$(MAKE) --no-print-directory all
	@tests/lab/netns-run $(PY) tests/entropy/measure.py $(BUILD) tests/entropy/results $(ENTROPY_ARGS)

fuzz:
	@scripts/deps.sh fuzz
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DPC_FUZZ=ON -DPC_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
