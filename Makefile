# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev udev util-linux \
	libfreetype-dev libpng-dev fonts-dejavu-core fonts-wqy-microhei

.PHONY: deps build test demo bench goldens clean

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
BENCH_FRAMES ?= 50
bench: deps
	KIOSK_TAP_BENCH_TAPS=$(BENCH_TAPS) $(SWIFT) test --filter tapToFrameLatency
	KIOSK_RENDER_BENCH_FRAMES=$(BENCH_FRAMES) $(SWIFT) test --filter renderFrameTimes

# Rewrites Tests/DisplayTests/Golden/*.png from the current rasteriser; look at every changed image before committing.
goldens: deps
	KIOSK_UPDATE_GOLDENS=1 $(SWIFT) test --filter GoldenImageTests

clean:
	rm -rf .build
