#!/bin/sh
# test_records.sh - every record kind of issue 2 against a copy of zones/demo.
# Expected answers come from the Kubernetes DNS spec 1.1.0 and CoreDNS's
# default shapes as issue 2 and shared/reference/anchors.md describe them.
. "${TESTDIR:?}/system/lib.sh"
require_tool kdig knot-dnsutils

Z=cluster.local
SOA="$Z. 5 IN SOA ns.dns.$Z. hostmaster.$Z. SERIAL 7200 1800 86400 5"

DEMO=$(copy_demo)
# Extra objects for the parser's edge cases (issue 2, "Sources of cluster
# data"): unknown kinds and fields ignored, null lists, the legacy
# tolerate-unready-endpoints annotation, Endpoints ignored where a slice
# exists, ExternalName chains and loops.
cat >"$DEMO/edge-cases.json" <<'JSON'
{
    "apiVersion": "v1",
    "kind": "List",
    "metadata": {"resourceVersion": ""},
    "items": [
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": ".:53 { kubernetes cluster.local }"}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 3}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "odd", "namespace": "edge", "futureField": {"x": [1, 2, {"y": null}]}},
         "spec": {"clusterIP": "10.96.77.1", "type": "ClusterIP", "ports": null,
                  "someNewSpecField": true, "selector": null},
         "status": null},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "legacy-unready", "namespace": "edge",
                      "annotations": {"service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"}},
         "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP",
                  "ports": [{"name": "tcp", "port": 9000, "protocol": "TCP", "targetPort": 9000}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
         "metadata": {"name": "legacy-unready-abcde", "namespace": "edge",
                      "labels": {"kubernetes.io/service-name": "legacy-unready"}},
         "endpoints": [{"addresses": ["10.244.7.1"], "conditions": {"ready": false}}],
         "ports": [{"name": "tcp", "port": 9000, "protocol": "TCP"}]},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "empty-headless", "namespace": "edge"},
         "spec": {"clusterIP": "None", "type": "ClusterIP", "ports": [{"name": "x", "port": 1, "protocol": "TCP"}]}},
        {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
         "metadata": {"name": "empty-headless-xyz", "namespace": "edge",
                      "labels": {"kubernetes.io/service-name": "empty-headless"}},
         "endpoints": null, "ports": null},
        {"apiVersion": "v1", "kind": "Endpoints",
         "metadata": {"name": "web", "namespace": "shop"},
         "subsets": [{"addresses": [{"ip": "10.244.9.9"}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "alias2", "namespace": "edge"},
         "spec": {"type": "ExternalName", "externalName": "storefront.shop.svc.cluster.local"}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "loop-a", "namespace": "edge"},
         "spec": {"type": "ExternalName", "externalName": "loop-b.edge.svc.cluster.local"}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "loop-b", "namespace": "edge"},
         "spec": {"type": "ExternalName", "externalName": "loop-a.edge.svc.cluster.local"}}
    ]
}
JSON
cat >"$DEMO/null-items.json" <<'JSON'
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSliceList", "metadata": {"resourceVersion": "1"}, "items": null}
JSON
start_server "$DEMO"
echo "# server A: defaults (ttl 5, cluster.local, pods disabled) on port $PORT"

# ---- ClusterIP services ------------------------------------------------------
expect "ClusterIP A" kubernetes.default.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.$Z. 5 IN A 10.96.0.1
EOF
expect "ClusterIP A with RD set: RD copied" kubernetes.default.svc.$Z A +rec <<EOF
rcode NOERROR
flags qr aa rd
answer kubernetes.default.svc.$Z. 5 IN A 10.96.0.1
EOF
expect "ClusterIP A without EDNS" kubernetes.default.svc.$Z A +noedns <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.$Z. 5 IN A 10.96.0.1
EOF
expect "ClusterIP A over TCP" kubernetes.default.svc.$Z A +tcp <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.$Z. 5 IN A 10.96.0.1
EOF
expect "kube-dns A" kube-dns.kube-system.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer kube-dns.kube-system.svc.$Z. 5 IN A 10.96.0.10
EOF
expect "multi-port ClusterIP A: one record" web.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "AAAA on a v4-only ClusterIP service: NODATA" kubernetes.default.svc.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "AAAA on a v4-only service, RD set: NODATA, RD copied" kubernetes.default.svc.$Z AAAA +rec <<EOF
rcode NOERROR
flags qr aa rd
authority $SOA
EOF
expect "TXT on a service name: NODATA" kubernetes.default.svc.$Z TXT <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "dual-stack LoadBalancer A (cluster IP only, not the LB ingress)" frontend.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer frontend.shop.svc.$Z. 5 IN A 10.96.200.10
EOF
expect "dual-stack AAAA" frontend.shop.svc.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
answer frontend.shop.svc.$Z. 5 IN AAAA fd00:10:96::c8
EOF

