#!/bin/sh
# test_realapi_shapes.sh - every record shape svcdns serves, from objects
# made through a real kube-apiserver and EndpointSlices written by the real
# endpointslice controller: ClusterIP, dual stack, IPv6 only, headless with
# pod hostname+subdomain (dual stack), a headless service with 600 ready
# pods (which the controller splits into slices of 100), ExternalName,
# named-port SRV, PTR of cluster and endpoint IPs. Then a Service created,
# scaled up and down and deleted, each seen in DNS within 1 s.
. "$(dirname "$0")/controlplane.sh"

NS=shapes
SYNC_MS=15000  # first sync, and anything that waits on the controller
CHANGE_MS=1000 # the issue's bound for create/scale/delete reaching DNS
Z=svc.cluster.local
BIG=600

start_controlplane
svcdns_account || realapi_finish

# ---- objects -----------------------------------------------------------------
must "namespace $NS" make_namespace "$NS"
svc() { must "Service $1" kcreate "/api/v1/namespaces/$NS/services" "$2"; }
svc web '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
  "spec": {"clusterIP": "10.96.1.10", "selector": {"app": "web"},
           "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
                     {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"}]}}'
svc dual '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dual"},
  "spec": {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
           "clusterIP": "10.96.1.20", "clusterIPs": ["10.96.1.20", "fd00:10:96::120"],
           "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}'
# The cluster's range is dual stack, so a SingleStack IPv6 Service is allowed.
svc v6 '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "v6"},
  "spec": {"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"],
           "clusterIP": "fd00:10:96::160", "clusterIPs": ["fd00:10:96::160"],
           "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}'
# Headless and dual stack: the controller writes one slice per family, and
# each endpoint carries the pod's hostname (its subdomain names the Service).
svc sub '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "sub"},
  "spec": {"clusterIP": "None", "ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
           "selector": {"app": "sub"},
           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}}'
svc big '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "big"},
  "spec": {"clusterIP": "None", "selector": {"app": "big"},
           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}}'
svc ext '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext"},
  "spec": {"type": "ExternalName", "externalName": "api.example.com"}}'

must "pod web-0" make_ready_pod "$NS" web-0 '{"app":"web"}' 10.244.1.5
for i in 0 1; do
	must "pod h$i" make_pod "$NS" "h$i" '{"app":"sub"}' "h$i" sub
	must "pod h$i ready" make_pod_ready "$NS" "h$i" "10.244.2.1$i" "fd00:10:244:2::1$i"
done

# 600 pods at 10.245.<i/200>.<i%200+1>, created in parallel batches.
big_ips=$(i=0; while [ $i -lt $BIG ]; do echo "10.245.$((i / 200)).$((i % 200 + 1))"; i=$((i + 1)); done)
t0=$(now_ms)
# shellcheck disable=SC2086
if make_ready_pods "$NS" big '{"app":"big"}' $big_ips; then
	pass "$BIG pods created and made ready ($(($(now_ms) - t0)) ms)"
else
	fail "$BIG pods created and made ready"
fi
want_big=$(printf '%s\n' "$big_ips" | LC_ALL=C sort)

# The controller's slices, read back through the API: what svcdns is given.
slices_are() { [ "$(slice_addresses "$NS" "$1" | LC_ALL=C sort)" = "$2" ]; }
want_sub=$(printf '%s\n' 10.244.2.10 10.244.2.11 fd00:10:244:2::10 fd00:10:244:2::11 | LC_ALL=C sort)
check_true "the controller wrote sub's 2 pods in both families" wait_for 30 slices_are sub "$want_sub"
check_true "the controller wrote all $BIG of big's endpoints as ready" wait_for 60 slices_are big "$want_big"
nslices=$(slice_count "$NS" big)
# 100 endpoints a slice at most (--max-endpoints-per-slice): 600 need 6.
if [ "${nslices:-0}" -ge 6 ]; then
	pass "big's $BIG endpoints are in $nslices EndpointSlices (>= 6)"
else
	fail "big's $BIG endpoints are in >= 6 EndpointSlices: $nslices"
fi

