#!/bin/bash
# bench/coredns.sh - CoreDNS and svcdns side by side on one pinned core, on
# the same real kube-apiserver with the same data (issue 21):
#
#   bench/coredns.sh [--qps-sizes "1000 10000"] [--mem-sizes "10000 100000"]
#                    [--slice 5] [--rounds 3] [--starts 1] [--latency 100]
#                    [--ext-names 1000] [--out FILE]
#
# For each size N (the union of both lists; bench/gen_cluster.py's default
# shape: N Services over N/50 namespaces, 90% ClusterIP, 10% headless with
# one EndpointSlice of 5 ready endpoints), a fresh etcd + kube-apiserver
# loaded as bench/realapi.sh does (bench/realapi_lib.sh: the Services but
# the last straight into etcd, the rest through the API), NSD on 127.0.0.2
# as the upstream of both (tests/realapi/coredns_lib.sh: example.com plus
# h-0 ... h-(E-1).example.com), then:
#   - CoreDNS v1.14.7 (tests/realapi/build.sh) with kubeadm's Corefile,
#     GOMAXPROCS=1, `taskset -c 0`; svcdns with the equivalent flags,
#     --threads 1, `taskset -c 0` (coredns_lib.sh); once kube-apiserver
#     and etcd are idle after the load, each started K times, alternately
#     (CoreDNS first in odd rounds), timed from exec to the first right
#     answer for the last Service (realapi_tool waitdns, every 5 ms);
#   - RSS (VmRSS, PSS, VmHWM) of both 5 s after the last start;
#   - at the --qps-sizes: dnsperf on CPU 1 (`taskset -c 1 dnsperf -T 2 -c 8
#     -q 100`) against each in alternating slices (R rounds, the order
#     swapped every round), for the cluster-name mix (gen_cluster.py's:
#     70% A, 10% SRV, 10% AAAA NODATA, 10% search-path NXDOMAIN) and for a
#     cached external-name mix (E names of example.com, A, forwarded to NSD
#     and warmed; both cache them 30 s); qps, the server's CPU over each
#     slice (utime+stime from /proc), the pair ratios; then at a fixed
#     10k qps for 5 s: latency p50/p99 (dnsperf -v) and CPU per answer;
#   - at the largest N: event -> answer for --latency Service creations,
#     both servers polled at once every 0.5 ms (realapi_tool latency
#     -ports); then each alone, the other stopped by SIGSTOP meanwhile
#     (both share CPU 0, so when polled at once the one scheduled first
#     delays the other).
#
# Environment: SVCDNS (default ./svcdns next to bench/), TESTDIR (tests/),
# ZONESDIR (zones/), SVCDNS_REALAPI_BIN (else tests/realapi/build.sh, which
# also builds CoreDNS), SVCDNS_COREDNS (another coredns), Go at
# /usr/local/go/bin or on PATH (for the helper). Needs dnsperf, nsd,
# taskset. Everything on 127.0.0.1 (NSD on 127.0.0.2); every loop is
# bounded; only the processes started here are stopped, by PID (lib.sh's
# exit trap); the temp dir is removed.

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
export SVCDNS=${SVCDNS:-$TOP/svcdns}
export TESTDIR=${TESTDIR:-$TOP/tests}
export ZONESDIR=${ZONESDIR:-$TOP/zones}
QPS_SIZES="1000 10000"
MEM_SIZES="10000 100000"
SLICE=5
ROUNDS=3
STARTS=1
LAT_N=100
EXT_NAMES=1000
OUT=""

while [ $# -gt 0 ]; do
	case "$1" in
	--qps-sizes) QPS_SIZES=$2; shift ;;
	--mem-sizes) MEM_SIZES=$2; shift ;;
	--slice) SLICE=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--starts) STARTS=$2; shift ;;
	--latency) LAT_N=$2; shift ;;
	--ext-names) EXT_NAMES=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,43p' "$0"; exit 0 ;;
	*) echo "coredns.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$OUT" ] && exec > >(tee "$OUT") 2>&1

