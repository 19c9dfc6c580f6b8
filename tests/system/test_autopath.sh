#!/bin/sh
# test_autopath.sh - --autopath: a pod's query for NAME.<its ns>.svc.<zone>
# that does not exist is answered with a CNAME to the first of
# NAME.svc.<zone>, NAME.<zone>, NAME that does, then its records; the
# client is known by its source address (Pods in --dir: 127.0.0.2 is a pod
# of shop). Unknown, shared, hostNetwork and finished pods' addresses, other namespaces'
# suffixes and names that exist get no autopath.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
pod() { # NAME NS IP [hostNetwork]
	printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s", "namespace": "%s"},
  "spec": {"nodeName": "node-1"%s}, "status": {"phase": "Running", "podIP": "%s",
  "podIPs": [{"ip": "%s"}]}}' "$1" "$2" "${4:+, \"hostNetwork\": true}" "$3" "$3"
}
cat >"$DIR/autopath.json" <<JSON
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext", "namespace": "data"},
  "spec": {"type": "ExternalName", "externalName": "www.example.test"}},
 $(pod client shop 127.0.0.2),
 $(pod other-client data 127.0.0.4),
 $(pod twin-a shop 127.0.0.5),
 $(pod twin-b data 127.0.0.5),
 $(pod node-agent shop 127.0.0.6 host),
 $(pod done-job shop 127.0.0.7 | sed 's/"Running"/"Succeeded"/')
]}
JSON

start_upstream main
UP=$UPORT UPLOG=$ULOG
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --autopath
S=shop.svc.cluster.local

# FROM NAME TYPE [dig options]: rcode and sections with the records in the
# order they came (our CNAME must come first), SOA serials masked
from() {
	local src=$1
	shift
	d -b "$src" +norec +nocookie "$@" | awk '
	/^;; ->>HEADER<<-/ { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); print "rcode " s; next }
	/^;; ANSWER SECTION:/ { sec = "answer"; next }
	/^;; AUTHORITY SECTION:/ { sec = "authority"; next }
	/^;/ || /^$/ { sec = ""; next }
	sec != "" { $1 = $1; print sec " " $0 }' |
		sed -e 's/ SOA \(.*\) [0-9][0-9]* \([0-9]* [0-9]* [0-9]* [0-9]*\)$/ SOA \1 SERIAL \2/' \
		    -e 's/^\(answer [^ ]*example\.test\.\) [0-9]* /\1 TTL /'
}
answers() { printf '%s\n' "$1" | grep -c '^answer'; }

# ---- a name that exists: answered as it is ----
got=$(from 127.0.0.2 "kubernetes.default.svc.cluster.local" A)
check_eq "an existing name: no CNAME" "rcode NOERROR
answer kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1" "$got"

# ---- another namespace's service, asked by name.ns ----
got=$(from 127.0.0.2 "kubernetes.default.$S" A)
check_eq "name.ns from a pod of shop: CNAME to name.ns.svc.<zone>, then its A" "rcode NOERROR
answer kubernetes.default.$S. 5 IN CNAME kubernetes.default.svc.cluster.local.
answer kubernetes.default.svc.cluster.local. 5 IN A 10.96.0.1" "$got"
got=$(from 127.0.0.2 "kubernetes.default.$S" AAAA)
check_eq "AAAA the same as A: the walk ends at the same name (NODATA after the CNAME)" \
	"rcode NOERROR
answer kubernetes.default.$S. 5 IN CNAME kubernetes.default.svc.cluster.local.
authority cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5" \
	"$got"
got=$(from 127.0.0.2 "Kubernetes.Default.$S" A)
check_true "the question's letters kept in the question and the CNAME ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^answer Kubernetes.Default.shop.svc.cluster.local. 5 IN CNAME Kubernetes.Default.svc.cluster.local.$"' sh "$got"

# ---- a namespace, asked as name.svc: found at NAME.<zone> ----
got=$(from 127.0.0.2 "default.svc.$S" A)
check_eq "ns.svc: CNAME to ns.svc.<zone> (it exists: NODATA)" "rcode NOERROR
answer default.svc.$S. 5 IN CNAME default.svc.cluster.local.
authority cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5" \
	"$got"

# ---- an outside name: forwarded, and the client stops here ----
got=$(from 127.0.0.2 "www.example.test.$S" A)
check_eq "an outside name: CNAME to it, then the upstream's A" "rcode NOERROR
answer www.example.test.$S. 5 IN CNAME www.example.test.
answer www.example.test. TTL IN A 192.0.2.1" "$got"
got=$(from 127.0.0.2 "www.example.test.$S" AAAA +tcp)
check_eq "over TCP, AAAA: CNAME and the upstream's AAAA" "rcode NOERROR
answer www.example.test.$S. 5 IN CNAME www.example.test.
answer www.example.test. TTL IN AAAA 2001:db8::1" "$got"
got=$(from 127.0.0.2 "nosuch.example.test.$S" A)
check_true "a name that exists nowhere: the CNAME and the upstream's NXDOMAIN ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^rcode NXDOMAIN" &&
	       printf "%s\n" "$1" | grep -q "CNAME nosuch.example.test.$" &&
	       printf "%s\n" "$1" | grep -q "^authority example.test. .* SOA"' sh "$got"

