#!/bin/sh
# test_realapi_prefer_zone.sh - --prefer-zone with the Nodes and Pods of a
# real kube-apiserver: svcdns lists and watches /api/v1/nodes (each node's
# topology.kubernetes.io/zone label) and /api/v1/pods (each pod's IP ->
# node); a headless service's A or AAAA answer to a client that is a pod
# (dig -b 127.0.0.x) lists first the endpoints whose pods run on a node of
# the client's node's zone, each group rotated. The endpoints are the ones
# the real endpointslice controller writes for pods bound to those nodes
# (spec.nodeName) and made running as a kubelet would (status subresource).
#   - RBAC: deploy/'s ClusterRole has no nodes or pods (403, logged with
#     why): the cluster's names are answered all the same, in the plain
#     rotation; pods granted: still no zones, the nodes' 403 logged; nodes
#     granted too: the same svcdns lists them
#   - a client on a zone-a node: the zone-a endpoints first (A over UDP and
#     TCP, AAAA), every time, the first address rotating within zone-a; a
#     client on a zone-b node likewise with zone-b's (one of zone-a's nodes
#     has a dotted name, as on a cloud)
#   - a client on a node without a zone, and an address no pod has: the
#     plain rotation (the first address is sometimes in neither zone)
#   - a node relabelled zone-b -> zone-a (PATCH, a watch MODIFIED): its
#     endpoints join zone-a's group and its client's zone is zone-a; its
#     zone label removed: its endpoints are in no group, its client gets
#     the plain rotation
#   - a new endpoint pod on a zone-a node: in zone-a's group
#   - a node deleted (a watch DELETED): its client gets the plain rotation
#   - a slice written by hand, endpoints that are no pods: hints.forZones
#     decide over the zone field, the zone field without hints; hints
#     changed (PUT) and the slice deleted reach the answers
#   - svcdns restarted (a full list) finds the nodes and pods again, a zone
#     given to the zoneless node meanwhile too
# Every wait is bounded (times SVCDNS_TEST_SLOW); everything is on 127.0.0.0/8.
. "$(dirname "$0")/controlplane.sh"

WAIT_S=60 # how long a change may take to reach DNS (times SVCDNS_TEST_SLOW)
REPEAT=12 # queries per grouped check
MANY=24   # queries per ungrouped check: (4/11)^24 ~ 3e-11 of a false failure
Z=cluster.local
NS=pz
Q=spread.$NS.svc.$Z
# The nodes: two in zone-a (one with a cloud's dotted name), three in
# zone-b (NB2 is relabelled later, NC deleted), one without a zone.
NA1=pz-a1
NA2="ip-10-0-0-5.ec2.internal"
NB1=pz-b1
NB2=pz-b2
NN=pz-n
NC=pz-c # zone-b, no endpoints: deleted later
# The clients: pods of no service, each on a node.
IP_CA=127.0.0.31  # client-a on NA1 (zone-a)
IP_CB=127.0.0.32  # client-b on NB1 (zone-b)
IP_CN=127.0.0.33  # client-n on NN (no zone)
IP_NONE=127.0.0.34 # no pod
IP_CB2=127.0.0.35 # client-b2 on NB2 (zone-b, relabelled later)
IP_CC=127.0.0.36  # client-c on NC (zone-b, deleted later)
# The endpoints of spread (pods of app=spread), 10.244.S.M and
# fd00:10:244:S::M, S one per node.
EP_A1="10.244.1.1 10.244.1.2"
EP_A2="10.244.2.1 10.244.2.2"
EP_B1="10.244.3.1 10.244.3.2 10.244.3.3"
EP_B2="10.244.4.1 10.244.4.2"
EP_N="10.244.5.1 10.244.5.2"
EP_NEW=10.244.1.3 # a later endpoint on NA1
# v6 SET: the IPv6 addresses of the same pods.
v6() { printf '%s\n' $1 | awk -F. '{ printf "fd00:10:244:%d::%d\n", $3, $4 }' | tr '\n' ' '; }
ZONE_A="$EP_A1 $EP_A2"
ZONE_B="$EP_B1 $EP_B2"
ALL="$ZONE_A $ZONE_B $EP_N"
N_ALL=$(printf '%s\n' $ALL | wc -l)

