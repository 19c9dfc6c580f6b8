#!/bin/sh
# test_labels.sh - --labels and --namespace-labels (CoreDNS's kubernetes
# options labels and namespace_labels), from --dir and from the fake API.
#
# --labels SELECTOR: only Services whose labels match are exposed, and only
# the EndpointSlices (and v1 Endpoints) that match: the endpointslice
# controller copies a Service's labels onto its slices, so CoreDNS, which
# lists slices with the same selector, never sees a slice without them (a
# headless Service whose slice lacks them has no endpoints: NXDOMAIN).
# --namespace-labels SELECTOR: only namespaces whose Namespace object
# matches; every name of another (service, namespace, endpoint, SRV, PTR,
# pod name) answers as if it did not exist. Both follow label changes
# (a file rewritten, a watch event) both ways. A bad selector: exit 2.
#
# The fake API ignores labelSelector (it lists everything), so the part
# against it proves svcdns's own check, and its request log shows the
# selector sent on the list and watch URLs.
. "$(dirname "$0")/watch_lib.sh"

Z=cluster.local
S=svc.$Z
GEN=$WORK/gen.py

# ---- the objects -----------------------------------------------------------------------
# gen.py objects [web=LABEL-VALUE]: the Services, slices and Endpoints of
# namespaces lab, dev and orphan (no Namespace object) as one kubectl List;
# web's app label (on the Service and its slice) is LABEL-VALUE (default web).
# gen.py namespaces LAB-ENV DEV-ENV: Namespaces lab and dev with label env=
# (empty: no env label).
# gen.py api KIND NAME-ARGS...: one object as JSON (for the fake API).
cat >"$GEN" <<'PYEOF'
import json, sys

def svc(ns, name, labels, ip=None, ext=None):
    md = {"name": name, "namespace": ns, "uid": "uid-%s-%s" % (ns, name)}
    if labels is not None:
        md["labels"] = labels
    if ext:
        spec = {"type": "ExternalName", "externalName": ext}
    else:
        spec = {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                           "targetPort": 8080}]}
    return {"apiVersion": "v1", "kind": "Service", "metadata": md, "spec": spec}

def slc(ns, service, labels, ips):
    lab = dict(labels or {})
    lab["kubernetes.io/service-name"] = service
    lab["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io"
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "addressType": "IPv4",
            "metadata": {"name": service + "-x1y2z", "namespace": ns, "labels": lab},
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}
                          for ip in ips],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}

def eps(ns, name, labels, ips):
    md = {"name": name, "namespace": ns}
    if labels is not None:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": md,
            "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}

def nsobj(name, env):
    lab = {"kubernetes.io/metadata.name": name}
    if env:
        lab["env"] = env
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": lab}, "status": {"phase": "Active"}}

def objects(web):
    w = {"app": web, "tier": "front"}
    return [
        # lab: one of each kind
        svc("lab", "web", w, "10.96.50.1"),
        slc("lab", "web", w, ["10.244.50.1"]),
        svc("lab", "api", {"app": "api", "canary": "true"}, "10.96.50.2"),
        slc("lab", "api", {"app": "api", "canary": "true"}, ["10.244.50.2"]),
        svc("lab", "hl", {"app": "hl"}, "None"),
        slc("lab", "hl", {"app": "hl"}, ["10.244.50.3", "10.244.50.4"]),
        # headless; its slice has only the controller's own labels
        svc("lab", "bare", {"app": "bare"}, "None"),
        slc("lab", "bare", None, ["10.244.50.5"]),
        svc("lab", "ext", {"app": "ext"}, ext="www.example.org"),
        # in-zone ExternalNames: to api.lab (app=api), to dweb.dev
        svc("lab", "tohidden", {"app": "web"}, ext="api.lab.svc.cluster.local"),
        svc("lab", "todev", {"app": "web"}, ext="dweb.dev.svc.cluster.local"),
        svc("lab", "plain", None, "10.96.50.6"),
        svc("lab", "big", {"app": "big", "replicas": "5"}, "10.96.50.7"),
        # headless with v1 Endpoints (no slice): with and without the labels
        svc("lab", "legacy", {"app": "legacy"}, "None"),
        eps("lab", "legacy", {"app": "legacy"}, ["10.244.50.8"]),
        svc("lab", "legacy2", {"app": "legacy"}, "None"),
        eps("lab", "legacy2", None, ["10.244.50.9"]),
        # dev: a ClusterIP and a headless Service
        svc("dev", "dweb", {"app": "web"}, "10.96.51.1"),
        slc("dev", "dweb", {"app": "web"}, ["10.244.51.1"]),
        svc("dev", "dhl", {"app": "hl"}, "None"),
        slc("dev", "dhl", {"app": "hl"}, ["10.244.51.2"]),
        # orphan: objects, but no Namespace object
        svc("orphan", "ow", {"app": "web"}, "10.96.52.1"),
    ]

def listof(items):
    return {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""},
            "items": items}

