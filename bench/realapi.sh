#!/bin/bash
# bench/realapi.sh - svcdns's figures against a REAL kube-apiserver (issue 20):
#
#   bench/realapi.sh [--sizes "10000 100000"] [--starts K] [--conns C]
#                    [--latency N] [--fake] [--fake-only] [--out FILE]
#                    [--services-via etcd|api]
#
# For each size N (bench/gen_cluster.py's default shape: N Services over
# N/50 namespaces, 90% ClusterIP, 10% headless with one EndpointSlice of 5
# ready endpoints), on a fresh etcd + kube-apiserver from tests/realapi
# (controlplane.sh; no kube-controller-manager: the EndpointSlices are
# created directly through the API, in the generator's shape):
#   - loads the cluster through the API with C concurrent requests
#     (bench/realapi_tool.go, Go standard library, built into the temp dir)
#     and says how long it took; the last object created is the last Service;
#     with --services-via etcd (the default) the Services but the last, with
#     their IPAddress objects, are written straight into etcd in the
#     apiserver's storage layout: kube-apiserver v1.37.2 counts every
#     IPAddress object on each ClusterIP allocation, so creating Services
#     through the API slows down linearly with their number (600/s at
#     first, ~60/s past 5k here: 10k took 90 s, 100k would take hours);
#     svcdns still lists and watches them through kube-apiserver;
#   - starts svcdns K times (--kubeconfig with deploy/'s ServiceAccount
#     token, --threads 1) and times exec -> the first right answer for the
#     last Service (its 5 endpoint addresses), polling every 5 ms;
#   - in the last start, samples VmRSS/VmHWM every 50 ms: the peak of the
#     initial list, the steady RSS after the sync, then restarts
#     kube-apiserver (its watch cache starts at etcd's current revision, so
#     svcdns's resumed watches get 410 Gone and relist), and reports the
#     relist's peak and the RSS after it;
# at the largest N, event -> answer latency for --latency N Service
# creations (from sending the POST, and from its 201 response, until the
# name answers its new address; DNS polled every 0.5 ms).
# --fake: also the relist RSS figure at the largest N against
# tests/fakeapi/fake_apiserver.py (bench/apiserver_preload.py), with and
# without --watch-list (the relist forced by /ctl/down, a write, /ctl/compact).
#
# Environment: SVCDNS (default ./svcdns next to bench/), TESTDIR (tests/),
# ZONESDIR (zones/), SVCDNS_REALAPI_BIN (else tests/realapi/build.sh), Go
# at /usr/local/go/bin or on PATH (for the helper). Everything listens on
# and talks to 127.0.0.1; every loop is bounded; only the processes started
# here are stopped, by PID (lib.sh's exit trap); the temp dir is removed.

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
export SVCDNS=${SVCDNS:-$TOP/svcdns}
export TESTDIR=${TESTDIR:-$TOP/tests}
export ZONESDIR=${ZONESDIR:-$TOP/zones}
SIZES="10000 100000"
STARTS=3
CONNS=48
LAT_N=100
FAKE=0
REAL=1
OUT=""
VIA=etcd

while [ $# -gt 0 ]; do
	case "$1" in
	--sizes) SIZES=$2; shift ;;
	--starts) STARTS=$2; shift ;;
	--conns) CONNS=$2; shift ;;
	--latency) LAT_N=$2; shift ;;
	--fake) FAKE=1 ;;
	--fake-only) FAKE=1; REAL=0 ;;
	--out) OUT=$2; shift ;;
	--services-via) VIA=$2; shift ;;
	-h|--help) sed -n '2,45p' "$0"; exit 0 ;;
	*) echo "realapi.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$OUT" ] && exec > >(tee "$OUT") 2>&1

# controlplane.sh sources lib.sh: WORK, LIB_PIDS and the exit trap.
. "$TESTDIR/realapi/controlplane.sh"

. "$BENCH/realapi_lib.sh"
realapi_tool_build

LARGEST=0
for n in $SIZES; do [ "$n" -gt "$LARGEST" ] && LARGEST=$n; done

