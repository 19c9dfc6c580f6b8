#!/bin/sh
# test_realapi_multicluster.sh - svcdns --multicluster clusterset.local
# beside the real CoreDNS's `kubernetes ... { multicluster clusterset.local }`
# (Multi-Cluster Services, KEP-1645), both following the same real
# kube-apiserver and forwarding to the same NSD (coredns_lib.sh), asked the
# same questions and compared with dnsdiff.py compare (rcode, AA, TC, RA,
# EDNS, the sections as sets, the TTLs of cluster names).
#
# The ServiceImport CRD is mcs-api's own (sigs.k8s.io/mcs-api v0.5.2, the
# version CoreDNS v1.14.7's go.mod pins; config/crd of its module, found
# with `go mod download` in tests/realapi/coredns), installed through the
# API. Then, as an MCS controller would write them: ClusterSetIP imports
# (IPv4; dual stack; named and unnamed ports, TCP and UDP; one that also
# has slices, one without), Headless imports (hostnames; no hostnames; none
# at all), and EndpointSlices labelled multicluster.kubernetes.io/service-name
# and .../source-cluster (never kubernetes.io/service-name) from two
# clusters, IPv4 and IPv6, with a not-ready endpoint; a namespace where a
# regular Service and an import share names (cluster.local and
# clusterset.local stay apart), an empty namespace.
#
# The questions (from the API as it serves the objects): every import's
# name (A, AAAA, SRV, TXT, ANY...), _port._proto and its underscore-less
# and half-underscored forms, <hostname>.<clusterid>.<import> and the
# wrong or missing cluster id, <clusterid>.<import>, the namespaces, the
# zone's apex, svc., dns-version, missing imports and namespaces, pod
# names in clusterset.local, the same names in cluster.local, the PTRs of
# the imports' VIPs (and, at svcdns only, of their endpoints). Then, one
# at a time, each followed by a bounded wait until both answer the changed
# name as the API now says and a comparison of that name: an import's
# spec.ips changed, an endpoint added to a slice, an endpoint made not
# ready, a slice deleted, an import deleted, an import created, an import
# turned from ClusterSetIP to Headless; last, everything compared once
# more.
#
# A difference fails the test unless its class matches an entry of
# docs/coredns-differences.txt (as in test_coredns_diff.sh).
#
# Environment (besides controlplane.sh's):
#   SVCDNS_COREDNS     a coredns binary (default: build.sh's, beside kube-apiserver)
#   MCS_CRD            the ServiceImport CRD (YAML); default: mcs-api's, from Go's module cache
#   GO                 the go command that finds it (as build.sh: go on PATH, else /usr/local/go/bin/go)
#   MCS_CHANGE_SECONDS how long each server may take to show a change (default 20)
#   MCS_DIFF_SELF=1    a second CoreDNS in svcdns's place: checks the test itself
#   MCS_DIFF_KEEP=1    keep Corefile, logs, questions and comparisons in /tmp/mcs-diff.*
. "$(dirname "$0")/controlplane.sh"
. "$(dirname "$0")/coredns_lib.sh"

PY=/usr/bin/python3 # Debian's, with python3-dnspython and python3-yaml
DIFF=$RA_HERE/dnsdiff.py
ALLOW=$TESTDIR/../docs/coredns-differences.txt
CS=clusterset.local
CZ=svc.$CS
Z=svc.cluster.local
MCS_API=/apis/multicluster.x-k8s.io/v1alpha1
SLICES=/apis/discovery.k8s.io/v1
CHANGE_MS=$((${MCS_CHANGE_SECONDS:-20} * 1000))
# dnsdiff.py: a TTL difference in clusterset.local is the class "ttl".
DNSDIFF_ZONES=$CS
export DNSDIFF_ZONES

require_tool nsd nsd
"$PY" -c 'import dns.message, dns.query, dns.reversename, yaml' 2>/dev/null ||
	{ echo "FAIL: $PY cannot import dns.message and yaml (Debian packages python3-dnspython, python3-yaml)" >&2; exit 1; }
[ -f "$ALLOW" ] || { echo "FAIL: $ALLOW missing" >&2; exit 1; }
T_START=$(now_ms)

start_controlplane
COREDNS=${SVCDNS_COREDNS:-$RA_BIN/coredns}
[ -x "$COREDNS" ] || { echo "FAIL: $COREDNS is missing (tests/realapi/build.sh builds it; or SVCDNS_COREDNS)" >&2; exit 1; }
echo "     $("$COREDNS" -version | head -1), $("$SVCDNS" --version 2>&1 | head -1)"

# ---- the ServiceImport CRD of sigs.k8s.io/mcs-api@v0.5.2 ----------------------------
# go mod download, in coredns/ and with build.sh's settings (and its GO):
# the module is in Go's module cache once build.sh built CoreDNS (its
# kubernetes plugin imports mcs-api), else fetched from the module proxy.
mcs_crd_file() {
	local go=${GO:-go} dir
	if [ -n "${MCS_CRD:-}" ]; then
		echo "$MCS_CRD"
		return 0
	fi
	command -v "$go" >/dev/null 2>&1 || go=/usr/local/go/bin/go
	command -v "$go" >/dev/null 2>&1 || return 1
	dir=$(cd "$RA_HERE/coredns" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
		timeout 300 "$go" mod download -json sigs.k8s.io/mcs-api@v0.5.2 |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])') || return 1
	echo "$dir/config/crd/multicluster.x-k8s.io_serviceimports.yaml"
}
CRD=$(mcs_crd_file)
[ -n "$CRD" ] && [ -f "$CRD" ] ||
	{ echo "FAIL: no ServiceImport CRD (go mod download sigs.k8s.io/mcs-api@v0.5.2 in $RA_HERE/coredns; or MCS_CRD)" >&2; exit 1; }
