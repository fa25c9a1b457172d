# SPDX-License-Identifier: ISC
# manex.awk - pulls the examples out of an mdoc page.  In a .Bd -literal
# block, a line "$ cmd" starts an example; a line after one that ends in
# "|" or "\" continues it; any other line is output the page shows for it.
# A block without "$ " lines is an illustration, not run.
# Writes DIR/N.sh (the command) and DIR/N.out (the output shown).
function flush() {
	if (pending) {
		printf "%s\n", cmd > (dir "/" n ".sh")
		printf "%s", out > (dir "/" n ".out")
		close(dir "/" n ".sh")
		close(dir "/" n ".out")
	}
	pending = 0
}
/^\.Bd -literal/ { flush(); lit = 1; cont = 0; next }
/^\.Ed/ { flush(); lit = 0; cont = 0; next }
lit {
	line = $0
	gsub(/\\e/, "\\", line)
	gsub(/\\&/, "", line)
	if (line ~ /^\$ /) {
		flush()
		n++
		pending = 1
		cmd = substr(line, 3)
		out = ""
	} else if (cont && pending) {
		cmd = cmd "\n" line
	} else if (pending) {
		out = out line "\n"
	}
	cont = line ~ /[|\\]$/
}
END { flush() }
