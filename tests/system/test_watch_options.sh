#!/bin/bash
# test_watch_options.sh - the kubernetes plugin's options that change what
# svcdns answers, from the API (the fake server): --ignore-empty-service (a
# ClusterIP Service without ready endpoints is NXDOMAIN, and answers once
# an endpoint is ready) and --no-endpoints (no EndpointSlice watch at all,
# headless Services and endpoint names NXDOMAIN, cluster IPs kept).
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi
Z=svc.cluster.local
ctl "service?name=web&ip=10.96.0.10" >/dev/null
ctl "service?name=idle&ip=10.96.0.11" >/dev/null
ctl "service?name=hl&ip=None&port=80" >/dev/null
ctl "slice?name=web-1&service=web&ips=10.1.0.1" >/dev/null
ctl "slice?name=hl-1&service=hl&ips=10.1.1.1" >/dev/null

# ---- --ignore-empty-service ---------------------------------------------------
start_svcdns_api "http://127.0.0.1:$API_PORT" --ignore-empty-service
check_within "--ignore-empty-service: a Service with a ready endpoint answers" 3000 \
	web.default.$Z A 10.96.0.10
expect_rcode "--ignore-empty-service: one without is NXDOMAIN" NXDOMAIN idle.default.$Z A
expect_rcode "--ignore-empty-service: its SRV name too" NXDOMAIN _http._tcp.idle.default.$Z SRV
check_eq "--ignore-empty-service: its cluster IP's PTR stays" "idle.default.$Z." \
	"$(short 11.0.96.10.in-addr.arpa PTR)"
ctl "slice?name=idle-1&service=idle&ips=10.1.2.1" >/dev/null
check_within "--ignore-empty-service: answers once an endpoint is ready" 1000 \
	idle.default.$Z A 10.96.0.11
ctl "slice?name=idle-1&service=idle&ips=10.1.2.1&notready=1" >/dev/null
check_within "--ignore-empty-service: NXDOMAIN again when it is not" 1000 idle.default.$Z A ""
expect_rcode "--ignore-empty-service: (rcode)" NXDOMAIN idle.default.$Z A
stop_server "$PID"

# ---- --no-endpoints -----------------------------------------------------------
before=$(count_requests 'endpointslices')
start_svcdns_api "http://127.0.0.1:$API_PORT" --no-endpoints
check_within "--no-endpoints: cluster IPs answer" 3000 web.default.$Z A 10.96.0.10
expect_rcode "--no-endpoints: a headless Service is NXDOMAIN" NXDOMAIN hl.default.$Z A
expect_rcode "--no-endpoints: endpoint names are NXDOMAIN" NXDOMAIN 10-1-0-1.web.default.$Z A
check_eq "--no-endpoints: no EndpointSlice list or watch" "$before" "$(count_requests 'endpointslices')"
alive
finish