# ---- headless services ---------------------------------------------------------
expect "headless A: only ready endpoints" db.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer db.data.svc.$Z. 5 IN A 10.244.1.10
answer db.data.svc.$Z. 5 IN A 10.244.2.11
EOF
expect "headless AAAA with v4-only endpoints: NODATA" db.data.svc.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "headless publishNotReadyAddresses: not-ready endpoint included" zk.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer zk.data.svc.$Z. 5 IN A 10.244.1.20
answer zk.data.svc.$Z. 5 IN A 10.244.2.21
EOF
expect "headless from a v1 Endpoints object (notReadyAddresses left out)" external-db.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer external-db.data.svc.$Z. 5 IN A 192.168.10.20
answer external-db.data.svc.$Z. 5 IN A 192.168.10.21
EOF
expect "headless service with no ready endpoints: NXDOMAIN" reports.shop.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF

# ---- endpoint names ----------------------------------------------------------------
expect "endpoint hostname A" db-0.db.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer db-0.db.data.svc.$Z. 5 IN A 10.244.1.10
EOF
expect "endpoint hostname A (second)" db-1.db.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer db-1.db.data.svc.$Z. 5 IN A 10.244.2.11
EOF
expect "not-ready endpoint hostname: NXDOMAIN" db-2.db.data.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "not-ready endpoint hostname under publishNotReadyAddresses" zk-1.zk.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer zk-1.zk.data.svc.$Z. 5 IN A 10.244.2.21
EOF
expect "endpoint with a hostname has no dashed-IP name" 10-244-1-10.db.data.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "dashed-IP endpoint name of a ClusterIP service" 10-244-1-5.web.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 10-244-1-5.web.shop.svc.$Z. 5 IN A 10.244.1.5
EOF
expect "dashed-IP name of a not-ready endpoint: NXDOMAIN" 10-244-2-9.web.shop.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "dashed-IP name, endpoint with conditions {} (ready absent = ready)" 10-244-1-7.cache.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 10-244-1-7.cache.shop.svc.$Z. 5 IN A 10.244.1.7
EOF
expect "dashed-IP name from a v1 Endpoints object" 192-168-10-21.external-db.data.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 192-168-10-21.external-db.data.svc.$Z. 5 IN A 192.168.10.21
EOF
expect "dashed-IP name of the kubernetes endpoint" 172-18-0-2.kubernetes.default.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 172-18-0-2.kubernetes.default.svc.$Z. 5 IN A 172.18.0.2
EOF
expect "dashed IPv4 endpoint of the dual-stack service" 10-244-1-8.frontend.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 10-244-1-8.frontend.shop.svc.$Z. 5 IN A 10.244.1.8
EOF
expect "dashed IPv6 endpoint name (fd00-10-244-1--8)" fd00-10-244-1--8.frontend.shop.svc.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
answer fd00-10-244-1--8.frontend.shop.svc.$Z. 5 IN AAAA fd00:10:244:1::8
EOF

