#!/bin/bash
# bench/run.sh - the benchmark behind `make bench` (issue 5).
#
#   bench/run.sh [--sizes "1000 10000 100000"] [--slice SECONDS] [--rounds R]
#                [--starts K] [--no-install] [--no-api] [--no-rotation]
#                [--out FILE]
#   bench/run.sh --smoke        (make check: svcdns and dig only, ~5 s)
#
# Serves the same generated cluster (bench/gen_cluster.py) from svcdns
# (--threads 1), NSD (server-count 1) and Knot (one UDP worker), each pinned to
# CPU 0, with dnsperf pinned to CPU 1 (-T 2 -c 8 -q 100). After a warm-up it
# alternates slices svcdns/NSD and svcdns/Knot R times and prints per server
# qps, lost queries and latency, and the ratios as the median of the pair
# ratios, with each server's CPU in its slices (below a full core, dnsperf
# was the limit) and the ratio of qps per busy core. Also: p50/p99 latency
# and CPU per query at a fixed 10k qps; RSS and PSS after load; time from
# start to the first answer (median of K starts);
# svcdns --threads 2 vs NSD server-count 2 (both unpinned); at the largest N,
# with the fake API server (tests/fakeapi): time to serve from a list,
# programming latency and qps while 100 updates/s stream in.
# The cost of rotation (issue 24), at the middle of --sizes (10000 by
# default; --no-rotation leaves it out): svcdns --loadbalance round_robin
# and svcdns --loadbalance none (both --threads 1, pinned to CPU 0), the
# same data, alternated paired slices R times, on two query files: the
# headless services' names only (A of 5 endpoints and _http._tcp SRV of 5
# targets, one of each per headless service: every answer rotates) and the
# usual mix; qps each, the median pair ratio round_robin/none, each one's
# CPU per answer (utime+stime over its saturating slices) and that ratio,
# lost queries. On the headless file NSD (records in a fixed order) runs in
# the same rounds: svcdns round_robin/NSD and none/NSD. Before the slices
# a dig check that round_robin's answers start at different records and
# none's do not.
#
# Environment: SVCDNS (default: ./svcdns next to bench/), TESTDIR (default:
# tests/ next to bench/). Everything listens on 127.0.0.1 high ports; every
# process started here is killed by PID at exit; the temp dir is removed.
# NSD and Knot run with their own config, pid file and zone dir under the temp
# dir; the system's services are never touched.

set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
SVCDNS=${SVCDNS:-$TOP/svcdns}
TESTDIR=${TESTDIR:-$TOP/tests}
SIZES="1000 10000 100000"
SLICE=5
ROUNDS=3
STARTS_RUNS=3
SMOKE=0
INSTALL=1
API=1
ROTATION=1
OUT=""

while [ $# -gt 0 ]; do
	case "$1" in
	--smoke) SMOKE=1 ;;
	--sizes) SIZES=$2; shift ;;
	--slice) SLICE=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--starts) STARTS_RUNS=$2; shift ;;
	--no-install) INSTALL=0 ;;
	--no-api) API=0 ;;
	--no-rotation) ROTATION=0 ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,/^$/p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

if [ -n "$OUT" ]; then
	exec > >(tee "$OUT") 2>&1
fi

. "$(dirname "$0")/proc_lib.sh"
bench_work svcdns-bench

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }


[ -x "$SVCDNS" ] || die "SVCDNS=$SVCDNS is not an executable"
command -v dig >/dev/null || die "dig not found (bind9-dnsutils)"
command -v python3 >/dev/null || die "python3 not found"

# Ports: one random block of high ports per run, below the kernel's
# ephemeral range (32768-60999), where the clients of tests running beside
# this one take theirs.
PBASE=$((20000 + (RANDOM % 1200) * 10))
P_SVC=$PBASE P_NSD=$((PBASE + 1)) P_KNOT=$((PBASE + 2)) P_HTTP=$((PBASE + 3))
# the second svcdns of the rotation section (--loadbalance none)
P_SVC2=$((PBASE + 4)) P_HTTP2=$((PBASE + 5))

now_ms() { date +%s%3N; }

# dig_status NAME TYPE PORT: prints "RCODE ANCOUNT" or nothing.
dig_status() {
	dig +tries=1 +time=1 +norecurse -p "$3" @127.0.0.1 "$1" "$2" 2>/dev/null |
		awk '/->>HEADER<<-/ { s = $6; sub(",", "", s) }
		     /flags:.*ANSWER:/ { for (i = 1; i <= NF; i++) if ($i == "ANSWER:") { a = $(i + 1); sub(",", "", a) } }
		     END { if (s != "") print s, a }'
}

# wait_answer NAME PORT SECONDS: polls until NAME A has an answer; prints ms.
wait_answer() {
	local t0 t n=0 max=$(($3 * 100))
	t0=$(now_ms)
	while [ $n -lt "$max" ]; do
		case "$(dig_status "$1" A "$2")" in
		"NOERROR "[1-9]*) t=$(now_ms); echo $((t - t0)); return 0 ;;
		esac
		sleep 0.01
		n=$((n + 1))
	done
	return 1
}

