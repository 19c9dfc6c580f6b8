#!/bin/sh
# test_multicluster.sh - --multicluster clusterset.local: the names of the
# Multi-Cluster Services API (KEP-1645) from ServiceImports and the
# EndpointSlices labelled multicluster.kubernetes.io/service-name, in the
# shapes of CoreDNS's multicluster option (plugin/kubernetes, v1.12.2+):
#   <svc>.<ns>.svc.clusterset.local            a ClusterSetIP import's spec.ips,
#                                              a Headless one's ready endpoints
#   _<port>._<proto>.<svc>.<ns>.svc...        SRV per named port
#   <hostname>.<cluster>.<svc>.<ns>.svc...    an endpoint, in the cluster its
#                                              slice's source-cluster label names
# Services stay in cluster.local, imports in clusterset.local; two labels
# without underscores below an import are an endpoint and its cluster, not
# a port and protocol; imports have no PTRs. Then the same after the files
# change, as a watch would change them.
. "${TESTDIR:?}/system/lib.sh"

DIR=$(copy_demo)
# import IMPORT-NAME TYPE IPS PORTS
import() {
	printf '{"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
  "metadata": {"name": "%s", "namespace": "prod"}, "spec": {"type": "%s", "ips": [%s], "ports": [%s]}}' \
		"$1" "$2" "$3" "$4"
}
# slice NAME IMPORT CLUSTER ENDPOINTS [PORTS]
slice() {
	printf '{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "%s", "namespace": "prod",
  "labels": {"multicluster.kubernetes.io/service-name": "%s", "multicluster.kubernetes.io/source-cluster": "%s"}},
  "addressType": "IPv4", "endpoints": [%s], "ports": [%s]}' "$1" "$2" "$3" "$4" "${5:-$PG}"
}
ep() { # ADDRESS [HOSTNAME [READY]]
	printf '{"addresses": ["%s"]%s, "conditions": {"ready": %s}}' "$1" \
		"${2:+, \"hostname\": \"$2\"}" "${3:-true}"
}
PG='{"name": "pg", "port": 5432, "protocol": "TCP"}'
WEB_PORTS='{"name": "http", "port": 80, "protocol": "TCP"}, {"port": 8080, "protocol": "UDP"}'
WEB_IPS='"10.42.0.5", "fd00::5"'
DB_TYPE=Headless
WITH_WEST=1
WITH_WEB=1
write_mcs() {
	{
		echo '{"apiVersion": "v1", "kind": "List", "items": ['
		echo '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}},'
		echo '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "prod"},
  "spec": {"clusterIP": "10.96.7.10", "clusterIPs": ["10.96.7.10"], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},'
		[ -n "$WITH_WEB" ] && echo "$(import web ClusterSetIP "$WEB_IPS" "$WEB_PORTS"),"
		echo "$(import db "$DB_TYPE" '"10.42.0.7"' "$PG"),"
		echo "$(import bare ClusterSetIP '"10.42.0.9"' ''),"
		echo "$(slice web-east web east "$(ep 10.1.1.1 w1)" '{"name": "http", "port": 80, "protocol": "TCP"}'),"
		[ -n "$WITH_WEST" ] && echo "$(slice db-west db west "$(ep 10.2.0.1 db-0)"),"
		slice db-east db east "$(ep 10.1.0.1 db-0), $(ep 10.1.0.2), $(ep 10.1.0.3 db-3 false)"
		echo ']}'
	} >"$DIR/mcs.json.tmp" && mv "$DIR/mcs.json.tmp" "$DIR/mcs.json"
}
write_mcs

start_server "$DIR" --multicluster clusterset.local --pods insecure
Z=svc.clusterset.local

# answers NAME TYPE: the answer section alone, normalised
answers() { q "$1" "$2" | sed -n 's/^answer //p'; }
rcode() { q "$1" "$2" | sed -n 's/^rcode //p'; }

# ---- a ClusterSetIP import ---------------------------------------------------------
check_eq "ClusterSetIP import: A of spec.ips" \
	"web.prod.$Z. 5 IN A 10.42.0.5" "$(answers web.prod.$Z A)"
check_eq "ClusterSetIP import: AAAA of spec.ips" \
	"web.prod.$Z. 5 IN AAAA fd00::5" "$(answers web.prod.$Z AAAA)"
