# lib.sh - shared helpers of the system tests; sourced by tests/system/test_*.sh.
#
# Environment (set by `make check`, or by hand):
#   SVCDNS    path of the built svcdns binary
#   TESTDIR   absolute path of tests/
#   ZONESDIR  absolute path of zones/
#   SVCDNS_TEST_SLOW  optional whole number N (default 1): every wait for
#             svcdns (start, answer, log line, exit) is N times as long;
#             make check-valgrind sets it. The checks themselves stay the same.
#
# Exit codes of a test script: 0 pass, 1 fail, 77 skip (never used for a
# missing tool: a missing dig or python3 is a failure).
#
# Every loop here is bounded in count and in time; all traffic goes to
# 127.0.0.1; only the processes this file started are killed, by PID.

set -u

: "${SVCDNS:?SVCDNS must name the svcdns binary}"
: "${TESTDIR:?TESTDIR must name the tests/ directory}"
: "${ZONESDIR:?ZONESDIR must name the zones/ directory}"

LIB_NAME=$(basename "$0" .sh)
LIB_SLOW=${SVCDNS_TEST_SLOW:-1}
case "$LIB_SLOW" in
''|*[!0-9]*|0) echo "FAIL: SVCDNS_TEST_SLOW=$LIB_SLOW is not a whole number >= 1" >&2; exit 1 ;;
esac
FAILS=0
CHECKS=0
LIB_PIDS=""
. "$TESTDIR/system/pids.sh"

# ---- tools -----------------------------------------------------------------
require_tool() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "FAIL: required tool '$1' not found (install $2)" >&2
		exit 1
	fi
}
require_tool dig bind9-dnsutils
require_tool python3 python3
require_tool timeout coreutils

if [ ! -x "$SVCDNS" ]; then
	echo "FAIL: SVCDNS=$SVCDNS is not an executable file" >&2
	exit 1
fi

RAWDNS="$TESTDIR/system/rawdns.py"

# ---- cleanup ---------------------------------------------------------------
# One private work directory per test script; everything temporary goes
# under it and it is removed at exit.
WORK=$(mktemp -d /tmp/svcdns-test.XXXXXX) || { echo "FAIL: mktemp" >&2; exit 1; }

lib_cleanup() {
	local pid i
	for pid in $LIB_PIDS; do
		if child_alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	for pid in $LIB_PIDS; do
		i=0
		while child_alive "$pid" && [ $i -lt $((30 * LIB_SLOW)) ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if child_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	LIB_PIDS=""
	case "$WORK" in
	/tmp/svcdns-test.*) rm -rf "$WORK" ;;
	esac
}
trap lib_cleanup EXIT
trap 'exit 1' INT TERM HUP

# A fresh directory under $WORK. Prints its path.
mktemp_dir() {
	local d
	d=$(mktemp -d "$WORK/d.XXXXXX") || { echo "FAIL: mktemp" >&2; exit 1; }
	echo "$d"
}

