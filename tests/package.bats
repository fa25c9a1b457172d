#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# Shipping: one version everywhere, make install as packagers use it,
# make dist, and the Debian package: built from the tracked files as a
# clean clone has them, checked by lintian and blhc, built again at
# another path to the same bytes, and run as it unpacks.

load test_helper/common

# The Makefile's VERSION and RELDATE, as make sees them.
mkvar() { make -s --no-print-directory -C "$ROOT" -f Makefile -f - "print-$1" <<<"print-%: ; @echo \$(\$*)"; }

# pkgbuild DIR: copies the tracked files into DIR/eventful and builds the
# binary package there, without its tests (the suite runs them); the log
# is DIR/build.log.
pkgbuild() {
	mkdir -p "$1/eventful"
	git -C "$ROOT" ls-files -z | (cd "$ROOT" || exit 1; xargs -0 cp --parents -P -t "$1/eventful/")
	(cd "$1/eventful" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	    dpkg-buildpackage -us -uc -b >"$1/build.log" 2>&1) ||
	    { tail -n 30 "$1/build.log"; return 1; }
}

# The package is built by make test only: dpkg-buildpackage builds its own
# binaries with dpkg-buildflags, never the sanitizers' (make check sets
# EVENTFUL_BUILD), so a second build there would check nothing new.
nopkg() {
	[ -z "${EVENTFUL_BUILD:-}" ] || skip "make test builds the package"
}

setup_file() {
	export PKG="$BATS_FILE_TMPDIR/a"
	[ -n "${EVENTFUL_BUILD:-}" ] || pkgbuild "$PKG"
}

@test "one version: every program's, evtour's, NEWS's and debian/changelog's are the Makefile's" {
	v=$(mkvar VERSION)
	[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "VERSION is '$v'"; return 1; }
	for p in evpub evsub evlog evproject; do
		run -0 "$p" --version
		assert_output "$p (eventful) $v"
	done
	run -0 evtour --version
	assert_output "evtour $v"
	run -0 sed -n '3p' "$ROOT/NEWS"
	assert_output --regexp "^$v \\("
	run -0 dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version
	assert_output "$v"
}

@test "make install under umask 077: programs 0755, pages and completions 0644, the version's date on every page" {
	root=$BATS_TEST_TMPDIR/root
	# The programs under test, as they are (-o all: nothing is built again
	# in the tree, where other suites run at the same time).
	run -0 bash -c "umask 077 && make -C '$ROOT' -s -o all install DESTDIR='$root' PREFIX=/usr BINDIR='$BIN'"
	for p in evpub evsub evlog evproject evtour; do
		assert_equal "$(stat -c %a "$root/usr/bin/$p")" 755
	done
	n=0
	for f in "$root"/usr/share/man/man[157]/*; do
		assert_equal "$(stat -c %a "$f")" 644
		assert_equal "$(sed -n 's/^\.Dd //p' "$f")" "$(mkvar RELDATE)"
		n=$((n + 1))
	done
	[ "$n" -eq "$(ls "$ROOT"/man/man[157]/* | wc -l)" ] || { echo "$n pages installed"; return 1; }
	# Debian's zsh reads vendor-completions for what is under /usr.
	assert_equal "$(stat -c %a "$root/usr/share/zsh/vendor-completions/_eventful")" 644
	assert_equal "$(stat -c %a "$root/usr/share/bash-completion/completions/eventful")" 644
	assert_equal "$(stat -c %a "$root/usr/share/eventful/examples/data/gharchive.ndjson")" 644
	# Elsewhere, zsh's own directory for what is installed by hand.
	run -0 make -C "$ROOT" -s -o all install DESTDIR="$root" PREFIX=/usr/local BINDIR="$BIN"
	[ -f "$root/usr/local/share/zsh/site-functions/_eventful" ]
}

@test "make dist: a tarball of the commit, under eventful-VERSION/" {
	v=$(mkvar VERSION)
	git clone -q "$ROOT" clone
	run -0 make --no-print-directory -C clone -s dist
	run -0 tar -tzf "clone/eventful-$v.tar.gz"
	assert_line "eventful-$v/Makefile"
	assert_line "eventful-$v/LICENSE"
	assert_line "eventful-$v/debian/rules"
	refute_line --regexp '^[^/]*/(bin|build)/'
}