cmd = sys.argv[1]
if cmd == "objects":
    web = "web"
    for a in sys.argv[2:]:
        if a.startswith("web="):
            web = a[4:]
    out = listof(objects(web))
elif cmd == "namespaces":
    out = listof([nsobj("lab", sys.argv[2]), nsobj("dev", sys.argv[3])])
elif cmd == "api":
    kind = sys.argv[2]
    if kind == "svc":
        ns, name, lab, ip = sys.argv[3:7]
        out = svc(ns, name, json.loads(lab), ip)
    elif kind == "slice":
        ns, service, lab, ips = sys.argv[3:7]
        out = slc(ns, service, json.loads(lab), ips.split(","))
    elif kind == "ns":
        out = nsobj(sys.argv[3], sys.argv[4])
    elif kind == "eps":
        ns, name, lab, ips = sys.argv[3:7]
        out = eps(ns, name, json.loads(lab), ips.split(","))
else:
    sys.exit("gen.py: unknown command " + cmd)
json.dump(out, sys.stdout, indent=1)
print()
PYEOF

DIR=$(copy_demo)
python3 "$GEN" objects >"$DIR/lab.json" || { echo "FAIL: gen.py objects" >&2; exit 1; }
python3 "$GEN" namespaces prod dev >"$DIR/lab-namespaces.json" || { echo "FAIL: gen.py namespaces" >&2; exit 1; }

# put FILE COMMAND...: COMMAND's output replaces DIR/FILE at once (mv).
put() {
	local f=$1
	shift
	"$@" >"$WORK/put.tmp" && mv "$WORK/put.tmp" "$DIR/$f" ||
		{ echo "FAIL: cannot write $DIR/$f" >&2; exit 1; }
}

# ---- assertions --------------------------------------------------------------------------
# has DESC NAME TYPE WANT: the answer's rdata, sorted, one a line, is WANT
# (and the rcode is NOERROR).
has() {
	local got rc
	got=$(short "$2" "$3")
	rc=$(q "$2" "$3" | sed -n 's/^rcode //p')
	check_eq "$1" "NOERROR $4" "$rc $got"
}
nx() {
	expect_rcode "$1" NXDOMAIN "$2" "$3"
}
# nodata DESC NAME TYPE: NOERROR, no answer.
nodata() {
	local got
	got=$(q "$2" "$3" | grep -v '^authority\|^flags')
	check_eq "$1" "rcode NOERROR" "$got"
}
# ptr_gone DESC REVNAME: no PTR answer. What a reverse name without cluster
# data gets is not the point (with --upstream none: REFUSED, as for an
# address svcdns never knew); only the absence of the answer counts.
ptr_gone() {
	local got
	got=$(q "$2" PTR)
	case "$got" in
	*"rcode NOERROR"* | *"rcode NO-REPLY"*)
		fail "$1: still answers"
		echo "$got" | sed 's/^/     /' ;;
	*) pass "$1 ($(echo "$got" | head -1))" ;;
	esac
}
# answers NAME TYPE WANT / rcode_is RCODE NAME TYPE: conditions for wait_for.
answers() { [ "$(short "$1" "$2")" = "$3" ]; }
rcode_is() { [ "$(q "$2" "$3" | sed -n 's/^rcode //p')" = "$1" ]; }
# within DESC SECONDS COMMAND...: passes when COMMAND succeeds within SECONDS.
within() {
	local desc=$1 secs=$2
	shift 2
	if wait_for "$secs" "$@"; then pass "$desc"; else fail "$desc"; echo "     still not: $*"; fi
}

# Without a selector every object answers (the baseline the rest hides from).
start_server "$DIR" --pods insecure
has "no selector: web.lab" web.lab.$S A 10.96.50.1
has "no selector: bare.lab (its slice has no app label)" bare.lab.$S A 10.244.50.5
has "no selector: legacy2.lab (Endpoints without labels)" legacy2.lab.$S A 10.244.50.9
has "no selector: dweb.dev" dweb.dev.$S A 10.96.51.1
has "no selector: ow.orphan (no Namespace object)" ow.orphan.$S A 10.96.52.1
has "no selector: web.lab's PTR" 1.50.96.10.in-addr.arpa PTR "web.lab.$S."
stop_server "$PID"

