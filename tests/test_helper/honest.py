#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# honest.py - finds the lines of bats files that cannot fail a test.
#
# Usage: honest.py FILE...
#
# Under bats a test runs with errexit, and errexit has holes:
#   || true    (or || :) swallows the status of what it follows;
#   ! CMD      never stops a test, unless it is the last command;
#   A && B     stops nothing when A fails, unless it is the last command;
#   sleep N    outside a loop waits for nothing in particular: a test waits
#              for the condition, in a bounded loop that sleeps between looks.
# Each such line is printed as FILE:LINE: what is wrong, and the status is 1.
# A line that means it (a teardown's cleanup, a sleep that gives a wrong
# thing the time to happen) says why in a comment on the line:
#   kill "$PID" 2>/dev/null || true  # honest: it may have ended
# A condition (if, while, until, [[ ]], (( )), or an && list that ends in
# break, continue, return or exit), a list followed by || (a failure
# handled), and the last command of a test or function are fine.
#
# The bash is read as far as these checks need: quotes, $( ), ${ }, here
# documents and comments are told apart from the commands, so that what a
# string or a here document holds is never taken for a command.
import re
import sys

MARK = re.compile(r"#\s*honest:\s*\S")


class Lexer:
    """Turns each line into its top-level code (what lies inside quotes,
    $( ), ${ } and here documents blanked to '_') and its comment."""

    def __init__(self):
        self.stack = []  # open quotes and expansions: 'sq', 'dq', 'ansi', ['sub', depth], ['par', depth]
        self.heredocs = []  # (word, strip tabs) begun on this line
        self.inheredoc = None

    def line(self, text):
        if self.inheredoc is not None:
            word, tabs = self.inheredoc
            t = text.lstrip("\t") if tabs else text
            if t == word:
                self.inheredoc = None
            return "", "", True
        code = []
        comment = ""
        i = 0
        n = len(text)
        while i < n:
            c = text[i]
            top = self.stack[-1] if self.stack else None
            kind = top[0] if isinstance(top, list) else top
            if kind == "sq":
                if c == "'":
                    self.stack.pop()
                code.append("_")
                i += 1
                continue
            if kind in ("dq", "ansi"):
                if c == "\\":
                    code.append("__"[: min(2, n - i)])
                    i += 2
                    continue
                if (kind == "dq" and c == '"') or (kind == "ansi" and c == "'"):
                    self.stack.pop()
                elif kind == "dq" and text.startswith("$(", i):
                    self.stack.append(["sub", 1])
                    code.append("__")
                    i += 2
                    continue
                elif kind == "dq" and text.startswith("${", i):
                    self.stack.append(["par", 1])
                    code.append("__")
                    i += 2
                    continue
                code.append("_")
                i += 1
                continue
            # Code: the top level, or inside $( ) or ${ }.
            hide = bool(self.stack)
            out = "_" if hide else c
            if c == "\\":
                code.append(("_" if hide else "\\") + ("_" if i + 1 < n else ""))
                i += 2
                continue
            if c == "#" and (i == 0 or text[i - 1] in " \t;(|&") and kind != "par":
                if not hide:
                    comment = text[i:]
                else:
                    comment = comment or text[i:]
                break
            if c == "'":
                self.stack.append("sq")
            elif c == '"':
                self.stack.append("dq")
            elif text.startswith("$'", i):
                self.stack.append("ansi")
                code.append("_" if hide else "$")
                code.append("_")
                i += 2
                continue
            elif text.startswith("$(", i):
                self.stack.append(["sub", 1])
                code.append("_" if hide else "$")
                code.append("_")
                i += 2
                continue
            elif text.startswith("${", i):
                self.stack.append(["par", 1])
                code.append("_" if hide else "$")
                code.append("_")
                i += 2
                continue
            elif kind == "sub" and c == "(":
                top[1] += 1
            elif kind == "sub" and c == ")":
                top[1] -= 1
                if top[1] == 0:
                    self.stack.pop()
            elif kind == "par" and c == "{":
                top[1] += 1
            elif kind == "par" and c == "}":
                top[1] -= 1
                if top[1] == 0:
                    self.stack.pop()
            elif c == "<" and text.startswith("<<", i) and \
                    not text.startswith("<<<", i) and kind != "par":
                m = re.match(r"<<(-?)\s*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2",
                             text[i:])
                if m:
                    self.heredocs.append((m.group(3), m.group(1) == "-"))
                    code.append(text[i:i + m.end()] if not hide else
                                "_" * m.end())
                    i += m.end()
                    continue
            code.append(out)
            i += 1
        if self.heredocs:
            self.inheredoc = self.heredocs[0]
            self.heredocs = []
        return "".join(code), comment, False


