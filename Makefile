# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
# systemd: systemd-analyze and systemd-sysusers for the unit and package checks.
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev udev util-linux systemd
# make install / make deb: where the files go (DESTDIR stages, e.g. for a package).
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
VERSION ?= 0.6.0
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: deps build test demo bench clean release install deb check-units

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

# Tap to frame through the real pcscd + vpcd, over the demo cards (issue 7 adds the Benchmarks/ package).
BENCH_TAPS ?= 60
bench: deps
	KIOSK_TAP_BENCH_TAPS=$(BENCH_TAPS) $(SWIFT) test --filter tapToFrameLatency

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