# ---- --labels: each operator -----------------------------------------------------------------
start_server "$DIR" --labels 'app=web'
has "app=web: web.lab" web.lab.$S A 10.96.50.1
has "app=web: its endpoint name (the slice matches too)" 10-244-50-1.web.lab.$S A 10.244.50.1
has "app=web: its SRV" _http._tcp.web.lab.$S SRV "0 100 80 web.lab.$S."
has "app=web: its PTR" 1.50.96.10.in-addr.arpa PTR "web.lab.$S."
has "app=web: its endpoint's PTR" 1.50.244.10.in-addr.arpa PTR "10-244-50-1.web.lab.$S."
has "app=web: dweb.dev (another namespace)" dweb.dev.$S A 10.96.51.1
has "app=web: zones/demo's web.shop" web.shop.$S A 10.96.100.20
has "app=web: an ExternalName with app=web (storefront.shop)" storefront.shop.$S CNAME "web.shop.$S."
nx "app=web: api.lab" api.lab.$S A
# An in-zone ExternalName is followed only to what is exposed (CoreDNS
# looks its target up through the same filtered caches).
has "app=web: an ExternalName to api.lab: only the CNAME" tohidden.lab.$S A "api.lab.$S."
has "app=web: an ExternalName to dweb.dev: CNAME and its A" todev.lab.$S A "10.96.51.1
dweb.dev.$S."
nx "app=web: api.lab's SRV" _http._tcp.api.lab.$S SRV
ptr_gone "app=web: api.lab's PTR" 2.50.96.10.in-addr.arpa
ptr_gone "app=web: api.lab's endpoint's PTR" 2.50.244.10.in-addr.arpa
nx "app=web: plain.lab (no labels)" plain.lab.$S A
nx "app=web: ext.lab (ExternalName, app=ext)" ext.lab.$S CNAME
nx "app=web: hl.lab (headless)" hl.lab.$S A
nx "app=web: hl.lab's endpoint name" 10-244-50-3.hl.lab.$S A
ptr_gone "app=web: hl.lab's endpoint's PTR" 3.50.244.10.in-addr.arpa
nx "app=web: kubernetes.default" kubernetes.default.$S A
nodata "app=web: the namespace lab still exists (NODATA)" lab.$S A
alive
stop_server "$PID"

start_server "$DIR" --labels 'app!=web'
nx "app!=web: web.lab" web.lab.$S A
nx "app!=web: web.lab's SRV" _http._tcp.web.lab.$S SRV
ptr_gone "app!=web: web.lab's PTR" 1.50.96.10.in-addr.arpa
ptr_gone "app!=web: web.lab's endpoint's PTR" 1.50.244.10.in-addr.arpa
nx "app!=web: dweb.dev" dweb.dev.$S A
has "app!=web: api.lab" api.lab.$S A 10.96.50.2
has "app!=web: plain.lab (no app label at all)" plain.lab.$S A 10.96.50.6
has "app!=web: ext.lab (ExternalName)" ext.lab.$S CNAME "www.example.org."
has "app!=web: hl.lab (headless, slice matches)" hl.lab.$S A "10.244.50.3
10.244.50.4"
# bare's slice has no app label: app!=web matches it, so bare answers
has "app!=web: bare.lab (its slice has no app label: matches !=)" bare.lab.$S A 10.244.50.5
has "app!=web: kubernetes.default" kubernetes.default.$S A 10.96.0.1
stop_server "$PID"

start_server "$DIR" --labels 'app in (api, hl)'
has "app in (api, hl): api.lab" api.lab.$S A 10.96.50.2
has "app in (api, hl): hl.lab" hl.lab.$S A "10.244.50.3
10.244.50.4"
has "app in (api, hl): hl.lab's endpoint name" 10-244-50-4.hl.lab.$S A 10.244.50.4
has "app in (api, hl): hl.lab's SRV" _http._tcp.hl.lab.$S SRV "0 50 8080 10-244-50-3.hl.lab.$S.
0 50 8080 10-244-50-4.hl.lab.$S."
has "app in (api, hl): hl.lab's endpoint's PTR" 4.50.244.10.in-addr.arpa PTR "10-244-50-4.hl.lab.$S."
has "app in (api, hl): dhl.dev" dhl.dev.$S A 10.244.51.2
nx "app in (api, hl): web.lab" web.lab.$S A
nx "app in (api, hl): plain.lab" plain.lab.$S A
stop_server "$PID"

start_server "$DIR" --labels 'app notin (web,api)'
nx "app notin (web,api): web.lab" web.lab.$S A
nx "app notin (web,api): api.lab" api.lab.$S A
has "app notin (web,api): hl.lab" hl.lab.$S A "10.244.50.3
10.244.50.4"
has "app notin (web,api): plain.lab (no app label)" plain.lab.$S A 10.96.50.6
has "app notin (web,api): ext.lab" ext.lab.$S CNAME "www.example.org."
stop_server "$PID"

start_server "$DIR" --labels 'canary'
has "canary (exists): api.lab" api.lab.$S A 10.96.50.2
has "canary (exists): api.lab's endpoint" 10-244-50-2.api.lab.$S A 10.244.50.2
nx "canary (exists): web.lab" web.lab.$S A
nx "canary (exists): plain.lab" plain.lab.$S A
stop_server "$PID"

start_server "$DIR" --labels '!canary'
nx "!canary: api.lab" api.lab.$S A
ptr_gone "!canary: api.lab's PTR" 2.50.96.10.in-addr.arpa
has "!canary: web.lab" web.lab.$S A 10.96.50.1
has "!canary: plain.lab" plain.lab.$S A 10.96.50.6
has "!canary: bare.lab (slice without labels matches !canary)" bare.lab.$S A 10.244.50.5
stop_server "$PID"