svcdns_account || realapi_finish

# svcdns starts before the CRD and its RBAC rule exist, as it may in a
# cluster that installs the MCS API later: the cluster's names must not
# wait for the imports, and the imports must come without a restart.
start_nsd
if [ -z "${MCS_DIFF_SELF:-}" ]; then
	t0=$(now_ms)
	start_svcdns_diff --multicluster "$CS"
	pass "svcdns, started before the ServiceImport CRD, answers kubernetes.default ($(($(now_ms) - t0)) ms after its start)"
	check_true "  ... and logs why it has no imports (HTTP 403 or 404)" \
		wait_for 20 grep -Eq 'serviceimports: HTTP 40[34]: ' "$LOG"
fi

must "create the ServiceImport CRD ($CRD)" \
	kcreate /apis/apiextensions.k8s.io/v1/customresourcedefinitions "$("$PY" -c \
		'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$CRD")" || realapi_finish
crd_established() {
	kget /apis/apiextensions.k8s.io/v1/customresourcedefinitions/serviceimports.multicluster.x-k8s.io |
		"$PY" -c 'import json, sys
c = json.load(sys.stdin).get("status", {}).get("conditions") or []
sys.exit(0 if any(x["type"] == "Established" and x["status"] == "True" for x in c) else 1)' 2>/dev/null &&
		kget "$MCS_API/serviceimports" >/dev/null
}
if ra_wait 30 "$APISERVER_PID" crd_established; then
	pass "the ServiceImport CRD is Established and $MCS_API/serviceimports lists"
else
	fail "the ServiceImport CRD is Established and $MCS_API/serviceimports lists (HTTP $KAPI_CODE)"
	realapi_finish
fi
# Beyond deploy/'s ClusterRole: the rule its comment says to add for
# --multicluster (the ServiceImports, as CoreDNS's multicluster needs); the
# slices deploy/ grants already.
svcdns_grant svcdns-multicluster multicluster.x-k8s.io/serviceimports
svcdns_may_import() {
	[ "$(kapi_as "$SVCDNS_TOKEN" GET "$MCS_API/serviceimports?limit=1")" = 200 ]
}
check_true "kube-system/svcdns may list the ServiceImports" ra_wait 30 "$APISERVER_PID" svcdns_may_import

# ---- the MCS objects ----------------------------------------------------------------------
A=mc-a     # imports only
B=mc-b     # imports beside regular Services of the same names
E=mc-empty # a namespace with nothing in it
P_WEB='[{"name":"http","port":80,"protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}]'
P_WEB_EP='[{"name":"http","port":8080,"protocol":"TCP"},{"name":"dns","port":5353,"protocol":"UDP"}]'
P_DB='[{"name":"http","port":8080,"protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}]'
P_DUAL='[{"port":8080,"protocol":"TCP"},{"name":"syslog","port":514,"protocol":"UDP"}]'
P_ANON='[{"port":5000,"protocol":"TCP"}]'
P_HTTP='[{"name":"http","port":80,"protocol":"TCP"}]'
P_HTTP_EP='[{"name":"http","port":8080,"protocol":"TCP"}]'

# mk_import NS NAME TYPE IPS-JSON PORTS-JSON [IPFAMILIES-JSON]: a
# ServiceImport (IPS-JSON "" for none).
import_json() {
	local spec="\"type\":\"$3\",\"ports\":$5"
	[ -n "$4" ] && spec="$spec,\"ips\":$4"
	[ -n "${6:-}" ] && spec="$spec,\"ipFamilies\":$6"
	printf '{"apiVersion":"multicluster.x-k8s.io/v1alpha1","kind":"ServiceImport","metadata":{"name":"%s","namespace":"%s"},"spec":{%s}}' \
		"$2" "$1" "$spec"
}
mk_import() {
	must "ServiceImport $1/$2 ($3)" kcreate "$MCS_API/namespaces/$1/serviceimports" "$(import_json "$@")"
}
# ep IP [HOSTNAME [READY]]: one endpoint of a slice (READY true or false).
ep() {
	local h=""
	[ -n "${2:-}" ] && h=",\"hostname\":\"$2\""
	printf '{"addresses":["%s"]%s,"conditions":{"ready":%s}}' "$1" "$h" "${3:-true}"
}
# mk_slice NS NAME IMPORT CLUSTER FAMILY PORTS-JSON ENDPOINT...: an
# EndpointSlice as an MCS controller writes it for IMPORT from CLUSTER.
mk_slice() {
	local ns=$1 name=$2 imp=$3 cl=$4 fam=$5 ports=$6 eps="" e
	shift 6
	for e in "$@"; do eps="$eps${eps:+,}$e"; done
	must "EndpointSlice $ns/$name ($imp from $cl, $fam)" kcreate "$SLICES/namespaces/$ns/endpointslices" "{
\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",
\"metadata\":{\"name\":\"$name\",\"labels\":{\"multicluster.kubernetes.io/service-name\":\"$imp\",
\"multicluster.kubernetes.io/source-cluster\":\"$cl\",\"endpointslice.kubernetes.io/managed-by\":\"mcs-controller.svcdns.test\"}},
\"addressType\":\"$fam\",\"ports\":$ports,\"endpoints\":[$eps]}"
}
# mksvc NS NAME CLUSTER-IP APP: a regular Service selecting app=APP.
mksvc() {
	must "Service $1/$2" kcreate "/api/v1/namespaces/$1/services" "{\"apiVersion\":\"v1\",\"kind\":\"Service\",
\"metadata\":{\"name\":\"$2\"},\"spec\":{\"clusterIP\":\"$3\",\"selector\":{\"app\":\"$4\"},
\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}"
}

