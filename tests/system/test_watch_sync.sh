#!/bin/bash
# test_watch_sync.sh - svcdns --apiserver against the fake API server over
# plain HTTP (the kubectl proxy case): the initial paged list, then adds,
# modifications and deletions of services and endpoints, each visible in DNS
# within 1 s.
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi --bookmark-interval 1
Z=svc.cluster.local

# 620 services: the initial list takes two pages of 500
cfg=$WORK/bulk.curl
for i in $(seq 1 620); do
	echo "url = \"http://127.0.0.1:$CTL_PORT/ctl/service?ns=bulk&name=s$i&ip=10.97.$((i / 250)).$((i % 250 + 1))\""
	echo "output = /dev/null"
done >"$cfg"
curl -s --max-time 60 -K "$cfg"
ctl "service?name=web&ip=10.96.0.10" >/dev/null
ctl "service?name=hl&ip=None&port=80" >/dev/null
ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.1,10.1.0.2" >/dev/null

start_svcdns_api "http://127.0.0.1:$API_PORT" --log-level debug
check_within "initial sync: web" 3000 web.default.$Z A 10.96.0.10
check_within "initial sync: headless endpoints" 1000 hl.default.$Z A "10.1.0.1
10.1.0.2"
check_eq "initial sync: last page of the paged list" "10.97.2.121" "$(short s620.bulk.$Z A)"
check_eq "the list was read in 2 pages" 2 "$(count_requests 'LIST services .* -> 200')"
check_true "the list continued with a token" grep -q . <(api_log | grep 'LIST services .*continue=yes')

ctl "service?name=new1&ip=10.96.0.21" >/dev/null
check_within "added service within 1 s" 1000 new1.default.$Z A 10.96.0.21
ctl "service?name=web&ip=10.96.0.99" >/dev/null
check_within "modified service within 1 s" 1000 web.default.$Z A 10.96.0.99
ctl "delete?resource=services&name=new1" >/dev/null
check_within "deleted service within 1 s" 1000 new1.default.$Z A ""
expect_rcode "deleted service is NXDOMAIN" NXDOMAIN new1.default.$Z A

ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.1,10.1.0.2,10.1.0.3" >/dev/null
check_within "endpoint added within 1 s" 1000 hl.default.$Z A "10.1.0.1
10.1.0.2
10.1.0.3"
ctl "slice?name=hl-fghij&service=hl&ips=fd00::7" >/dev/null
check_within "second slice (IPv6) within 1 s" 1000 hl.default.$Z AAAA "fd00::7"
ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.3" >/dev/null
check_within "endpoints removed within 1 s" 1000 hl.default.$Z A "10.1.0.3"
ctl "slice?name=hl-abcde&service=hl&ips=10.1.0.3,10.1.0.4&notready=1" >/dev/null
check_within "not-ready endpoints leave the answer" 1000 hl.default.$Z A ""
ctl "delete?resource=endpointslices&name=hl-fghij" >/dev/null
check_within "deleted slice within 1 s" 1000 hl.default.$Z AAAA ""

check_eq "no relist during all that" 1 "$(api_log | grep -c 'LIST services rv= limit=500 continue= ')"
check_true "watches asked for bookmarks" grep -q 'WATCH services rv=[0-9]' <(api_log)
alive
finish