# start_svcdns DIR THREADS PIN(0|1) [extra args]: sets SVC_PID. On port
# P_SVC (HTTP P_HTTP), or SVC_PORT and SVC_HTTP when the caller sets them.
start_svcdns() {
	local dir=$1 threads=$2 pin=$3
	shift 3
	local pre="" port=${SVC_PORT:-$P_SVC} http=${SVC_HTTP:-$P_HTTP}
	[ "$pin" = 1 ] && pre="taskset -c 0"
	if [ -n "$dir" ]; then
		$pre "$SVCDNS" --dir "$dir" --listen 127.0.0.1 --port "$port" --upstream none \
			--threads "$threads" --http 127.0.0.1:$http --log-level warning "$@" \
			>>"$WORK/svcdns.log" 2>&1 &
	else
		$pre "$SVCDNS" --listen 127.0.0.1 --port "$port" --upstream none \
			--threads "$threads" --http 127.0.0.1:$http "$@" \
			>>"$WORK/svcdns.log" 2>&1 &
	fi
	SVC_PID=$!
	PIDS="$PIDS $SVC_PID"
}

# ---- smoke mode: generator, query file, zone dump, answers; svcdns + dig --
if [ "$SMOKE" = 1 ]; then
	fail() { echo "FAIL: $*" >&2; exit 1; }
	python3 "$BENCH/gen_cluster.py" --services 200 --out "$WORK/c" \
		--queries "$WORK/q" --nqueries 2000 >"$WORK/gen.out" || fail "gen_cluster.py"
	grep -q '"services": 200, "headless": 20, "endpointslices": 20, "endpoints": 100' \
		"$WORK/gen.out" || fail "generator counts: $(cat "$WORK/gen.out")"
	python3 - "$WORK/c" "$WORK/q" <<'EOF' || fail "generated files"
import json, sys
d, q = sys.argv[1], sys.argv[2]
s = json.load(open(d + "/services.json"))
e = json.load(open(d + "/endpointslices.json"))
assert s["kind"] == "List" and e["kind"] == "List"
assert all(i["kind"] == "Service" and i["apiVersion"] == "v1" for i in s["items"])
assert all(i["kind"] == "EndpointSlice" and i["apiVersion"] == "discovery.k8s.io/v1"
           for i in e["items"])
assert all(len(x["endpoints"]) == 5 and all(p.get("hostname") for p in x["endpoints"])
           for x in e["items"])
assert all(p.get("name") for i in s["items"] for p in i["spec"]["ports"])
lines = open(q).read().split("\n")[:-1]
n = len(lines)
srv = sum(1 for l in lines if l.endswith(" SRV") and l.startswith("_"))
aaaa = sum(1 for l in lines if l.endswith(" AAAA"))
nx = sum(1 for l in lines if l.endswith(" A") and l.count(".svc.cluster.local") >= 1
         and l.split()[0].count(".") > 4 and "cluster.local." in l)
a = sum(1 for l in lines if l.endswith(" A")) - nx
for got, want in ((a, .7), (srv, .1), (aaaa, .1), (nx, .1)):
    assert abs(got / n - want) < 0.03, (a, srv, aaaa, nx, n)
EOF
	"$SVCDNS" --dir "$WORK/c" --dump-zone --ns-address 127.0.0.1 >"$WORK/zone" \
		2>"$WORK/dump.err" || fail "--dump-zone: $(cat "$WORK/dump.err")"
	grep -q "^cluster.local.[[:space:]].*SOA" "$WORK/zone" || fail "zone has no SOA"
	[ "$(grep -c 'IN[[:space:]]A[[:space:]]' "$WORK/zone")" -ge 280 ] || fail "zone too small"
	start_svcdns "$WORK/c" 1 0 --lameduck 0
	wait_answer svc-000000.ns-0000.svc.cluster.local "$P_SVC" 10 >/dev/null ||
		fail "svcdns did not answer within 10 s ($(tail -3 "$WORK/svcdns.log"))"
	# Each kind of query in the file gets the expected kind of answer, and
	# A answers agree with the zone dump (the data NSD and Knot serve).
	checked=0
	for kind in "A" "SRV" "AAAA" "NX"; do
		case $kind in
		A) line=$(grep -m1 -E '^svc-[0-9]+\.ns-[0-9]+\.svc\.cluster\.local A$' "$WORK/q") ;;
		SRV) line=$(grep -m1 ' SRV$' "$WORK/q") ;;
		AAAA) line=$(grep -m1 ' AAAA$' "$WORK/q") ;;
		NX) line=$(grep -m1 -E '\.svc\.cluster\.local\..* A$' "$WORK/q") ;;
		esac
		set -- $line
		got=$(dig_status "$1" "$2" "$P_SVC")
		case "$kind:$got" in
		A:"NOERROR "[1-9]*|SRV:"NOERROR "[1-9]*|AAAA:"NOERROR 0"|NX:"NXDOMAIN 0") ;;
		*) fail "$1 $2: got '$got'" ;;
		esac
		if [ "$kind" = A ]; then
			want=$(awk -v n="$1." '$1 == n && $4 == "A" { print $5 }' "$WORK/zone" | sort)
			have=$(dig +short -p "$P_SVC" @127.0.0.1 "$1" A | sort)
			[ -n "$want" ] && [ "$want" = "$have" ] || fail "$1: dig '$have' vs zone '$want'"
		fi
		checked=$((checked + 1))
	done
	# One second of load: dnsperf if it is there, else dig over the file.
	if command -v dnsperf >/dev/null; then
		dnsperf -s 127.0.0.1 -p "$P_SVC" -d "$WORK/q" -l 1 -c 2 -q 20 >"$WORK/perf" 2>&1 ||
			fail "dnsperf: $(tail -3 "$WORK/perf")"
		grep -q 'Queries lost: *0 ' "$WORK/perf" || fail "lost queries: $(grep lost "$WORK/perf")"
		echo "smoke: $(grep 'Queries per second' "$WORK/perf" | sed 's/  */ /g')"
	else
		head -200 "$WORK/q" | sed 's/^/-q /; s/ \([A-Z]*\)$/ -t \1/' | tr '\n' ' ' >"$WORK/args"
		timeout 10 dig +tries=1 +time=1 -p "$P_SVC" @127.0.0.1 $(cat "$WORK/args") >"$WORK/digs" 2>&1 ||
			fail "dig batch"
		[ "$(grep -c 'status: NOERROR' "$WORK/digs")" -ge 150 ] || fail "dig batch answers"
	fi
	child_alive "$SVC_PID" || fail "svcdns died"
	# A clean exit on SIGTERM (make check-valgrind reads its leak check).
	child_alive "$SVC_PID" && kill -TERM "$SVC_PID"
	n=0
	while child_alive "$SVC_PID" && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	child_alive "$SVC_PID" && kill -KILL "$SVC_PID" 2>/dev/null
	wait "$SVC_PID"
	st=$?
	PIDS=$(echo " $PIDS " | sed "s/ $SVC_PID / /g")
	[ "$st" -eq 0 ] || fail "svcdns exited $st on SIGTERM ($(tail -3 "$WORK/svcdns.log"))"
	echo "smoke: ok ($checked kinds of answer checked against the zone dump)"
	exit 0