start_controlplane
svcdns_account || realapi_finish
must "namespace $NS" make_namespace "$NS" || realapi_finish

# ---- the cluster: nodes, a headless Service, its pods, clients ------------------------
# make_node NAME [ZONE]: a Node, labelled with its zone if given (a kubelet
# registers itself so; the cloud provider sets the label).
make_node() {
	local labels="\"kubernetes.io/hostname\":\"$1\""
	[ -n "${2:-}" ] && labels="$labels,\"topology.kubernetes.io/zone\":\"$2\""
	kcreate /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",
\"metadata\":{\"name\":\"$1\",\"labels\":{$labels}}}" >/dev/null
}
# node_pod NODE NAME LABELS-JSON IP...: make_ready_pod, bound to NODE.
node_pod() {
	local RA_NODE=$1
	shift
	make_ready_pod "$NS" "$@"
}
# ep_pods NODE PREFIX IPV4...: one endpoint pod of spread per address
# (PREFIX-0, ...), dual stack.
ep_pods() {
	local node=$1 prefix=$2 i=0 ip
	shift 2
	for ip in "$@"; do
		must "pod $NS/$prefix-$i on $node at $ip $(v6 "$ip")" \
			node_pod "$node" "$prefix-$i" '{"app":"spread"}' "$ip" $(v6 "$ip") || return 1
		i=$((i + 1))
	done
}
must "Node $NA1 (zone-a)" make_node "$NA1" zone-a
must "Node $NA2 (zone-a)" make_node "$NA2" zone-a
must "Node $NB1 (zone-b)" make_node "$NB1" zone-b
must "Node $NB2 (zone-b)" make_node "$NB2" zone-b
must "Node $NN (no zone label)" make_node "$NN"
must "Node $NC (zone-b)" make_node "$NC" zone-b
must "Service $NS/spread (headless, dual stack, selector app=spread)" \
	kcreate "/api/v1/namespaces/$NS/services" "{
  \"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"spread\"},
  \"spec\": {\"clusterIP\": \"None\", \"ipFamilyPolicy\": \"RequireDualStack\", \"ipFamilies\": [\"IPv4\", \"IPv6\"],
           \"selector\": {\"app\": \"spread\"},
           \"ports\": [{\"name\": \"http\", \"port\": 80, \"targetPort\": 8080, \"protocol\": \"TCP\"}]}}"
ep_pods "$NA1" ep-a1 $EP_A1
ep_pods "$NA2" ep-a2 $EP_A2
ep_pods "$NB1" ep-b1 $EP_B1
ep_pods "$NB2" ep-b2 $EP_B2
ep_pods "$NN" ep-n $EP_N
must "pod $NS/client-a on $NA1 at $IP_CA" node_pod "$NA1" client-a '{"app":"client"}' "$IP_CA"
must "pod $NS/client-b on $NB1 at $IP_CB" node_pod "$NB1" client-b '{"app":"client"}' "$IP_CB"
must "pod $NS/client-n on $NN at $IP_CN" node_pod "$NN" client-n '{"app":"client"}' "$IP_CN"
must "pod $NS/client-b2 on $NB2 at $IP_CB2" node_pod "$NB2" client-b2 '{"app":"client"}' "$IP_CB2"
must "pod $NS/client-c on $NC at $IP_CC" node_pod "$NC" client-c '{"app":"client"}' "$IP_CC"

# sorted SET: one address a line, sorted (as `short` prints them).
sorted() { printf '%s\n' $1 | LC_ALL=C sort; }
want_slices=$(sorted "$ALL $(v6 "$ALL")")
slices_ready() { [ "$(slice_addresses "$NS" spread)" = "$want_slices" ]; }
if wait_for "$WAIT_S" slices_ready; then
	pass "the endpointslice controller wrote spread's $N_ALL pods, IPv4 and IPv6 (client pods left out)"
else
	check_eq "the endpointslice controller wrote spread's pods" "$want_slices" "$(slice_addresses "$NS" spread)"
