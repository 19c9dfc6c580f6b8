# controlplane.sh - a real Kubernetes control plane on loopback for the
# realapi tests: etcd, kube-apiserver and kube-controller-manager (only the
# endpointslice controller), built by tests/realapi/build.sh, plus helpers
# to drive the API with curl and to run svcdns against it as a cluster
# would (a ServiceAccount bound to deploy/'s ClusterRole, over TLS).
# Sourced by tests/realapi/test_*.sh; sources tests/system/watch_lib.sh (and
# so lib.sh), so every helper there (q, expect, check_eq, check_within,
# short, wait_log, free_port...) works.
#
# Environment (besides lib.sh's SVCDNS, TESTDIR, ZONESDIR):
#   SVCDNS_REALAPI_BIN  a directory with kube-apiserver, kube-controller-manager,
#                       etcd and etcdctl; unset: tests/realapi/build.sh builds
#                       them (or finds them in its cache) and says where
#
# Every loop is bounded; everything listens on and talks to 127.0.0.1 only;
# only the processes started here are stopped, by PID (they join LIB_PIDS,
# which lib.sh's exit trap ends).

. "$TESTDIR/system/watch_lib.sh"

RA_HERE="$TESTDIR/realapi"
RA_DIR="$WORK/controlplane"
mkdir -p "$RA_DIR" || { echo "FAIL: mkdir $RA_DIR" >&2; exit 1; }

# A python3 that has the yaml module (Debian's python3-yaml), to read deploy/.
RA_PY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import yaml' >/dev/null 2>&1; then RA_PY=$p; break; fi
done

# ---- the binaries ----------------------------------------------------------
# Sets RA_BIN. Fails (never skips) when they cannot be had: the suite needs
# Go to build them.
realapi_bins() {
	local p
	if [ -n "${SVCDNS_REALAPI_BIN:-}" ]; then
		RA_BIN=$SVCDNS_REALAPI_BIN
	else
		RA_BIN=$("$RA_HERE/build.sh") && [ -n "$RA_BIN" ] || {
			echo "FAIL: tests/realapi/build.sh could not build the control plane (see above)" >&2
			exit 1
		}
	fi
	for p in kube-apiserver kube-controller-manager etcd etcdctl; do
		if [ ! -x "$RA_BIN/$p" ]; then
			echo "FAIL: $RA_BIN/$p is missing (SVCDNS_REALAPI_BIN or build.sh)" >&2
			exit 1
		fi
	done
}

# ra_started PID: remember a process for lib.sh's cleanup.
ra_started() {
	LIB_PIDS="$LIB_PIDS $1"
}

# ra_wait SECONDS PID COMMAND...: polls COMMAND every 0.2 s until it
# succeeds, PID exits, or SECONDS (times SVCDNS_TEST_SLOW) pass. Returns
# 0 on success, 2 when PID died, 1 on timeout.
ra_wait() {
	local secs=$1 pid=$2 i=0 n
	shift 2
	n=$((secs * 5 * LIB_SLOW))
	while [ $i -lt $n ]; do
		"$@" && return 0
		child_alive "$pid" || return 2
		sleep 0.2
		i=$((i + 1))
	done
	"$@"
}

