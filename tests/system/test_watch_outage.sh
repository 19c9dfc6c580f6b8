#!/bin/bash
# test_watch_outage.sh - the API server goes away: old answers keep being
# served, the outage is logged once, and the cache catches up when it is
# back; a compaction meanwhile forces a relist that removes what was deleted;
# 5xx with Retry-After is honoured.
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi --bookmark-interval 1
Z=svc.cluster.local
ctl "service?name=web&ip=10.96.0.10" >/dev/null
ctl "service?name=doomed&ip=10.96.0.66" >/dev/null
ctl "service?name=hl&ip=None" >/dev/null
ctl "slice?name=hl-1&service=hl&ips=10.1.0.1" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT"
check_within "initial sync" 3000 doomed.default.$Z A 10.96.0.66
sleep 1.2 # past the short-watch window

# -- down for 4 s; meanwhile a change that the watch can still replay --
ctl "down?seconds=4" >/dev/null
sleep 0.3
ok=1
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(short web.default.$Z A)" = 10.96.0.10 ] || ok=0
	[ "$(short hl.default.$Z A)" = 10.1.0.1 ] || ok=0
	sleep 0.2
done
check_eq "old answers served while the API server is down" 1 "$ok"
check_true "outage logged" grep -q 'API server unreachable: .*Couldn' "$LOG"
ctl "slice?name=hl-1&service=hl&ips=10.1.0.2" >/dev/null
ctl "service?name=late&ip=10.96.0.77" >/dev/null
check_within "catch-up after the API server is back" 12000 late.default.$Z A 10.96.0.77
check_within "endpoints caught up too" 2000 hl.default.$Z A 10.1.0.2
check_eq "outage logged once, not per retry" 1 "$(grep -c 'API server unreachable' "$LOG")"
check_true "recovery logged" grep -Eq 'API server back after [0-9]+ s' "$LOG"
check_eq "no relist needed after the outage" 1 "$(count_requests 'LIST services .*-> 200')"

# -- down again; a service is deleted and history compacted meanwhile --
sleep 1.2
ctl "down?seconds=2" >/dev/null
sleep 0.3
ctl "delete?resource=services&name=doomed" >/dev/null
ctl compact >/dev/null
check_eq "deleted service still served during the outage" 10.96.0.66 "$(short doomed.default.$Z A)"
check_within "relist after compaction removes the deleted service" 12000 doomed.default.$Z A ""
check_true "too-old resourceVersion logged" grep -q 'ERROR event (too old resource version' "$LOG"
check_eq "services were relisted once" 2 "$(count_requests 'LIST services .*-> 200')"
check_eq "other services survive the relist" 10.96.0.10 "$(short web.default.$Z A)"
expect_rcode "zone never empty after relist" NOERROR web.default.$Z A

# -- 503 with Retry-After: 2 on the next requests --
sleep 1.2
before=$(count_requests 'WATCH services')
ctl "fail?count=2&status=503&retry_after=2" >/dev/null
ctl close >/dev/null
sleep 1
check_eq "Retry-After honoured (no retry within 1 s)" "$((before + 1))" "$(count_requests 'WATCH services')"
ctl "service?name=after-503&ip=10.96.0.88" >/dev/null
check_within "recovers after the 503s" 8000 after-503.default.$Z A 10.96.0.88
check_true "5xx logged" grep -q 'API server error: HTTP 503' "$LOG"
alive
finish
