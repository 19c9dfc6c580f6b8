#!/bin/bash
# test_watch_list.sh - against a server that offers WatchList
# (sendInitialEvents=true), each resource is listed as one stream: its
# objects as ADDED events, the bookmark that ends them (the first sync),
# then the same stream goes on as the watch. A compaction that cuts the
# watch makes a new WatchList, which removes what was deleted meanwhile.
# Against a server that refuses it (422, the feature off) svcdns lists in
# pages.
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi --watch-list --bookmark-interval 1
Z=svc.cluster.local
ctl "namespace?name=default" >/dev/null
ctl "service?name=web&ip=10.96.0.10" >/dev/null
ctl "service?name=doomed&ip=10.96.0.11" >/dev/null
ctl "service?name=hl&ip=None&port=80" >/dev/null
ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.1,10.1.0.2" >/dev/null

start_svcdns_api "http://127.0.0.1:$API_PORT" --log-level debug
check_within "first sync from the WatchList's initial events" 3000 web.default.$Z A 10.96.0.10
check_within "endpoints too" 1000 hl.default.$Z A "10.1.0.1
10.1.0.2"
api_log >"$WORK/api.log"
for res in services endpointslices namespaces; do
	check_eq "$res: one WatchList, no LIST, no other watch" "1 0 0" \
		"$(grep -c "WATCHLIST $res .*-> 200" "$WORK/api.log") $(grep -c " LIST $res" "$WORK/api.log") $(grep -c " WATCH $res" "$WORK/api.log")"
done
check_true "logged as listed by WatchList" grep -q 'listed services (WatchList): 3 objects' "$LOG"

ctl "service?name=later&ip=10.96.0.12" >/dev/null
check_within "the stream goes on as the watch: an added service" 1000 later.default.$Z A 10.96.0.12
ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.3" >/dev/null
check_within "and a changed slice" 1000 hl.default.$Z A 10.1.0.3

# The API server goes away; meanwhile a service is deleted and history
# compacted: resuming gets 410, and the new WatchList must drop the
# deleted service.
ctl "down?seconds=3" >/dev/null
ctl "delete?resource=services&name=doomed" >/dev/null
ctl compact >/dev/null
check_within "after 410, the new WatchList removes the service deleted meanwhile" 12000 \
	doomed.default.$Z A ""
check_eq "the others stay" "10.96.0.10" "$(short web.default.$Z A)"
api_log >"$WORK/api.log"
check_eq "the relist was a WatchList too (2 in all, no LIST)" "2 0" \
	"$(grep -c "WATCHLIST services .*-> 200" "$WORK/api.log") $(grep -c " LIST services" "$WORK/api.log")"
check_true "logged as relisted" wait_for 5 grep -q 'relisted services (WatchList)' "$LOG"
alive
stop_server "$PID"
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null

# A server without WatchList: one refusal per resource, then pages.
start_fakeapi
ctl "service?name=web&ip=10.96.0.10" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT"
check_within "without WatchList: synced from a paged list" 3000 web.default.$Z A 10.96.0.10
check_eq "each resource asked once for a WatchList (422)" 3 "$(count_requests 'WATCHLIST .* -> 422')"
check_true "then listed" grep -q 'LIST services .* -> 200' <(api_log)
check_true "the fallback logged" grep -q 'does not offer WatchList (HTTP 422); listing in pages' "$LOG"
alive
finish
