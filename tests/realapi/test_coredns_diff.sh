#!/bin/sh
# test_coredns_diff.sh - svcdns beside the real CoreDNS, both following the
# same real kube-apiserver (EndpointSlices written by the real endpointslice
# controller) and forwarding to the same local upstream (NSD, authoritative
# for example.com and the root), asked the same questions; every answer is
# compared (rcode, AA, TC, RA, EDNS, the answer section as a set, the
# authority with the SOA serial masked, the additional section, the TTLs of
# cluster names). CoreDNS runs with kubeadm's default Corefile (v1.37), svcdns
# with the equivalent flags (docs/migrating-from-coredns.md).
#
# A difference fails the test unless its class matches an entry of
# docs/coredns-differences.txt, each of which names its reason.
#
# Environment (besides controlplane.sh's):
#   COREDNS_DIFF_SERVICES  about how many Services (default 100; bench: 1000)
#   COREDNS_DIFF_QUERIES   at least this many questions (default 2000; bench: 10000)
#   SVCDNS_COREDNS         a coredns binary (default: build.sh's, beside kube-apiserver)
#   COREDNS_DIFF_KEEP      set: keep the work directory (Corefile, logs, questions)
. "$(dirname "$0")/controlplane.sh"

NSVC=${COREDNS_DIFF_SERVICES:-100}
NQ=${COREDNS_DIFF_QUERIES:-2000}
PY=/usr/bin/python3 # Debian's, with python3-dnspython
DIFF=$RA_HERE/dnsdiff.py
ALLOW=$TESTDIR/../docs/coredns-differences.txt
Z=svc.cluster.local

require_tool nsd nsd
"$PY" -c 'import dns.message, dns.query' 2>/dev/null ||
	{ echo "FAIL: $PY cannot import dns.message (Debian package python3-dnspython)" >&2; exit 1; }
[ -f "$ALLOW" ] || { echo "FAIL: $ALLOW missing" >&2; exit 1; }
if [ -n "${COREDNS_DIFF_KEEP:-}" ]; then
	KEEP=$(mktemp -d /tmp/coredns-diff.XXXXXX)
	echo "     work directory kept: $KEEP"
fi
T_START=$(now_ms)

start_controlplane
COREDNS=${SVCDNS_COREDNS:-$RA_BIN/coredns}
[ -x "$COREDNS" ] || { echo "FAIL: $COREDNS is missing (tests/realapi/build.sh builds it; or SVCDNS_COREDNS)" >&2; exit 1; }
echo "     $("$COREDNS" -version | head -1), $("$SVCDNS" --version 2>&1 | head -1)"
svcdns_account || realapi_finish

# ---- the cluster ----------------------------------------------------------------
GEN=$RA_DIR/gen
mkdir -p "$GEN"
t0=$(now_ms)
"$PY" "$DIFF" gen "$GEN" "$NSVC" | sed 's/^/     /' || { fail "dnsdiff.py gen"; realapi_finish; }
for step in ns svc pod status; do
	if ! kapi_batch "$GEN/$step.list"; then
		fail "create the cluster: $step"
		realapi_finish
	fi
done
echo "     objects created in $(($(now_ms) - t0)) ms"
if "$PY" "$DIFF" wait-slices "$GEN" "$APISERVER_URL" "$RA_ADMIN_TOKEN" "$RA_CA" $((120 * LIB_SLOW)); then
	pass "the endpointslice controller wrote every Service's endpoints ($(($(now_ms) - t0)) ms after the first object)"
else
	fail "the endpointslice controller wrote every Service's endpoints"
	realapi_finish
fi

# ---- NSD: the outside world ---------------------------------------------------------
# On 127.0.0.2 (loopback, like all the rest), authoritative for example.com
# and the root (so other names are NXDOMAIN, as from a real resolver).
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
} >"$NSD_DIR/example.com.zone"
printf '%s\n' '$ORIGIN .' '$TTL 300' \
	'. SOA ns.example.com. hostmaster.example.com. 2025010101 3600 900 604800 300' \
	'. NS ns.example.com.' >"$NSD_DIR/root.zone"
start_nsd() {
	local try i
	for try in 1 2 3; do
		NSD_PORT=$(free_port)
		cat >"$NSD_DIR/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.2@$NSD_PORT
  username: ""
  chroot: ""
  zonesdir: "$NSD_DIR"
  pidfile: "$NSD_DIR/nsd.pid"
  database: ""
  xfrdfile: "$NSD_DIR/xfrd.state"
  zonelistfile: "$NSD_DIR/zone.list"
  xfrdir: "$NSD_DIR"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: "example.com"
  zonefile: "example.com.zone"
zone:
  name: "."
  zonefile: "root.zone"
EOF
		nsd -d -c "$NSD_DIR/nsd.conf" >"$NSD_DIR/nsd.log" 2>&1 &
		NSD_PID=$!
		ra_started "$NSD_PID"
		i=0
		while [ $i -lt $((100 * LIB_SLOW)) ]; do
			kill -0 "$NSD_PID" 2>/dev/null || break
			dig @127.0.0.2 -p "$NSD_PORT" +norec +time=1 +tries=1 +short example.com SOA 2>/dev/null |
				grep -q hostmaster && return 0
			sleep 0.1
			i=$((i + 1))
		done
		ra_stop "$NSD_PID" 2
	done
	ra_die nsd "$NSD_DIR/nsd.log" "NSD did not answer on 127.0.0.2:$NSD_PORT"
}
start_nsd
UPSTREAM=127.0.0.2:$NSD_PORT

