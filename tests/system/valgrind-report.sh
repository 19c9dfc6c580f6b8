#!/bin/sh
# valgrind-report.sh LOGDIR - the verdict of `make check-valgrind`: reads
# every <test>.<pid>.vglog that tests/system/valgrind-wrap.sh left in LOGDIR,
# prints one line per test (processes, errors, bytes definitely lost,
# processes whose log has no exit summary) and the logs of every process
# with an error or a definite leak. Exit 1 if any process had either, or if
# LOGDIR has no log at all (the wrapper was not used).
#
# A log without "ERROR SUMMARY" belongs to a process that never reached
# valgrind's exit-time check: killed by SIGKILL (a test's own timeout, or
# its cleanup giving up) or replaced by exec (svcdns-env running a
# command). Those are listed, with their command line, but do not fail the
# run: valgrind checked every instruction they ran before that, and any
# error up to then is counted.
set -u
dir=${1:?usage: valgrind-report.sh LOGDIR}

set -- "$dir"/*.vglog
if [ ! -e "$1" ]; then
	echo "valgrind-report: no logs in $dir" >&2
	exit 1
fi

awk '
function flush() {
	if (file == "") return
	t = file; sub(/.*\//, "", t); sub(/\.[0-9]+\.vglog$/, "", t)
	if (!(t in procs)) order[++ntests] = t
	procs[t]++
	if (!summary) nerr = hdrs
	errs[t] += nerr; lost[t] += dlost
	if (!summary) {
		unfinished[t]++
		unf_list = unf_list sprintf("  %s: %s\n", file, cmd)
	}
	if (nerr > 0 || dlost > 0) bad_list = bad_list file "\n"
}
FNR == 1 { flush(); file = FILENAME; nerr = 0; hdrs = 0; dlost = 0; summary = 0; cmd = "" }
/== Command: / { cmd = $0; sub(/.*== Command: /, "", cmd) }
/== ERROR SUMMARY: / { summary = 1; n = $0; sub(/.*ERROR SUMMARY: /, "", n); sub(/ .*/, "", n); nerr += n }
/== +definitely lost: / { n = $0; sub(/.*definitely lost: /, "", n); sub(/ .*/, "", n); gsub(/,/, "", n); dlost += n }
# Errors are counted from the summary; a killed process has none, so count
# its error reports ("Invalid read", "uninitialised"...) by their headers.
/^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function)/ { hdrs++ }
END {
	flush()
	printf "%-24s %6s %7s %12s %10s\n", "test", "procs", "errors", "def. lost", "no-summary"
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		printf "%-24s %6d %7d %12d %10d\n", t, procs[t], errs[t], lost[t], unfinished[t]
		te += errs[t]; tl += lost[t]; tp += procs[t]; tu += unfinished[t]
	}
	printf "%-24s %6d %7d %12d %10d\n", "total", tp, te, tl, tu
	if (unf_list != "") printf "processes without an exit summary (killed or exec'"'"'d):\n%s", unf_list
	if (bad_list != "") { printf "%s", bad_list > "/dev/stderr"; exit 1 }
}
' "$@" >"$dir/report.txt" 2>"$dir/bad.txt"
status=$?
cat "$dir/report.txt"
if [ "$status" -ne 0 ]; then
	echo "valgrind-report: errors or definite leaks; the logs:"
	while read -r f; do
		echo "---- $f"
		cat "$f"
	done <"$dir/bad.txt"
	exit 1
fi
echo "valgrind-report: 0 errors, 0 bytes definitely lost"