# ---- an ExternalName found on the way: both CNAMEs, then the target ----
got=$(from 127.0.0.2 "ext.data.$S" A)
check_eq "ExternalName in another namespace: CNAME, its CNAME, the upstream's A" "rcode NOERROR
answer ext.data.$S. 5 IN CNAME ext.data.svc.cluster.local.
answer ext.data.svc.cluster.local. 5 IN CNAME www.example.test.
answer www.example.test. TTL IN A 192.0.2.1" "$got"

# ---- truncation: an answer too big for UDP says TC, TCP has it all ----
out=$(d -b 127.0.0.2 +norec +nocookie +noedns +ignore "big.example.test.$S" TXT)
check_true "UDP without EDNS: TC" sh -c 'printf "%s\n" "$1" | grep -q "flags:.* tc"' sh "$out"
got=$(from 127.0.0.2 "big.example.test.$S" TXT +tcp)
check_eq "TCP: the CNAME and all 40 TXT records" 41 "$(answers "$got")"

# ---- no autopath ----
for c in "127.0.0.3 an unknown client" "127.0.0.4 a pod of another namespace" \
	"127.0.0.5 an address two pods share" "127.0.0.6 a hostNetwork pod's address" \
	"127.0.0.7 a finished (Succeeded) pod's address"; do
	got=$(from "${c%% *}" "www.example.test.$S" A)
	check_eq "${c#* }: the plain NXDOMAIN" "rcode NXDOMAIN" "$(printf '%s\n' "$got" | head -1)"
	check_eq "${c#* }: no answer records" 0 "$(answers "$got")"
done
got=$(from 127.0.0.4 "www.example.test.data.svc.cluster.local" A)
check_eq "the pod of data gets autopath in its own namespace's suffix" "rcode NOERROR
answer www.example.test.data.svc.cluster.local. 5 IN CNAME www.example.test.
answer www.example.test. TTL IN A 192.0.2.1" "$got"

# ---- metrics: CoreDNS's counter, and the map's size ----
M=$(curl -s --max-time 10 "http://$(sed -n 's/.*http on \([0-9.]*\):0 (port \([0-9]*\)).*/\1:\2/p' "$LOG")/metrics")
n=$(printf '%s\n' "$M" | sed -n 's/^coredns_autopath_success_total{server="[^"]*"} \([0-9]*\)$/\1/p')
check_true "coredns_autopath_success_total counts the walked queries (${n:-none}, 11 asked)" \
	[ "${n:-0}" -ge 11 ]
pods=$(python3 -c '
import json, glob, sys
ips = {}
for f in glob.glob(sys.argv[1] + "/*.json"):
    d = json.load(open(f))
    for o in d.get("items", [d]):
        kind = o.get("kind") or d.get("kind", "").replace("List", "")
        if kind == "Pod" and not o.get("spec", {}).get("hostNetwork") and \
           o.get("status", {}).get("phase") not in ("Succeeded", "Failed"):
            for ip in {i["ip"] for i in o.get("status", {}).get("podIPs", [])} | {o.get("status", {}).get("podIP")} - {None}:
                ips[ip] = 1
print(len(ips))' "$DIR")
check_eq "svcdns_pod_map_addresses: every pod address but the hostNetwork pod's" "$pods" \
	"$(printf '%s\n' "$M" | sed -n 's/^svcdns_pod_map_addresses \([0-9]*\)$/\1/p')"

# ---- the pod goes: its address is unknown again ----
python3 - "$DIR/autopath.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["items"] = [i for i in d["items"] if i["metadata"]["name"] != "client"]
json.dump(d, open(sys.argv[1] + ".tmp", "w"))
EOF
mv -f "$DIR/autopath.json.tmp" "$DIR/autopath.json"
kill -HUP "$PID"
gone() { [ "$(from 127.0.0.2 "www.example.test.$S" A | head -1)" = "rcode NXDOMAIN" ]; }
if wait_for 10 gone; then
	pass "a pod removed from the files: its address gets the plain NXDOMAIN"
else
	fail "a pod removed from the files: still autopath"
fi
stop_server "$PID"

# ---- without --autopath nothing changes ----
start_fwd "$DIR" --upstream "127.0.0.1:$UP"
got=$(from 127.0.0.4 "www.example.test.data.svc.cluster.local" A)
check_eq "without --autopath: NXDOMAIN" "rcode NXDOMAIN" "$(printf '%s\n' "$got" | head -1)"
stop_server "$PID"
finish
