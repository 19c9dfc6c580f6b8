#!/bin/sh
# test_truncation.sh - a headless service with 500 ready endpoints: TC over
# UDP at a whole-record boundary (512 without EDNS, the client's EDNS size
# capped at 1232), the whole answer over TCP; EDNS OPT echo and BADVERS.
. "${TESTDIR:?}/system/lib.sh"

Z=cluster.local
DIR=$(copy_demo)
N=500

# 500 endpoints in 5 EndpointSlices of 100 (the controller's default slice size)
python3 - "$DIR/big.json" "$N" <<'EOF'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
items = [{"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "load", "uid": "0b5c3c1e-7a51-4d0c-9d0e-4a5b6c7d8e01",
                       "resourceVersion": "500001", "creationTimestamp": "2024-11-10T08:00:00Z",
                       "labels": {"kubernetes.io/metadata.name": "load"}},
          "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}},
         {"apiVersion": "v1", "kind": "Service",
          "metadata": {"name": "big", "namespace": "load", "uid": "0b5c3c1e-7a51-4d0c-9d0e-4a5b6c7d8e02",
                       "resourceVersion": "500002", "creationTimestamp": "2024-11-10T08:00:00Z",
                       "labels": {"app": "big"}},
          "spec": {"clusterIP": "None", "clusterIPs": ["None"], "ipFamilies": ["IPv4"],
                   "ipFamilyPolicy": "SingleStack",
                   "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                   "selector": {"app": "big"}, "sessionAffinity": "None", "type": "ClusterIP"},
          "status": {"loadBalancer": {}}}]
for s in range(0, n, 100):
    eps = []
    for i in range(s, min(n, s + 100)):
        ip = "10.250.%d.%d" % (i // 250, i % 250 + 1)
        eps.append({"addresses": [ip],
                    "conditions": {"ready": True, "serving": True, "terminating": False},
                    "nodeName": "node-%d" % (i % 3),
                    "targetRef": {"kind": "Pod", "name": "big-%d" % i, "namespace": "load"}})
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "addressType": "IPv4",
                  "metadata": {"name": "big-%05d" % s, "namespace": "load",
                               "generateName": "big-", "resourceVersion": str(500100 + s),
                               "creationTimestamp": "2024-11-10T08:00:01Z",
                               "labels": {"kubernetes.io/service-name": "big",
                                          "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
                  "endpoints": eps,
                  "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]})
json.dump({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items},
          open(path, "w"), indent=2)
EOF
[ -s "$DIR/big.json" ] || { echo "FAIL: could not write big.json"; exit 1; }

start_server "$DIR"
echo "# server on port $PORT"
NAME=big.load.svc.$Z

# raw QUERY-ARGS... : prints the rawdns.py JSON summary
raw() { python3 "$RAWDNS" query "$PORT" "$@"; }

# judge DESC LIMIT WANT_OPT(yes|no) JSON: TC set, size <= LIMIT, whole
# records, the packet is full (one more record of RRSIZE bytes, default 16
# = a compressed A record, would not fit; 0 skips that check).
judge_tc() {
	desc=$1 limit=$2 want_opt=$3 json=$4 rrsize=${5:-16}
	res=$(printf '%s' "$json" | python3 -c '
import json, sys
limit, want_opt, rrsize = int(sys.argv[1]), sys.argv[2] == "yes", int(sys.argv[3])
r = json.load(sys.stdin)
p = []
if not r.get("reply"):
    print("no reply"); sys.exit(0)
if not r.get("id_matches"): p.append("wrong id")
if not r.get("tc"): p.append("TC not set")
if not r.get("aa"): p.append("AA not set")
if r.get("rcode") != "NOERROR": p.append("rcode %s" % r.get("rcode"))
if r["size"] > limit: p.append("reply is %d bytes > %d" % (r["size"], limit))
if not r.get("parsed"): p.append("not whole records: %s" % r.get("error"))
if want_opt and not r.get("opt"): p.append("no OPT in the reply to an EDNS query")
if not want_opt and r.get("opt"): p.append("OPT in the reply to a query without EDNS")
if r.get("parsed") and r["ancount"] < 1: p.append("no answer records at all")
if rrsize and r.get("parsed") and r["size"] + rrsize <= limit: p.append("only %d bytes, %d records: another A record (16 bytes) would fit" % (r["size"], r["ancount"]))
print("; ".join(p) if p else "OK size=%d ancount=%d" % (r["size"], r["ancount"]))
' "$limit" "$want_opt" "$rrsize")
	case "$res" in
	OK*) pass "$desc ($res)" ;;
	*) fail "$desc: $res"; echo "     reply: $(printf '%s' "$json" | cut -c1-400)" ;;
	esac
}

judge_tc "UDP without EDNS: TC, <= 512 bytes, whole records" 512 no "$(raw $NAME A --noedns)"
judge_tc "UDP EDNS bufsize 1232: TC, <= 1232" 1232 yes "$(raw $NAME A --bufsize 1232)"
judge_tc "UDP EDNS bufsize 4096: capped at 1232" 1232 yes "$(raw $NAME A --bufsize 4096)"
judge_tc "UDP EDNS bufsize 512" 512 yes "$(raw $NAME A --bufsize 512)"
judge_tc "UDP EDNS bufsize 100 counts as 512" 512 yes "$(raw $NAME A --bufsize 100)"
judge_tc "UDP EDNS bufsize 800" 800 yes "$(raw $NAME A --bufsize 800)"

# dig's view of the same: tc flag with +ignore
flags=$(q $NAME A +noedns +ignore | sed -n 's/^flags //p')
check_eq "dig +noedns +ignore: flags" "qr aa tc" "$flags"

# TCP: the whole answer
json=$(raw $NAME A --tcp)
res=$(printf '%s' "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
n = int(sys.argv[1])
if not r.get("reply"): print("no reply"); sys.exit(0)
ips = {a.get("data") for a in r["answers"] if a["type"] == 1}
p = []
if r.get("tc"): p.append("TC set over TCP")
if not r.get("parsed"): p.append("parse error: %s" % r.get("error"))
if r.get("rcode") != "NOERROR": p.append("rcode %s" % r.get("rcode"))
if len(ips) != n or r["ancount"] != n: p.append("%d answers, %d distinct addresses" % (r["ancount"], len(ips)))
print("; ".join(p) if p else "OK")
' "$N")
check_eq "TCP: all $N A records, no TC" OK "$res"

count=$(d +norec +tcp +noall +answer $NAME A | awk '$4 == "A"' | sort -u | wc -l)
check_eq "dig +tcp: $N A records" "$N" "$count"

# dig without +ignore retries over TCP by itself after TC
count=$(d +norec +noedns +noall +answer $NAME A | awk '$4 == "A"' | sort -u | wc -l)
check_eq "dig over UDP retries over TCP after TC and gets all $N" "$N" "$count"

# the expected addresses, exactly
want=$(python3 -c '
for i in range(500): print("10.250.%d.%d" % (i // 250, i % 250 + 1))' | LC_ALL=C sort)
got=$(d +norec +tcp +short $NAME A | LC_ALL=C sort)
if [ "$want" = "$got" ]; then pass "TCP: the $N addresses are exactly the endpoints"; else
	fail "TCP: the $N addresses differ from the endpoints"
	printf '%s\n' "$want" >"$WORK/want"; printf '%s\n' "$got" >"$WORK/got"
	diff "$WORK/want" "$WORK/got" | head -20 | sed 's/^/     /'
fi

# SRV of 500 endpoints over TCP: 500 SRV + 500 glue A
json=$(raw _http._tcp.$NAME SRV --tcp)
res=$(printf '%s' "$json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if not r.get("reply"): print("no reply"); sys.exit(0)
ar = r["arcount"] - (1 if r.get("opt") else 0)
print("rcode=%s parsed=%s an=%d ar=%d" % (r.get("rcode"), r.get("parsed"), r["ancount"], ar))')
check_eq "TCP: 500-endpoint SRV (500 SRV, 500 glue A besides the OPT)" "rcode=NOERROR parsed=True an=500 ar=500" "$res"
judge_tc "UDP: 500-endpoint SRV without EDNS truncated" 512 no "$(raw _http._tcp.$NAME SRV --noedns)" 0

# ---- EDNS ----------------------------------------------------------------
optinfo() {
	python3 -c '
import json, sys
r = json.load(sys.stdin)
if not r.get("reply"): print("no reply"); sys.exit(0)
o = r.get("opt")
print("rcode=%s opt=%s" % (r.get("rcode"), "none" if o is None else "v%d" % o["version"]))'
}
check_eq "EDNS query (bufsize 4096): OPT echoed" "rcode=NOERROR opt=v0" \
	"$(raw kubernetes.default.svc.$Z A --bufsize 4096 | optinfo)"
check_eq "query without EDNS: no OPT" "rcode=NOERROR opt=none" \
	"$(raw kubernetes.default.svc.$Z A --noedns | optinfo)"
check_eq "EDNS on a NXDOMAIN: OPT echoed" "rcode=NXDOMAIN opt=v0" \
	"$(raw nosuch.default.svc.$Z A --bufsize 1232 | optinfo)"
check_eq "EDNS version 1: BADVERS with an OPT of version 0" "rcode=BADVERS opt=v0" \
	"$(raw kubernetes.default.svc.$Z A --edns-version 1 | optinfo)"
check_eq "EDNS version 1 over TCP: BADVERS" "rcode=BADVERS opt=v0" \
	"$(raw kubernetes.default.svc.$Z A --edns-version 1 --tcp | optinfo)"
st=$(q kubernetes.default.svc.$Z A +edns=1 +noednsnegotiation | sed -n 's/^rcode //p')
check_eq "dig +edns=1 +noednsneg: status BADVERS" BADVERS "$st"
n=$(q kubernetes.default.svc.$Z A +edns=1 +noednsnegotiation | grep -c '^answer')
check_eq "BADVERS carries no answer" 0 "$n"

alive
finish
