#!/bin/bash
# test_watch_namespaces.sh - with an API server, namespaces come from the
# Namespace objects svcdns lists and watches, not only from the Services in
# them (as CoreDNS, which watches namespaces, answers): an empty namespace's
# <ns>.svc is NODATA and its pod names resolve with --pods insecure; a
# deleted one is NXDOMAIN. And an endpoint address in the slices of two
# headless services answers one PTR per service.
. "$(dirname "$0")/watch_lib.sh"

start_fakeapi
Z=cluster.local
ctl "namespace?name=default" >/dev/null
ctl "namespace?name=podns" >/dev/null
ctl "service?name=web&ip=10.96.0.10" >/dev/null

# put RESOURCE JSON: one object through the control port.
put() {
	curl -s --max-time 10 -X POST --data-binary "$2" \
		"http://127.0.0.1:$CTL_PORT/ctl/put?resource=$1" >/dev/null
}
headless_with_host() { # NAME: a headless service in testns with double-ep at 10.0.0.100
	put services '{"metadata": {"name": "'"$1"'", "namespace": "testns"},
		"spec": {"clusterIP": "None", "clusterIPs": ["None"],
		         "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}'
	put endpointslices '{"metadata": {"name": "'"$1"'-x1", "namespace": "testns",
		"labels": {"kubernetes.io/service-name": "'"$1"'"}},
		"addressType": "IPv4",
		"endpoints": [{"addresses": ["10.0.0.100"], "hostname": "double-ep",
		               "conditions": {"ready": true}}],
		"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}'
}
ctl "namespace?name=testns" >/dev/null
headless_with_host svc1
headless_with_host svc2

start_svcdns_api "http://127.0.0.1:$API_PORT" --pods insecure
check_within "initial sync" 3000 web.default.svc.$Z A 10.96.0.10
expect "a namespace without services exists: <ns>.svc is NODATA" podns.svc.$Z A <<OUT
rcode NOERROR
flags qr aa
authority $Z. 5 IN SOA ns.dns.$Z. hostmaster.$Z. SERIAL 7200 1800 86400 5
OUT
check_within "--pods insecure: a pod name in a namespace without services" 1000 \
	10-240-0-1.podns.pod.$Z A 10.240.0.1
expect_rcode "a namespace that does not exist: NXDOMAIN" NXDOMAIN nosuchns.svc.$Z A
expect_rcode "its pod names: NXDOMAIN" NXDOMAIN 10-240-0-1.nosuchns.pod.$Z A

ctl "namespace?name=later" >/dev/null
check_within "a namespace created later: its pod names within 1 s" 1000 \
	10-240-0-2.later.pod.$Z A 10.240.0.2
ctl "delete?resource=namespaces&ns=&name=podns" >/dev/null
check_within "a deleted namespace: its pod names go within 1 s" 1000 \
	10-240-0-1.podns.pod.$Z A ""
expect_rcode "a deleted namespace: NXDOMAIN" NXDOMAIN podns.svc.$Z A

check_within "an address in two headless services: one PTR each" 1000 \
	100.0.0.10.in-addr.arpa PTR "double-ep.svc1.testns.svc.$Z.
double-ep.svc2.testns.svc.$Z."
ctl "delete?resource=endpointslices&ns=testns&name=svc1-x1" >/dev/null
check_within "one slice deleted: the other service's PTR stays" 1000 \
	100.0.0.10.in-addr.arpa PTR "double-ep.svc2.testns.svc.$Z."
check_true "namespaces listed and watched" grep -q 'WATCH namespaces rv=[0-9]' <(api_log)
alive
finish
