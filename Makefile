# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev udev util-linux openssl alsa-utils \
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
	KIOSK_TAP_BENCH_TAPS=$(BENCH_TAPS) $(SWIFT) test --filter tapToFrameLatency
	$(SWIFT) run -c release kiosk-fb-bench $(BENCH_FRAMES)
	KIOSK_RENDER_BENCH_FRAMES=$(BENCH_RENDER_FRAMES) $(SWIFT) test --filter renderFrameTimes

# Rewrites Tests/DisplayTests/Golden/*.png from the current rasteriser; look at every changed image before committing.
goldens: deps
	KIOSK_UPDATE_GOLDENS=1 $(SWIFT) test --filter GoldenImageTests

clean:
	rm -rf .build
