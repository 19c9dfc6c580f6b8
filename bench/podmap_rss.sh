#!/bin/bash
# bench/podmap_rss.sh - what svcdns's pod map costs in process RSS, as an
# operator sees it (issue 25, "Measured"):
#
#   bench/podmap_rss.sh [--pods "0 150000"] [--services N] [--starts K]
#                       [--settle SECONDS] [--nodes N] [--namespaces M]
#                       [--sync-timeout SECONDS] [--watch-list] [--out FILE]
#
# For each pod count P (default "0 150000": the empty cluster's baseline,
# then 150,000), the fake API server of tests/fakeapi
# (bench/apiserver_preload.py) serves bench/gen_cluster.py's N Services
# (default 10,000: N/50 namespaces, 10% headless with 5 endpoints each)
# plus bench/gen_pods.py's Namespaces (default 3,000), Nodes (default
# 1,000, labelled topology.kubernetes.io/zone over 3 zones) and P Pods
# (all Running, one distinct podIP each from 10.0.0.0/10, nodeName over
# the nodes, no hostNetwork; the headless services' endpoints are 5,000 of
# them). Against that one server svcdns (--threads 1) is started K times
# (default 3) in each of three ways:
#   plain       no --autopath: Services, EndpointSlices, Namespaces only;
#   autopath    --autopath: also watches Pods, keeping pod IP -> namespace
#               and node in the pod map (src/pod_map.c);
#   prefer-zone --autopath --prefer-zone: also watches Nodes for their zones.
# Each start waits (bounded by --sync-timeout, default 600 s) until
# /metrics says svcdns_api_synced 1, the log says "listed pods" (and
# "listed nodes") where they are watched, svcdns_pod_map_addresses is P,
# and dig finds the last Service's 5 endpoint addresses; then lets it
# settle (--settle, default 5 s), and reads VmRSS, VmHWM and RssAnon from
# /proc/PID/status and svcdns_pod_map_bytes / svcdns_pod_map_addresses
# from /metrics. VmHWM is the kernel's exact peak of the whole start; a
# sampler reads VmRSS and VmHWM every 50 ms, so that each start's line
# also says the peak as it stood at the sync ("synced with the API
# server": the other resources listed, the pods' list still going on) and
# once the pods' list ended ("listed pods"): where the peak was reached.
# Prints every start, then per P and way the medians of the K starts:
# VmRSS, VmHWM, each minus plain's (per pod, in bytes: what watching the
# pods costs at rest, and at the peak of the pods' list), RSS minus the
# same way's at P=0, pod_map_bytes per address; and CoreDNS's documented
# memory for `pods verified` against `pods disabled` at the same Pods and
# Services ((Pods+Services)/250 + 56 MB against /1000 + 54 MB).
# --watch-list: the fake server offers WatchList streams (by default it
# answers 422, so svcdns lists in pages of 500, as from an API server
# without the WatchList feature).
#
# Needs python3, dig, curl; about 2.5 GB of memory for the fake server at
# 150,000 pods (the generated pods.json, 450 MB, is in the temp dir until
# loaded) and about 6 minutes on 2 cores at the defaults, most of it
# generating and loading the pods.
#
# Environment: SVCDNS (default ./svcdns next to bench/), TESTDIR (tests/).
# Everything listens on and talks to 127.0.0.1 (svcdns's DNS and HTTP
# ports, the fake API server's and its control port); every loop is
# bounded; only the processes started here are stopped, by PID
# (bench/proc_lib.sh's exit trap), and the temp dir is removed. Exits
# non-zero with a message (and svcdns's log) when svcdns never syncs.

set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
SVCDNS=${SVCDNS:-$TOP/svcdns}
TESTDIR=${TESTDIR:-$TOP/tests}
PODS_LIST="0 150000"
NSVC=10000
STARTS=3
SETTLE=5
NODES=1000
NAMESPACES=3000
SYNC_TIMEOUT=600
WL=""
OUT=""