# ---- SRV -------------------------------------------------------------------------------
expect "SRV _http._tcp of a ClusterIP service, A in additional" _http._tcp.web.shop.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _http._tcp.web.shop.svc.$Z. 5 IN SRV 0 100 80 web.shop.svc.$Z.
additional web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "SRV _https._tcp (targetPort by name)" _https._tcp.web.shop.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _https._tcp.web.shop.svc.$Z. 5 IN SRV 0 100 443 web.shop.svc.$Z.
additional web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "SRV without underscores (http.tcp.web...)" http.tcp.web.shop.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer http.tcp.web.shop.svc.$Z. 5 IN SRV 0 100 80 web.shop.svc.$Z.
additional web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "SRV port/proto labels case-insensitive, owner echoed" _HTTPS._Tcp.web.shop.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _HTTPS._Tcp.web.shop.svc.$Z. 5 IN SRV 0 100 443 web.shop.svc.$Z.
additional web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "SRV _dns._udp of kube-dns" _dns._udp.kube-dns.kube-system.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _dns._udp.kube-dns.kube-system.svc.$Z. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.$Z.
additional kube-dns.kube-system.svc.$Z. 5 IN A 10.96.0.10
EOF
expect "SRV _dns-tcp._tcp of kube-dns" _dns-tcp._tcp.kube-dns.kube-system.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _dns-tcp._tcp.kube-dns.kube-system.svc.$Z. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.$Z.
additional kube-dns.kube-system.svc.$Z. 5 IN A 10.96.0.10
EOF
expect "SRV with the wrong protocol (_dns._tcp, dns is UDP): NXDOMAIN" _dns._tcp.kube-dns.kube-system.svc.$Z SRV <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "SRV of an unknown port name: NXDOMAIN" _nope._tcp.web.shop.svc.$Z SRV <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "SRV on the bare service name, single port" kubernetes.default.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.$Z. 5 IN SRV 0 100 443 kubernetes.default.svc.$Z.
additional kubernetes.default.svc.$Z. 5 IN A 10.96.0.1
EOF
# CoreDNS: weight = floor(100 / number of SRV records) = 50 for two ports.
expect "SRV on the bare service name lists all ports (CoreDNS weight 100/n)" web.shop.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer web.shop.svc.$Z. 5 IN SRV 0 50 80 web.shop.svc.$Z.
answer web.shop.svc.$Z. 5 IN SRV 0 50 443 web.shop.svc.$Z.
additional web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
expect "headless SRV: one per ready endpoint, weight 100/2, glue A" _postgres._tcp.db.data.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _postgres._tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-0.db.data.svc.$Z.
answer _postgres._tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-1.db.data.svc.$Z.
additional db-0.db.data.svc.$Z. 5 IN A 10.244.1.10
additional db-1.db.data.svc.$Z. 5 IN A 10.244.2.11
EOF
expect "headless SRV without underscores" postgres.tcp.db.data.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer postgres.tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-0.db.data.svc.$Z.
answer postgres.tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-1.db.data.svc.$Z.
additional db-0.db.data.svc.$Z. 5 IN A 10.244.1.10
additional db-1.db.data.svc.$Z. 5 IN A 10.244.2.11
EOF
expect "headless bare SRV: 2 endpoints x 3 ports, weight floor(100/6)=16" zk.data.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer zk.data.svc.$Z. 5 IN SRV 0 16 2181 zk-0.zk.data.svc.$Z.
answer zk.data.svc.$Z. 5 IN SRV 0 16 2181 zk-1.zk.data.svc.$Z.
answer zk.data.svc.$Z. 5 IN SRV 0 16 2888 zk-0.zk.data.svc.$Z.
answer zk.data.svc.$Z. 5 IN SRV 0 16 2888 zk-1.zk.data.svc.$Z.
answer zk.data.svc.$Z. 5 IN SRV 0 16 3888 zk-0.zk.data.svc.$Z.
answer zk.data.svc.$Z. 5 IN SRV 0 16 3888 zk-1.zk.data.svc.$Z.
additional zk-0.zk.data.svc.$Z. 5 IN A 10.244.1.20
additional zk-1.zk.data.svc.$Z. 5 IN A 10.244.2.21
EOF
expect "headless SRV with dashed-IP targets (v1 Endpoints)" _mysql._tcp.external-db.data.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _mysql._tcp.external-db.data.svc.$Z. 5 IN SRV 0 50 3306 192-168-10-20.external-db.data.svc.$Z.
answer _mysql._tcp.external-db.data.svc.$Z. 5 IN SRV 0 50 3306 192-168-10-21.external-db.data.svc.$Z.
additional 192-168-10-20.external-db.data.svc.$Z. 5 IN A 192.168.10.20
additional 192-168-10-21.external-db.data.svc.$Z. 5 IN A 192.168.10.21
EOF

