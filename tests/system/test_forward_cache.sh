#!/bin/sh
# test_forward_cache.sh - the cache of forwarded answers (issue 8): hits not
# sent upstream, TTLs count down, smallest TTL, negative answers for the SOA
# minimum and no longer, --cache-size 0 and the LRU bound, identical
# concurrent queries sent upstream once, serve-stale (RFC 8767) when the
# upstream is dead, drops, or answers SERVFAIL; IN and CH kept apart.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
start_upstream main
UP=$UPORT UPLOG=$ULOG UPCTL=$UCTL UPPID=$UPID
start_fwd "$DIR" --upstream "127.0.0.1:$UP"

# ---- hits ---------------------------------------------------------------------
TA=$(date +%s.%N)
R=$(ask www.example.test A)
T1=$(printf '%s\n' "$R" | jf 'r["answer"][0]["ttl"]')
R=$(ask WWW.example.TEST A --id 99)
check_json "second query answered (from the cache), with its own ID and case" "NOERROR 99 WWW.example.TEST. 192.0.2.1" \
	'"%s %s %s %s" % (r["rcode"], r["id"], r["qname"], r["answer"][0]["data"])'
check_eq "second query not sent upstream" "1" "$(ucount "$UPLOG" www.example.test A)"
R=$(ask www.example.test A --tcp)
check_eq "TCP query for the same name: a cache hit too" "1" "$(ucount "$UPLOG" www.example.test A)"
check_json "TCP cache hit answered" "NOERROR 192.0.2.1" 'r["rcode"] + " " + r["answer"][0]["data"]'
R=$(ask www.example.test A --do)
check_eq "DO=1 is another cache key (asked upstream once more)" "2" "$(ucount "$UPLOG" www.example.test A)"

# ---- TTL counts down -------------------------------------------------------------
sleep 2.2
R=$(ask www.example.test A)
T2=$(printf '%s\n' "$R" | jf 'r["answer"][0]["ttl"]')
EL=$(python3 -c 'import sys, time; print(int(time.time() - float(sys.argv[1])) + 1)' "$TA")
if [ "$T1" -ge 299 ] && [ "$T2" -le $((T1 - 1)) ] && [ "$T2" -ge $((T1 - EL - 1)) ]; then
	pass "TTL counts down: $T1 then $T2, at most ${EL} s later"
else
	fail "TTL counts down: $T1 then $T2, at most ${EL} s later (want T1>=299, T1-$EL-1 <= T2 <= T1-1)"
fi

# ---- smallest TTL ---------------------------------------------------------------
ask minttl.example.test A >/dev/null
R=$(ask minttl.example.test A)
check_json "min TTL: cached RRs served with TTL <= 7" "True" 'max(a["ttl"] for a in r["answer"]) <= 7'
check_eq "min TTL: second query from the cache" "1" "$(ucount "$UPLOG" minttl.example.test)"

# ---- negative caching for the SOA minimum (3 s; the SOA's own TTL is 60) ---------
ask neg1.example.test A >/dev/null
R=$(ask neg1.example.test A)
check_json "NXDOMAIN cached: second answer NXDOMAIN" "NXDOMAIN" 'r["rcode"]'
check_json "NXDOMAIN cached: SOA TTL <= SOA minimum 3" "True" 'r["authority"][0]["ttl"] <= 3'
check_eq "NXDOMAIN cached: not asked again within the SOA minimum" "1" "$(ucount "$UPLOG" neg1.example.test)"
R=$(ask www.example.test TXT --rd)
check_json "NODATA from upstream, asked with RD: qr aa ra (svcdns recurses; the upstream sets no RA)" \
	"True True True 0" '"%s %s %s %d" % (r["qr"], r["aa"], r["ra"], len(r["answer"]))'
R=$(ask www.example.test TXT --rd)
# glibc's res_send and Go take an empty NOERROR with neither AA nor RA
# for a lame referral and fail the lookup (EAI_AGAIN).
check_json "NODATA from the cache, asked with RD: qr aa ra still" \
	"True True True 0" '"%s %s %s %d" % (r["qr"], r["aa"], r["ra"], len(r["answer"]))'
check_eq "NODATA cached" "1" "$(ucount "$UPLOG" www.example.test TXT)"
R=$(ask big.example.test TXT --rd --noedns)
R=$(ask big.example.test TXT --rd --noedns)
check_json "cached reply too big for 512 bytes: empty, qr aa tc rd ra" "True True True True True 0" \
	'"%s %s %s %s %s %d" % (r["qr"], r["aa"], r["tc"], r["rd"], r["ra"], len(r["answer"]))'