# Comma is AND.
start_server "$DIR" --labels 'app in (web,api),!canary'
has "app in (web,api),!canary: web.lab" web.lab.$S A 10.96.50.1
nx "app in (web,api),!canary: api.lab (canary)" api.lab.$S A
nx "app in (web,api),!canary: hl.lab" hl.lab.$S A
stop_server "$PID"

start_server "$DIR" --labels 'tier=front,app=web'
has "tier=front,app=web: web.lab" web.lab.$S A 10.96.50.1
nx "tier=front,app=web: dweb.dev (no tier)" dweb.dev.$S A
stop_server "$PID"

# > and < (the label selector syntax; CoreDNS's labels refuses them).
start_server "$DIR" --labels 'replicas>2'
has "replicas>2: big.lab (replicas=5)" big.lab.$S A 10.96.50.7
nx "replicas>2: web.lab (no replicas label)" web.lab.$S A
stop_server "$PID"
start_server "$DIR" --labels 'replicas<5'
nx "replicas<5: big.lab (replicas=5)" big.lab.$S A
stop_server "$PID"

# ---- --labels: a headless Service whose slice or Endpoints lack the labels -------------
# CoreDNS lists slices with the selector: bare's slice is invisible to it,
# so bare has no endpoints: NXDOMAIN, as a headless Service without ready
# endpoints (spec 2.4.1). The same for v1 Endpoints.
start_server "$DIR" --labels 'app in (bare,legacy)'
nx "app in (bare,legacy): bare.lab, slice without the labels: NXDOMAIN" bare.lab.$S A
nx "app in (bare,legacy): bare.lab's endpoint name" 10-244-50-5.bare.lab.$S A
nx "app in (bare,legacy): bare.lab's SRV" _http._tcp.bare.lab.$S SRV
ptr_gone "app in (bare,legacy): bare.lab's endpoint's PTR" 5.50.244.10.in-addr.arpa
has "app in (bare,legacy): legacy.lab (Endpoints with the labels)" legacy.lab.$S A 10.244.50.8
has "app in (bare,legacy): legacy.lab's endpoint name" 10-244-50-8.legacy.lab.$S A 10.244.50.8
nx "app in (bare,legacy): legacy2.lab (Endpoints without the labels)" legacy2.lab.$S A
ptr_gone "app in (bare,legacy): legacy2.lab's endpoint's PTR" 9.50.244.10.in-addr.arpa
nodata "app in (bare,legacy): the namespace lab exists" lab.$S A
alive

# ---- --labels: a file rewritten changes a Service's labels ----------------------------------
stop_server "$PID"
start_server "$DIR" --labels 'app=web'
has "app=web before the rewrite: web.lab" web.lab.$S A 10.96.50.1
put lab.json python3 "$GEN" objects web=web2
within "web's labels changed (app=web2): web.lab NXDOMAIN" 10 rcode_is NXDOMAIN web.lab.$S A
nx "app=web2: web.lab's endpoint name" 10-244-50-1.web.lab.$S A
nx "app=web2: web.lab's SRV" _http._tcp.web.lab.$S SRV
ptr_gone "app=web2: web.lab's PTR" 1.50.96.10.in-addr.arpa
ptr_gone "app=web2: web.lab's endpoint's PTR" 1.50.244.10.in-addr.arpa
has "app=web2: dweb.dev unchanged" dweb.dev.$S A 10.96.51.1
put lab.json python3 "$GEN" objects
within "web's labels back to app=web: web.lab answers" 10 answers web.lab.$S A 10.96.50.1
has "app=web again: its endpoint name" 10-244-50-1.web.lab.$S A 10.244.50.1
has "app=web again: its PTR" 1.50.96.10.in-addr.arpa PTR "web.lab.$S."
has "app=web again: its SRV" _http._tcp.web.lab.$S SRV "0 100 80 web.lab.$S."
alive
stop_server "$PID"

# A Service that starts matching: a server with app=web2 sees web appear.
start_server "$DIR" --labels 'app=web2'
nx "app=web2 at start: web.lab" web.lab.$S A
put lab.json python3 "$GEN" objects web=web2
within "web relabelled app=web2: web.lab appears" 10 answers web.lab.$S A 10.96.50.1
has "web relabelled: its endpoint (the slice relabelled too)" 10-244-50-1.web.lab.$S A 10.244.50.1
put lab.json python3 "$GEN" objects
stop_server "$PID"