# ---- PTR -----------------------------------------------------------------------------------
expect "PTR of a cluster IP" 1.0.96.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 1.0.96.10.in-addr.arpa. 5 IN PTR kubernetes.default.svc.$Z.
EOF
expect "PTR of the kube-dns cluster IP" 10.0.96.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 10.0.96.10.in-addr.arpa. 5 IN PTR kube-dns.kube-system.svc.$Z.
EOF
expect "PTR of a headless endpoint with hostname" 10.1.244.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 10.1.244.10.in-addr.arpa. 5 IN PTR db-0.db.data.svc.$Z.
EOF
expect "PTR of a ClusterIP service's endpoint (dashed name)" 5.1.244.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 5.1.244.10.in-addr.arpa. 5 IN PTR 10-244-1-5.web.shop.svc.$Z.
EOF
expect "PTR of an endpoint from a v1 Endpoints object" 20.10.168.192.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 20.10.168.192.in-addr.arpa. 5 IN PTR 192-168-10-20.external-db.data.svc.$Z.
EOF
R6=8.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa
expect "PTR of the dual-stack IPv6 cluster IP (ip6.arpa nibbles)" $R6 PTR <<EOF
rcode NOERROR
flags qr aa
answer $R6. 5 IN PTR frontend.shop.svc.$Z.
EOF
R6E=8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.4.4.2.0.0.1.0.0.0.0.d.f.ip6.arpa
expect "PTR of an IPv6 endpoint" $R6E PTR <<EOF
rcode NOERROR
flags qr aa
answer $R6E. 5 IN PTR fd00-10-244-1--8.frontend.shop.svc.$Z.
EOF
# dig -x builds the reverse name itself
got=$(d +norec +short -x 10.96.0.1)
check_eq "dig -x 10.96.0.1" "kubernetes.default.svc.$Z." "$got"

# ---- ExternalName ------------------------------------------------------------------------
expect "ExternalName to an out-of-zone name: CNAME only" payments.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer payments.shop.svc.$Z. 5 IN CNAME api.payments.example.com.
EOF
expect "ExternalName to an in-zone name: CNAME plus the target's A" storefront.shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer storefront.shop.svc.$Z. 5 IN CNAME web.shop.svc.$Z.
answer web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
order=$(d +norec +noall +answer storefront.shop.svc.$Z A | awk '{print $4}' | tr '\n' ' ')
check_eq "ExternalName: the CNAME comes first in the answer" "CNAME A " "$order"

# ---- zone apex, version, negatives ---------------------------------------------------------
expect "dns-version TXT" dns-version.$Z TXT <<EOF
rcode NOERROR
flags qr aa
answer dns-version.$Z. 28800 IN TXT "1.1.0"
EOF
expect "apex SOA" $Z SOA <<EOF
rcode NOERROR
flags qr aa
answer $SOA
EOF
expect "apex NS (ns.dns.<zone>, its A = the listen address)" $Z NS <<EOF
rcode NOERROR
flags qr aa
answer $Z. 5 IN NS ns.dns.$Z.
additional ns.dns.$Z. 5 IN A 127.0.0.1
EOF
expect "ns.dns.<zone> A" ns.dns.$Z A <<EOF
rcode NOERROR
flags qr aa
answer ns.dns.$Z. 5 IN A 127.0.0.1
EOF
expect "apex A: NODATA" $Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "unknown service: NXDOMAIN" nosuch.default.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "unknown service, RD set: NXDOMAIN, RD copied" nosuch.default.svc.$Z A +rec <<EOF
rcode NXDOMAIN
flags qr aa rd
authority $SOA
EOF
expect "service in an unknown namespace: NXDOMAIN" kubernetes.nosuchns.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "unknown namespace: NXDOMAIN" nosuchns.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "svc.<zone>: NODATA" svc.$Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "pod.<zone>: NODATA" pod.$Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "<existing-ns>.svc.<zone>: NODATA" shop.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "namespace known only from its Namespace object: NODATA" monitoring.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA
EOF
expect "name below the zone that is not svc/pod: NXDOMAIN" nothing.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "three labels before the service: NXDOMAIN" a.b.c.web.shop.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "pods disabled (default): NXDOMAIN" 10-1-2-3.default.pod.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF

# ---- case -------------------------------------------------------------------------------------
expect "mixed-case query answers, owner echoed in the query's case" KuBeRnEtEs.DeFaUlT.svc.CLUSTER.local A <<EOF
rcode NOERROR
flags qr aa
answer KuBeRnEtEs.DeFaUlT.svc.CLUSTER.local. 5 IN A 10.96.0.1
EOF
got=$(d +norec +noall +question KuBeRnEtEs.DeFaUlT.svc.CLUSTER.local A | awk '{$1=$1; print}')
check_eq "mixed-case question echoed as sent" ";KuBeRnEtEs.DeFaUlT.svc.CLUSTER.local. IN A" "$got"
expect "mixed-case NXDOMAIN" NoSuch.DEFAULT.svc.cluster.LOCAL A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "mixed-case headless endpoint name" DB-0.Db.Data.SVC.cluster.local A <<EOF
rcode NOERROR
flags qr aa
answer DB-0.Db.Data.SVC.cluster.local. 5 IN A 10.244.1.10
EOF

# ---- outside the zone, transfers ----------------------------------------------------------------
expect_rcode "out-of-zone name: REFUSED" REFUSED example.com A
expect_rcode "out-of-zone name with RD: REFUSED" REFUSED example.com A +rec
expect_rcode "parent of the zone (local.): REFUSED" REFUSED local A
out=$(d +tcp cluster.local AXFR 2>&1)
case "$out" in
*"Transfer failed"*) pass "dig +tcp axfr: transfer refused" ;;
*) fail "dig +tcp axfr cluster.local: expected 'Transfer failed'"; echo "$out" | sed 's/^/     /' ;;
esac
for t in AXFR IXFR; do
	r=$(python3 "$RAWDNS" query "$PORT" cluster.local $t --tcp)
	rc=$(printf '%s' "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("rcode"))')
	check_eq "$t over TCP: REFUSED" REFUSED "$rc"
done
r=$(python3 "$RAWDNS" query "$PORT" cluster.local AXFR)
rc=$(printf '%s' "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("rcode"))')
check_eq "AXFR over UDP: REFUSED" REFUSED "$rc"
# A real IXFR query carries the client's SOA in the authority section
# (RFC 1995): refused like AXFR, not a FORMERR.
for tr in +tcp +notcp; do
	out=$(timeout 20 kdig @127.0.0.1 -p "$PORT" $tr +time=5 +retry=2 -t IXFR=1 cluster.local 2>&1)
	case "$out" in
	*"error 'REFUSED'"*|*"status: REFUSED"*) pass "kdig IXFR=1 ($tr): REFUSED" ;;
	*) fail "kdig IXFR=1 ($tr): expected REFUSED"; echo "$out" | sed 's/^/     /' ;;
	esac
done
# Only IXFR may carry an authority section.
r=$(python3 "$RAWDNS" query "$PORT" cluster.local SOA --authority-soa)
rc=$(printf '%s' "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("rcode"))')
check_eq "SOA query with an authority section: FORMERR" FORMERR "$rc"

# ---- edge cases of the sources -----------------------------------------------------------
expect "Service with unknown fields and ports: null answers its A" odd.edge.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer odd.edge.svc.$Z. 5 IN A 10.96.77.1
EOF
expect "tolerate-unready-endpoints annotation counts as publishNotReadyAddresses" legacy-unready.edge.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer legacy-unready.edge.svc.$Z. 5 IN A 10.244.7.1
EOF
expect "headless service whose slice has endpoints: null: NXDOMAIN" empty-headless.edge.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "v1 Endpoints ignored for a service that has an EndpointSlice" 10-244-9-9.web.shop.svc.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF
expect "ExternalName chain inside the zone is followed" alias2.edge.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer alias2.edge.svc.$Z. 5 IN CNAME storefront.shop.svc.$Z.
answer storefront.shop.svc.$Z. 5 IN CNAME web.shop.svc.$Z.
answer web.shop.svc.$Z. 5 IN A 10.96.100.20
EOF
out=$(q loop-a.edge.svc.$Z A)
case "$out" in
*"rcode NO-REPLY"*) fail "ExternalName loop: no reply"; echo "$out" | sed 's/^/     /' ;;
*) pass "ExternalName loop answers ($(echo "$out" | head -1), $(echo "$out" | grep -c '^answer') answer records)" ;;
esac
expect "ExternalName: no SRV under it (CoreDNS): NXDOMAIN" _http._tcp.payments.shop.svc.$Z SRV <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA
EOF