fi

# ---- full run ---------------------------------------------------------------
need=""
command -v dnsperf >/dev/null || need="$need dnsperf"
command -v nsd >/dev/null || need="$need nsd"
command -v knotd >/dev/null || need="$need knot"
if [ -n "$need" ]; then
	[ "$INSTALL" = 1 ] || die "missing:$need (run without --no-install, or apt-get install$need)"
	log "installing$need"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO="sudo"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $need >"$WORK/apt.log" 2>&1 ||
		die "apt-get install$need failed: $(tail -3 "$WORK/apt.log")"
fi
NSD_BIN=$(command -v nsd)
KNOTD_BIN=$(command -v knotd)
command -v taskset >/dev/null || die "taskset not found (util-linux)"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (server on 0, dnsperf on 1)"

# ---- servers ----------------------------------------------------------------
# All configs live under $WORK/<server>; zone file cluster.local.zone.
# NSD: tests/system/nsd_lib.sh writes its configuration and starts it.
. "$TESTDIR/system/nsd_lib.sh" || die "cannot read $TESTDIR/system/nsd_lib.sh"
NSD_VERBOSITY=0
start_nsd() { # COUNT PIN: sets NSD_PID; no wait (timed_starts times the first answer)
	local NSD_SERVERS=$1 NSD_PIN=""
	mkdir -p "$WORK/nsd"
	cp "$WORK/zone" "$WORK/nsd/cluster.local.zone"
	[ "$2" = 1 ] && NSD_PIN="taskset -c 0"
	nsd_conf "$WORK/nsd" 127.0.0.1 "$P_NSD" cluster.local || die "cannot write $WORK/nsd/nsd.conf"
	nsd_exec
}

start_knot() { # PIN: sets KNOT_PID
	local d=$WORK/knot pre=""
	mkdir -p "$d"
	cp "$WORK/zone" "$d/cluster.local.zone"
	cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    pidfile: "$d/knot.pid"
    listen: 127.0.0.1@$P_KNOT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$d/knot.sock"
log:
  - target: stderr
    any: warning
database:
    storage: "$d"
template:
  - id: default
    storage: "$d"
    journal-content: none
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
zone:
  - domain: cluster.local
    file: "cluster.local.zone"
EOF
	[ "$1" = 1 ] && pre="taskset -c 0"
	$pre "$KNOTD_BIN" -c "$d/knot.conf" >>"$d/stdout" 2>&1 &
	KNOT_PID=$!
	PIDS="$PIDS $KNOT_PID"
}

# timed_starts SERVER PORT PROBE: starts svcdns|nsd|knot (pinned, on the
# current data) STARTS_RUNS times, each timed to its first answer for PROBE;
# every start but the last is stopped. Sets STARTS to "MEDIAN [A B C]": one
# start varies by 15% here. Not $(...): the server's PID must reach the caller.
timed_starts() {
	local s=$1 port=$2 probe=$3 i ms pid all=""
	for i in $(seq 1 "$STARTS_RUNS"); do
		case $s in
		svcdns) start_svcdns "$C" 1 1; pid=$SVC_PID ;;
		nsd) start_nsd 1 1; pid=$NSD_PID ;;
		knot) start_knot 1; pid=$KNOT_PID ;;
		esac
		ms=$(wait_answer "$probe" "$port" 120) || case $s in
			svcdns) die "svcdns did not serve $probe ($(tail -3 "$WORK/svcdns.log"))" ;;
			nsd) die "nsd did not serve ($(tail -5 "$NSD_LOG" 2>/dev/null))" ;;
			*) die "knot did not serve ($(tail -5 "$WORK/knot/stdout"))" ;;
			esac
		all="$all $ms"
		[ "$i" -lt "$STARTS_RUNS" ] && stop "$pid"
	done
	STARTS="$(printf '%s\n' $all | sort -n | sed -n "$(((STARTS_RUNS + 1) / 2))p") [${all# }]"
}

