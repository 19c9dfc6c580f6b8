#!/bin/sh
# test_malformed.sh - raw malformed UDP packets and TCP frames (rawdns.py):
# every reply is FORMERR / NOTIMP / REFUSED with the query's ID, or none;
# after each case the server still answers, and it is still running.
. "${TESTDIR:?}/system/lib.sh"

DIR=$(copy_demo)
start_server "$DIR"
echo "# server on port $PORT"

timeout 120 python3 "$RAWDNS" malformed "$PORT" >"$WORK/malformed.out" 2>&1
st=$?
cat "$WORK/malformed.out"
FAILS=$((FAILS + $(grep -c '^FAIL' "$WORK/malformed.out")))
CHECKS=$((CHECKS + $(grep -c '^ok\|^FAIL' "$WORK/malformed.out")))
if [ $st -ne 0 ] && ! grep -q '^FAIL' "$WORK/malformed.out"; then
	fail "rawdns.py malformed exited with status $st"
fi

expect "a normal query after the battery" kubernetes.default.svc.cluster.local A <<EOT
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1
EOT
expect "a normal TCP query after the battery" kubernetes.default.svc.cluster.local A +tcp <<EOT
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1
EOT
alive "svcdns still running after the battery"

# many UDP queries at once over the 2 query threads
timeout 60 python3 "$RAWDNS" burst "$PORT" 3000 >"$WORK/burst.out" 2>&1
st=$?
if [ $st -eq 0 ]; then pass "$(cat "$WORK/burst.out")"; else fail "$(cat "$WORK/burst.out")"; fi
alive "svcdns still running after the burst"
stop_server "$PID"

# TCP idle timeout and connection cap (--tcp-idle, --tcp-max-conns)
start_server "$DIR" --tcp-idle 1 --tcp-max-conns 4
echo "# server with --tcp-idle 1 --tcp-max-conns 4 on port $PORT"
timeout 60 python3 "$RAWDNS" tcp-limits "$PORT" 1 4 >"$WORK/tcp.out" 2>&1
cat "$WORK/tcp.out"
FAILS=$((FAILS + $(grep -c '^FAIL' "$WORK/tcp.out")))
CHECKS=$((CHECKS + $(grep -c '^ok\|^FAIL' "$WORK/tcp.out")))
alive "svcdns still running after the TCP limits"
if grep -qi 'AddressSanitizer\|runtime error:' "$LOG"; then
	fail "sanitizer report in the server log:"
	sed 's/^/     /' "$LOG" | head -40
fi
finish