def statements(path):
    """Yields (first line, last line, code, marked, block) for each
    command line of the file, continuation lines joined; block is the
    number of the block (test or function) it is in, or None."""
    lex = Lexer()
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    block = None
    nblock = 0
    cur = None  # [first, last, code, marked]
    for no, text in enumerate(lines, 1):
        code, comment, skipped = lex.line(text)
        if skipped:
            continue
        marked = bool(MARK.search(comment))
        if cur is None:
            if block is None and (re.match(r"@test\s", text) or
                                  re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*\(\)\s*\{?\s*$", text)):
                nblock += 1
                block = nblock
                continue
            if block is not None and re.match(r"\}\s*$", text):
                block = None
                continue
            if not code.strip():
                continue
            cur = [no, no, code, marked]
        else:
            cur[1] = no
            cur[2] += " " + code
            cur[3] = cur[3] or marked
        c = code.rstrip()
        if lex.stack or c.endswith(("\\", "&&", "||", "|")):
            if c.endswith("\\"):
                cur[2] = cur[2].rstrip()[:-1]
            continue
        yield cur[0], cur[1], cur[2], cur[3], block
        cur = None
    if cur is not None:
        yield cur[0], cur[1], cur[2], cur[3], block


def plain(code):
    """The code with conditions, [[ ]] and (( )) taken out: what is left
    runs under errexit."""
    code = re.sub(r"\[\[.*?\]\]", "[[ ]]", code)
    code = re.sub(r"\(\(.*?\)\)", "(( ))", code)
    # if/elif/while/until CONDITION; then|do: the condition is tested.
    code = re.sub(r"\b(if|elif|while|until)\b.*?(;|\s)\s*(then|do)\b",
                  r"\1 \3", code)
    return code


def check(path):
    bad = []
    stmts = list(statements(path))
    for k, (first, last, code, marked, block) in enumerate(stmts):
        nxt = stmts[k + 1] if k + 1 < len(stmts) else None
        lastinblock = block is not None and (nxt is None or nxt[4] != block)
        if block is None or marked:
            continue
        p = plain(code)
        where = "%s:%d" % (path, first)
        if re.search(r"\|\|\s*(true|:)(\s|;|$|\))", p):
            bad.append("%s: '|| true' swallows the status of what it "
                       "follows" % where)
        # A command negated with !, that is not the block's last.
        if re.search(r"(^|;|&&|\|\||\bthen|\bdo|\belse|\{)\s*!\s", p) and \
                not lastinblock:
            bad.append("%s: '! CMD' never fails a test unless it is "
                       "its last command: use 'run ! CMD', "
                       "'run -N', or '[ ... ] || { echo why; return 1; }'"
                       % where)
        # A && list, not followed by || (a failure handled).
        for m in re.finditer(r"&&", p):
            rest = p[m.end():]
            seg = re.split(r";|\bthen\b|\bdo\b|\belse\b|\bfi\b|\bdone\b",
                           rest)[0]
            if "||" in seg:
                continue
            # cond && break (continue, return, exit): a condition.
            if re.match(r"\s*(break|continue|return|exit)\b", seg.split("&&")[-1]):
                continue
            if lastinblock and not re.search(
                    r";|\bthen\b|\bdo\b|\belse\b|\bfi\b|\bdone\b", rest):
                continue
            bad.append("%s: an && list stops nothing when a member "
                       "but the last fails: one command a line, or "
                       "'if' for a condition" % where)
            break
        for m in re.finditer(r"(^|;|&&|\|\||\bthen\b|\bdo\b|\belse\b|\{)"
                             r"\s*sleep\s+[0-9.]+\s*(;|$|&&|\|\||\bfi\b)", p):
            if not inloop(stmts, k):
                bad.append("%s: a fixed sleep outside a loop: wait for "
                           "the condition in a bounded loop" % where)
            break
        # A bare wait waits for every child: under BATS_TEST_TIMEOUT,
        # bats's own watchdog too, so the test hangs until it is killed.
        if re.search(r"(^|;|&&|\|\||\bthen\b|\bdo\b|\belse\b|\{)"
                     r"\s*wait\s*(;|$|&&|\|\||\bfi\b|\bdone\b)", p):
            bad.append("%s: a bare wait also waits for bats's timeout "
                       "watchdog: wait \"$pid\" for the job you started"
                       % where)
    return bad


def inloop(stmts, k):
    """Tells whether statement k is inside a for, while or until loop of
    its block (or is a whole loop on one line)."""
    block = stmts[k][4]
    depth = 0
    for first, last, code, marked, b in stmts[:k + 1]:
        if b != block:
            depth = 0
            continue
        c = plain(code)
        depth += len(re.findall(r"\bdo\b", c))
        if first == stmts[k][0] and depth > 0:
            return True
        depth -= len(re.findall(r"\bdone\b", c))
    return False


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: honest.py FILE...\n")
        return 2
    bad = []
    for path in argv[1:]:
        bad += check(path)
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