# ra_stop PID SECONDS: SIGTERM, SIGKILL after SECONDS (times
# SVCDNS_TEST_SLOW); reaps it and forgets it.
ra_stop() {
	local pid=$1 i=0
	child_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	while child_alive "$pid" && [ $i -lt $(($2 * 10 * LIB_SLOW)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	child_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	LIB_PIDS=$(echo " $LIB_PIDS " | sed "s/ $pid / /")
	return 0
}

# ra_die LABEL LOG MESSAGE: fails the whole test with the log's tail.
ra_die() {
	echo "FAIL: $3" >&2
	if [ -f "$2" ]; then
		echo "---- $1 log (last 40 lines of $2):" >&2
		tail -40 "$2" | sed 's/^/  /' >&2
	fi
	exit 1
}

# ---- certificates and credentials ------------------------------------------
# Writes into $RA_DIR: ca.crt/ca.key, apiserver.crt/.key (SAN 127.0.0.1,
# localhost), sa.key/sa.pub (service-account signing), tokens.csv with the
# admin's static token. Sets RA_CA and RA_ADMIN_TOKEN.
realapi_certs() {
	local d=$RA_DIR
	RA_CA=$d/ca.crt
	[ -f "$d/apiserver.crt" ] && return 0
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=svcdns-realapi-ca" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/apiserver.key" -out "$d/apiserver.csr" -subj "/CN=kube-apiserver" &&
		printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
			'extendedKeyUsage=serverAuth' 'keyUsage=critical,digitalSignature' >"$d/apiserver.ext" &&
		openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/apiserver.crt" -days 2 -extfile "$d/apiserver.ext" &&
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/sa.key" &&
		openssl pkey -in "$d/sa.key" -pubout -out "$d/sa.pub"
	} >"$d/openssl.log" 2>&1 || ra_die openssl "$d/openssl.log" "openssl could not make the control plane's certificates"
	RA_ADMIN_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	# token,user,uid,"groups": system:masters is cluster-admin.
	printf '%s,realapi-admin,realapi-admin,"system:masters"\n' "$RA_ADMIN_TOKEN" >"$d/tokens.csv"
}

# write_kubeconfig FILE TOKEN: a kubeconfig for $APISERVER_URL with the CA
# and a bearer token (inline).
write_kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: realapi
  cluster:
    server: $APISERVER_URL
    certificate-authority: $RA_CA
users:
- name: user
  user:
    token: $2
contexts:
- name: realapi
  context:
    cluster: realapi
    user: user
current-context: realapi
EOF
}

# ---- etcd ------------------------------------------------------------------
# start_etcd: etcd on free loopback ports, data in $RA_DIR/etcd, no fsync.
# Sets ETCD_PID, ETCD_PORT, ETCD_URL, ETCD_LOG. A restart (after stop_etcd)
# reuses the port and the data.
start_etcd() {
	local try peer st
	ETCD_LOG=$RA_DIR/etcd.log
	for try in 1 2 3; do
		[ -n "${ETCD_PORT:-}" ] && [ "$try" = 1 ] || ETCD_PORT=$(free_port)
		peer=$(free_port)
		ETCD_URL=http://127.0.0.1:$ETCD_PORT
		"$RA_BIN/etcd" --name realapi --data-dir "$RA_DIR/etcd" \
			--listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
			--listen-peer-urls "http://127.0.0.1:$peer" \
			--initial-advertise-peer-urls "http://127.0.0.1:$peer" \
			--initial-cluster "realapi=http://127.0.0.1:$peer" \
			--unsafe-no-fsync --log-level warn >>"$ETCD_LOG" 2>&1 &
		ETCD_PID=$!
		ra_started "$ETCD_PID"
		ra_wait 30 "$ETCD_PID" ra_etcd_healthy
		st=$?
		[ $st = 0 ] && return 0
		if [ $st = 2 ] && grep -q 'address already in use' "$ETCD_LOG"; then
			echo "     (etcd: a port was taken; trying others)"
			continue
		fi
		ra_die etcd "$ETCD_LOG" "etcd did not become healthy on $ETCD_URL"
	done
	ra_die etcd "$ETCD_LOG" "etcd: no free ports after 3 tries"
}

ra_etcd_healthy() {
	curl -s --max-time 2 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'
}

stop_etcd() {
	ra_stop "$ETCD_PID" 10
}

# etcdctl ARGS...: etcdctl against this etcd.
etcdctl() {
	"$RA_BIN/etcdctl" --endpoints "$ETCD_URL" --command-timeout 10s "$@"
}

# etcd_revision: etcd's current revision (the apiserver's resourceVersion).
etcd_revision() {
	etcdctl endpoint status -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p'
}

# etcd_compact: compacts etcd's history up to now, so a watch from an
# older resourceVersion gets 410 Gone (once the apiserver's watch cache no
# longer holds it: restart the apiserver or outrun its cache).
etcd_compact() {
	local rev
	rev=$(etcd_revision)
	[ -n "$rev" ] || { fail "etcd_compact: no revision from etcdctl"; return 1; }
	etcdctl compact "$rev" --physical >/dev/null
}