# The PIDs of a server's process tree (NSD forks its servers and xfrd).
tree_pids() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
		tree_pids "$c"
	done
}
mem_kb() { # PID: "RSS_KB PSS_KB NPROC" summed over the tree
	local rss=0 pss=0 n=0 p v
	for p in $(tree_pids "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null)
		[ -n "$v" ] && rss=$((rss + v))
		v=$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null)
		[ -n "$v" ] && pss=$((pss + v))
		n=$((n + 1))
	done
	echo "$rss $pss $n"
}
cpu_ticks() { # PID: utime+stime over the tree
	local t=0 p v
	for p in $(tree_pids "$1"); do
		# fields after "pid (comm) ": comm may hold spaces ("nsd: server 1")
		v=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{ print $12 + $13 }')
		[ -n "$v" ] && t=$((t + v))
	done
	echo "$t"
}

# perf PORT SECONDS TAG [pin=1] [extra dnsperf args]: runs dnsperf, appends
# "TAG qps lost avg_lat_us completed rcodes server_cpu_percent" to
# $WORK/slices (the CPU of the server listening on PORT, 0 if none is known).
perf() {
	local port=$1 secs=$2 tag=$3 pin=${4:-1} pre="" pid="" c0=0 c1=0 t0 t1
	shift 4 2>/dev/null || shift $#
	[ "$pin" = 1 ] && pre="taskset -c 1"
	# the server's CPU over the slice: below a full core, the client was the limit
	case $port in
	"$P_SVC") pid=${SVC_PID:-} ;;
	"$P_SVC2") pid=${SVC2_PID:-} ;;
	"$P_NSD") pid=${NSD_PID:-} ;;
	"$P_KNOT") pid=${KNOT_PID:-} ;;
	esac
	[ -n "$pid" ] && c0=$(cpu_ticks "$pid")
	t0=$(now_ms)
	$pre dnsperf -s 127.0.0.1 -p "$port" -d "$Q" -l "$secs" -T 2 -c 8 -q 100 "$@" \
		>"$WORK/perf.out" 2>&1
	t1=$(now_ms)
	[ -n "$pid" ] && c1=$(cpu_ticks "$pid")
	awk -v tag="$tag" -v ticks=$((c1 - c0)) -v ms=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
		/Queries completed:/ { c = $3 }
		/Queries lost:/ { l = $3 }
		/Queries per second:/ { q = $4 }
		/Average Latency/ { a = $4 * 1e6 }
		/Response codes:/ { sub(/^ *Response codes: */, ""); gsub(/ /, "_"); rc = $0 }
		END { printf "%s %.0f %d %.0f %d %s %.0f\n", tag, q, l, a, c, rc,
			(ms > 0 ? ticks / hz * 100000 / ms : 0) }' "$WORK/perf.out" |
		tee -a "$WORK/slices"
}

# latency PORT PID TAG: 10k qps for 4 s with per-query output: p50/p99 and
# server CPU microseconds per answer.
latency() {
	local port=$1 pid=$2 tag=$3 t0 t1
	t0=$(cpu_ticks "$pid")
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$Q" -l 4 -Q 10000 -v >"$WORK/lat.out" 2>&1
	t1=$(cpu_ticks "$pid")
	awk '/^> / { print $NF }' "$WORK/lat.out" | sort -g |
		awk -v tag="$tag" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
		{ v[++n] = $1 }
		END {
			if (n == 0) { print tag, "no answers"; exit }
			printf "%s lat_p50_us %.0f lat_p99_us %.0f cpu_us_per_query %.2f answers %d\n",
				tag, v[int(n * .5) + 1] * 1e6, v[int(n * .99) + 1] * 1e6,
				ticks / hz * 1e6 / n, n
		}' | tee -a "$WORK/latency"
}

# streamer_ready PID: waits (at most 60 s) until updates.py stream has read
# the cluster (seconds of python CPU at 100k, which must not fall into the
# slice it runs beside) and created $WORK/stream.ready; then removes the file.
streamer_ready() {
	local i=0
	while [ ! -e "$WORK/stream.ready" ] && child_alive "$1" && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rm -f "$WORK/stream.ready"
}

ratio_summary() { # FILE TAG_A TAG_B: median of pair ratios of qps
	python3 - "$@" <<'EOF'
import sys, statistics
f, a, b = sys.argv[1:4]
rows = [l.split() for l in open(f) if l.strip()]
qa = [float(r[1]) for r in rows if r[0] == a]
qb = [float(r[1]) for r in rows if r[0] == b]
ratios = [x / y for x, y in zip(qa, qb) if y > 0]
med = lambda v: statistics.median(v) if v else float("nan")
print("  %-10s qps median %8.0f  (slices: %s)" % (a, med(qa), " ".join("%.0f" % x for x in qa)))
print("  %-10s qps median %8.0f  (slices: %s)" % (b, med(qb), " ".join("%.0f" % x for x in qb)))
print("  ratio %s/%s = %.3f  (median of pairs: %s)" % (a, b, med(ratios),
      " ".join("%.3f" % r for r in ratios)))
# The server's CPU in its slices (% of one core). At 100% the server was
# the limit; below, dnsperf was, and qps per busy core estimates capacity.
ba = [float(r[6]) for r in rows if r[0] == a and len(r) > 6]
bb = [float(r[6]) for r in rows if r[0] == b and len(r) > 6]
if ba and bb and min(ba + bb) > 0:
    cap = [(x / u) / (y / v) for x, u, y, v in zip(qa, ba, qb, bb)]
    print("  server CPU: %s %.0f%%, %s %.0f%% of a core (median); qps per busy core %s/%s = %.3f (pairs: %s)"
          % (a, med(ba), b, med(bb), a, b, med(cap), " ".join("%.3f" % r for r in cap)))
EOF
}