# ---- svcdns ------------------------------------------------------------------
start_svcdns_kube
check_within "first sync: web A" $SYNC_MS "web.$NS.$Z" A 10.96.1.10
check_within "ClusterIP (single stack IPv4) has no AAAA" $SYNC_MS "web.$NS.$Z" AAAA ""
check_within "dual stack A" $SYNC_MS "dual.$NS.$Z" A 10.96.1.20
check_within "dual stack AAAA" $SYNC_MS "dual.$NS.$Z" AAAA fd00:10:96::120
check_within "IPv6-only AAAA" $SYNC_MS "v6.$NS.$Z" AAAA fd00:10:96::160
check_within "IPv6-only has no A" $SYNC_MS "v6.$NS.$Z" A ""
expect_rcode "IPv6-only A is NOERROR (the name exists)" NOERROR "v6.$NS.$Z" A
check_within "headless dual stack A: both pods" $SYNC_MS "sub.$NS.$Z" A "$(printf '10.244.2.10\n10.244.2.11')"
check_within "headless dual stack AAAA: both pods" $SYNC_MS "sub.$NS.$Z" AAAA \
	"$(printf 'fd00:10:244:2::10\nfd00:10:244:2::11')"
check_within "per-hostname A (hostname+subdomain)" $SYNC_MS "h0.sub.$NS.$Z" A 10.244.2.10
check_within "per-hostname AAAA" $SYNC_MS "h1.sub.$NS.$Z" AAAA fd00:10:244:2::11
check_within "ExternalName CNAME" $SYNC_MS "ext.$NS.$Z" CNAME api.example.com.
check_within "named port SRV (TCP) of a ClusterIP" $SYNC_MS "_http._tcp.web.$NS.$Z" SRV "0 100 80 web.$NS.$Z."
check_within "named port SRV (UDP) of a ClusterIP" $SYNC_MS "_dns._udp.web.$NS.$Z" SRV "0 100 53 web.$NS.$Z."
# One SRV per pod, though each pod is in two slices (one per family). The
# weight is CoreDNS's: 100 divided among all (address, port) entries, 4
# here, before the duplicate targets are dropped; equal weights either way.
check_within "named port SRV of a headless dual stack service: one per hostname" $SYNC_MS \
	"_http._tcp.sub.$NS.$Z" SRV "$(printf '0 25 8080 h%s.sub.%s.%s.\n' 0 "$NS" "$Z" 1 "$NS" "$Z")"
# Likewise one entry per cluster IP, deduplicated: one SRV, weight 50.
check_within "named port SRV of a dual stack ClusterIP" $SYNC_MS "_http._tcp.dual.$NS.$Z" SRV "0 50 80 dual.$NS.$Z."
check_within "PTR of a cluster IP" $SYNC_MS 10.1.96.10.in-addr.arpa PTR "web.$NS.$Z."
r6=$(python3 -c 'import ipaddress; print(ipaddress.ip_address("fd00:10:96::120").reverse_pointer)')
check_within "PTR of an IPv6 cluster IP" $SYNC_MS "$r6" PTR "dual.$NS.$Z."
check_within "PTR of a headless endpoint IP: its hostname" $SYNC_MS 10.2.244.10.in-addr.arpa PTR "h0.sub.$NS.$Z."
r6e=$(python3 -c 'import ipaddress; print(ipaddress.ip_address("fd00:10:244:2::11").reverse_pointer)')
check_within "PTR of a headless IPv6 endpoint IP" $SYNC_MS "$r6e" PTR "h1.sub.$NS.$Z."
check_within "PTR of a ClusterIP's endpoint IP: dashed name" $SYNC_MS 5.1.244.10.in-addr.arpa PTR \
	"10-244-1-5.web.$NS.$Z."

# The 600: over TCP (far beyond any UDP size), every address and every SRV.
tcp_short() { d +tcp +norec +short "$1" "$2" 2>/dev/null | LC_ALL=C sort; }
big_is() { [ "$(tcp_short "big.$NS.$Z" A)" = "$1" ]; }
# wait_big WANT MAX_MS: wait_answer over TCP for big's A records; sets
# WAITED_MS. Bounded in tries and in time.
wait_big() {
	local want=$1 max=$(($2 * LIB_SLOW)) t0 i=0
	t0=$(now_ms)
	while [ $i -lt $((500 * LIB_SLOW)) ]; do
		big_is "$want" && { WAITED_MS=$(($(now_ms) - t0)); return 0; }
		WAITED_MS=$(($(now_ms) - t0))
		[ "$WAITED_MS" -gt "$max" ] && break
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}
if wait_big "$want_big" $SYNC_MS; then
	pass "headless with $BIG pods: dig +tcp returns all $BIG A records"
