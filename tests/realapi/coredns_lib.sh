# coredns_lib.sh - the pieces that put the real CoreDNS beside svcdns on one
# real control plane: NSD as the shared upstream, CoreDNS with kubeadm's
# Corefile, svcdns with the equivalent flags. Sourced (after controlplane.sh)
# by tests/realapi/test_coredns_diff.sh, test_hosts_coredns.sh,
# test_realapi_autopath.sh, test_realapi_multicluster.sh and
# bench/coredns.sh. NSD is tests/system/nsd_lib.sh's.
#
# Knobs (all optional):
#   NSD_EXTRA       also h-0 ... h-(N-1).example.com A (bench/coredns.sh's
#                   external-name mix); default 0
#   CD_PIN, SV_PIN  a command prefix for CoreDNS / svcdns (bench: "taskset -c 0")
#   CD_GOMAXPROCS   GOMAXPROCS for CoreDNS (bench: 1); unset: Go's default
#   SV_THREADS      svcdns --threads (default 2)
#   COREDNS         the coredns binary (default: $SVCDNS_COREDNS or $RA_BIN/coredns)
#   CD_COREFILE     a function writing $RA_DIR/Corefile for port $CD_PORT
#                   (default coredns_kubeadm_corefile)
#
# Everything on 127.0.0.1 (NSD on 127.0.0.2); the processes join LIB_PIDS
# and are stopped by PID; every wait is bounded.

. "$TESTDIR/system/nsd_lib.sh"

# ---- NSD: the outside world ---------------------------------------------------------
# On 127.0.0.2 (loopback, like all the rest), authoritative for example.com
# and the root (so other names are NXDOMAIN, as from a real resolver).
# Configured and started by tests/system/nsd_lib.sh (response rate limiting
# off: with it, a burst of the root's NXDOMAINs got TC=1 and empty sections
# from NSD, which CoreDNS passes on and svcdns retries over TCP: a
# difference of NSD's making). A free port, another when the first was
# taken meanwhile (3 tries).
# start_nsd: sets NSD_DIR, NSD_PID, NSD_PORT, NSD_LOG, UPSTREAM (ADDR:PORT).
nsd_zones() {
	local i
	NSD_DIR=$RA_DIR/nsd
	mkdir -p "$NSD_DIR"
	{
		printf '%s\n' '$ORIGIN example.com.' '$TTL 300' \
			'@ SOA ns.example.com. hostmaster.example.com. 2025010101 3600 900 604800 300' \
			'@ NS ns.example.com.' '@ MX 10 mail.example.com.' '@ TXT "outside"' \
			'ns A 127.0.0.2' 'v4only A 192.0.2.10' 'dual A 192.0.2.20' 'dual AAAA 2001:db8::20' \
			'alias CNAME dual.example.com.' 'www CNAME v4only.example.com.'
		i=1
		while [ $i -le 150 ]; do echo "big A 198.51.100.$i"; i=$((i + 1)); done
		awk -v n="${NSD_EXTRA:-0}" 'BEGIN { for (i = 0; i < n; i++)
			printf "h-%d A 203.0.%d.%d\n", i, 113 + int(i / 250) % 8, i % 250 + 1 }'
	} >"$NSD_DIR/example.com.zone"
	printf '%s\n' '$ORIGIN .' '$TTL 300' \
		'. SOA ns.example.com. hostmaster.example.com. 2025010101 3600 900 604800 300' \
		'. NS ns.example.com.' >"$NSD_DIR/root.zone"
}

start_nsd() {
	local try
	nsd_zones
	NSD_PIDVAR=LIB_PIDS
	NSD_PROBE="example.com SOA hostmaster"
	for try in 1 2 3; do
		if nsd_start "$NSD_DIR" 127.0.0.2 "$(free_port)" example.com .; then
			UPSTREAM=127.0.0.2:$NSD_PORT
			return 0
		fi
		ra_stop "$NSD_PID" 2
	done
	ra_die nsd "$NSD_LOG" "NSD did not answer on 127.0.0.2:$NSD_PORT"
}

