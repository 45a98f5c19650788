# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
# systemd: systemd-analyze and systemd-sysusers for the unit and package checks.
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev udev util-linux systemd \
	openssl alsa-utils libfreetype-dev libpng-dev fonts-dejavu-core fonts-wqy-microhei
# make install / make deb: where the files go (DESTDIR stages, e.g. for a package).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
VERSION ?= 0.6.0
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: deps build test demo bench bench-build soak soak-kills goldens clean release install deb check-units fuzz-build fuzz \
	fuzz-ci fuzz-seeds

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: deps
	$(SWIFT) build

# The package test writes ~1 GB; it runs alone after the rest (PackageTests, KIOSK_DEB_TEST=1).
test: deps
	$(SWIFT) test
	KIOSK_DEB_TEST=1 $(SWIFT) test --skip-build --filter PackageTests

demo: deps
	$(SWIFT) build --product kioskd --product kioskctl --product kiosk-vcard --product kiosk-central
	scripts/demo.sh

# Benchmarks: Benchmarks/ is its own package (release build of kiosk-bench, kioskd and kiosk-central), so `make test`
# never builds it. Each benchmark prints its table and writes JSON under .build/bench/; the last step prints them all
# as one table (.build/bench/all.json). The tap benchmark and the soak start a private pcscd and need root.
BENCH_BIN := Benchmarks/.build/release
BENCH_SUBJECTS ?= 1000000,5000000
BENCH_FRAMES ?= 100
BENCH_RASTER_FRAMES ?= 50
BENCH_FB_FRAMES ?= 300
BENCH_TAPS ?= 1000
BENCH_MEMORY_TAPS ?= 10000
BENCH_IDLE_SECONDS ?= 30
SOAK_TAPS ?= 100000

bench-build: deps
	cd Benchmarks && $(SWIFT) package resolve && $(SWIFT) build -c release --product kioskd && \
		$(SWIFT) build -c release --product kiosk-central && $(SWIFT) build -c release --product kiosk-bench

bench: bench-build
	mkdir -p .build/bench
	$(BENCH_BIN)/kiosk-bench snapshot --subjects $(BENCH_SUBJECTS) --delta 1000000 --json .build/bench/snapshot.json
	$(BENCH_BIN)/kiosk-bench frame --frames $(BENCH_FRAMES) --json .build/bench/frame.json
	$(BENCH_BIN)/kiosk-bench raster --frames $(BENCH_RASTER_FRAMES) --json .build/bench/raster.json
	$(BENCH_BIN)/kiosk-bench fb --frames $(BENCH_FB_FRAMES) --json .build/bench/fb.json
	$(BENCH_BIN)/kiosk-bench tap --taps $(BENCH_TAPS) --memory-taps $(BENCH_MEMORY_TAPS) \
		--idle-seconds $(BENCH_IDLE_SECONDS) --json .build/bench/tap.json
	$(BENCH_BIN)/kiosk-bench idle --seconds $(BENCH_IDLE_SECONDS) --json .build/bench/idle.json
	$(BENCH_BIN)/kiosk-bench table .build/bench/snapshot.json .build/bench/frame.json .build/bench/raster.json \
		.build/bench/fb.json .build/bench/tap.json .build/bench/idle.json --json .build/bench/all.json

# SOAK_TAPS taps with random faults against one release kioskd (not in CI; 100,000 taps took 47 minutes here).
# Fails if RSS grows by 1 MB or more after warm-up, a descriptor leaks, or a tap draws no frame.
soak: bench-build
	mkdir -p .build/bench
	$(BENCH_BIN)/kiosk-bench soak --taps $(SOAK_TAPS) --json .build/bench/soak.json

# Fuzzing: Fuzz/ is its own package of libFuzzer harnesses (release build with -sanitize=fuzzer), so `make test`
# never builds it. `make fuzz` runs each harness FUZZ_SECONDS over its working corpus Fuzz/.corpus/<harness>/ (kept
# between runs) and the checked-in seeds Fuzz/Corpus/<harness>/; crash inputs go to Fuzz/.artifacts/. `make fuzz-ci`
# runs each briefly from the seeds only. See README.md ("Fuzzing").
FUZZ_SECONDS ?= 60
FUZZ_CI_SECONDS ?= 10
FUZZ_HARNESSES ?= ber-tlv pboc ssse sam-frame id-text evdev hidpos payload-classifier snapshot-payload \
	snapshot-manifest
fuzz-build: deps
	cd Fuzz && $(SWIFT) package resolve && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer

fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_SECONDS) keep $(FUZZ_HARNESSES)

fuzz-ci: fuzz-build
	scripts/fuzz.sh $(FUZZ_CI_SECONDS) seeds $(FUZZ_HARNESSES)

# Rewrites Fuzz/Corpus/<harness>/ from each harness's seed generator (test vectors, card images, scan fixtures).
fuzz-seeds: fuzz-build
	for h in $(FUZZ_HARNESSES); do rm -rf Fuzz/Corpus/$$h && FUZZ_WRITE_SEEDS=Fuzz/Corpus/$$h Fuzz/.build/release/fuzz-$$h || exit 1; done

# Rewrites Tests/DisplayTests/Golden/*.png from the current rasteriser; look at every changed image before committing.
goldens: deps
	KIOSK_UPDATE_GOLDENS=1 $(SWIFT) test --filter GoldenImageTests

# Static release binaries (the Swift runtime linked in, so a kiosk needs no Swift installed).
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product kioskd --product kioskctl --product kiosk-central

install: release
	STRIP=1 scripts/install-tree.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" "$(DESTDIR)" "$(PREFIX)" "$(SYSCONFDIR)"

# build/cardkiosk_VERSION_ARCH.deb (PREFIX=/usr inside the package).
deb: release
	STRIP=1 scripts/build-deb.sh "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)" build "$(VERSION)"

# The systemd units through systemd-analyze (also part of `make test`, in SystemdUnitTests).
check-units: deps
	systemd-analyze security --offline=yes --threshold=20 systemd/kioskd.service
	systemd-analyze security --offline=yes --threshold=20 systemd/kiosk-central.service

clean:
	rm -rf .build build Fuzz/.build

# kioskd killed with SIGKILL at 1,000 random points (the test suite runs 100); KIOSK_KILL_SEED=N replays a run.
soak-kills: deps
	$(SWIFT) build --build-tests
	KIOSK_KILLS=$${KIOSK_KILLS:-1000} $(SWIFT) test --skip-build --filter KioskdRandomKillTests
