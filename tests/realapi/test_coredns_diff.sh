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
# Then the same under churn (dnsdiff.py churn): 50 changes a second for 15 s
# (60 in make bench) while both are asked; after each change, how long each
# took to answer it right (event -> answer), and whether they agree again;
# then the whole cluster compared once more.
#
# A difference fails the test unless its class matches an entry of
# docs/coredns-differences.txt, each of which names its reason.
#
# Environment (besides controlplane.sh's):
#   COREDNS_DIFF_SERVICES  about how many Services (default 100; bench: 1000)
#   COREDNS_DIFF_QUERIES   at least this many questions (default 2000; bench: 10000)
#   SVCDNS_COREDNS         a coredns binary (default: build.sh's, beside kube-apiserver)
#   COREDNS_DIFF_KEEP      set: keep the work directory (Corefile, logs, questions)
#   COREDNS_CHURN_SECONDS  how long the churn lasts (default 15; bench: 60)
#   COREDNS_CHURN_RATE     changes a second during it (default 50)
. "$(dirname "$0")/controlplane.sh"
. "$(dirname "$0")/coredns_lib.sh"

NSVC=${COREDNS_DIFF_SERVICES:-100}
NQ=${COREDNS_DIFF_QUERIES:-2000}
CHURN_S=${COREDNS_CHURN_SECONDS:-15}
CHURN_RATE=${COREDNS_CHURN_RATE:-50}
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

# ---- NSD, CoreDNS (kubeadm's Corefile), svcdns (the equivalent flags) -----------------
# coredns_lib.sh: NSD on 127.0.0.2 is the upstream of both.
start_nsd
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
coredns_compare "every question" "$QF" "$RA_DIR/compare.out"

# ---- under churn ----------------------------------------------------------------------------
# COREDNS_CHURN_RATE changes a second (Services created and deleted,
# headless ones scaled, ExternalNames retargeted) for COREDNS_CHURN_SECONDS
# while both are asked the questions; each change polled at both until each
# answers it right, then their answers compared (dnsdiff.py churn).
t0=$(now_ms)
"$PY" "$DIFF" churn "$APISERVER_URL" "$RA_ADMIN_TOKEN" "$RA_CA" "127.0.0.1:$CD_PORT" "127.0.0.1:$PORT" \
	"$ALLOW" "$CHURN_S" "$CHURN_RATE" "$QF" "$RA_DIR/churn.tsv" >"$RA_DIR/churn.out" 2>&1
st=$?
sed 's/^/     /' "$RA_DIR/churn.out" | grep -v ': [0-9]* passed, [0-9]* failed$'
res=$(sed -n 's/^coredns_churn: \([0-9]* passed, [0-9]* failed\)$/\1/p' "$RA_DIR/churn.out")
if [ "$st" = 0 ] && [ -n "$res" ]; then
	pass "under churn ($CHURN_RATE changes/s for $CHURN_S s): both answer every change right and alike ($res; $(($(now_ms) - t0)) ms)"
else
	fail "under churn ($CHURN_RATE changes/s for $CHURN_S s): both answer every change right and alike (${res:-churn failed}; $(($(now_ms) - t0)) ms)"
fi
# And the whole cluster once more, as the API serves it after the churn.
QF2=$RA_DIR/questions-after.jsonl
"$PY" "$DIFF" queries "$GEN" "$APISERVER_URL" "$RA_ADMIN_TOKEN" "$RA_CA" "$((NQ / 2))" "$QF2" | sed 's/^/     /'
coredns_compare "after the churn" "$QF2" "$RA_DIR/compare-after.out" quiet

if grep -Eq 'HTTP 403|[Ff]orbidden' "$LOG"; then
	fail "svcdns got no 403 with deploy/'s ClusterRole"
else
	pass "svcdns got no 403 with deploy/'s ClusterRole"
fi
alive "svcdns still running"
child_alive "$CD_PID" && pass "CoreDNS still running" || fail "CoreDNS still running"
if [ -n "${KEEP:-}" ]; then
	cp -r "$RA_DIR/Corefile" "$RA_DIR/coredns.log" "$LOG" "$QF" "$RA_DIR/compare.out" "$NSD_DIR" \
		"$RA_DIR/churn.out" "$RA_DIR/churn.tsv" "$QF2" "$RA_DIR/compare-after.out" "$KEEP/" 2>/dev/null
fi
echo "     whole test $(($(now_ms) - T_START)) ms"
stop_server "$PID"
ra_stop "$CD_PID" 8
realapi_finish
