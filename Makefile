# mintfs - a FUSE filesystem of endless unique images.
#
#   make                      build build/mintfs
#   make run                  build, make a demo store, mount it at ./mnt
#   make test                 unit and mount tests
#   make SANITIZE=address,undefined test    the same under ASan+UBSan
#   make deps                 apt-get install what building and testing need

CC ?= cc
SANITIZE ?=
# FAULT=1: a test build whose store can stop hard at each commit step
FAULT ?=
comma := ,
BUILD_TAG := $(if $(FAULT),-fault)$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))
BUILD ?= build$(BUILD_TAG)

PKGS := fuse3 libpng libjpeg libwebp libwebpmux cairo pangocairo fontconfig \
	sqlite3 libcrypto zlib libexif libgif imagequant libcurl libheif \
	libtiff-4 x265 libdeflate
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wstrict-prototypes -Wmissing-declarations \
	-Wwrite-strings -Wvla -Wshadow -Wformat=2
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 \
	-DFUSE_USE_VERSION=314 $(WARN) $(CFLAGS) $(PKG_CFLAGS) \
	-Isrc -Isplice -Ivariants -MMD -MP -pthread
ifneq ($(WERROR),)
ALL_CFLAGS += -Werror
endif
ifneq ($(FAULT),)
ALL_CFLAGS += -DMINT_FAULT_INJECTION
endif
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
# -lgomp: libimagequant's OpenMP, told to use one thread (animated.c)
LIBS := $(PKG_LIBS) -lgomp -lm -pthread

# The core never includes <fuse.h>; fs.c and main.c are the FUSE layer,
# mintctl.c the same core as a command without FUSE.
FUSE_SRC := src/fs.c src/main.c
CTL_SRC := $(wildcard src/mintctl.c)
# A variant of several files may have a folder of its own under variants/;
# splice/ holds each format's base and what is spliced from it.
CORE_SRC := $(filter-out $(FUSE_SRC) $(CTL_SRC),$(wildcard src/*.c)) \
	$(wildcard generators/*.c) $(wildcard variants/*.c) \
	$(wildcard variants/*/*.c) $(wildcard splice/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
FUSE_OBJ := $(FUSE_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all run stop test unit deps bench clean install uninstall
all: $(BUILD)/mintfs $(if $(CTL_SRC),$(BUILD)/mintctl)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# PNG's filter sums vectorise at -O3 (about 1.6x faster; BENCHMARKS.md).
$(BUILD)/src/pngwrite.o: ALL_CFLAGS += -O3

$(BUILD)/libmint.a: $(CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/mintfs: $(FUSE_OBJ) $(BUILD)/libmint.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/mintctl: $(CTL_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libmint.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmint.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< \
		$(BUILD)/libmint.a $(LIBS)

# Packages needed to build, run and test, installed only when one is missing.
DEB_PKGS := build-essential pkg-config fuse3 libfuse3-dev libpng-dev \
	libjpeg62-turbo-dev libwebp-dev libcairo2-dev libsqlite3-dev \
	libssl-dev zlib1g-dev libisal-dev libdeflate-dev libfontconfig-dev \
	libpango1.0-dev libexif-dev libgif-dev libimagequant-dev libtiff-dev \
	giflib-tools libtiff-tools \
	fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji \
	python3 python3-pytest python3-pil python3-numpy \
	imagemagick webp libjpeg-turbo-progs pngcheck rsync sqlite3 \
	libimage-exiftool-perl python3-pil python3-numpy \
	chromium libglib2.0-bin clang-14 libclang-rt-14-dev \
	libcurl4-openssl-dev libheif-dev libheif-examples libavif-bin \
	libx265-dev
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@# node may come from elsewhere than Debian, whose npm would clash
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -qq nodejs npm >/dev/null; } || exit 1
	@[ tests/browser/node_modules/.package-lock.json -nt \
	   tests/browser/package-lock.json ] || \
		npm ci --prefix tests/browser --no-audit --no-fund

unit: $(UNIT_BIN)
# The crash tests need a second build with fault injection.
FAULT_BUILD := build-fault$(if $(SANITIZE),-$(subst $(comma),-,$(SANITIZE)))
# Builds use every CPU (JOBS); the tests choose their own parallelism.
JOBS ?= $(shell nproc)
test: deps
	$(MAKE) -j$(JOBS) --no-print-directory all unit
	$(MAKE) -j$(JOBS) --no-print-directory FAULT=1 BUILD=$(FAULT_BUILD) all
	BUILD=$(BUILD) MINTFS_FAULT=$(CURDIR)/$(FAULT_BUILD)/mintfs tests/run.sh

# Benchmarks print figures (docs/BENCHMARKS.md); they assert nothing.
BENCH_IMAGES ?= /usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg \
	/usr/share/backgrounds/mate/nature/Dune.jpg
$(BUILD)/bench_%: tests/bench/bench_%.c $(BUILD)/libmint.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libmint.a $(LIBS)
# libdeflate and ISA-L only to be compared with: mintfs links neither.
$(BUILD)/bench_deflate: LIBS += $(shell pkg-config --libs libdeflate libisal)
bench: deps
	@dpkg-query -W -f='$${Status}' mate-backgrounds 2>/dev/null | \
		grep -q 'install ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		mate-backgrounds >/dev/null
	$(MAKE) --no-print-directory all $(BUILD)/bench_noise $(BUILD)/bench_text \
		$(BUILD)/bench_deflate $(BUILD)/bench_gif
	$(BUILD)/bench_deflate $(BENCH_IMAGES)
	$(BUILD)/bench_noise $(BENCH_IMAGES)
	$(BUILD)/bench_gif $(BENCH_IMAGES)
	$(BUILD)/bench_text
	MINTFS=$(BUILD)/mintfs /usr/bin/python3 tests/bench/bench_mount.py \
		$(BENCH_IMAGES)
	MINTFS=$(BUILD)/mintfs /usr/bin/python3 tests/bench/bench_s3.py \
		$(BENCH_IMAGES)

MNT ?= mnt
DEMO_STORE ?= demo-store
run: deps
	$(MAKE) --no-print-directory all
	@mkdir -p $(MNT)
	@if mountpoint -q $(MNT); then fusermount3 -u $(MNT); fi
	$(BUILD)/mintfs --store $(DEMO_STORE) $(MNT)
	@assets/demo.sh $(MNT)
	@echo "mintfs is mounted at ./$(MNT) (store: ./$(DEMO_STORE))."
	@echo "Stop it with: make stop   (or: fusermount3 -u $(MNT))"
stop:
	fusermount3 -u $(MNT)

# Install like any filesystem tool: PREFIX and DESTDIR as usual.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BUILD)/mintfs $(DESTDIR)$(BINDIR)/mintfs
	install -m 644 docs/mintfs.1 $(DESTDIR)$(MANDIR)/man1/mintfs.1
	if [ -n "$(CTL_SRC)" ]; then \
		install -m 755 $(BUILD)/mintctl $(DESTDIR)$(BINDIR)/mintctl; \
		install -m 644 docs/mintctl.1 $(DESTDIR)$(MANDIR)/man1/mintctl.1; \
	fi
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mintfs $(DESTDIR)$(BINDIR)/mintctl \
		$(DESTDIR)$(MANDIR)/man1/mintfs.1 $(DESTDIR)$(MANDIR)/man1/mintctl.1

clean:
	rm -rf build build-*

-include tests/fuzz/fuzz.mk
-include $(CORE_OBJ:.o=.d) $(FUSE_OBJ:.o=.d) $(CTL_SRC:%.c=$(BUILD)/%.d) \
	$(UNIT_BIN:=.d)
