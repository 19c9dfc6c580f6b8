#!/bin/sh
# test_env_sources.sh - where svcdns-env takes its data and namespace from:
# --dir, the service account's namespace file, and one LIST from an API
# server (tests/fakeapi/fake_apiserver.py stands in for it).
. "$(dirname "$0")/envlib.sh"

BASIC="$FIX/basic"

# ---- the namespace ----------------------------------------------------------
# No --namespace and no service account: "default" (only kubernetes there;
# not-linked, also in default, comes with service links on).
run_env --dir "$BASIC" --format env
check_rc "no namespace given" 0
check "no namespace given: default" \
	"$(grep -c '^NOT_LINKED_SERVICE_HOST=10.96.0.50$' "$WORK/out")" 1

mkdir -p "$WORK/sa"
printf 'override\n' >"$WORK/sa/namespace"
ENV_EXTRA="SVCDNS_SA_DIR=$WORK/sa" run_env --dir "$BASIC" --format env
check_file "namespace from the service account file" "$WORK/out" \
	"$FIX/expected/override.env"
ENV_EXTRA="SVCDNS_SA_DIR=$WORK/sa" run_env --dir "$BASIC" --format env --namespace app
check_file "--namespace wins over the service account" "$WORK/out" \
	"$FIX/expected/app.env"
ENV_EXTRA="SVCDNS_SA_DIR=$WORK/sa" run_env --dir "$BASIC" --format env --no-service-links
check "service account namespace, no links: default's kubernetes" \
	"$(grep '^KUBERNETES_SERVICE_HOST=' "$WORK/out")" "KUBERNETES_SERVICE_HOST=10.96.0.1"

# ---- one LIST from an API server -------------------------------------------
FAKE="$TESTDIR/fakeapi/fake_apiserver.py"
if [ ! -f "$FAKE" ]; then
	fail "API source: $FAKE is missing"
	finish
fi
python3 "$FAKE" --port-file "$WORK/ports" >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
trap 'kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; env_cleanup' EXIT
i=0
while [ ! -s "$WORK/ports" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -s "$WORK/ports" ]; then
	fail "fake API server did not start: $(head -c 500 "$WORK/fake.log")"
	finish
fi
API=$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$WORK/ports")
CTL=$(sed -n 's/.*ctl=\([0-9]*\).*/\1/p' "$WORK/ports")
# Load the fixture's Services into it, one object per request.
python3 - "$BASIC/services.json" "$CTL" <<'PY' || fail "loading the fake API server"
import json, sys, urllib.request
items = json.load(open(sys.argv[1]))["items"]
for obj in items:
    req = urllib.request.Request(
        "http://127.0.0.1:%s/ctl/put?resource=services" % sys.argv[2],
        data=json.dumps(obj).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
PY
for ns in app override v6; do
	run_env --apiserver "http://127.0.0.1:$API" --namespace "$ns" --format env
	check_rc "API source, namespace $ns" 0
	check_file "API source, namespace $ns: same as from the directory" \
		"$WORK/out" "$FIX/expected/$ns.env"
done
run_env --apiserver "http://127.0.0.1:$API" --namespace app -- sh -c 'echo "$REDIS_MASTER_PORT"'
check "API source, exec" "$(cat "$WORK/out")" "tcp://10.0.0.11:6379"

finish