expect_rcode "ClusterSetIP import: NOERROR" NOERROR web.prod.$Z A
aa() { q "$1" "$2" | grep -q '^flags .*aa'; }
check_true "  ... with aa" aa web.prod.$Z A
# SRV at the name: one per (address, port), weight 100/4, duplicates gone
check_eq "ClusterSetIP import: SRV of every port, target the import" \
	"$(printf 'web.prod.%s. 5 IN SRV 0 25 80 web.prod.%s.\nweb.prod.%s. 5 IN SRV 0 25 8080 web.prod.%s.' $Z $Z $Z $Z)" \
	"$(answers web.prod.$Z SRV)"
check_eq "_http._tcp: SRV of the named port, weight 100/2 addresses" \
	"_http._tcp.web.prod.$Z. 5 IN SRV 0 50 80 web.prod.$Z." "$(answers _http._tcp.web.prod.$Z SRV)"
check_eq "_http.tcp (one underscore): still a port and protocol" \
	"_http.tcp.web.prod.$Z. 5 IN SRV 0 50 80 web.prod.$Z." "$(answers _http.tcp.web.prod.$Z SRV)"
expect_rcode "http.tcp (no underscore): an endpoint 'http' in cluster 'tcp', none: NXDOMAIN" \
	NXDOMAIN http.tcp.web.prod.$Z SRV
check_eq "_http.tcp exists for A too: NODATA" "NOERROR" "$(rcode _http.tcp.web.prod.$Z A)"
check_eq "  ... with no answer" "" "$(answers _http.tcp.web.prod.$Z A)"
expect_rcode "http.tcp A (no underscore): NXDOMAIN, as SRV" NXDOMAIN http.tcp.web.prod.$Z A
check_eq "http._tcp in cluster.local exists for A too: NODATA" "NOERROR" \
	"$(rcode http._tcp.web.prod.svc.cluster.local A)"
check_eq "http.tcp in cluster.local: the underscore-less SRV name CoreDNS answers" \
	"http.tcp.web.prod.svc.cluster.local. 5 IN SRV 0 100 80 web.prod.svc.cluster.local." \
	"$(answers http.tcp.web.prod.svc.cluster.local SRV)"
check_eq "a ClusterSetIP import's endpoint: <hostname>.<cluster>.<import>" \
	"w1.east.web.prod.$Z. 5 IN A 10.1.1.1" "$(answers w1.east.web.prod.$Z A)"
expect_rcode "an import without ports has no name (CoreDNS answers per port)" \
	NXDOMAIN bare.prod.$Z A

# ---- a Headless import -------------------------------------------------------------
check_eq "Headless import: A of every ready endpoint of every cluster" \
	"$(printf 'db.prod.%s. 5 IN A %s\n' $Z 10.1.0.1 $Z 10.1.0.2 $Z 10.2.0.1)" \
	"$(answers db.prod.$Z A)"
check_eq "Headless import: _pg._tcp SRV per endpoint, targets in their clusters" \
	"$(printf '_pg._tcp.db.prod.%s. 5 IN SRV 0 33 5432 %s.db.prod.%s.\n' \
		$Z 10-1-0-2.east $Z $Z db-0.east $Z $Z db-0.west $Z | LC_ALL=C sort)" \
	"$(answers _pg._tcp.db.prod.$Z SRV)"
check_eq "endpoint with hostname, cluster east" \
	"db-0.east.db.prod.$Z. 5 IN A 10.1.0.1" "$(answers db-0.east.db.prod.$Z A)"
check_eq "the same hostname in cluster west is another name" \
	"db-0.west.db.prod.$Z. 5 IN A 10.2.0.1" "$(answers db-0.west.db.prod.$Z A)"
check_eq "endpoint without hostname: its dashed address" \
	"10-1-0-2.east.db.prod.$Z. 5 IN A 10.1.0.2" "$(answers 10-1-0-2.east.db.prod.$Z A)"
expect_rcode "a not-ready endpoint has no name" NXDOMAIN db-3.east.db.prod.$Z A
expect_rcode "a cluster with no such endpoint" NXDOMAIN db-0.north.db.prod.$Z A
expect_rcode "<cluster>.<import> alone is no name (CoreDNS: NXDOMAIN)" NXDOMAIN east.db.prod.$Z A
expect_rcode "an endpoint without its cluster label is no name" NXDOMAIN db-0.db.prod.$Z A

# ---- the zone, namespaces, and the other zones ---------------------------------------------
check_eq "dns-version.clusterset.local" \
	"dns-version.clusterset.local. 28800 IN TXT \"1.1.0\"" "$(answers dns-version.clusterset.local TXT)"
