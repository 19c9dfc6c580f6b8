#!/bin/sh
# test_loadbalance.sh - --loadbalance round_robin (the default, CoreDNS's
# loadbalance plugin): an answer of several A or AAAA records starts at a
# random one of them, for the cluster's names (compact and prebuilt nodes,
# a UDP answer cut at 1232 bytes: a different part each time) and for
# forwarded ones (fresh, from the cache, after an ExternalName's CNAME,
# which stays first). Each answer is the same records in the same cyclic
# order as --loadbalance none gives; SRV answers rotate too (beyond
# CoreDNS), their glue still naming their targets. Every loop is bounded; the chance that a right server
# fails a "starts at N different records" check is below 1e-12.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

Z=lb.svc.cluster.local
DIR=$(copy_demo)
python3 - "$DIR/lb.json" <<'EOF'
import json, sys

def svc(name, headless=True, families=("IPv4",), ext=None):
    spec = {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
            "selector": {"app": name}}
    if ext:
        spec = {"type": "ExternalName", "externalName": ext}
    elif headless:
        spec.update(clusterIP="None", clusterIPs=["None"], ipFamilies=list(families),
                    ipFamilyPolicy="SingleStack" if len(families) == 1 else "PreferDualStack")
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "lb"}, "spec": spec}

def slice_(svc_name, family, addrs, n=0):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": family,
            "metadata": {"name": "%s-%s-%d" % (svc_name, family.lower(), n), "namespace": "lb",
                         "labels": {"kubernetes.io/service-name": svc_name}},
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}} for a in addrs],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}

items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lb"}},
         svc("five"), slice_("five", "IPv4", ["10.251.0.%d" % i for i in range(1, 6)]),
         svc("dual", families=("IPv4", "IPv6")),
         slice_("dual", "IPv4", ["10.251.1.%d" % i for i in range(1, 4)]),
         slice_("dual", "IPv6", ["fd00:251:1::%d" % i for i in range(1, 4)]),
         svc("many"),
         slice_("many", "IPv4", ["10.251.2.%d" % i for i in range(1, 101)], 0),
         slice_("many", "IPv4", ["10.251.3.%d" % i for i in range(1, 101)], 1),
         svc("ext-rr", ext="rr.example.test")]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
EOF
[ -s "$DIR/lb.json" ] || { echo "FAIL: could not write lb.json"; exit 1; }

start_upstream main
start_fwd "$DIR" --upstream "127.0.0.1:$UPORT"
RR_PORT=$PORT RR_PID=$PID
start_fwd "$DIR" --upstream "127.0.0.1:$UPORT" --loadbalance none
NONE_PORT=$PORT
PORT=$RR_PORT PID=$RR_PID
echo "# round_robin on port $RR_PORT, none on port $NONE_PORT"

# ans PORT NAME TYPE [dig options]: the answer's rdata, one line, in order
# (asked again, up to 3 times, while there is none at all: the loops count
# wrong answers, not queries a loaded machine lost).
ans() {
	local port=$1 got="" i=0
	shift
	while [ $i -lt 3 ] && [ -z "$got" ]; do
		got=$(QPORT=$port d +short +nocookie "$@" | tr '\n' ' ' | sed 's/ $//')
		i=$((i + 1))
	done
	printf '%s' "$got"
}

