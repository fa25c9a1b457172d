#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The build: no circle between the files of src/, a library that never
# exits, and `make install` puts programs, pages and the tour where PREFIX
# and DESTDIR say.

load test_helper/common

# The objects and programs under test: make test's build (EVENTFUL_OBJ),
# or under make check the sanitizers' (the same tree, the same flags but
# for the sanitizers').  The install tests install it as it is; nothing
# here builds again (other suites run it meanwhile).  That the tree
# builds from scratch without a warning is package.bats's to check: the
# Debian package compiles every file so, with the packager's flags.
setup_file() {
	export B="${EVENTFUL_OBJ:-$ROOT/build/release}" BB="$BIN"
}

# inst ARGS...: make ARGS (install, uninstall) from that build, never
# remaking it (-o all).
inst() {
	make -C "$ROOT" -s --no-print-directory -o all BUILD="$B" BINDIR="$BB" "$@"
}

@test "no two files of src/ call or include each other in a circle (tests/layers)" {
	run -0 bash -c 'cd "$ROOT" && tests/layers "$B"'
	assert_output --regexp '^layers: no loop in the calls between [0-9]+ files of src/, nor in their includes$'
}

@test "the library exits nowhere: of libeventful.a's objects only util.o calls exit (errw, machinefail), none calls errw or errwe but util.o's own" {
	# What may exit is linked into the programs only (the mains, cli.c,
	# cli_bus.c, evsub_sub.c, evsub_admin.c); the library returns.
	run -0 bash -c 'ar t "$1" | while read -r o; do
		ar p "$1" "$o" >obj.o
		nm -u obj.o | awk -v o="$o" "\$2 ~ /^(exit|_exit|errw|errwe)\$/ { print o, \$2 }"
	done' _ "$B/libeventful.a"
	assert_output 'util.o exit'
}

@test "make install honours PREFIX and DESTDIR" {
	run -0 inst install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/ev
	[ -x "$BATS_TEST_TMPDIR/root/opt/ev/bin/evpub" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/ev/share/man/man1/evpub.1" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/ev/share/man/man7/eventful.7" ]
	[ -f "$BATS_TEST_TMPDIR/root/opt/ev/share/man/man7/eventful-class.7" ]
	run -0 "$BATS_TEST_TMPDIR/root/opt/ev/bin/evpub" --version
	run -0 inst uninstall DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/ev
	[ ! -e "$BATS_TEST_TMPDIR/root/opt/ev/bin/evpub" ]
	[ ! -e "$BATS_TEST_TMPDIR/root/opt/ev/share/man/man1/evpub.1" ]
	[ ! -e "$BATS_TEST_TMPDIR/root/opt/ev/share/man/man7/eventful-class.7" ]
}

@test "make install puts the tour and its data in share/eventful/examples, and it runs there" {
	root=$BATS_TEST_TMPDIR/root
	run -0 inst install DESTDIR="$root" PREFIX=/usr
	ex=$root/usr/share/eventful/examples
	[ -x "$ex/tour" ]
	[ -f "$ex/data/gharchive.ndjson" ]
	[ -f "$ex/data/LICENSE" ]
	[ -f "$ex/data/NOTICE" ]
	# From another directory, with the installed programs first on PATH.
	mkdir elsewhere
	cd elsewhere
	run -0 --separate-stderr env PATH="$root/usr/bin:$PATH" "$ex/tour"
	assert_output --partial 'PushEvent'
	assert_output --partial 'verify: the ledger is whole'
	assert_output --partial 'read model: {"balance":75}'
	# The lessons, installed with the programs, run the programs beside them.
	[ -f "$root/usr/share/man/man1/evtour.1" ]
	run -0 "$root/usr/bin/evtour" --no-pause --dir "$BATS_TEST_TMPDIR/sb" cqrs
	assert_output --partial '{"balance":150}'
	run -0 inst uninstall DESTDIR="$root" PREFIX=/usr
	[ ! -e "$root/usr/share/eventful" ]
	[ ! -e "$root/usr/bin/evtour" ]
}

@test "--help of every program matches its man page's options" {
	for page in "$ROOT"/man/man1/*.1; do
		prog=$(basename "$page" .1)
		help=$("$prog" --help)
		# Every long option the page documents is in --help.
		for opt in $(grep -o '^\.It Fl -[a-z-]*' "$page" | awk '{print $3}' | sort -u); do
			[[ $help == *"-$opt"* ]] || { echo "$prog: -$opt is in the page, not in --help"; return 1; }
		done
		# And every short option.
		for opt in $(grep -o '^\.It Fl [a-zA-Z] ' "$page" | awk '{print $3}' | sort -u); do
			[[ $help == *"-$opt,"* ]] || { echo "$prog: -$opt is in the page, not in --help"; return 1; }
		done
	done
}