# ---- kube-apiserver --------------------------------------------------------
# start_apiserver [extra kube-apiserver flags...]: on a free port (the same
# port again after stop_apiserver), against $ETCD_URL; waits for /readyz.
# Sets APISERVER_PID, APISERVER_PORT, APISERVER_URL, APISERVER_LOG,
# RA_ADMIN_KUBECONFIG.
start_apiserver() {
	local try st
	realapi_certs
	APISERVER_LOG=$RA_DIR/apiserver.log
	for try in 1 2 3; do
		[ -n "${APISERVER_PORT:-}" ] && [ "$try" = 1 ] || APISERVER_PORT=$(free_port)
		APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
		echo "---- start $(date +%T)" >>"$APISERVER_LOG"
		# --endpoint-reconciler-type none: no kubernetes Endpoints for
		# the apiserver itself (there is no real network); the ServiceAccount
		# admission plugin off: no controller makes default accounts.
		"$RA_BIN/kube-apiserver" \
			--etcd-servers "$ETCD_URL" \
			--advertise-address 127.0.0.1 --bind-address 127.0.0.1 \
			--secure-port "$APISERVER_PORT" \
			--cert-dir "$RA_DIR/apiserver-certs" \
			--tls-cert-file "$RA_DIR/apiserver.crt" \
			--tls-private-key-file "$RA_DIR/apiserver.key" \
			--client-ca-file "$RA_CA" \
			--token-auth-file "$RA_DIR/tokens.csv" \
			--authorization-mode RBAC \
			--service-account-issuer "https://kubernetes.default.svc.cluster.local" \
			--service-account-key-file "$RA_DIR/sa.pub" \
			--service-account-signing-key-file "$RA_DIR/sa.key" \
			--disable-admission-plugins ServiceAccount \
			--endpoint-reconciler-type none \
			--service-cluster-ip-range 10.96.0.0/16,fd00:10:96::/112 \
			--allow-privileged=true \
			--profiling=false \
			--v=1 "$@" >>"$APISERVER_LOG" 2>&1 &
		APISERVER_PID=$!
		ra_started "$APISERVER_PID"
		ra_wait 90 "$APISERVER_PID" ra_apiserver_ready
		st=$?
		if [ $st = 0 ]; then
			RA_ADMIN_KUBECONFIG=$RA_DIR/admin.kubeconfig
			write_kubeconfig "$RA_ADMIN_KUBECONFIG" "$RA_ADMIN_TOKEN"
			return 0
		fi
		if [ $st = 2 ] && tail -5 "$APISERVER_LOG" | grep -q 'address already in use'; then
			echo "     (kube-apiserver: port $APISERVER_PORT was taken; another)"
			continue
		fi
		ra_die kube-apiserver "$APISERVER_LOG" "kube-apiserver did not become ready on $APISERVER_URL"
	done
	ra_die kube-apiserver "$APISERVER_LOG" "kube-apiserver: no free port after 3 tries"
}

ra_apiserver_ready() {
	[ "$(curl -s --max-time 5 --cacert "$RA_CA" -H "Authorization: Bearer $RA_ADMIN_TOKEN" \
		"$APISERVER_URL/readyz" 2>/dev/null)" = ok ]
}

# stop_apiserver [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default
# 5). kube-apiserver stops listening at once but, while clients hold
# connections (the controller manager's, svcdns's watches), takes about 30 s
# to exit on its own; pass 40 for a graceful stop.
stop_apiserver() {
	ra_stop "$APISERVER_PID" "${1:-5}"
}

# restart_apiserver [flags...]: stop (killed after 5 s, as a crash would),
# then start on the same port with the same etcd, certificates and tokens.
restart_apiserver() {
	stop_apiserver
	start_apiserver "$@"
}

# ---- kube-controller-manager -----------------------------------------------
# start_kcm: only the endpointslice controller, with the admin's token, no
# leader election and no serving port. Sets KCM_PID, KCM_LOG. Waits until
# the controller says it started.
start_kcm() {
	local st
	KCM_LOG=$RA_DIR/kcm.log
	"$RA_BIN/kube-controller-manager" \
		--kubeconfig "$RA_ADMIN_KUBECONFIG" \
		--controllers endpointslice \
		--leader-elect=false \
		--use-service-account-credentials=false \
		--bind-address 127.0.0.1 --secure-port 0 \
		--profiling=false \
		--v=2 >>"$KCM_LOG" 2>&1 &
	KCM_PID=$!
	ra_started "$KCM_PID"
	ra_wait 60 "$KCM_PID" \
		grep -Eq 'Started controller.*endpointslice-controller|"Starting endpoint slice controller"|Starting endpoint slice controller' "$KCM_LOG"
	st=$?
	[ $st = 0 ] || ra_die kube-controller-manager "$KCM_LOG" "kube-controller-manager did not start its endpointslice controller"
}