expect_rcode "clusterset.local SOA" NOERROR clusterset.local SOA
check_eq "an existing namespace: NODATA" "NOERROR" "$(rcode prod.$Z A)"
check_eq "  ... with no answer" "" "$(answers prod.$Z A)"
expect_rcode "a namespace that does not exist" NXDOMAIN nope.$Z A
expect_rcode "no such import" NXDOMAIN api.prod.$Z A
check_eq "pods insecure in the multicluster zone too (as CoreDNS)" \
	"1-2-3-4.prod.pod.clusterset.local. 5 IN A 1.2.3.4" "$(answers 1-2-3-4.prod.pod.clusterset.local A)"
check_eq "the Service of the same name stays in cluster.local" \
	"web.prod.svc.cluster.local. 5 IN A 10.96.7.10" "$(answers web.prod.svc.cluster.local A)"
expect_rcode "imports are not named in cluster.local" NXDOMAIN db.prod.svc.cluster.local A
check_eq "imports have no PTR (CoreDNS has none)" "" "$(answers 5.0.42.10.in-addr.arpa PTR)"
check_eq "... the Service's PTR is the cluster.local name" \
	"10.7.96.10.in-addr.arpa. 5 IN PTR web.prod.svc.cluster.local." "$(answers 10.7.96.10.in-addr.arpa PTR)"
alive

# ---- changes -------------------------------------------------------------------------------
has() { answers "$1" "$2" | grep -q "$3"; }
hasnt() { ! answers "$1" "$2" | grep -q "$3"; }
WEB_IPS='"10.42.0.6"'
write_mcs
check_true "spec.ips changed: the new address" wait_for 10 has web.prod.$Z A 10.42.0.6
check_true "... the old one gone" hasnt web.prod.$Z A 10.42.0.5
check_eq "... and its AAAA gone (NODATA)" "" "$(answers web.prod.$Z AAAA)"
WITH_WEST=
write_mcs
check_true "a slice removed: its cluster's endpoint goes" \
	wait_for 10 sh -c "[ \"\$(dig @127.0.0.1 -p $PORT +norec +short db-0.west.db.prod.$Z A)\" = '' ]"
expect_rcode "  ... NXDOMAIN" NXDOMAIN db-0.west.db.prod.$Z A
check_true "  ... and its address leaves the import's A" hasnt db.prod.$Z A 10.2.0.1
DB_TYPE=ClusterSetIP
write_mcs
check_true "Headless -> ClusterSetIP: the import's address" wait_for 10 has db.prod.$Z A 10.42.0.7
check_true "  ... instead of the endpoints'" hasnt db.prod.$Z A 10.1.0.1
check_eq "  ... whose names stay (CoreDNS answers endpoint names of every import)" \
	"db-0.east.db.prod.$Z. 5 IN A 10.1.0.1" "$(answers db-0.east.db.prod.$Z A)"
WITH_WEB=
write_mcs
check_true "an import removed: NXDOMAIN" \
	wait_for 10 sh -c "dig @127.0.0.1 -p $PORT +norec web.prod.$Z A | grep -q NXDOMAIN"
check_eq "  ... the Service of its name stays" \
	"web.prod.svc.cluster.local. 5 IN A 10.96.7.10" "$(answers web.prod.svc.cluster.local A)"
check_eq "  ... the endpoint names of its slice go with it" "NXDOMAIN" "$(rcode w1.east.web.prod.$Z A)"
alive
stop_server "$PID"

# ---- --no-endpoints: CoreDNS's noendpoints leaves the multicluster endpoints -------------
DB_TYPE=Headless
write_mcs
start_server "$DIR" --multicluster clusterset.local --no-endpoints
check_eq "--no-endpoints: a Headless import keeps its endpoints" \
	"$(printf 'db.prod.%s. 5 IN A %s\n' $Z 10.1.0.1 $Z 10.1.0.2)" "$(answers db.prod.$Z A)"
check_eq "  ... and their names" \
	"db-0.east.db.prod.$Z. 5 IN A 10.1.0.1" "$(answers db-0.east.db.prod.$Z A)"
expect_rcode "  ... while a headless Service of cluster.local has none" \
	NXDOMAIN db.data.svc.cluster.local A
stop_server "$PID"

# ---- without the option ------------------------------------------------------------------
start_server "$DIR"
expect_rcode "without --multicluster, clusterset.local is not served" REFUSED db.prod.$Z A
check_eq "  ... and cluster.local is the same" \
	"web.prod.svc.cluster.local. 5 IN A 10.96.7.10" "$(answers web.prod.svc.cluster.local A)"
stop_server "$PID"

finish