while [ $# -gt 0 ]; do
	case "$1" in
	--pods) PODS_LIST=$2; shift ;;
	--services) NSVC=$2; shift ;;
	--starts) STARTS=$2; shift ;;
	--settle) SETTLE=$2; shift ;;
	--nodes) NODES=$2; shift ;;
	--namespaces) NAMESPACES=$2; shift ;;
	--sync-timeout) SYNC_TIMEOUT=$2; shift ;;
	--watch-list) WL=--watch-list ;;
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,55p' "$0"; exit 0 ;;
	*) echo "podmap_rss.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done
for v in "$NSVC" "$STARTS" "$SETTLE" "$NODES" "$NAMESPACES" "$SYNC_TIMEOUT" $PODS_LIST; do
	case "$v" in
	''|*[!0-9]*) echo "podmap_rss.sh: '$v' is not a whole number" >&2; exit 2 ;;
	esac
done
if [ "$STARTS" -lt 1 ] || [ "$NSVC" -lt 10 ]; then
	echo "podmap_rss.sh: --starts must be >= 1, --services >= 10" >&2
	exit 2
fi
[ -n "$OUT" ] && exec > >(tee "$OUT") 2>&1

. "$BENCH/proc_lib.sh"
bench_work svcdns-podmap

die() { echo "podmap_rss.sh: $*" >&2; exit 1; }

[ -x "$SVCDNS" ] || die "SVCDNS=$SVCDNS is not an executable"
for t in python3 dig curl; do
	command -v "$t" >/dev/null || die "$t not found"
done
[ -f "$TESTDIR/fakeapi/fake_apiserver.py" ] || die "no $TESTDIR/fakeapi/fake_apiserver.py"
"$SVCDNS" --help 2>&1 | grep -q -- '--autopath' || die "$SVCDNS has no --autopath"

now_ms() { date +%s%3N; }

# free_port: a loopback port free for UDP and TCP right now, below the
# ephemeral range (tests/system/free_port.py says why).
free_port() {
	python3 "$TESTDIR/system/free_port.py"
}

# status_kb FIELD [PID]: FIELD (VmRSS, VmHWM, RssAnon) of PID in kB.
status_kb() {
	local k v _
	while read -r k v _; do
		[ "$k" = "$1:" ] && { echo "$v"; return 0; }
	done <"/proc/${2:-$PID}/status"
	echo 0
}

# sampler PID FILE: "ms VmRSS VmHWM" (kB) of PID every 50 ms into FILE,
# until PID is gone or 30 minutes pass.
sampler() {
	local pid=$1 f=$2 n=0 k v _ ms hwm
	while [ $n -lt 36000 ] && [ -r "/proc/$pid/status" ]; do
		ms=$(date +%s%3N)
		hwm=0
		while read -r k v _; do
			case "$k" in
			VmHWM:) hwm=$v ;;
			VmRSS:) echo "$ms $v $hwm" >>"$f"; break ;;
			esac
		done <"/proc/$pid/status" 2>/dev/null
		sleep 0.05
		n=$((n + 1))
	done
}

# metric NAME: the value of NAME in svcdns's /metrics (empty if none).
metric() {
	curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/metrics" 2>/dev/null |
		awk -v m="$1" '$1 == m { printf "%d\n", $2; exit }'
}