stop_kcm() {
	ra_stop "$KCM_PID" 10
}

# start_controlplane: etcd, kube-apiserver, kube-controller-manager, and a
# Node ($RA_NODE) for pods to run on (the endpointslice controller skips
# pods whose node does not exist). Prints how long it took.
RA_NODE=node-1
start_controlplane() {
	local t0 t1
	realapi_bins
	t0=$(now_ms)
	start_etcd
	start_apiserver
	start_kcm
	kcreate /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$RA_NODE\",\"labels\":{\"topology.kubernetes.io/zone\":\"zone-a\"}}}" >/dev/null ||
		ra_die kube-apiserver "$APISERVER_LOG" "cannot create Node $RA_NODE: $KAPI_BODY"
	t1=$(now_ms)
	echo "     control plane up in $((t1 - t0)) ms (etcd $ETCD_URL, kube-apiserver $APISERVER_URL)"
}


# ---- the API, by curl as the admin -----------------------------------------
# kapi METHOD PATH [BODY [CONTENT-TYPE]]: one request as the admin. Sets
# KAPI_CODE (HTTP status) and KAPI_BODY; prints the body; returns 0 for 2xx.
kapi() {
	local method=$1 path=$2 body=${3:-} ctype=${4:-application/json} out
	out=$(mktemp "$RA_DIR/kapi.XXXXXX")
	if [ -n "$body" ]; then
		KAPI_CODE=$(curl -s --max-time 30 --cacert "$RA_CA" -o "$out" -w '%{http_code}' \
			-H "Authorization: Bearer $RA_ADMIN_TOKEN" -H "Content-Type: $ctype" \
			-X "$method" --data-binary "$body" "$APISERVER_URL$path")
	else
		KAPI_CODE=$(curl -s --max-time 30 --cacert "$RA_CA" -o "$out" -w '%{http_code}' \
			-H "Authorization: Bearer $RA_ADMIN_TOKEN" -X "$method" "$APISERVER_URL$path")
	fi
	KAPI_BODY=$(cat "$out")
	rm -f "$out"
	printf '%s\n' "$KAPI_BODY"
	case "$KAPI_CODE" in 2??) return 0 ;; esac
	return 1
}

kget() { kapi GET "$1"; }
kcreate() { kapi POST "$1" "$2"; }
# kpatch PATH JSON: a JSON merge patch.
kpatch() { kapi PATCH "$1" "$2" application/merge-patch+json; }
kdelete() { kapi DELETE "$1"; }

# must DESCRIPTION COMMAND...: runs an API helper (its output discarded);
# a failure fails the test with the API's answer.
must() {
	local desc=$1
	shift
	if "$@" >/dev/null; then return 0; fi
	fail "$desc: HTTP $KAPI_CODE"
	printf '%s\n' "$KAPI_BODY" | head -20 | sed 's/^/     /'
	return 1
}

# yaml2json FILE: a one-document YAML file as JSON.
yaml2json() {
	[ -n "$RA_PY" ] || { echo "FAIL: no python3 with the yaml module (install python3-yaml)" >&2; exit 1; }
	"$RA_PY" -c 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$1"
}

# ---- objects -----------------------------------------------------------------
make_namespace() {
	kcreate /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}" >/dev/null
}

# make_pod NS NAME LABELS-JSON [HOSTNAME SUBDOMAIN]: a Pod bound to
# $RA_NODE (not yet running: make_pod_ready gives it an IP).
make_pod() {
	local ns=$1 name=$2 labels=$3 extra=""
	if [ -n "${4:-}" ]; then
		extra=",\"hostname\":\"$4\",\"subdomain\":\"$5\""
	fi
	kcreate "/api/v1/namespaces/$ns/pods" "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",
\"metadata\":{\"name\":\"$name\",\"labels\":$labels},
\"spec\":{\"nodeName\":\"$RA_NODE\",\"containers\":[{\"name\":\"app\",\"image\":\"registry.k8s.io/pause:3.10\",
\"ports\":[{\"name\":\"http\",\"containerPort\":8080}]}]$extra}}" >/dev/null
}

