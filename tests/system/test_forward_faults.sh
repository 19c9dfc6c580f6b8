#!/bin/sh
# test_forward_faults.sh - upstreams that misbehave (issue 8): wrong ID,
# wrong question, garbage, short, replies from another port or address are
# never accepted (the real reply that follows is, a retry is, else
# SERVFAIL) and poison nothing; TC -> TCP (and a TCP answer that is bad);
# upstream SERVFAIL; timeout -> the next upstream within ~2.5 s; a dead
# (closed) upstream skipped at once; all dead -> SERVFAIL; a failed
# upstream probed back.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
start_upstream main
UP=$UPORT UPLOG=$ULOG UPCTL=$UCTL
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --forward-timeout 700

# ---- bad replies ------------------------------------------------------------------
for m in wrongid wrongq garbage short otherport otheraddr; do
	# the bad reply first, the real one 100 ms later: the real one wins
	set_mode "$UPCTL" "{\"mode\": \"$m\", \"then_good\": true}"
	R=$(ask "$m-a.pos.example.test" A --timeout 5)
	check_json "$m, then the real reply: right answer" "NOERROR 192.0.2.99" \
		'"%s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["data"] if r.get("answer") else None)'
	check_json "$m, then the real reply: answered in the same try (< 650 ms)" "True" 'r.get("elapsed_ms", 99999) < 650'
	# bad on the first try only: the retry answers
	set_mode "$UPCTL" "{\"mode\": \"$m\", \"count\": 1}"
	R=$(ask "$m-b.pos.example.test" A --timeout 5)
	check_json "$m on the first try: the retry answers" "NOERROR 192.0.2.99" \
		'"%s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["data"] if r.get("answer") else None)'
	# always bad: SERVFAIL, and the name is fine once the upstream is
	set_mode "$UPCTL" "{\"mode\": \"$m\"}"
	R=$(ask "$m-c.pos.example.test" A --timeout 5)
	check_json "$m always: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
	set_mode "$UPCTL" '{}'
	R=$(ask "$m-c.pos.example.test" A --timeout 5)
	check_json "$m always, then a good upstream: right answer (nothing cached from the bad replies)" \
		"NOERROR 192.0.2.99" \
		'"%s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["data"] if r.get("answer") else None)'
done
R=$(ask evil.example.test A)
check_json "wrong-question reply's record (evil.example.test 198.51.100.66) not cached" "NXDOMAIN" 'r.get("rcode")'
check_eq "evil.example.test asked upstream (not answered from a poisoned cache)" "1" "$(ucount "$UPLOG" evil.example.test)"
alive "svcdns alive after bad replies"

# ---- TC -> TCP ------------------------------------------------------------------
set_mode "$UPCTL" '{"mode": "tc"}'
R=$(ask tc1.pos.example.test A)
check_json "upstream TC: client gets the full answer over UDP, no TC" "NOERROR False 192.0.2.99" \
	'"%s %s %s" % (r.get("rcode"), r.get("tc"), r["answer"][0]["data"] if r.get("answer") else None)'
check_eq "upstream TC: asked once over UDP, once over TCP" "1 1" \
	"$(ucount "$UPLOG" tc1.pos.example.test A udp) $(ucount "$UPLOG" tc1.pos.example.test A tcp)"
R=$(ask tc1.pos.example.test A)
check_eq "upstream TC: the TCP answer was cached" "2" "$(ucount "$UPLOG" tc1.pos.example.test)"
R=$(ask tc2.example.test A --tcp)
check_json "upstream TC, client on TCP: NXDOMAIN passed on" "NXDOMAIN" 'r.get("rcode")'
set_mode "$UPCTL" '{"mode": "tcgarbage"}'
R=$(ask tc3.pos.example.test A --timeout 5)
check_json "upstream TC then garbage over TCP: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
set_mode "$UPCTL" '{"mode": "tcdrop"}'
R=$(ask tc4.pos.example.test A --timeout 5)
check_json "upstream TC then silence over TCP: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
check_json "upstream TC then silence over TCP: within 2 tries of 700 ms (+slack)" "True" 'r.get("elapsed_ms", 99999) < 2500'
set_mode "$UPCTL" '{}'
R=$(ask tc4.pos.example.test A --timeout 5)
check_json "after TC trouble, a good upstream: right answer" "NOERROR" 'r.get("rcode", r.get("error"))'
alive "svcdns alive after TC/TCP trouble"

