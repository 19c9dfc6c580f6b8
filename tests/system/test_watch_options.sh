#!/bin/bash
# test_watch_options.sh - the kubernetes plugin's options that change what
# svcdns answers, from the API (the fake server): --ignore-empty-service (a
# ClusterIP Service without ready endpoints is NXDOMAIN, and answers once
# an endpoint is ready), --no-endpoints (no EndpointSlice watch at all,
# headless Services and endpoint names NXDOMAIN, cluster IPs kept) and
# --namespaces (only those namespaces' objects are kept); --multicluster
# against an API without the ServiceImport CRD (the fake server answers 404):
# the cluster's names are served all the same.
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
stop_server "$PID"

# ---- --namespaces -------------------------------------------------------------
ctl "service?ns=kept&name=api&ip=10.96.5.1" >/dev/null
start_svcdns_api "http://127.0.0.1:$API_PORT" --namespaces kept
check_within "--namespaces kept: a Service of kept answers" 3000 api.kept.$Z A 10.96.5.1
expect_rcode "--namespaces kept: one of default does not" NXDOMAIN web.default.$Z A
ctl "service?ns=kept&name=later&ip=10.96.5.2" >/dev/null
ctl "service?ns=default&name=later&ip=10.96.0.77" >/dev/null
check_within "--namespaces kept: a Service created in kept later" 1000 later.kept.$Z A 10.96.5.2
expect_rcode "--namespaces kept: and not the one created in default" NXDOMAIN later.default.$Z A
alive
stop_server "$PID"

# ---- --multicluster without the CRD ---------------------------------------------
start_svcdns_api "http://127.0.0.1:$API_PORT" --multicluster clusterset.local
check_within "--multicluster, no ServiceImport API (404): the cluster's names answer" 3000 \
	web.default.$Z A 10.96.0.10
check_true "  ... its ServiceImports were asked for" \
	test "$(count_requests 'serviceimports.* -> 404')" -ge 1
check_true "  ... the log says why the zone has no imports" \
	grep -q 'serviceimports: HTTP 404: the API has no ServiceImports' "$LOG"
expect_rcode "  ... clusterset.local is served, empty" NOERROR clusterset.local SOA
expect_rcode "  ... a name there is NXDOMAIN" NXDOMAIN web.default.svc.clusterset.local A
alive
finish