# ---- CoreDNS, with kubeadm's Corefile ----------------------------------------------------
# cmd/kubeadm/app/phases/addons/dns/manifests.go of v1.37.2, with
# 127.0.0.1 and free ports in place of :53, :8080, :8181 and :9153, the
# admin's kubeconfig in place of the in-cluster account (CoreDNS's own RBAC
# is not under test), NSD in place of /etc/resolv.conf.
start_coredns() {
	local try i
	for try in 1 2 3; do
		CD_PORT=$(free_port)
		CD_LOG=$RA_DIR/coredns.log
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
		"$COREDNS" -conf "$RA_DIR/Corefile" >"$CD_LOG" 2>&1 &
		CD_PID=$!
		ra_started "$CD_PID"
		i=0
		while [ $i -lt $((300 * LIB_SLOW)) ]; do
			kill -0 "$CD_PID" 2>/dev/null || break
			QPORT=$CD_PORT q "kubernetes.default.$Z" A | grep -q '10.96.0.1$' && return 0
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$CD_PID" 2>/dev/null || ! grep -q 'address already in use' "$CD_LOG"; then
			ra_die coredns "$CD_LOG" "CoreDNS did not answer kubernetes.default on 127.0.0.1:$CD_PORT"
		fi
		ra_stop "$CD_PID" 2
	done
	ra_die coredns "$CD_LOG" "CoreDNS: no free port after 3 tries"
}

# ---- svcdns, with the equivalent flags ------------------------------------------------------
start_svcdns_diff() {
	local try i
	for try in 1 2 3; do
		PORT=$(free_port)
		LOG=$RA_DIR/svcdns.log
		"$SVCDNS" --kubeconfig "$SVCDNS_KUBECONFIG" --listen 127.0.0.1 --port "$PORT" \
			--domain cluster.local --ttl 30 --pods insecure --cache-ttl 30 --upstream "$UPSTREAM" \
			--http 127.0.0.1:0 --threads 2 --lameduck 0 >"$LOG" 2>&1 &
		PID=$!
		ra_started "$PID"
		LIB_SVCDNS_PIDS="${LIB_SVCDNS_PIDS:-} $PID"
		i=0
		while [ $i -lt $((300 * LIB_SLOW)) ]; do
			kill -0 "$PID" 2>/dev/null || break
			q "kubernetes.default.$Z" A | grep -q '10.96.0.1$' && return 0
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$PID" 2>/dev/null || ! grep -q "port $PORT: .*Address already in use" "$LOG"; then
			ra_die svcdns "$LOG" "svcdns did not answer kubernetes.default on 127.0.0.1:$PORT"
		fi
		ra_stop "$PID" 2
	done
	ra_die svcdns "$LOG" "svcdns: no free port after 3 tries"
}

t0=$(now_ms)
start_coredns
pass "CoreDNS answers kubernetes.default ($(($(now_ms) - t0)) ms after its start)"
t0=$(now_ms)
start_svcdns_diff
pass "svcdns answers kubernetes.default ($(($(now_ms) - t0)) ms after its start)"

# Both have the whole cluster: the 600 (over TCP) and the last Service made.
big_n() { QPORT=$1 q "big.ns-0.$Z" A +tcp | grep -c '^answer '; }
both_have_big() { [ "$(big_n "$CD_PORT")" = 600 ] && [ "$(big_n "$PORT")" = 600 ]; }
if wait_for $((60 * LIB_SLOW)) both_have_big; then
	pass "both serve the 600 endpoints of big.ns-0"
else
	fail "both serve the 600 endpoints of big.ns-0: coredns $(big_n "$CD_PORT"), svcdns $(big_n "$PORT")"
fi

# ---- the questions --------------------------------------------------------------------------
QF=$RA_DIR/questions.jsonl
"$PY" "$DIFF" queries "$GEN" "$APISERVER_URL" "$RA_ADMIN_TOKEN" "$RA_CA" "$NQ" "$QF" | sed 's/^/     /'
t0=$(now_ms)
"$PY" "$DIFF" compare "$QF" "127.0.0.1:$CD_PORT" "127.0.0.1:$PORT" "$ALLOW" >"$RA_DIR/compare.out" 2>&1
st=$?
sed 's/^/     /' "$RA_DIR/compare.out" | grep -v ': [0-9]* passed, [0-9]* failed$'
res=$(sed -n 's/^coredns_diff: \([0-9]* passed, [0-9]* failed\)$/\1/p' "$RA_DIR/compare.out")
if [ "$st" = 0 ] && [ -n "$res" ]; then
	pass "the same answers from CoreDNS and svcdns, but for the allowed differences ($res; $(($(now_ms) - t0)) ms)"
else
	fail "the same answers from CoreDNS and svcdns, but for the allowed differences (${res:-compare failed}; $(($(now_ms) - t0)) ms)"
fi
if grep -Eq ' 403|[Ff]orbidden' "$LOG"; then
	fail "svcdns got no 403 with deploy/'s ClusterRole"
else
	pass "svcdns got no 403 with deploy/'s ClusterRole"
fi
alive "svcdns still running"
kill -0 "$CD_PID" 2>/dev/null && pass "CoreDNS still running" || fail "CoreDNS still running"
if [ -n "${KEEP:-}" ]; then
	cp -r "$RA_DIR/Corefile" "$RA_DIR/coredns.log" "$LOG" "$QF" "$RA_DIR/compare.out" "$NSD_DIR" "$KEEP/" 2>/dev/null
fi
echo "     whole test $(($(now_ms) - T_START)) ms"
stop_server "$PID"
ra_stop "$CD_PID" 8
realapi_finish
