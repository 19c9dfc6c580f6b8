#!/bin/bash
# test_deploy.sh - the manifests in deploy/ parse and say what the
# operations issue asks (kinds, names, RBAC exactly as svcdns reads, probes,
# security context, Service 10.96.0.10 on 53/UDP, 53/TCP and 9153, PDB),
# the Dockerfile is multi-stage on Debian slim, and the container args of
# the Deployment are flags svcdns accepts: svcdns runs with exactly those
# args (--listen/--port/--http swapped for loopback test ports, the fake API
# server standing in for the in-cluster config), becomes ready and answers.
. "$(dirname "$0")/watch_lib.sh"

DEPLOY="$TESTDIR/../deploy"
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "FAIL: python3 cannot import yaml (apt-get install python3-yaml)" >&2
	exit 1
fi

cat >"$WORK/check.py" <<'PYEOF'
import glob, os, re, sys, yaml
deploy = sys.argv[1]
docs = {}
errors = []
def need(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what)
    if not cond:
        errors.append(what)
files = sorted(glob.glob(os.path.join(deploy, '*.yaml')))
need(len(files) >= 6, 'deploy/ has the six manifests (%d files)' % len(files))
for f in files:
    try:
        for d in yaml.safe_load_all(open(f)):
            if d:
                docs.setdefault(d['kind'], []).append(d)
        need(True, '%s parses' % os.path.basename(f))
    except Exception as e:
        need(False, '%s parses: %s' % (os.path.basename(f), e))
for k in ('ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment', 'Service', 'PodDisruptionBudget'):
    need(len(docs.get(k, [])) == 1, 'exactly one %s' % k)
for k, l in docs.items():
    for d in l:
        need('apiVersion' in d and 'metadata' in d and 'name' in d['metadata'], '%s has apiVersion and metadata.name' % k)
sa = docs['ServiceAccount'][0]
cr = docs['ClusterRole'][0]
crb = docs['ClusterRoleBinding'][0]
dep = docs['Deployment'][0]
svc = docs['Service'][0]
pdb = docs['PodDisruptionBudget'][0]
# RBAC: list/watch of exactly services, endpoints (fallback), endpointslices
granted = set()
for r in cr['rules']:
    need(sorted(r['verbs']) == ['list', 'watch'], 'ClusterRole verbs are list and watch only (%s)' % r['resources'])
    for g in r['apiGroups']:
        for res in r['resources']:
            granted.add((g, res))
need(granted == {('', 'services'), ('', 'endpoints'), ('', 'namespaces'),
                 ('discovery.k8s.io', 'endpointslices')},
     'ClusterRole grants exactly services, endpoints, namespaces, endpointslices (%s)' % sorted(granted))
need(crb['roleRef']['name'] == cr['metadata']['name'] and crb['roleRef']['kind'] == 'ClusterRole', 'binding names the ClusterRole')
need(crb['subjects'][0]['name'] == sa['metadata']['name'] and crb['subjects'][0]['namespace'] == sa['metadata']['namespace'], 'binding names the ServiceAccount')
# Deployment
spec = dep['spec']
pod = spec['template']['spec']
labels = spec['template']['metadata']['labels']
need(dep['metadata']['namespace'] == 'kube-system', 'Deployment in kube-system')
need(spec['replicas'] == 2, 'Deployment has 2 replicas')
need(spec['selector']['matchLabels'].items() <= labels.items(), 'selector matches the pod labels')
need(pod['serviceAccountName'] == sa['metadata']['name'], 'pod uses the ServiceAccount')
need(pod['dnsPolicy'] == 'Default', 'dnsPolicy Default')
aa = pod['affinity']['podAntiAffinity']
terms = aa.get('preferredDuringSchedulingIgnoredDuringExecution', []) + aa.get('requiredDuringSchedulingIgnoredDuringExecution', [])
need(any((t.get('podAffinityTerm', t)['topologyKey'] == 'kubernetes.io/hostname') for t in terms), 'pod anti-affinity by host')
need(pod['securityContext'].get('runAsNonRoot') is True, 'runAsNonRoot')
c = pod['containers'][0]
sc = c['securityContext']
need(sc.get('readOnlyRootFilesystem') is True, 'read-only root filesystem')
need(sc['capabilities']['drop'] == ['ALL'] and sc['capabilities']['add'] == ['NET_BIND_SERVICE'], 'capabilities: drop ALL, add NET_BIND_SERVICE')
need(c['livenessProbe']['httpGet']['path'] == '/health', 'liveness probe /health')
need(c['readinessProbe']['httpGet']['path'] == '/ready', 'readiness probe /ready')
need(all(k in c['resources']['requests'] for k in ('cpu', 'memory')) and 'memory' in c['resources']['limits'], 'resource requests and memory limit')
args = [str(a) for a in c['args']]
def opt(name):
    return [args[i + 1] for i, a in enumerate(args) if a == name and i + 1 < len(args)]
