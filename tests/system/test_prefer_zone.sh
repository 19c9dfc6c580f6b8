#!/bin/sh
# test_prefer_zone.sh - --prefer-zone: a headless service's A and AAAA
# answers to a pod list first the endpoints meant for the zone of the
# client's node (Nodes' topology.kubernetes.io/zone): those the slice's
# hints.forZones give it, else those whose zone field it is, else those
# whose pods run there; each group rotated; over UDP the cut keeps the near ones. Clients svcdns cannot
# place, and nodes without a zone, get the plain rotation.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
# zone-a: nodes n1 and n2, zone-b: n3, n4 has no zone label
node() { # NAME [ZONE]
	local labels=""
	[ -n "${2:-}" ] && labels=", \"labels\": {\"topology.kubernetes.io/zone\": \"$2\"}"
	printf '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "%s"%s}}' "$1" "$labels"
}
pod() { # NAME NS NODE IP [IPV6]
	printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s", "namespace": "%s"},
  "spec": {"nodeName": "%s"}, "status": {"phase": "Running", "podIP": "%s",
  "podIPs": [{"ip": "%s"}%s]}}' "$1" "$2" "$3" "$4" "$4" "${5:+, {\"ip\": \"$5\"\}}"
}
# the headless service "spread" in shop: 20 endpoints (pods) on four nodes,
# 10.50.0.1-20 and fd00:50::1-14 (hex); endpoint i runs on node
# n$(( (i-1) % 4 + 1 )) (n1 is called ip-10-0-0-1.ec2.internal: a node name
# with dots). 20 AAAA records do not fit 512 bytes.
N=20
{
	echo '{"apiVersion": "v1", "kind": "List", "items": ['
	echo "$(node ip-10-0-0-1.ec2.internal zone-a), $(node n2 zone-a), $(node n3 zone-b), $(node n4),"
	echo '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "spread", "namespace": "shop"},
  "spec": {"clusterIP": "None", "ipFamilies": ["IPv4", "IPv6"], "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},'
	printf '{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "spread-v4", "namespace": "shop",
  "labels": {"kubernetes.io/service-name": "spread"}}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
  "endpoints": ['
	i=1
	while [ $i -le $N ]; do
		[ $i -gt 1 ] && printf ', '
		printf '{"addresses": ["10.50.0.%d"], "conditions": {"ready": true}}' $i
		i=$((i + 1))
	done
	echo ']},'
	printf '{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "spread-v6", "namespace": "shop",
  "labels": {"kubernetes.io/service-name": "spread"}}, "addressType": "IPv6", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
  "endpoints": ['
	i=1
	while [ $i -le $N ]; do
		[ $i -gt 1 ] && printf ', '
		printf '{"addresses": ["fd00:50::%x"], "conditions": {"ready": true}}' $i
		i=$((i + 1))
	done
	echo ']},'
	i=1
	while [ $i -le $N ]; do
		n=$(( (i - 1) % 4 + 1 ))
		[ $n -eq 1 ] && n=ip-10-0-0-1.ec2.internal || n=n$n
		printf '%s,\n' "$(pod "spread-$i" shop "$n" "10.50.0.$i" "$(printf 'fd00:50::%x' $i)")"
		i=$((i + 1))
	done
	# the clients: one on n2 (zone-a), one on n3 (zone-b), one on n4 (no zone)
	echo "$(pod client-a default n2 127.0.0.2), $(pod client-b default n3 127.0.0.3), $(pod client-n default n4 127.0.0.4)"
	echo ']}'
} >"$DIR/zones.json"

# "hinted": endpoints that are no pod svcdns knows, placed by their slice
# alone. Endpoint i's zone field: zone-a for 1-3, zone-b for 4-6; the
# controller's hints give 3 to zone-b (balancing), so zone-b is meant 3-6
# and zone-a 1-2. "zoned": zone fields, no hints: zone-a 1-2, zone-b 3-4,
# and 5, whose zone field says zone-b but whose pod runs on n2 (its node
# relabelled zone-a since the controller wrote the slice): zone-a.
# hinted_slice HINT3: endpoint 3's hints.forZones
hinted_slice() {
	printf '{"apiVersion": "v1", "kind": "List", "items": [
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hinted", "namespace": "shop"},
  "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "zoned", "namespace": "shop"},
  "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "hinted-x1", "namespace": "shop",
  "labels": {"kubernetes.io/service-name": "hinted"}}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
  "endpoints": ['
	i=1
	while [ $i -le 6 ]; do
		[ $i -gt 1 ] && printf ', '
		z=zone-a h=zone-a
		[ $i -ge 4 ] && z=zone-b h=zone-b
		[ $i -eq 3 ] && h=$1
		printf '{"addresses": ["10.60.0.%d"], "conditions": {"ready": true}, "zone": "%s", "hints": {"forZones": [{"name": "%s"}]}}' $i $z $h
		i=$((i + 1))
	done
	printf ']},
{"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "zoned-x1", "namespace": "shop",
  "labels": {"kubernetes.io/service-name": "zoned"}}, "addressType": "IPv4", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
  "endpoints": [{"addresses": ["10.61.0.3"], "zone": "zone-b"}, {"addresses": ["10.61.0.1"], "zone": "zone-a"},
    {"addresses": ["10.61.0.4"], "zone": "zone-b"}, {"addresses": ["10.61.0.2"], "zone": "zone-a"},
    {"addresses": ["10.61.0.5"], "zone": "zone-b"}]},
%s]}\n' "$(pod zoned-5 shop n2 10.61.0.5)"
}
hinted_slice zone-b >"$DIR/hinted.json"

