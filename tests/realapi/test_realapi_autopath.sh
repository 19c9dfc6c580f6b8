#!/bin/sh
# test_realapi_autopath.sh - --autopath with the pods from a real
# kube-apiserver: svcdns lists and watches /api/v1/pods (fieldSelector: not
# Succeeded, Failed or Unknown) and keeps each pod's IP -> namespace; a
# query from a pod's address (dig -b 127.0.0.x) for NAME.<its ns>.svc.<zone>
# that does not exist is answered with a CNAME to the first of
# NAME.svc.<zone>, NAME.<zone>, NAME that exists, then its records.
#   - RBAC: deploy/'s ClusterRole has no pods (403, logged with why): the
#     cluster's names are answered all the same; once pods list/watch is
#     granted the same svcdns lists them
#   - a pod made running as a kubelet would (status subresource): autopath
#     from its IP for its own namespace's suffix (CNAME, then the real
#     kubernetes Service's cluster IP; over TCP too); none before it
#     existed, from an unknown address, or for another namespace's suffix
#   - an outside name (NSD of coredns_lib.sh as the upstream): the CNAME to
#     it, then NSD's answer; a name that exists nowhere: CNAME + NXDOMAIN
#   - the pod deleted (gracePeriodSeconds=0: a DELETED event): plain NXDOMAIN
#   - a pod that turns Succeeded (it leaves the fieldSelector: the
#     apiserver sends DELETED): plain NXDOMAIN
#   - a hostNetwork pod's address: no autopath
#   - two pods of two namespaces on one address: none; one deleted: the
#     other's namespace
#   - svcdns restarted (a full list) finds the pods again, a pod created
#     meanwhile too, not the ones deleted
#   - a relist in the same process (etcd compacted while the apiserver was
#     down, changes made through a second apiserver): a pod deleted
#     meanwhile is swept from the map, one created meanwhile is found
# Every wait is bounded (times SVCDNS_TEST_SLOW); everything is on 127.0.0.0/8.
. "$(dirname "$0")/controlplane.sh"
. "$(dirname "$0")/coredns_lib.sh"

require_tool nsd nsd

WAIT_S=60 # how long a change may take to reach DNS (times SVCDNS_TEST_SLOW)
Z=cluster.local
A=ap-a
B=ap-b
SA=$A.svc.$Z # the search suffix of a pod of $A
SB=$B.svc.$Z
IP_CLIENT=127.0.0.21 # client, in $A
IP_NONE=127.0.0.22   # no pod
IP_HOST=127.0.0.23   # a hostNetwork pod of $A
IP_TWIN=127.0.0.24   # twin-a ($A) and twin-b ($B)
IP_MARK=127.0.0.25   # marker, in $B
IP_DONE=127.0.0.26   # finished, in $A: turns Succeeded
IP_LATE=127.0.0.27   # late, in $A: created while svcdns is down
IP_NEW=127.0.0.28    # new, in $B: created while the apiserver is down

start_controlplane
svcdns_account || realapi_finish
start_nsd
echo "     NSD (the upstream) on $UPSTREAM"
must "namespace $A" make_namespace "$A"
must "namespace $B" make_namespace "$B"

# The kubernetes Service's cluster IP, as the real apiserver assigned it.
KIP=$(kget /api/v1/namespaces/default/services/kubernetes |
	"${RA_PY:-python3}" -c 'import json, sys; print(json.load(sys.stdin)["spec"]["clusterIP"])')
case "$KIP" in
10.*) pass "the kubernetes Service's cluster IP from the API: $KIP" ;;
*) fail "the kubernetes Service's cluster IP from the API: got '$KIP'"; realapi_finish ;;
esac
KA="answer kubernetes.default.svc.$Z. TTL IN A $KIP" # its A record, TTL masked

# start_svcdns_ap: svcdns --autopath following the API as deploy/'s
# ServiceAccount, forwarding to NSD.
start_svcdns_ap() { start_svcdns_api "$UPSTREAM" --autopath; }