# ---- --namespace-labels ---------------------------------------------------------------------------
# lab has env=prod, dev env=dev; zones/demo's namespaces have no env label;
# orphan has objects but no Namespace object (hidden, as in CoreDNS, which
# asks the Namespace lister).
start_server "$DIR" --namespace-labels 'env=prod' --pods insecure
has "env=prod: web.lab" web.lab.$S A 10.96.50.1
has "env=prod: hl.lab" hl.lab.$S A "10.244.50.3
10.244.50.4"
has "env=prod: web.lab's PTR" 1.50.96.10.in-addr.arpa PTR "web.lab.$S."
nodata "env=prod: lab.svc (NODATA)" lab.$S A
has "env=prod: a pod name in lab" 10-244-50-1.lab.pod.$Z A 10.244.50.1
nodata "env=prod: lab.pod (NODATA)" lab.pod.$Z A
nx "env=prod: dweb.dev" dweb.dev.$S A
has "env=prod: an ExternalName in lab to dweb.dev: only the CNAME" todev.lab.$S A "dweb.dev.$S."
nx "env=prod: dweb.dev AAAA" dweb.dev.$S AAAA
nx "env=prod: dev.svc" dev.$S A
nx "env=prod: dweb.dev's endpoint name" 10-244-51-1.dweb.dev.$S A
nx "env=prod: dweb.dev's SRV" _http._tcp.dweb.dev.$S SRV
nx "env=prod: dhl.dev (headless)" dhl.dev.$S A
nx "env=prod: dhl.dev's endpoint name" 10-244-51-2.dhl.dev.$S A
ptr_gone "env=prod: dweb.dev's PTR" 1.51.96.10.in-addr.arpa
ptr_gone "env=prod: dweb.dev's endpoint's PTR" 1.51.244.10.in-addr.arpa
ptr_gone "env=prod: dhl.dev's endpoint's PTR" 2.51.244.10.in-addr.arpa
nx "env=prod: a pod name in dev (--pods insecure)" 10-244-51-1.dev.pod.$Z A
nx "env=prod: dev.pod" dev.pod.$Z A
nx "env=prod: ow.orphan (no Namespace object)" ow.orphan.$S A
nx "env=prod: a pod name in orphan" 1-2-3-4.orphan.pod.$Z A
nx "env=prod: zones/demo's web.shop" web.shop.$S A
nx "env=prod: kubernetes.default" kubernetes.default.$S A
ptr_gone "env=prod: kubernetes.default's PTR" 1.0.96.10.in-addr.arpa
nx "env=prod: a namespace that does not exist" nosuch.$S A
alive

# ---- --namespace-labels: the Namespaces' file rewritten ----------------------------------------
put lab-namespaces.json python3 "$GEN" namespaces prod prod
within "dev relabelled env=prod: dweb.dev appears" 10 answers dweb.dev.$S A 10.96.51.1
nodata "dev exposed: dev.svc (NODATA)" dev.$S A
has "dev exposed: dweb.dev's endpoint name" 10-244-51-1.dweb.dev.$S A 10.244.51.1
has "dev exposed: dweb.dev's SRV" _http._tcp.dweb.dev.$S SRV "0 100 80 dweb.dev.$S."
has "dev exposed: dhl.dev" dhl.dev.$S A 10.244.51.2
has "dev exposed: dweb.dev's PTR" 1.51.96.10.in-addr.arpa PTR "dweb.dev.$S."
has "dev exposed: dhl.dev's endpoint's PTR" 2.51.244.10.in-addr.arpa PTR "10-244-51-2.dhl.dev.$S."
has "dev exposed: a pod name in dev" 10-244-51-1.dev.pod.$Z A 10.244.51.1
has "dev exposed: web.lab still there" web.lab.$S A 10.96.50.1
has "dev exposed: the ExternalName to dweb.dev follows it" todev.lab.$S A "10.96.51.1
dweb.dev.$S."

put lab-namespaces.json python3 "$GEN" namespaces "" prod
within "lab's env label removed: web.lab NXDOMAIN" 10 rcode_is NXDOMAIN web.lab.$S A
nx "lab hidden: lab.svc" lab.$S A
nx "lab hidden: hl.lab" hl.lab.$S A
nx "lab hidden: web.lab's endpoint name" 10-244-50-1.web.lab.$S A
nx "lab hidden: web.lab's SRV" _http._tcp.web.lab.$S SRV
ptr_gone "lab hidden: web.lab's PTR" 1.50.96.10.in-addr.arpa
ptr_gone "lab hidden: hl.lab's endpoint's PTR" 3.50.244.10.in-addr.arpa
nx "lab hidden: a pod name in lab" 10-244-50-1.lab.pod.$Z A
has "lab hidden: dweb.dev still there" dweb.dev.$S A 10.96.51.1

# The Namespace object deleted (its file gone): every namespace of it hidden.
rm -f "$DIR/lab-namespaces.json"
within "Namespaces' file removed: dweb.dev NXDOMAIN" 10 rcode_is NXDOMAIN dweb.dev.$S A
nx "Namespaces' file removed: dev.svc" dev.$S A
put lab-namespaces.json python3 "$GEN" namespaces prod dev
within "Namespaces back (lab env=prod): web.lab answers again" 10 answers web.lab.$S A 10.96.50.1
has "Namespaces back: its PTR" 1.50.96.10.in-addr.arpa PTR "web.lab.$S."
nx "Namespaces back: dweb.dev (env=dev)" dweb.dev.$S A
alive
stop_server "$PID"

