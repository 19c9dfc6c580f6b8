#!/bin/sh
# test_realapi_faults.sh - svcdns against a real kube-apiserver when things
# go wrong, each fault asserted on DNS answers:
#   (a) kube-apiserver restarted: answers keep being served (stale) while it
#       is down; a change made meanwhile (through a second apiserver on the
#       same etcd) and one made after are seen
#   (b) etcd compacted while the apiserver is down: the resumed watch gets
#       410 Gone, svcdns relists, and a Service deleted meanwhile goes
#   (c) RBAC revoked: stale answers keep serving, the log says 403 and why,
#       a change is not seen; restored: it converges
#   (d) the token rotated (SIGHUP; then the ServiceAccount recreated, so the
#       old token is rejected): 401, the token file re-read, converges
#   (e) the in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT and the
#       service-account directory) with no source option
#   (f) svcdns-env computing the kubelet's variables from the same API
. "$(dirname "$0")/controlplane.sh"

NS=faults
Z=svc.cluster.local
SYNC_MS=15000     # a change reaching DNS while all is well
RECOVER_MS=45000  # after a fault ends: svcdns's backoff is at most 30 s

start_controlplane
svcdns_account || realapi_finish
must "namespace $NS" make_namespace "$NS"
svc() { # svc NAME CLUSTER-IP: a ClusterIP Service (no selector: no pods needed)
	kcreate "/api/v1/namespaces/$NS/services" "{\"apiVersion\":\"v1\",\"kind\":\"Service\",
\"metadata\":{\"name\":\"$1\"},\"spec\":{\"clusterIP\":\"$2\",
\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\"}]}}"
}
must "Service keep" svc keep 10.96.2.10
must "Service gone" svc gone 10.96.2.11

# svcdns reads its token from a file (as in a pod), so (d) can rotate it.
SA=$WORK/sa
mkdir -p "$SA"
printf '%s\n' "$SVCDNS_TOKEN" >"$SA/token"
cp "$RA_CA" "$SA/ca.crt"
# write_token TOKEN: replaces the token file at once (rename), as the
# kubelet swaps a projected volume's files.
write_token() {
	printf '%s\n' "$1" >"$SA/token.new" && mv "$SA/token.new" "$SA/token"
}

start_svcdns_kube --apiserver "$APISERVER_URL" --token-file "$SA/token" --ca-file "$RA_CA"
check_within "first sync (--apiserver, --token-file, --ca-file)" $SYNC_MS "keep.$NS.$Z" A 10.96.2.10
check_within "first sync: gone" $SYNC_MS "gone.$NS.$Z" A 10.96.2.11

# The cluster's other control-plane node: changes while svcdns's is down.
start_apiserver2

# logged_since MARK REGEX: svcdns logged a matching line after MARK
# (svcdns_log_mark), so one scenario is not credited with another's line.
logged_since() {
	log_since "$1" "$2" >/dev/null
}

# ---- a prober: what DNS answered while a fault lasted --------------------------
# probe_start NAME: queries NAME A every 0.1 s in the background, one line
# per reply ("rcode" then the addresses), until probe_stop. Bounded: at
# most 1200 queries.
probe_start() {
	PROBE_OUT=$WORK/probe.out
	: >"$PROBE_OUT"
	rm -f "$WORK/probe.stop"
	(
		i=0
		while [ $i -lt 1200 ] && [ ! -e "$WORK/probe.stop" ]; do
			q "$1" A | awk '$1 == "rcode" { r = $2 } $1 == "answer" { a = a " " $NF }
				END { print r a }' >>"$PROBE_OUT"
			sleep 0.1
			i=$((i + 1))
		done
	) &
	PROBE_PID=$!
}
probe_stop() {
	touch "$WORK/probe.stop"
	wait "$PROBE_PID" 2>/dev/null
}
# probe_check DESCRIPTION WANT: every reply the prober got was WANT.
probe_check() {
	local n bad
	n=$(grep -c . "$PROBE_OUT")
	bad=$(grep -vcxF "$2" "$PROBE_OUT")
	if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
		pass "$1 ($n queries, all '$2')"
	else
		fail "$1: $bad of $n queries were not '$2'"
		grep -vxF "$2" "$PROBE_OUT" | sort | uniq -c | head -5 | sed 's/^/     /'
	fi
}