fi
check_eq "the controller copied each node's zone into endpoints[].zone" \
	"10.244.1.1 zone-a|10.244.2.1 zone-a|10.244.3.1 zone-b|10.244.4.1 zone-b|10.244.5.1 -|" \
	"$(kget "/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dspread" |
		"${RA_PY:-python3}" -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    for e in s.get("endpoints") or []:
        a = e["addresses"][0]
        if a.endswith(".1"):
            print(a, e.get("zone", "-"))' | LC_ALL=C sort | tr '\n' '|')"

# start_svcdns_pz: svcdns --prefer-zone following the API as deploy/'s
# ServiceAccount (no upstream: only the cluster's names are asked).
start_svcdns_pz() { start_svcdns_api none --prefer-zone; }

# addrs SRC TYPE [dig options...]: spread's addresses, in the order they
# came, asked from SRC.
addrs() {
	local src=$1 t=$2
	shift 2
	d -b "$src" +norec +short "$@" "$Q" "$t" 2>/dev/null
}
# first_are K "SET" "LIST": LIST's first K are exactly SET (any order).
first_are() {
	[ "$(printf '%s\n' $3 | head -n "$1" | LC_ALL=C sort | tr '\n' ' ')" = \
		"$(printf '%s\n' $2 | LC_ALL=C sort | tr '\n' ' ')" ]
}
# in_set ADDR "SET"
in_set() { case " $(echo $2) " in *" $1 "*) return 0 ;; esac; return 1; }
count() { printf '%s\n' $1 | grep -c .; }
# grouped SRC TYPE "GROUP" "ALL" [dig options...]: one answer (kept in
# GOT) holds ALL, GROUP first.
grouped() {
	local src=$1 t=$2 group=$3 all=$4
	shift 4
	GOT=$(addrs "$src" "$t" "$@")
	[ "$(sorted "$GOT")" = "$(sorted "$all")" ] && first_are "$(count "$group")" "$group" "$GOT"
}
# check_grouped DESC SRC TYPE "GROUP" "ALL" [dig options...]: REPEAT
# answers, every one with ALL, GROUP first; the first address rotates
# within GROUP (at least 2 different ones) when it has several. The
# group's first is the first of its records at or after one random start
# in the whole answer, so the one after the longest run of other records
# comes first most often (10 times in 12 for 3 of 12 in a row): when the
# REPEAT answers all start alike, up to ROTATE_MAX are asked for a
# second first address ((10/12)^80 ~ 5e-7 of a false failure).
ROTATE_MAX=80
check_grouped() {
	local desc=$1 src=$2 t=$3 group=$4 all=$5 i=0 bad=0 firsts="" badgot="" n=0 k f
	shift 5
	k=$(count "$group")
	while [ $i -lt $REPEAT ] || { [ "$k" -gt 1 ] && [ "$n" -lt 2 ] && [ $i -lt $ROTATE_MAX ]; }; do
		grouped "$src" "$t" "$group" "$all" "$@" || { bad=$((bad + 1)); badgot=$GOT; }
		f=$(printf '%s\n' $GOT | head -1)
		case " $firsts " in *" $f "*) ;; *) n=$((n + 1)) ;; esac
		firsts="$firsts $f"
		i=$((i + 1))
	done
	if [ $bad = 0 ]; then
		pass "$desc: all $(count "$all"), the $k of the group first, $i times"
	else
		fail "$desc: $bad of $i answers wrong (asked $Q $t $* from $src)"
		echo "     expected: all of $(echo $all), the first $k exactly $(echo $group)"
		echo "     got (one of them): $(echo $badgot)"
	fi
	if [ "$k" -gt 1 ]; then
		check_true "$desc: the first address rotates within the group ($n different in $i:$(echo $firsts | cut -d' ' -f1-12)$([ $i -gt 12 ] && echo ' ...'))" \
			[ "$n" -ge 2 ]
	fi
}
# check_plain DESC SRC "ALL" "GROUP"...: MANY answers from SRC, each with
# ALL; the first address is sometimes outside each GROUP (no group first).
check_plain() {
	local desc=$1 src=$2 all=$3 i=0 bad=0 firsts="" f g n ok=1 counts=""
	shift 3
	while [ $i -lt $MANY ]; do
		GOT=$(addrs "$src" A)
		[ "$(sorted "$GOT")" = "$(sorted "$all")" ] || bad=$((bad + 1))
		firsts="$firsts $(printf '%s\n' $GOT | head -1)"
		i=$((i + 1))
	done
	for g in "$@"; do
		n=0
		for f in $firsts; do in_set "$f" "$g" && n=$((n + 1)); done
		counts="$counts $n"
		[ "$n" -lt "$MANY" ] || ok=0
	done
	check_eq "$desc: every answer has all $(count "$all")" "0 wrong of $MANY" "$bad wrong of $MANY"
	if [ $ok = 1 ]; then
		pass "$desc: the plain rotation (first address in each group:$counts times of $MANY)"
	else
		fail "$desc: the first address is always in one group (in each:$counts of $MANY): grouped"
		echo "     firsts:$firsts"
	fi
}
# logged_since MARK REGEX: svcdns logged a matching line after MARK.
logged_since() {
	log_since "$1" "$2" >/dev/null
}
# no_new_errors MARK DESC: svcdns logged no error or warning after MARK.
no_new_errors() {
	if log_since "$1" '\[(error|warning)\]' >/dev/null; then
		fail "$2"
		log_since "$1" '\[(error|warning)\]' | head -5 | sed 's/^/     /'
	else
		pass "$2"
	fi
}
# wait_true DESC COMMAND...: waits (WAIT_S) until COMMAND succeeds; says how long.
wait_true() {
	local desc=$1 t0
	shift
	t0=$(now_ms)
	if wait_for "$WAIT_S" "$@"; then
		pass "$desc ($(($(now_ms) - t0)) ms)"
	else
		fail "$desc (not after ${WAIT_S} s x$LIB_SLOW); last answer: $(echo $GOT)"
	fi
}
# not_within SRC K "SET": SET is not all among SRC's first K (keeps GOT).
not_within() {
	local f
	GOT=$(addrs "$1" A)
	[ "$(count "$GOT")" = "$N_ALL" ] || return 1
	for f in $3; do
		printf '%s\n' $GOT | head -n "$2" | grep -qxF "$f" || return 0
	done
	return 1
}

