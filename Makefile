# diskatlas — see README.md.  `make demo` and `make check` are the two
# commands a newcomer runs; both install missing dependencies first.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
CC ?= cc
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config

include pkgs.mk

WARN = -std=c11 -Wall -Wextra -Werror
ENGINE_CFLAGS = $(WARN) -D_GNU_SOURCE -Isrc $(shell $(PKG_CONFIG) --cflags $(ENGINE_PKGS) $(ENGINE_DL_PKGS) 2>/dev/null)
UI_CFLAGS = $(WARN) -D_GNU_SOURCE -Isrc -Iui $(shell $(PKG_CONFIG) --cflags $(UI_PKGS) 2>/dev/null)
# STATIC=1 (the default) links the libraries of pkgs.mk from their archives
# (libNAME.a) where those are installed, shared where not: a short run then
# skips the dynamic loader's work for them (diskatlas --version: 1.2 -> 0.9
# ms of CPU).  libc stays shared; the optional libraries are dlopened
# (src/dl.h).  STATIC=0 links them all shared.
STATIC ?= 1
ifeq ($(STATIC),1)
LIBC_PARTS = -lc -ldl -lpthread -lm -lrt
# libNAME.a in one of the -L directories of $(1), or where $(CC) looks
lib_archive = $(firstword $(wildcard $(addsuffix /lib$(2).a,$(patsubst -L%,%,$(filter -L%,$(1))))) $(filter /%,$(shell $(CC) -print-file-name=lib$(2).a)))
static_libs = $(foreach w,$(1),$(if $(filter-out $(LIBC_PARTS),$(filter -l%,$(w))),$(or $(call lib_archive,$(1),$(w:-l%=%)),$(w)),$(w)))
ENGINE_LIBS := $(call static_libs,$(shell $(PKG_CONFIG) --static --libs $(ENGINE_PKGS) 2>/dev/null)) -ldl -lpthread
UI_LIBS := $(call static_libs,$(shell $(PKG_CONFIG) --static --libs $(UI_PKGS) 2>/dev/null))
else
ENGINE_LIBS = $(shell $(PKG_CONFIG) --libs $(ENGINE_PKGS) 2>/dev/null) -ldl -lpthread
UI_LIBS = $(shell $(PKG_CONFIG) --libs $(UI_PKGS) 2>/dev/null)
endif
TEST_CFLAGS = $(WARN) -D_GNU_SOURCE -Isrc $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
# test_qcow2 compresses clusters itself, with zlib (which the engine loads)
TEST_LIBS = $(shell $(PKG_CONFIG) --libs cmocka zlib 2>/dev/null)

ifeq ($(SAN),1)
CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

ENGINE_SRC = $(sort $(wildcard src/*.c src/*/*.c))
ENGINE_OBJ = $(ENGINE_SRC:%.c=build/%.o)
UI_SRC = $(sort $(wildcard ui/*.c))
UI_OBJ = $(UI_SRC:%.c=build/%.o)
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(UNIT_SRC:%.c=build/%)
HDRS = $(wildcard src/*.h src/*.def src/*/*.h ui/*.h)

all: diskatlas

build/src/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS) $(ENGINE_CFLAGS) -c $< -o $@-t && mv $@-t $@

build/ui/%.o: ui/%.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS) $(UI_CFLAGS) -c $< -o $@-t && mv $@-t $@

build/libdiskatlas.a: $(ENGINE_OBJ)
	@rm -f $@-t
	@echo '  AR      $@'
	@ar rcs $@-t $^ && mv $@-t $@

# the libraries linked, rewritten only when they change (STATIC=0 and
# back): what links them links again
build/link-libs: FORCE
	@mkdir -p build
	@echo '$(ENGINE_LIBS) $(UI_LIBS)' | cmp -s - $@ || echo '$(ENGINE_LIBS) $(UI_LIBS)' > $@

diskatlas: $(UI_OBJ) build/libdiskatlas.a build/link-libs
	@echo '  LD      $@'
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@-t $(UI_OBJ) build/libdiskatlas.a $(ENGINE_LIBS) $(UI_LIBS)
	@mv $@-t $@

build/tests/unit/%: tests/unit/%.c build/libdiskatlas.a build/link-libs $(HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< build/libdiskatlas.a $(ENGINE_LIBS) $(TEST_LIBS)

unit: $(UNIT_BIN)

deps:
	@sh tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory all unit
	@sh tests/run.sh $(TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@sh docs/samples/demo.sh

# make bench's instruments (tests/bench): a CPU-time runner, the CPU clock
# preloaded into the explorer, a bare libext2fs scan to compare with, a
# program that does nothing (the floor under whole-process figures)
BENCH_BIN = build/bench/rus build/bench/cpuclock.so build/bench/e2scan \
	build/bench/diskatlas-ncshared build/bench/nothing
BENCH_CFLAGS = -O2 -g $(WARN)

build/bench/rus: tests/bench/rus.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(BENCH_CFLAGS) -o $@ $< -lutil

build/bench/nothing: tests/bench/nothing.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(BENCH_CFLAGS) -o $@ $<

build/bench/cpuclock.so: tests/bench/cpuclock.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(BENCH_CFLAGS) -shared -fPIC -o $@ $< -ldl

# the explorer with ncurses linked shared, for the measures that wrap its
# wrefresh and wget_wch (cpuclock.so: the first frame, key to paint),
# which a static ncurses keeps to itself; the same objects as diskatlas
build/bench/diskatlas-ncshared: $(UI_OBJ) build/libdiskatlas.a build/link-libs
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(UI_OBJ) build/libdiskatlas.a $(ENGINE_LIBS) $(shell $(PKG_CONFIG) --libs $(UI_PKGS) 2>/dev/null)

build/bench/e2scan: tests/bench/e2scan.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(BENCH_CFLAGS) $(shell $(PKG_CONFIG) --cflags ext2fs com_err) -o $@ $< $(shell $(PKG_CONFIG) --libs ext2fs com_err)

bench: deps
	@$(MAKE) --no-print-directory -s all $(BENCH_BIN)
	@sh tests/bench/run.sh

fuzz:
	@$(MAKE) --no-print-directory -f tests/fuzz/Makefile

install: diskatlas
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 diskatlas $(DESTDIR)$(BINDIR)/diskatlas
	install -m 644 docs/diskatlas.1 $(DESTDIR)$(MANDIR)/man1/diskatlas.1

# the bench images (build/bench-images) take minutes to make: clean keeps
# them; rm -rf build removes them too
clean:
	[ ! -d build ] || find build -mindepth 1 -maxdepth 1 ! -name bench-images -exec rm -rf {} +
	rm -rf diskatlas diskatlas-t tests/out

.PHONY: all unit deps check demo bench fuzz install clean FORCE