# controlplane.sh sources lib.sh: WORK, LIB_PIDS and the exit trap.
. "$TESTDIR/realapi/controlplane.sh"
. "$TESTDIR/realapi/coredns_lib.sh"
. "$BENCH/realapi_lib.sh"
require_tool dnsperf dnsperf
require_tool nsd nsd
require_tool taskset util-linux
realapi_tool_build
realapi_bins
COREDNS=${SVCDNS_COREDNS:-$RA_BIN/coredns}
[ -x "$COREDNS" ] || { echo "coredns.sh: $COREDNS is missing (tests/realapi/build.sh builds it)" >&2; exit 1; }

# One core each: both servers on CPU 0, dnsperf on CPU 1.
CD_PIN="taskset -c 0"
CD_GOMAXPROCS=1
SV_PIN="taskset -c 0"
SV_THREADS=1
NSD_EXTRA=$EXT_NAMES
HZ=$(getconf CLK_TCK)

SIZES=$(printf '%s\n' $QPS_SIZES $MEM_SIZES | sort -n -u)
LARGEST=$(printf '%s\n' $SIZES | tail -1)
in_list() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

echo "CoreDNS beside svcdns on a real kube-apiserver, $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname):" \
	"$(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "$("$COREDNS" -version | head -1); svcdns $("$SVCDNS" --version 2>&1 | head -1)" \
	"(git $(git -C "$TOP" log --oneline -1 2>/dev/null | cut -c1-7)); $(dnsperf -h 2>&1 | grep -m1 Version)"
SUM=$WORK/summary
: >"$SUM"

# ---- measuring -------------------------------------------------------------------
# cpu_ticks PID: utime+stime (all threads).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# slice PORT PID SECONDS TAG QUERIES: one dnsperf run on CPU 1; appends
# "TAG qps lost completed server_cpu_percent" to $WORK/slices.
slice() {
	local port=$1 pid=$2 secs=$3 tag=$4 qf=$5 c0 c1 t0 t1
	c0=$(cpu_ticks "$pid")
	t0=$(now_ms)
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l "$secs" -T 2 -c 8 -q 100 >"$WORK/perf.out" 2>&1
	t1=$(now_ms)
	c1=$(cpu_ticks "$pid")
	awk -v tag="$tag" -v ticks=$((c1 - c0)) -v ms=$((t1 - t0)) -v hz="$HZ" '
		/Queries completed:/ { c = $3 }
		/Queries lost:/ { l = $3 }
		/Queries per second:/ { q = $4 }
		/Response codes:/ { sub(/^ *Response codes: */, ""); gsub(/ /, "_"); rc = $0 }
		END { printf "%s %.0f %d %d %.0f %s\n", tag, q, l, c, (ms > 0 ? ticks / hz * 100000 / ms : 0), rc }' \
		"$WORK/perf.out" >>"$WORK/slices"
}

# pairs FILE LABEL: medians, pair ratios svcdns/coredns of qps and of qps
# per busy core; one summary line into $SUM.
pairs() {
	python3 - "$1" "$2" "$SUM" <<'EOF'
import statistics, sys
f, label, summ = sys.argv[1:4]
rows = [l.split() for l in open(f) if l.strip()]
get = lambda t, i: [float(r[i]) for r in rows if r[0] == t]
q = {t: get(t, 1) for t in ("coredns", "svcdns")}
cpu = {t: get(t, 4) for t in ("coredns", "svcdns")}
lost = {t: sum(get(t, 2)) for t in ("coredns", "svcdns")}
med = lambda v: statistics.median(v) if v else float("nan")
r = [s / c for s, c in zip(q["svcdns"], q["coredns"]) if c > 0]
pc = [(s / u) / (c / v) for s, u, c, v in zip(q["svcdns"], cpu["svcdns"], q["coredns"], cpu["coredns"]) if u > 0 and v > 0 and c > 0]
for t in ("coredns", "svcdns"):
    rc = [r_[5] for r_ in rows if r_[0] == t and len(r_) > 5]
    print("  %-8s qps median %7.0f (slices: %s); CPU %s%% of its core; lost %d; rcodes %s" % (
        t, med(q[t]), " ".join("%.0f" % x for x in q[t]), "/".join("%.0f" % x for x in cpu[t]),
        lost[t], rc[-1] if rc else "-"))
line = ("%s: coredns %.0f qps (CPU %.0f%%), svcdns %.0f qps (CPU %.0f%%); svcdns/coredns %.2fx (pairs %s), "
        "per busy core %.2fx (pairs %s); lost coredns %d svcdns %d") % (
    label, med(q["coredns"]), med(cpu["coredns"]), med(q["svcdns"]), med(cpu["svcdns"]), med(r),
    " ".join("%.2f" % x for x in r), med(pc), " ".join("%.2f" % x for x in pc), lost["coredns"], lost["svcdns"])
print("  " + line)
open(summ, "a").write(line + "\n")
EOF
}

