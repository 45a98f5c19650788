# CardKiosk: see README.md. Targets that run code depend on `deps`, which installs Debian packages as root.
SWIFT ?= swift
DEB_PACKAGES := pkg-config libpcsclite-dev pcscd vsmartcard-vpcd libsqlite3-dev libudev-dev zlib1g-dev \
                libfreetype-dev fonts-wqy-microhei tmux util-linux procps

.PHONY: deps build test demo bench clean

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) test

demo: deps
	$(SWIFT) build --product kioskd --product kioskctl --product kiosk-vcard
	scripts/demo.sh

bench: deps
	@echo "Benchmarks arrive with issue 7 (Benchmarks/ package); nothing to run yet."

clean:
	rm -rf .build