# from SRC NAME [TYPE [dig options...]]: the reply to a query sent from
# SRC: "rcode X", then each record as "SECTION NAME TTL CLASS TYPE RDATA" in
# the order it came (the CNAME must come first), TTLs masked, SOA serials
# masked.
from() {
	local src=$1 name=$2 type=${3:-A}
	shift 2
	[ $# -gt 0 ] && shift
	d -b "$src" +norec +nocookie "$@" "$name" "$type" 2>&1 | awk '
	/^;; ->>HEADER<<-/ { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); print "rcode " s; got = 1; next }
	/^;; ANSWER SECTION:/ { sec = "answer"; next }
	/^;; AUTHORITY SECTION:/ { sec = "authority"; next }
	/^;/ || /^$/ { sec = ""; next }
	sec != "" { $1 = $1; $2 = "TTL"; if ($4 == "SOA") $7 = "SERIAL"; print sec " " $0 }
	END { if (!got) print "rcode NO-REPLY" }'
}
# answers REPLY: its answer records' count.
answers() { printf '%s\n' "$1" | grep -c '^answer'; }
# ap_cname SUFFIX: the expected reply to kubernetes.default.SUFFIX A.
ap_cname() {
	printf '%s\n' "rcode NOERROR" \
		"answer kubernetes.default.$1. TTL IN CNAME kubernetes.default.svc.$Z." "$KA"
}
# from_is SRC NAME EXPECTED: the reply (A) is EXPECTED; keeps it in GOT.
from_is() {
	GOT=$(from "$1" "$2" A)
	[ "$GOT" = "$3" ]
}
# from_rcode SRC NAME RCODE: the reply's rcode is RCODE; keeps it in GOT.
from_rcode() {
	GOT=$(from "$1" "$2" A)
	[ "$(printf '%s\n' "$GOT" | head -1)" = "rcode $3" ]
}
# wait_ap DESC SRC SUFFIX: waits until SRC gets autopath for
# kubernetes.default.SUFFIX, then checks the reply whole.
wait_ap() {
	local t0
	t0=$(now_ms)
	if wait_for "$WAIT_S" from_is "$2" "kubernetes.default.$3" "$(ap_cname "$3")"; then
		pass "$1 ($(($(now_ms) - t0)) ms)"
	else
		check_eq "$1 (after ${WAIT_S} s x$LIB_SLOW)" "$(ap_cname "$3")" "$GOT"
	fi
}
# wait_nx DESC SRC SUFFIX: waits until SRC gets the plain NXDOMAIN for
# kubernetes.default.SUFFIX (no answer record), then checks it.
wait_nx() {
	local t0
	t0=$(now_ms)
	wait_for "$WAIT_S" from_rcode "$2" "kubernetes.default.$3" NXDOMAIN
	plain_nx "$1 ($(($(now_ms) - t0)) ms)" "$2" "kubernetes.default.$3"
}
# plain_nx DESC SRC NAME [TYPE]: the reply is NXDOMAIN without answers.
plain_nx() {
	GOT=$(from "$2" "$3" "${4:-A}")
	if [ "$(printf '%s\n' "$GOT" | head -1)" = "rcode NXDOMAIN" ] && [ "$(answers "$GOT")" = 0 ]; then
		pass "$1"
	else
		fail "$1: asked $3 ${4:-A} from $2"
		echo "     expected: rcode NXDOMAIN, no answer records"
		echo "     got:"
		printf '%s\n' "$GOT" | sed 's/^/       /'
	fi
}
# kill_pod NS NAME: deleted at once (no kubelet would finish a graceful
# delete): the watch's DELETED event.
kill_pod() {
	must "delete pod $1/$2 (gracePeriodSeconds=0)" kdelete "/api/v1/namespaces/$1/pods/$2?gracePeriodSeconds=0"
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

# ---- RBAC: deploy/'s ClusterRole has no pods -----------------------------------------
start_svcdns_ap
if wait_log 20 'HTTP 403 .*system:serviceaccount:kube-system:svcdns.* cannot (list|watch) resource .pods.'; then
	pass "deploy/'s ClusterRole only: svcdns logs the 403 on pods and why"
else
	fail "deploy/'s ClusterRole only: svcdns logs the 403 on pods and why"
fi
grep -m1 '403' "$LOG" | sed 's/^/     /'
# the pods are only autopath's: the cluster's names do not wait for them
check_within "pods forbidden: the cluster's names are answered all the same (kubernetes.default A)" \
	$((WAIT_S * 1000)) "kubernetes.default.svc.$Z" A "$KIP"
svcdns_grant svcdns-autopath pods
check_true "pods granted: svcdns listed the pods" wait_for 10 grep -q 'listed pods' "$LOG"
grep -m1 'listed pods' "$LOG" | sed 's/^/     /'
mark=$(svcdns_log_mark) # from here on, no error or warning is expected

# ---- before the pod: the plain answers ------------------------------------------------
plain_nx "no pod at $IP_CLIENT yet: kubernetes.default.$SA is the plain NXDOMAIN" \
	"$IP_CLIENT" "kubernetes.default.$SA"
plain_nx "no pod at $IP_CLIENT yet: www.example.com.$SA is the plain NXDOMAIN" \
	"$IP_CLIENT" "www.example.com.$SA"

# ---- a running pod --------------------------------------------------------------------
must "pod $A/client at $IP_CLIENT (running, as a kubelet sets it)" \
	make_ready_pod "$A" client '{"app":"client"}' "$IP_CLIENT"
wait_ap "pod $A/client: kubernetes.default.$SA from $IP_CLIENT is CNAME, then the A" "$IP_CLIENT" "$SA"
GOT=$(from "$IP_CLIENT" "kubernetes.default.$SA" A +tcp)
check_eq "the same over TCP" "$(ap_cname "$SA")" "$GOT"
check_eq "an existing name from the pod: answered as it is, no CNAME" "rcode NOERROR
$KA" "$(from "$IP_CLIENT" "kubernetes.default.svc.$Z")"
check_eq "ns.svc from the pod: CNAME to default.svc.$Z (it exists: NODATA)" "rcode NOERROR
answer default.svc.$SA. TTL IN CNAME default.svc.$Z.
authority $Z. TTL IN SOA ns.dns.$Z. hostmaster.$Z. SERIAL 7200 1800 86400 5" \
	"$(from "$IP_CLIENT" "default.svc.$SA")"
plain_nx "another address ($IP_NONE, no pod): the plain NXDOMAIN" "$IP_NONE" "kubernetes.default.$SA"
plain_nx "the pod asking in another namespace's suffix ($SB): the plain NXDOMAIN" \
	"$IP_CLIENT" "kubernetes.default.$SB"

# ---- outside names, forwarded to NSD ------------------------------------------------------
# The rcode and the answer section (the authority section is NSD's: its NS).
check_eq "an outside name: CNAME to www.example.com., then NSD's answer (its CNAME, A)" "rcode NOERROR
answer www.example.com.$SA. TTL IN CNAME www.example.com.
answer www.example.com. TTL IN CNAME v4only.example.com.
answer v4only.example.com. TTL IN A 192.0.2.10" "$(from "$IP_CLIENT" "www.example.com.$SA" | grep -v '^authority')"
check_eq "an outside name, AAAA over TCP: CNAME, then NSD's AAAA" "rcode NOERROR
answer dual.example.com.$SA. TTL IN CNAME dual.example.com.
answer dual.example.com. TTL IN AAAA 2001:db8::20" \
	"$(from "$IP_CLIENT" "dual.example.com.$SA" AAAA +tcp | grep -v '^authority')"
GOT=$(from "$IP_CLIENT" "nosuch.example.com.$SA")
check_true "a name that exists nowhere: NXDOMAIN with the CNAME first and NSD's SOA ($(echo $GOT))" \
	sh -c 'printf "%s\n" "$1" | head -2 | tr "\n" "|" | grep -q "^rcode NXDOMAIN|answer nosuch.example.com.$2. TTL IN CNAME nosuch.example.com.|$" &&
	       printf "%s\n" "$1" | grep -q "^authority example.com. TTL IN SOA ns.example.com."' sh "$GOT" "$SA"
plain_nx "an outside name from $IP_NONE (no pod): the plain NXDOMAIN" "$IP_NONE" "www.example.com.$SA"

# ---- the pod deleted --------------------------------------------------------------------
kill_pod "$A" client
wait_nx "pod $A/client deleted: kubernetes.default.$SA from $IP_CLIENT is the plain NXDOMAIN again" \
	"$IP_CLIENT" "$SA"

# ---- a pod that ends: out of the fieldSelector ------------------------------------------
must "pod $A/finished at $IP_DONE" make_ready_pod "$A" finished '{"app":"finished"}' "$IP_DONE"
wait_ap "pod $A/finished: autopath from $IP_DONE" "$IP_DONE" "$SA"
must "pod $A/finished Succeeded (as a kubelet reports it)" kpatch "/api/v1/namespaces/$A/pods/finished/status" \
	'{"status":{"phase":"Succeeded","conditions":[{"type":"Ready","status":"False"}]}}'
wait_nx "pod $A/finished Succeeded (it leaves the watch's fieldSelector): the plain NXDOMAIN" \
	"$IP_DONE" "$SA"

# ---- a hostNetwork pod ----------------------------------------------------------------------
must "hostNetwork pod $A/agent at $IP_HOST" kcreate "/api/v1/namespaces/$A/pods" "{
  \"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"agent\"},
  \"spec\": {\"nodeName\": \"$RA_NODE\", \"hostNetwork\": true,
           \"containers\": [{\"name\": \"app\", \"image\": \"registry.k8s.io/pause:3.10\"}]}}"
must "pod $A/agent running at $IP_HOST" make_pod_ready "$A" agent "$IP_HOST"
check_eq "the API kept agent's spec.hostNetwork" True "$(kget "/api/v1/namespaces/$A/pods/agent" |
	"${RA_PY:-python3}" -c 'import json, sys; print(json.load(sys.stdin)["spec"].get("hostNetwork"))')"
# A marker created after it: once svcdns has the marker, it has seen the
# hostNetwork pod (one watch, in order).
must "pod $B/marker at $IP_MARK" make_ready_pod "$B" marker '{"app":"marker"}' "$IP_MARK"
wait_ap "pod $B/marker (created after agent): autopath from $IP_MARK in $SB" "$IP_MARK" "$SB"
plain_nx "hostNetwork pod $A/agent's address: no autopath" "$IP_HOST" "kubernetes.default.$SA"
plain_nx "hostNetwork pod's address, an outside name: no autopath" "$IP_HOST" "www.example.com.$SA"

# ---- two pods on one address ------------------------------------------------------------------
must "pod $A/twin-a at $IP_TWIN" make_ready_pod "$A" twin-a '{"app":"twin"}' "$IP_TWIN"
wait_ap "one pod ($A/twin-a) at $IP_TWIN: autopath in $SA" "$IP_TWIN" "$SA"
must "pod $B/twin-b at $IP_TWIN too" make_ready_pod "$B" twin-b '{"app":"twin"}' "$IP_TWIN"
wait_nx "two pods ($A/twin-a, $B/twin-b) at $IP_TWIN: no autopath in $SA" "$IP_TWIN" "$SA"
plain_nx "two pods at $IP_TWIN: no autopath in $SB either" "$IP_TWIN" "kubernetes.default.$SB"
kill_pod "$A" twin-a
wait_ap "$A/twin-a deleted: $B/twin-b's namespace ($SB) from $IP_TWIN" "$IP_TWIN" "$SB"
plain_nx "$A/twin-a deleted: no autopath in $SA from $IP_TWIN" "$IP_TWIN" "kubernetes.default.$SA"

alive "svcdns still running"
no_new_errors "$mark" "svcdns logged no error or warning once pods were granted"
stop_server "$PID"

# ---- svcdns restarted: a full list -------------------------------------------------------------
# Meanwhile: a pod created, one deleted.
must "pod $A/late at $IP_LATE (svcdns down)" make_ready_pod "$A" late '{"app":"late"}' "$IP_LATE"
kill_pod "$B" marker
start_svcdns_ap
check_within "restarted: synced (kubernetes.default A)" $((WAIT_S * 1000)) "kubernetes.default.svc.$Z" A "$KIP"
wait_ap "restarted: $A/late (created while svcdns was down) from $IP_LATE" "$IP_LATE" "$SA"
wait_ap "restarted: $B/twin-b from $IP_TWIN" "$IP_TWIN" "$SB"
plain_nx "restarted: no autopath in $SA from $IP_TWIN (twin-a is gone)" "$IP_TWIN" "kubernetes.default.$SA"
plain_nx "restarted: $B/marker (deleted while svcdns was down): no autopath" "$IP_MARK" "kubernetes.default.$SB"
plain_nx "restarted: hostNetwork $A/agent: no autopath" "$IP_HOST" "kubernetes.default.$SA"
plain_nx "restarted: $A/finished (Succeeded): no autopath" "$IP_DONE" "kubernetes.default.$SA"
plain_nx "restarted: $A/client (deleted): no autopath" "$IP_CLIENT" "kubernetes.default.$SA"
check_true "restarted: the pods came as a list (listed pods)" grep -q 'listed pods' "$LOG"
grep -m1 'listed pods' "$LOG" | sed 's/^/     /'
no_new_errors 0 "restarted: svcdns logged no error or warning"

# ---- a relist in the same process ----------------------------------------------------------------
# The apiserver down, a pod deleted and one created through a second one,
# etcd compacted: the resumed watch gets 410 and svcdns lists the pods
# again; what the list lacks is swept from the map.
start_apiserver2
mark=$(svcdns_log_mark)
stop_apiserver 1
must "delete pod $A/late at once (through the other apiserver)" \
	via_api2 kdelete "/api/v1/namespaces/$A/pods/late?gracePeriodSeconds=0"
must "pod $B/new at $IP_NEW (through the other apiserver)" \
	via_api2 make_ready_pod "$B" new '{"app":"new"}' "$IP_NEW"
if etcd_compact; then pass "etcd compacted to revision $(etcd_revision)"; else fail "etcd compacted"; fi
check_eq "while the apiserver is down: $A/late still known (stale)" "$(ap_cname "$SA")" \
	"$(from "$IP_LATE" "kubernetes.default.$SA")"
start_apiserver
wait_nx "relist: $A/late (deleted while the apiserver was down) swept: the plain NXDOMAIN" \
	"$IP_LATE" "$SA"
wait_ap "relist: $B/new (created while the apiserver was down) from $IP_NEW" "$IP_NEW" "$SB"
wait_ap "relist: $B/twin-b still there" "$IP_TWIN" "$SB"
check_true "svcdns relisted the pods" wait_for 10 logged_since "$mark" 'relisted pods'
log_since "$mark" 'relisted pods' | head -1 | sed 's/^/     /'
alive "svcdns still running after the relist"
stop_server "$PID"
realapi_finish