for ns in "$A" "$B" "$E"; do must "namespace $ns" make_namespace "$ns"; done
# $A: a ClusterSetIP import with slices from both clusters (web-0 has a
# hostname); a dual-stack one without slices (an unnamed TCP port, a named
# UDP one); a Headless one with hostnames, the same hostname in both
# clusters, IPv4 and IPv6 slices and a not-ready endpoint; a Headless one
# whose endpoints have no hostname (an unnamed port); a Headless one
# without slices.
mk_import "$A" web ClusterSetIP '["10.200.0.10"]' "$P_WEB"
mk_import "$A" dual ClusterSetIP '["10.200.0.11","fd00:200::11"]' "$P_DUAL" '["IPv4","IPv6"]'
mk_import "$A" db Headless "" "$P_DB"
mk_import "$A" anon Headless "" "$P_ANON"
mk_import "$A" hlempty Headless "" "$P_HTTP"
mk_slice "$A" web-c1 web cluster-1 IPv4 "$P_WEB_EP" "$(ep 10.201.5.1 web-0)"
mk_slice "$A" web-c2 web cluster-2 IPv4 "$P_WEB_EP" "$(ep 10.201.6.1)"
DB_C1_V1="$(ep 10.201.1.1 db-0),$(ep 10.201.1.2 db-1),$(ep 10.201.1.3 db-2 false)"
mk_slice "$A" db-c1 db cluster-1 IPv4 "$P_DB" "$DB_C1_V1"
mk_slice "$A" db-c2 db cluster-2 IPv4 "$P_DB" "$(ep 10.201.2.1 db-0)"
mk_slice "$A" db-c2-v6 db cluster-2 IPv6 "$P_DB" "$(ep fd00:201:2::1 db-0)" "$(ep fd00:201:2::2)"
mk_slice "$A" anon-c1 anon cluster-1 IPv4 "$P_ANON" "$(ep 10.201.3.1)" "$(ep 10.201.3.2)" "$(ep 10.201.3.3 "" false)"
mk_slice "$A" anon-c2 anon cluster-2 IPv4 "$P_ANON" "$(ep 10.201.4.1)"
mk_slice "$A" anon-c2-v6 anon cluster-2 IPv6 "$P_ANON" "$(ep fd00:201:4::1)"
# $B: regular Services (api ClusterIP, db headless, only-local) and imports
# of the same names (api ClusterSetIP, db Headless) and one of its own.
mksvc "$B" api 10.96.90.1 api
mksvc "$B" db None db
mksvc "$B" only-local 10.96.90.2 nothing
must "pod $B/api-0" make_ready_pod "$B" api-0 '{"app":"api"}' 10.244.90.1
must "pod $B/db-0" make_ready_pod "$B" db-0 '{"app":"db"}' 10.244.90.2
mk_import "$B" api ClusterSetIP '["10.200.1.20"]' "$P_HTTP"
mk_import "$B" db Headless "" "$P_HTTP_EP"
mk_import "$B" only-remote ClusterSetIP '["10.200.1.21"]' "$P_HTTP"
mk_slice "$B" db-c1 db cluster-1 IPv4 "$P_HTTP_EP" "$(ep 10.201.7.1 db-0)"
local_slices() {
	[ "$(slice_addresses "$B" api)" = 10.244.90.1 ] && [ "$(slice_addresses "$B" db)" = 10.244.90.2 ]
}
check_true "the endpointslice controller wrote $B's api and db slices (and only those)" wait_for 30 local_slices

