# tests/fuzz/fuzz.mk - the libFuzzer targets (docs/FUZZING.md); included
# by the Makefile, whose variables it uses (ALL_CFLAGS, LIBS, CORE_SRC).
#
#   make fuzz                       build, then fuzz each target for
#                                   FUZZ_SECONDS (60); fails on a crash
#   make fuzz FUZZ_TARGETS="png jpeg" FUZZ_SECONDS=600
#   make fuzz FUZZ_JOBS=1           one target at a time (default: one
#                                   per CPU, side by side)
#   make fuzz-build                 only build build-fuzz/fuzz_<target>
#   make fuzz-replay                the targets without libFuzzer, built by
#                                   $(CC) into $(BUILD)/fuzz/: they replay
#                                   the files or folders given
#
# The fuzz build is clang with -fsanitize=fuzzer-no-link,address,undefined
# for the core and fuzzer,address,undefined for the link, in its own folder:
# no object is shared with build/. Each run starts from the seeds in
# tests/fuzz/corpus/<target>/, which libFuzzer only reads: what it finds is
# written to build-fuzz/corpus/<target>/ (kept, so the next run goes on
# from there) and crash files to build-fuzz/crashes/<target>/. The whole
# libFuzzer log is build-fuzz/logs/<target>.log. LeakSanitizer reads
# tests/fuzz/lsan.supp (fontconfig's patterns, which it cannot follow).

FUZZ_CC ?= clang-14
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= commit png jpeg webp text sizespec s3log vp8 heif gif \
	bmp tiff
FUZZ_RSS_MB ?= 2048
# seconds one input may take before it counts as a hang
FUZZ_TIMEOUT ?= 10
FUZZ_OPTS ?=

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := $(filter-out -fsanitize=% -fno-omit-frame-pointer,\
	$(ALL_CFLAGS)) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BIN := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-replay

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libmint.a: $(FUZZ_CORE_OBJ)
	rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o \
		$(FUZZ_BUILD)/libmint.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_main.c \
		$(BUILD)/libmint.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) \
		$(BUILD)/libmint.a $(LIBS)

.SECONDARY: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o)
fuzz-build: $(FUZZ_BIN)
fuzz-replay: $(FUZZ_REPLAY)

# FUZZ_JOBS targets at a time (default: one per CPU); tests/fuzz/run.sh
# runs every target even when one fails, then fails naming the crash files.
fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
	FUZZ_RSS_MB=$(FUZZ_RSS_MB) FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) \
	FUZZ_OPTS="$(FUZZ_OPTS)" $(if $(FUZZ_JOBS),FUZZ_JOBS=$(FUZZ_JOBS)) \
	tests/fuzz/run.sh $(FUZZ_TARGETS)

-include $(FUZZ_CORE_OBJ:.o=.d) \
	$(FUZZ_TARGETS:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.d)