http = opt('--http')
need(len(http) == 1 and http[0].endswith(':9153'), '--http on port 9153 (%s)' % http)
need(all(p['httpGet']['port'] == 9153 for p in (c['livenessProbe'], c['readinessProbe'])), 'probes on the --http port')
need(int(opt('--lameduck')[0]) < pod['terminationGracePeriodSeconds'] if opt('--lameduck') else True, 'lame duck shorter than the grace period')
cports = {(p['containerPort'], p['protocol']) for p in c['ports']}
need({(53, 'UDP'), (53, 'TCP'), (9153, 'TCP')} <= cports, 'container ports 53/UDP, 53/TCP, 9153/TCP')
# Service
need(svc['metadata']['name'] == 'kube-dns' and svc['metadata']['namespace'] == 'kube-system', 'Service kube-system/kube-dns')
need(svc['spec']['clusterIP'] == '10.96.0.10', 'clusterIP 10.96.0.10')
sports = {(p['port'], p['protocol']) for p in svc['spec']['ports']}
need(sports == {(53, 'UDP'), (53, 'TCP'), (9153, 'TCP')}, 'Service ports 53/UDP, 53/TCP, 9153/TCP')
need(svc['spec']['selector'].items() <= labels.items(), 'Service selects the pods')
need(pdb['spec']['selector']['matchLabels'].items() <= labels.items(), 'PDB selects the pods')
need('maxUnavailable' in pdb['spec'] or 'minAvailable' in pdb['spec'], 'PDB bounds disruptions')
# Dockerfile
df = open(os.path.join(deploy, '..', 'Dockerfile')).read()
froms = re.findall(r'^FROM\s+(\S+)', df, re.M)
need(len(froms) == 2 and all(f.startswith('debian:bookworm-slim') for f in froms), 'Dockerfile: two stages on debian:bookworm-slim')
last = df[df.rindex('\nFROM'):]
need('-dev' not in last and 'build-essential' not in last, 'Dockerfile: no build dependencies in the runtime stage')
with open(sys.argv[2], 'w') as out:
    out.write('\0'.join(args))
sys.exit(1 if errors else 0)
PYEOF
if python3 "$WORK/check.py" "$DEPLOY" "$WORK/args" >"$WORK/check.out" 2>&1; then
	pass "manifests: $(grep -c '^ok' "$WORK/check.out") checks"
else
	fail "manifests"
fi
grep -v '^ok' "$WORK/check.out" | sed 's/^/     /'

# The Deployment's args, with the listen address, DNS port and HTTP address
# replaced by loopback test ones (every other flag kept exactly).
args=()
skip=0
while IFS= read -r -d '' a; do
	if [ $skip -eq 1 ]; then skip=0; continue; fi
	case "$a" in
	--listen | --port | --http) skip=1; continue ;;
	esac
	args+=("$a")
done < <(cat "$WORK/args"; printf '\0')
echo "# deployment args kept: ${args[*]}"
check_true "the Deployment passes flags (${#args[@]} args kept)" test ${#args[@]} -gt 0

start_fakeapi
ctl "service?name=web&ip=10.96.0.10&port=80" >/dev/null
PORT=$(free_port)
LOG=$(mktemp_dir)/svcdns.log
"$SVCDNS" "${args[@]}" --apiserver "http://127.0.0.1:$API_PORT" --listen 127.0.0.1 \
	--port "$PORT" --http 127.0.0.1:0 --upstream none >"$LOG" 2>&1 &
PID=$!
LIB_PIDS="$LIB_PIDS $PID"
hport() { sed -n 's/.*http on .*(port \([0-9]*\)).*/\1/p' "$LOG" | tail -1; }
ready() { [ -n "$(hport)" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$(hport)/ready")" = 200 ]; }
if wait_for 10 ready; then
	pass "svcdns with the Deployment's flags becomes ready"
else
	fail "svcdns with the Deployment's flags becomes ready; log:"
	sed 's/^/     /' "$LOG"
fi
check_eq "and answers from the API" 10.96.0.10 "$(short web.default.svc.cluster.local A)"
check_eq "with the Deployment's --ttl" 30 "$(d +norec +noall +answer web.default.svc.cluster.local A | awk '{ print $2 }')"
alive
# the lame duck of the Deployment's flags ends within its length + 2 s
lame=$(awk 'BEGIN { RS = "\0" } prev == "--lameduck" { print; exit } { prev = $0 }' "$WORK/args")
kill -TERM "$PID"
i=0
while child_alive "$PID" && [ $i -lt $(((${lame:-5} + 2) * 10)) ]; do sleep 0.1; i=$((i + 1)); done
if child_alive "$PID"; then
	fail "exits within --lameduck ${lame:-5} + 2 s of SIGTERM"
else
	wait "$PID"
	check_eq "exit 0 after the lame duck (${lame:-5} s)" 0 "$?"
	LIB_PIDS=$(echo " $LIB_PIDS " | sed "s/ $PID / /")
fi
finish