# is_rotation CANON GOT: GOT is CANON's records starting somewhere, in
# CANON's cyclic order (all of them, or as many as GOT has).
is_rotation() {
	[ -n "$2" ] || return 1
	case " $1 $1 " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

# rotation_checks DESC CANON N NAME TYPE [dig options]: N answers from the
# round_robin server; each a rotation of CANON with as many records as the
# first; prints how many different first records they had.
rotation_checks() {
	local desc=$1 canon=$2 n=$3 i=0 got bad=0 firsts="" count=""
	shift 3
	while [ $i -lt "$n" ]; do
		got=$(ans "$RR_PORT" "$@")
		[ -n "$count" ] || count=$(echo "$got" | wc -w)
		if ! is_rotation "$canon" "$got" || [ "$(echo "$got" | wc -w)" != "$count" ]; then
			[ $bad -gt 0 ] || { echo "     $desc: not a rotation of"; echo "       $canon"; echo "     got"; echo "       $got"; }
			bad=$((bad + 1))
		fi
		firsts="$firsts ${got%% *}"
		i=$((i + 1))
	done
	check_eq "$desc: $n answers, each the same records in the same cyclic order" 0 "$bad"
	FIRSTS=$(printf '%s\n' $firsts | sort -u | wc -l)
}

# ---- the cluster's names --------------------------------------------------------------
canon=$(ans "$NONE_PORT" five.$Z A)
check_eq "none: five endpoints" 5 "$(echo "$canon" | wc -w)"
same=0
for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(ans "$NONE_PORT" five.$Z A)" = "$canon" ] && same=$((same + 1)); done
check_eq "none: the same order each time" 10 "$same"
rotation_checks "round_robin, a compact node" "$canon" 40 five.$Z A
check_true "round_robin: 40 answers start at 3 or more of the 5 records ($FIRSTS)" [ "$FIRSTS" -ge 3 ]

canon=$(ans "$NONE_PORT" dual.$Z AAAA)
check_eq "none: three IPv6 endpoints" 3 "$(echo "$canon" | wc -w)"
rotation_checks "round_robin, AAAA" "$canon" 80 dual.$Z AAAA
check_true "round_robin: 80 AAAA answers start at each of the 3 records ($FIRSTS)" [ "$FIRSTS" -eq 3 ]
canon=$(ans "$NONE_PORT" dual.$Z A)
rotation_checks "round_robin, A of the dual-stack service" "$canon" 20 dual.$Z A

canon=$(ans "$NONE_PORT" many.$Z A +tcp)
check_eq "none: 200 endpoints over TCP" 200 "$(echo "$canon" | wc -w)"
rotation_checks "round_robin, a prebuilt node over TCP" "$canon" 20 many.$Z A +tcp
check_true "round_robin: 20 TCP answers start at 3 or more of the 200 ($FIRSTS)" [ "$FIRSTS" -ge 3 ]
# Over UDP the answer is cut at a whole record (TC): a rotation before the
# cut, so each reply holds another run of the 200.
flags=$(QPORT=$RR_PORT d +nocookie +bufsize=1232 +ignore many.$Z A | sed -n 's/.*flags: \([a-z ]*\);.*/\1/p')
check_true "round_robin over UDP: TC ($flags)" sh -c 'echo "$1" | grep -qw tc' sh "$flags"
rotation_checks "round_robin over UDP, cut at 1232 bytes" "$canon" 20 many.$Z A +bufsize=1232 +ignore
check_true "round_robin over UDP: 20 cut answers start at 3 or more of the 200 ($FIRSTS)" [ "$FIRSTS" -ge 3 ]

# SRV answers rotate too (CoreDNS leaves them alone): their records differ
# in length and the glue's owners point into their targets, so each
# answer's glue must still name its targets with their addresses.
# srv_targets PORT NAME [dig options]: the targets in order, one line.
srv_targets() {
	local port=$1 got="" i=0
	shift
	while [ $i -lt 3 ] && [ -z "$got" ]; do
		got=$(QPORT=$port d +nocookie +noall +answer "$@" SRV | awk '$4 == "SRV" { print $8 }' |
			tr '\n' ' ' | sed 's/ $//')
		i=$((i + 1))
	done
	printf '%s' "$got"
}
# glue_ok PORT NAME [dig options]: every target's glue is the address
# --loadbalance none gives it, and every glue record is a target's.
glue_ok() {
	local port=$1 name=$2
	shift 2
	QPORT=$port d +nocookie +noall +answer +additional "$name" SRV "$@" >"$WORK_LB/got"
	python3 - "$WORK_LB/want" "$WORK_LB/got" <<'PYEOF'
import sys
def parse(path):
    targets, glue = [], {}
    for line in open(path):
        f = line.split()
        if len(f) >= 5 and f[3] == "SRV":
            targets.append(f[7].lower())
        elif len(f) >= 5 and f[3] in ("A", "AAAA"):
            glue.setdefault(f[0].lower(), set()).add(f[4])
    return targets, glue
wt, wg = parse(sys.argv[1])
gt, gg = parse(sys.argv[2])
ok = gt and set(gg) <= set(gt) and all(gg.get(t, wg.get(t)) == wg.get(t) for t in gt)
sys.exit(0 if ok else 1)
PYEOF
}
WORK_LB=$(mktemp_dir)
for name in _http._tcp.five.$Z five.$Z http.tcp.five.$Z; do
	canon=$(srv_targets "$NONE_PORT" "$name")
	QPORT=$NONE_PORT d +nocookie +noall +answer +additional "$name" SRV >"$WORK_LB/want"
	check_eq "none: $name SRV, five targets" 5 "$(echo "$canon" | wc -w)"
	i=0 bad=0 badglue=0 firsts=""
	while [ $i -lt 40 ]; do
		got=$(srv_targets "$RR_PORT" "$name")
		is_rotation "$canon" "$got" && [ "$(echo "$got" | wc -w)" = 5 ] || bad=$((bad + 1))
		glue_ok "$RR_PORT" "$name" || badglue=$((badglue + 1))
		firsts="$firsts ${got%% *}"
		i=$((i + 1))
	done
	check_eq "round_robin: $name SRV, 40 answers each a rotation of the 5" 0 "$bad"
	check_eq "round_robin: $name SRV, its glue names its targets with their addresses" 0 "$badglue"
	n=$(printf '%s\n' $firsts | sort -u | wc -l)
	check_true "round_robin: $name SRV, 40 answers start at 3 or more of the 5 ($n)" [ "$n" -ge 3 ]
done
# 200 targets: rotated before a UDP answer is cut, whole over TCP
canon=$(srv_targets "$NONE_PORT" many.$Z +tcp)
check_eq "none: many SRV over TCP, 200 targets" 200 "$(echo "$canon" | wc -w)"
rotation_srv() {
	local i=0 bad=0 firsts="" got count=""
	while [ $i -lt 20 ]; do
		got=$(srv_targets "$RR_PORT" many.$Z "$@")
		[ -n "$count" ] || count=$(echo "$got" | wc -w)
		is_rotation "$canon" "$got" && [ "$(echo "$got" | wc -w)" = "$count" ] || bad=$((bad + 1))
		firsts="$firsts ${got%% *}"
		i=$((i + 1))
	done
	check_eq "round_robin: many SRV $*: 20 answers each a rotation ($count records)" 0 "$bad"
	n=$(printf '%s\n' $firsts | sort -u | wc -l)
	check_true "round_robin: many SRV $*: 20 answers start at 3 or more of the 200 ($n)" [ "$n" -ge 3 ]
}
rotation_srv +tcp
rotation_srv +bufsize=1232 +ignore

# ---- forwarded names ------------------------------------------------------------------
canon=$(ans "$NONE_PORT" rr.example.test A)
check_eq "none: the upstream's 8 A records, in its order" \
	"192.0.2.41 192.0.2.42 192.0.2.43 192.0.2.44 192.0.2.45 192.0.2.46 192.0.2.47 192.0.2.48" "$canon"
rotation_checks "round_robin, forwarded (then from the cache)" "$canon" 40 rr.example.test A
check_true "round_robin: 40 forwarded answers start at 3 or more of the 8 ($FIRSTS)" [ "$FIRSTS" -ge 3 ]
canon=$(ans "$NONE_PORT" rr.example.test AAAA)
rotation_checks "round_robin, forwarded AAAA" "$canon" 80 rr.example.test AAAA
check_true "round_robin: 80 forwarded AAAA answers start at each of the 3 ($FIRSTS)" [ "$FIRSTS" -eq 3 ]

# An ExternalName to the outside name: our CNAME first, then the rotation.
canon=$(ans "$NONE_PORT" ext-rr.$Z A)
check_eq "none: the CNAME, then the 8 A records" \
	"rr.example.test. 192.0.2.41 192.0.2.42 192.0.2.43 192.0.2.44 192.0.2.45 192.0.2.46 192.0.2.47 192.0.2.48" \
	"$canon"
i=0 bad=0 firsts=""
while [ $i -lt 40 ]; do
	got=$(ans "$RR_PORT" ext-rr.$Z A)
	case "$got" in
	"rr.example.test. "*) is_rotation "${canon#rr.example.test. }" "${got#rr.example.test. }" || bad=$((bad + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
	got=${got#rr.example.test. }
	firsts="$firsts ${got%% *}"
	i=$((i + 1))
done
check_eq "round_robin, ExternalName: the CNAME first, then a rotation of the 8 (40 answers)" 0 "$bad"
n=$(printf '%s\n' $firsts | sort -u | wc -l)
check_true "round_robin, ExternalName: 40 answers start at 3 or more of the 8 ($n)" [ "$n" -ge 3 ]

alive "round_robin server still running"
finish
