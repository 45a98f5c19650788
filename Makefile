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

.PHONY: deps build test demo bench goldens clean release install deb check-units

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
	rm -rf .build build

# kioskd killed with SIGKILL at 1,000 random points (the test suite runs 100); KIOSK_KILL_SEED=N replays a run.
.PHONY: soak-kills
soak-kills: deps
	$(SWIFT) build --build-tests
	KIOSK_KILLS=$${KIOSK_KILLS:-1000} $(SWIFT) test --skip-build --filter KioskdRandomKillTests