# make_pod_ready NS NAME IP [IP...]: sets the pod's status as the kubelet
# would for a running, ready pod with these IPs (the first is podIP),
# through the status subresource.
make_pod_ready() {
	local ns=$1 name=$2 ips="" ip now
	shift 2
	for ip in "$@"; do
		ips="$ips${ips:+,}{\"ip\":\"$ip\"}"
	done
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	kpatch "/api/v1/namespaces/$ns/pods/$name/status" "{\"status\":{\"phase\":\"Running\",
\"hostIP\":\"127.0.0.1\",\"hostIPs\":[{\"ip\":\"127.0.0.1\"}],
\"podIP\":\"$1\",\"podIPs\":[$ips],\"startTime\":\"$now\",
\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}],
\"containerStatuses\":[{\"name\":\"app\",\"ready\":true,\"started\":true,\"restartCount\":0,
\"image\":\"registry.k8s.io/pause:3.10\",\"imageID\":\"\",
\"state\":{\"running\":{\"startedAt\":\"$now\"}}}]}}" >/dev/null
}

# make_ready_pod NS NAME LABELS-JSON IP [IP...]: make_pod, then make_pod_ready.
make_ready_pod() {
	local ns=$1 name=$2 labels=$3
	shift 3
	make_pod "$ns" "$name" "$labels" && make_pod_ready "$ns" "$name" "$@"
}

# slice_addresses NS SERVICE: the ready addresses in the service's
# EndpointSlices, as the controller wrote them, sorted, one per line.
slice_addresses() {
	kget "/apis/discovery.k8s.io/v1/namespaces/$1/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D$2" |
		"${RA_PY:-python3}" -c '
import json, sys
d = json.load(sys.stdin)
out = []
for s in d.get("items", []):
    for e in s.get("endpoints") or []:
        if (e.get("conditions") or {}).get("ready"):
            out.extend(e.get("addresses", []))
print("\n".join(sorted(out)))'
}

# ---- svcdns as it runs in the cluster --------------------------------------
# svcdns_account: the ServiceAccount, ClusterRole and ClusterRoleBinding of
# deploy/ (so the shipped RBAC is what is tested), a token for the account
# from the TokenRequest API, and a kubeconfig with it. Sets SVCDNS_TOKEN,
# SVCDNS_KUBECONFIG. TOKEN_SECONDS (default 3600) is the token's lifetime.
svcdns_account() {
	local f deploy=$TESTDIR/../deploy
	for f in serviceaccount clusterrole clusterrolebinding; do
		[ -f "$deploy/$f.yaml" ] || { echo "FAIL: $deploy/$f.yaml missing" >&2; exit 1; }
	done
	must "create deploy/serviceaccount.yaml" \
		kcreate /api/v1/namespaces/kube-system/serviceaccounts "$(yaml2json "$deploy/serviceaccount.yaml")" || return 1
	must "create deploy/clusterrole.yaml" \
		kcreate /apis/rbac.authorization.k8s.io/v1/clusterroles "$(yaml2json "$deploy/clusterrole.yaml")" || return 1
	must "create deploy/clusterrolebinding.yaml" \
		kcreate /apis/rbac.authorization.k8s.io/v1/clusterrolebindings "$(yaml2json "$deploy/clusterrolebinding.yaml")" || return 1
	svcdns_new_token || return 1
	SVCDNS_KUBECONFIG=$RA_DIR/svcdns.kubeconfig
	write_kubeconfig "$SVCDNS_KUBECONFIG" "$SVCDNS_TOKEN"
	# The apiserver's authorizer learns of the binding through its own
	# watch: until then the account gets 403 (a svcdns started at once
	# logged one, now and then). Wait until it may list what it needs.
	ra_wait 30 "$APISERVER_PID" svcdns_may_list ||
		{ fail "deploy/'s ClusterRole not in effect for kube-system/svcdns in 30 s"; return 1; }
}

