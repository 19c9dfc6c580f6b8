#!/bin/bash
# test_http.sh - the operator's endpoints and signals: /health, /ready before
# and after the first sync (fake API server held back), /metrics parsed by a
# strict exposition-format parser (counters monotonic, requests_total moving
# by exactly the queries sent), --log-queries, SIGHUP, and the lame duck:
# after SIGTERM /health and /ready are 503 while DNS (UDP, and a pipelined
# TCP connection) is still answered, then exit 0 within lameduck + 2 s.
. "$(dirname "$0")/watch_lib.sh"

# hport: the HTTP port of the server started last (logged at start, just
# after DNS starts answering: wait for the line).
hport() { wait_log 5 'http on .*\(port [0-9]+\)'; sed -n 's/.*http on .*(port \([0-9]*\)).*/\1/p' "$LOG" | tail -1; }
# get PATH: "<status> <body>" of one request
get() { curl -s --max-time 5 -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$(hport)$1" 2>/dev/null; printf ' %s' "$(head -c 300 "$WORK/body" 2>/dev/null)"; }
status_is() { [ "$(get "$1" | cut -d' ' -f1)" = "$2" ]; }

cat >"$WORK/prom.py" <<'PYEOF'
# prom.py URL: strict parse of a Prometheus text exposition; prints
# "series value" per sample; exits 1 naming the first bad line.
import re, sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample = re.compile(r'^(%s)(\{(?:%s(?:,%s)*)?\})? (\S+)$' % (name_re, label_re, label_re))
meta = re.compile(r'^# (HELP|TYPE) (%s) (.*)$' % name_re)
types, out, bad = {}, [], None
if not text.endswith('\n'):
    bad = 'no final newline'
for n, line in enumerate(text.split('\n')[:-1], 1):
    m = meta.match(line)
    if m:
        if m.group(1) == 'TYPE':
            if m.group(3) not in ('counter', 'gauge', 'histogram', 'summary', 'untyped'):
                bad = bad or 'line %d: bad type: %s' % (n, line)
            if m.group(2) in types:
                bad = bad or 'line %d: second TYPE for %s' % (n, m.group(2))
            types[m.group(2)] = m.group(3)
        continue
    m = sample.match(line)
    if not m:
        bad = bad or 'line %d: not a sample: %r' % (n, line)
        continue
    try:
        float(m.group(3))
    except ValueError:
        bad = bad or 'line %d: bad value: %r' % (n, line)
    base = re.sub(r'_(bucket|sum|count)$', '', m.group(1))
    if m.group(1) not in types and not (base in types and types[base] == 'histogram'):
        bad = bad or 'line %d: sample without a TYPE: %r' % (n, line)
    kind = types.get(m.group(1)) or types.get(base)
    out.append('%s %s %s' % (kind, m.group(1) + (m.group(2) or ''), m.group(3)))
if bad:
    print('INVALID: ' + bad)
    sys.exit(1)
print('\n'.join(out))
PYEOF
scrape() { python3 "$WORK/prom.py" "http://127.0.0.1:$(hport)/metrics"; }
# total NAME FILE: sum of every series of a metric
total() { awk -v n="$1" '{ split($2, a, "{"); if (a[1] == n) s += $3 } END { printf "%d\n", s }' "$2"; }

# ---- 1. directory source: ready at once, metrics -----------------------------
DIR=$(copy_demo)
start_server "$DIR" --log-queries
check_eq "/health is 200 OK" "200 OK" "$(get /health)"
check_eq "/ready is 200 OK (directory scanned)" "200 OK" "$(get /ready)"
check_eq "unknown path is 404" 404 "$(get /nope | cut -d' ' -f1)"
check_true "/metrics content type is text/plain version 0.0.4" \
	grep -qi 'content-type: text/plain; version=0.0.4' \
	<(curl -s -D - -o /dev/null "http://127.0.0.1:$(hport)/metrics")

if scrape >"$WORK/m1"; then pass "/metrics parses strictly ($(wc -l <"$WORK/m1") samples)"; else
	fail "/metrics parses strictly"; sed 's/^/     /' "$WORK/m1" | head -5; fi
for m in coredns_dns_requests_total coredns_dns_responses_total \
	coredns_dns_request_duration_seconds_bucket coredns_dns_request_size_bytes_bucket \
	coredns_dns_response_size_bytes_bucket svcdns_cache_objects \
	svcdns_answer_table_entries coredns_kubernetes_dns_programming_duration_seconds_bucket; do
	check_true "/metrics has $m" grep -q " $m[{ ]" "$WORK/m1"
done
check_eq "svcdns_cache_objects{kind=service} is the demo's 11" 11 \
	"$(awk '$2 ~ /^svcdns_cache_objects\{kind="service"\}/ { print $3 }' "$WORK/m1")"

ql=$(grep -c ' query 127.0.0.1' "$LOG")
for i in $(seq 1 20); do d +norec +short web.shop.svc.cluster.local A >/dev/null; done
for i in $(seq 1 5); do d +norec +tcp +short web.shop.svc.cluster.local AAAA >/dev/null; done
for i in $(seq 1 3); do d +norec +short nope.shop.svc.cluster.local A >/dev/null; done
scrape >"$WORK/m2" || fail "second scrape parses"
r1=$(total coredns_dns_requests_total "$WORK/m1")
r2=$(total coredns_dns_requests_total "$WORK/m2")
check_eq "requests_total grew by exactly the 28 queries sent" 28 $((r2 - r1))
tcp=$(awk '$2 ~ /^coredns_dns_requests_total\{.*proto="tcp".*type="AAAA"/ { s += $3 } END { print s + 0 }' "$WORK/m2")
check_eq "5 TCP AAAA requests counted" 5 "$tcp"
x1=$(awk '$2 ~ /^coredns_dns_responses_total\{.*rcode="NXDOMAIN"/ { s += $3 } END { print s + 0 }' "$WORK/m1")
x2=$(awk '$2 ~ /^coredns_dns_responses_total\{.*rcode="NXDOMAIN"/ { s += $3 } END { print s + 0 }' "$WORK/m2")
check_eq "3 NXDOMAIN responses counted" 3 $((x2 - x1))
c1=$(total coredns_dns_request_duration_seconds_count "$WORK/m1")
c2=$(total coredns_dns_request_duration_seconds_count "$WORK/m2")
check_eq "duration histogram observed the 28 answers" 28 $((c2 - c1))
# every counter and histogram series is monotonic between the scrapes
bad=$(awk 'NR == FNR { if ($1 == "counter" || $1 == "histogram") v[$2] = $3; next }
	($2 in v) && $3 + 0 < v[$2] + 0 { print $2 " " v[$2] " -> " $3 }' "$WORK/m1" "$WORK/m2")
check_eq "counters are monotonic across scrapes" "" "$bad"
check_true "--log-queries: one line per query with client, qname, type, rcode, duration" \
	grep -Eq 'query 127\.0\.0\.1:[0-9]+ tcp web\.shop\.svc\.cluster\.local\. AAAA NOERROR 0\.[0-9]+s' "$LOG"
check_eq "--log-queries: a line for each of the 28 queries" 28 $(($(grep -c ' query 127.0.0.1' "$LOG") - ql))

# SIGHUP re-reads the inputs and keeps serving
kill -HUP "$PID"
check_true "SIGHUP is logged" wait_for 2 grep -q 'SIGHUP: re-reading --dir' "$LOG"
alive "alive after SIGHUP"
stop_server "$PID"

# ---- 2. lame duck ------------------------------------------------------------
start_server "$DIR" --lameduck 2
# a pipelined TCP client that keeps asking through the lame duck period
python3 - "$PORT" >"$WORK/tcp.out" 2>&1 <<'PYEOF' &
import socket, struct, sys, time
port = int(sys.argv[1])
def query(i):
    name = b''.join(bytes([len(l)]) + l for l in b'web.shop.svc.cluster.local'.split(b'.')) + b'\0'
    return struct.pack('>HHHHHH', i & 0xffff, 0, 1, 0, 0, 0) + name + b'\0\1\0\1'
s = socket.create_connection(('127.0.0.1', port), timeout=3)
sent = got = 0
t_end = time.time() + 1.0   # ends well inside the 2 s lame duck, even on a slow machine
buf = b''
while time.time() < t_end:
    q = [query(sent + k) for k in range(5)]   # five in flight at a time
    s.sendall(b''.join(struct.pack('>H', len(m)) + m for m in q))
    sent += 5
    while got < sent:
        while len(buf) < 2 or len(buf) < 2 + struct.unpack('>H', buf[:2])[0]:
            chunk = s.recv(65536)
            if not chunk:
                print('sent %d got %d (closed)' % (sent, got)); sys.exit(1)
            buf += chunk
        n = struct.unpack('>H', buf[:2])[0]
        buf = buf[2 + n:]
        got += 1
    time.sleep(0.01)
print('sent %d got %d' % (sent, got))
PYEOF
TCPC=$!
sleep 0.4
t0=$(now_ms)
kill -TERM "$PID"
sleep 0.3
check_eq "lame duck: /health is 503" 503 "$(get /health | cut -d' ' -f1)"
check_eq "lame duck: /ready is 503 with a reason" "503 shutting down (lame duck)" "$(get /ready)"
check_eq "lame duck: DNS still answered (UDP)" 10.96.100.20 "$(d +norec +short web.shop.svc.cluster.local A)"
wait "$TCPC"
tcprc=$?
check_true "lame duck: the pipelined TCP client got every answer ($(cat "$WORK/tcp.out"))" \
	test "$tcprc" -eq 0
i=0
while child_alive "$PID" && [ $i -lt 60 ]; do sleep 0.1; i=$((i + 1)); done
el=$(($(now_ms) - t0))
if child_alive "$PID"; then
	fail "svcdns still running 6 s after SIGTERM with --lameduck 2"
else
	wait "$PID"
	check_eq "exit status 0 after the lame duck" 0 "$?"
	LIB_PIDS=$(echo " $LIB_PIDS " | sed "s/ $PID / /")
	check_true "exited after the lame duck period and within lameduck+2 s (${el} ms)" \
		test "$el" -ge 1900 -a "$el" -le 4000
fi
check_true "the lame duck is logged" grep -q 'lame duck for 2 s' "$LOG"

# a second SIGTERM during the lame duck ends it at once
start_server "$DIR" --lameduck 30
kill -TERM "$PID"; sleep 0.3; kill -TERM "$PID"
check_true "second SIGTERM: exits at once" wait_for 2 eval "! child_alive $PID"
stop_server "$PID"

# ---- 3. API source: not ready before the first list, ready after -------------
start_fakeapi
ctl "service?name=web&ip=10.96.0.10" >/dev/null
ctl "slow?seconds=3" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT"
check_eq "before the first list: /health is 200" 200 "$(get /health | cut -d' ' -f1)"
r=$(get /ready)
check_true "before the first list: /ready is 503 with a one-line reason ($r)" \
	sh -c "echo '$r' | grep -q '^503 kubernetes: waiting for the first complete list'"
scrape >"$WORK/m3" || fail "/metrics parses before sync"
check_eq "svcdns_ready is 0 before sync" 0 "$(awk '$2 == "svcdns_ready" { print $3 }' "$WORK/m3")"
ctl "slow?seconds=0" >/dev/null
check_true "after the first list: /ready is 200" wait_for 10 status_is /ready 200
check_eq "and the answers are there" 10.96.0.10 "$(short web.default.svc.cluster.local A)"
scrape >"$WORK/m4" || fail "/metrics parses after sync"
check_eq "svcdns_api_synced is 1" 1 "$(awk '$2 == "svcdns_api_synced" { print $3 }' "$WORK/m4")"
check_true "svcdns_api_errors_total by code is there" grep -q 'svcdns_api_errors_total{code="401"}' "$WORK/m4"
check_true "seconds since last sync is there" grep -q ' svcdns_seconds_since_last_sync ' "$WORK/m4"
alive
finish