# first_not_in SRC "SET": SRC's answer is whole and starts outside SET
# (keeps GOT).
first_not_in() {
	GOT=$(addrs "$1" A)
	[ "$(count "$GOT")" = "$N_ALL" ] && ! in_set "$(printf '%s\n' $GOT | head -1)" "$2"
}

KIP=$(kget /api/v1/namespaces/default/services/kubernetes |
	"${RA_PY:-python3}" -c 'import json, sys; print(json.load(sys.stdin)["spec"]["clusterIP"])')

# ---- RBAC: deploy/'s ClusterRole has no nodes or pods ---------------------------------
# svcdns logs each resource's 403 once (a permission is per resource), and
# does not call the server back while one of them persists.
start_svcdns_pz
F403='HTTP 403 .*system:serviceaccount:kube-system:svcdns.* cannot (list|watch) resource'
# each resource's 403 is told once, the second while the first persists
if wait_log 20 "$F403 .nodes." && wait_log 20 "$F403 .pods."; then
	pass "deploy/'s ClusterRole only: svcdns logs the 403 on nodes and the one on pods, and why"
else
	fail "deploy/'s ClusterRole only: svcdns logs the 403 on nodes and the one on pods, and why"
fi
grep 'HTTP 403' "$LOG" | head -2 | sed 's/^/     /'
check_eq "each 403 logged once, not per retry (nodes, pods)" "1 1" \
	"$(grep -c 'HTTP 403.*nodes' "$LOG") $(grep -c 'HTTP 403.*pods' "$LOG")"
# nodes and pods are only the zones': the cluster's names do not wait for them
check_within "nodes and pods forbidden: the cluster's names are answered all the same (kubernetes.default A)" \
	$((WAIT_S * 1000)) "kubernetes.default.svc.$Z" A "$KIP"