start_server "$DIR" --namespace-labels 'kubernetes.io/metadata.name in (shop,dev)'
has "metadata.name in (shop,dev): web.shop" web.shop.$S A 10.96.100.20
has "metadata.name in (shop,dev): dweb.dev" dweb.dev.$S A 10.96.51.1
nx "metadata.name in (shop,dev): web.lab" web.lab.$S A
nx "metadata.name in (shop,dev): db.data" db.data.$S A
stop_server "$PID"

start_server "$DIR" --namespace-labels '!env'
has "!env: zones/demo's web.shop (no env label)" web.shop.$S A 10.96.100.20
has "!env: kubernetes.default" kubernetes.default.$S A 10.96.0.1
nx "!env: web.lab (env=prod)" web.lab.$S A
nx "!env: ow.orphan (no Namespace object)" ow.orphan.$S A
stop_server "$PID"

# ---- both -------------------------------------------------------------------------------------
start_server "$DIR" --labels 'app=web' --namespace-labels 'env in (prod)' --pods insecure
has "both: web.lab (app=web in env=prod)" web.lab.$S A 10.96.50.1
nx "both: api.lab (app=api)" api.lab.$S A
nx "both: dweb.dev (app=web, namespace env=dev)" dweb.dev.$S A
nx "both: web.shop (app=web, namespace without env)" web.shop.$S A
ptr_gone "both: dweb.dev's PTR" 1.51.96.10.in-addr.arpa
ptr_gone "both: api.lab's PTR" 2.50.96.10.in-addr.arpa
put lab-namespaces.json python3 "$GEN" namespaces prod prod
within "both: dev relabelled env=prod: dweb.dev appears" 10 answers dweb.dev.$S A 10.96.51.1
nx "both: dhl.dev still hidden by --labels (app=hl)" dhl.dev.$S A
put lab.json python3 "$GEN" objects web=other
within "both: web relabelled app=other: web.lab NXDOMAIN" 10 rcode_is NXDOMAIN web.lab.$S A
has "both: dweb.dev unchanged" dweb.dev.$S A 10.96.51.1
put lab.json python3 "$GEN" objects
put lab-namespaces.json python3 "$GEN" namespaces prod dev
within "both: back: web.lab" 10 answers web.lab.$S A 10.96.50.1
within "both: back: dweb.dev hidden" 10 rcode_is NXDOMAIN dweb.dev.$S A
alive
stop_server "$PID"

# ---- --dump-zone: the zone as exposed --------------------------------------------------------
timeout $((20 * LIB_SLOW)) "$SVCDNS" --dir "$DIR" --dump-zone --labels 'app=web' \
	--namespace-labels 'env=prod' >"$WORK/zone" 2>"$WORK/zone.err"
check_eq "--dump-zone with both selectors: exit 0" 0 "$?"
names=$(awk '$1 ~ /\.svc\.cluster\.local\.$/ { print $1 }' "$WORK/zone" | LC_ALL=C sort -u | tr '\n' ' ')
check_eq "--dump-zone with both selectors: only lab's app=web names" \
	"10-244-50-1.web.lab.$S. _http._tcp.web.lab.$S. todev.lab.$S. tohidden.lab.$S. web.lab.$S. " \
	"$names"

# ---- --labels with --pods verified: pods are selected too ---------------------------------
# CoreDNS lists pods with the same selector, so a pod name answers only for
# a pod whose labels match.
cat >"$DIR/zz-pods.json" <<'JSON'
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pw", "namespace": "lab", "labels": {"app": "web"}},
  "status": {"phase": "Running", "podIP": "10.244.59.1", "podIPs": [{"ip": "10.244.59.1"}]}},
 {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pz", "namespace": "lab", "labels": {"app": "zzz"}},
  "status": {"phase": "Running", "podIP": "10.244.59.2", "podIPs": [{"ip": "10.244.59.2"}]}}]}
JSON
start_server "$DIR" --labels 'app=web' --pods verified
has "--labels app=web, --pods verified: a matching pod's name" 10-244-59-1.lab.pod.$Z A 10.244.59.1
nx "--labels app=web, --pods verified: a pod labelled app=zzz is not kept" 10-244-59-2.lab.pod.$Z A
stop_server "$PID"
start_server "$DIR" --pods verified
has "--pods verified, no selector: both pods (the baseline)" 10-244-59-2.lab.pod.$Z A 10.244.59.2
stop_server "$PID"
rm -f "$DIR/zz-pods.json"