# ---- (a) kube-apiserver restarted ------------------------------------------------
mark=$(svcdns_log_mark)
probe_start "keep.$NS.$Z"
# Stopped as a crash would be (killed after 1 s), so the watches are cut.
stop_apiserver 1
must "(a) create Service during (through the other apiserver)" via_api2 svc during 10.96.2.12
sleep 1 # a while down: svcdns's watches fail and back off
start_apiserver
probe_stop
probe_check "(a) answers served, unchanged, while kube-apiserver was down" "NOERROR 10.96.2.10"
check_within "(a) a Service created while it was down appears" $RECOVER_MS "during.$NS.$Z" A 10.96.2.12
must "(a) create Service after" svc after 10.96.2.13
check_within "(a) a Service created after the restart appears" $SYNC_MS "after.$NS.$Z" A 10.96.2.13
check_true "(a) svcdns saw the connection lost" logged_since "$mark" 'unreachable|watch dropped|ERROR event' 
# The issue hoped for a resume without relist; a restarted apiserver's
# watch cache starts at etcd's current revision, so resuming from an older
# resourceVersion gets 410 and a relist is the only correct answer. Recorded,
# not asserted.
if log_since "$mark" 'relisted services' >/dev/null; then
	echo "     note (a): after the restart svcdns relisted (the new watch cache cannot resume an older resourceVersion):"
	log_since "$mark" '410|too old|relisted services' | head -3 | sed 's/^/       /'
else
	echo "     note (a): after the restart svcdns resumed its watches without relisting"
fi

# ---- (b) etcd compacted -----------------------------------------------------------
mark=$(svcdns_log_mark)
stop_apiserver 1
must "(b) delete Service gone (through the other apiserver)" via_api2 kdelete "/api/v1/namespaces/$NS/services/gone"
# Compacted to now: no resourceVersion svcdns holds can be watched from,
# in etcd itself, whatever the apiserver's cache.
if etcd_compact; then pass "(b) etcd compacted to revision $(etcd_revision)"; else fail "(b) etcd compacted"; fi
expect_rcode "(b) while down: gone still answered (stale)" NOERROR "gone.$NS.$Z" A
start_apiserver
if wait_rcode NXDOMAIN "gone.$NS.$Z" A $RECOVER_MS; then
	pass "(b) the Service deleted while it was down is NXDOMAIN (${WAITED_MS} ms)"
else
	fail "(b) the Service deleted while it was down is NXDOMAIN"
fi
check_true "(b) svcdns was told 410 (resourceVersion too old)" \
	wait_for 5 logged_since "$mark" '410 Gone|ERROR event.*(too old|410|Expired)'
log_since "$mark" '410|too old' | head -2 | sed 's/^/     /'
check_true "(b) svcdns relisted services" wait_for 5 logged_since "$mark" 'relisted services'
check_within "(b) the others unchanged" $SYNC_MS "keep.$NS.$Z" A 10.96.2.10

# ---- (c) RBAC revoked ---------------------------------------------------------------
must "(c) delete ClusterRoleBinding system:svcdns" \
	kdelete /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:svcdns
# Authorization is checked when a request starts: svcdns's open watches
# would go on. A restart cuts them, as their timeout (4-6 min) would.
mark=$(svcdns_log_mark)
probe_start "keep.$NS.$Z"
stop_apiserver 1
start_apiserver
# The revocation, as the apiserver sees it once its RBAC cache is loaded
# (right after a start every request may be 403 for ~0.5 s: checked here
# with the admin's token too, so a transient 403 is not taken for it).
sa_forbidden() {
	[ "$(kapi_as "$SVCDNS_TOKEN" GET /api/v1/services)" = 403 ] &&
		kget /api/v1/namespaces/"$NS"/services >/dev/null
}
check_true "(c) the apiserver denies svcdns's account services (and allows the admin)" wait_for 20 sa_forbidden
must "(c) create Service hidden" svc hidden 10.96.2.14
check_true "(c) svcdns logs the 403 and why (the apiserver's message)" wait_for 20 logged_since "$mark" \
	'HTTP 403 .*system:serviceaccount:kube-system:svcdns.* cannot (list|watch) resource'
log_since "$mark" '403' | head -2 | sed 's/^/     /'
# svcdns logs a failure once per kind (403 then 403 is one line), so the
# line above may come from the first ~0.5 s after the start, when every
# request is denied. The metrics count every 403: one more after the
# apiserver was seen denying only svcdns's account is the revocation's.
http_port=$(sed -n 's/.*http on .*(port \([0-9]*\)).*/\1/p' "$LOG" | head -1)
api_403s() {
	curl -s --max-time 5 "http://127.0.0.1:$http_port/metrics" |
		sed -n 's/^svcdns_api_errors_total{code="403"} \([0-9]*\)$/\1/p'
}
n403=$(api_403s)
more_403s() { [ "$(api_403s)" -gt "${n403:-0}" ] 2>/dev/null; }
check_true "(c) svcdns is still denied once the apiserver's RBAC is loaded (403s: ${n403:-?}, rising)" \
	wait_for 40 more_403s