lost_summary() { # FILE TAG
	awk -v t="$2" '$1 == t { l += $3; a += $4; n++; rc = $6 }
		END { printf "  %-10s lost %d in %d slices, avg latency at saturation %.0f us, rcodes %s\n", t, l, n, a / n, rc }' "$1"
}

cpuq_summary() { # FILE TAG_A TAG_B: the server's CPU per answer in saturating slices
	python3 - "$@" <<'EOF'
import sys, statistics
f, a, b = sys.argv[1:4]
rows = [l.split() for l in open(f) if l.strip()]
# r[6]: the server's CPU, % of a core, over the slice; r[1]: qps
us = lambda t: [float(r[6]) * 1e4 / float(r[1]) for r in rows
                if r[0] == t and len(r) > 6 and float(r[1]) > 0]
ua, ub = us(a), us(b)
med = lambda v: statistics.median(v) if v else float("nan")
ratios = [x / y for x, y in zip(ua, ub) if y > 0]
print("  CPU per answer: %s %.3f us, %s %.3f us (medians); ratio %s/%s = %.3f  (median of pairs: %s)"
      % (a, med(ua), b, med(ub), a, b, med(ratios), " ".join("%.3f" % r for r in ratios)))
EOF
}

# ---- the cost of rotation (issue 24) ------------------------------------------
# first_records PORT NAME TYPE COUNT: how many different first records COUNT
# answers to NAME TYPE started with.
first_records() {
	local i
	for i in $(seq 1 "$4"); do
		dig +short +tries=1 +time=1 -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null | head -1
	done | sort -u | grep -c .
}

msg_size() { # PORT NAME TYPE: the answer's size in bytes (dig's MSG SIZE rcvd)
	dig +tries=1 +time=1 +norecurse -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null |
		sed -n 's/.*MSG SIZE *rcvd: *\([0-9]*\).*/\1/p'
}