start_fwd "$DIR" --upstream none --prefer-zone --autopath
Q=spread.shop.svc.cluster.local
# in zone-a: the endpoints on n1 and n2 (i % 4 == 1 or 2); in zone-b: on n3
A_ZONE="" B_ZONE="" B_ZONE6=""
i=1
while [ $i -le $N ]; do
	case $((i % 4)) in
	1 | 2) A_ZONE="$A_ZONE 10.50.0.$i" ;;
	3) B_ZONE="$B_ZONE 10.50.0.$i" B_ZONE6="$B_ZONE6 $(printf 'fd00:50::%x' $i)" ;;
	esac
	i=$((i + 1))
done

# SRC TYPE [dig options]: the answer's addresses in their order
addrs() { local src=$1 t=$2; shift 2; d -b "$src" +norec +short "$Q" "$t" "$@"; }
# whether the first N of the list are exactly the set
first_are() { # N "SET" LIST
	[ "$(printf '%s\n' $3 | head -n "$1" | sort | tr '\n' ' ')" = "$(printf '%s\n' $2 | sort | tr '\n' ' ')" ]
}

# ---- a client in zone-a ----
bad=0 firsts=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	got=$(addrs 127.0.0.2 A)
	[ "$(printf '%s\n' $got | wc -l)" -eq $N ] && first_are 10 "$A_ZONE" "$got" || bad=$((bad + 1))
	firsts="$firsts $(printf '%s\n' $got | head -1)"
done
check_eq "zone-a client: all $N addresses, the 10 of zone-a first, every time" 0 "$bad"
n=$(printf '%s\n' $firsts | sort -u | wc -l)
check_true "zone-a client: the first address rotates within zone-a ($n different in 12:$firsts)" [ "$n" -ge 2 ]

# ---- a client in zone-b, AAAA too ----
bad=0
for i in 1 2 3 4 5 6; do
	got=$(addrs 127.0.0.3 A)
	first_are 5 "$B_ZONE" "$got" || bad=$((bad + 1))
done
check_eq "zone-b client: the 5 of zone-b first" 0 "$bad"
got=$(addrs 127.0.0.3 AAAA +tcp)
check_true "zone-b client, AAAA over TCP: all $N, the 5 of zone-b first ($(echo $got))" \
	sh -c '[ "$(printf "%s\n" $1 | wc -l)" -eq "$2" ]' sh "$got" "$N"
check_true "zone-b client, AAAA over TCP: the 5 of zone-b first" first_are 5 "$B_ZONE6" "$got"