# log_ms REGEX: the epoch ms of the first log line matching REGEX.
log_ms() {
	local ts
	ts=$(grep -Em1 "$1" "$LOG" | cut -d' ' -f1)
	[ -n "$ts" ] && date -d "$ts" +%s%3N
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

# ---- the fake API server ---------------------------------------------------------
# fake_start P: the cluster with P pods (generated once per P) served by
# apiserver_preload.py; sets FAKE_PID, API_PORT, CTL_PORT.
fake_start() {
	local p=$1 C=$WORK/cluster-$1 pf=$WORK/ports-$1 i=0 t0
	t0=$(now_ms)
	mkdir -p "$C"
	python3 "$BENCH/gen_cluster.py" --services "$NSVC" --out "$C" >"$WORK/gen-$p.out" ||
		die "gen_cluster.py failed"
	python3 "$BENCH/gen_pods.py" --pods "$p" --cluster "$C" --out "$C" --nodes "$NODES" \
		--namespaces "$NAMESPACES" >>"$WORK/gen-$p.out" || die "gen_pods.py failed"
	echo "  generated: $(tr '\n' ' ' <"$WORK/gen-$p.out")"
	# shellcheck disable=SC2086
	python3 "$BENCH/apiserver_preload.py" "$TESTDIR/fakeapi" "$C" --port-file "$pf" $WL \
		>"$WORK/fakeapi-$p.log" 2>&1 &
	FAKE_PID=$!
	PIDS="$PIDS $FAKE_PID"
	while [ ! -s "$pf" ] && [ $i -lt 3000 ]; do
		child_alive "$FAKE_PID" ||
			die "the fake API server exited: $(tail -3 "$WORK/fakeapi-$p.log")"
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$pf" ] || die "the fake API server did not start within 300 s"
	API_PORT=$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$pf")
	CTL_PORT=$(sed -n 's/.*ctl=\([0-9]*\).*/\1/p' "$pf")
	rm -f "$C/pods.json"        # loaded: 450 MB at 150k pods
	echo "  fake API server up in $(($(now_ms) - t0)) ms: $(cat "$WORK/fakeapi-$p.log")," \
		"RSS $(mb "$(status_kb VmRSS "$FAKE_PID")") MB"
}

# ---- one start -------------------------------------------------------------------
# last_service: gen_cluster.py's last Service is headless when N ends in
# 9 (5 endpoints), else has its cluster IP: the answer to wait for.
last_service() {
	local i=$((NSVC - 1)) nns=$((NSVC / 50))
	[ $nns -lt 4 ] && nns=4
	LAST_NAME=$(printf 'svc-%06d.ns-%04d.svc.cluster.local' $i $((i % nns)))
	if [ $((i % 10)) = 9 ]; then LAST_COUNT=5; else LAST_COUNT=1; fi
}

# one_start P WAY OPTIONS...: starts svcdns, waits for the sync, settles,
# measures; appends "rss hwm anon hwm_at_sync pod_bytes pod_addrs
# hwm_after_pods_list pods_list_ms"
# to $WORK/res-P-WAY and prints the start's line.
one_start() {
	local p=$1 way=$2 try i=0 t_end synced="" addrs="" want_nodes=0 want_pods=0 tp n="" ok=0
	local rss hwm anon hwm_sync hwm_pods pbytes paddrs tsync tpods
	shift 2
	case " $* " in *" --autopath "*) want_pods=1 ;; esac
	case " $* " in *" --prefer-zone "*) want_nodes=1 ;; esac
	for try in 1 2 3; do
		PORT=$(free_port) || die "no free port"
		LOG=$WORK/svcdns-$p-$way-$try.log
		T_START=$(now_ms)
		"$SVCDNS" --apiserver "http://127.0.0.1:$API_PORT" --listen 127.0.0.1 --port "$PORT" \
			--upstream none --http 127.0.0.1:0 --threads 1 --lameduck 0 "$@" >"$LOG" 2>&1 &
		PID=$!
		PIDS="$PIDS $PID"
		sampler "$PID" "$WORK/rss-$PID" &
		SAMPLER=$!
		PIDS="$PIDS $SAMPLER"
		# the HTTP port (it says it once listening), or an early exit
		HTTP_PORT=""
		i=0
		while [ -z "$HTTP_PORT" ] && [ $i -lt 100 ] && child_alive "$PID"; do
			HTTP_PORT=$(sed -n 's/.*http on [^ ]* (port \([0-9]*\)).*/\1/p' "$LOG" | head -1)
			[ -n "$HTTP_PORT" ] || sleep 0.1
			i=$((i + 1))
		done
		[ -n "$HTTP_PORT" ] && child_alive "$PID" && break
		stop "$SAMPLER"
		stop "$PID"
		grep -q "Address already in use" "$LOG" && [ "$try" -lt 3 ] && continue
		echo "podmap_rss.sh: svcdns ($way, P=$p) did not start; its log:" >&2
		sed 's/^/    /' "$LOG" >&2
		exit 1
	done
	# synced: /metrics, the log's list lines, the pod map, the last name
	t_end=$(($(now_ms) + SYNC_TIMEOUT * 1000))
	while :; do
		child_alive "$PID" || break
		synced=$(metric svcdns_api_synced)
		if [ "$synced" = 1 ] &&
			{ [ $want_pods = 0 ] || grep -q 'listed pods:' "$LOG"; } &&
			{ [ $want_nodes = 0 ] || grep -q 'listed nodes:' "$LOG"; }; then
			addrs=$(metric svcdns_pod_map_addresses)
			n=$(dig @127.0.0.1 -p "$PORT" +norec +time=1 +tries=1 +short "$LAST_NAME" A 2>/dev/null |
				grep -c '^[0-9]')
			if { [ $want_pods = 0 ] || [ "${addrs:-x}" = "$p" ]; } && [ "$n" = "$LAST_COUNT" ]; then
				ok=1
				break
			fi
		fi
		[ "$(now_ms)" -lt "$t_end" ] || break
		sleep 0.2
	done
	if [ $ok = 0 ]; then
		child_alive "$PID" || echo "podmap_rss.sh: svcdns ($way, P=$p) exited" >&2
		echo "podmap_rss.sh: svcdns ($way, P=$p) never synced within $SYNC_TIMEOUT s" \
			"(synced=${synced:-?} pod_map_addresses=${addrs:-?}, want $p;" \
			"$LAST_NAME answered ${n:-?} of $LAST_COUNT); its log:" >&2
		tail -20 "$LOG" | sed 's/^/    /' >&2
		exit 1
	fi
	tp=$(now_ms)
	sleep "$SETTLE"
	rss=$(status_kb VmRSS)
	hwm=$(status_kb VmHWM)
	anon=$(status_kb RssAnon)
	pbytes=$(metric svcdns_pod_map_bytes)
	paddrs=$(metric svcdns_pod_map_addresses)
	# VmHWM as sampled (50 ms) at the sync and once the pods' list ended
	tsync=$(log_ms 'synced with the API server') || tsync=""
	[ -n "$tsync" ] || tsync=$tp
	tpods=$(log_ms 'listed pods:') || tpods=""
	[ -n "$tpods" ] || tpods=$tsync
	[ "$tpods" -ge "$tsync" ] || tpods=$tsync   # an empty pods' list ends first
	hwm_sync=$(awk -v b="$tsync" '$1 <= b + 50 && $3 > m { m = $3 } END { print m + 0 }' "$WORK/rss-$PID")
	hwm_pods=$(awk -v b="$tpods" '$1 <= b + 100 && $3 > m { m = $3 } END { print m + 0 }' "$WORK/rss-$PID")
	stop "$SAMPLER"
	stop "$PID"
	# the fake server keeps each paged list's snapshot until a compaction
	curl -s --max-time 30 "http://127.0.0.1:$CTL_PORT/ctl/compact" >/dev/null
	echo "$rss $hwm $anon $hwm_sync ${pbytes:-0} ${paddrs:-0} $hwm_pods $((tpods - T_START))" \
		>>"$WORK/res-$p-$way"
	printf '  P=%-6s %-11s VmRSS %6s kB  RssAnon %6s kB  VmHWM %6s kB (%6s at the sync, %6s after the pods list)  pod_map_bytes %7s addresses %6s  synced %5s ms, pods listed %5s ms, all in %5s ms after exec\n' \
		"$p" "$way" "$rss" "$anon" "$hwm" "$hwm_sync" "$hwm_pods" "${pbytes:--}" "${paddrs:--}" \
		$((tsync - T_START)) $((tpods - T_START)) $((tp - T_START))
}