# bench_rotation N DIR PROBE: svcdns --loadbalance round_robin (P_SVC) and
# --loadbalance none (P_SVC2), both --threads 1 pinned to CPU 0, on DIR; NSD
# (already up on the same data) beside them on the headless file.
bench_rotation() {
	local n=$1 C=$2 probe=$3 r qmix=$Q hname hsrv rr_pid none_pid
	local QH=$WORK/qh$n
	python3 - "$C/services.json" "$QH" <<'EOF' || die "cannot write the headless query file"
import json, random, sys
svcs = json.load(open(sys.argv[1]))["items"]
q = []
for s in svcs:
    if s["spec"].get("clusterIP") != "None":
        continue
    fq = "%s.%s.svc.cluster.local" % (s["metadata"]["name"], s["metadata"]["namespace"])
    q.append("%s A" % fq)
    q += ["_%s._tcp.%s SRV" % (p["name"], fq) for p in s["spec"]["ports"]]
random.Random(24).shuffle(q)
open(sys.argv[2], "w").write("\n".join(q) + "\n")
EOF
	hname=$(awk '$2 == "A" { print $1; exit }' "$QH")
	hsrv=$(awk '$2 == "SRV" { print $1; exit }' "$QH")

	start_svcdns "$C" 1 1 --loadbalance round_robin
	rr_pid=$SVC_PID
	SVC_PORT=$P_SVC2 SVC_HTTP=$P_HTTP2 start_svcdns "$C" 1 1 --loadbalance none
	none_pid=$SVC_PID
	SVC_PID=$rr_pid
	SVC2_PID=$none_pid
	wait_answer "$probe" "$P_SVC" 120 >/dev/null || die "svcdns (round_robin) did not serve"
	wait_answer "$probe" "$P_SVC2" 120 >/dev/null || die "svcdns (none) did not serve"

	echo "rotation (issue 24): svcdns --loadbalance round_robin vs none, both --threads 1 on CPU 0, N=$n"
	echo "  headless file: $(grep -c ' A$' "$QH") A of headless services (5 endpoints) + $(grep -c ' SRV$' "$QH") SRV (5 targets, 5 glue A), shuffled"
	local fr_a fr_s fn_a fn_s
	fr_a=$(first_records "$P_SVC" "$hname" A 20)
	fr_s=$(first_records "$P_SVC" "$hsrv" SRV 20)
	fn_a=$(first_records "$P_SVC2" "$hname" A 20)
	fn_s=$(first_records "$P_SVC2" "$hsrv" SRV 20)
	echo "  different first records in 20 answers (A, SRV): round_robin $fr_a, $fr_s; none $fn_a, $fn_s"
	if [ "$fr_a" -lt 2 ] || [ "$fr_s" -lt 2 ] || [ "$fn_a" != 1 ] || [ "$fn_s" != 1 ]; then
		echo "  WARNING: expected 2 or more for round_robin and 1 for none: the figures below may not measure rotation"
	fi
	echo "  answer bytes (A, SRV): svcdns $(msg_size "$P_SVC" "$hname" A), $(msg_size "$P_SVC" "$hsrv" SRV); nsd $(msg_size "$P_NSD" "$hname" A), $(msg_size "$P_NSD" "$hsrv" SRV)"

	log "rotation: warm-up"
	Q=$QH
	perf "$P_SVC" 2 warm >/dev/null
	perf "$P_SVC2" 2 warm >/dev/null
	perf "$P_NSD" 2 warm >/dev/null
	Q=$qmix
	perf "$P_SVC" 2 warm >/dev/null
	perf "$P_SVC2" 2 warm >/dev/null
	: >"$WORK/slices"
	# The order alternates from round to round: no server always goes first.
	for r in $(seq 1 "$ROUNDS"); do
		log "rotation: round $r/$ROUNDS"
		Q=$QH
		if [ $((r % 2)) = 1 ]; then
			perf "$P_SVC" "$SLICE" rr-hl >/dev/null
			perf "$P_SVC2" "$SLICE" none-hl >/dev/null
			perf "$P_NSD" "$SLICE" nsd-hl >/dev/null
		else
			perf "$P_NSD" "$SLICE" nsd-hl >/dev/null
			perf "$P_SVC2" "$SLICE" none-hl >/dev/null
			perf "$P_SVC" "$SLICE" rr-hl >/dev/null
		fi
		Q=$qmix
		if [ $((r % 2)) = 1 ]; then
			perf "$P_SVC" "$SLICE" rr-mix >/dev/null
			perf "$P_SVC2" "$SLICE" none-mix >/dev/null
		else
			perf "$P_SVC2" "$SLICE" none-mix >/dev/null
			perf "$P_SVC" "$SLICE" rr-mix >/dev/null
		fi
	done
	Q=$qmix
	echo "  headless names only (${SLICE}s slices x $ROUNDS, order alternating; rr = round_robin):"
	ratio_summary "$WORK/slices" rr-hl none-hl | sed 's/^/  /'
	cpuq_summary "$WORK/slices" rr-hl none-hl | sed 's/^/  /'
	ratio_summary "$WORK/slices" rr-hl nsd-hl | sed '1d; s/^/  /'
	ratio_summary "$WORK/slices" none-hl nsd-hl | sed '1,2d; s/^/  /'
	cpuq_summary "$WORK/slices" rr-hl nsd-hl | sed 's/^/  /'
	cpuq_summary "$WORK/slices" none-hl nsd-hl | sed 's/^/  /'
	for t in rr-hl none-hl nsd-hl; do lost_summary "$WORK/slices" "$t" | sed 's/^/  /'; done
	echo "  the usual mix (gen_cluster.py's file, as in the one-core slices above):"
	ratio_summary "$WORK/slices" rr-mix none-mix | sed 's/^/  /'
	cpuq_summary "$WORK/slices" rr-mix none-mix | sed 's/^/  /'
	for t in rr-mix none-mix; do lost_summary "$WORK/slices" "$t" | sed 's/^/  /'; done
	cat "$WORK/slices" >>"$WORK/all-slices.$n"
	stop "$SVC2_PID"
	stop "$SVC_PID"
	SVC2_PID=""
	rm -f "$QH"
}

