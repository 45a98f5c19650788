# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev udev util-linux alsa-utils

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) test

demo: deps
	$(SWIFT) build --product kioskd --product kioskctl --product kiosk-vcard --product kiosk-central
	scripts/demo.sh

# Tap to frame through the real pcscd + vpcd, over the demo cards (issue 7 adds the Benchmarks/ package).
BENCH_TAPS ?= 60
BENCH_FRAMES ?= 300
bench: deps
	KIOSK_TAP_BENCH_TAPS=$(BENCH_TAPS) $(SWIFT) test --filter tapToFrameLatency
	$(SWIFT) run -c release kiosk-fb-bench $(BENCH_FRAMES)

clean:
	rm -rf .build
