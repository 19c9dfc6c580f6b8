# bench/realapi_lib.sh - what bench/realapi.sh and bench/coredns.sh share:
# the helper tool (realapi_tool.go), a fresh control plane loaded with a
# generated cluster, the last Service's name and answer, RSS sampling.
# Sourced after tests/realapi/controlplane.sh (lib.sh: WORK, LIB_PIDS and
# the exit trap that stops every process started here, by PID); needs
# BENCH (the bench/ directory).

# realapi_tool_build: builds bench/realapi_tool.go (Go standard library
# only) into $WORK; sets TOOL.
realapi_tool_build() {
	local g go=""
	for g in go /usr/local/go/bin/go; do
		command -v "$g" >/dev/null 2>&1 && { go=$g; break; }
	done
	[ -n "$go" ] || { echo "$(basename "$0"): no Go (go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }
	TOOL=$WORK/realapi_tool
	(cd "$WORK" && GOTOOLCHAIN=local GOFLAGS= "$go" build -o "$TOOL" "$BENCH/realapi_tool.go") ||
		{ echo "$(basename "$0"): cannot build bench/realapi_tool.go" >&2; exit 1; }
}

# fresh_cluster N DIR VIA [gen_cluster.py options...]: bench/gen_cluster.py's
# cluster of N Services into DIR, a fresh etcd and kube-apiserver (no
# kube-controller-manager: the EndpointSlices are created directly, in the
# generator's shape), deploy/'s ServiceAccount (SVCDNS_KUBECONFIG), and the
# cluster loaded by realapi_tool (VIA etcd: the Services but the last
# straight into etcd; api: all through the API). Prints what it did.
fresh_cluster() {
	local n=$1 C=$2 via=$3 etcd=""
	shift 3
	python3 "$BENCH/gen_cluster.py" --services "$n" --out "$C" "$@" || return 1
	# A fresh control plane: etcd's data and the apiserver's port anew.
	[ -n "${APISERVER_PID:-}" ] && stop_apiserver 40
	[ -n "${ETCD_PID:-}" ] && stop_etcd
	rm -rf "$RA_DIR/etcd"
	unset ETCD_PORT APISERVER_PORT
	start_etcd
	# /12: the generator's cluster IPs go past 10.96.255.255 above 65k services.
	start_apiserver --service-cluster-ip-range 10.96.0.0/12,fd00:10:96::/112
	svcdns_account || return 1
	[ "$via" = etcd ] && etcd="-etcd $ETCD_URL"
	# shellcheck disable=SC2086
	"$TOOL" load -url "$APISERVER_URL" -token "$RA_ADMIN_TOKEN" -ca "$RA_CA" -dir "$C" -c "${CONNS:-48}" $etcd ||
		return 1
	echo "  etcd: revision $(etcd_revision), db $(du -sh "$RA_DIR/etcd" | cut -f1);" \
		"kube-apiserver RSS $(mb "$(rss_now "$APISERVER_PID")")"
}

# last_service N: sets LAST_NAME (fqdn) and LAST_WANT (waitdns's -ip or
# -count) for gen_cluster.py's last Service.
last_service() {
	local i=$(($1 - 1)) nns=$(($1 / 50))
	[ $nns -lt 4 ] && nns=4
	LAST_NAME=$(printf 'svc-%06d.ns-%04d.svc.cluster.local' $i $((i % nns)))
	if [ $((i % 10)) = 9 ]; then
		LAST_WANT="-count 5"
	else
		LAST_WANT="-ip $(python3 -c "import ipaddress; print(ipaddress.ip_address('10.96.0.0') + 10 + $i)")"
	fi
}

# rss_start [PID]: samples PID's (default $PID) VmRSS every 50 ms into
# $RSSF; rss_stop ends it.
rss_start() {
	RSSF=$(mktemp_dir)/rss
	"$TOOL" rss -pid "${1:-$PID}" -out "$RSSF" -interval 50ms -max 20m &
	RSS_PID=$!
	LIB_PIDS="$LIB_PIDS $RSS_PID"
}
rss_stop() {
	: >"$RSSF.stop"
	ra_stop "$RSS_PID" 2
}

# rss_max FROM TO: the largest VmRSS (kB) sampled in [FROM, TO) ms.
rss_max() {
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b && $2 > m { m = $2 } END { print m + 0 }' "$RSSF"
}
# rss_median FROM TO: the median VmRSS (kB) sampled in [FROM, TO) ms.
rss_median() {
	awk -v a="$1" -v b="$2" '$1 >= a && $1 < b { print $2 }' "$RSSF" | sort -n |
		awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : 0) }'
}
# hwm_now / rss_now [PID]: VmHWM / VmRSS (kB) of PID (default $PID).
hwm_now() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/${1:-$PID}/status"; }
rss_now() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/${1:-$PID}/status"; }
# pss_now PID: Pss (kB) from smaps_rollup.
pss_now() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
mk() { mb "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# apiserver_settle [SECONDS]: waits (at most SECONDS, default 180) until
# kube-apiserver and etcd together use under 10% of a core over a second:
# after a load through etcd the apiserver is busy for a while (its watch
# cache takes in the writes), and a server started then would be timed
# against a busy apiserver. Prints how long it waited.
apiserver_settle() {
	local max=${1:-180} t0 i=0 a b hz
	hz=$(getconf CLK_TCK)
	t0=$(now_ms)
	while [ $i -lt "$max" ]; do
		a=$(( $(sed 's/^.*) //' "/proc/$APISERVER_PID/stat" | awk '{ print $12 + $13 }') +
			$(sed 's/^.*) //' "/proc/$ETCD_PID/stat" | awk '{ print $12 + $13 }') ))
		sleep 1
		b=$(( $(sed 's/^.*) //' "/proc/$APISERVER_PID/stat" | awk '{ print $12 + $13 }') +
			$(sed 's/^.*) //' "/proc/$ETCD_PID/stat" | awk '{ print $12 + $13 }') ))
		[ $(((b - a) * 100 / hz)) -lt 10 ] && break
		i=$((i + 1))
	done
	echo "  kube-apiserver and etcd idle (< 10% of a core) $(($(now_ms) - t0)) ms after the load"
}