# col P WAY N: the median of column N over the starts of P and WAY.
col() { awk -v c="$3" '{ print $c }' "$WORK/res-$1-$2" | median; }
# per_pod A B P: A - B (kB) in MB, and per pod in bytes when P > 0.
per_pod() {
	awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN {
		if (p > 0) printf "%+.2f MB (%.1f B)", (a - b) / 1024, (a - b) * 1024 / p
		else printf "%+.2f MB", (a - b) / 1024 }'
}

# ---- the run ---------------------------------------------------------------------
last_service
WAYS="plain autopath prefer-zone"
echo "svcdns pod map RSS, $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname): $(nproc) CPUs," \
	"$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
echo "svcdns: $SVCDNS ($("$SVCDNS" --version 2>&1 | head -1)); this tree: git $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(
	[ -n "$(git -C "$TOP" status --porcelain -- src 2>/dev/null)" ] && echo ', src/ with uncommitted changes')"
echo "cluster: $NSVC services, pods ${PODS_LIST// /, } over $NAMESPACES namespaces and $NODES nodes;" \
	"$STARTS starts a way, settle $SETTLE s, lists ${WL:-in pages (no WatchList)}"
for p in $PODS_LIST; do
	echo
	echo "== P=$p pods"
	fake_start "$p"
	for k in $(seq 1 "$STARTS"); do
		# the ways interleaved, so that a drift of the machine touches all
		one_start "$p" plain
		one_start "$p" autopath --autopath
		one_start "$p" prefer-zone --autopath --prefer-zone
	done
	echo "  fake API server RSS at the end: $(mb "$(status_kb VmRSS "$FAKE_PID")") MB"
	stop "$FAKE_PID"
	rm -rf "$WORK/cluster-$p"
