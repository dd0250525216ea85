# flowopt - GNU make build. No autotools, no cmake.
#
#   make            build/flowoptd, build/flowopt, build/libflowopt.a (release)
#   make test       deps, sanitizer build in build/asan, every test through prove
#   make run        deps, build, flowoptd on 127.0.0.1:8080 with ./var/flowopt.db
#   make bench      benchmarks, JSON lines on stdout
#   make lint       clang-format, cppcheck, layering rules, OpenAPI linter
#   make install    PREFIX (default /usr/local) and DESTDIR honoured
#
# O is the output directory; SAN=1 builds with ASan+UBSan. `make test` runs
# the sanitizer build in its own directory so its objects never mix with the
# release ones.

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
# Keep the objects of test programs: a rebuild relinks, it does not recompile.
.SECONDARY:

BUILD   ?= build
O       ?= $(BUILD)
SAN     ?= 0
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR  ?= $(PREFIX)/share/doc/flowopt

CC      ?= cc
AR      ?= ar
PKGS    := libmicrohttpd jansson sqlite3 libcurl

# Recursive (=), so pkg-config runs only when compiling: `make deps` must
# work before the -dev packages exist.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wpointer-arith -Wundef
# Never -Ofast/-ffast-math: the NaN/inf guards rely on isfinite().
ifeq ($(SAN),thread)
# ifunc resolvers (target_clones) would run before the TSan runtime is up.
OPTFLAGS := -O1 -g -fsanitize=thread -fno-omit-frame-pointer -DFO_NO_CLONES
else ifeq ($(SAN),fuzz)
# clang only (make fuzz): libFuzzer's coverage in every object, its main
# linked into the fuzzers alone
OPTFLAGS := -O1 -g -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else ifeq ($(SAN),1)
OPTFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else
OPTFLAGS := -O2 -g
LIB_OPTFLAGS := -O3
endif
CPPFLAGS_ALL = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude -Isrc -I$(O)/gen \
               $(CPPFLAGS)
CFLAGS_ALL   = $(WARN) $(OPTFLAGS) -MMD -MP $(CFLAGS)
LDFLAGS_ALL  = $(OPTFLAGS) $(LDFLAGS)