probe_stop
probe_check "(c) stale answers kept while revoked (not SERVFAIL)" "NOERROR 10.96.2.10"
expect_rcode "(c) a Service created while revoked is not seen" NXDOMAIN "hidden.$NS.$Z" A
must "(c) restore ClusterRoleBinding system:svcdns" kcreate /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
	"$(yaml2json "$TESTDIR/../deploy/clusterrolebinding.yaml")"
check_within "(c) restored: the change converges" $RECOVER_MS "hidden.$NS.$Z" A 10.96.2.14
check_true "(c) svcdns logs that the API server is back" wait_for 5 logged_since "$mark" 'API server back'

# ---- (d) token rotation ------------------------------------------------------------
# SIGHUP: a new token for the same account is taken at once.
svcdns_new_token || realapi_finish
mark=$(svcdns_log_mark)
write_token "$SVCDNS_TOKEN"
kill -HUP "$PID"
check_true "(d) SIGHUP: the new token is read" wait_for 5 logged_since "$mark" "bearer token in $SA/token changed"
# Now invalidate every token issued so far: a recreated ServiceAccount has a
# new UID, which bound tokens are checked against (the binding names the
# account, so it still applies).
hup_token=$SVCDNS_TOKEN
must "(d) delete ServiceAccount svcdns" kdelete /api/v1/namespaces/kube-system/serviceaccounts/svcdns
must "(d) recreate ServiceAccount svcdns" kcreate /api/v1/namespaces/kube-system/serviceaccounts \
	"$(yaml2json "$TESTDIR/../deploy/serviceaccount.yaml")"
token_rejected() { [ "$(kapi_as "$1" GET /api/v1/services)" = 401 ]; }
check_true "(d) the old tokens are rejected (401)" wait_for 20 token_rejected "$hup_token"
svcdns_new_token || realapi_finish
# A restart cuts the watches (which were authenticated when they started),
# so svcdns's next request shows its token is dead.
mark=$(svcdns_log_mark)
stop_apiserver 1
start_apiserver
check_true "(d) svcdns logs the 401 and the token file" wait_for 30 logged_since "$mark" \
	"HTTP 401.*bearer token rejected, from $SA/token"
log_since "$mark" '401' | head -1 | sed 's/^/     /'
# The kubelet writes the new token: the next 401 makes svcdns re-read it.
write_token "$SVCDNS_TOKEN"
must "(d) create Service rotated" svc rotated 10.96.2.15
check_within "(d) after the rotation the change is seen (<= 90 s)" 90000 "rotated.$NS.$Z" A 10.96.2.15
check_true "(d) the rotated token was re-read from the file after the 401" \
	wait_for 5 logged_since "$mark" "bearer token in $SA/token changed"
log_since "$mark" "changed|back after" | head -2 | sed 's/^/     /'
alive "svcdns (token file) still running"
stop_server "$PID"

# ---- (e) in cluster -----------------------------------------------------------------
# The service-account directory holds the current token and the CA; no
# source option: svcdns takes the API server from the environment.
write_token "$SVCDNS_TOKEN"
KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$APISERVER_PORT SVCDNS_SA_DIR=$SA
export KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT SVCDNS_SA_DIR
start_svcdns_src ""
unset KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT SVCDNS_SA_DIR
check_within "(e) in-cluster: synced and answering" $SYNC_MS "rotated.$NS.$Z" A 10.96.2.15
check_within "(e) in-cluster: kubernetes.default" $SYNC_MS "kubernetes.default.$Z" A 10.96.0.1
check_true "(e) in-cluster: it used https://127.0.0.1:$APISERVER_PORT" \
	wait_log 5 "synced with the API server https://127.0.0.1:$APISERVER_PORT"
alive "svcdns (in-cluster) still running"
stop_server "$PID"

# ---- (f) svcdns-env ---------------------------------------------------------------
# The kubelet's variables for a pod in namespace envns, from the real API
# with svcdns's account: the namespace's Services with a cluster IP (not the
# headless one, not the ExternalName) and default's kubernetes.
: "${SVCDNS_ENV:?SVCDNS_ENV must name the svcdns-env binary}"
must "(f) namespace envns" make_namespace envns
envsvc() { must "(f) Service $1" kcreate /api/v1/namespaces/envns/services "$2"; }
envsvc redis-master '{"apiVersion":"v1","kind":"Service","metadata":{"name":"redis-master"},
  "spec":{"clusterIP":"10.96.3.11","ports":[{"port":6379,"protocol":"TCP"}]}}'