# svcdns_grant NAME RESOURCE...: a ClusterRole NAME letting kube-system/svcdns
# list and watch RESOURCEs (beyond deploy/'s), and its binding. A RESOURCE
# is of the core group, or GROUP/RESOURCE of another.
svcdns_grant() {
	local name=$1 rules="" r group
	shift
	for r in "$@"; do
		group=""
		case "$r" in */*) group=${r%/*} r=${r##*/} ;; esac
		rules="$rules${rules:+, }{\"apiGroups\": [\"$group\"], \"resources\": [\"$r\"], \"verbs\": [\"list\", \"watch\"]}"
	done
	must "ClusterRole $name ($*: list, watch)" \
		kcreate /apis/rbac.authorization.k8s.io/v1/clusterroles "{
  \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"ClusterRole\",
  \"metadata\": {\"name\": \"$name\"},
  \"rules\": [$rules]}" || return 1
	must "ClusterRoleBinding $name to kube-system/svcdns" \
		kcreate /apis/rbac.authorization.k8s.io/v1/clusterrolebindings "{
  \"apiVersion\": \"rbac.authorization.k8s.io/v1\", \"kind\": \"ClusterRoleBinding\",
  \"metadata\": {\"name\": \"$name\"},
  \"roleRef\": {\"apiGroup\": \"rbac.authorization.k8s.io\", \"kind\": \"ClusterRole\", \"name\": \"$name\"},
  \"subjects\": [{\"kind\": \"ServiceAccount\", \"name\": \"svcdns\", \"namespace\": \"kube-system\"}]}"
}

# svcdns_may_list: whether svcdns's token lists services, slices and
# namespaces (200 each).
svcdns_may_list() {
	local p
	for p in /api/v1/services /apis/discovery.k8s.io/v1/endpointslices /api/v1/namespaces; do
		[ "$(curl -s --max-time 5 --cacert "$RA_CA" -H "Authorization: Bearer $SVCDNS_TOKEN" \
			-o /dev/null -w '%{http_code}' "$APISERVER_URL$p?limit=1")" = 200 ] || return 1
	done
}

# svcdns_new_token: a fresh token for kube-system/svcdns (TokenRequest).
svcdns_new_token() {
	must "TokenRequest for kube-system/svcdns" \
		kcreate /api/v1/namespaces/kube-system/serviceaccounts/svcdns/token \
		"{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":${TOKEN_SECONDS:-3600}}}" || return 1
	SVCDNS_TOKEN=$(printf '%s' "$KAPI_BODY" | "${RA_PY:-python3}" -c 'import json, sys; print(json.load(sys.stdin)["status"]["token"])') &&
		[ -n "$SVCDNS_TOKEN" ] || { fail "TokenRequest returned no token"; return 1; }
}

# start_svcdns_kube [svcdns options...]: svcdns with --kubeconfig
# $SVCDNS_KUBECONFIG (unless the options give a source) on a free port;
# waits until it answers DNS at all (SERVFAIL counts: before the first
# list it has no data). Sets PORT, PID, LOG.
start_svcdns_kube() {
	local src="--kubeconfig $SVCDNS_KUBECONFIG"
	case " $* " in
	*" --kubeconfig "* | *" --apiserver "* | *" --dir "*) src="" ;;
	esac
	start_svcdns_src "$src" "$@"
}

# start_svcdns_api UPSTREAM [svcdns options...]: svcdns following the API
# as deploy/'s ServiceAccount with --upstream UPSTREAM (start_svcdns_kube
# always passes none); waits until it answers DNS at all. Sets PORT, PID,
# LOG; stop_server checks that it exits 0 without sanitizer reports.
start_svcdns_api() {
	local up=$1 try i st
	shift
	for try in 1 2 3; do
		PORT=$(free_port)
		LOG=$(mktemp_dir)/svcdns.log
		"$SVCDNS" --kubeconfig "$SVCDNS_KUBECONFIG" --listen 127.0.0.1 --port "$PORT" \
			--upstream "$up" --http 127.0.0.1:0 --threads 2 --lameduck 0 "$@" >"$LOG" 2>&1 &
		PID=$!
		ra_started "$PID"
		LIB_SVCDNS_PIDS="${LIB_SVCDNS_PIDS:-} $PID"
		i=0
		while [ $i -lt $((100 * LIB_SLOW)) ]; do
			if ! child_alive "$PID"; then
				wait "$PID" 2>/dev/null
				st=$?
				if lib_port_taken "$try"; then continue 2; fi
				ra_die svcdns "$LOG" "svcdns $* exited at start (status $st)"
			fi
			q "${Z:-cluster.local}" SOA | grep -qv 'NO-REPLY' && return 0
			sleep 0.1
			i=$((i + 1))
		done
		ra_die svcdns "$LOG" "svcdns $* did not answer on 127.0.0.1:$PORT"
	done
}