# --- sources -------------------------------------------------------------
LIB_SRC    := $(sort $(wildcard src/core/*.c src/nn/*.c src/flow/*.c src/opt/*.c))
SVC_SRC    := $(sort $(wildcard src/util/*.c src/store/*.c src/service/*.c src/http/*.c \
                src/push/*.c) \
                $(filter-out src/daemon/main.c,$(wildcard src/daemon/*.c)))
DAEMON_SRC := src/daemon/main.c
CLIENT_SRC := $(sort $(wildcard src/client/*.c)) src/util/log.c src/util/text.c
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
TEST_HELP  := $(sort $(wildcard tests/*.c))
TEST_SRC   := $(sort $(wildcard tests/unit/*.c tests/integration/*.c))
TEST_SH    := $(sort $(wildcard tests/integration/*.sh))
BENCH_SRC  := $(sort $(wildcard tests/bench/*.c))
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC))

obj = $(patsubst %.c,$(O)/obj/%.o,$(1))

LIB_OBJ    := $(call obj,$(LIB_SRC))
UI_FILES   := $(sort $(wildcard ui/*))
SVC_OBJ    := $(call obj,$(SVC_SRC)) $(O)/obj/gen/migrations.o $(O)/obj/gen/ui.o
DAEMON_OBJ := $(call obj,$(DAEMON_SRC))
CLIENT_OBJ := $(call obj,$(CLIENT_SRC))
HELP_OBJ   := $(call obj,$(TEST_HELP))
TEST_BIN   := $(patsubst tests/%.c,$(O)/tests/%,$(TEST_SRC))
BENCH_BIN  := $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRC))

LIBFLOWOPT := $(O)/libflowopt.a
LIBSVC     := $(O)/libflowoptd.a
FUZZ_HARNESS := $(call obj,tests/fuzz/harness.c)
REPLAY_BIN := $(addprefix $(O)/tests/fuzz/replay_,$(FUZZ_NAMES))
ALL_OBJ    := $(LIB_OBJ) $(SVC_OBJ) $(DAEMON_OBJ) $(CLIENT_OBJ) $(HELP_OBJ) \
              $(FUZZ_HARNESS) $(call obj,$(FUZZ_SRC) tests/fuzz/replay.c) \
              $(call obj,$(TEST_SRC) $(BENCH_SRC))

.PHONY: all deps test tests tsan fuzz run bench bench-compare lint format check-layers install uninstall clean

all: $(O)/flowoptd $(O)/flowopt $(LIBFLOWOPT)

$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS_ALL) -c $< -o $@

$(O)/obj/gen/%.o: $(O)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS_ALL) -c $< -o $@

$(O)/gen/migrations.c: $(MIGRATIONS) tools/embed_sql.sh
	@mkdir -p $(@D)
	sh tools/embed_sql.sh $@ $(MIGRATIONS)

$(O)/gen/ui.c: $(UI_FILES) tools/embed_ui.sh
	@mkdir -p $(@D)
	sh tools/embed_ui.sh $@ $(UI_FILES)

# The numeric core is the hot path: -O3 in release builds (still no fast-math).
$(LIB_OBJ): CFLAGS_ALL += $(LIB_OPTFLAGS)

$(LIBFLOWOPT): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LIBSVC): $(SVC_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(O)/flowoptd: $(DAEMON_OBJ) $(LIBSVC) $(LIBFLOWOPT)
	$(CC) $(LDFLAGS_ALL) -o $@ $(DAEMON_OBJ) $(LIBSVC) $(LIBFLOWOPT) $(PKG_LIBS) -lpthread -lm

$(O)/flowopt: $(CLIENT_OBJ) $(LIBFLOWOPT)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLIENT_OBJ) $(LIBFLOWOPT) $(PKG_LIBS) -lm

# Test programs: each links the harness, the daemon-side archive and the
# library; static archives pull in only what a test uses.
$(O)/obj/tests/%.o: CPPFLAGS_ALL += -Itests -DFO_TEST_BUILD_DIR='"$(abspath $(O))"' \
                                    -DFO_TEST_SOURCE_DIR='"$(CURDIR)"'
$(O)/tests/%: $(O)/obj/tests/%.o $(HELP_OBJ) $(LIBSVC) $(LIBFLOWOPT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(HELP_OBJ) $(LIBSVC) $(LIBFLOWOPT) $(PKG_LIBS) -lpthread -lm

# test_oom fails the k-th allocation of the library's calls: they reach it
# through the linker's --wrap.
$(O)/tests/unit/test_oom: LDFLAGS_ALL += -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(O)/bench/%: $(O)/obj/tests/bench/%.o $(HELP_OBJ) $(LIBSVC) $(LIBFLOWOPT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(HELP_OBJ) $(LIBSVC) $(LIBFLOWOPT) $(PKG_LIBS) -lpthread -lm -ldl

$(O)/flowopt-bench: $(O)/bench/flowopt_bench
	cp $< $@.tmp && mv -f $@.tmp $@

# A shim for LD_PRELOAD (tests/shim): a sync that fails on demand. Never
# sanitized: it loads before the sanitizer's runtime.
SHIM := $(O)/tests/shim/fail_sync.so
$(SHIM): tests/shim/fail_sync.c
	@mkdir -p $(@D)
	$(CC) $(WARN) -O2 -fPIC -shared -o $@ $< -ldl

# A fuzz target without libFuzzer: replay.c feeds it its corpus and
# regressions once, in make test.
$(O)/tests/fuzz/replay_%: $(O)/obj/tests/fuzz/fuzz_%.o $(call obj,tests/fuzz/replay.c) \
                          $(FUZZ_HARNESS) $(HELP_OBJ) $(LIBSVC) $(LIBFLOWOPT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) -lpthread -lm

# The same with libFuzzer (clang, SAN=fuzz).
$(O)/fuzzers/%: $(O)/obj/tests/fuzz/fuzz_%.o $(FUZZ_HARNESS) $(LIBSVC) $(LIBFLOWOPT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) -lpthread -lm

tests: all $(TEST_BIN) $(REPLAY_BIN) $(SHIM)

# --- developer entry points ---------------------------------------------
deps:
	@sh tools/deps.sh

JOBS ?= 2
# The integration programs record every response into RECORDS; the contract
# test then checks those recordings instead of running the programs again,
# so it runs after the others.
RECORDS  := $(BUILD)/asan/records
CONTRACT := tests/integration/test_contract.sh
test:
	@sh tools/deps.sh test
	$(MAKE) --no-print-directory -j$(JOBS) O=$(BUILD)/asan SAN=1 tests
	rm -rf $(RECORDS) && mkdir -p $(RECORDS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	FLOWOPT_BUILD_DIR=$(BUILD)/asan FLOWOPT_RECORD_DIR=$(abspath $(RECORDS)) \
	prove -j$(JOBS) --exec '' \
	    $(sort $(patsubst tests/%.c,$(BUILD)/asan/tests/%,$(TEST_SRC))) \
	    $(addprefix $(BUILD)/asan/tests/fuzz/replay_,$(FUZZ_NAMES)) \
	    $(filter-out $(CONTRACT),$(TEST_SH))
	FLOWOPT_BUILD_DIR=$(BUILD)/asan FLOWOPT_RECORD_DIR=$(abspath $(RECORDS)) \
	prove --exec '' $(CONTRACT)

# libFuzzer on every target (tests/fuzz/fuzz_*.c) for FUZZ_SECONDS each,
# from the committed seeds (tests/fuzz/corpus/NAME; what it finds stays in
# build/fuzz/corpus); a crash stops here, its input in build/fuzz/crashes:
# add it to tests/fuzz/regressions/NAME, then fix it.
FUZZ_SECONDS ?= 60
fuzz:
	@command -v clang > /dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	$(MAKE) --no-print-directory -j$(JOBS) O=$(BUILD)/fuzz SAN=fuzz CC=clang \
	    $(addprefix $(BUILD)/fuzz/fuzzers/,$(FUZZ_NAMES))
	@for t in $(FUZZ_NAMES); do \
	    mkdir -p $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/crashes; \
	    echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/fuzzers/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(BUILD)/fuzz/crashes/$$t- \
	        $(BUILD)/fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>&1 | \
	        grep -E "^(stat::|#[0-9]+.*DONE|==[0-9]+==|SUMMARY|artifact)" ; \
	    ls $(BUILD)/fuzz/crashes/$$t-* > /dev/null 2>&1 && exit 1; \
	done; echo "fuzz: no crash"

# ThreadSanitizer (cannot share a build with ASan): the threaded tests, with
# ASLR off (setarch -R): TSan's shadow map does not fit 28-bit mmap entropy.
TSAN_TESTS := tests/unit/test_service tests/integration/test_concurrency tests/integration/test_runs \
              tests/integration/test_daemon tests/integration/test_gate
tsan: deps
	$(MAKE) --no-print-directory -j$(JOBS) O=$(BUILD)/tsan SAN=thread tests
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 FLOWOPT_BUILD_DIR=$(BUILD)/tsan \
	setarch $$(uname -m) -R prove --exec '' $(addprefix $(BUILD)/tsan/,$(TSAN_TESTS))

run: deps
	$(MAKE) --no-print-directory -j$(JOBS) all
	@mkdir -p var
	exec ./$(BUILD)/flowoptd --init --listen 127.0.0.1:8080 --db var/flowopt.db

# stdout carries only JSON lines (make bench | jq ...): the build talks on stderr
bench:
	@$(MAKE) --no-print-directory all $(BENCH_BIN) $(O)/flowopt-bench >&2
	@./$(O)/bench/bench_flow
	@./$(O)/bench/bench_allocs
	@FLOWOPT_BUILD_DIR=$(abspath $(O)) ./$(O)/bench/bench_service
	@sh tools/bench_push.sh $(O)
	@sh tools/bench_robust.sh $(O)
	@./$(O)/flowopt-bench
	@$(MAKE) --no-print-directory bench-compare

# The benchmark functions as a shared library, for the CMA-ES reference.
$(O)/libfobench.so: tests/functions.c tests/functions.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_DEFAULT_SOURCE -O2 -fPIC -shared -Itests -o $@ tests/functions.c -lm

# flowopt against IPOP-CMA-ES (Debian's python3-cmaes) on the same problems,
# seeds and budgets: JSON lines on stdout, the table on stderr.
# BENCH_FUNCTIONS=sphere_40,ellipsoid_100 picks others; BENCH_SEEDS, the seeds;
# BENCH_PRESET, flowopt's preset.
BENCH_SEEDS ?= 20
BENCH_PRESET ?= default
bench-compare:
	@sh tools/deps.sh bench >&2
	@$(MAKE) --no-print-directory all $(O)/flowopt-bench $(O)/libfobench.so >&2
	@/usr/bin/python3 tools/bench_compare.py $(O) --seeds $(BENCH_SEEDS) --preset $(BENCH_PRESET) \
	    $(if $(BENCH_FUNCTIONS),--functions $(BENCH_FUNCTIONS))

FORMAT_SRC = $(wildcard src/*/*.c src/*/*.h include/flowopt/*.h tests/*.c tests/*.h tests/*/*.c tests/*/*.h)
lint: check-layers
	clang-format --dry-run --Werror $(FORMAT_SRC)
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	    --suppress=missingIncludeSystem --inline-suppr -Iinclude -Isrc src tests
	sh tools/openapi_lint.sh openapi.yaml

format:
	clang-format -i $(FORMAT_SRC)

check-layers: all
	sh tools/check_layers.sh $(LIBFLOWOPT) $(O)/obj

# --- installation --------------------------------------------------------
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(INCDIR)/flowopt $(DESTDIR)$(UNITDIR)
	install -m 0755 $(O)/flowoptd $(O)/flowopt $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBFLOWOPT) $(DESTDIR)$(LIBDIR)/
	install -m 0644 include/flowopt/*.h $(DESTDIR)$(INCDIR)/flowopt/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCDIR@|$(INCDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    deploy/libflowopt.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libflowopt.pc
	sed -e 's|@BINDIR@|$(BINDIR)|g' deploy/flowoptd.service.in \
	    > $(DESTDIR)$(UNITDIR)/flowoptd.service
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 deploy/flowoptd.conf.example deploy/flowoptd.env.example \
	    deploy/nginx-flowopt.conf.example openapi.yaml $(DESTDIR)$(DOCDIR)/

VERSION := $(shell sed -n 's/^\#define FO_VERSION_STRING "\(.*\)"/\1/p' include/flowopt/flowopt.h)

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/flowoptd $(DESTDIR)$(BINDIR)/flowopt \
	    $(DESTDIR)$(LIBDIR)/libflowopt.a $(DESTDIR)$(LIBDIR)/pkgconfig/libflowopt.pc \
	    $(DESTDIR)$(UNITDIR)/flowoptd.service
	rm -rf $(DESTDIR)$(INCDIR)/flowopt $(DESTDIR)$(DOCDIR)

clean:
	rm -rf $(BUILD)

-include $(ALL_OBJ:.o=.d)
