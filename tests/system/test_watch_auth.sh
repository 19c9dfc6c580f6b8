#!/bin/bash
# test_watch_auth.sh - TLS with a test-made CA and bearer tokens: --apiserver
# with --token-file/--ca-file, --kubeconfig with *-data fields, in-cluster
# config; a wrong token is logged clearly and cluster names stay SERVFAIL;
# a rotated token is picked up after a 401; no EndpointSlice API → Endpoints.
. "$(dirname "$0")/watch_lib.sh"

Z=svc.cluster.local
TLS=$(mktemp_dir)
make_ca "$TLS"
echo "good-token" >"$TLS/token"
echo "wrong-token" >"$TLS/badtoken"

start_fakeapi --tls-cert "$TLS/srv.crt" --tls-key "$TLS/srv.key" --token good-token
URL="https://127.0.0.1:$API_PORT"
ctl "service?name=web&ip=10.96.0.10" >/dev/null

# -- wrong token: a clear log line, never synced, SERVFAIL --
start_svcdns_api "$URL" --token-file "$TLS/badtoken" --ca-file "$TLS/ca.crt"
wait_log 5 'HTTP 401' || true
check_true "wrong token logged clearly" grep -q "API server error: HTTP 401 \"Unauthorized\": bearer token rejected, from $TLS/badtoken" "$LOG"
expect_rcode "not synced: cluster names SERVFAIL" SERVFAIL web.default.$Z A
sleep 2
expect_rcode "still SERVFAIL after retries" SERVFAIL web.default.$Z A
check_eq "401 logged once" 1 "$(grep -c 'HTTP 401' "$LOG")"
stop_server "$PID"

# -- no CA: TLS verification fails, logged --
start_svcdns_api "$URL" --token-file "$TLS/token"
wait_log 5 'unreachable' || true
check_true "TLS failure logged" grep -q 'API server unreachable: SSL certificate problem' "$LOG"
expect_rcode "TLS failure: SERVFAIL" SERVFAIL web.default.$Z A
stop_server "$PID"

# -- the right token and CA --
cp "$TLS/token" "$TLS/rotating"
start_svcdns_api "$URL" --token-file "$TLS/rotating" --ca-file "$TLS/ca.crt"
check_within "TLS + token: synced" 3000 web.default.$Z A 10.96.0.10
ctl "service?name=web2&ip=10.96.0.11" >/dev/null
check_within "TLS + token: watch works" 1000 web2.default.$Z A 10.96.0.11

# -- the token rotates: the old one is refused, the file is re-read --
echo "rotated-token" >"$TLS/rotating"
ctl "token?value=rotated-token" >/dev/null
sleep 1.2
ctl close >/dev/null
ctl "service?name=web3&ip=10.96.0.12" >/dev/null
check_within "rotated token picked up after a 401" 5000 web3.default.$Z A 10.96.0.12
check_true "token change logged" grep -q "bearer token in $TLS/rotating changed" "$LOG"
stop_server "$PID"
ctl "token?value=good-token" >/dev/null

# -- kubeconfig with certificate-authority-data and a token --
KC=$TLS/kubeconfig
cat >"$KC" <<KCEOF
apiVersion: v1
kind: Config
current-context: test
clusters:
- name: fake
  cluster:
    server: $URL
    certificate-authority-data: $(base64 -w0 <"$TLS/ca.crt")
contexts:
- name: test
  context:
    cluster: fake
    user: tester
users:
- name: tester
  user:
    token: good-token
KCEOF
PORT=$(free_port)
LOG=$(mktemp_dir)/svcdns.log
"$SVCDNS" --kubeconfig "$KC" --listen 127.0.0.1 --port "$PORT" --upstream none \
	--http 127.0.0.1:0 --threads 1 >"$LOG" 2>&1 &
PID=$!
LIB_PIDS="$LIB_PIDS $PID"
check_within "--kubeconfig: synced" 5000 web3.default.$Z A 10.96.0.12
stop_server "$PID"

# -- --kube-context: another context than the current one (whose user's
# token the server refuses) --
sed -e 's/^current-context: test$/current-context: stale/' "$KC" >"$KC.two"
cat >>"$KC.two" <<KCEOF
- name: old-tester
  user:
    token: revoked-token
KCEOF
python3 - "$KC.two" <<'PYEOF2'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("contexts:\n", "contexts:\n- name: stale\n  context:\n    cluster: fake\n    user: old-tester\n", 1)
open(p, "w").write(s)
PYEOF2
PORT=$(free_port)
LOG=$(mktemp_dir)/svcdns.log
"$SVCDNS" --kubeconfig "$KC.two" --kube-context test --listen 127.0.0.1 --port "$PORT" \
	--upstream none --http 127.0.0.1:0 --threads 1 >"$LOG" 2>&1 &
PID=$!
LIB_PIDS="$LIB_PIDS $PID"
check_within "--kube-context test: synced with that context's user" 5000 web3.default.$Z A 10.96.0.12
stop_server "$PID"
out=$("$SVCDNS" --kubeconfig "$KC.two" --kube-context nosuch --listen 127.0.0.1 --port "$PORT" 2>&1)
rc=$?
check_true "--kube-context nosuch: exit 2 naming the context ($out)" \
	sh -c '[ "$1" -eq 2 ] && printf "%s" "$2" | grep -q "context \"nosuch\" not found"' sh "$rc" "$out"
out=$("$SVCDNS" --kube-context test --listen 127.0.0.1 --port "$PORT" 2>&1)
rc=$?
check_true "--kube-context without --kubeconfig: exit 2 ($out)" \
	sh -c '[ "$1" -eq 2 ] && printf "%s" "$2" | grep -q "needs --kubeconfig"' sh "$rc" "$out"

# -- in-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account dir --
SA=$(mktemp_dir)
cp "$TLS/token" "$SA/token"
cp "$TLS/ca.crt" "$SA/ca.crt"
echo kube-system >"$SA/namespace"
PORT=$(free_port)
LOG=$(mktemp_dir)/svcdns.log
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$API_PORT SVCDNS_SA_DIR=$SA \
	"$SVCDNS" --listen 127.0.0.1 --port "$PORT" --upstream none \
	--http 127.0.0.1:0 --threads 1 >"$LOG" 2>&1 &
PID=$!
LIB_PIDS="$LIB_PIDS $PID"
check_within "in-cluster config: synced" 5000 web.default.$Z A 10.96.0.10
stop_server "$PID"

# -- no source at all: a usage error that says what to pass --
out=$(env -u KUBERNETES_SERVICE_HOST "$SVCDNS" --listen 127.0.0.1 --port "$PORT" 2>&1)
rc=$?
check_eq "no source: exit 2" 2 "$rc"
check_true "no source: message names the options" grep -q -- '--apiserver URL or --kubeconfig FILE' <<<"$out"

# -- a cluster without the EndpointSlice API: v1 Endpoints instead --
start_fakeapi --no-endpointslices
ctl "service?name=hl&ip=None" >/dev/null
ctl "endpoints?name=hl&ips=10.2.0.1,10.2.0.2" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT"
check_within "Endpoints fallback: synced" 3000 hl.default.$Z A "10.2.0.1
10.2.0.2"
ctl "endpoints?name=hl&ips=10.2.0.3" >/dev/null
check_within "Endpoints fallback: watched" 1000 hl.default.$Z A 10.2.0.3
check_true "fallback logged" grep -q 'no EndpointSlice API (404); using v1 Endpoints' "$LOG"
alive
finish