check_within "nodes and pods forbidden: spread A has its $N_ALL endpoints" \
	$((WAIT_S * 1000)) "$Q" A "$(sorted "$ALL")"
check_plain "nodes and pods forbidden: the zone-a client ($IP_CA)" "$IP_CA" "$ALL" "$ZONE_A"

gmark=$(svcdns_log_mark) # the grant
svcdns_grant svcdns-prefer-zone pods
check_true "pods granted: svcdns listed the pods" wait_for "$WAIT_S" grep -q 'listed pods' "$LOG"
grep -m1 'listed pods' "$LOG" | sed 's/^/     /'
check_true "pods granted, nodes still forbidden: svcdns does not say the API server is back" \
	sh -c '! grep -q "API server back" "$1"' sh "$LOG"
check_plain "nodes forbidden: the zone-a client (a pod, its node's zone unknown)" "$IP_CA" "$ALL" "$ZONE_A"
must "ClusterRole svcdns-prefer-zone: nodes too (PATCH rules)" \
	kpatch /apis/rbac.authorization.k8s.io/v1/clusterroles/svcdns-prefer-zone \
	'{"rules": [{"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["list", "watch"]}]}'
check_true "nodes granted: svcdns listed the nodes" wait_for "$WAIT_S" grep -q 'listed nodes' "$LOG"
grep -m1 'listed nodes' "$LOG" | sed 's/^/     /'
mark=$(svcdns_log_mark) # from here on, no error or warning is expected

# ---- zone-a and zone-b clients ------------------------------------------------------------
check_grouped "zone-a client ($IP_CA on $NA1), A" "$IP_CA" A "$ZONE_A" "$ALL"
check_grouped "zone-a client, A over TCP" "$IP_CA" A "$ZONE_A" "$ALL" +tcp
check_grouped "zone-a client, AAAA" "$IP_CA" AAAA "$(v6 "$ZONE_A")" "$(v6 "$ALL")"
check_grouped "zone-b client ($IP_CB on $NB1), A" "$IP_CB" A "$ZONE_B" "$ALL"
check_grouped "zone-b client, AAAA over TCP" "$IP_CB" AAAA "$(v6 "$ZONE_B")" "$(v6 "$ALL")" +tcp
check_grouped "zone-b client ($IP_CB2 on $NB2), A" "$IP_CB2" A "$ZONE_B" "$ALL"
check_grouped "zone-b client ($IP_CC on $NC, a node without endpoints), A" "$IP_CC" A "$ZONE_B" "$ALL"

# ---- clients svcdns cannot place in a zone -----------------------------------------------
check_plain "a client on the node without a zone ($IP_CN on $NN)" "$IP_CN" "$ALL" "$ZONE_A" "$ZONE_B"
check_plain "an address no pod has ($IP_NONE)" "$IP_NONE" "$ALL" "$ZONE_A" "$ZONE_B"

# ---- a node relabelled: zone-b -> zone-a --------------------------------------------------
# Until svcdns has the MODIFIED Node, client-b2 is in zone-b (zone-b's 5
# first, so zone-a's 6 never are): the wait cannot pass early.
must "Node $NB2 relabelled zone-a (PATCH metadata.labels)" kpatch "/api/v1/nodes/$NB2" \
	'{"metadata":{"labels":{"topology.kubernetes.io/zone":"zone-a"}}}'
wait_true "$NB2 relabelled zone-a: its client ($IP_CB2) gets zone-a's group, its endpoints in it" \
	grouped "$IP_CB2" A "$ZONE_A $EP_B2" "$ALL"
check_grouped "$NB2 in zone-a: zone-a client, A" "$IP_CA" A "$ZONE_A $EP_B2" "$ALL"
check_grouped "$NB2 in zone-a: its own client ($IP_CB2), A" "$IP_CB2" A "$ZONE_A $EP_B2" "$ALL"
check_grouped "$NB2 in zone-a: zone-b client, A (zone-b is $NB1 alone)" "$IP_CB" A "$EP_B1" "$ALL"
check_grouped "$NB2 in zone-a: zone-a client, AAAA" "$IP_CA" AAAA "$(v6 "$ZONE_A $EP_B2")" "$(v6 "$ALL")"