# ---- NSD, CoreDNS (multicluster clusterset.local), svcdns (--multicluster) ---------------
# kubeadm's Corefile (coredns_lib.sh) with clusterset.local beside
# cluster.local and `multicluster clusterset.local`; the cache disabled for
# both zones; no reload (MCS_DIFF_SELF writes a second Corefile).
mcs_corefile() {
	cat >"$RA_DIR/Corefile" <<EOF
.:$CD_PORT {
    bind 127.0.0.1
    errors
    kubernetes cluster.local $CS in-addr.arpa ip6.arpa {
       kubeconfig $RA_ADMIN_KUBECONFIG
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
       multicluster $CS
    }
    forward . $UPSTREAM {
       max_concurrent 1000
    }
    cache 30 {
       disable success cluster.local $CS
       disable denial cluster.local $CS
    }
    loadbalance
}
EOF
}
# shellcheck disable=SC2034 # coredns_lib.sh's coredns_exec calls it
CD_COREFILE=mcs_corefile
t0=$(now_ms)
start_coredns "web.$A.$CZ" 10.200.0.10
pass "CoreDNS answers web.$A.$CZ ($(($(now_ms) - t0)) ms after its start)"
t0=$(now_ms)
if [ -n "${MCS_DIFF_SELF:-}" ]; then
	# A second CoreDNS as "svcdns", in a directory of its own.
	cd_pid=$CD_PID cd_port=$CD_PORT cd_log=$CD_LOG ra_dir=$RA_DIR
	RA_DIR=$RA_DIR/self
	mkdir -p "$RA_DIR"
	start_coredns "web.$A.$CZ" 10.200.0.10
	PID=$CD_PID PORT=$CD_PORT LOG=$CD_LOG
	CD_PID=$cd_pid CD_PORT=$cd_port CD_LOG=$cd_log RA_DIR=$ra_dir
	echo "     MCS_DIFF_SELF: a second CoreDNS stands in for svcdns"
	pass "the second CoreDNS answers kubernetes.default ($(($(now_ms) - t0)) ms after its start)"
fi
echo "     CoreDNS on 127.0.0.1:$CD_PORT, svcdns on 127.0.0.1:$PORT, NSD on $UPSTREAM"

# Both have every object: an import, the last slice, a regular Service.
# at PORT NAME TYPE: short's answer from the server on PORT.
at() {
	local QPORT=$1
	short "$2" "$3"
}
# oneline: stdin's lines as one, blank-separated.
oneline() {
	tr '\n' ' ' | sed 's/ *$//'
}
both_synced() {
	local p
	for p in "$CD_PORT" "$PORT"; do
		[ "$(at "$p" "db.$B.$CZ" A)" = 10.201.7.1 ] && [ "$(at "$p" "web.$A.$CZ" A)" = 10.200.0.10 ] &&
			[ "$(at "$p" "anon.$A.$CZ" AAAA)" = fd00:201:4::1 ] && [ "$(at "$p" "db.$B.$Z" A)" = 10.244.90.2 ] ||
			return 1
	done
}
# svcdns retries the imports' list with its backoff (at most 30 s apart).
if wait_for 60 both_synced; then
	pass "both serve the imports, their slices and $B's Services"
else
	fail "both serve the imports, their slices and $B's Services"
	for p in "$CD_PORT" "$PORT"; do
		echo "     port $p: db.$B.$CZ A '$(at "$p" "db.$B.$CZ" A)', web.$A.$CZ A '$(at "$p" "web.$A.$CZ" A)'," \
			"anon.$A.$CZ AAAA '$(at "$p" "anon.$A.$CZ" AAAA)', db.$B.$Z A '$(at "$p" "db.$B.$Z" A)'"
	done
fi

# ---- the questions ------------------------------------------------------------------------
GEN=$RA_DIR/mcs_gen.py
cat >"$GEN" <<'PYEOF'
"""mcs_gen.py HERE URL TOKEN CA OUT: the questions about the MCS objects
(and the regular Services beside them) as the API serves them, one JSON a
line as dnsdiff.py compare reads them; and in OUT.ptr the reverse names of
the imports' endpoints, one a line (CoreDNS does not answer those: see
check_endpoint_ptrs)."""
import ipaddress
import json
import random
import sys

sys.path.insert(0, sys.argv[1])
import dnsdiff  # noqa: E402

url, token, ca, out = sys.argv[2:6]
CS = "clusterset.local"
CSV = "svc." + CS
LOCAL = "svc.cluster.local"
SOURCE = "multicluster.kubernetes.io/source-cluster"
NAMESPACES = ["mc-a", "mc-b", "mc-empty", "default", "kube-system"]
rnd = random.Random(1645)
qs = []
ptrs = []  # the reverse names of the imports' endpoints: OUT.ptr


def q(kind, name, types, variant="udp1232"):
    for t in types:
        qs.append({"kind": kind, "name": name, "type": t, "v": variant})


def coredns_dashed(ip):
    """An endpoint's name without hostname as CoreDNS spells it
    (endpointHostname: the address as written, ':' and '.' as '-')."""
    h = ip.replace(".", "-").replace(":", "-")
    return h + "0" if h.endswith("-") else h


def get(path):
    return dnsdiff.api_get(url, token, ca, path)


imports = get("/apis/multicluster.x-k8s.io/v1alpha1/serviceimports")
slices = get("/apis/discovery.k8s.io/v1/endpointslices?labelSelector=multicluster.kubernetes.io%2Fservice-name")
services = [s for s in get("/api/v1/services") if s["metadata"]["namespace"] in NAMESPACES[:3]]
nss = [n["metadata"]["name"] for n in get("/api/v1/namespaces")]
by_import = {}
for s in slices:
    k = (s["metadata"]["namespace"], s["metadata"]["labels"]["multicluster.kubernetes.io/service-name"])
    by_import.setdefault(k, []).append(s)
local = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in services}
imported = set()