sleep 3.6
ask neg1.example.test A >/dev/null
check_eq "NXDOMAIN no longer cached after the SOA minimum (3 s)" "2" "$(ucount "$UPLOG" neg1.example.test)"
ask www.example.test TXT >/dev/null
check_eq "NODATA no longer cached after the SOA minimum (3 s)" "2" "$(ucount "$UPLOG" www.example.test TXT)"
set_mode "$UPCTL" '{"soa_min": 0}'
ask neg0.example.test A >/dev/null
ask neg0.example.test A >/dev/null
check_eq "SOA minimum 0: negative answer not cached" "2" "$(ucount "$UPLOG" neg0.example.test)"
set_mode "$UPCTL" '{}'

# ---- classes are not mixed ----------------------------------------------------------
# A CH query must never get the cached IN answer: it is refused, or sent
# upstream as CH.
ask cls.example.test TXT >/dev/null
R=$(ask cls.example.test TXT --class CH)
NCH=$(python3 -c '
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("qname") == "cls.example.test." and json.loads(l).get("qclass") == 3))' "$UPLOG")
RC_CH=$(printf '%s\n' "$R" | jf 'r.get("rcode")')
if [ "$RC_CH" = REFUSED ] || [ "$NCH" = 1 ]; then
	pass "CH query after a cached IN answer: $RC_CH, $NCH CH queries upstream"
else
	fail "CH query after a cached IN answer: $RC_CH, $NCH CH queries upstream (the IN answer was reused)"
fi

# ---- identical concurrent queries: sent upstream once ---------------------------
set_mode "$UPCTL" '{"delay_ms": 600}'
R=$(ask burst.example.test A --n 20 --timeout 5)
set_mode "$UPCTL" '{}'
N_UP=$(ucount "$UPLOG" burst.example.test)
echo "     (20 concurrent identical queries, 1 thread: $N_UP upstream queries)"
check_eq "20 concurrent identical queries -> 1 upstream query (1 thread)" "1" "$N_UP"
check_eq "all 20 got NXDOMAIN, each with its own ID" "20" \
	"$(printf '%s\n' "$R" | jf 'r.get("rcode") == "NXDOMAIN" and r["id"] == r["sent_id"] and r["qname"] == "burst.example.test."' | grep -c True)"
stop_server "$PID"

# ---- --cache-size 0 -------------------------------------------------------------
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --cache-size 0
ask nocache.pos.example.test A >/dev/null
ask nocache.pos.example.test A >/dev/null
ask nocache.pos.example.test A >/dev/null
check_eq "--cache-size 0: every query goes upstream" "3" "$(ucount "$UPLOG" nocache.pos.example.test)"
set_mode "$UPCTL" '{"delay_ms": 400}'
R=$(ask burst0.pos.example.test A --n 10 --timeout 5)
set_mode "$UPCTL" '{}'
check_eq "--cache-size 0: concurrent identical queries still merged" "1" "$(ucount "$UPLOG" burst0.pos.example.test)"
stop_server "$PID"

# ---- the LRU bound ---------------------------------------------------------------
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --cache-size 2
ask lru1.pos.example.test A >/dev/null
ask lru2.pos.example.test A >/dev/null
ask lru1.pos.example.test A >/dev/null   # lru1 most recent
ask lru3.pos.example.test A >/dev/null   # evicts lru2
ask lru1.pos.example.test A >/dev/null
ask lru2.pos.example.test A >/dev/null
check_eq "--cache-size 2: recently used lru1 kept, lru2 evicted" "1 2 1" \
	"$(ucount "$UPLOG" lru1.pos.example.test) $(ucount "$UPLOG" lru2.pos.example.test) $(ucount "$UPLOG" lru3.pos.example.test)"
stop_server "$PID"

# ---- several threads: one cache, and one question in flight, for all -----------
FWD_THREADS=4 start_fwd "$DIR" --upstream "127.0.0.1:$UP"
i=0
while [ $i -lt 10 ]; do ask thr.pos.example.test A >/dev/null; i=$((i + 1)); done
check_eq "--threads 4: 10 sequential queries from 10 sockets -> 1 upstream query" 1 \
	"$(ucount "$UPLOG" thr.pos.example.test)"