# ---- one size ---------------------------------------------------------------
bench_size() {
	local n=$1 g t nobj r m
	local C=$WORK/c$n
	Q=$WORK/q$n
	: >"$WORK/slices"
	: >"$WORK/latency"
	g=$(python3 "$BENCH/gen_cluster.py" --services "$n" --out "$C" --queries "$Q") ||
		die "gen_cluster.py failed"
	echo
	echo "== N=$n services: $g"
	nobj=$(echo "$g" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["services"]+d["endpoints"])')
	"$SVCDNS" --dir "$C" --dump-zone --ns-address 127.0.0.1 >"$WORK/zone" 2>"$WORK/dump.err" ||
		die "--dump-zone failed: $(cat "$WORK/dump.err")"
	echo "zone: $(grep -c . "$WORK/zone") records"

	# svcdns, NSD, Knot all up at once (each pinned to CPU 0, idle when not queried)
	local probe=svc-$(printf %06d $((n - 1))).ns-$(printf %04d $(((n - 1) % (n / 50 > 4 ? n / 50 : 4)))).svc.cluster.local
	local ls ln lk
	timed_starts svcdns "$P_SVC" "$probe"
	ls=$STARTS
	timed_starts nsd "$P_NSD" "$probe"
	ln=$STARTS
	timed_starts knot "$P_KNOT" "$probe"
	lk=$STARTS
	echo "start to first answer (ms, dig polling, ~10 ms resolution; median of $STARTS_RUNS starts, each in brackets): svcdns $ls  nsd $ln  knot $lk"

	log "warm-up"
	perf "$P_SVC" 2 warm >/dev/null
	perf "$P_NSD" 2 warm >/dev/null
	perf "$P_KNOT" 2 warm >/dev/null
	: >"$WORK/slices"
	for r in $(seq 1 "$ROUNDS"); do
		log "round $r/$ROUNDS"
		perf "$P_SVC" "$SLICE" svcdns-n >/dev/null
		perf "$P_NSD" "$SLICE" nsd >/dev/null
		perf "$P_SVC" "$SLICE" svcdns-k >/dev/null
		perf "$P_KNOT" "$SLICE" knot >/dev/null
	done
	echo "one core each (server taskset -c 0, dnsperf taskset -c 1 -T 2 -c 8 -q 100, ${SLICE}s slices x $ROUNDS):"
	ratio_summary "$WORK/slices" svcdns-n nsd
	ratio_summary "$WORK/slices" svcdns-k knot
	for t in svcdns-n nsd knot; do lost_summary "$WORK/slices" "$t"; done
	cat "$WORK/slices" >>"$WORK/all-slices.$n"

	echo "fixed 10k qps, 4 s (latency from dnsperf -v; CPU from /proc/PID/stat):"
	latency "$P_SVC" "$SVC_PID" "  svcdns" >/dev/null
	latency "$P_NSD" "$NSD_PID" "  nsd" >/dev/null
	latency "$P_KNOT" "$KNOT_PID" "  knot" >/dev/null
	cat "$WORK/latency"

	echo "memory after load (kB; NSD summed over its processes, RSS double-counts shared pages):"
	for s in svcdns:$SVC_PID nsd:$NSD_PID knot:$KNOT_PID; do
		m=$(mem_kb "${s#*:}")
		set -- $m
		echo "  ${s%%:*} RSS $1 kB  PSS $2 kB  processes $3  RSS bytes/object $(($1 * 1024 / nobj))  (RSS-5MB)/object $((($1 - 5120) * 1024 / nobj))  objects $nobj"
	done
	stop "$KNOT_PID"
	stop "$SVC_PID"
	if [ "$ROTATION" = 1 ] && [ "$n" = "$ROT_SIZE" ]; then
		bench_rotation "$n" "$C" "$probe"
	fi
	stop "$NSD_PID"

	# svcdns --threads 2 vs NSD server-count 2, nothing pinned
	start_svcdns "$C" 2 0
	wait_answer "$probe" "$P_SVC" 120 >/dev/null || die "svcdns (2 threads) did not serve"
	start_nsd 2 0
	wait_answer "$probe" "$P_NSD" 120 >/dev/null || die "nsd (2) did not serve"
	perf "$P_SVC" 2 warm 0 >/dev/null
	perf "$P_NSD" 2 warm 0 >/dev/null
	: >"$WORK/slices"
	for r in $(seq 1 "$ROUNDS"); do
		perf "$P_SVC" "$SLICE" svcdns-2t 0 >/dev/null
		perf "$P_NSD" "$SLICE" nsd-2p 0 >/dev/null
	done
	echo "two threads / server processes, unpinned (dnsperf unpinned too, shares the 2 CPUs):"
	ratio_summary "$WORK/slices" svcdns-2t nsd-2p
	for t in svcdns-2t nsd-2p; do lost_summary "$WORK/slices" "$t"; done
	stop "$NSD_PID"
	stop "$SVC_PID"

	if [ "$API" = 1 ] && [ "$n" = "${SIZES##* }" ]; then
		bench_api "$n" "$C" "$probe"
	fi
	rm -rf "$C" "$Q"
}

# ---- the fake API server: list load, programming latency, updates under load
api_usable() {
	"$SVCDNS" --help 2>&1 | grep -q -- '--apiserver' &&
		[ -f "$TESTDIR/fakeapi/fake_apiserver.py" ]
}