alive "server A still running"
stop_server "$PID"

# ---- server B: --ttl 30, two zones, pods insecure --------------------------------------------------
start_server "$DEMO" --ttl 30 --domain cluster.local --domain example.internal --pods insecure
echo "# server B: --ttl 30 --domain cluster.local --domain example.internal --pods insecure on port $PORT"
SOA30="$Z. 30 IN SOA ns.dns.$Z. hostmaster.$Z. SERIAL 7200 1800 86400 30"
SOAX="example.internal. 30 IN SOA ns.dns.example.internal. hostmaster.example.internal. SERIAL 7200 1800 86400 30"

expect "--ttl 30: A" kubernetes.default.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.$Z. 30 IN A 10.96.0.1
EOF
expect "--ttl 30: NODATA SOA TTL and MINIMUM" kubernetes.default.svc.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
authority $SOA30
EOF
expect "--ttl 30: SRV and glue" _https._tcp.kubernetes.default.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _https._tcp.kubernetes.default.svc.$Z. 30 IN SRV 0 100 443 kubernetes.default.svc.$Z.
additional kubernetes.default.svc.$Z. 30 IN A 10.96.0.1
EOF
expect "--ttl 30: dns-version keeps 28800" dns-version.$Z TXT <<EOF
rcode NOERROR
flags qr aa
answer dns-version.$Z. 28800 IN TXT "1.1.0"
EOF
expect "--ttl 30: PTR" 1.0.96.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 1.0.96.10.in-addr.arpa. 30 IN PTR kubernetes.default.svc.$Z.
EOF
expect "second --domain: A" kubernetes.default.svc.example.internal A <<EOF
rcode NOERROR
flags qr aa
answer kubernetes.default.svc.example.internal. 30 IN A 10.96.0.1
EOF
expect "second --domain: headless A" db.data.svc.example.internal A <<EOF
rcode NOERROR
flags qr aa
answer db.data.svc.example.internal. 30 IN A 10.244.1.10
answer db.data.svc.example.internal. 30 IN A 10.244.2.11
EOF
expect "second --domain: SRV targets in that zone" _postgres._tcp.db.data.svc.example.internal SRV <<EOF
rcode NOERROR
flags qr aa
answer _postgres._tcp.db.data.svc.example.internal. 30 IN SRV 0 50 5432 db-0.db.data.svc.example.internal.
answer _postgres._tcp.db.data.svc.example.internal. 30 IN SRV 0 50 5432 db-1.db.data.svc.example.internal.
additional db-0.db.data.svc.example.internal. 30 IN A 10.244.1.10
additional db-1.db.data.svc.example.internal. 30 IN A 10.244.2.11
EOF
expect "second --domain: dns-version" dns-version.example.internal TXT <<EOF
rcode NOERROR
flags qr aa
answer dns-version.example.internal. 28800 IN TXT "1.1.0"
EOF
expect "second --domain: NXDOMAIN carries that zone's SOA" nosuch.default.svc.example.internal A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOAX
EOF
expect "second --domain: apex SOA" example.internal SOA <<EOF
rcode NOERROR
flags qr aa
answer $SOAX
EOF
expect "--pods insecure: IPv4 pod name" 10-1-2-3.default.pod.$Z A <<EOF
rcode NOERROR
flags qr aa
answer 10-1-2-3.default.pod.$Z. 30 IN A 10.1.2.3
EOF
expect "--pods insecure: IPv6 pod name" fd00--1.default.pod.$Z AAAA <<EOF
rcode NOERROR
flags qr aa
answer fd00--1.default.pod.$Z. 30 IN AAAA fd00::1
EOF
expect "--pods insecure: pod name in the second zone" 10-1-2-3.shop.pod.example.internal A <<EOF
rcode NOERROR
flags qr aa
answer 10-1-2-3.shop.pod.example.internal. 30 IN A 10.1.2.3
EOF
expect "--pods insecure: label that is not an address: NXDOMAIN" not-an-ip.default.pod.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA30
EOF
expect "--pods insecure: unknown namespace: NXDOMAIN (CoreDNS)" 10-1-2-3.nosuchns.pod.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA30
EOF
# every a-b-c-d.<ns>.pod.<zone> exists, so <ns>.pod.<zone> is an empty
# non-terminal: NODATA, never NXDOMAIN (RFC 8020; CoreDNS answers so)
expect "--pods insecure: <ns>.pod.<zone> of an existing namespace: NODATA" default.pod.$Z A <<EOF
rcode NOERROR
flags qr aa
authority $SOA30
EOF
expect "--pods insecure: <ns>.pod.<zone> of an unknown namespace: NXDOMAIN" nosuchns.pod.$Z A <<EOF
rcode NXDOMAIN
flags qr aa
authority $SOA30
EOF
expect_rcode "second --domain: still REFUSED outside both zones" REFUSED example.com A