echo "svcdns figures against a real kube-apiserver, $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname):" \
	"$(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "svcdns: $("$SVCDNS" --version 2>&1 | head -1) (git $(git -C "$TOP" log --oneline -1 2>/dev/null | cut -c1-7))"

# ---- helpers -------------------------------------------------------------------
# svcdns_exec SOURCE-OPTS...: svcdns on a free port, not waiting. Sets
# PID, PORT, LOG, T_START (ms).
svcdns_exec() {
	PORT=$(free_port)
	LOG=$(mktemp_dir)/svcdns.log
	T_START=$(now_ms)
	"$SVCDNS" "$@" --listen 127.0.0.1 --port "$PORT" --upstream none \
		--http 127.0.0.1:0 --threads 1 --lameduck 0 >"$LOG" 2>&1 &
	PID=$!
	LIB_PIDS="$LIB_PIDS $PID"
}

# wait_grep_count SECONDS N PATTERN: until the log has N lines matching.
wait_grep_count() {
	local i=0
	while [ $i -lt $(($1 * 10)) ]; do
		[ "$(grep -Ec "$3" "$LOG")" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# relist_rss LABEL TRIGGER-FUNCTION: with svcdns synced ($PID, sampler on):
# steady RSS over 5 s, then TRIGGER, waits for the 3 relists, the peak,
# and the RSS 5 s after.
relist_rss() {
	local label=$1 trig=$2 ts t1 steady rpeak after hwm0 hwm1 n0
	sleep 3
	ts=$(now_ms)
	sleep 5
	steady=$(rss_median "$ts" "$(now_ms)")
	STEADY=$steady
	hwm0=$(hwm_now)
	n0=$(grep -c 'relisted ' "$LOG")
	t1=$(now_ms)
	"$trig"
	if ! wait_grep_count 300 $((n0 + 3)) 'relisted '; then
		echo "  $label: svcdns did not relist within 300 s; its log:"
		grep -E 'relist|410|watch|WatchList' "$LOG" | tail -10 | sed 's/^/    /'
		return 1
	fi
	echo "  $label: relisted $(($(now_ms) - t1)) ms after the trigger:"
	grep -Ei 'gone|error event|relist' "$LOG" | tail -8 | sed 's/^/    /'
	sleep 5
	after=$(rss_now)
	rpeak=$(rss_max "$t1" "$(now_ms)")
	hwm1=$(hwm_now)
	echo "  $label: steady RSS $steady kB ($(mk "$steady")); relist peak (50 ms samples) $rpeak kB" \
		"($(mk "$rpeak"), $(ratio "$rpeak" "$steady")x steady); VmHWM before/after $hwm0/$hwm1 kB;" \
		"RSS 5 s after the relist $after kB ($(mk "$after"), $(ratio "$after" "$steady")x)"
}

# ---- the real API server -------------------------------------------------------------
trig_apiserver_restart() {
	# A write svcdns does not watch: etcd's revision moves past every
	# resourceVersion svcdns holds, whatever its last bookmark said.
	kcreate /api/v1/namespaces/default/configmaps \
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"generateName\":\"bump-\"}}" >/dev/null
	local t=$(now_ms)
	restart_apiserver --service-cluster-ip-range 10.96.0.0/12,fd00:10:96::/112
	echo "  kube-apiserver restarted (ready again in $(($(now_ms) - t)) ms)"
}

real_size() {
	local n=$1 C=$WORK/cluster-$1 k t0 t1 times="" tsync hwm
	echo
	echo "== N=$n services (real kube-apiserver $(basename "$RA_BIN"), etcd)"
	fresh_cluster "$n" "$C" "$VIA" || return 1
	last_service "$n"
	for k in $(seq 1 "$STARTS"); do
		svcdns_exec --kubeconfig "$SVCDNS_KUBECONFIG"
		[ "$k" = "$STARTS" ] && rss_start
		# shellcheck disable=SC2086
		t1=$("$TOOL" waitdns -port "$PORT" -name "$LAST_NAME" $LAST_WANT -timeout 300s) ||
			{ echo "  svcdns never answered $LAST_NAME; log:"; tail -5 "$LOG"; return 1; }
		times="$times $((t1 - T_START))"
		if [ "$k" != "$STARTS" ]; then
			ra_stop "$PID" 5
			continue
		fi
		tsync=$t1
		sleep 2
		hwm=$(hwm_now)
		echo "  start to the first right answer ($LAST_NAME), ms: $times"
		grep -E 'listed |synced' "$LOG" | sed 's/^/    /'
		echo "  initial list: VmHWM $hwm kB ($(mb "$hwm")); largest 50 ms sample $(rss_max 0 $((tsync + 2000))) kB"
		relist_rss "relist after kube-apiserver restart" trig_apiserver_restart
		echo "  initial peak / steady: VmHWM $(ratio "$hwm" "$STEADY")x, 50 ms samples $(ratio "$(rss_max 0 $((tsync + 2000)))" "$STEADY")x"
		if [ "$n" = "$LARGEST" ] && [ "$LAT_N" -gt 0 ]; then
			make_namespace lat >/dev/null
			sleep 2
			"$TOOL" latency -url "$APISERVER_URL" -token "$RA_ADMIN_TOKEN" -ca "$RA_CA" \
				-port "$PORT" -ns lat -n "$LAT_N" | sed 's/^/  /'
		fi
		rss_stop
		ra_stop "$PID" 5
	done
}

# ---- the fake API server -------------------------------------------------------------
trig_fake() {
	ctl "down?seconds=2" >/dev/null
	ctl "namespace?name=relist-bump-$RANDOM" >/dev/null
	ctl compact >/dev/null
}

fake_size() {
	local n=$1 wl=$2 C=$WORK/cluster-$1 pf t1 hwm
	[ -f "$C/services.json" ] || python3 "$BENCH/gen_cluster.py" --services "$n" --out "$C" >/dev/null
	pf=$(mktemp_dir)/ports
	python3 "$BENCH/apiserver_preload.py" "$TESTDIR/fakeapi" "$C" --port-file "$pf" $wl \
		>"$WORK/fakeapi.log" 2>&1 &
	FAKE_PID=$!
	LIB_PIDS="$LIB_PIDS $FAKE_PID"
	local i=0
	while [ ! -s "$pf" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$pf" ] || { echo "  fake API server did not start"; return 1; }
	API_PORT=$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$pf")
	CTL_PORT=$(sed -n 's/.*ctl=\([0-9]*\).*/\1/p' "$pf")
	last_service "$n"
	svcdns_exec --apiserver "http://127.0.0.1:$API_PORT"
	rss_start
	# shellcheck disable=SC2086
	t1=$("$TOOL" waitdns -port "$PORT" -name "$LAST_NAME" $LAST_WANT -timeout 300s) ||
		{ echo "  svcdns never answered; log:"; tail -5 "$LOG"; return 1; }
	sleep 2
	hwm=$(hwm_now)
	echo "  fake API server ${wl:-(paged lists)} at N=$n: first right answer $((t1 - T_START)) ms;" \
		"initial list VmHWM $hwm kB ($(mb "$hwm"))"
	grep -E 'listed |synced' "$LOG" | sed 's/^/    /'
	relist_rss "fake ${wl:-paged} relist (down 2 s, a write, compact)" trig_fake
	echo "  initial peak / steady: VmHWM $(ratio "$hwm" "$STEADY")x, 50 ms samples $(ratio "$(rss_max 0 $((t1 + 2000)))" "$STEADY")x"
	rss_stop
	ra_stop "$PID" 5
	ra_stop "$FAKE_PID" 5
}

if [ "$REAL" = 1 ]; then
	realapi_bins
	for n in $SIZES; do
		real_size "$n" || echo "  N=$n: stopped (see above)"
	done
	[ -n "${APISERVER_PID:-}" ] && stop_apiserver 40
	[ -n "${ETCD_PID:-}" ] && stop_etcd
fi
if [ "$FAKE" = 1 ]; then
	echo
	echo "== the fake API server (tests/fakeapi), N=$LARGEST"
	fake_size "$LARGEST" --watch-list
	fake_size "$LARGEST" ""
fi
exit 0