# ---- bad selectors: a usage error at start -----------------------------------------------------
# bad_selector OPTION SELECTOR: exit 2 within 5 s, a one-line message
# naming the selector, nothing served.
bad_selector() {
	local opt=$1 sel=$2 out st p
	p=$(free_port)
	out=$(timeout $((5 * LIB_SLOW)) "$SVCDNS" --dir "$DIR" --listen 127.0.0.1 --port "$p" \
		--upstream none --http 127.0.0.1:0 "$opt" "$sel" 2>&1)
	st=$?
	check_eq "$opt '$sel': exit status 2" 2 "$st"
	case "$out" in
	"svcdns: label selector \"$sel\": "?*)
		if [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; then
			pass "$opt '$sel': one line naming the selector ($out)"
		else
			fail "$opt '$sel': one line naming the selector"
			printf '%s\n' "$out" | sed 's/^/     /'
		fi ;;
	*)
		fail "$opt '$sel': message 'svcdns: label selector \"$sel\": ...'"
		printf '%s\n' "$out" | sed 's/^/     /' ;;
	esac
}
for sel in 'app in (' 'app in ()' 'app notin' '=web' 'app=web=x' 'app in (a b)' \
	'app,' ',app' '!' 'app=-x' 'a/b/c=x' 'replicas>x' 'replicas>' 'app==' 'app=web)'; do
	case "$sel" in
	'app==') continue ;; # valid: app == "" (k8s's parser too)
	esac
	bad_selector --labels "$sel"
done
bad_selector --namespace-labels 'env in ('
bad_selector --namespace-labels 'env=prod,,x'

# ---- the fake API -----------------------------------------------------------------------------
# It lists and watches every object whatever labelSelector says: what svcdns
# hides here it hides by its own check. --verbose logs each request line,
# so the selector on the URLs can be read back.
start_fakeapi --verbose
# ctl_put RESOURCE gen.py-api-ARGS...: one object, from gen.py, to the fake API.
ctl_put() {
	local res=$1
	shift
	python3 "$GEN" api "$@" | curl -s --max-time 10 --data-binary @- \
		"http://127.0.0.1:$CTL_PORT/ctl/put?resource=$res" >/dev/null ||
		{ echo "FAIL: ctl put $res $*" >&2; exit 1; }
}
ctl_put namespaces ns lab prod
ctl_put namespaces ns dev dev
ctl_put services svc lab web '{"app":"web"}' 10.96.60.1
ctl_put endpointslices slice lab web '{"app":"web"}' 10.244.60.1
ctl_put services svc lab api '{"app":"api"}' 10.96.60.2
ctl_put endpointslices slice lab api '{"app":"api"}' 10.244.60.2
ctl_put services svc lab hl '{"app":"web"}' None
ctl_put endpointslices slice lab hl '{}' 10.244.60.3
ctl_put services svc dev dweb '{"app":"web"}' 10.96.61.1
API="http://127.0.0.1:$API_PORT"

SEL_SVC='app in (web,x)'
SEL_NS='!old,env=prod'
start_svcdns_api "$API" --labels "$SEL_SVC" --namespace-labels "$SEL_NS" --pods insecure
check_within "fake API: web.lab (app=web, env=prod)" 3000 web.lab.$S A 10.96.60.1
has "fake API: web.lab's endpoint" 10-244-60-1.web.lab.$S A 10.244.60.1
nx "fake API serves api.lab (app=api): svcdns hides it" api.lab.$S A
ptr_gone "fake API: api.lab's PTR" 2.60.96.10.in-addr.arpa
nx "fake API serves hl's slice without labels: hl.lab has no endpoints" hl.lab.$S A
nx "fake API serves namespace dev (env=dev): dweb.dev hidden" dweb.dev.$S A
nx "fake API: dev.svc hidden" dev.$S A
nx "fake API: a pod name in dev hidden" 1-2-3-4.dev.pod.$Z A
has "fake API: a pod name in lab" 1-2-3-4.lab.pod.$Z A 1.2.3.4

# The selectors on the list and watch URLs: sel_seen PATH KIND prints the
# labelSelector values (URL-decoded, one a line, sorted, unique) of the
# requests for PATH that are lists (KIND=list: limit=) or plain watches
# (KIND=watch: watch=1 from a resourceVersion); "(none)" for a request
# without one.
sel_seen() {
	python3 - "$WORK/fakeapi.log" "$1" "$2" <<'PYEOF'
import re, sys, urllib.parse
log, path, kind = sys.argv[1:4]
seen = set()
for line in open(log):
    m = re.search(r'"GET ([^? ]*)\?(\S*) HTTP', line)
    if not m or m.group(1) != path:
        continue
    q = urllib.parse.parse_qs(m.group(2), keep_blank_values=True)
    if kind == "list" and "watch" in q:
        continue
    if kind == "watch" and ("watch" not in q or "sendInitialEvents" in q):
        continue
    seen.add(q.get("labelSelector", ["(none)"])[0])
print("\n".join(sorted(seen)))
PYEOF
}
for what in "/api/v1/services SVC services" \
	"/apis/discovery.k8s.io/v1/endpointslices SVC endpointslices" \
	"/api/v1/namespaces NS namespaces"; do
	set -- $what
	if [ "$2" = SVC ]; then sel=$SEL_SVC; else sel=$SEL_NS; fi
	check_eq "fake API: the $3 list carries labelSelector=$sel" "$sel" "$(sel_seen "$1" list)"
	check_eq "fake API: the $3 watch carries labelSelector=$sel" "$sel" "$(sel_seen "$1" watch)"
