# SPDX-License-Identifier: ISC
# eventful - small C programs that turn the EVENTful patterns into Unix
# filters.  See README.md.  Everything a user may override is a variable.

PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
# The tour and the data it reads (examples/), installed together.
EXAMPLEDIR = $(PREFIX)/share/eventful/examples
# Shell completion: bash-completion loads the file named for the command,
# so the one script is there once and linked under every program's name.
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
CC        = cc
CFLAGS    = -O2 -g
WARN      = -Wall -Wextra
HARDEN    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDENLD  = -pie -Wl,-z,relro,-z,now
CPPFLAGS  = -D_GNU_SOURCE
LDFLAGS   =
# jansson is the reference the scanner is tested against (tests/unit,
# tests/fuzz).  Evaluated when a recipe runs, so that `make deps` can
# install it first.
JANSSON_LIBS = $$(pkg-config --libs jansson)
# Webhooks: libcurl delivers (evsub --post), libmicrohttpd receives
# (evpub --listen), libcrypto signs and verifies.  Only evpub and evsub
# (and the unit tests of signing) link them.
WEB_LIBS = $$(pkg-config --libs libcurl libmicrohttpd libcrypto) -lpthread
# The NATS JetStream bus (bus_nats.c): the official C client.
NATS_LIBS = $$(pkg-config --libs libnats)

# Where objects and programs go; `make check` builds a second tree.
BUILD  = build/release
BINDIR = bin

# The Debian packages that building, testing and the benchmark need.
DEPS = gcc make libc6-dev pkg-config libjansson-dev bats bats-assert \
       bats-support mandoc python3 python3-jsonschema jq \
       libcurl4-openssl-dev libmicrohttpd-dev libssl-dev curl wrk tmux \
       openssl zsh libnats-dev nats-server parallel
FUZZDEPS = clang libclang-rt-14-dev
# What only the benchmark runs beside our programs.
BENCHDEPS = mosquitto mosquitto-clients

PROGS = evlog evproject evpub evsub
# The lessons (evtour(1)): a shell script, installed with the programs.
SCRIPTS = evtour
LIBOBJ = buf.o commit.o common.o deliver.o ce.o filter.o format.o id.o idx.o \
         input.o http.o listen.o log.o rd.o out.o post.o \
         pub.o scan.o store.o topic.o bus.o bus_dir.o bus_nats.o watch.o \
         timefmt.o util.o whsig.o
