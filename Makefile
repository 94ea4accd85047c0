# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
PREFIX ?= /usr/local

.PHONY: all deps build build-asan install deb run test test-fast test-asan bench soak fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFERRY_SANITIZE=ON

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# ferryd, ferryctl, the VideoFarm programs, libferry (.so and .a), its headers, ferry.pc, the CMake
# package and the systemd user units into $(PREFIX) (README, "Install").
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# $(BUILD)/ferry_VERSION_amd64.deb: the same files under /usr, stripped, with Depends from
# dpkg-shlibdeps (cmake/package.cmake; README, "Install"). `apt install ./$(BUILD)/ferry_*.deb`.
deb: build
	cd $(BUILD) && cpack -G DEB

# Starts ferryd (and, once it exists, the VideoFarm server) in the foreground on embedded defaults.
run: build
	@bash scripts/run.sh $(BUILD)

# Every test, twice: a normal build, then under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build build-asan
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 900
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2 --timeout 900

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 900

bench: build
	@bash bench/run.sh $(BUILD)

# Downloads and uploads through injected faults, ferryd killed 100 times, a full disk; bounded by
# SOAK_SECONDS (default 600), stops by itself, loopback only. See bench/soak/README.md.
soak: build
	@python3 bench/soak/soak.py --build $(BUILD)

# libFuzzer on every decoder of outside bytes, FUZZ_SECONDS (default 300) each.
fuzz: build
	@bash bench/fuzz-parsers $(BUILD) $${FUZZ_SECONDS:-300}

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