for imp in imports:
    ns, name = imp["metadata"]["namespace"], imp["metadata"]["name"]
    imported.add((ns, name))
    spec = imp["spec"]
    fq = "%s.%s.%s." % (name, ns, CSV)
    sl = by_import.get((ns, name), [])
    ready = [a for s in sl for e in s.get("endpoints") or []
             if (e.get("conditions") or {}).get("ready") is not False for a in e.get("addresses") or []]
    if spec["type"] == "Headless":
        kind = "headless-mcs" if ready else "headless-mcs-empty"
    else:
        fams = set(ipaddress.ip_address(i).version for i in spec.get("ips") or [])
        kind = "clustersetip-" + {frozenset([4]): "ipv4", frozenset([6]): "ipv6",
                                  frozenset([4, 6]): "dual"}.get(frozenset(fams), "noip")
    q(kind, fq, ["A", "AAAA", "SRV", "TXT", "ANY", "CNAME", "SOA", "MX", "PTR"])
    q(kind, fq, ["A", "AAAA", "SRV"], "tcp")
    mixed = "".join(c.upper() if rnd.random() < 0.5 else c for c in fq)
    q(kind + "-mixedcase", mixed, ["A", "SRV"])
    # _port._proto, and the forms without one or both underscores.
    for p in spec.get("ports") or []:
        proto = p.get("protocol", "TCP").lower()
        other = "udp" if proto == "tcp" else "tcp"
        if p.get("name"):
            n = p["name"]
            q(kind + "-srv", "_%s._%s.%s" % (n, proto, fq), ["SRV", "A", "TXT"])
            q(kind + "-srv-wrongproto", "_%s._%s.%s" % (n, other, fq), ["SRV"])
            q(kind + "-srv-nounderscore", "%s.%s.%s" % (n, proto, fq), ["SRV", "A"])
            q(kind + "-srv-halfunderscore", "_%s.%s.%s" % (n, proto, fq), ["SRV", "A"])
            q(kind + "-srv-halfunderscore", "%s._%s.%s" % (n, proto, fq), ["SRV", "A"])
        else:
            q(kind + "-srv-unnamed", "_%s._%s.%s" % (p["port"], proto, fq), ["SRV"])
    q(kind + "-srv-noport", "_nope._tcp." + fq, ["SRV", "A"])
    q(kind + "-below3", "a.b.c." + fq, ["A"])
    # <clusterid>.<import>, and a cluster that exports nothing.
    clusters = sorted(set(s["metadata"]["labels"].get(SOURCE, "") for s in sl) - {""})
    for c in clusters + ["cluster-9"]:
        q("mcs-clusterid-only", "%s.%s" % (c, fq), ["A", "SRV"])
    # <hostname>.<clusterid>.<import>: every endpoint, in its cluster, in
    # another, and without the cluster id.
    ek0 = "endpoint-mcs-" + ("" if spec["type"] == "Headless" else "cip-")
    for s in sl:
        c = s["metadata"]["labels"].get(SOURCE, "")
        wrong = "cluster-2" if c == "cluster-1" else "cluster-1"
        for e in s.get("endpoints") or []:
            rd = (e.get("conditions") or {}).get("ready") is not False
            for ip in e.get("addresses") or []:
                host = e.get("hostname") or coredns_dashed(ip)
                ek = ek0 + ("host-" if e.get("hostname") else "ip-") + ("ready" if rd else "notready")
                q(ek, "%s.%s.%s" % (host, c, fq), ["A", "AAAA", "SRV", "TXT"])
                q("mcs-endpoint-othercluster", "%s.%s.%s" % (host, wrong, fq), ["A", "AAAA"])
                q("mcs-endpoint-unknowncluster", "%s.cluster-9.%s" % (host, fq), ["A"])
                q("mcs-endpoint-nocluster", "%s.%s" % (host, fq), ["A", "AAAA"])
                if not e.get("hostname") and ":" in ip:
                    q(ek + "-exploded", "%s.%s.%s" % (dnsdiff.dashed(ip), c, fq), ["AAAA"])
                ptrs.append(dnsdiff.rev(ip))
    for ip in spec.get("ips") or []:
        q("reverse-mcs-vip", dnsdiff.rev(ip), ["PTR"])
    # The import's name in cluster.local: a regular Service's, or none.
    if (ns, name) not in local:
        q("nx-mcs-import-in-cluster-local", "%s.%s.%s." % (name, ns, LOCAL), ["A", "AAAA", "SRV"])
        for p in (spec.get("ports") or [])[:1]:
            if p.get("name"):
                q("nx-mcs-import-in-cluster-local", "_%s._%s.%s.%s.%s." % (
                    p["name"], p.get("protocol", "TCP").lower(), name, ns, LOCAL), ["SRV"])

# The regular Services beside them, in cluster.local (as test_coredns_diff.sh
# asks them) and in clusterset.local (not imported: NXDOMAIN).
for (ns, name), s in sorted(local.items()):
    spec = s["spec"]
    fq = "%s.%s.%s." % (name, ns, LOCAL)
    kind = "headless" if spec.get("clusterIP") == "None" else "clusterip-ipv4"
    q(kind, fq, ["A", "AAAA", "SRV", "TXT"])
    q(kind + "-srv", "_http._tcp." + fq, ["SRV"])
    for ip in spec.get("clusterIPs") or []:
        if ip != "None":
            q("ptr-clusterip", dnsdiff.rev(ip), ["PTR"])
    if (ns, name) not in imported:
        q("nx-mcs-local-only", "%s.%s.%s." % (name, ns, CSV), ["A", "AAAA", "SRV"])