@test "the tree builds from scratch without a warning under -Wall -Wextra -O2 (the package's build, with the packager's flags)" {
	nopkg
	# Each file of src/ compiled once, with the project's warnings.
	run -0 grep -c -- ' -Wall -Wextra .* -c -o ' "$PKG/build.log"
	assert_output "$(ls "$ROOT"/src/*.c | wc -l)"
	run -0 grep -c -- ' -O2 .* -c -o ' "$PKG/build.log"
	assert_output "$(ls "$ROOT"/src/*.c | wc -l)"
	# Not a word from the compiler.
	run -1 grep -E 'warning:|error:' "$PKG/build.log"
}

@test "the Debian package: lintian --pedantic clean but for the overrides it explains, blhc clean, no warning" {
	nopkg
	run -0 lintian --pedantic -I --show-overrides "$PKG"/eventful_*.changes
	# Only overridden tags (O:) and their explanations (N:).
	refute_output --regexp '^[EWIPX]: '
	assert_output --partial 'O: eventful: extra-license-file'
	# Every compile and link line has dpkg-buildflags' flags.
	run -0 blhc --all "$PKG/build.log"
	assert_output ''
	run -1 grep -E 'warning:|error:' "$PKG/build.log"
}

@test "the Debian package unpacks and runs from elsewhere: programs, pages, both completions, the tour" {
	nopkg
	x=$BATS_TEST_TMPDIR/x
	run -0 dpkg-deb -x "$PKG"/eventful_*.deb "$x"
	run -0 dpkg-deb -f "$PKG"/eventful_*.deb Depends
	assert_output --partial 'jq'
	run -0 dpkg-deb -f "$PKG"/eventful_*.deb Suggests
	assert_output --partial 'nats-server'
	mkdir elsewhere
	cd elsewhere
	u=$x/usr/bin
	run -0 bash -c "'$u/evpub' -t order.placed -S order/1 total:=42 | '$u/evlog' append o.log | '$u/evsub' 'data.total>40' --data"
	assert_output '{"total":42}'
	run -0 "$u/evproject" --help
	run -0 "$u/evtour" --version
	assert_output "evtour $(mkvar VERSION)"
	run -0 env PATH="$u:$PATH" "$x/usr/share/eventful/examples/tour"
	assert_output --partial 'PushEvent'
	for m in man1/evpub.1 man1/evsub.1 man1/evlog.1 man1/evproject.1 man1/evtour.1 man5/evlog.5 man7/eventful.7; do
		run -0 mandoc -Tlint -Wwarning "$x/usr/share/man/$m.gz"
		run -0 bash -c "mandoc -Tascii '$x/usr/share/man/$m.gz' | col -b"
		assert_line 'NAME'
	done
	run -0 bash -c "source '$x/usr/share/bash-completion/completions/evsub' && complete -p evsub"
	assert_output --partial 'evsub'
	[ -L "$x/usr/share/bash-completion/completions/evlog" ]
	run -0 zsh -c "fpath=('$x/usr/share/zsh/vendor-completions' \$fpath); autoload -U compinit && compinit -u -d '$BATS_TEST_TMPDIR/zcd' && print \$_comps[evsub]"
	assert_output '_eventful'
}

@test "the Debian package builds at another path to the same bytes" {
	nopkg
	pkgbuild "$BATS_TEST_TMPDIR/another/path"
	a=$(ls "$PKG"/eventful_*.deb)
	b=$(ls "$BATS_TEST_TMPDIR"/another/path/eventful_*.deb)
	if ! cmp "$a" "$b"; then
		if command -v diffoscope >/dev/null; then diffoscope "$a" "$b" | head -40; fi
		return 1
	fi
}