HDR = $(wildcard src/*.h)
UNIT = scan_test event_test filter_test time_test id_test index_test \
       log_test commit_test whsig_test esc_test fold_test
# The unit tests that read real data, from the folder given as argument.
DATAUNIT = scan_test event_test whsig_test

# The real data of the tests (tests/data/README).  EXTRA_CORPUS, empty by
# default, names a folder of the same layout whose files are tested too
# (make test EXTRA_CORPUS=DIR); nothing needs one.
TESTDATA = tests/data
EXTRA_CORPUS =

LIB  = $(BUILD)/libeventful.a
BINS = $(PROGS:%=$(BINDIR)/%) $(SCRIPTS:%=$(BINDIR)/%)
UNITBINS = $(UNIT:%=$(BUILD)/unit/%)

ALLCFLAGS = $(CPPFLAGS) $(CFLAGS) $(WARN) $(HARDEN) -pthread

all: $(BINS)

$(BUILD)/%.o: src/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(LIB): $(LIBOBJ:%=$(BUILD)/%)
	rm -f $@
	ar rcs $@ $^

$(BINDIR)/%: $(BUILD)/%.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HARDENLD) $(LDFLAGS) -pthread -o $@ $< $(LIB) $(LIBS)

$(BINDIR)/evpub $(BINDIR)/evsub $(BINDIR)/evlog: LIBS = $(WEB_LIBS) $(NATS_LIBS)

$(BINDIR)/evtour: src/evtour
	@mkdir -p $(@D)
	cp -f src/evtour $@
	chmod 755 $@

# evproject keeps its state in jansson, and folds with fold.o.
$(BINDIR)/evproject: $(BUILD)/evproject.o $(BUILD)/fold.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HARDENLD) $(LDFLAGS) -pthread -o $@ $(BUILD)/evproject.o \
	    $(BUILD)/fold.o $(LIB) $(JANSSON_LIBS) -lm

$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Isrc $(HARDENLD) $(LDFLAGS) -o $@ $< $(LIB) \
	    $(JANSSON_LIBS) $(WEB_LIBS) $(NATS_LIBS)

# fold.o is no part of the library (only evproject takes jansson for
# state): its test links it beside.
$(BUILD)/unit/fold_test: tests/unit/fold_test.c tests/unit/unit.h \
    $(BUILD)/fold.o $(LIB) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -Isrc $(HARDENLD) $(LDFLAGS) -o $@ $< \
	    $(BUILD)/fold.o $(LIB) $(JANSSON_LIBS) -lm

# The fault-injection shim of tests/evlog.bats.
$(BUILD)/fault.so: tests/fault/fault.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O1 -Wall -Wextra -o $@ $< -ldl

unit: $(UNITBINS) $(BUILD)/fault.so
	@for t in $(UNITBINS); do echo "$$t"; ./$$t $(TESTDATA) || exit 1; done
	@if [ -n "$(EXTRA_CORPUS)" ]; then for t in $(DATAUNIT); do \
	    echo "$(BUILD)/unit/$$t $(EXTRA_CORPUS)"; \
	    ./$(BUILD)/unit/$$t $(EXTRA_CORPUS) || exit 1; done; fi

# bats runs JOBS tests at once (GNU parallel): most of a test's time is
# spent waiting on servers, pipes and deadlines, not on the CPU, so more
# jobs than cores pay.  A suite whose tests share fixed state says
# BATS_NO_PARALLELIZE_WITHIN_FILE.  BATSFLAGS adds to bats's options
# (--timing, say).
JOBS      = 4
BATSFLAGS =
BATS      = bats --jobs $(JOBS) $(BATSFLAGS)

# The test suite: C unit tests, then every bats suite against $(BINDIR).
test: deps
	$(MAKE) all
	$(MAKE) unit
	BATS_TEST_TIMEOUT=120 EVENTFUL_BIN=$(CURDIR)/$(BINDIR) \
	    EVENTFUL_FAULT=$(CURDIR)/$(BUILD)/fault.so \
	    EVENTFUL_EXTRA_CORPUS="$(EXTRA_CORPUS)" $(BATS) tests

# The same suite, built with AddressSanitizer and UndefinedBehaviorSanitizer.
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
check: deps
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin HARDEN= \
	    CFLAGS="$(SANFLAGS)" HARDENLD="$(SANFLAGS)" all unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	BATS_TEST_TIMEOUT=300 EVENTFUL_BIN=$(CURDIR)/build/asan/bin \
	    EVENTFUL_BUILD=$(CURDIR)/build/asan \
	    EVENTFUL_FAULT=$(CURDIR)/build/asan/fault.so \
	    EVENTFUL_EXTRA_CORPUS="$(EXTRA_CORPUS)" $(BATS) tests

# libFuzzer, FUZZTIME seconds each: the scanner against jansson, then the
# envelope, filter and time parsers.
FUZZTIME = 60
fuzz: deps
	@$(MAKE) -s fuzzdeps
	mkdir -p build/fuzz/corpus
	cp $(TESTDATA)/json-test-suite/test_parsing/*.json build/fuzz/corpus/
	[ -z "$(EXTRA_CORPUS)" ] || cp \
	    $(EXTRA_CORPUS)/json-test-suite/test_parsing/*.json build/fuzz/corpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Isrc \
	    -o build/fuzz/scan_fuzz tests/fuzz/scan_fuzz.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(JANSSON_LIBS) $(WEB_LIBS) $(NATS_LIBS)
	build/fuzz/scan_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/corpus
	mkdir -p build/fuzz/ecorpus
	cp $(TESTDATA)/cloudevents/valid/*.json build/fuzz/ecorpus/
	[ -z "$(EXTRA_CORPUS)" ] || cp \
	    $(EXTRA_CORPUS)/cloudevents/valid/*.json build/fuzz/ecorpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) -Isrc \
	    -o build/fuzz/event_fuzz tests/fuzz/event_fuzz.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(WEB_LIBS) $(NATS_LIBS)
	build/fuzz/event_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/ecorpus

fuzzdeps:
	@$(MAKE) -s deps DEPS="$(FUZZDEPS)"

bench: deps all
	$(MAKE) deps DEPS="$(BENCHDEPS)"
	bench/run

# The lessons: step by step on a terminal, straight through otherwise.
demo: deps all
	$(BINDIR)/evtour

# Installs what is missing with apt-get when root; else says how.
deps:
	@missing=; for p in $(DEPS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "make deps: missing:$$missing"; \
	    echo "run as root: apt-get install -y$$missing"; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y --no-install-recommends $$missing || \
	    { apt-get update && \
	      apt-get install -y --no-install-recommends $$missing; }

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7 \
	    $(DESTDIR)$(EXAMPLEDIR)/data
	cp -f $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -f man/man1/*.1 $(DESTDIR)$(MANPREFIX)/man1/
	cp -f man/man7/*.7 $(DESTDIR)$(MANPREFIX)/man7/
	for f in man/man5/*.5; do [ -f "$$f" ] && \
	    cp -f $$f $(DESTDIR)$(MANPREFIX)/man5/ || true; done
	cp -f examples/tour $(DESTDIR)$(EXAMPLEDIR)/
	cp -f examples/data/* $(DESTDIR)$(EXAMPLEDIR)/data/
	mkdir -p $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	cp -f completion/eventful.bash $(DESTDIR)$(BASHCOMPDIR)/eventful
	for p in $(PROGS) $(SCRIPTS); do \
	    ln -sf eventful $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	cp -f completion/_eventful $(DESTDIR)$(ZSHCOMPDIR)/

uninstall:
	for p in $(PROGS) $(SCRIPTS); do rm -f $(DESTDIR)$(PREFIX)/bin/$$p; done
	for f in man/man*/*.[0-9]; do \
	    rm -f $(DESTDIR)$(MANPREFIX)/$$(basename $$(dirname $$f))/$$(basename $$f); \
	done
	rm -rf $(DESTDIR)$(EXAMPLEDIR)
	rmdir $(DESTDIR)$(PREFIX)/share/eventful 2>/dev/null || true
	for p in eventful $(PROGS) $(SCRIPTS); do \
	    rm -f $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	rm -f $(DESTDIR)$(ZSHCOMPDIR)/_eventful

lint:
	mandoc -Tlint -Wwarning man/man*/*.[0-9]

clean:
	rm -rf build bin

.PHONY: all unit test check fuzz fuzzdeps bench demo deps install uninstall \
	lint clean
.SECONDARY:
