#!/bin/sh
# test_reload.sh - the directory source reloads: a new file, a changed
# clusterIP, a deleted file become visible within 2 s; a file that does not
# parse is reported (file name and line) and its old data keeps serving;
# the SOA serial moves forward on every change; a service moving between
# a compact node and prebuilt names keeps no stale port answer.
. "${TESTDIR:?}/system/lib.sh"

Z=cluster.local
DIR=$(copy_demo)
start_server "$DIR"
echo "# server on port $PORT, directory $DIR"

# a1 NAME TYPE: the sorted short answer
a1() { d +norec +short "$1" "${2:-A}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
rc() { q "$1" "${2:-A}" | sed -n 's/^rcode //p'; }
is_answer() { [ "$(a1 "$1" "$2")" = "$3" ]; }
is_rcode() { [ "$(rc "$1" "$2")" = "$3" ]; }

# within2 DESC EXPECTED NAME TYPE: the answer becomes EXPECTED within 2 s
within2() {
	desc=$1 want=$2 name=$3 type=$4
	t0=$(date +%s.%N)
	if wait_for 2 is_answer "$name" "$type" "$want"; then
		pass "$desc (after $(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo '?') s)"
	else
		fail "$desc: $name $type"
		echo "     expected (within 2 s): $want"
		echo "     got:                   $(a1 "$name" "$type")"
	fi
}
within2_rcode() {
	desc=$1 want=$2 name=$3 type=$4
	if wait_for 2 is_rcode "$name" "$type" "$want"; then pass "$desc"; else
		fail "$desc: $name $type"
		echo "     expected (within 2 s): rcode $want"
		echo "     got:                   rcode $(rc "$name" "$type") $(a1 "$name" "$type")"
	fi
}
# new_log_naming FILE: the log lines written since $WORK/log.before, once
# one names FILE (waits up to 3 s)
new_log_naming() {
	i=0
	while [ $i -lt 30 ] && ! tail -n +"$(($(wc -l <"$WORK/log.before") + 1))" "$LOG" | grep -q "$1"; do
		sleep 0.1
		i=$((i + 1))
	done
	tail -n +"$(($(wc -l <"$WORK/log.before") + 1))" "$LOG"
}
serial_up() {
	desc=$1 before=$2 after=$3
	if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ] 2>/dev/null; then
		pass "SOA serial moves forward: $desc ($before -> $after)"
	else
		fail "SOA serial must move forward: $desc: before '$before', after '$after'"
	fi
}

# ---- baseline ---------------------------------------------------------------------
check_eq "baseline: web A" "10.96.100.20" "$(a1 web.shop.svc.$Z)"
check_eq "baseline: zk A" "10.244.1.20 10.244.2.21" "$(a1 zk.data.svc.$Z)"
check_eq "baseline: fresh is NXDOMAIN" NXDOMAIN "$(rc fresh.shop.svc.$Z)"
s0=$(soa_serial)
check_true "baseline: SOA serial is a number ($s0)" test -n "$s0"

# ---- 1. a new file ----------------------------------------------------------------------
cat >"$WORK/fresh.json" <<'JSON'
{
    "apiVersion": "v1",
    "kind": "List",
    "metadata": {"resourceVersion": ""},
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "staging", "uid": "6f1d2c3b-4a59-4e8f-9a1b-2c3d4e5f6a70",
                         "resourceVersion": "420001", "creationTimestamp": "2024-11-12T09:00:00Z",
                         "labels": {"kubernetes.io/metadata.name": "staging"}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "fresh", "namespace": "shop", "uid": "6f1d2c3b-4a59-4e8f-9a1b-2c3d4e5f6a71",
                         "resourceVersion": "420002", "creationTimestamp": "2024-11-12T09:00:01Z",
                         "labels": {"app": "fresh"}},
            "spec": {"clusterIP": "10.96.150.1", "clusterIPs": ["10.96.150.1"],
                     "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                     "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": "http", "port": 8000, "protocol": "TCP", "targetPort": "http"}],
                     "selector": {"app": "fresh"}, "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}}
        }
    ]
}
JSON
mv "$WORK/fresh.json" "$DIR/fresh.json"
within2 "new file: its service answers" "10.96.150.1" fresh.shop.svc.$Z A
within2 "new file: its SRV answers" "0 100 8000 fresh.shop.svc.$Z." _http._tcp.fresh.shop.svc.$Z SRV
within2_rcode "new file: its Namespace exists (NODATA)" NOERROR staging.svc.$Z A
s1=$(soa_serial)
serial_up "after adding a file" "$s0" "$s1"

# ---- 2. a changed clusterIP (rewritten in place) ------------------------------------------
sed 's/"10\.96\.100\.20"/"10.96.100.21"/g' "$DIR/services-shop.json" >"$WORK/svc.tmp"
check_true "edit: the new clusterIP is in the file" grep -q '10.96.100.21' "$WORK/svc.tmp"
cat "$WORK/svc.tmp" >"$DIR/services-shop.json"
within2 "changed clusterIP: new A" "10.96.100.21" web.shop.svc.$Z A
within2 "changed clusterIP: new PTR" "web.shop.svc.$Z." 21.100.96.10.in-addr.arpa PTR
within2 "changed clusterIP: in-zone ExternalName follows" "10.96.100.21 web.shop.svc.$Z." storefront.shop.svc.$Z A
# No PTR is left for the old address. What a reverse name without cluster
# data gets is not pinned down (CoreDNS falls through to forwarding; with
# --upstream none that is REFUSED), so only the absence of the answer counts.
old_ptr=$(q 20.100.96.10.in-addr.arpa PTR)
case "$old_ptr" in
*"rcode NOERROR"*"PTR web.shop"*) fail "changed clusterIP: old PTR still answers"; echo "$old_ptr" | sed 's/^/     /' ;;
*"rcode NOERROR"*|*"rcode NO-REPLY"*) fail "changed clusterIP: old PTR name answers NOERROR / nothing"; echo "$old_ptr" | sed 's/^/     /' ;;
*) pass "changed clusterIP: old PTR gone ($(echo "$old_ptr" | head -1))" ;;
esac
check_eq "changed clusterIP: other services of the file unchanged" "10.96.200.10" "$(a1 frontend.shop.svc.$Z)"
s2=$(soa_serial)
serial_up "after changing a clusterIP" "$s1" "$s2"

# ---- 3. a deleted file ------------------------------------------------------------------------
rm -f "$DIR/zookeeper.json"
within2_rcode "deleted file: its headless service is NXDOMAIN" NXDOMAIN zk.data.svc.$Z A
within2_rcode "deleted file: its endpoint names are NXDOMAIN" NXDOMAIN zk-0.zk.data.svc.$Z A
within2_rcode "deleted file: its SRV is NXDOMAIN" NXDOMAIN _client._tcp.zk.data.svc.$Z SRV
check_eq "deleted file: the namespace's other services stay" "10.244.1.10 10.244.2.11" "$(a1 db.data.svc.$Z)"
s3=$(soa_serial)
serial_up "after deleting a file" "$s2" "$s3"

# ---- 4. an endpoint becomes ready -----------------------------------------------------------------
python3 - "$DIR/db-statefulset.json" <<'PYEOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
for it in d["items"]:
    if it.get("kind") == "EndpointSlice":
        for ep in it["endpoints"]:
            ep["conditions"]["ready"] = True
            ep["conditions"]["serving"] = True
open(p + ".tmp", "w").write(json.dumps(d, indent=4))
PYEOF
mv "$DIR/db-statefulset.json.tmp" "$DIR/db-statefulset.json"
within2 "endpoint turns ready: headless A gains it" "10.244.1.10 10.244.2.11 10.244.3.12" db.data.svc.$Z A
within2 "endpoint turns ready: its hostname answers" "10.244.3.12" db-2.db.data.svc.$Z A
s4=$(soa_serial)
serial_up "after an endpoint turned ready" "$s3" "$s4"

# ---- 5. a broken file: reported, old data keeps serving --------------------------------------
: >"$WORK/log.before"
cp "$LOG" "$WORK/log.before"
cat >"$DIR/services-shop.json" <<'JSON'
{
    "apiVersion": "v1",
    "kind": "ServiceList",
    "items": [ { "metadata": { "name": "web", } } ]
}
JSON
newlog=$(new_log_naming services-shop.json)
line=$(printf '%s\n' "$newlog" | grep 'services-shop.json' | head -1)
if [ -n "$line" ]; then
	pass "broken file: logged: $line"
	if printf '%s' "$line" | grep -q 'line [0-9]'; then
		pass "broken file: the message gives a line number"
		if printf '%s' "$line" | grep -q 'line 4\b'; then pass "broken file: the line number is 4 (where the error is)"; else
			echo "note: the error is on line 4; the message says: $line"; fi
	else
		fail "broken file: the message has no 'line N': $line"
	fi
else
	fail "broken file: nothing in the log names services-shop.json within 3 s; new log lines:"
	printf '%s\n' "$newlog" | head -10 | sed 's/^/     /'
fi
sleep 1.5
check_eq "broken file: its old ClusterIP answer keeps serving" "10.96.100.21" "$(a1 web.shop.svc.$Z)"
check_eq "broken file: its old dual-stack AAAA keeps serving" "fd00:10:96::c8" "$(a1 frontend.shop.svc.$Z AAAA)"
check_eq "broken file: its old ExternalName keeps serving" "api.payments.example.com." "$(a1 payments.shop.svc.$Z)"
check_eq "broken file: other files unaffected" "10.96.0.1" "$(a1 kubernetes.default.svc.$Z)"
s5=$(soa_serial)
check_true "broken file: serial still answered ($s5)" test -n "$s5"

# ---- 5b. a broken file bigger than one read (files are parsed 64 KiB at a time) ----------------
cp "$LOG" "$WORK/log.before"
bad_line=$(python3 - "$DIR/big-broken.json" <<'PYEOF'
import json, sys
items = [{"apiVersion": "v1", "kind": "Service",
          "metadata": {"name": "pad-%d" % i, "namespace": "shop"},
          "spec": {"clusterIP": "10.96.%d.%d" % (200 + i // 250, i % 250),
                   "ports": [{"name": "http", "port": 80}]}} for i in range(800)]
lines = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4).split("\n")
lines = lines[:-3] + ["        } }, }", "]", "}"]  # one brace too many, near the end
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
print(len(lines) - 2)
PYEOF
)
line=$(new_log_naming big-broken.json | grep 'big-broken.json' | head -1)
check_true "big broken file ($(wc -c <"$DIR/big-broken.json") bytes): the message names line $bad_line: $line" \
	sh -c "printf '%s' \"\$1\" | grep -q 'line $bad_line\b'" sh "$line"
check_eq "big broken file: none of its services is loaded" NXDOMAIN "$(rc pad-0.shop.svc.$Z)"
check_eq "big broken file: other files keep serving" "10.96.0.1" "$(a1 kubernetes.default.svc.$Z)"
rm -f "$DIR/big-broken.json"

# ---- 6. the file is fixed (with a change) ------------------------------------------------------
sed 's/"10\.96\.100\.21"/"10.96.100.22"/g' "$WORK/svc.tmp" >"$DIR/services-shop.json"
within2 "fixed file: the new data is used" "10.96.100.22" web.shop.svc.$Z A
s6=$(soa_serial)
serial_up "after fixing the broken file with a change" "$s5" "$s6"

# ---- 7. files that are not *.json are ignored ------------------------------------------------------
sed 's/"name": "fresh"/"name": "ignored"/' "$DIR/fresh.json" >"$DIR/ignored.json.bak"
sleep 1.5
check_eq "a file not ending in .json is ignored" NXDOMAIN "$(rc ignored.shop.svc.$Z)"

# ---- 7b. an address two services share: one PTR name, both targets ----------------------
shared_json() { # SERVICE[:N]...: headless services in shop whose slices hold 10.244.9.9 (hostname SERVICE-N, N=0)
	python3 - "$@" <<'PYEOF'
import json, sys
items = []
for arg in sys.argv[1:]:
    svc, _, n = arg.partition(":")
    items.append({"apiVersion": "v1", "kind": "Service",
                  "metadata": {"name": svc, "namespace": "shop"},
                  "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 80}]}})
    items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                  "metadata": {"name": svc + "-x1", "namespace": "shop",
                               "labels": {"kubernetes.io/service-name": svc}},
                  "addressType": "IPv4",
                  "endpoints": [{"addresses": ["10.244.9.9"], "hostname": svc + "-" + (n or "0"),
                                 "conditions": {"ready": True}}],
                  "ports": [{"name": "http", "port": 8080}]})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
PYEOF
}
shared_json sa sb >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: the PTR names both services" \
	"sa-0.sa.shop.svc.$Z. sb-0.sb.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
shared_json sa >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: one service gone, the other's PTR stays" \
	"sa-0.sa.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
shared_json sb >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: swapped for the other service" \
	"sb-0.sb.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
# The PTR of an address one service has is answered from that service's
# node; the name's own node, left from when the address was shared, must
# not keep answering with the old hostname.
shared_json sa sb >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: shared again" \
	"sa-0.sa.shop.svc.$Z. sb-0.sb.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
