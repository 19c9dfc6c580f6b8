#!/bin/sh
# test_realapi_namespaces.sh - --namespaces against a real kube-apiserver
# with an account that has only a Role in each namespace named (issue 24):
# the cluster-wide lists are forbidden, so svcdns lists and watches
# Services, EndpointSlices and Pods in each namespace (the Namespaces, which
# a Role cannot grant, exist as named: an empty one is NODATA). Services
# and headless endpoints of two namespaces resolve, a third's (not named)
# are NXDOMAIN; a create, a scale and
# a delete in one are seen through its watch; svcdns logs no 403 for its
# namespaces' streams. Then a relist of one namespace alone (410 after etcd
# was compacted, while the other's RoleBinding is gone so it cannot
# relist) removes what went in it and keeps every name of the other, which
# converges once its binding is back; --autopath still places the other
# namespace's client (its pod is still in the pod map). Last, with
# deploy/'s ClusterRole the same options list cluster-wide, as CoreDNS
# does, and place a client of a namespace not named too.
. "$(dirname "$0")/controlplane.sh"

SYNC_MS=15000     # first sync, and anything that waits on the controller
CHANGE_MS=10000   # a change reaching DNS through a watch
RECOVER_MS=45000  # after a fault ends: svcdns's backoff is at most 30 s
Z=svc.cluster.local
P=pod.cluster.local
A=ns-a
B=ns-b
C=ns-c # not named: never exposed
E=ns-e # named, empty

start_controlplane
start_apiserver2 # changes while the first is down

# ---- objects -----------------------------------------------------------------
# mksvc NS NAME CLUSTER-IP APP: a Service selecting app=APP.
mksvc() {
	kcreate "/api/v1/namespaces/$1/services" "{\"apiVersion\":\"v1\",\"kind\":\"Service\",
\"metadata\":{\"name\":\"$2\"},\"spec\":{\"clusterIP\":\"$3\",\"selector\":{\"app\":\"$4\"},
\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}"
}
i=1
for ns in "$A" "$B" "$C"; do
	must "namespace $ns" make_namespace "$ns"
	must "Service $ns/web" mksvc "$ns" web "10.96.81.$i" web
	must "headless Service $ns/db" mksvc "$ns" db None db
	must "pod $ns/db-0" make_ready_pod "$ns" db-0 '{"app":"db"}' "10.244.81.$i"
	i=$((i + 1))
done
slices_ready() {
	[ "$(slice_addresses "$A" db)" = 10.244.81.1 ] && [ "$(slice_addresses "$B" db)" = 10.244.81.2 ] &&
		[ "$(slice_addresses "$C" db)" = 10.244.81.3 ]
}
check_true "the endpointslice controller wrote the three db slices" wait_for 30 slices_ready
must "namespace $E" make_namespace "$E"
must "Service $A/api" mksvc "$A" api 10.96.81.5 api
# Autopath clients (a query from a pod's address: dig -b).
IP_CB=127.0.0.31 # in $B
IP_CC=127.0.0.32 # in $C
must "pod $B/client" make_ready_pod "$B" client '{"app":"client"}' $IP_CB
must "pod $C/client" make_ready_pod "$C" client '{"app":"client"}' $IP_CC
# ap_first SRC NAME: the first record of the answer to NAME A from SRC.
ap_first() {
	d -b "$1" +norec +short "$2" A 2>/dev/null | head -1
}
# autopath_from SRC NS: api.$A asked from SRC with NS's search suffix is
# CNAMEd to api.$A.svc (autopath placed SRC in NS).
autopath_from() {
	[ "$(ap_first "$1" "api.$A.$2.$Z")" = "api.$A.$Z." ]
}

# ---- an account with a Role in $A, $B and $E only ---------------------------------
must "ServiceAccount kube-system/svcdns (deploy/)" kcreate /api/v1/namespaces/kube-system/serviceaccounts \
	"$(yaml2json "$TESTDIR/../deploy/serviceaccount.yaml")"
# bind_role NS: the RoleBinding of Role svcdns in NS to the account.
bind_role() {
	kcreate "/apis/rbac.authorization.k8s.io/v1/namespaces/$1/rolebindings" "{
  \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"RoleBinding\",
  \"metadata\": {\"name\": \"svcdns\"},
  \"roleRef\": {\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"Role\", \"name\": \"svcdns\"},
  \"subjects\": [{\"kind\": \"ServiceAccount\", \"name\": \"svcdns\", \"namespace\": \"kube-system\"}]}"
}
for ns in "$A" "$B" "$E"; do
	must "Role svcdns in $ns" kcreate "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/roles" "{
  \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"Role\",
  \"metadata\": {\"name\": \"svcdns\"},
  \"rules\": [{\"apiGroups\": [\"\"], \"resources\": [\"services\", \"endpoints\", \"pods\"],
              \"verbs\": [\"list\", \"watch\"]},
             {\"apiGroups\": [\"discovery.k8s.io\"], \"resources\": [\"endpointslices\"],
              \"verbs\": [\"list\", \"watch\"]}]}"
	must "RoleBinding svcdns in $ns" bind_role "$ns"
done
svcdns_new_token || realapi_finish
SVCDNS_KUBECONFIG=$RA_DIR/svcdns.kubeconfig
write_kubeconfig "$SVCDNS_KUBECONFIG" "$SVCDNS_TOKEN"

# sa_get PATH: the HTTP status svcdns's account gets for a list of PATH.
sa_get() {
	kapi_as "$SVCDNS_TOKEN" GET "$1?limit=1"
}
# may_read NS: the account may list NS's services, slices and pods.
may_read() {
	[ "$(sa_get "/api/v1/namespaces/$1/services")" = 200 ] &&
		[ "$(sa_get "/apis/discovery.k8s.io/v1/namespaces/$1/endpointslices")" = 200 ] &&
		[ "$(sa_get "/api/v1/namespaces/$1/pods")" = 200 ]
}
# The authorizer learns of bindings through its own watch: wait for them,
# so that a 403 svcdns logs is one the test meant.
roles_in_effect() { may_read "$A" && may_read "$B" && may_read "$E"; }
check_true "the Roles are in effect in $A, $B and $E" wait_for 30 roles_in_effect
for p in /api/v1/services /apis/discovery.k8s.io/v1/endpointslices /api/v1/pods /api/v1/namespaces \
	"/api/v1/namespaces/$C/services"; do
	check_eq "the account may not list $p" 403 "$(sa_get "$p")"
done

# ---- svcdns --namespaces $A,$B,$E ---------------------------------------------------
start_svcdns_api none --namespaces "$A,$B,$E" --pods verified --autopath
check_within "$A: web answers" $SYNC_MS "web.$A.$Z" A 10.96.81.1
check_within "$B: web answers" $SYNC_MS "web.$B.$Z" A 10.96.81.2
check_within "$A: headless db has its endpoint" $SYNC_MS "db.$A.$Z" A 10.244.81.1
check_within "$B: headless db has its endpoint" $SYNC_MS "db.$B.$Z" A 10.244.81.2
check_eq "$A: db's endpoint name" 10.244.81.1 "$(short "10-244-81-1.db.$A.$Z" A)"
check_eq "$B: web's SRV" "0 100 80 web.$B.$Z." "$(short "_http._tcp.web.$B.$Z" SRV)"
check_eq "$A: web's PTR" "web.$A.$Z." "$(short 1.81.96.10.in-addr.arpa PTR)"
check_eq "$B: a pod name (--pods verified: the pods of $B are read)" 10.244.81.2 \
	"$(short "10-244-81-2.$B.$P" A)"
expect_rcode "$A.svc exists (NODATA)" NOERROR "$A.$Z" A
expect_rcode "$E.svc, named and empty, exists (NODATA)" NOERROR "$E.$Z" A
expect_rcode "$C is not named: web NXDOMAIN" NXDOMAIN "web.$C.$Z" A
expect_rcode "$C: db NXDOMAIN" NXDOMAIN "db.$C.$Z" A
expect_rcode "$C: $C.svc NXDOMAIN" NXDOMAIN "$C.$Z" A
expect_rcode "$C: a pod name NXDOMAIN" NXDOMAIN "10-244-81-3.$C.$P" A
expect_rcode "kubernetes.default is not named: NXDOMAIN" NXDOMAIN "kubernetes.default.$Z" A
check_eq "$C: web's PTR not answered" "" "$(short 3.81.96.10.in-addr.arpa PTR)"
check_true "svcdns logs its first sync" wait_log 5 'synced with the API server'
check_true "--autopath: the client in $B is placed" wait_for 10 autopath_from $IP_CB "$B"
check_eq "--autopath: the client in $C is not (its pods are not read): NXDOMAIN" "" \
	"$(ap_first $IP_CC "api.$A.$C.$Z")"
for res in services endpointslices pods; do
	check_true "$res: forbidden cluster-wide, read in each namespace (logged once)" \
		test "$(grep -c "$res: forbidden cluster-wide (HTTP 403); listing and watching it in each of the 3 namespaces" "$LOG")" = 1
	for ns in "$A" "$B" "$E"; do
		check_true "$res in $ns listed as one WatchList stream" grep -q "listed $res in $ns (WatchList)" "$LOG"
	done
done
check_true "namespaces: forbidden cluster-wide, the three named exist" \
	grep -q 'namespaces: forbidden cluster-wide (HTTP 403); the 3 of --namespaces exist' "$LOG"

# ---- changes through the namespaces' watches ------------------------------------------
must "Service $A/late" mksvc "$A" late 10.96.81.9 late
must "Service $C/late" mksvc "$C" late 10.96.81.19 late
check_within "a Service created in $A answers" $CHANGE_MS "late.$A.$Z" A 10.96.81.9
expect_rcode "the one created in $C does not" NXDOMAIN "late.$C.$Z" A
must "pod $A/db-1" make_ready_pod "$A" db-1 '{"app":"db"}' 10.244.81.11
check_within "a pod added in $A: db has 2 endpoints (its slice watched)" $SYNC_MS "db.$A.$Z" A \
	"$(printf '10.244.81.1\n10.244.81.11')"
check_within "its pod name (pods watched in $A)" $CHANGE_MS "10-244-81-11.$A.$P" A 10.244.81.11
must "delete Service $A/web" kdelete "/api/v1/namespaces/$A/services/web"
if wait_rcode NXDOMAIN "web.$A.$Z" A $CHANGE_MS; then
	pass "a Service deleted in $A: NXDOMAIN (${WAITED_MS} ms)"
else
	fail "a Service deleted in $A: NXDOMAIN"
fi
check_true "no 403 for a namespace's stream" sh -c '! grep -Eq "403.*in ns-[abe]\)" "$1"' sh "$LOG"
if grep -Eq '\[(error|warning)\]' "$LOG"; then
	fail "svcdns logged no error or warning"
	grep -E '\[(error|warning)\]' "$LOG" | head -10 | sed 's/^/     /'
else
	pass "svcdns logged no error or warning"
fi

# ---- a relist of $A alone keeps $B's names ---------------------------------------------
# $B's binding goes, the apiserver restarts (its watches are cut; a watch
# starting now is authorized anew) with etcd compacted meanwhile: $A's
# streams get 410 and relist, $B's get 403 and keep what they had.
mark=$(svcdns_log_mark)
must "delete RoleBinding svcdns in $B" kdelete "/apis/rbac.authorization.k8s.io/v1/namespaces/$B/rolebindings/svcdns"
b_forbidden() { [ "$(sa_get "/api/v1/namespaces/$B/services")" = 403 ]; }
check_true "the account may no longer read $B" wait_for 30 b_forbidden
stop_apiserver 1
must "delete Service $A/late while down (other apiserver)" via_api2 kdelete "/api/v1/namespaces/$A/services/late"
must "delete pod $A/db-1 while down" via_api2 kdelete "/api/v1/namespaces/$A/pods/db-1?gracePeriodSeconds=0"
if etcd_compact; then pass "etcd compacted to revision $(etcd_revision)"; else fail "etcd compacted"; fi
start_apiserver
if wait_rcode NXDOMAIN "late.$A.$Z" A $RECOVER_MS; then
	pass "$A relisted: the Service deleted while down is NXDOMAIN (${WAITED_MS} ms)"
else
	fail "$A relisted: the Service deleted while down is NXDOMAIN"
fi
for res in services endpointslices pods; do
	check_true "$res in $A relisted" wait_for 30 log_since "$mark" "relisted $res in $A"
	check_true "$res in $B forbidden (403 logged once)" wait_for 30 log_since "$mark" "HTTP 403.*$res in $B\)"
done
log_since "$mark" '410|too old' | head -2 | sed 's/^/     /'
check_within "$A relisted: the pod deleted while down left db" $SYNC_MS "db.$A.$Z" A 10.244.81.1
check_true "$A relisted: the deleted pod's name is NXDOMAIN" wait_rcode NXDOMAIN "10-244-81-11.$A.$P" A $CHANGE_MS
check_eq "$B kept: web" 10.96.81.2 "$(short "web.$B.$Z" A)"
check_eq "$B kept: db's endpoint (its slice)" 10.244.81.2 "$(short "db.$B.$Z" A)"
check_eq "$B kept: a pod name" 10.244.81.2 "$(short "10-244-81-2.$B.$P" A)"
check_eq "$B kept: web's PTR" "web.$B.$Z." "$(short 2.81.96.10.in-addr.arpa PTR)"
expect_rcode "$B still exists" NOERROR "$B.$Z" A
check_true "--autopath: the client in $B still placed ($A's pods relisted alone)" autopath_from $IP_CB "$B"

# $B readable again: what changed there while forbidden is seen.
must "delete Service $B/web while forbidden" kdelete "/api/v1/namespaces/$B/services/web"
must "Service $B/new while forbidden" mksvc "$B" new 10.96.81.29 new
expect_rcode "$B forbidden: web still answered (stale)" NOERROR "web.$B.$Z" A
must "RoleBinding svcdns in $B again" bind_role "$B"
check_within "$B readable again: the Service created meanwhile answers" $RECOVER_MS "new.$B.$Z" A 10.96.81.29
check_true "$B readable again: the Service deleted meanwhile is NXDOMAIN" wait_rcode NXDOMAIN "web.$B.$Z" A $CHANGE_MS
check_eq "$B readable again: db's endpoint" 10.244.81.2 "$(short "db.$B.$Z" A)"
check_eq "$A unchanged by $B's relist: db" 10.244.81.1 "$(short "db.$A.$Z" A)"
expect_rcode "$C still NXDOMAIN" NXDOMAIN "web.$C.$Z" A
alive "svcdns still running"
stop_server "$PID"

# ---- with deploy/'s ClusterRole: cluster-wide, as CoreDNS -----------------------------
must "deploy/'s ClusterRole" kcreate /apis/rbac.authorization.k8s.io/v1/clusterroles \
	"$(yaml2json "$TESTDIR/../deploy/clusterrole.yaml")"
must "deploy/'s ClusterRoleBinding" kcreate /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
	"$(yaml2json "$TESTDIR/../deploy/clusterrolebinding.yaml")"
svcdns_grant svcdns-pods pods
may_list_all() { svcdns_may_list && [ "$(sa_get /api/v1/pods)" = 200 ]; }
check_true "the ClusterRole is in effect" wait_for 30 may_list_all
start_svcdns_api none --namespaces "$A,$B,nosuch" --pods verified --autopath
check_within "cluster-wide: $B's new Service answers" $SYNC_MS "new.$B.$Z" A 10.96.81.29
check_within "cluster-wide: $A's db" $SYNC_MS "db.$A.$Z" A 10.244.81.1
expect_rcode "cluster-wide: $C's web NXDOMAIN" NXDOMAIN "web.$C.$Z" A
expect_rcode "cluster-wide: a namespace named that does not exist is NXDOMAIN (its Namespace read)" \
	NXDOMAIN "nosuch.$Z" A
expect_rcode "cluster-wide: $A.svc exists" NOERROR "$A.$Z" A
check_true "cluster-wide: --autopath places the client in $C too" wait_for 10 autopath_from $IP_CC "$C"
for res in services endpointslices namespaces pods; do
	check_true "$res listed cluster-wide" grep -q "listed $res (WatchList)" "$LOG"
done
check_true "nothing read namespace by namespace" sh -c '! grep -q "forbidden cluster-wide\| in ns-[abe] " "$1"' sh "$LOG"
check_true "no error logged" sh -c '! grep -Eq "\[(error|warning)\]" "$1"' sh "$LOG"
stop_server "$PID"
realapi_finish