# ---- its zone label removed ----------------------------------------------------------------
# Until svcdns has it, $EP_B2 are among zone-a's 6 first every time.
must "Node $NB2's zone label removed (PATCH null)" kpatch "/api/v1/nodes/$NB2" \
	'{"metadata":{"labels":{"topology.kubernetes.io/zone":null}}}'
wait_true "$NB2 without a zone: its endpoints leave zone-a's group" not_within "$IP_CA" 6 "$EP_B2"
check_grouped "$NB2 without a zone: zone-a client, A" "$IP_CA" A "$ZONE_A" "$ALL"
check_grouped "$NB2 without a zone: zone-b client, A" "$IP_CB" A "$EP_B1" "$ALL"
check_plain "$NB2 without a zone: its client ($IP_CB2)" "$IP_CB2" "$ALL" "$ZONE_A" "$EP_B1"

# ---- a new endpoint in zone-a ---------------------------------------------------------------
ep_pods "$NA1" ep-new "$EP_NEW"
ALL="$ALL $EP_NEW"
N_ALL=$((N_ALL + 1))
wait_true "a new endpoint pod on $NA1 ($EP_NEW): in zone-a's group" grouped "$IP_CA" A "$ZONE_A $EP_NEW" "$ALL"
ZONE_A="$ZONE_A $EP_NEW"
check_grouped "the new endpoint: zone-a client, A" "$IP_CA" A "$ZONE_A" "$ALL"
check_grouped "the new endpoint: zone-a client, AAAA" "$IP_CA" AAAA "$(v6 "$ZONE_A")" "$(v6 "$ALL")"
check_grouped "the new endpoint: zone-b client, A (it comes after)" "$IP_CB" A "$EP_B1" "$ALL"

# ---- a node deleted --------------------------------------------------------------------------
# Until svcdns has the DELETED Node, client-c is in zone-b ($NB1's 3 first).
must "Node $NC deleted" kdelete "/api/v1/nodes/$NC"
wait_true "$NC deleted: its client ($IP_CC) no longer gets zone-b's group first" first_not_in "$IP_CC" "$EP_B1"
check_plain "$NC deleted: its client ($IP_CC)" "$IP_CC" "$ALL" "$ZONE_A" "$EP_B1"
check_grouped "$NC deleted: zone-b client, A" "$IP_CB" A "$EP_B1" "$ALL"

# ---- an EndpointSlice's hints and zones, written by hand -------------------------------
# "hinted" has no selector: its slice is written through the API, its
# endpoints are no pods. Endpoint 1 and 2: zone a, hinted for zone-a; 3:
# zone-a, hinted for zone-b (as the controller balances); 4: zone-b, hinted
# for zone-b; 5: zone field zone-b, no hints.
HQ=hinted.$NS.svc.$Z
H_ALL="10.250.0.1 10.250.0.2 10.250.0.3 10.250.0.4 10.250.0.5"
# hinted_slice HINT3: the slice, endpoint 3 hinted for HINT3
hinted_slice() {
	local i z h sep="" eps=""
	for i in 1 2 3 4 5; do
		z=zone-a h=zone-a
		[ $i -ge 4 ] && z=zone-b h=zone-b
		[ $i = 3 ] && h=$1
		if [ $i = 5 ]; then
			eps="$eps$sep{\"addresses\":[\"10.250.0.$i\"],\"conditions\":{\"ready\":true},\"zone\":\"$z\"}"
		else
			eps="$eps$sep{\"addresses\":[\"10.250.0.$i\"],\"conditions\":{\"ready\":true},\"zone\":\"$z\",\"hints\":{\"forZones\":[{\"name\":\"$h\"}]}}"
		fi
		sep=,
	done
	printf '{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"hinted-manual","namespace":"%s","labels":{"kubernetes.io/service-name":"hinted","endpointslice.kubernetes.io/managed-by":"svcdns-test"}},"addressType":"IPv4","ports":[{"name":"http","port":80,"protocol":"TCP"}],"endpoints":[%s]}' "$NS" "$eps"
}
must "Service hinted (headless, no selector)" kcreate "/api/v1/namespaces/$NS/services" \
	"{\"metadata\":{\"name\":\"hinted\"},\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}"