done

# Watch events: labels changed both ways (the fake API sends MODIFIED where
# the real one, filtering, would send DELETED or ADDED).
ctl_put services svc lab api '{"app":"web"}' 10.96.60.2
check_within "fake API: api relabelled app=web appears" 3000 api.lab.$S A 10.96.60.2
ctl_put services svc lab web '{"app":"gone"}' 10.96.60.1
check_within "fake API: web relabelled app=gone disappears" 3000 web.lab.$S A ""
nx "fake API: web relabelled: NXDOMAIN" web.lab.$S A
ptr_gone "fake API: web relabelled: its PTR" 1.60.96.10.in-addr.arpa
ctl_put endpointslices slice lab hl '{"app":"web"}' 10.244.60.3
check_within "fake API: hl's slice relabelled app=web: hl.lab has its endpoint" 3000 hl.lab.$S A 10.244.60.3
ctl_put endpointslices slice lab hl '{"app":"no"}' 10.244.60.3
check_within "fake API: hl's slice relabelled app=no: endpoint gone" 3000 hl.lab.$S A ""
nx "fake API: hl.lab NXDOMAIN again" hl.lab.$S A
ctl_put namespaces ns dev prod
check_within "fake API: namespace dev relabelled env=prod: dweb.dev appears" 3000 dweb.dev.$S A 10.96.61.1
has "fake API: dev exposed: a pod name in dev" 1-2-3-4.dev.pod.$Z A 1.2.3.4
ctl_put namespaces ns lab ""
check_within "fake API: namespace lab loses env: api.lab disappears" 3000 api.lab.$S A ""
nx "fake API: lab hidden: lab.svc" lab.$S A
ptr_gone "fake API: lab hidden: api.lab's PTR" 2.60.96.10.in-addr.arpa
ctl_put namespaces ns lab prod
check_within "fake API: lab env=prod again: api.lab back" 3000 api.lab.$S A 10.96.60.2
has "fake API: lab back: api.lab's PTR" 2.60.96.10.in-addr.arpa PTR "api.lab.$S."
curl -s --max-time 10 "http://127.0.0.1:$CTL_PORT/ctl/delete?resource=namespaces&ns=&name=dev" >/dev/null
check_within "fake API: namespace dev deleted: dweb.dev disappears" 3000 dweb.dev.$S A ""
nx "fake API: dev deleted: NXDOMAIN" dweb.dev.$S A
check_true "fake API: svcdns logged no error" sh -c '! grep -Eq "\[(error|warning)\]" "$1"' sh "$LOG"
alive
stop_server "$PID"
stop_server "$FAKE_PID"

# ---- the fake API without EndpointSlices: v1 Endpoints, filtered the same --------------------
start_fakeapi --verbose --no-endpointslices
API="http://127.0.0.1:$API_PORT"
ctl_put namespaces ns lab prod
ctl_put services svc lab hl '{"app":"web"}' None
ctl_put endpoints eps lab hl '{"app":"web"}' 10.244.62.1
ctl_put services svc lab hl2 '{"app":"web"}' None
ctl_put endpoints eps lab hl2 '{}' 10.244.62.2
start_svcdns_api "$API" --labels "$SEL_SVC"
check_within "v1 Endpoints: hl (its Endpoints match) answers" 3000 hl.lab.$S A 10.244.62.1
nx "v1 Endpoints: hl2 (its Endpoints without the labels): NXDOMAIN" hl2.lab.$S A
ptr_gone "v1 Endpoints: hl2's endpoint's PTR" 2.62.244.10.in-addr.arpa
check_eq "v1 Endpoints: the list carries labelSelector=$SEL_SVC" "$SEL_SVC" "$(sel_seen /api/v1/endpoints list)"
check_eq "v1 Endpoints: the watch carries labelSelector=$SEL_SVC" "$SEL_SVC" "$(sel_seen /api/v1/endpoints watch)"
ctl_put endpoints eps lab hl2 '{"app":"web"}' 10.244.62.2
check_within "v1 Endpoints: hl2's Endpoints relabelled app=web: answers" 3000 hl2.lab.$S A 10.244.62.2
ctl_put endpoints eps lab hl '{"app":"nope"}' 10.244.62.1
check_within "v1 Endpoints: hl's Endpoints relabelled app=nope: gone" 3000 hl.lab.$S A ""
nx "v1 Endpoints: hl NXDOMAIN" hl.lab.$S A
alive
stop_server "$PID"
finish
