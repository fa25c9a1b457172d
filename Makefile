# SPDX-License-Identifier: ISC
# eventful - small C programs that turn the EVENTful patterns into Unix
# filters.  See README.md.  Everything a user may override is a variable.

# The version, in this one place: the programs' --version (EV_VERSION),
# evtour's, the installed man pages' dates, make dist, NEWS and
# debian/changelog (tests/package.bats checks that they agree).
VERSION = 0.2.0
RELDATE = December 6, 2026

PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
# The tour and the data it reads (examples/), installed together.
EXAMPLEDIR = $(PREFIX)/share/eventful/examples
# Shell completion: bash-completion loads the file named for the command,
# so the one script is there once and linked under every program's name.
# Debian's zsh reads /usr/share/zsh/vendor-completions for packages and
# /usr/local/share/zsh/site-functions for the rest.
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)

# The commands, as the GNU coding standards name them.
CC         = cc
AR         = ar
PKG_CONFIG = pkg-config
INSTALL    = install

# The packager's flags (dpkg-buildflags exports them): taken from the
# environment or the command line and added to, never replaced.
CFLAGS   ?= -O2 -g
CPPFLAGS ?=
LDFLAGS  ?=
# The project's own flags, always on, kept apart from those.
# -ffile-prefix-map: the same source at two paths builds the same bytes.
EV_CPPFLAGS = -D_GNU_SOURCE -DEV_VERSION='"$(VERSION)"'
WARN      = -Wall -Wextra
HARDEN    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE $(HARDENCC)
HARDENLD  = -fPIE -pie -Wl,-z,relro,-z,now
# Stack clash and control-flow protection where the compiler has them for
# this machine (-fcf-protection is x86's only).
HARDENCC := $(foreach f,-fstack-clash-protection -fcf-protection,$(shell \
    $(CC) -Werror $(f) -E -x c /dev/null -o /dev/null 2>/dev/null && \
    echo $(f)))
REPRO     = -ffile-prefix-map=$(CURDIR)=.
# jansson is the reference the scanner is tested against (tests/unit,
# tests/fuzz).  Evaluated when a recipe runs, so that `make deps` can
# install it first.
JANSSON_LIBS = $$($(PKG_CONFIG) --libs jansson)
# Webhooks: libcurl delivers (evsub --post), libmicrohttpd receives
# (evpub --listen), libcrypto signs and verifies.  Only evpub and evsub
# (and the unit tests of signing) link them.
WEB_LIBS = $$($(PKG_CONFIG) --libs libcurl libmicrohttpd libcrypto) -lpthread
# The NATS JetStream bus (bus_nats*.c): the official C client.
NATS_LIBS = $$($(PKG_CONFIG) --libs libnats)

# Where objects and programs go; `make check` builds a second tree.
BUILD  = build/release
BINDIR = bin

# The Debian packages that building, testing and the benchmark need.
# chromium and nodejs run tests/sse.bats's real browser and npm clients
# (npm too, unless a nodejs that bundles it is there); Nchan in nginx is
# the SSE server it reads and bench/sse compares with.
DEPS = gcc make libc6-dev pkg-config libjansson-dev bats bats-assert \
       bats-support mandoc python3 python3-jsonschema jq \
       libcurl4-openssl-dev libmicrohttpd-dev libssl-dev curl wrk tmux \
       openssl zsh libnats-dev nats-server parallel chromium nodejs nginx \
       libnginx-mod-nchan \
       debhelper dpkg-dev fakeroot lintian blhc
FUZZDEPS = clang libclang-rt-14-dev
# What only the benchmark runs beside our programs.
BENCHDEPS = mosquitto mosquitto-clients

PROGS = evlog evproject evpub evsub
# The lessons (evtour(1)): a shell script, installed with the programs.
SCRIPTS = evtour
LIBOBJ = ack.o buf.o commit.o common.o deliver.o ce.o cebin.o filter.o format.o \
         id.o idx.o input.o http.o lines.o listen.o listen_body.o \
         listen_github.o log.o rd.o out.o post.o sseparse.o ssein.o pub.o \
         scan.o scan_stage1.o store.o topic.o topiclist.o trace.o bus.o \
         bus_dir.o bus_find.o bus_nats.o bus_nats_conn.o bus_nats_live.o \
         bus_nats_msg.o bus_nats_name.o bus_nats_pub.o bus_nats_read.o \
         bus_nats_topic.o watch.o timefmt.o util.o whsig.o