else
	got=$(tcp_short "big.$NS.$Z" A)
	fail "headless with $BIG pods: dig +tcp returns all $BIG A records: got $(printf '%s\n' "$got" | grep -c .)"
	d +tcp +norec "big.$NS.$Z" A | grep -E 'status|flags|MSG SIZE' | sed 's/^/     /'
fi
want_srv=$(printf '%s\n' "$want_big" | sed "s/\./-/g; s/\$/.big.$NS.$Z./" | LC_ALL=C sort)
got_srv=$(tcp_short "_http._tcp.big.$NS.$Z" SRV)
check_eq "headless with $BIG pods: SRV has $BIG records" "$BIG" "$(printf '%s\n' "$got_srv" | grep -c .)"
check_eq "headless with $BIG pods: SRV targets are the $BIG pods, port 8080" "$want_srv" \
	"$(printf '%s\n' "$got_srv" | awk '$3 == 8080 { print $4 }' | LC_ALL=C sort)"

# ---- changes, each within 1 s ----------------------------------------------------
# The clock starts when the API has accepted the change: the 1 s covers the
# controller (for pods), the watch and svcdns.
svc late '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "late"},
  "spec": {"clusterIP": "10.96.1.30", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}'
check_within "create: a new Service answers within 1 s" $CHANGE_MS "late.$NS.$Z" A 10.96.1.30

must "pod h2" make_pod "$NS" h2 '{"app":"sub"}' h2 sub
must "pod h2 ready" make_pod_ready "$NS" h2 10.244.2.12 fd00:10:244:2::12
check_within "scale up: a third pod within 1 s" $CHANGE_MS "sub.$NS.$Z" A \
	"$(printf '10.244.2.10\n10.244.2.11\n10.244.2.12')"
check_within "scale up: its hostname within 1 s" $CHANGE_MS "h2.sub.$NS.$Z" AAAA fd00:10:244:2::12

must "delete pod h1 at once" kdelete "/api/v1/namespaces/$NS/pods/h1?gracePeriodSeconds=0"
check_within "scale down: the pod gone within 1 s" $CHANGE_MS "sub.$NS.$Z" A \
	"$(printf '10.244.2.10\n10.244.2.12')"
if wait_rcode NXDOMAIN "h1.sub.$NS.$Z" A $CHANGE_MS; then
	pass "scale down: its hostname NXDOMAIN within 1 s (${WAITED_MS} ms)"
else
	fail "scale down: its hostname NXDOMAIN within 1 s"
fi

# One of the 600 goes: its slice changes, the other five do not.
must "delete pod big-7 at once" kdelete "/api/v1/namespaces/$NS/pods/big-7?gracePeriodSeconds=0"
want_big599=$(printf '%s\n' "$want_big" | grep -vx 10.245.0.8)
if wait_big "$want_big599" $CHANGE_MS; then
	pass "scale down among $BIG: 599 A records within 1 s (${WAITED_MS} ms)"
else
	fail "scale down among $BIG: 599 A records within 1 s: got $(tcp_short "big.$NS.$Z" A | grep -c .)"
fi

must "delete Service late" kdelete "/api/v1/namespaces/$NS/services/late"
if wait_rcode NXDOMAIN "late.$NS.$Z" A $CHANGE_MS; then
	pass "delete: the Service NXDOMAIN within 1 s (${WAITED_MS} ms)"
else
	fail "delete: the Service NXDOMAIN within 1 s"
fi
check_within "delete: its PTR gone within 1 s" $CHANGE_MS 30.1.96.10.in-addr.arpa PTR ""

must "delete Service big" kdelete "/api/v1/namespaces/$NS/services/big"
if wait_rcode NXDOMAIN "big.$NS.$Z" A $CHANGE_MS; then
	pass "delete: the $BIG-pod Service NXDOMAIN within 1 s (${WAITED_MS} ms)"
else
	fail "delete: the $BIG-pod Service NXDOMAIN within 1 s"
fi
check_within "others unchanged after the deletions" $CHANGE_MS "web.$NS.$Z" A 10.96.1.10

alive "svcdns still running"
stop_server "$PID"
realapi_finish