done

echo
echo "== medians of $STARTS starts (RSS after sync + ${SETTLE} s; kB = 1024 bytes; per pod = bytes / P)"
echo
echo "| pods | svcdns | VmRSS | VmHWM | RSS - plain (per pod) | VmHWM - plain (per pod) | RSS - same way at P=0 (per pod) | pod_map_bytes (per address) |"
echo "|---|---|---|---|---|---|---|---|"
base_p=""
for p in $PODS_LIST; do [ "$p" = 0 ] && base_p=0; done
for p in $PODS_LIST; do
	plain=$(col "$p" plain 1)
	plainh=$(col "$p" plain 2)
	for w in $WAYS; do
		rss=$(col "$p" "$w" 1)
		hwm=$(col "$p" "$w" 2)
		pb=$(col "$p" "$w" 5)
		pa=$(col "$p" "$w" 6)
		d="–"
		dh="–"
		d0="–"
		if [ "$w" != plain ]; then
			d=$(per_pod "$rss" "$plain" "$p")
			dh=$(per_pod "$hwm" "$plainh" "$p")
		fi
		if [ -n "$base_p" ] && [ "$p" != 0 ]; then
			d0=$(per_pod "$rss" "$(col 0 "$w" 1)" "$p")
		fi
		if [ "$w" = plain ]; then
			pm="–"
		else
			pm=$(awk -v b="$pb" -v a="$pa" 'BEGIN {
				if (a > 0) printf "%.2f MB (%.1f B)", b / 1048576, b / a
				else printf "%d B", b }')
		fi
		echo "| $p | $w | $(mb "$rss") MB | $(mb "$hwm") MB | $d | $dh | $d0 | $pm |"
	done
done
echo
for p in $PODS_LIST; do
	[ "$p" = 0 ] && continue
	awk -v p="$p" -v s="$NSVC" 'BEGIN {
		v = (p + s) / 250 + 56; d = (p + s) / 1000 + 54
		printf "CoreDNS (its scaling notes) at %d pods + %d services: pods verified %.0f MB, pods disabled %.0f MB, %.0f MB more\n", p, s, v, d, v - d }'
done
exit 0