for p in get("/api/v1/pods"):
    if p["metadata"]["namespace"] == "mc-b":
        for ipr in (p.get("status") or {}).get("podIPs") or []:
            ip = ipr["ip"]
            q("headless-mcs-local-endpoint", "%s.db.mc-b.%s." % (coredns_dashed(ip), CSV), ["A"])
            q("pod-clusterset", "%s.mc-b.pod.%s." % (coredns_dashed(ip), CS), ["A"])
            q("pod", "%s.mc-b.pod.cluster.local." % coredns_dashed(ip), ["A"])

# The zone: apex, svc., pod., dns-version, namespaces, what does not exist.
# (Kinds as test_coredns_diff.sh names the same shapes in cluster.local.)
for kind, n, types in [
        ("apex", CS + ".", ["SOA", "NS", "A", "TXT"]),
        ("svc-apex", CSV + ".", ["SOA", "NS", "A", "TXT"]),
        ("pod-apex", "pod.%s." % CS, ["SOA", "A", "TXT"]),
        ("dns-version", "dns-version.%s." % CS, ["TXT", "A"]),
        ("ns-dns", "ns.dns.%s." % CS, ["A"]),
        ("nx-depth3", "nope.%s." % CS, ["A", "SOA"]),
        ("nx-ns", "nonexistent.%s." % CSV, ["A", "SOA", "TXT"]),
        ("nx-mcs-ns-import", "web.nonexistent.%s." % CSV, ["A", "SRV"]),
        ("nx-mcs-import", "kubernetes.default.%s." % CSV, ["A", "SRV"]),
        ("wildcard", "*.mc-a.%s." % CSV, ["A"]),
        ("wildcard", "any.mc-a.%s." % CSV, ["A"]),
        ("pod-clusterset", "1-2-3-4.mc-a.pod.%s." % CS, ["A", "AAAA", "TXT"]),
        ("pod-clusterset", "10-200-0-10.mc-empty.pod.%s." % CS, ["A"]),
        ("pod-clusterset", "1-2-3-4.nonexistent.pod.%s." % CS, ["A"]),
        ("pod-clusterset-v6", "fd00-10-244--5.mc-a.pod.%s." % CS, ["AAAA"]),
        ("pod-nsonly", "mc-a.pod.%s." % CS, ["A"]),
        ("pod", "1-2-3-4.mc-a.pod.cluster.local.", ["A"]),
        ("reverse-unknown", dnsdiff.rev("10.200.9.9"), ["PTR"])]:
    q(kind, n, types)
for ns in NAMESPACES + ["nonexistent"]:
    kind = "namespace" if ns in nss else "nx-ns"
    q(kind, "%s.%s." % (ns, CSV), ["A", "SOA", "NS", "TXT"])
    q("nx-mcs-import" if ns in nss else "nx-mcs-ns-import", "nope.%s.%s." % (ns, CSV), ["A", "AAAA", "SRV"])
with open(out, "w") as f:
    for x in qs:
        f.write(json.dumps(x) + "\n")
with open(out + ".ptr", "w") as f:
    for n in sorted(set(ptrs)):
        f.write(n + "\n")
print("%d questions (%d imports, %d MCS slices, %d Services beside them)" % (
    len(qs), len(imports), len(slices), len(services)))
PYEOF

gen_questions() {
	"$PY" "$GEN" "$RA_HERE" "$APISERVER_URL" "$RA_ADMIN_TOKEN" "$RA_CA" "$1" | sed 's/^/     /'
	[ -s "$1" ] || { fail "write the questions ($1)"; realapi_finish; }
}
# check_endpoint_ptrs LABEL FILE: the PTR questions of FILE (the imports'
# endpoints' addresses) are not compared: CoreDNS sends no reply to them.
# Its PTR search goes through every EndpointSlice, MCS ones too, and for
# one without kubernetes.io/service-name builds the name
# <host>..<ns>.svc.cluster.local (its index, "<service>.<ns>", with an
# empty service), which does not pack. svcdns has no PTR for imports, as
# CoreDNS has none for their VIPs (compared): it answers them as any
# address it does not know (forwarded to NSD: NXDOMAIN).
check_endpoint_ptrs() {
	local label=$1 n bad="" total=0 got
	[ -z "${MCS_DIFF_SELF:-}" ] || return 0 # "svcdns" is CoreDNS
	while read -r n; do
		total=$((total + 1))
		got=$(q "$n" PTR +rec)
		if ! printf '%s\n' "$got" | grep -qx 'rcode NXDOMAIN' || printf '%s\n' "$got" | grep -q '^answer '; then
			bad="$bad $n: $(printf '%s\n' "$got" | oneline);"
		fi
	done <"$2"
	if [ -z "$bad" ] && [ "$total" -gt 0 ]; then
		pass "$label: svcdns answers the $total reverse names of the imports' endpoints NXDOMAIN (no PTR for imports)"
	else
		fail "$label: svcdns answers the $total reverse names of the imports' endpoints NXDOMAIN (no PTR for imports):$bad"
	fi
}
QF=$RA_DIR/questions.jsonl
gen_questions "$QF"
coredns_compare "every import, endpoint, namespace and Service" "$QF" "$RA_DIR/compare.out"
check_endpoint_ptrs "every endpoint" "$QF.ptr"

