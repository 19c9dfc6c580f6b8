#!/bin/sh
# test_forward_threads.sh - one cache of forwarded answers for every query
# thread: with --threads 4, queries from many source ports (SO_REUSEPORT
# spreads them over the threads by port) are answered alike: an answer, a
# denial and a stale answer cached by one thread are served by all, and the
# upstream is asked once. With a cache per thread, 30 queries from 30 ports
# land on every thread (each asking upstream, and a thread without the
# entry answering SERVFAIL when the upstream is down).
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
start_upstream main
UP=$UPORT UPLOG=$ULOG UPCTL=$UCTL UPPID=$UPID
FWD_THREADS=4 start_fwd "$DIR" --upstream "127.0.0.1:$UP" --forward-timeout 300
N=30

# many NAME TYPE EXPR: N queries, each from its own socket (its own source
# port), one after the other; prints EXPR of each reply, sorted and counted.
many() {
	local i=0
	while [ $i -lt $N ]; do
		ask "$1" "$2" --timeout 5
		i=$((i + 1))
	done | jf "$3" | sort | uniq -c | sed 's/^ *//'
}

# ---- an answer ----------------------------------------------------------------
check_eq "an answer from $N ports: the same each time" "$N NOERROR 192.0.2.1" \
	"$(many www.example.test A '"%s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["data"] if r.get("answer") else "-")')"
check_eq "an answer from $N ports: the upstream asked once" 1 "$(ucount "$UPLOG" www.example.test A)"

# ---- a denial (NXDOMAIN; the SOA minimum is 3 s, so kept short) ---------------------
set_mode "$UPCTL" '{"soa_min": 60}'
check_eq "a denial from $N ports: NXDOMAIN each time" "$N NXDOMAIN" \
	"$(many nosuch.example.test A 'r.get("rcode", r.get("error"))')"
check_eq "a denial from $N ports: the upstream asked once" 1 "$(ucount "$UPLOG" nosuch.example.test A)"
set_mode "$UPCTL" '{}'

# ---- stale: cached by one thread, served by all once the upstream is gone -----------
R=$(ask tick.example.test A)
check_json "stale: a fresh answer first (TTL 2)" "NOERROR 2" 'r["rcode"] + " " + str(r["answer"][0]["ttl"])'
sleep 3
stop_upstream "$UPPID"
check_eq "stale (upstream gone): $N ports, the expired answer each time, TTL 30" "$N NOERROR 30 192.0.2.3" \
	"$(many tick.example.test A '"%s %s %s" % (r.get("rcode", r.get("error")), r["answer"][0]["ttl"] if r.get("answer") else "-", r["answer"][0]["data"] if r.get("answer") else "-")')"
check_eq "the denial, upstream gone: still NXDOMAIN from every thread" "$N NXDOMAIN" \
	"$(many nosuch.example.test A 'r.get("rcode", r.get("error"))')"

# ---- the metrics count one cache ----------------------------------------------------
M=$(curl -s --max-time 10 "http://$(sed -n 's/.*http on \([0-9.]*\):0 (port \([0-9]*\)).*/\1:\2/p' "$LOG")/metrics")
check_eq "coredns_cache_entries: the 3 names once, not once per thread (2 answers, 1 denial)" \
	"success 2 denial 1" \
	"$(printf '%s\n' "$M" | sed -n 's/^coredns_cache_entries{.*type="\([a-z]*\)"} \([0-9]*\)$/\1 \2/p' | tr '\n' ' ' | sed 's/ $//')"
check_true "coredns_cache_hits_total: denials counted apart (the denial asked 60 times)" \
	sh -c 'printf "%s\n" "$1" | grep -q "^coredns_cache_hits_total{.*type=\"denial\"} [1-9]"' sh "$M"
alive "svcdns alive"
stop_server "$PID"

# ---- --prefetch: a name asked in its TTL's last tenth is fetched again ----------------
# pf.example.test has TTL 20: asked every 0.2 s, the second upstream query
# comes before the first answer expires (without --prefetch: at 20 s, on
# the first miss), and every client gets an answer.
start_upstream pf
UPF=$UPORT UPFLOG=$ULOG
FWD_THREADS=2 start_fwd "$DIR" --upstream "127.0.0.1:$UPF" --prefetch
ask pf.example.test A >/dev/null
# dig and grep in the loop (python's start-up, three times an iteration,
# could miss the 2 s window on a loaded machine)
upf() { grep -c '"qname": "pf.example.test."' "$UPFLOG"; }
i=0 bad=0
while [ $i -lt $((150 * LIB_SLOW)) ] && [ "$(upf)" -lt 2 ]; do
	[ "$(d +short pf.example.test A)" = 192.0.2.77 ] || bad=$((bad + 1))
	sleep 0.2
	i=$((i + 1))
done
gap=$(python3 - "$UPFLOG" <<'PYEOF'
import json, sys
t = [json.loads(l)["t"] for l in open(sys.argv[1]) if '"pf.example.test.' in l.lower()]
print("%.1f" % (t[1] - t[0]) if len(t) >= 2 else "none")
PYEOF
)
check_true "--prefetch: asked upstream again before the TTL of 20 s ran out (after $gap s)" \
	python3 -c 'import sys; sys.exit(0 if sys.argv[1] != "none" and float(sys.argv[1]) < 20 else 1)' "$gap"
check_eq "--prefetch: every client answered meanwhile" 0 "$bad"
M=$(curl -s --max-time 10 "http://$(sed -n 's/.*http on \([0-9.]*\):0 (port \([0-9]*\)).*/\1:\2/p' "$LOG")/metrics")
check_eq "--prefetch: coredns_cache_prefetch_total" 1 \
	"$(printf '%s\n' "$M" | awk '$1 ~ /^coredns_cache_prefetch_total/ { print $2 }')"
alive "svcdns alive after prefetching"
finish