bench_api() {
	local n=$1 C=$2 probe=$3 t0 ms api ctl i
	api_usable || { echo "API server figures: left out (no --apiserver or no tests/fakeapi)"; return; }
	rm -f "$WORK/ports"
	python3 "$BENCH/apiserver_preload.py" "$TESTDIR/fakeapi" "$C" --port-file "$WORK/ports" \
		>>"$WORK/fakeapi.log" 2>&1 &
	local FPID=$!
	PIDS="$PIDS $FPID"
	i=0
	while [ ! -s "$WORK/ports" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$WORK/ports" ] || { echo "API: fake server did not start: $(tail -3 "$WORK/fakeapi.log")"; stop "$FPID"; return; }
	api=$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$WORK/ports")
	ctl=$(sed -n 's/.*ctl=\([0-9]*\).*/\1/p' "$WORK/ports")
	# The fake server's own cost of serving the paged list (python), to put
	# svcdns's figure in context.
	ms=$(python3 - "$api" <<'EOF'
import http.client, json, sys, time, urllib.parse
t0 = time.monotonic()
for path in ("/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices"):
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
    cont = ""
    for _ in range(100000):
        c.request("GET", path + "?limit=500" + ("&continue=" + urllib.parse.quote(cont) if cont else ""))
        d = json.loads(c.getresponse().read())
        cont = d["metadata"].get("continue", "")
        if not cont:
            break
print(int((time.monotonic() - t0) * 1000))
EOF
)
	: >"$WORK/svcdns.log"
	start_svcdns "" 1 1 --apiserver "http://127.0.0.1:$api" --log-level debug
	t0=$(wait_answer "$probe" "$P_SVC" 180) ||
		{ echo "API: svcdns did not serve from the fake API server: $(tail -3 "$WORK/svcdns.log")"; stop "$SVC_PID"; stop "$FPID"; return; }
	echo "from the fake API server (paged list, limit 500):"
	echo "  start to first answer: svcdns ${t0} ms (the fake server alone needs ${ms} ms to page the same lists to a python client)"
	grep -E 'published|synced' "$WORK/svcdns.log" | tail -2 | sed 's/^/  log: /'
	m=$(mem_kb "$SVC_PID"); set -- $m
	echo "  memory after list: RSS $1 kB PSS $2 kB"

	# programming latency: one update at a time, answered before the next
	local before
	before=$(grep -c 'published' "$WORK/svcdns.log")
	r=$(python3 "$BENCH/updates.py" latency --ctl "$ctl" --dns "$P_SVC" --cluster "$C" \
		--count 1000 --budget 120) || r="failed"
	echo "  programming latency (ctl event recorded -> new address answered): $r"
	grep 'published' "$WORK/svcdns.log" | tail -n +$((before + 1)) |
		sed -n 's/.* in \([0-9.]*\) ms$/\1/p' | sort -n | awk '
		{ v[++n] = $1 } END { if (n) printf "  svcdns publish time per update (its log): p50 %.1f ms p99 %.1f ms max %.1f ms over %d publishes\n", v[int(n*.5)+1], v[int(n*.99)+1], v[n], n }'
	grep 'change(s) applied in' "$WORK/svcdns.log" | sed -n 's/.* in \([0-9.]*\) ms$/\1/p' | sort -n | awk '
		{ v[++n] = $1 } END { if (n) printf "  svcdns watch event apply time (its log): p50 %.3f ms p99 %.3f ms over %d\n", v[int(n*.5)+1], v[int(n*.99)+1], n }'

	# qps and lost queries with 100 updates/s during a saturating run,
	# alternated with slices without updates
	Q=$WORK/q$n
	perf "$P_SVC" 2 warm >/dev/null
	: >"$WORK/slices"
	for r in $(seq 1 "$ROUNDS"); do
		perf "$P_SVC" "$SLICE" quiet >/dev/null
		python3 "$BENCH/updates.py" stream --ctl "$ctl" --cluster "$C" --rate 100 \
			--duration "$((SLICE + 1))" --ready-file "$WORK/stream.ready" \
			>"$WORK/stream.out" 2>&1 &
		local UP=$!
		PIDS="$PIDS $UP"
		streamer_ready "$UP"
		perf "$P_SVC" "$SLICE" updating >/dev/null
		i=0
		while child_alive "$UP" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		stop "$UP"
		echo "  stream: $(cat "$WORK/stream.out")" >>"$WORK/streams"
	done
	echo "  saturating dnsperf with 100 updates/s vs without (svcdns pinned, ${SLICE}s slices):"
	ratio_summary "$WORK/slices" updating quiet | sed 's/^/  /'
	for t in quiet updating; do lost_summary "$WORK/slices" "$t" | sed 's/^/  /'; done
	tail -1 "$WORK/streams"
	rm -f "$WORK/streams"

	# The saturating figure above also measures the python fake server and
	# updater, which need CPU on the two cores svcdns and dnsperf fill.
	# svcdns's own cost: its CPU per answer at a fixed 50k qps below
	# saturation, with and without the updates (helpers on dnsperf's core).
	local q0 q1 t0 t1 a upd
	echo "  svcdns CPU per answer at a fixed 50k qps, quiet vs 100 updates/s (helpers on CPU 1):"
	for r in $(seq 1 "$ROUNDS"); do
		for t in quiet updating; do
			upd=""
			if [ "$t" = updating ]; then
				taskset -c 1 python3 "$BENCH/updates.py" stream --ctl "$ctl" --cluster "$C" \
					--rate 100 --duration "$((SLICE + 1))" \
					--ready-file "$WORK/stream.ready" >/dev/null 2>&1 &
				upd=$!
				PIDS="$PIDS $upd"
				streamer_ready "$upd"
			fi
			t0=$(cpu_ticks "$SVC_PID")
			a=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$P_SVC" -d "$Q" -Q 50000 -l "$SLICE" -c 4 2>&1 |
				awk '/Queries completed/ { print $3 }')
			t1=$(cpu_ticks "$SVC_PID")
			[ -n "$upd" ] && stop "$upd"
			echo "$t $a $((t1 - t0))" >>"$WORK/cpuq"
		done
	done
	awk -v hz="$(getconf CLK_TCK)" '
		{ n[$1] += $2; ticks[$1] += $3 }
		END {
			for (t in n) if (n[t] > 0) us[t] = ticks[t] / hz * 1e6 / n[t]
			printf "    quiet %.2f us/answer, updating %.2f us/answer, ratio %.3f (%d and %d answers)\n",
				us["quiet"], us["updating"], (us["quiet"] > 0 ? us["updating"] / us["quiet"] : 0),
				n["quiet"], n["updating"]
		}' "$WORK/cpuq"
	rm -f "$WORK/cpuq"
	stop "$SVC_PID"
	stop "$FPID"
}

echo "svcdns benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n): $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "versions: $("$SVCDNS" --version 2>&1 | head -1); $("$NSD_BIN" -v 2>&1 | head -1); $("$KNOTD_BIN" -V 2>&1 | head -1); $(dnsperf -h 2>&1 | grep -m1 Version)"
# The rotation section's size: the middle of --sizes (of two, the first).
ROT_SIZES=($SIZES)
ROT_SIZE=${ROT_SIZES[$(((${#ROT_SIZES[@]} - 1) / 2))]}
for n in $SIZES; do
	bench_size "$n"
done