# ---- changes, one at a time -----------------------------------------------------------------
# both_answer DESC NAME TYPE EXPECTED: each server answers NAME TYPE with
# EXPECTED (short's form: sorted rdata, "" for none) within CHANGE_MS.
both_answer() {
	local desc=$1 name=$2 type=$3 want=$4 QPORT t0 ok=1
	t0=$(now_ms)
	QPORT=$CD_PORT
	wait_answer "$name" "$type" "$want" "$CHANGE_MS" || ok=0
	QPORT=$PORT
	wait_answer "$name" "$type" "$want" "$CHANGE_MS" || ok=0
	if [ $ok = 1 ]; then
		pass "$desc: both answer $name $type as the API says ($(($(now_ms) - t0)) ms)"
	else
		fail "$desc: both answer $name $type as the API says (coredns '$(at "$CD_PORT" "$name" "$type" | oneline)'," \
			"svcdns '$(at "$PORT" "$name" "$type" | oneline)', want '$(printf '%s' "$want" | oneline)')"
	fi
}
# both_rcode DESC NAME TYPE RCODE: as both_answer, for the rcode.
both_rcode() {
	local desc=$1 QPORT t0 ok=1
	t0=$(now_ms)
	QPORT=$CD_PORT
	wait_rcode "$4" "$2" "$3" "$CHANGE_MS" || ok=0
	QPORT=$PORT
	wait_rcode "$4" "$2" "$3" "$CHANGE_MS" || ok=0
	if [ $ok = 1 ]; then
		pass "$desc: both answer $2 $3 with $4 ($(($(now_ms) - t0)) ms)"
	else
		fail "$desc: both answer $2 $3 with $4"
	fi
}
# qs FILE KIND NAME TYPE...: questions about a changed name.
qs() {
	local f=$1 k=$2 n=$3 t
	shift 3
	for t in "$@"; do
		printf '{"kind":"%s","name":"%s.","type":"%s","v":"udp1232"}\n' "$k" "$n" "$t" >>"$f"
	done
}
N=0
# changed LABEL: compares the questions qs wrote to $CF, then starts anew.
changed() {
	coredns_compare "$1" "$CF" "$RA_DIR/change-$N.out"
	N=$((N + 1))
	CF=$RA_DIR/change-$N.jsonl
	: >"$CF"
}
CF=$RA_DIR/change-0.jsonl
: >"$CF"

# 1. spec.ips of a ClusterSetIP import.
must "patch $A/web spec.ips" kpatch "$MCS_API/namespaces/$A/serviceimports/web" '{"spec":{"ips":["10.200.0.12"]}}'
both_answer "web's VIP changed" "web.$A.$CZ" A 10.200.0.12
qs "$CF" clustersetip-ipv4 "web.$A.$CZ" A AAAA SRV
qs "$CF" clustersetip-ipv4-srv "_http._tcp.web.$A.$CZ" SRV
qs "$CF" reverse-mcs-vip 12.0.200.10.in-addr.arpa PTR
qs "$CF" reverse-mcs-vip 10.0.200.10.in-addr.arpa PTR
changed "after web's VIP changed"

# 2. an endpoint added to a slice.
DB_C1_V2="$DB_C1_V1,$(ep 10.201.1.4 db-3)"
must "add db-3 to $A/db-c1" kpatch "$SLICES/namespaces/$A/endpointslices/db-c1" "{\"endpoints\":[$DB_C1_V2]}"
both_answer "an endpoint added to db-c1" "db.$A.$CZ" A "$(printf '%s\n' 10.201.1.1 10.201.1.2 10.201.1.4 10.201.2.1)"
qs "$CF" headless-mcs "db.$A.$CZ" A AAAA SRV
qs "$CF" headless-mcs-srv "_http._tcp.db.$A.$CZ" SRV
qs "$CF" endpoint-mcs-host-ready "db-3.cluster-1.db.$A.$CZ" A AAAA SRV
changed "after an endpoint was added"

# 3. an endpoint made not ready.
DB_C1_V3="$(ep 10.201.1.1 db-0),$(ep 10.201.1.2 db-1 false),$(ep 10.201.1.3 db-2 false),$(ep 10.201.1.4 db-3)"
must "db-1 of $A/db-c1 not ready" kpatch "$SLICES/namespaces/$A/endpointslices/db-c1" "{\"endpoints\":[$DB_C1_V3]}"
both_answer "an endpoint made not ready" "db.$A.$CZ" A "$(printf '%s\n' 10.201.1.1 10.201.1.4 10.201.2.1)"
qs "$CF" headless-mcs "db.$A.$CZ" A SRV
qs "$CF" headless-mcs-srv "_dns._udp.db.$A.$CZ" SRV
qs "$CF" endpoint-mcs-host-notready "db-1.cluster-1.db.$A.$CZ" A SRV
changed "after an endpoint was made not ready"

