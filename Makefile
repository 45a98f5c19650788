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

.PHONY: deps build test demo bench goldens clean release install deb check-units fuzz-build fuzz fuzz-ci fuzz-seeds

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

# Benchmarks: Benchmarks/ is its own package (release build), so `make test` never builds it. Figures are printed
# as a table and written as JSON under .build/bench/.
BENCH_TAPS ?= 60
BENCH_SUBJECTS ?= 1000000,5000000
BENCH_FRAMES ?= 300
BENCH_RENDER_FRAMES ?= 50
bench: deps
	cd Benchmarks && $(SWIFT) package resolve && $(SWIFT) build -c release --product kiosk-bench
	mkdir -p .build/bench
	Benchmarks/.build/release/kiosk-bench snapshot --subjects $(BENCH_SUBJECTS) --delta 1000000 --json .build/bench/snapshot.json
	Benchmarks/.build/release/kiosk-bench frame --frames 100 --json .build/bench/frame.json
	KIOSK_TAP_BENCH_TAPS=$(BENCH_TAPS) $(SWIFT) test --filter tapToFrameLatency
	$(SWIFT) run -c release kiosk-fb-bench $(BENCH_FRAMES)
	KIOSK_RENDER_BENCH_FRAMES=$(BENCH_RENDER_FRAMES) $(SWIFT) test --filter renderFrameTimes

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