# 20 at once from 20 sockets, spread over the threads while the upstream
# takes 600 ms: the first thread asks, the others park their clients
# (fwd_flights) and answer them from the cache when it is in.
set_mode "$UPCTL" '{"delay_ms": 600}'
R=$(ask burst4.pos.example.test A --n 20 --timeout 5)
set_mode "$UPCTL" '{}'
check_eq "--threads 4: 20 concurrent identical queries -> 1 upstream query" 1 \
	"$(ucount "$UPLOG" burst4.pos.example.test)"
check_eq "--threads 4: the 20 all answered" "20 NOERROR 192.0.2.99" \
	"$(printf '%s\n' "$R" | jf '"%s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["data"] if r.get("answer") else "-")' | sort | uniq -c | sed 's/^ *//')"
# the upstream gone while one is in flight: every parked client gets SERVFAIL
# at once with the asking thread's, none waits longer
set_mode "$UPCTL" '{"mode": "drop"}'
R=$(ask dropped4.pos.example.test A --n 12 --timeout 8)
set_mode "$UPCTL" '{}'
# one upstream: the asking thread's two tries (a single upstream gets a
# second chance), not two per thread
N_D4=$(ucount "$UPLOG" dropped4.pos.example.test)
check_true "--threads 4: 12 concurrent queries the upstream drops -> 2 upstream queries ($N_D4)" \
	[ "$N_D4" -le 2 ]
check_eq "--threads 4: the 12 all answered SERVFAIL" "12 SERVFAIL" \
	"$(printf '%s\n' "$R" | jf 'r.get("rcode", r.get("error"))' | sort | uniq -c | sed 's/^ *//')"
stop_server "$PID"

# ---- serve stale ---------------------------------------------------------------------
# upstream dead (port closed): expired answer served with TTL 30
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --forward-timeout 500
R=$(ask tick.example.test A)
check_json "stale: fresh answer first (TTL 2)" "NOERROR 2" 'r["rcode"] + " " + str(r["answer"][0]["ttl"])'
# dropping upstream (timeouts)
R=$(ask tick2.example.test A)
# upstream answering SERVFAIL
ask tick3.example.test A >/dev/null
sleep 3
set_mode "$UPCTL" '{"mode": "drop"}'
R=$(ask tick2.example.test A --timeout 5)
check_json "stale (upstream drops): expired answer with TTL 30" "NOERROR 30 192.0.2.3" \
	'"%s %s %s" % (r.get("rcode"), r["answer"][0]["ttl"] if r.get("answer") else None, r["answer"][0]["data"] if r.get("answer") else r.get("error"))'
check_json "stale (upstream drops): answered within 1.8 s (RFC 8767 client response timer)" "True" \
	'r.get("elapsed_ms", 99999) < 1800'
set_mode "$UPCTL" '{"mode": "servfail"}'
R=$(ask tick3.example.test A --timeout 5)
check_json "stale (upstream SERVFAIL): expired answer with TTL 30" "NOERROR 30" \
	'"%s %s" % (r.get("rcode"), r["answer"][0]["ttl"] if r.get("answer") else None)'
set_mode "$UPCTL" '{}'
stop_upstream "$UPPID"
R=$(ask tick.example.test A --timeout 5)
check_json "stale (upstream dead): expired answer with TTL 30" "NOERROR 30 192.0.2.3" \
	'"%s %s %s" % (r.get("rcode"), r["answer"][0]["ttl"] if r.get("answer") else None, r["answer"][0]["data"] if r.get("answer") else r.get("error"))'
R=$(ask never.example.test A --timeout 5)
check_json "upstream dead, nothing cached: SERVFAIL" "SERVFAIL" 'r.get("rcode", r.get("error"))'
alive "svcdns alive after serve-stale"
stop_server "$PID"

# ---- --cache-ttl (CoreDNS's "cache 30" in kubeadm's Corefile) ----------------------
start_upstream ttl
start_fwd "$DIR" --upstream "127.0.0.1:$UPORT" --cache-ttl 30
R=$(ask www.example.test A)
check_json "--cache-ttl 30: a fresh answer's TTL 300 says 30" "30" 'r["answer"][0]["ttl"]'
R=$(ask www.example.test A)
check_json "--cache-ttl 30: from the cache, at most 30" "True" 'r["answer"][0]["ttl"] <= 30'
check_eq "--cache-ttl 30: the second came from the cache" "1" "$(ucount "$ULOG" www.example.test A)"
R=$(ask minttl.example.test A)
check_json "--cache-ttl 30: a fresh answer's TTLs are its smallest, as from the cache" "7 7" \
	'" ".join(str(t) for t in sorted(a["ttl"] for a in r["answer"]))'
stop_server "$PID"

finish