# 4. a slice deleted (the IPv6 one of cluster-2).
must "delete $A/db-c2-v6" kdelete "$SLICES/namespaces/$A/endpointslices/db-c2-v6"
both_answer "a slice deleted" "db.$A.$CZ" AAAA ""
qs "$CF" headless-mcs "db.$A.$CZ" AAAA A SRV
qs "$CF" endpoint-mcs-host-ready "db-0.cluster-2.db.$A.$CZ" A AAAA
qs "$CF" endpoint-mcs-ip-ready "fd00-201-2--2.cluster-2.db.$A.$CZ" AAAA
changed "after a slice was deleted"

# 5. an import deleted (its slices stay).
must "delete ServiceImport $A/anon" kdelete "$MCS_API/namespaces/$A/serviceimports/anon"
both_rcode "an import deleted" "anon.$A.$CZ" A NXDOMAIN
qs "$CF" nx-mcs-import-deleted "anon.$A.$CZ" A AAAA SRV
qs "$CF" nx-mcs-import-deleted "_5000._tcp.anon.$A.$CZ" SRV
qs "$CF" nx-mcs-import-deleted "10-201-3-1.cluster-1.anon.$A.$CZ" A
changed "after an import was deleted"

# 6. an import created afterwards.
mk_import "$A" late ClusterSetIP '["10.200.0.30"]' "$P_HTTP"
both_answer "an import created" "late.$A.$CZ" A 10.200.0.30
qs "$CF" clustersetip-ipv4 "late.$A.$CZ" A AAAA SRV
qs "$CF" clustersetip-ipv4-srv "_http._tcp.late.$A.$CZ" SRV
changed "after an import was created"

# 7. ClusterSetIP -> Headless: the endpoints of both clusters.
must "patch $A/web to Headless" kpatch "$MCS_API/namespaces/$A/serviceimports/web" '{"spec":{"type":"Headless","ips":null}}'
both_answer "web turned Headless" "web.$A.$CZ" A "$(printf '%s\n' 10.201.5.1 10.201.6.1)"
qs "$CF" headless-mcs "web.$A.$CZ" A AAAA SRV
qs "$CF" headless-mcs-srv "_http._tcp.web.$A.$CZ" SRV
qs "$CF" headless-mcs-srv "_dns._udp.web.$A.$CZ" SRV
qs "$CF" endpoint-mcs-host-ready "web-0.cluster-1.web.$A.$CZ" A SRV
changed "after web turned Headless"

# And everything once more, as the API serves it now.
QF2=$RA_DIR/questions-after.jsonl
gen_questions "$QF2"
coredns_compare "after the changes, everything again" "$QF2" "$RA_DIR/compare-after.out"
check_endpoint_ptrs "after the changes" "$QF2.ptr"

# The one 403 expected: the ServiceImports', before their rule existed.
if grep -E 'HTTP 403|[Ff]orbidden' "$LOG" | grep -qv 'serviceimports: HTTP 403: '; then
	fail "svcdns got no other 403 with deploy/'s ClusterRole and svcdns-multicluster"
else
	pass "svcdns got no other 403 with deploy/'s ClusterRole and svcdns-multicluster"
fi
check_true "svcdns listed the ServiceImports once the CRD and the rule were there" \
	grep -q 'listed serviceimports' "$LOG"
alive "svcdns still running"
child_alive "$CD_PID" && pass "CoreDNS still running" || fail "CoreDNS still running"
if [ -n "${MCS_DIFF_KEEP:-}" ]; then
	KEEP=$(mktemp -d /tmp/mcs-diff.XXXXXX)
	cp -r "$RA_DIR/Corefile" "$RA_DIR/coredns.log" "$LOG" "$QF" "$QF2" "$RA_DIR"/compare*.out \
		"$RA_DIR"/change-* "$GEN" "$KEEP/" 2>/dev/null
	echo "     work directory kept: $KEEP"
fi
# --no-endpoints: CoreDNS's noendpoints leaves the multicluster zones'
# endpoints, so svcdns then watches the slices of ServiceImports only.
if [ -z "${MCS_DIFF_SELF:-}" ]; then
	stop_server "$PID"
	start_svcdns_diff --multicluster "$CS" --no-endpoints
	mcs_db=$(at "$CD_PORT" "db.$A.$CZ" A | oneline)
	no_ep_same() { [ -n "$mcs_db" ] && [ "$(at "$PORT" "db.$A.$CZ" A | oneline)" = "$mcs_db" ]; }
	check_true "--no-endpoints: db.$A.$CZ keeps its endpoints ($mcs_db), as CoreDNS's" \
		wait_for 30 no_ep_same
	check_eq "  ... while $B's headless db of cluster.local has none" NXDOMAIN \
		"$(q "db.$B.$Z" A | sed -n 's/^rcode //p')"
	n_mcs=$(kget "$SLICES/endpointslices?labelSelector=multicluster.kubernetes.io%2Fservice-name" |
		"$PY" -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')
	check_true "  ... and lists only the $n_mcs slices labelled for ServiceImports" \
		wait_for 10 grep -Eq "listed endpointslices.*: $n_mcs objects" "$LOG"
fi
echo "     whole test $(($(now_ms) - T_START)) ms"
if [ -n "${MCS_DIFF_SELF:-}" ]; then ra_stop "$PID" 8; else stop_server "$PID"; fi
ra_stop "$CD_PID" 8
realapi_finish
