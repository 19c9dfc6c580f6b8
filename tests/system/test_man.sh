#!/bin/sh
# test_man.sh - docs/svcdns.8 is what docs/gen-man.py makes from the built
# svcdns's --help (so the man page lists every option of the table, with
# its current help), and it renders without warnings.
. "${TESTDIR:?}/system/lib.sh"

MAN="$TESTDIR/../docs/svcdns.8"
python3 "$TESTDIR/../docs/gen-man.py" "$SVCDNS" >"$WORK/svcdns.8" 2>"$WORK/gen.err" ||
	fail "docs/gen-man.py runs: $(cat "$WORK/gen.err")"
if cmp -s "$WORK/svcdns.8" "$MAN"; then
	pass "docs/svcdns.8 is up to date with svcdns --help"
else
	fail "docs/svcdns.8 is stale: run docs/gen-man.py ./svcdns > docs/svcdns.8"
	diff "$MAN" "$WORK/svcdns.8" | head -20 | sed 's/^/     /'
fi
"$SVCDNS" --help | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p' | grep -v -e '^--help$' -e '^--version$' >"$WORK/opts"
n=0
missing=""
while read -r o; do
	n=$((n + 1))
	grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$MAN" || missing="$missing $o"
done <"$WORK/opts"
check_eq "every one of the $n options is in svcdns.8" "" "$missing"
if command -v man >/dev/null 2>&1; then
	w=$(MANWIDTH=80 man --warnings -l "$MAN" 2>&1 >/dev/null)
	check_eq "svcdns.8 renders without warnings" "" "$w"
fi
finish
