# Thin wrapper over CMake. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
PY         := /usr/bin/python3
JOBS       ?= $(shell nproc)
PREFIX     ?= /usr/local
DESTDIR    ?=

.PHONY: all deps install deb package-check demo test unit integration bench fuzz attack entropy stress conformance clean

# Plain make only builds: it names missing packages instead of installing them.
all:
	@scripts/deps.sh --check build
	@cmake -S . -B $(BUILD) -DPC_TESTS=OFF -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs (as root) the Debian packages the build needs.
deps:
	@scripts/deps.sh build

# PREFIX=/usr/local by default; DESTDIR stages the tree for a package.
install: all
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# A Debian package (../portcullis_VERSION_ARCH.deb, as dpkg-buildpackage
# writes it), and its check in a clean Debian root (needs root, a mirror and
# a few minutes; not part of make test).
deb:
	@scripts/deps.sh deb
	@dpkg-buildpackage -us -uc -b

package-check: deb
	@scripts/package-check.sh $$(ls -t ../portcullis_*_$$(dpkg --print-architecture).deb | head -1)

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@tests/lab/netns-run tests/lab/demo.sh $(DEMO_ARGS) $(BUILD)

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
	@PC_BUILD=$(abspath $(ASAN_BUILD)) tests/lab/netns-run $(PY) -m pytest -q -p no:cacheprovider -m "not privileged" tests/integration $(PYTEST_ARGS)
	@if [ "$$(id -u)" = 0 ]; then \
		PC_BUILD=$(abspath $(ASAN_BUILD)) tests/lab/netns-run-root $(PY) -m pytest -q -p no:cacheprovider -m privileged tests/integration $(PYTEST_ARGS); \
		rc=$$?; \
		if [ $$rc = 77 ]; then echo "integration: the privileged tests (privilege drop) were NOT run (see above)"; \
		elif [ $$rc = 5 ] && [ "$(if $(strip $(PYTEST_ARGS)),set)" = set ]; then echo "integration: PYTEST_ARGS selected no privileged test"; \
		elif [ $$rc != 0 ]; then exit $$rc; fi; \
	else \
		echo "integration: the privileged tests (privilege drop) were NOT run: they need root"; \
	fi

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

# Resource bounds under hostile load (tests/stress): a flood of misses to a
# silent zone, a TCP client that never reads, 600 slowloris connections;
# minutes, not part of make test. STRESS_ARGS='--soak 300' adds the soak.
stress:
	@scripts/deps.sh stress
	@$(MAKE) --no-print-directory all
	@tests/lab/netns-run $(PY) tests/stress/stress.py --build $(BUILD) --out tests/stress/results.md $(STRESS_ARGS)

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
