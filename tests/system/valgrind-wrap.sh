#!/bin/sh
# valgrind-wrap.sh - runs svcdns or svcdns-env under valgrind for
# `make check-valgrind`. The target points SVCDNS and SVCDNS_ENV at symlinks
# named svcdns and svcdns-env to this script, next to a file wrap.conf
# setting VALGRIND_BINDIR (where the real binaries are) and VALGRIND_LOGDIR
# (a file, not the environment: the svcdns-env tests run it under env -i).
# The name it is called by picks the real binary. Each process writes its
# own log, $VALGRIND_LOGDIR/<test>.<pid>.vglog, where <test> is the system
# test that (indirectly) started it; the target reads them all afterwards.
#
# No --quiet: a log that ends with "ERROR SUMMARY" proves the process got as
# far as valgrind's exit-time leak check (a SIGKILLed or exec'ing process
# leaves a log without one, which the target reports).
here=$(dirname "$0")
. "$here/wrap.conf" || exit 2
: "${VALGRIND_BINDIR:?wrap.conf must set VALGRIND_BINDIR}"
: "${VALGRIND_LOGDIR:?wrap.conf must set VALGRIND_LOGDIR}"

real="$VALGRIND_BINDIR/$(basename "$0")"

# The test script: the nearest ancestor running tests/*/test_*.sh
# (bounded walk up the process tree).
test=unknown
p=$$
n=0
while [ "$n" -lt 12 ] && [ "$p" -gt 1 ] 2>/dev/null; do
	cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
	case "$cmd" in
	*tests/*/test_*.sh*)
		test=${cmd##*tests/*/}
		test=${test%%.sh*}
		break
		;;
	esac
	p=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)
	[ -n "$p" ] || break
	n=$((n + 1))
done

exec valgrind --leak-check=full --errors-for-leak-kinds=definite \
	--error-exitcode=99 --log-file="$VALGRIND_LOGDIR/$test.%p.vglog" \
	"$real" "$@"