# A private copy of zones/demo; prints its path.
copy_demo() {
	local d
	d=$(mktemp_dir)
	cp "$ZONESDIR"/demo/*.json "$d/" || { echo "FAIL: copy demo" >&2; exit 1; }
	echo "$d"
}

# ---- ports -----------------------------------------------------------------
# free_port: prints a loopback port free for UDP and TCP right now, outside
# the kernel's ephemeral range (free_port.py says why).
free_port() {
	python3 "$TESTDIR/system/free_port.py" || { echo "FAIL: no free loopback port" >&2; exit 1; }
}

# ---- the server ------------------------------------------------------------
# lib_serving PORT ZONE: true when the DNS server on 127.0.0.1:PORT answers
# dns-version.ZONE TXT with "1.1.0". The answer is matched whole, as a
# fixed string: dig +short prints its ";; communications error to
# 127.0.0.1#PORT" on stdout as well, and the pattern 1.1.0 matched "1#170"
# in it: for 4 % of the ports the server counted as up before it had bound.
lib_serving() {
	dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short "dns-version.$2" TXT 2>/dev/null |
		grep -qxF '"1.1.0"'
}

# start_server DIR [extra svcdns options...]
# Starts svcdns on a free port, waits until it answers, and sets
#   PORT     its DNS port
#   PID      its process id
#   LOG      the file its stderr (and stdout) go to
# Fails the test (exit 1) if it does not come up within about 5 s (times
# SVCDNS_TEST_SLOW).
# The zone probed is the first --domain given, else cluster.local.
start_server() {
	local dir=$1 zone=cluster.local i prev="" try st
	shift
	for a in "$@"; do
		if [ "$prev" = "--domain" ]; then zone=$a; break; fi
		prev=$a
	done
	# free_port cannot hold the port: when something else takes it before
	# svcdns binds, try another (up to 3 ports).
	for try in 1 2 3; do
		PORT=$(free_port)
		LOG=$(mktemp_dir)/svcdns.log
		# --lameduck 0: stop at once on SIGTERM (tests of the lame duck pass
		# their own --lameduck, which wins).
		"$SVCDNS" --dir "$dir" --listen 127.0.0.1 --port "$PORT" --upstream none \
			--http 127.0.0.1:0 --threads 2 --lameduck 0 "$@" >"$LOG" 2>&1 &
		PID=$!
		LIB_PIDS="$LIB_PIDS $PID"
		LIB_SVCDNS_PIDS="${LIB_SVCDNS_PIDS:-} $PID"
		i=0
		while [ $i -lt $((50 * LIB_SLOW)) ]; do
			if ! child_alive "$PID"; then
				wait "$PID" 2>/dev/null
				st=$?
				if lib_port_taken "$try"; then continue 2; fi
				echo "FAIL: svcdns exited at start (status $st); command:" >&2
				echo "  $SVCDNS --dir $dir --listen 127.0.0.1 --port $PORT --upstream none --http 127.0.0.1:0 --threads 2 $*" >&2
				echo "---- log:" >&2
				sed 's/^/  /' "$LOG" >&2
				exit 1
			fi
			if lib_serving "$PORT" "$zone"; then
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		echo "FAIL: svcdns on port $PORT did not answer dns-version.$zone TXT within $((50 * LIB_SLOW)) tries" >&2
		echo "---- log:" >&2
		sed 's/^/  /' "$LOG" >&2
		exit 1
	done
}

# lib_port_taken TRY: after svcdns ($PID, log $LOG) exited at start: true
# when it could not bind $PORT because something took it since free_port
# and TRY < 3 (the caller picks another port).
lib_port_taken() {
	[ "$1" -lt 3 ] && grep -q "port $PORT: .*Address already in use" "$LOG" || return 1
	echo "     (port $PORT was taken before svcdns could bind it; another port)"
	LIB_PIDS=$(echo " $LIB_PIDS " | sed "s/ $PID / /")
	return 0
}

# stop_server PID: ends one process this file started. An svcdns started
# by start_server must exit 0 on SIGTERM within 5 s (times
# SVCDNS_TEST_SLOW), with no sanitizer
# report (leaks included) in its log: a clean shutdown is part of what
# every test checks.
stop_server() {
	local pid=$1 i=0 status
	child_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	while child_alive "$pid" && [ $i -lt $((50 * LIB_SLOW)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	child_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	status=$?
	LIB_PIDS=$(echo " $LIB_PIDS " | sed "s/ $pid / /")
	case " ${LIB_SVCDNS_PIDS:-} " in
	*" $pid "*) ;;
	*) return 0 ;;
	esac
	if [ "$status" -ne 0 ]; then
		fail "svcdns (pid $pid) exits 0 on SIGTERM: status $status"
	fi
	if [ "$pid" = "${PID:-}" ] && [ -f "${LOG:-}" ] &&
		grep -Eq 'Sanitizer|runtime error:' "$LOG"; then
		fail "svcdns (pid $pid) ran without sanitizer reports; log:"
		sed 's/^/     /' "$LOG" | head -60
	fi
}

# ---- queries ---------------------------------------------------------------
# dig against the server under test (port $PORT unless QPORT is set).
# Three tries of 3 s (times SVCDNS_TEST_SLOW): a loaded machine may be
# slow to answer, and a test fails on a wrong answer, not on a late one.
d() {
	timeout $((40 * LIB_SLOW)) dig @127.0.0.1 -p "${QPORT:-$PORT}" \
		+time=$((3 * LIB_SLOW)) +tries=3 "$@"
}

# q NAME TYPE [dig options...]
# Prints the reply in a stable, normalised form:
#   rcode <RCODE>
#   flags <flags as dig prints them, e.g. "qr aa rd">
#   answer <owner> <ttl> <class> <type> <rdata...>       (sorted)
#   authority ...                                         (sorted)
#   additional ...                                        (sorted, no OPT)
# Whitespace is collapsed to one space. Queries use +norec unless the
# options say otherwise (a later +rec wins).
q() {
	local name=$1 type=$2
	shift 2
	d +norec +nocookie "$@" "$name" "$type" 2>&1 | lib_normalise_dig
}

lib_normalise_dig() {
	awk '
	/^;; ->>HEADER<<-/ {
		s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); print "1 rcode " s; got = 1; next }
	/^;; flags:/ {
		f = $0; sub(/^;; flags: */, "", f); sub(/;.*/, "", f); print "2 flags " f; next }
	/^;; ANSWER SECTION:/     { sec = "3 answer"; next }
	/^;; AUTHORITY SECTION:/  { sec = "4 authority"; next }
	/^;; ADDITIONAL SECTION:/ { sec = "5 additional"; next }
	/^;; OPT PSEUDOSECTION:/  { sec = ""; next }
	/^;; QUESTION SECTION:/   { sec = ""; next }
	/^;/ { next }
	/^$/ { sec = ""; next }
	sec != "" { $1 = $1; print sec " " $0 }
	END { if (!got) print "1 rcode NO-REPLY" }
	' | LC_ALL=C sort | cut -d' ' -f2-
}