# ---- CoreDNS, with kubeadm's Corefile ----------------------------------------------------
# cmd/kubeadm/app/phases/addons/dns/manifests.go of v1.37.2, with
# 127.0.0.1 and free ports in place of :53, :8080, :8181 and :9153, the
# admin's kubeconfig in place of the in-cluster account (CoreDNS's own RBAC
# is not under test), $UPSTREAM (NSD) in place of /etc/resolv.conf.
# coredns_kubeadm_corefile: writes it to $RA_DIR/Corefile for port $CD_PORT.
coredns_kubeadm_corefile() {
	cat >"$RA_DIR/Corefile" <<EOF
.:$CD_PORT {
    bind 127.0.0.1
    errors
    health 127.0.0.1:$(free_port) {
       lameduck 5s
    }
    ready 127.0.0.1:$(free_port)
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       kubeconfig $RA_ADMIN_KUBECONFIG
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus 127.0.0.1:$(free_port)
    forward . $UPSTREAM {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
EOF
}

# coredns_exec: writes the Corefile (the function named by CD_COREFILE,
# which writes $RA_DIR/Corefile for port $CD_PORT; default
# coredns_kubeadm_corefile) and starts CoreDNS without waiting.
# Sets CD_PID, CD_PORT, CD_LOG, CD_T0 (ms).
coredns_exec() {
	COREDNS=${COREDNS:-${SVCDNS_COREDNS:-$RA_BIN/coredns}}
	[ -x "$COREDNS" ] || { echo "FAIL: $COREDNS is missing (tests/realapi/build.sh builds it; or SVCDNS_COREDNS)" >&2; exit 1; }
	CD_PORT=$(free_port)
	CD_LOG=$RA_DIR/coredns.log
	"${CD_COREFILE:-coredns_kubeadm_corefile}"
	CD_T0=$(now_ms)
	# shellcheck disable=SC2086
	if [ -n "${CD_GOMAXPROCS:-}" ]; then
		GOMAXPROCS=$CD_GOMAXPROCS ${CD_PIN:-} "$COREDNS" -conf "$RA_DIR/Corefile" >"$CD_LOG" 2>&1 &
	else
		${CD_PIN:-} "$COREDNS" -conf "$RA_DIR/Corefile" >"$CD_LOG" 2>&1 &
	fi
	CD_PID=$!
	ra_started "$CD_PID"
}

# start_coredns [NAME ADDRESS]: coredns_exec, then waits until NAME A
# answers ADDRESS (default: kubernetes.default.svc.cluster.local and
# 10.96.0.1; a CD_COREFILE without the kubernetes plugin needs another);
# another port when the first was taken meanwhile (3 tries).
start_coredns() {
	local try i name addr
	name=${1:-kubernetes.default.svc.cluster.local} addr=${2:-10.96.0.1}
	for try in 1 2 3; do
		coredns_exec
		i=0
		while [ $i -lt $((300 * LIB_SLOW)) ]; do
			child_alive "$CD_PID" || break
			QPORT=$CD_PORT q "$name" A | grep -q "$addr\$" && return 0
			sleep 0.1
			i=$((i + 1))
		done
		if child_alive "$CD_PID" || ! grep -q 'address already in use' "$CD_LOG"; then
			ra_die coredns "$CD_LOG" "CoreDNS did not answer $name on 127.0.0.1:$CD_PORT"
		fi
		ra_stop "$CD_PID" 2
	done
	ra_die coredns "$CD_LOG" "CoreDNS: no free port after 3 tries"
}

# stop_coredns: SIGTERM (CoreDNS's lameduck is 5 s), SIGKILL after 8.
stop_coredns() {
	ra_stop "$CD_PID" 8
}

# ---- svcdns, with the equivalent flags ------------------------------------------------------
# docs/migrating-from-coredns.md: --ttl 30 (ttl 30), --pods insecure,
# --cache-ttl 30 (cache 30), --upstream (forward), --lameduck 0 here.
# svcdns_diff_exec [more svcdns options]: starts it without waiting. Sets
# PID, PORT, LOG, SV_T0 (ms).
svcdns_diff_exec() {
	PORT=$(free_port)
	LOG=$RA_DIR/svcdns.log
	SV_T0=$(now_ms)
	# shellcheck disable=SC2086
	${SV_PIN:-} "$SVCDNS" --kubeconfig "$SVCDNS_KUBECONFIG" --listen 127.0.0.1 --port "$PORT" \
		--domain cluster.local --ttl 30 --pods insecure --cache-ttl 30 --upstream "$UPSTREAM" \
		--http 127.0.0.1:0 --threads "${SV_THREADS:-2}" --lameduck 0 "$@" >"$LOG" 2>&1 &
	PID=$!
	ra_started "$PID"
	LIB_SVCDNS_PIDS="${LIB_SVCDNS_PIDS:-} $PID"
}

# start_svcdns_diff [more svcdns options]: svcdns_diff_exec with them, then
# waits until kubernetes.default answers (3 tries, as start_coredns).
start_svcdns_diff() {
	local try i
	for try in 1 2 3; do
		svcdns_diff_exec "$@"
		i=0
		while [ $i -lt $((300 * LIB_SLOW)) ]; do
			child_alive "$PID" || break
			q "kubernetes.default.svc.cluster.local" A | grep -q '10.96.0.1$' && return 0
			sleep 0.1
			i=$((i + 1))
		done
		if child_alive "$PID" || ! grep -q "port $PORT: .*Address already in use" "$LOG"; then
			ra_die svcdns "$LOG" "svcdns did not answer kubernetes.default on 127.0.0.1:$PORT"
		fi
		ra_stop "$PID" 2
	done
	ra_die svcdns "$LOG" "svcdns: no free port after 3 tries"
}

# ---- comparing them -------------------------------------------------------------------
# coredns_compare LABEL QUESTIONS OUT [quiet]: dnsdiff.py compare of CoreDNS
# ($CD_PORT) and svcdns ($PORT) on QUESTIONS, the allowed differences of
# $ALLOW aside (the caller's $PY and $DIFF); one check. Prints what it says,
# without its ALLOWED lines when quiet.
coredns_compare() {
	local label=$1 qf=$2 out=$3 st res t0 hide=': [0-9]* passed, [0-9]* failed$'
	[ "${4:-}" = quiet ] && hide="^ALLOWED|$hide"
	t0=$(now_ms)
	"$PY" "$DIFF" compare "$qf" "127.0.0.1:$CD_PORT" "127.0.0.1:$PORT" "$ALLOW" >"$out" 2>&1
	st=$?
	grep -Ev "$hide" "$out" | sed 's/^/     /'
	res=$(sed -n 's/^coredns_diff: \([0-9]* passed, [0-9]* failed\)$/\1/p' "$out")
	if [ "$st" = 0 ] && [ -n "$res" ]; then
		pass "$label: the same answers from CoreDNS and svcdns, but for the allowed differences ($res; $(($(now_ms) - t0)) ms)"
	else
		fail "$label: the same answers from CoreDNS and svcdns, but for the allowed differences (${res:-compare failed}; $(($(now_ms) - t0)) ms)"
	fi
}