# ---- upstream SERVFAIL / REFUSED passed on -------------------------------------------
set_mode "$UPCTL" '{"mode": "servfail"}'
R=$(ask sf.pos.example.test A --rd)
check_json "upstream SERVFAIL: client gets SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
set_mode "$UPCTL" '{}'

# ---- a TCP client that leaves before its forwarded answer -----------------------
set_mode "$UPCTL" '{"delay_ms": 500}'
python3 - "$PORT" <<'PYEOF'
import socket, struct, sys, time
port = int(sys.argv[1])
for i in range(20):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    name = b"".join(bytes([len(l)]) + l for l in (b"gone%d" % i, b"pos", b"example", b"test")) + b"\0"
    q = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + name + struct.pack("!HH", 1, 1)
    s.sendall(struct.pack("!H", len(q)) + q)
    s.close()
PYEOF
sleep 1
set_mode "$UPCTL" '{}'
alive "svcdns alive after 20 TCP clients left before their forwarded answers"
R=$(ask gone0.pos.example.test A --tcp)
check_json "a name whose TCP client left: answered later" "NOERROR" 'r.get("rcode", r.get("error"))'
stop_server "$PID"

# ---- failover ---------------------------------------------------------------------
start_upstream dropper
UPD=$UPORT UPDLOG=$ULOG UPDCTL=$UCTL
set_mode "$UPDCTL" '{"mode": "drop"}'
start_upstream good
UPG=$UPORT UPGLOG=$ULOG
# sequential: the dropper is asked first until it is down (with random,
# six queries may all start at the good one and never make it fail)
start_fwd "$DIR" --upstream "127.0.0.1:$UPD" --upstream "127.0.0.1:$UPG" --forward-policy sequential
SLOW=""
# After its second failure the dropper is down: skipped by queries and
# probed with ". NS" every 0.5 s (upstream_health.c) until it answers.
# clients UPSTREAM-LOG: queries it got for other names than the root.
clients() { grep qname "$1" | grep -vc '"qname": "\."'; }
NSLOW=0 DOWN_END="" PROBES=0
for i in 1 2 3 4 5 6; do
	t0=$(date +%s%3N)
	R=$(ask "who.fo$i.example.test" TXT --timeout 6)
	t1=$(date +%s%3N)
	res=$(printf '%s\n' "$R" | jf '"%s %s" % (r["answer"][0]["data"] if r.get("answer") else r.get("rcode", r.get("error")), r.get("elapsed_ms"))')
	check_eq "failover query $i answered by the good upstream" "good" "${res% *}"
	ms=${res#* }
	SLOW="$SLOW $ms"
	case $ms in
	'' | *[!0-9]*) fail "failover query $i: no time" ;;
	*)
		check_true "failover query $i within 2.5 s ($ms ms)" [ "$ms" -lt 2500 ]
		if [ "$ms" -ge 1500 ]; then
			NSLOW=$((NSLOW + 1))
			if [ -n "$DOWN_END" ] && [ "$t0" -ge "$DOWN_END" ]; then
				PROBES=$((PROBES + 1))
				DOWN_END=$((t1 + 5000))
			fi
			[ "$NSLOW" -eq 2 ] && DOWN_END=$((t1 + 5000))
		fi
		;;
	esac
done
echo "     (failover times, ms:$SLOW; the dropping upstream got $(clients "$UPDLOG") client queries)"
check_eq "a dropping upstream is skipped once it failed twice (2 of 6 client queries)" 2 \
	"$(clients "$UPDLOG")"
has_probes() { grep -q '"qname": "\.", "qtype": "NS"' "$UPDLOG"; }
if wait_for 5 has_probes; then
	pass "a down upstream is probed with . NS in the background (CoreDNS's health_check)"