# fixed PORT PID TAG QUERIES: 10k qps for 5 s (dnsperf -v): latency p50/p99
# and the server's CPU per answer.
fixed() {
	local port=$1 pid=$2 tag=$3 qf=$4 c0 c1
	c0=$(cpu_ticks "$pid")
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l 5 -Q 10000 -v >"$WORK/lat.out" 2>&1
	c1=$(cpu_ticks "$pid")
	awk '/^> / { print $NF }' "$WORK/lat.out" | sort -g |
		awk -v tag="$tag" -v ticks=$((c1 - c0)) -v hz="$HZ" '
		{ v[++n] = $1 }
		END {
			if (n == 0) { print tag ": no answers"; exit }
			printf "%s: at 10k qps, latency p50 %.0f us p99 %.0f us, CPU %.1f us per answer (%d answers)\n",
				tag, v[int(n * .5) + 1] * 1e6, v[int(n * .99) + 1] * 1e6, ticks / hz * 1e6 / n, n
		}' | tee -a "$SUM" | sed 's/^/  /'
}

# qps_mix LABEL QUERIES: warm-up, then R rounds of a CoreDNS slice and an
# svcdns slice (the order swapped every round); then the fixed rate.
qps_mix() {
	local label=$1 qf=$2 r
	slice "$CD_PORT" "$CD_PID" 2 warm "$qf"
	slice "$PORT" "$PID" 2 warm "$qf"
	: >"$WORK/slices"
	for r in $(seq 1 "$ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			slice "$CD_PORT" "$CD_PID" "$SLICE" coredns "$qf"
			slice "$PORT" "$PID" "$SLICE" svcdns "$qf"
		else
			slice "$PORT" "$PID" "$SLICE" svcdns "$qf"
			slice "$CD_PORT" "$CD_PID" "$SLICE" coredns "$qf"
		fi
	done
	echo " $label, one core each (${SLICE} s slices x $ROUNDS, dnsperf -T 2 -c 8 -q 100 on CPU 1):"
	pairs "$WORK/slices" "$label"
	fixed "$CD_PORT" "$CD_PID" "$label coredns" "$qf"
	fixed "$PORT" "$PID" "$label svcdns" "$qf"
}

# ---- one size ----------------------------------------------------------------------
size_run() {
	local n=$1 C=$WORK/cluster-$1 Q=$WORK/q$1 k s t cd_times="" sv_times="" m
	echo
	echo "== N=$n services (real kube-apiserver, etcd; gen_cluster.py's shape)"
	fresh_cluster "$n" "$C" etcd --queries "$Q" || return 1
	last_service "$n"
	apiserver_settle 300
	# K starts of each, alternately (CoreDNS first in odd rounds); the
	# last of each keeps running.
	for k in $(seq 1 "$STARTS"); do
		for s in $([ $((k % 2)) = 1 ] && echo coredns svcdns || echo svcdns coredns); do
			if [ "$s" = coredns ]; then
				coredns_exec
				# shellcheck disable=SC2086
				t=$("$TOOL" waitdns -port "$CD_PORT" -name "$LAST_NAME" $LAST_WANT -timeout 600s) ||
					{ echo "  CoreDNS never answered $LAST_NAME; its log:"; tail -5 "$CD_LOG"; return 1; }
				cd_times="$cd_times $((t - CD_T0))"
				grep -E 'unsynced|waiting for Kubernetes' "$CD_LOG" | tail -2 | sed 's/^/    coredns: /'
			else
				svcdns_diff_exec
				# shellcheck disable=SC2086
				t=$("$TOOL" waitdns -port "$PORT" -name "$LAST_NAME" $LAST_WANT -timeout 600s) ||
					{ echo "  svcdns never answered $LAST_NAME; its log:"; tail -5 "$LOG"; return 1; }
				sv_times="$sv_times $((t - SV_T0))"
				grep -E 'synced with' "$LOG" | tail -1 | sed 's/^/    svcdns: /'
			fi
			sleep 2
		done
		if [ "$k" != "$STARTS" ]; then
			stop_coredns
			ra_stop "$PID" 5
		fi
	done
	echo "  start to the first right answer ($LAST_NAME), ms: coredns$cd_times; svcdns$sv_times"
	echo "N=$n start to the first right answer (ms): coredns$cd_times; svcdns$sv_times" >>"$SUM"
	sleep 3
	for m in "coredns $CD_PID" "svcdns $PID"; do
		set -- $m
		echo "N=$n memory after load: $1 VmRSS $(rss_now "$2") kB ($(mb "$(rss_now "$2")")), PSS $(pss_now "$2") kB, VmHWM $(hwm_now "$2") kB ($(mb "$(hwm_now "$2")"))" |
			tee -a "$SUM" | sed 's/^/  /'
	done
	if in_list "$n" "$QPS_SIZES"; then
		qps_mix "N=$n cluster names" "$Q"
		qps_mix "N=$n external names (cached)" "$WORK/qext"
		for m in "coredns $CD_PID" "svcdns $PID"; do
			set -- $m
			echo "N=$n memory after the qps runs: $1 VmRSS $(rss_now "$2") kB ($(mb "$(rss_now "$2")")), VmHWM $(hwm_now "$2") kB" |
				tee -a "$SUM" | sed 's/^/  /'
		done
	fi
	if [ "$n" = "$LARGEST" ] && [ "$LAT_N" -gt 0 ]; then
		for m in lat lat-sv lat-cd; do make_namespace "$m" >/dev/null; done
		sleep 2
		# Both polled at once, for the same creations. Both are on CPU 0:
		# the one the scheduler runs first delays the other.
		"$TOOL" latency -url "$APISERVER_URL" -token "$RA_ADMIN_TOKEN" -ca "$RA_CA" \
			-ports "$CD_PORT,$PORT" -labels coredns,svcdns -ns lat -n "$LAT_N" |
			sed "s/^/N=$n both on CPU 0, polled at once: /" | tee -a "$SUM" | sed 's/^/  /'
		# Each alone on its core: the other stopped (SIGSTOP) meanwhile,
		# resumed after (its watch catches up before the next block).
		kill -STOP "$CD_PID"
		"$TOOL" latency -url "$APISERVER_URL" -token "$RA_ADMIN_TOKEN" -ca "$RA_CA" \
			-port "$PORT" -ns lat-sv -base 10.111.1. -n "$LAT_N" |
			sed "s/^/N=$n svcdns alone (CoreDNS stopped): /" | tee -a "$SUM" | sed 's/^/  /'
		kill -CONT "$CD_PID"
		sleep 3
		kill -STOP "$PID"
		"$TOOL" latency -url "$APISERVER_URL" -token "$RA_ADMIN_TOKEN" -ca "$RA_CA" \
			-port "$CD_PORT" -ns lat-cd -base 10.111.2. -n "$LAT_N" |
			sed "s/^/N=$n coredns alone (svcdns stopped): /" | tee -a "$SUM" | sed 's/^/  /'
		kill -CONT "$PID"
		sleep 3
	fi
	stop_coredns
	ra_stop "$PID" 5
	rm -rf "$C" "$Q"
}

# ---- run ---------------------------------------------------------------------------
start_nsd
echo "NSD $(nsd -v 2>&1 | head -1) on $UPSTREAM: example.com with $EXT_NAMES h-N names"
awk -v n="$EXT_NAMES" 'BEGIN { srand(21); for (i = 0; i < 100000; i++) printf "h-%d.example.com A\n", int(rand() * n) }' >"$WORK/qext"
for n in $SIZES; do
	size_run "$n" || echo "  N=$n: stopped (see above)"
done
[ -n "${APISERVER_PID:-}" ] && stop_apiserver 40
[ -n "${ETCD_PID:-}" ] && stop_etcd
echo
echo "== summary"
cat "$SUM"
exit 0