# ---- the rotation within a group is even: zone-a's 10 records come in
# pairs (10.50.0.1 and .2, .5 and .6, ...) after runs of other zones'; each
# should come first a tenth of the time, so the first of each pair half of
# the time (200 queries: 100, sd 7). One start drawn over all 20 records
# and filtered would put the first of a pair first 3 times in 4.
after_gap=0 n=0
for i in $(seq 1 200); do
	f=$(addrs 127.0.0.2 A | head -1)
	[ -n "$f" ] || continue
	n=$((n + 1))
	case $(( ${f##*.} % 4 )) in 1) after_gap=$((after_gap + 1)) ;; esac
done
check_true "zone-a client: the first of a pair came first $after_gap times in $n (about half)" \
	sh -c '[ "$1" -ge 190 ] && [ "$2" -ge $(( $1 * 35 / 100 )) ] && [ "$2" -le $(( $1 * 65 / 100 )) ]' sh "$n" "$after_gap"

# ---- UDP cut: the near ones are what fits ----
got=$(d -b 127.0.0.3 +norec +short +noedns +ignore "$Q" AAAA)
n=$(printf '%s\n' $got | wc -l)
check_true "zone-b client, AAAA without EDNS: cut ($n of $N fit)" \
	sh -c '[ "$1" -lt "$2" ] && [ "$1" -ge 5 ]' sh "$n" "$N"
check_true "zone-b client, AAAA cut: its first 5 are zone-b's ($(echo $got))" \
	first_are 5 "$B_ZONE6" "$got"

# ---- with --autopath too: the walk's answer is zoned as well ----
got=$(d -b 127.0.0.2 +norec +short "spread.shop.default.svc.cluster.local" A)
check_eq "autopath from the zone-a client (its namespace is default): the CNAME first" \
	"$Q." "$(printf '%s\n' "$got" | head -1)"
check_true "autopath from the zone-a client: then the 10 of zone-a first" \
	first_are 10 "$A_ZONE" "$(printf '%s\n' "$got" | tail -n +2)"

# ---- clients without a zone: the plain rotation ----
for c in "127.0.0.4 a pod on a node without a zone" "127.0.0.9 an address no pod has"; do
	firsts="" ingroup=0
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
		got=$(addrs "${c%% *}" A)
		f=$(printf '%s\n' $got | head -1)
		firsts="$firsts $f"
		case " $A_ZONE " in *" $f "*) ingroup=$((ingroup + 1)) ;; esac
	done
	check_true "${c#* }: the first address is any of the $N (zone-a's first $ingroup times in 16)" \
		[ "$ingroup" -lt 16 ]
done

# ---- the slices' hints, else their zone fields ----
# SRC NAME N "SET": every one of 8 answers has the set first
hinted_first() {
	local bad=0 i got
	for i in 1 2 3 4 5 6 7 8; do
		got=$(d -b "$1" +norec +short "$2.shop.svc.cluster.local" A)
		[ "$(printf '%s\n' $got | wc -l)" -eq "$5" ] && first_are "$3" "$4" "$got" ||
			bad=$((bad + 1))
	done
	[ "$bad" -eq 0 ]
}
check_true "hints: a zone-b client gets the 4 hinted for zone-b first (3 by its hint, not its zone)" \
	hinted_first 127.0.0.3 hinted 4 "10.60.0.3 10.60.0.4 10.60.0.5 10.60.0.6" 6
check_true "hints: a zone-a client gets the 2 hinted for zone-a first" \
	hinted_first 127.0.0.2 hinted 2 "10.60.0.1 10.60.0.2" 6
check_true "zone fields without hints: a zone-a client gets zone-a's 3 first (one by its pod's node)" \
	hinted_first 127.0.0.2 zoned 3 "10.61.0.1 10.61.0.2 10.61.0.5" 5
check_true "zone fields without hints: a zone-b client gets zone-b's 2 first" \
	hinted_first 127.0.0.3 zoned 2 "10.61.0.3 10.61.0.4" 5
# the controller gives endpoint 3 back to zone-a: the file is read again
hinted_slice zone-a >"$DIR/hinted.json.tmp" && mv "$DIR/hinted.json.tmp" "$DIR/hinted.json"
moved=1
for i in $(seq 1 50); do
	if hinted_first 127.0.0.2 hinted 3 "10.60.0.1 10.60.0.2 10.60.0.3" 6; then
		moved=0
		break
	fi
	sleep 0.2
done
check_eq "hints changed in the slice: zone-a's 3 first for a zone-a client" 0 "$moved"
check_true "hints changed: a zone-b client gets its 3 first" \
	hinted_first 127.0.0.3 hinted 3 "10.60.0.4 10.60.0.5 10.60.0.6" 6
# the slice goes: its hints go with it, and the service has no endpoints
rm -f "$DIR/hinted.json"
gone=1
for i in $(seq 1 50); do
	[ -z "$(d -b 127.0.0.2 +norec +short hinted.shop.svc.cluster.local A)" ] && { gone=0; break; }
	sleep 0.2
done
check_eq "the hinted slice's file removed: its service's addresses are gone" 0 "$gone"

# ---- other answers are left alone ----
got=$(d -b 127.0.0.2 +norec +short "_http._tcp.$Q" SRV | wc -l)
check_eq "SRV answers: all $((2 * N)) targets, order not zoned" $((2 * N)) "$got"
stop_server "$PID"

# ---- without --prefer-zone: a zone-a client gets other zones first too ----
start_fwd "$DIR" --upstream none
ingroup=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
	f=$(addrs 127.0.0.2 A | head -1)
	case " $A_ZONE " in *" $f "*) ingroup=$((ingroup + 1)) ;; esac
done
check_true "without --prefer-zone: the first address is not always zone-a's ($ingroup of 16)" \
	[ "$ingroup" -lt 16 ]
stop_server "$PID"
finish