else
	fail "a down upstream is probed with . NS in the background: $(grep -c qname "$UPDLOG") queries logged"
	tail -3 "$UPDLOG" | sed 's/^/     /'
fi
# back once a probe is answered: client queries reach it again, no client
# having waited on it
set_mode "$UPDCTL" '{}'
B=$(clients "$UPDLOG")
i=0 slowest=0
while [ $i -lt $((40 * LIB_SLOW)) ] && [ "$(clients "$UPDLOG")" -le "$B" ]; do
	ms=$(ask "who.pb$i.example.test" TXT | jf 'r.get("elapsed_ms", 99999)')
	[ "$ms" -gt "$slowest" ] && slowest=$ms
	sleep 0.2
	i=$((i + 1))
done
check_true "a recovered upstream is used again after a probe ($(($(clients "$UPDLOG") - B)) client queries in $i)" \
	[ "$(clients "$UPDLOG")" -gt "$B" ]
check_true "meanwhile no client waited for the down upstream (slowest ${slowest} ms)" [ "$slowest" -lt 1500 ]
# CoreDNS's per-upstream counters: {to} as "ADDR:PORT"; requests are the
# client queries each upstream got (the probes are not requests), failures
# the probes the dropper left unanswered while down
M=$(curl -s --max-time 10 "http://$(sed -n 's/.*http on \([0-9.]*\):0 (port \([0-9]*\)).*/\1:\2/p' "$LOG")/metrics")
mval() { printf '%s\n' "$M" | sed -n "s/^$1{to=\"127.0.0.1:$2\"} \([0-9]*\)$/\1/p"; }
check_eq "coredns_forward_requests_total{to=dropper} counts the client queries it got" \
	"$(clients "$UPDLOG")" "$(mval coredns_forward_requests_total "$UPD")"
check_eq "coredns_forward_requests_total{to=good} counts the client queries it got" \
	"$(clients "$UPGLOG")" "$(mval coredns_forward_requests_total "$UPG")"
pf=$(mval coredns_forward_healthcheck_failures_total "$UPD")
check_true "coredns_forward_healthcheck_failures_total{to=dropper} counts its unanswered probes ($pf)" \
	[ "${pf:-0}" -ge 1 ]
check_eq "coredns_forward_healthcheck_failures_total{to=good} is 0" \
	0 "$(mval coredns_forward_healthcheck_failures_total "$UPG")"
stop_server "$PID"

# a dead upstream (closed port): skipped at once
DEAD=$(free_port)
start_fwd "$DIR" --upstream "127.0.0.1:$DEAD" --upstream "127.0.0.1:$UPG"
for i in 1 2 3; do
	R=$(ask "who.dead$i.example.test" TXT --timeout 6)
	check_json "closed-port upstream: answered by the other one, < 1 s" "good True" \
		'"%s %s" % (r["answer"][0]["data"] if r.get("answer") else r.get("rcode", r.get("error")), r.get("elapsed_ms", 99999) < 1000)'
done
stop_server "$PID"

# ---- all dead -------------------------------------------------------------------------
set_mode "$UPDCTL" '{"mode": "drop"}'
start_fwd "$DIR" --upstream "127.0.0.1:$UPD" --upstream "127.0.0.1:$(free_port)" --forward-timeout 300
R=$(ask alldead.example.test A --timeout 6)
check_json "all upstreams dead (one drops, one closed): SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
check_json "all upstreams dead: SERVFAIL within 1.5 s" "True" 'r.get("elapsed_ms", 99999) < 1500'
R=$(ask alldead.example.test A --timeout 6 --tcp)
check_json "all upstreams dead, client on TCP: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
alive "svcdns alive with every upstream dead"
stop_server "$PID"
start_fwd "$DIR" --upstream "127.0.0.1:$UPD" --forward-timeout 300
R=$(ask alldead2.example.test A --timeout 6)
check_json "single dropping upstream: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
stop_server "$PID"

finish
