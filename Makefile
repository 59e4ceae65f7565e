# crioimg: `make` builds everything (build/crioimg, examples, tests); `make test` runs every test.
# Other targets: asan (tests under ASan+UBSan with clang), compile-checks (C++, CRIOIMG_STATIC in two
# translation units, gcc and clang strict), test-arm64 (unit and CLI tests cross-built for aarch64, run
# under qemu-user: the ARMv8 SHA-256 path), test-mbedtls (unit tests with mbedtls's SHA-256 as one more
# path), fuzz (libFuzzer targets), fuzz-replay (corpus through a plain driver), bench (bench/run),
# amalgamate / check-amalgamation. test-armhf (32-bit), test-mips (32-bit big-endian), test-tcc and
# test-musl (static musl) run the unit and CLI tests the same way.

CC      ?= cc
CLANG   ?= clang
CXX     ?= g++
AARCH64_CC ?= aarch64-linux-gnu-gcc
QEMU_AARCH64 ?= qemu-aarch64
ARMHF_CC ?= arm-linux-gnueabihf-gcc
QEMU_ARM ?= qemu-arm
MIPS_CC  ?= mips-linux-gnu-gcc
QEMU_MIPS ?= qemu-mips
TCC      ?= tcc
MUSL_CC  ?= musl-gcc
WARN     = -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror
CFLAGS  ?= -O2 -g
NPROC   := $(shell nproc 2>/dev/null || echo 2)   # compiles run side by side: each one builds the whole implementation
B        = build
SRC      = $(wildcard src/*.h src/*.c) src/MANIFEST LICENSE tools/amalgamate
TESTSRC  = $(wildcard tests/*.c tests/*.h tests/data/*.h fuzz/*.c)   # the tests include the fuzz targets' checks
FUZZERS  = $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
# libcurl for the HTTP transport: the CLI, the unit tests and the transport tests use it; the portable
# build goes without, so that the no-transport path is tested too
CURL_CFLAGS ?= -DCRIOIMG_WITH_CURL $(shell pkg-config --cflags libcurl 2>/dev/null)
CURL_LIBS   ?= $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
MBEDTLS_LIBS ?= -lmbedtls -lmbedx509 -lmbedcrypto

.PHONY: install footprint stack all asan-build test demo test-unpack bench-unpack test-arm64 test-armhf test-mips test-tcc test-musl test-mbedtls asan tsan compile-checks fuzz fuzz-replay bench amalgamate check-amalgamation clean

all: $(B)/crioimg $(B)/crioimg-mbedtls $(B)/minimal $(B)/host_store $(B)/host_transport $(B)/embedded_runtime $(B)/firmware_check $(B)/offline_load $(B)/test_harness $(B)/http_get $(B)/http_get_mbedtls $(B)/registry_live $(B)/test_crioimg $(B)/fuzz_replay $(B)/portable/crioimg $(B)/portable/test_crioimg $(B)/inflate_gunzip

crioimg.h: $(SRC)
	tools/amalgamate

amalgamate:
	tools/amalgamate

check-amalgamation:
	tools/amalgamate --check

$(B):
	@mkdir -p $(B)

$(B)/crioimg: examples/crioimg.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ examples/crioimg.c $(CURL_LIBS)

# the man page and the bash completion: written by the tool itself, from the table its --help prints
$(B)/crioimg.1: $(B)/crioimg
	$(B)/crioimg help --man > $@.tmp && mv $@.tmp $@

$(B)/crioimg.bash: $(B)/crioimg
	$(B)/crioimg help --bash-completion > $@.tmp && mv $@.tmp $@

# make install PREFIX=/usr/local DESTDIR=: the header, the tool, its man page and its bash completion
PREFIX  ?= /usr/local
DESTDIR ?=
install: $(B)/crioimg $(B)/crioimg.1 $(B)/crioimg.bash
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 crioimg.h $(DESTDIR)$(PREFIX)/include/crioimg.h
	install -m 0755 $(B)/crioimg $(DESTDIR)$(PREFIX)/bin/crioimg
	install -m 0644 $(B)/crioimg.1 $(DESTDIR)$(PREFIX)/share/man/man1/crioimg.1
	install -m 0644 $(B)/crioimg.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/crioimg

# the CLI for firmware: the sockets + mbedtls transport, no libcurl
$(B)/crioimg-mbedtls: examples/crioimg.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -DCRIOIMG_WITH_MBEDTLS -o $@ examples/crioimg.c $(MBEDTLS_LIBS)

$(B)/minimal: examples/minimal.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/minimal.c

$(B)/host_store: examples/host_store.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/host_store.c

$(B)/host_transport: examples/host_transport.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/host_transport.c

# the examples for each kind of user (tests/examples.sh): an embedded runtime (its own transport and
# store, no libcurl, no threads), a firmware check (no transport at all), a test harness (canned transport)
$(B)/embedded_runtime: examples/embedded_runtime.c examples/host_transport.c examples/host_store.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/embedded_runtime.c

$(B)/firmware_check: examples/firmware_check.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/firmware_check.c

$(B)/offline_load: examples/offline_load.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/offline_load.c

$(B)/test_harness: examples/test_harness.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ examples/test_harness.c

$(B)/http_get: tests/http_get.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ tests/http_get.c $(CURL_LIBS) -lpthread

# the same driver over the sockets + mbedtls transport
$(B)/http_get_mbedtls: tests/http_get.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -DCRIOIMG_WITH_MBEDTLS -o $@ tests/http_get.c $(MBEDTLS_LIBS) -lpthread

# the registry client against distribution's registry, over the libcurl transport (tests/registry_live.sh)
$(B)/registry_live: tests/registry_live.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ tests/registry_live.c $(CURL_LIBS)

$(B)/test_crioimg: $(TESTSRC) crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) $(CURL_CFLAGS) -o $@ tests/test_all.c $(CURL_LIBS)

# the same without the SSE2 fast paths: the portable code must give every answer alone too
$(B)/portable/crioimg: examples/crioimg.c crioimg.h
	@mkdir -p $(B)/portable
	$(CC) $(WARN) $(CFLAGS) -DCRIOIMG_NO_SIMD -o $@ examples/crioimg.c

$(B)/portable/test_crioimg: $(TESTSRC) crioimg.h
	@mkdir -p $(B)/portable
	$(CC) $(WARN) $(CFLAGS) -DCRIOIMG_NO_SIMD -o $@ tests/test_all.c

# crioimg's inflate as a gunzip filter: the differential tests (tests/inflate.sh) and bench/inflate/run
$(B)/inflate_gunzip: bench/inflate/gunzip.c crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ bench/inflate/gunzip.c

# every fuzz target linked with a plain main() that feeds it each file of its corpus
$(B)/fuzz_replay: $(wildcard fuzz/*.c fuzz/*.h) crioimg.h | $(B)
	$(CC) $(WARN) $(CFLAGS) -o $@ fuzz/replay.c

# what each use case (parse, resolve, list a store, the CLI) adds to a program, -Os with --gc-sections
# (bench/footprint/run; x86-64, and armhf Thumb-2 when its cross compiler is there)
footprint: crioimg.h
	bench/footprint/run

# the largest stack frames (-fstack-usage) and a whole pull's stack high-water mark (bench/stack/run)
stack: crioimg.h
	bench/stack/run

# installs what the suites need first (tools/deps: apt-get as root or through sudo, else the exact command)
test:
	tools/deps test
	@$(MAKE) --no-print-directory -j$(NPROC) all
	tests/run

demo:
	tools/demo

# The same tests built with clang under AddressSanitizer and UndefinedBehaviorSanitizer. The binaries are
# separate targets so that make -j builds them side by side (each compiles the whole implementation).
SAN_FLAGS = -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN  = -O1 $(SAN_FLAGS)
# the programs that do little work of their own (the examples, the transport and live-registry drivers)
# at -O0: a quarter of the compile time each, and the sanitizers see the same code paths
SAN0 = -O0 $(SAN_FLAGS)
A    = $(B)/asan
ASAN_BINS = $(A)/test_crioimg $(A)/crioimg $(A)/crioimg-mbedtls $(A)/http_get $(A)/http_get_mbedtls \
            $(A)/registry_live $(A)/host_transport $(A)/host_store $(A)/minimal $(A)/embedded_runtime \
            $(A)/firmware_check $(A)/offline_load $(A)/test_harness $(A)/fuzz_replay $(A)/inflate_gunzip
$(A):
	@mkdir -p $(A)
$(A)/test_crioimg: $(TESTSRC) crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN) $(CURL_CFLAGS) -o $@ tests/test_all.c $(CURL_LIBS)
$(A)/crioimg: examples/crioimg.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN) $(CURL_CFLAGS) -o $@ examples/crioimg.c $(CURL_LIBS)
$(A)/crioimg-mbedtls: examples/crioimg.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN) -DCRIOIMG_WITH_MBEDTLS -o $@ examples/crioimg.c $(MBEDTLS_LIBS)
$(A)/http_get: tests/http_get.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN0) $(CURL_CFLAGS) -o $@ tests/http_get.c $(CURL_LIBS) -lpthread
$(A)/http_get_mbedtls: tests/http_get.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN0) -DCRIOIMG_WITH_MBEDTLS -o $@ tests/http_get.c $(MBEDTLS_LIBS) -lpthread
$(A)/registry_live: tests/registry_live.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN0) $(CURL_CFLAGS) -o $@ tests/registry_live.c $(CURL_LIBS)
$(A)/fuzz_replay: $(wildcard fuzz/*.c fuzz/*.h) crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN) -o $@ fuzz/replay.c
$(A)/inflate_gunzip: bench/inflate/gunzip.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN) -o $@ bench/inflate/gunzip.c
$(A)/%: examples/%.c examples/host_transport.c examples/host_store.c crioimg.h | $(A)
	$(CLANG) $(WARN) $(SAN0) -o $@ $<
asan-build: $(ASAN_BINS)
asan: crioimg.h
	@$(MAKE) --no-print-directory -j$(NPROC) asan-build
	CRIOIMG_BUILD=$(A) tests/run

# The unit tests under ThreadSanitizer: a pull with jobs > 1 runs its blobs on threads over one store
# handle and one host transport (tests/test_pull.c).
tsan: crioimg.h | $(B)
	@mkdir -p $(B)/tsan
	$(CLANG) $(WARN) -O1 -g -fsanitize=thread -o $(B)/tsan/test_crioimg tests/test_all.c
	$(B)/tsan/test_crioimg

# Cross-built for aarch64 (static, so qemu-user needs no sysroot) and run under qemu-user, whose default
# CPU has the SHA-256 instructions: the unit tests print which SHA-256 paths they compared. The CLI tests
# run the arm64 build through a small wrapper.
test-arm64: crioimg.h | $(B)
	@mkdir -p $(B)/arm64
	$(AARCH64_CC) $(WARN) $(CFLAGS) -static -o $(B)/arm64/test_crioimg tests/test_all.c
	$(AARCH64_CC) $(WARN) $(CFLAGS) -static -o $(B)/arm64/crioimg examples/crioimg.c
	@printf '#!/bin/sh\nexec $(QEMU_AARCH64) "$$(dirname "$$0")/crioimg" "$$@"\n' > $(B)/arm64/crioimg-qemu
	@chmod +x $(B)/arm64/crioimg-qemu
	$(QEMU_AARCH64) $(B)/arm64/test_crioimg
	tests/cli.sh $(B)/arm64/crioimg-qemu

# The unit and CLI tests built by another compiler or for another target: $(call port_test,dir,cc,flags,runner,libs)
# builds build/dir/test_crioimg and build/dir/crioimg and runs the unit tests through runner (qemu-user, or
# nothing) while tests/cli.sh runs a wrapper that starts the CLI the same way (the CLI tests mostly wait).
define port_test
	@mkdir -p $(B)/$(1)
	$(2) $(3) -o $(B)/$(1)/test_crioimg tests/test_all.c $(5)
	$(2) $(3) -o $(B)/$(1)/crioimg examples/crioimg.c $(5)
	@printf '#!/bin/sh\nexec $(4) "$$(dirname "$$0")/crioimg" "$$@"\n' > $(B)/$(1)/crioimg-run
	@chmod +x $(B)/$(1)/crioimg-run
	@$(4) $(B)/$(1)/test_crioimg > $(B)/$(1)/unit.log 2>&1 & u=$$!; \
	 echo "$(1): tests/cli.sh"; tests/cli.sh $(B)/$(1)/crioimg-run; c=$$?; \
	 wait $$u; t=$$?; echo "$(1): unit tests"; cat $(B)/$(1)/unit.log; [ $$t = 0 ] && [ $$c = 0 ]
endef

# 32-bit ARM (32-bit size_t and long, 64-bit file offsets), static, under qemu-user
test-armhf: crioimg.h | $(B)
	$(call port_test,armhf,$(ARMHF_CC),$(WARN) $(CFLAGS) -static,$(QEMU_ARM))

# 32-bit big-endian MIPS, static, under qemu-user: every byte-order assumption shows here
test-mips: crioimg.h | $(B)
	$(call port_test,mips,$(MIPS_CC),$(WARN) $(CFLAGS) -static,$(QEMU_MIPS))

# tcc: its own preprocessor and code generator, no merging of string literals; libcurl as in make test
test-tcc: crioimg.h | $(B)
	$(call port_test,tcc,$(TCC),-Wall -Werror -g $(CURL_CFLAGS),,$(CURL_LIBS))

# musl libc, static (musl-gcc wraps the system gcc), strict C99
test-musl: crioimg.h | $(B)
	$(call port_test,musl,$(MUSL_CC),$(WARN) $(CFLAGS) -static,)

# mbedtls's SHA-256 as one more path, compared with the others like them, and the unit tests with the
# sockets + mbedtls transport compiled in. (That transport against loopback servers is in tests/transport.sh,
# which make test runs for both backends.)
test-mbedtls: crioimg.h | $(B)
	@mkdir -p $(B)/mbedtls
	$(CC) $(WARN) $(CFLAGS) -DCRIOIMG_WITH_MBEDTLS -o $(B)/mbedtls/test_crioimg tests/test_all.c $(MBEDTLS_LIBS)
	$(B)/mbedtls/test_crioimg

compile-checks: crioimg.h | $(B)
	tests/compile/run

# every libFuzzer target (make -j builds them side by side)
# FUZZ_OPT: -O1 for fuzzing; CI, which only builds them and replays the corpus, passes -O0 (a fifth of
# the compile time for 18 targets, each the whole implementation under three sanitizers)
FUZZ_OPT ?= -O1
fuzz: $(patsubst %,$(B)/fuzz/%,$(FUZZERS))
$(B)/fuzz/%: fuzz/fuzz_%.c $(wildcard fuzz/*.h) crioimg.h
	@mkdir -p $(B)/fuzz
	$(CLANG) $(WARN) $(FUZZ_OPT) -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $<

fuzz-replay: $(B)/fuzz_replay
	$(B)/fuzz_replay fuzz/corpus

bench: all
	bench/run

# The unpack suite alone: crioimg unpack against umoci unpack (images by umoci and GNU tar) and the
# hostile-layer corpus (tests/unpack.sh; make test runs it too).
test-unpack: $(B)/crioimg
	tests/unpack.sh $(B)/crioimg

# Unpack of a multi-layer image of real file trees, crioimg against umoci in the same run: wall time and
# peak RSS (bench/unpack/run).
bench-unpack: $(B)/crioimg
	bench/unpack/run $(B)/crioimg

clean:
	rm -rf $(B)