# Normalise an expected block the same way (sections sorted, spaces collapsed).
lib_normalise_expected() {
	awk '
	/^[ \t]*$/ { next }
	{ $1 = $1 }
	$1 == "rcode" { print "1 " $0; next }
	$1 == "flags" { print "2 " $0; next }
	$1 == "answer" { print "3 " $0; next }
	$1 == "authority" { print "4 " $0; next }
	$1 == "additional" { print "5 " $0; next }
	{ print "9 BAD-EXPECTED-LINE " $0 }
	' | LC_ALL=C sort | cut -d' ' -f2-
}

# SOA serials change: replace the serial field of SOA records with SERIAL.
lib_mask_serial() {
	awk '{ if ($5 == "SOA" && NF >= 11) $8 = "SERIAL"; print }'
}

# ---- assertions ------------------------------------------------------------
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL $*"; }

# expect "description" NAME TYPE [dig options...] <<EOF
# rcode NOERROR
# flags qr aa
# answer ...
# EOF
# Compares q's output (SOA serials masked) with the block on stdin.
expect() {
	local desc=$1 exp act
	shift
	exp=$(lib_normalise_expected | lib_mask_serial)
	act=$(q "$@" | lib_mask_serial)
	if [ "$exp" = "$act" ]; then
		pass "$desc"
	else
		fail "$desc"
		echo "     query:    dig -p ${QPORT:-$PORT} +norec $*"
		echo "     expected:"
		echo "$exp" | sed 's/^/       /'
		echo "     got:"
		echo "$act" | sed 's/^/       /'
	fi
}

# expect_rcode "description" RCODE NAME TYPE [dig options...]
expect_rcode() {
	local desc=$1 want=$2 act
	shift 2
	act=$(q "$@" | sed -n 's/^rcode //p')
	if [ "$act" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc"
		echo "     query:    dig -p ${QPORT:-$PORT} +norec $*"
		echo "     expected: rcode $want"
		echo "     got:      rcode $act"
		q "$@" | sed 's/^/       /'
	fi
}

# check "description" EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "     expected:"
		printf '%s\n' "$2" | sed 's/^/       /'
		echo "     got:"
		printf '%s\n' "$3" | sed 's/^/       /'
	fi
}

# check_true "description" COMMAND...: passes if the command succeeds.
check_true() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# alive "description": the server under test ($PID) is still running.
alive() {
	if child_alive "$PID"; then
		pass "${1:-server still running}"
	else
		fail "${1:-server still running}: svcdns (pid $PID) is gone; log:"
		sed 's/^/     /' "$LOG"
	fi
}

# soa_serial [ZONE]: the serial of the zone's SOA, as served now.
soa_serial() {
	d +norec +short "${1:-cluster.local}" SOA | awk 'NF >= 7 { print $3; exit }'
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds
# or SECONDS (times SVCDNS_TEST_SLOW) pass. Returns its last status.
wait_for() {
	local secs=$1 n i=0
	shift
	n=$((secs * 10 * LIB_SLOW))
	while [ $i -lt $n ]; do
		if "$@"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}

finish() {
	echo "$LIB_NAME: $CHECKS checks, $FAILS failed"
	if [ "$FAILS" -gt 0 ]; then exit 1; fi
	exit 0
}
