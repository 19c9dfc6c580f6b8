#!/bin/sh
# test_realapi_sync.sh - svcdns against a real kube-apiserver: the whole
# chain from objects created through the API, EndpointSlices written by the
# real endpointslice controller, to DNS answers; svcdns authenticates as
# deploy/'s ServiceAccount (so deploy/'s ClusterRole is proven enough) with
# a TokenRequest token over TLS via --kubeconfig. Then a pod added, one
# removed, one terminating, and a Service deleted, each seen in DNS.
. "$(dirname "$0")/controlplane.sh"

NS=realapi
SYNC_MS=10000 # how long a change may take to reach DNS here
Z=svc.cluster.local

start_controlplane
svcdns_account || realapi_finish

# ---- objects before svcdns starts -------------------------------------------
must "namespace $NS" make_namespace "$NS"
must "ClusterIP Service web (dual stack)" kcreate "/api/v1/namespaces/$NS/services" '{
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "web"},
  "spec": {"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv4", "IPv6"],
           "clusterIP": "10.96.0.50", "clusterIPs": ["10.96.0.50", "fd00:10:96::50"],
           "selector": {"app": "web"},
           "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}}'
must "headless Service db" kcreate "/api/v1/namespaces/$NS/services" '{
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "db"},
  "spec": {"clusterIP": "None", "selector": {"app": "db"},
           "ports": [{"name": "postgres", "port": 5432, "protocol": "TCP"}]}}'
for i in 0 1 2; do
	must "pod db-$i" make_ready_pod "$NS" "db-$i" '{"app":"db"}' "10.244.0.1$i"
done

# The real controller's slices, read back: what svcdns will be given.
want_db="10.244.0.10
10.244.0.11
10.244.0.12"
ra_slices_db() { [ "$(slice_addresses "$NS" db)" = "$1" ]; }
if wait_for 30 ra_slices_db "$want_db"; then
	pass "the endpointslice controller wrote db's 3 ready endpoints"
else
	fail "the endpointslice controller wrote db's 3 ready endpoints: got '$(slice_addresses "$NS" db | tr '\n' ' ')'"