shared_json sa >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: one left" "sa-0.sa.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
shared_json sa:1 >"$WORK/shared.json" && mv "$WORK/shared.json" "$DIR/shared.json"
within2 "shared address: its hostname changed" "sa-1.sa.shop.svc.$Z." 9.9.244.10.in-addr.arpa PTR
rm -f "$DIR/shared.json"
no_shared_ptr() { ! a1 9.9.244.10.in-addr.arpa PTR | grep -q shop; }
if wait_for 2 no_shared_ptr; then
	pass "shared address: no PTR left once both are gone"
else
	fail "shared address: a PTR still answers: $(a1 9.9.244.10.in-addr.arpa PTR)"
fi

# ---- 7c. a service outgrows its compact node and shrinks back -----------------------------
# A ClusterIP service with up to 32 SRV records is one node answering its
# _port._proto names too; with more, every name is prebuilt. Either way
# round, a port that went away must stop answering and the others must
# answer with the new data, not what the other layout left behind.
ports_json() { # N PORT0: service "many" in shop with ports p0..p(N-1) from PORT0 up
	python3 - "$1" "$2" <<'PYEOF'
import json, sys
n, base = int(sys.argv[1]), int(sys.argv[2])
svc = {"apiVersion": "v1", "kind": "Service",
       "metadata": {"name": "many", "namespace": "shop", "resourceVersion": "1"},
       "spec": {"clusterIP": "10.96.160.1", "clusterIPs": ["10.96.160.1"],
                "ports": [{"name": "p%d" % i, "port": base + i, "protocol": "TCP"}
                          for i in range(n)]}}
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [svc]}))
PYEOF
}
ports_json 40 7000 >"$WORK/many.json" && mv "$WORK/many.json" "$DIR/many.json"
within2 "40 ports (prebuilt): _p39._tcp answers" "0 100 7039 many.shop.svc.$Z." _p39._tcp.many.shop.svc.$Z SRV
check_eq "40 ports (prebuilt): the service's SRV has 40 records" 40 "$(d +short many.shop.svc.$Z SRV | wc -l)"
ports_json 2 8000 >"$WORK/many.json" && mv "$WORK/many.json" "$DIR/many.json"
within2 "2 ports (compact): _p1._tcp has the new port" "0 100 8001 many.shop.svc.$Z." _p1._tcp.many.shop.svc.$Z SRV
check_eq "2 ports (compact): _p0._tcp has the new port" "0 100 8000 many.shop.svc.$Z." "$(a1 _p0._tcp.many.shop.svc.$Z SRV)"
check_eq "2 ports (compact): a port that went away is NXDOMAIN" NXDOMAIN "$(rc _p39._tcp.many.shop.svc.$Z SRV)"
check_eq "2 ports (compact): the service's SRV" "0 50 8000 many.shop.svc.$Z. 0 50 8001 many.shop.svc.$Z." "$(a1 many.shop.svc.$Z SRV)"
check_eq "2 ports (compact): its A" "10.96.160.1" "$(a1 many.shop.svc.$Z A)"
ports_json 40 9000 >"$WORK/many.json" && mv "$WORK/many.json" "$DIR/many.json"
within2 "40 ports again (prebuilt): _p0._tcp has the new port" "0 100 9000 many.shop.svc.$Z." _p0._tcp.many.shop.svc.$Z SRV
check_eq "40 ports again (prebuilt): _p39._tcp answers" "0 100 9039 many.shop.svc.$Z." "$(a1 _p39._tcp.many.shop.svc.$Z SRV)"
rm -f "$DIR/many.json"
within2_rcode "service deleted: its port names are NXDOMAIN" NXDOMAIN _p0._tcp.many.shop.svc.$Z SRV

# ---- 8. an empty directory (all files deleted) -------------------------------------------------------
rm -f "$DIR"/*.json
within2_rcode "all files deleted: kubernetes is NXDOMAIN" NXDOMAIN kubernetes.default.svc.$Z A
expect "all files deleted: dns-version still answers" dns-version.$Z TXT <<EOT
rcode NOERROR
flags qr aa
answer dns-version.$Z. 28800 IN TXT "1.1.0"
EOT

alive
if grep -qi 'AddressSanitizer\|runtime error:' "$LOG"; then
	fail "sanitizer report in the server log:"
	sed 's/^/     /' "$LOG" | head -40
fi
finish
