#!/bin/bash
# test_watch_resume.sh - a dropped watch resumes from the last seen
# resourceVersion without a relist; malformed events (an invalid object, and
# broken JSON) are skipped and the following event is applied.
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi --bookmark-interval 1
Z=svc.cluster.local
ctl "service?name=web&ip=10.96.0.10" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT" --log-level debug
check_within "initial sync" 3000 web.default.$Z A 10.96.0.10
wait_log 3 'services: watch from resourceVersion' || true

# -- the watch connection is cut (no final chunk) --
lists_before=$(count_requests 'LIST services')
ctl close >/dev/null
rv=$(ctl "service?name=after-drop&ip=10.96.0.30" | sed -n 's/rv=//p')
check_within "event after a dropped watch is applied" 2000 after-drop.default.$Z A 10.96.0.30
check_eq "no relist after the drop" "$lists_before" "$(count_requests 'LIST services')"
check_true "watch resumed from a resourceVersion before the new event" \
	grep -Eq "WATCH services rv=($((rv - 1))|$((rv - 2))) .*-> 200" <(api_log)
check_true "drop logged" grep -q 'services watch dropped' "$LOG"

# -- valid JSON, invalid object (no name, bad IP, bad port) --
ctl "malformed?mode=invalid" >/dev/null
ctl "service?name=after-invalid&ip=10.96.0.31" >/dev/null
check_within "event after an invalid object is applied" 1000 after-invalid.default.$Z A 10.96.0.31
check_true "invalid object logged and skipped" grep -q 'skipped an event' "$LOG"

# -- broken JSON in the stream: drop the connection, resume --
ctl "malformed?mode=syntax" >/dev/null
ctl "service?name=after-syntax&ip=10.96.0.32" >/dev/null
check_within "event after broken JSON is applied" 2000 after-syntax.default.$Z A 10.96.0.32
check_true "broken JSON logged" grep -q 'broken JSON, dropping the connection' "$LOG"
check_eq "still no relist" "$lists_before" "$(count_requests 'LIST services')"
check_eq "old data still there" 10.96.0.10 "$(short web.default.$Z A)"

# -- an ERROR event that is not 410: watch again, no relist --
ctl "errorevent?code=500" >/dev/null
check_true "the 500 ERROR event is logged, and the watch resumed" \
	wait_for 3 grep -q 'ERROR event 500 .*watching again' "$LOG"
ctl "service?name=after-error&ip=10.96.0.33" >/dev/null
check_within "event after a 500 ERROR event is applied" 3000 after-error.default.$Z A 10.96.0.33
check_eq "no relist after a 500 ERROR event" "$lists_before" "$(count_requests 'LIST services')"

# -- a watch that ends cleanly (timeoutSeconds) is renewed --
# bookmarks arrive every second; the client keeps their resourceVersion
sleep 1.5
check_true "bookmark resourceVersion used on resume" \
	grep -Eq 'services: watch from resourceVersion [0-9]+' "$LOG"
alive
finish