# ---- DNS waits (besides watch_lib.sh's) -----------------------------------------
# wait_rcode RCODE NAME TYPE MAX_MS: polls until the reply's rcode is RCODE.
wait_rcode() {
	local want=$1 name=$2 type=$3 max=$(($4 * LIB_SLOW)) t0 got i=0
	t0=$(now_ms)
	while [ $i -lt $((3000 * LIB_SLOW)) ]; do
		got=$(q "$name" "$type" | sed -n 's/^rcode //p')
		WAITED_MS=$(($(now_ms) - t0))
		[ "$got" = "$want" ] && return 0
		[ "$WAITED_MS" -gt "$max" ] && break
		sleep 0.02
		i=$((i + 1))
	done
	echo "     $name $type after ${WAITED_MS} ms: rcode $got, want $want"
	return 1
}


# realapi_finish: the summary line ("NAME: N passed, N failed") and the
# exit status; on failure, the tails of the control plane's logs.
realapi_finish() {
	if [ "$FAILS" -gt 0 ]; then
		for f in "${LOG:-}" "${APISERVER_LOG:-}" "${KCM_LOG:-}" "${ETCD_LOG:-}"; do
			[ -n "$f" ] && [ -f "$f" ] || continue
			echo "---- last 30 lines of $f:"
			tail -30 "$f" | sed 's/^/  /'
		done
	fi
	echo "$LIB_NAME: $((CHECKS - FAILS)) passed, $FAILS failed"
	[ "$FAILS" -gt 0 ] && exit 1
	exit 0
}

# ---- many objects at once ----------------------------------------------------
# kapi_batch FILE: runs the requests FILE lists, one a line,
#   METHOD PATH BODY-FILE CONTENT-TYPE
# as the admin, up to 32 at a time over HTTP/2 (curl --parallel): creating
# 600 pods one curl at a time takes tens of seconds, this takes a few.
# Returns 0 when every answer was 2xx; else prints the first failures.
kapi_batch() {
	local list=$1 cfg codes bad
	cfg=$(mktemp "$RA_DIR/batch.XXXXXX")
	codes=$(mktemp "$RA_DIR/batch.XXXXXX")
	# One block per request: after `next` curl forgets the URL's options,
	# so each block repeats them. The token is in the file, not argv.
	awk -v url="$APISERVER_URL" -v ca="$RA_CA" -v tok="$RA_ADMIN_TOKEN" '
	NF == 4 {
		if (n++) print "next"
		printf "url = \"%s%s\"\nrequest = \"%s\"\ncacert = \"%s\"\n", url, $2, $1, ca
		printf "header = \"Authorization: Bearer %s\"\nheader = \"Content-Type: %s\"\n", tok, $4
		printf "data-binary = \"@%s\"\noutput = \"/dev/null\"\n", $3
		printf "max-time = 60\nwrite-out = \"%%{http_code} %%{url}\\n\"\n"
	}' "$list" >"$cfg"
	# stderr apart: in parallel mode curl may draw its progress meter
	# there even with -s, and only write-out's lines are counted.
	curl -s --no-progress-meter --parallel --parallel-max 32 -K "$cfg" >"$codes" 2>"$codes.err"
	bad=$(grep -vc '^2[0-9][0-9] ' "$codes")
	if [ "$(wc -l <"$codes")" -ne "$(grep -c . "$list")" ] || [ "$bad" -ne 0 ]; then
		echo "     kapi_batch: $bad of $(grep -c . "$list") requests failed:" >&2
		grep -v '^2[0-9][0-9] ' "$codes" | head -5 | sed 's/^/       /' >&2
		head -5 "$codes.err" | sed 's/^/       /' >&2
		rm -f "$cfg" "$codes" "$codes.err"
		return 1
	fi
	rm -f "$cfg" "$codes" "$codes.err"
	return 0
}