fi
managers=$(kget "/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Ddb" |
	"${RA_PY:-python3}" -c '
import json, sys
for s in json.load(sys.stdin)["items"]:
    print(s["metadata"]["labels"].get("endpointslice.kubernetes.io/managed-by", "-"))' | sort -u)
check_eq "db's slices are managed by the real controller" "endpointslice-controller.k8s.io" "$managers"

# ---- before the first list: SERVFAIL, never a false NXDOMAIN ---------------
# The API server goes away (killed after 5 s: the controller manager holds
# connections), an svcdns starts, and cluster names must get SERVFAIL until
# its first complete list; once the server is back, right answers.
stop_apiserver
start_svcdns_kube
EARLY_PID=$PID
expect_rcode "no API server yet: a Service's name is SERVFAIL, not NXDOMAIN" SERVFAIL "web.$NS.$Z" A
expect_rcode "no API server yet: a name that will not exist is SERVFAIL too" SERVFAIL "nosuch.$NS.$Z" A
start_apiserver
check_within "API server back: the first list gives the right answer" 30000 "web.$NS.$Z" A "10.96.0.50"
stop_server "$EARLY_PID"

# ---- svcdns ------------------------------------------------------------------
t0=$(now_ms)
start_svcdns_kube
check_within "first sync: kubernetes.default A" $SYNC_MS "kubernetes.default.$Z" A "10.96.0.1"
echo "     first right answer $(($(now_ms) - t0)) ms after svcdns started"
check_within "ClusterIP web A" $SYNC_MS "web.$NS.$Z" A "10.96.0.50"
check_within "ClusterIP web AAAA" $SYNC_MS "web.$NS.$Z" AAAA "fd00:10:96::50"
check_within "headless db A: 3 ready pods" $SYNC_MS "db.$NS.$Z" A "$want_db"
for res in services endpointslices namespaces; do
	check_true "$res listed as one WatchList stream (the real server offers it)" \
		grep -q "listed $res (WatchList)" "$LOG"
done
check_within "SRV of db's named port" $SYNC_MS "_postgres._tcp.db.$NS.$Z" SRV \
	"$(printf '0 33 5432 10-244-0-1%s.db.%s.%s.\n' 0 "$NS" "$Z" 1 "$NS" "$Z" 2 "$NS" "$Z" | LC_ALL=C sort)"
if wait_log 5 'synced with the API server'; then
	pass "svcdns logs its first sync"
else
	fail "svcdns logs its first sync"
fi
if grep -Eq 'HTTP 403|Forbidden|forbidden' "$LOG"; then
	fail "no 403 with deploy/'s ClusterRole"
	grep -E 'HTTP 403|Forbidden|forbidden' "$LOG" | head -5 | sed 's/^/     /'
else
	pass "no 403 with deploy/'s ClusterRole"
fi

# ---- changes -------------------------------------------------------------------
must "pod db-3" make_ready_pod "$NS" db-3 '{"app":"db"}' 10.244.0.13
check_within "scale up: db has 4 addresses" $SYNC_MS "db.$NS.$Z" A \
	"$(printf '%s\n' "$want_db" 10.244.0.13)"

must "delete pod db-1 at once" kdelete "/api/v1/namespaces/$NS/pods/db-1?gracePeriodSeconds=0"
check_within "pod deleted: db has 3 addresses" $SYNC_MS "db.$NS.$Z" A \
	"$(printf '%s\n' 10.244.0.10 10.244.0.12 10.244.0.13)"

# A graceful delete with no kubelet to finish it leaves the pod
# terminating: the controller marks its endpoint not ready.
must "delete pod db-2 gracefully" kdelete "/api/v1/namespaces/$NS/pods/db-2"
check_within "pod terminating: db has 2 addresses" $SYNC_MS "db.$NS.$Z" A \
	"$(printf '%s\n' 10.244.0.10 10.244.0.13)"

must "pod db-0 not ready" kpatch "/api/v1/namespaces/$NS/pods/db-0/status" \
	'{"status":{"conditions":[{"type":"Ready","status":"False"}]}}'
check_within "pod not ready: db has 1 address" $SYNC_MS "db.$NS.$Z" A "10.244.0.13"

must "delete Service web" kdelete "/api/v1/namespaces/$NS/services/web"
if wait_rcode NXDOMAIN "web.$NS.$Z" A $SYNC_MS; then
	pass "Service deleted: web is NXDOMAIN (${WAITED_MS} ms)"
else
	fail "Service deleted: web is NXDOMAIN"
fi
check_within "db unchanged after web's deletion" $SYNC_MS "db.$NS.$Z" A "10.244.0.13"

alive "svcdns still running"
stop_server "$PID"

# ---- the kubernetes plugin's options, from the real API ------------------------
# The controller's slices name each endpoint's pod (targetRef): with
# --endpoint-pod-names that is the endpoint's name. A ClusterIP Service
# whose selector matches no pod has no endpoints: with
# --ignore-empty-service it is NXDOMAIN.
must "ClusterIP Service quiet (no pods)" kcreate "/api/v1/namespaces/$NS/services" '{
  "apiVersion": "v1", "kind": "Service", "metadata": {"name": "quiet"},
  "spec": {"clusterIP": "10.96.0.60", "selector": {"app": "nobody"},
           "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}'
start_svcdns_kube --endpoint-pod-names --ignore-empty-service
check_within "--endpoint-pod-names: db-3 by its pod's name" $SYNC_MS "db-3.db.$NS.$Z" A "10.244.0.13"
expect_rcode "--endpoint-pod-names: not by its dashed address" NXDOMAIN "10-244-0-13.db.$NS.$Z" A
expect_rcode "--ignore-empty-service: quiet, without endpoints, is NXDOMAIN" NXDOMAIN "quiet.$NS.$Z" A
alive "svcdns with the options still running"
stop_server "$PID"

# ---- a client certificate from the kubeconfig ------------------------------------
# The apiserver trusts client certificates its CA signed (--client-ca-file):
# a user "svcdns-cert" bound to deploy/'s ClusterRole, whose certificate and
# key ride in the kubeconfig as client-certificate-data/client-key-data.
CERT=$RA_DIR/svcdns-cert
if openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$CERT.key" -out "$CERT.csr" -subj "/CN=svcdns-cert" >"$CERT.log" 2>&1 &&
	printf '%s\n' 'extendedKeyUsage=clientAuth' 'keyUsage=critical,digitalSignature' >"$CERT.ext" &&
	openssl x509 -req -in "$CERT.csr" -CA "$RA_DIR/ca.crt" -CAkey "$RA_DIR/ca.key" \
		-CAcreateserial -out "$CERT.crt" -days 1 -extfile "$CERT.ext" >>"$CERT.log" 2>&1; then
	pass "a client certificate for user svcdns-cert, signed by the apiserver's CA"
else
	fail "openssl could not make a client certificate: $(tail -3 "$CERT.log")"
fi
must "bind deploy/'s ClusterRole to user svcdns-cert" \
	kcreate /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{
  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
  "metadata": {"name": "svcdns-cert"},
  "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:svcdns"},
  "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "svcdns-cert"}]}'
cat >"$CERT.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: realapi
  cluster:
    server: $APISERVER_URL
    certificate-authority-data: $(base64 -w0 <"$RA_DIR/ca.crt")
users:
- name: cert
  user:
    client-certificate-data: $(base64 -w0 <"$CERT.crt")
    client-key-data: $(base64 -w0 <"$CERT.key")
contexts:
- name: realapi
  context:
    cluster: realapi
    user: cert
current-context: realapi
EOF
start_svcdns_kube --kubeconfig "$CERT.kubeconfig"
check_within "client certificate from the kubeconfig: synced" $SYNC_MS "db.$NS.$Z" A "10.244.0.13"
check_true "client certificate: no 401 or 403" sh -c '! grep -Eq "HTTP 40[13]" "$1"' sh "$LOG"
stop_server "$PID"
realapi_finish