alive "server B still running"
stop_server "$PID"

# ---- server C: --endpoint-pod-names -----------------------------------------------------------
PODN=$(mktemp_dir)
cat >"$PODN/hl.json" <<'JSON'
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hl", "namespace": "ns"},
  "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 80}]}},
 {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
  "metadata": {"name": "hl-1", "namespace": "ns", "labels": {"kubernetes.io/service-name": "hl"}},
  "addressType": "IPv4", "ports": [{"name": "http", "port": 80}],
  "endpoints": [{"addresses": ["10.7.0.1"], "conditions": {"ready": true},
                 "targetRef": {"kind": "Pod", "name": "web-7d9f-abcde"}}]}
]}
JSON
start_server "$PODN" --endpoint-pod-names
expect "--endpoint-pod-names: an endpoint named by its pod" web-7d9f-abcde.hl.ns.svc.$Z A <<EOF
rcode NOERROR
flags qr aa
answer web-7d9f-abcde.hl.ns.svc.$Z. 5 IN A 10.7.0.1
EOF
expect "--endpoint-pod-names: the SRV target" _http._tcp.hl.ns.svc.$Z SRV <<EOF
rcode NOERROR
flags qr aa
answer _http._tcp.hl.ns.svc.$Z. 5 IN SRV 0 100 80 web-7d9f-abcde.hl.ns.svc.$Z.
additional web-7d9f-abcde.hl.ns.svc.$Z. 5 IN A 10.7.0.1
EOF
expect "--endpoint-pod-names: the PTR" 1.0.7.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 1.0.7.10.in-addr.arpa. 5 IN PTR web-7d9f-abcde.hl.ns.svc.$Z.
EOF
expect_rcode "--endpoint-pod-names: no dashed name then" NXDOMAIN 10-7-0-1.hl.ns.svc.$Z A
alive "server C still running"
stop_server "$PID"

# ---- server D: --namespaces (CoreDNS's namespaces) ---------------------------------------------
start_server "$DEMO" --namespaces shop --namespaces data,nosuch
expect_rcode "--namespaces shop,data: a Service in shop answers" NOERROR frontend.shop.svc.$Z A
check_eq "--namespaces shop,data: and in data" "10.244.1.10" "$(d +short db-0.db.data.svc.$Z A)"
expect_rcode "--namespaces shop,data: default is not exposed" NXDOMAIN kubernetes.default.svc.$Z A
expect_rcode "--namespaces shop,data: nor default's namespace name" NXDOMAIN default.svc.$Z A
expect_rcode "--namespaces shop,data: shop's namespace name exists" NOERROR shop.svc.$Z A
out=$("$SVCDNS" --dir "$DEMO" --namespaces shop,,data --listen 127.0.0.1 --port "$PORT" 2>&1)
rc=$?
check_true "--namespaces with an empty name: exit 2 ($out)" \
	sh -c '[ "$1" -eq 2 ] && printf "%s" "$2" | grep -q "not a list of namespace names"' sh "$rc" "$out"
alive "server D still running"
finish