# make_ready_pods NS NAME-PREFIX LABELS-JSON IP...: one pod per IP
# (PREFIX-0, PREFIX-1, ...), bound to $RA_NODE, then made running and ready
# as make_pod_ready does: all the creations at once, then all the statuses
# at once (a status can only be set on a pod that exists).
make_ready_pods() {
	local ns=$1 prefix=$2 labels=$3 dir st
	shift 3
	dir=$(mktemp -d "$RA_DIR/pods.XXXXXX")
	"${RA_PY:-python3}" - "$dir" "$ns" "$prefix" "$labels" "$RA_NODE" \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$@" <<'PY' || { rm -rf "$dir"; return 1; }
import json, os, sys
d, ns, prefix, labels, node, now = sys.argv[1:7]
ips = sys.argv[7:]
base = "/api/v1/namespaces/%s/pods" % ns
with open(os.path.join(d, "create"), "w") as c, open(os.path.join(d, "status"), "w") as s:
    for i, ip in enumerate(ips):
        name = "%s-%d" % (prefix, i)
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "labels": json.loads(labels)},
               "spec": {"nodeName": node, "containers": [{
                   "name": "app", "image": "registry.k8s.io/pause:3.10",
                   "ports": [{"name": "http", "containerPort": 8080}]}]}}
        cond = lambda t: {"type": t, "status": "True", "lastTransitionTime": now}
        st = {"status": {"phase": "Running", "hostIP": "127.0.0.1",
                         "hostIPs": [{"ip": "127.0.0.1"}], "podIP": ip,
                         "podIPs": [{"ip": ip}], "startTime": now,
                         "conditions": [cond(t) for t in ("PodScheduled", "Initialized",
                                                          "ContainersReady", "Ready")],
                         "containerStatuses": [{"name": "app", "ready": True, "started": True,
                             "restartCount": 0, "image": "registry.k8s.io/pause:3.10",
                             "imageID": "", "state": {"running": {"startedAt": now}}}]}}
        for kind, obj in (("c", pod), ("s", st)):
            p = os.path.join(d, "%s%d.json" % (kind, i))
            with open(p, "w") as f:
                json.dump(obj, f)
        c.write("POST %s %s application/json\n" % (base, os.path.join(d, "c%d.json" % i)))
        s.write("PATCH %s/%s/status %s application/merge-patch+json\n" %
                (base, name, os.path.join(d, "s%d.json" % i)))
PY
	kapi_batch "$dir/create" && kapi_batch "$dir/status"
	st=$?
	rm -rf "$dir"
	return $st
}

# slice_count NS SERVICE: how many EndpointSlices the service has.
slice_count() {
	kget "/apis/discovery.k8s.io/v1/namespaces/$1/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D$2" |
		"${RA_PY:-python3}" -c 'import json, sys; print(len(json.load(sys.stdin).get("items", [])))'
}

# svcdns_log_mark: the number of lines in svcdns's $LOG now; log_since
# MARK REGEX then greps only what was logged after it (one scenario's
# lines, not an earlier one's).
svcdns_log_mark() {
	wc -l <"$LOG" | tr -d ' '
}
log_since() {
	tail -n +"$(($1 + 1))" "$LOG" | grep -E "$2"
}

# ---- a second kube-apiserver -------------------------------------------------
# start_apiserver2: another kube-apiserver on the same etcd (as a cluster's
# second control-plane node), on a port of its own. svcdns follows the
# first; through this one a test changes the cluster while the first is
# down. Sets API2_PID, API2_URL; kapi and friends still go to the first
# unless wrapped in via_api2.
start_apiserver2() {
	local pid=$APISERVER_PID port=$APISERVER_PORT url=$APISERVER_URL
	APISERVER_PORT=""
	start_apiserver
	API2_PID=$APISERVER_PID API2_URL=$APISERVER_URL
	APISERVER_PID=$pid APISERVER_PORT=$port APISERVER_URL=$url
}

# via_api2 COMMAND...: runs an API helper (kapi, kcreate, must...) against
# the second apiserver.
via_api2() {
	local url=$APISERVER_URL st
	APISERVER_URL=$API2_URL
	"$@"
	st=$?
	APISERVER_URL=$url
	return $st
}

# kapi_as TOKEN METHOD PATH: one request with another bearer token (not
# the admin's); prints the HTTP status only.
kapi_as() {
	curl -s --max-time 30 --cacert "$RA_CA" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $1" -X "$2" "$APISERVER_URL$3"
}