must "EndpointSlice hinted-manual (hints.forZones)" kcreate \
	"/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices" "$(hinted_slice zone-b)"
SPREAD_Q=$Q SPREAD_N=$N_ALL
Q=$HQ N_ALL=5
wait_true "hinted: the zone-b client gets the 3 hinted for zone-b and the zone-b one first" \
	grouped "$IP_CB" A "10.250.0.3 10.250.0.4 10.250.0.5" "$H_ALL"
check_grouped "hinted: zone-b client (10.250.0.3 by its hint, not its zone)" "$IP_CB" A \
	"10.250.0.3 10.250.0.4 10.250.0.5" "$H_ALL"
check_grouped "hinted: zone-a client" "$IP_CA" A "10.250.0.1 10.250.0.2" "$H_ALL"
must "EndpointSlice hinted-manual: endpoint 3 hinted for zone-a (PUT)" kapi PUT \
	"/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices/hinted-manual" "$(hinted_slice zone-a)"
wait_true "hints changed (a watch MODIFIED): the zone-a client gets 3 first" \
	grouped "$IP_CA" A "10.250.0.1 10.250.0.2 10.250.0.3" "$H_ALL"
check_grouped "hints changed: zone-b client" "$IP_CB" A "10.250.0.4 10.250.0.5" "$H_ALL"
must "EndpointSlice hinted-manual deleted" kdelete \
	"/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices/hinted-manual"
no_hinted_addrs() { [ -z "$(d +norec +short "$HQ" A 2>/dev/null)" ]; }
wait_true "the slice deleted: hinted has no addresses" no_hinted_addrs
Q=$SPREAD_Q N_ALL=$SPREAD_N

alive "svcdns still running"
no_new_errors "$mark" "svcdns logged no error or warning once nodes and pods were granted"
stop_server "$PID"

# ---- svcdns restarted: a full list ---------------------------------------------------------
# Meanwhile the zoneless node gets zone-b.
must "Node $NN labelled zone-b (svcdns down)" kpatch "/api/v1/nodes/$NN" \
	'{"metadata":{"labels":{"topology.kubernetes.io/zone":"zone-b"}}}'
ZONE_B="$EP_B1 $EP_N"
start_svcdns_pz
check_within "restarted: synced (kubernetes.default A)" $((WAIT_S * 1000)) "kubernetes.default.svc.$Z" A "$KIP"
check_true "restarted: the nodes came as a list (listed nodes)" wait_for "$WAIT_S" grep -q 'listed nodes' "$LOG"
grep -m1 'listed nodes' "$LOG" | sed 's/^/     /'
check_true "restarted: the pods came as a list (listed pods)" wait_for "$WAIT_S" grep -q 'listed pods' "$LOG"
grep -m1 'listed pods' "$LOG" | sed 's/^/     /'
check_grouped "restarted: zone-a client, A" "$IP_CA" A "$ZONE_A" "$ALL"
check_grouped "restarted: zone-b client, A ($NN, zone-b since)" "$IP_CB" A "$ZONE_B" "$ALL"
check_grouped "restarted: the client on $NN ($IP_CN), now in zone-b, A" "$IP_CN" A "$ZONE_B" "$ALL"
check_grouped "restarted: zone-b client, AAAA" "$IP_CB" AAAA "$(v6 "$ZONE_B")" "$(v6 "$ALL")"
check_plain "restarted: the client on $NB2 (no zone)" "$IP_CB2" "$ALL" "$ZONE_A" "$ZONE_B"
check_plain "restarted: the client on the deleted $NC" "$IP_CC" "$ALL" "$ZONE_A" "$ZONE_B"
check_plain "restarted: an address no pod has" "$IP_NONE" "$ALL" "$ZONE_A" "$ZONE_B"
alive "svcdns still running after the restart"
no_new_errors 0 "restarted: svcdns logged no error or warning"
stop_server "$PID"
realapi_finish