envsvc web-frontend '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web-frontend"},
  "spec":{"ipFamilyPolicy":"RequireDualStack","ipFamilies":["IPv4","IPv6"],
          "clusterIP":"10.96.3.20","clusterIPs":["10.96.3.20","fd00:10:96::320"],
          "ports":[{"name":"http","port":80,"protocol":"TCP"},
                   {"name":"dns","port":53,"protocol":"UDP"}]}}'
envsvc hl '{"apiVersion":"v1","kind":"Service","metadata":{"name":"hl"},
  "spec":{"clusterIP":"None","ports":[{"name":"x","port":1,"protocol":"TCP"}]}}'
envsvc xn '{"apiVersion":"v1","kind":"Service","metadata":{"name":"xn"},
  "spec":{"type":"ExternalName","externalName":"example.com"}}'
write_kubeconfig "$SVCDNS_KUBECONFIG" "$SVCDNS_TOKEN"
# The kubelet's rules (pkg/kubelet/envvars): NAME_SERVICE_HOST/_PORT (the
# first port), NAME_SERVICE_PORT_<PORTNAME> per named port, and the Docker
# link variables NAME_PORT, NAME_PORT_<port>_<PROTO>[_PROTO|_PORT|_ADDR].
want_env=$(LC_ALL=C sort <<EOF
KUBERNETES_PORT=tcp://10.96.0.1:443
KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443
KUBERNETES_PORT_443_TCP_ADDR=10.96.0.1
KUBERNETES_PORT_443_TCP_PORT=443
KUBERNETES_PORT_443_TCP_PROTO=tcp
KUBERNETES_SERVICE_HOST=10.96.0.1
KUBERNETES_SERVICE_PORT=443
KUBERNETES_SERVICE_PORT_HTTPS=443
REDIS_MASTER_PORT=tcp://10.96.3.11:6379
REDIS_MASTER_PORT_6379_TCP=tcp://10.96.3.11:6379
REDIS_MASTER_PORT_6379_TCP_ADDR=10.96.3.11
REDIS_MASTER_PORT_6379_TCP_PORT=6379
REDIS_MASTER_PORT_6379_TCP_PROTO=tcp
REDIS_MASTER_SERVICE_HOST=10.96.3.11
REDIS_MASTER_SERVICE_PORT=6379
WEB_FRONTEND_PORT=tcp://10.96.3.20:80
WEB_FRONTEND_PORT_53_UDP=udp://10.96.3.20:53
WEB_FRONTEND_PORT_53_UDP_ADDR=10.96.3.20
WEB_FRONTEND_PORT_53_UDP_PORT=53
WEB_FRONTEND_PORT_53_UDP_PROTO=udp
WEB_FRONTEND_PORT_80_TCP=tcp://10.96.3.20:80
WEB_FRONTEND_PORT_80_TCP_ADDR=10.96.3.20
WEB_FRONTEND_PORT_80_TCP_PORT=80
WEB_FRONTEND_PORT_80_TCP_PROTO=tcp
WEB_FRONTEND_SERVICE_HOST=10.96.3.20
WEB_FRONTEND_SERVICE_PORT=80
WEB_FRONTEND_SERVICE_PORT_DNS=53
WEB_FRONTEND_SERVICE_PORT_HTTP=80
EOF
)
got_env=$(env -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT SVCDNS_SA_DIR="$WORK/no-sa" \
	timeout $((30 * LIB_SLOW)) "$SVCDNS_ENV" --kubeconfig "$SVCDNS_KUBECONFIG" --namespace envns \
	--format env 2>"$WORK/env.err")
st=$?
check_eq "(f) svcdns-env exits 0" 0 "$st"
[ "$st" = 0 ] || sed 's/^/     /' "$WORK/env.err"
check_eq "(f) svcdns-env: the kubelet's variables for envns" "$want_env" "$(printf '%s\n' "$got_env" | LC_ALL=C sort)"
got_exec=$(env -u KUBERNETES_SERVICE_HOST -u KUBERNETES_SERVICE_PORT SVCDNS_SA_DIR="$WORK/no-sa" \
	timeout $((30 * LIB_SLOW)) "$SVCDNS_ENV" --kubeconfig "$SVCDNS_KUBECONFIG" --namespace envns \
	-- sh -c 'echo "$REDIS_MASTER_PORT_6379_TCP $WEB_FRONTEND_SERVICE_PORT_DNS"' 2>>"$WORK/env.err")
check_eq "(f) svcdns-env -- COMMAND: the variables in its environment" "tcp://10.96.3.11:6379 53" "$got_exec"

realapi_finish