# The programs' side of the shared command line (cli.c): it ends the
# program, so it is linked into the programs, never into the library.
CLIOBJ = cli.o
HDR = $(wildcard src/*.h)
UNIT = scan_test event_test filter_test time_test id_test index_test \
       log_test commit_test whsig_test esc_test fold_test sseparse_test \
       dupsig_test
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

ALLCFLAGS = $(EV_CPPFLAGS) $(HARDEN) $(CPPFLAGS) $(CFLAGS) $(WARN) $(REPRO) \
            -pthread

all: $(BINS)

$(BUILD)/%.o: src/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -c -o $@ $<

# The version is in the Makefile: what prints it is made again with it.
$(BUILD)/cli.o $(BUILD)/post.o: Makefile

$(LIB): $(LIBOBJ:%=$(BUILD)/%)
	rm -f $@
	$(AR) rcs $@ $^

$(BINDIR)/%: $(BUILD)/%.o $(CLIOBJ:%=$(BUILD)/%) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HARDENLD) $(LDFLAGS) -pthread -o $@ $< \
	    $(CLIOBJ:%=$(BUILD)/%) $(LIB) $(LIBS)

$(BINDIR)/evpub $(BINDIR)/evsub $(BINDIR)/evlog: LIBS = $(WEB_LIBS) $(NATS_LIBS)
# The programs with -T say a bus's failures with cli_bus.o.
$(BINDIR)/evpub $(BINDIR)/evsub $(BINDIR)/evlog: CLIOBJ = cli.o cli_bus.o
$(BINDIR)/evpub $(BINDIR)/evsub $(BINDIR)/evlog: $(BUILD)/cli_bus.o

$(BINDIR)/evtour: src/evtour Makefile
	@mkdir -p $(@D)
	sed 's/@VERSION@/$(VERSION)/' src/evtour >$@.tmp
	chmod 755 $@.tmp
	mv -f $@.tmp $@

# evsub is three files: evsub.c the command line, evsub_sub.c the reading
# and delivery, evsub_admin.c the topics' listing and administration
# (src/evsub_int.h between them).  It serves Server-Sent Events with
# sse.o, and its page: sse_page.html as a C string (the only program that
# takes them).
EVSUBOBJ = evsub.o evsub_sub.o evsub_admin.o sse.o
$(BINDIR)/evsub: $(EVSUBOBJ:%=$(BUILD)/%) $(CLIOBJ:%=$(BUILD)/%) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HARDENLD) $(LDFLAGS) -pthread -o $@ \
	    $(EVSUBOBJ:%=$(BUILD)/%) $(CLIOBJ:%=$(BUILD)/%) $(LIB) $(LIBS)

$(BUILD)/sse_page.h: src/sse_page.html
	@mkdir -p $(@D)
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
	    src/sse_page.html >$@.tmp
	mv -f $@.tmp $@

$(BUILD)/sse.o: src/sse.c $(HDR) $(BUILD)/sse_page.h
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -I$(BUILD) -c -o $@ src/sse.c

# evproject keeps its state in jansson, and folds with fold.o.
$(BINDIR)/evproject: $(BUILD)/evproject.o $(BUILD)/fold.o $(CLIOBJ:%=$(BUILD)/%) \
    $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(HARDENLD) $(LDFLAGS) -pthread -o $@ $(BUILD)/evproject.o \
	    $(BUILD)/fold.o $(CLIOBJ:%=$(BUILD)/%) $(LIB) $(JANSSON_LIBS) -lm

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
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -shared -fPIC -Wall -Wextra \
	    -o $@ $< -ldl

# The recording shim of the power-cut simulator (tests/powercut.bats).
$(BUILD)/record.so: tests/fault/record.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -shared -fPIC -Wall -Wextra \
	    -o $@ $< -ldl -lpthread

unit: $(UNITBINS) $(BUILD)/fault.so $(BUILD)/record.so
	@for t in $(UNITBINS); do echo "$$t"; ./$$t $(TESTDATA) || exit 1; done
	@if [ -n "$(EXTRA_CORPUS)" ]; then for t in $(DATAUNIT); do \
	    echo "$(BUILD)/unit/$$t $(EXTRA_CORPUS)"; \
	    ./$(BUILD)/unit/$$t $(EXTRA_CORPUS) || exit 1; done; fi

# The property tests (tests/prop.bats): seeded runs on the directory bus
# and on NATS, a bounded number in make test, fewer in make check (each
# program run is slower under the sanitizers), many more in make soak.
# PROP_SEED=N in the environment names the first seed; a failing run
# prints its own.
PROP_RUNS = 150
PROP_NATS_RUNS = 10
CHECK_PROP_RUNS = 25
SOAK_PROP_RUNS = 3000
SOAK_PROP_NATS_RUNS = 300

# bats runs JOBS files at once (GNU parallel), each file's tests one
# after another: most of a test's time is spent waiting on servers, pipes
# and deadlines, not on the CPU, so more jobs than cores pay; but tests
# run side by side within a file cost bats's semaphore 40 ms of CPU each
# (a dozen processes a test), and on 2 cores CI is CPU-bound: files in
# parallel, their tests in turn, took .ci/run from 454 s to 414.  A
# failed test shows what its last run printed.  BATSFLAGS adds to bats's
# options (--timing, say).
JOBS      = 4
BATSFLAGS =
BATS      = bats --jobs $(JOBS) --no-parallelize-within-files --print-output-on-failure $(BATSFLAGS)
# The files whose tests take longest go first: bats starts files in the
# order it is given them, and a long one started last keeps the whole
# run waiting on one core (make check: 8 min 8 s, alphabetical).
SLOWBATS  = scale evlog evtour powercut sse prop nats topics-nats
BATSFILES = $(SLOWBATS:%=tests/%.bats) \
            $(filter-out $(SLOWBATS:%=tests/%.bats),$(wildcard tests/*.bats))

# The test suite: C unit tests, then every bats suite against $(BINDIR).
# A test that runs past BATS_TEST_TIMEOUT seconds is a hang: 300, as
# under make check, since the property tests' 150 runs took 121 s on a
# loaded 2-core machine (74 s quiet).
test: deps
	$(MAKE) all
	$(MAKE) unit
	BATS_TEST_TIMEOUT=300 EVENTFUL_BIN=$(CURDIR)/$(BINDIR) \
	    EVENTFUL_OBJ=$(CURDIR)/$(BUILD) \
	    EVENTFUL_FAULT=$(CURDIR)/$(BUILD)/fault.so \
	    EVENTFUL_RECORD=$(CURDIR)/$(BUILD)/record.so \
	    POWERCUT_STATES=$(POWERCUT_STATES) \
	    PROP_RUNS=$(PROP_RUNS) PROP_NATS_RUNS=$(PROP_NATS_RUNS) \
	    EVENTFUL_EXTRA_CORPUS="$(EXTRA_CORPUS)" $(BATS) $(BATSFILES)

# The power-cut simulator (tests/powercut.bats): the states drawn per
# scenario by make test, by make check (each program run is slower under
# the sanitizers), and by make soak, whose scenarios have SOAK_SCALE
# times the events and are recorded again every 100 states (their groups
# depend on timing).  SEED, when set, draws the soak's states again (each
# failure prints its seed).
POWERCUT_STATES = 40
CHECK_POWERCUT_STATES = 6
SOAK_STATES = 2000
SOAK_SCALE = 3
SEED =
SOAK_POWERCUT = EVENTFUL_BIN=$(CURDIR)/$(BINDIR) \
	EVENTFUL_RECORD=$(CURDIR)/$(BUILD)/record.so \
	/usr/bin/python3 tests/test_helper/powercut.py --states $(SOAK_STATES) \
	--scale $(SOAK_SCALE) --per-recording 100 $(SEED:%=--seed %)

# The long runs, beyond what make test bounds; each part on a line of
# its own: the property tests, then the power-cut simulator.
soak: deps
	$(MAKE) all $(BUILD)/record.so
	EVENTFUL_BIN=$(CURDIR)/$(BINDIR) PROP_RUNS=$(SOAK_PROP_RUNS) \
	    PROP_NATS_RUNS=$(SOAK_PROP_NATS_RUNS) EVENTFUL_SOAK=1 \
	    bats tests/prop.bats tests/scale-nats.bats
	$(SOAK_POWERCUT)

# The same suite, built with AddressSanitizer and UndefinedBehaviorSanitizer.
SANFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
check: deps
	$(MAKE) BUILD=build/asan BINDIR=build/asan/bin HARDEN= \
	    CFLAGS="$(SANFLAGS)" HARDENLD="$(SANFLAGS)" all unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	BATS_TEST_TIMEOUT=300 EVENTFUL_BIN=$(CURDIR)/build/asan/bin \
	    EVENTFUL_BUILD=$(CURDIR)/build/asan EVENTFUL_OBJ=$(CURDIR)/build/asan \
	    EVENTFUL_FAULT=$(CURDIR)/build/asan/fault.so \
	    EVENTFUL_RECORD=$(CURDIR)/build/asan/record.so \
	    POWERCUT_STATES=$(CHECK_POWERCUT_STATES) \
	    PROP_RUNS=$(CHECK_PROP_RUNS) PROP_NATS_RUNS=$(PROP_NATS_RUNS) \
	    EVENTFUL_EXTRA_CORPUS="$(EXTRA_CORPUS)" $(BATS) $(BATSFILES)

# libFuzzer, FUZZTIME seconds each: the scanner against jansson and its
# own reference, once on each path of its stage 1 (SCANPATHS; a path this
# CPU lacks runs the best it has), then the envelope, filter and time
# parsers; then what comes from the network
# (quoted headers, forms, signatures, -H lines: web_fuzz, and event
# streams: sse_fuzz) and what people type (fold rules, --format, --from,
# times: rule_fuzz).
FUZZTIME = 60
SCANPATHS = avx2 sse2 scalar
fuzz: deps
	@$(MAKE) -s fuzzdeps
	mkdir -p build/fuzz/corpus
	cp $(TESTDATA)/json-test-suite/test_parsing/*.json build/fuzz/corpus/
	[ -z "$(EXTRA_CORPUS)" ] || cp \
	    $(EXTRA_CORPUS)/json-test-suite/test_parsing/*.json build/fuzz/corpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(EV_CPPFLAGS) -Isrc \
	    -o build/fuzz/scan_fuzz tests/fuzz/scan_fuzz.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(JANSSON_LIBS) $(WEB_LIBS) $(NATS_LIBS)
	for p in $(SCANPATHS); do EVENTFUL_SCAN=$$p build/fuzz/scan_fuzz \
	    -max_total_time=$(FUZZTIME) -max_len=4096 build/fuzz/corpus || \
	    exit 1; done
	mkdir -p build/fuzz/ecorpus
	cp $(TESTDATA)/cloudevents/valid/*.json build/fuzz/ecorpus/
	[ -z "$(EXTRA_CORPUS)" ] || cp \
	    $(EXTRA_CORPUS)/cloudevents/valid/*.json build/fuzz/ecorpus/
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(EV_CPPFLAGS) -Isrc \
	    -o build/fuzz/event_fuzz tests/fuzz/event_fuzz.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(WEB_LIBS) $(NATS_LIBS)
	build/fuzz/event_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/ecorpus
	mkdir -p build/fuzz/wcorpus build/fuzz/rcorpus
	cp tests/fuzz/seeds/web/* build/fuzz/wcorpus/
	cp tests/fuzz/seeds/rule/* build/fuzz/rcorpus/
	VECTOR='.vectors[$$i] | "\u0003\(.id)\n\(.timestamp)\n\(.signature)\n\(.payload)"'; \
	n=$$(jq '.vectors | length' $(TESTDATA)/standard-webhooks/vectors.json); \
	i=0; while [ $$i -lt $$n ]; do \
	    jq -j --argjson i $$i "$$VECTOR" \
	        $(TESTDATA)/standard-webhooks/vectors.json \
	        >build/fuzz/wcorpus/vector-$$i || exit 1; i=$$((i + 1)); done
	for d in $(TESTDATA)/github-webhooks/payloads/*/; do \
	    printf '\001payload=%s' "$$(jq -c . $$d/payload.json | \
	        jq -sRr @uri)" >build/fuzz/wcorpus/gh-$$(basename $$d) || \
	        exit 1; done
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(EV_CPPFLAGS) -Isrc \
	    -o build/fuzz/web_fuzz tests/fuzz/web_fuzz.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(WEB_LIBS) $(NATS_LIBS)
	build/fuzz/web_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/wcorpus
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(EV_CPPFLAGS) -Isrc \
	    -o build/fuzz/rule_fuzz tests/fuzz/rule_fuzz.c src/fold.c \
	    $(addprefix src/,$(LIBOBJ:.o=.c)) $(JANSSON_LIBS) $(WEB_LIBS) \
	    $(NATS_LIBS) -lm
	build/fuzz/rule_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/rcorpus
	mkdir -p build/fuzz/ssecorpus
	printf '\001: hi\r\nid: 1\nevent: add\rdata: a\r\ndata:b\n\r\nretry: 250\n\n' \
	    >build/fuzz/ssecorpus/seed
	clang -g -O1 -fsanitize=fuzzer,address,undefined $(EV_CPPFLAGS) -Isrc \
	    -o build/fuzz/sse_fuzz tests/fuzz/sse_fuzz.c src/sseparse.c \
	    src/buf.c src/util.c src/scan.c src/scan_stage1.c
	build/fuzz/sse_fuzz -max_total_time=$(FUZZTIME) -max_len=4096 \
	    build/fuzz/ssecorpus

fuzzdeps:
	@$(MAKE) -s deps DEPS="$(FUZZDEPS)"

bench: deps all
	$(MAKE) deps DEPS="$(BENCHDEPS)"
	bench/run

# The lessons: step by step on a terminal, straight through otherwise.
demo: deps all
	$(BINDIR)/evtour

# Installs what is missing with apt-get when root; else says how.  Asks
# nothing of apt-get when all is there, and nothing at all with NODEPS=1
# (a package build: debian/rules says so, its Build-Depends bring them).
NODEPS =
deps:
	@[ -z "$(NODEPS)" ] || exit 0; missing=; for p in $(DEPS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	case " $(DEPS) " in *" nodejs "*) command -v npm >/dev/null || \
	    missing="$$missing npm";; esac; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" -ne 0 ]; then \
	    echo "make deps: missing:$$missing"; \
	    echo "run as root: apt-get install -y$$missing"; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y --no-install-recommends $$missing || \
	    { apt-get update && \
	      apt-get install -y --no-install-recommends $$missing; }

# install -m sets every mode whatever the umask; the man pages get the
# version's date.
install: all
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man7 \
	    $(DESTDIR)$(EXAMPLEDIR)/data $(DESTDIR)$(BASHCOMPDIR) \
	    $(DESTDIR)$(ZSHCOMPDIR)
	$(INSTALL) -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	for f in man/man*/*.[0-9]; do \
	    t=$(DESTDIR)$(MANPREFIX)/$$(basename $$(dirname $$f))/$$(basename $$f); \
	    sed 's/^\.Dd .*/.Dd $(RELDATE)/' $$f >$$t.tmp && \
	    chmod 0644 $$t.tmp && mv -f $$t.tmp $$t || exit 1; done
	$(INSTALL) -m 0755 examples/tour $(DESTDIR)$(EXAMPLEDIR)/
	$(INSTALL) -m 0644 examples/data/* $(DESTDIR)$(EXAMPLEDIR)/data/
	$(INSTALL) -m 0644 completion/eventful.bash \
	    $(DESTDIR)$(BASHCOMPDIR)/eventful
	for p in $(PROGS) $(SCRIPTS); do \
	    ln -sf eventful $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	$(INSTALL) -m 0644 completion/_eventful $(DESTDIR)$(ZSHCOMPDIR)/

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

# The man pages at style level.  Our pages refer to each other: a
# private mandoc.db of them lets mandoc find those; a reference to
# another program's page is looked up on this machine, whose database may
# be out of date, so those two kinds of message say nothing of our pages.
lint:
	@rm -rf $(BUILD)/mandb && mkdir -p $(BUILD)/mandb && \
	cp -R man/man1 man/man5 man/man7 $(BUILD)/mandb/ && \
	makewhatis $(BUILD)/mandb && \
	out=$$(MANPATH=$(abspath $(BUILD))/mandb:/usr/share/man \
	    mandoc -Tlint -Wstyle man/man*/*.[0-9] 2>&1 | \
	    grep -v -e 'outdated mandoc.db' \
	        -e 'referenced manual not found: Xr [a-z0-9_.-]* [0-9]\( (.*)\)\{0,1\}$$' ); \
	ours=$$(MANPATH=$(abspath $(BUILD))/mandb \
	    mandoc -Tlint -Wstyle man/man*/*.[0-9] 2>&1 | \
	    grep -E 'not found: Xr (ev[a-z]*|eventful[a-z-]*) [0-9]'); \
	[ -z "$$out$$ours" ] || { echo "$$out$$ours"; exit 1; }

# No circle between the files of src/: neither in what their objects call
# of each other nor in their includes (tests/layers says which, and why).
layers: all $(BUILD)/fold.o
	tests/layers $(BUILD)

# A release tarball of the commit checked out: eventful-VERSION.tar.gz.
dist:
	git archive --format=tar.gz --prefix=eventful-$(VERSION)/ \
	    -o eventful-$(VERSION).tar.gz HEAD

clean:
	rm -rf build bin

.PHONY: all unit test soak check fuzz fuzzdeps bench demo deps install \
	uninstall lint layers dist clean
.SECONDARY:
