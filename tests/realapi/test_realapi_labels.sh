#!/bin/sh
# test_realapi_labels.sh - --labels and --namespace-labels (CoreDNS's labels
# and namespace_labels) against a real kube-apiserver: svcdns sends the
# selectors as labelSelector= on its list and watch requests (WatchList
# streams included) and the server filters. A Service labelled to match
# answers, one that does not is NXDOMAIN; the real endpointslice controller
# copies a Service's labels onto its slices, so a matching headless
# Service has its endpoints; label PATCHes (kubectl label) flip a Service
# and a namespace both ways, each within a bounded wait (the filtered watch
# turns a label change into ADDED or DELETED); svcdns logs no error.
. "$(dirname "$0")/controlplane.sh"

SYNC_MS=15000 # first sync, and anything that waits on the controller
CHANGE_MS=5000 # a label PATCH reaching DNS
Z=svc.cluster.local
A=lbl-a # env=prod: exposed
B=lbl-b # env=dev: hidden

start_controlplane
svcdns_account || realapi_finish

# ---- objects -----------------------------------------------------------------
mkns() {
	must "namespace $1 ($2)" kcreate /api/v1/namespaces \
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\",\"labels\":$2}}"
}
# mksvc NS NAME LABELS-JSON CLUSTER-IP SELECTOR-APP
mksvc() {
	must "Service $1/$2" kcreate "/api/v1/namespaces/$1/services" "{
  \"apiVersion\": \"v1\", \"kind\": \"Service\",
  \"metadata\": {\"name\": \"$2\", \"labels\": $3},
  \"spec\": {\"clusterIP\": \"$4\", \"selector\": {\"app\": \"$5\"},
           \"ports\": [{\"name\": \"http\", \"port\": 80, \"targetPort\": 8080, \"protocol\": \"TCP\"}]}}"
}
mkns "$A" '{"env":"prod"}'
mkns "$B" '{"env":"dev"}'
mksvc "$A" web '{"app":"web","tier":"front"}' 10.96.70.1 web
mksvc "$A" api '{"app":"api"}' 10.96.70.2 api
mksvc "$A" hl '{"app":"web"}' None hl
mksvc "$B" dweb '{"app":"web"}' 10.96.71.1 web
must "pod $A/web-0" make_ready_pod "$A" web-0 '{"app":"web"}' 10.244.7.1
must "pod $A/api-0" make_ready_pod "$A" api-0 '{"app":"api"}' 10.244.7.2
must "pod $A/hl-0" make_ready_pod "$A" hl-0 '{"app":"hl"}' 10.244.7.3
must "pod $B/dweb-0" make_ready_pod "$B" dweb-0 '{"app":"web"}' 10.244.7.11

# slice_labels NS SERVICE KEY: KEY's value on the service's slices, sorted
# unique ("-": absent).
slice_labels() {
	kget "/apis/discovery.k8s.io/v1/namespaces/$1/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D$2" |
		"${RA_PY:-python3}" -c '
import json, sys
k = sys.argv[1]
print("\n".join(sorted({(s["metadata"].get("labels") or {}).get(k, "-")
                        for s in json.load(sys.stdin).get("items", [])})))' "$3"
}
slices_ready() {
	[ "$(slice_addresses "$A" hl)" = 10.244.7.3 ] && [ "$(slice_addresses "$A" web)" = 10.244.7.1 ] &&
		[ "$(slice_addresses "$A" api)" = 10.244.7.2 ] && [ "$(slice_addresses "$B" dweb)" = 10.244.7.11 ]
}
if wait_for 30 slices_ready; then
	pass "the endpointslice controller wrote the four Services' slices"
else
	fail "the endpointslice controller wrote the four Services' slices"
fi
check_eq "the controller copied hl's app=web onto its slice" web "$(slice_labels "$A" hl app)"
check_eq "the controller copied web's tier=front onto its slice" front "$(slice_labels "$A" web tier)"

# ---- svcdns with both selectors -------------------------------------------------
start_svcdns_kube --labels 'app=web' --namespace-labels 'env in (prod)' --pods insecure
check_within "app=web in env=prod: web answers" $SYNC_MS "web.$A.$Z" A 10.96.70.1
check_within "app=web: web's endpoint name (its slice matched)" $SYNC_MS "10-244-7-1.web.$A.$Z" A 10.244.7.1
check_within "app=web: headless hl has its endpoint (the slice has hl's labels)" $SYNC_MS "hl.$A.$Z" A 10.244.7.3
check_eq "app=web: web's PTR" "web.$A.$Z." "$(short 1.70.96.10.in-addr.arpa PTR)"
expect_rcode "app=api: api is NXDOMAIN" NXDOMAIN "api.$A.$Z" A
expect_rcode "app=api: api's SRV is NXDOMAIN" NXDOMAIN "_http._tcp.api.$A.$Z" SRV
check_eq "app=api: api's PTR not answered" "" "$(short 2.70.96.10.in-addr.arpa PTR)"
expect_rcode "env=dev: dweb is NXDOMAIN" NXDOMAIN "dweb.$B.$Z" A
expect_rcode "env=dev: $B.svc is NXDOMAIN" NXDOMAIN "$B.$Z" A
expect_rcode "env=dev: a pod name in $B is NXDOMAIN" NXDOMAIN "10-244-7-11.$B.pod.cluster.local" A
check_eq "env=dev: dweb's PTR not answered" "" "$(short 1.71.96.10.in-addr.arpa PTR)"
expect_rcode "no env label: kubernetes.default is NXDOMAIN" NXDOMAIN "kubernetes.default.$Z" A
check_eq "env=prod: a pod name in $A answers" 10.244.7.1 "$(short "10-244-7-1.$A.pod.cluster.local" A)"
# The server filtered: svcdns was sent only what matches (services web, hl,
# dweb and their 3 slices, of 5 services and 4 slices; namespace lbl-a, of 6).
for want in "services 3" "endpointslices 3" "namespaces 1"; do
	set -- $want
	check_true "the API server filtered the $1 it sent (the WatchList: $2 objects)" \
		grep -q "listed $1 (WatchList): $2 objects" "$LOG"
done

# ---- label PATCHes, as kubectl label does ----------------------------------------
must "label api app=web" kpatch "/api/v1/namespaces/$A/services/api" '{"metadata":{"labels":{"app":"web"}}}'
check_within "api relabelled app=web: answers" $CHANGE_MS "api.$A.$Z" A 10.96.70.2
# The controller relabels the slice after the Service: its endpoint follows.
check_within "api relabelled: its endpoint (slice relabelled by the controller)" $SYNC_MS \
	"10-244-7-2.api.$A.$Z" A 10.244.7.2
check_eq "api relabelled: its PTR" "api.$A.$Z." "$(short 2.70.96.10.in-addr.arpa PTR)"

must "label web app=old" kpatch "/api/v1/namespaces/$A/services/web" '{"metadata":{"labels":{"app":"old"}}}'
if wait_rcode NXDOMAIN "web.$A.$Z" A $CHANGE_MS; then
	pass "web relabelled app=old: NXDOMAIN (${WAITED_MS} ms)"
else
	fail "web relabelled app=old: NXDOMAIN"
fi
check_eq "web relabelled: its PTR gone" "" "$(short 1.70.96.10.in-addr.arpa PTR)"
if wait_rcode NXDOMAIN "10-244-7-1.web.$A.$Z" A $CHANGE_MS; then
	pass "web relabelled: its endpoint name NXDOMAIN"
else
	fail "web relabelled: its endpoint name NXDOMAIN"
fi

# kubectl label hl app- : the label removed (merge patch null).
must "label hl app-" kpatch "/api/v1/namespaces/$A/services/hl" '{"metadata":{"labels":{"app":null}}}'
if wait_rcode NXDOMAIN "hl.$A.$Z" A $CHANGE_MS; then
	pass "hl's app label removed: NXDOMAIN (${WAITED_MS} ms)"
else
	fail "hl's app label removed: NXDOMAIN"
fi
must "label hl app=web again" kpatch "/api/v1/namespaces/$A/services/hl" '{"metadata":{"labels":{"app":"web"}}}'
check_within "hl app=web again: its endpoint back (the controller relabels the slice)" $SYNC_MS \
	"hl.$A.$Z" A 10.244.7.3

must "label web app=web again" kpatch "/api/v1/namespaces/$A/services/web" '{"metadata":{"labels":{"app":"web"}}}'
check_within "web app=web again: answers" $CHANGE_MS "web.$A.$Z" A 10.96.70.1
check_within "web app=web again: its endpoint name" $SYNC_MS "10-244-7-1.web.$A.$Z" A 10.244.7.1

# ---- namespace label PATCHes --------------------------------------------------------
must "label namespace $B env=prod" kpatch "/api/v1/namespaces/$B" '{"metadata":{"labels":{"env":"prod"}}}'
check_within "$B relabelled env=prod: dweb answers" $CHANGE_MS "dweb.$B.$Z" A 10.96.71.1
check_within "$B exposed: dweb's endpoint name" $CHANGE_MS "10-244-7-11.dweb.$B.$Z" A 10.244.7.11
check_eq "$B exposed: dweb's PTR" "dweb.$B.$Z." "$(short 1.71.96.10.in-addr.arpa PTR)"
check_eq "$B exposed: a pod name in $B" 10.244.7.11 "$(short "10-244-7-11.$B.pod.cluster.local" A)"
expect_rcode "$B exposed: $B.svc is NODATA" NOERROR "$B.$Z" A

must "label namespace $A env-" kpatch "/api/v1/namespaces/$A" '{"metadata":{"labels":{"env":null}}}'
if wait_rcode NXDOMAIN "web.$A.$Z" A $CHANGE_MS; then
	pass "$A's env label removed: web NXDOMAIN (${WAITED_MS} ms)"
else
	fail "$A's env label removed: web NXDOMAIN"
fi
expect_rcode "$A hidden: api NXDOMAIN" NXDOMAIN "api.$A.$Z" A
expect_rcode "$A hidden: hl NXDOMAIN" NXDOMAIN "hl.$A.$Z" A
expect_rcode "$A hidden: $A.svc NXDOMAIN" NXDOMAIN "$A.$Z" A
expect_rcode "$A hidden: a pod name in $A NXDOMAIN" NXDOMAIN "10-244-7-1.$A.pod.cluster.local" A
check_eq "$A hidden: web's PTR gone" "" "$(short 1.70.96.10.in-addr.arpa PTR)"
check_eq "$A hidden: dweb still answers" 10.96.71.1 "$(short "dweb.$B.$Z" A)"

must "label namespace $A env=prod again" kpatch "/api/v1/namespaces/$A" '{"metadata":{"labels":{"env":"prod"}}}'
check_within "$A env=prod again: web answers" $CHANGE_MS "web.$A.$Z" A 10.96.70.1
check_within "$A env=prod again: hl's endpoint" $CHANGE_MS "hl.$A.$Z" A 10.244.7.3
check_eq "$A env=prod again: web's PTR" "web.$A.$Z." "$(short 1.70.96.10.in-addr.arpa PTR)"

# A Service created matching, one deleted.
mksvc "$A" late '{"app":"web"}' 10.96.70.9 late
check_within "a Service created with app=web answers" $CHANGE_MS "late.$A.$Z" A 10.96.70.9
must "delete Service api" kdelete "/api/v1/namespaces/$A/services/api"
if wait_rcode NXDOMAIN "api.$A.$Z" A $CHANGE_MS; then
	pass "a matching Service deleted: NXDOMAIN (${WAITED_MS} ms)"
else
	fail "a matching Service deleted: NXDOMAIN"
fi

alive "svcdns still running"
if grep -Eq '\[(error|warning)\]' "$LOG"; then
	fail "svcdns logged no error or warning"
	grep -E '\[(error|warning)\]' "$LOG" | head -10 | sed 's/^/     /'
else
	pass "svcdns logged no error or warning"
fi
stop_server "$PID"

# ---- one selector each --------------------------------------------------------------
# --labels alone: every namespace, only app=web; a set-based selector.
start_svcdns_kube --labels 'app in (web, other),tier notin (back)'
check_within "--labels alone: dweb in $B answers" $SYNC_MS "dweb.$B.$Z" A 10.96.71.1
check_within "--labels alone: web answers" $SYNC_MS "web.$A.$Z" A 10.96.70.1
expect_rcode "--labels alone: kubernetes.default (no app label)" NXDOMAIN "kubernetes.default.$Z" A
must "label web tier=back" kpatch "/api/v1/namespaces/$A/services/web" '{"metadata":{"labels":{"tier":"back"}}}'
if wait_rcode NXDOMAIN "web.$A.$Z" A $CHANGE_MS; then
	pass "--labels alone: web relabelled tier=back: NXDOMAIN (${WAITED_MS} ms)"
else
	fail "--labels alone: web relabelled tier=back: NXDOMAIN"
fi
check_true "--labels alone: no error logged" sh -c '! grep -Eq "\[(error|warning)\]" "$1"' sh "$LOG"
stop_server "$PID"

# --namespace-labels alone: every Service of the exposed namespaces.
start_svcdns_kube --namespace-labels 'kubernetes.io/metadata.name=default'
check_within "--namespace-labels alone: kubernetes.default answers" $SYNC_MS "kubernetes.default.$Z" A 10.96.0.1
expect_rcode "--namespace-labels alone: web.$A NXDOMAIN" NXDOMAIN "web.$A.$Z" A
expect_rcode "--namespace-labels alone: dweb.$B NXDOMAIN" NXDOMAIN "dweb.$B.$Z" A
check_true "--namespace-labels alone: no error logged" sh -c '! grep -Eq "\[(error|warning)\]" "$1"' sh "$LOG"
stop_server "$PID"
realapi_finish
