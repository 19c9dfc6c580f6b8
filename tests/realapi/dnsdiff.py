#!/usr/bin/python3
"""dnsdiff.py - the generator and comparer of test_coredns_diff.sh.

    dnsdiff.py gen DIR SERVICES      the cluster: DIR/{ns,svc,pod,status}.list
                                     (kapi_batch request lists) and
                                     DIR/expect.json (endpoints per Service)
    dnsdiff.py wait-slices DIR URL TOKEN CA SECONDS
                                     until the real endpointslice controller
                                     has written every Service's endpoints
    dnsdiff.py queries DIR URL TOKEN CA MIN OUT
                                     the questions, from the cluster as the
                                     API serves it (not as gen meant it),
                                     at least MIN of them, one JSON a line
    dnsdiff.py compare QUERIES A B ALLOW
                                     asks A (CoreDNS, ADDR:PORT) and B
                                     (svcdns) every question, compares,
                                     prints one line per difference class
                                     and "N passed, N failed"
    dnsdiff.py churn URL TOKEN CA A B ALLOW SECONDS RATE QUESTIONS OUT
                                     RATE changes a second for SECONDS
                                     (ClusterIP Services created and
                                     deleted, headless ones scaled, an
                                     ExternalName retargeted) while both are
                                     asked QUESTIONS; after each change's
                                     API reply, polls A and B for the
                                     changed name until each answers it
                                     right (event -> answer, per server),
                                     then compares their answers; prints
                                     p50/p99 and "N passed, N failed";
                                     one line per change into OUT (TSV)
    dnsdiff.py ask-loop QUESTIONS A B SECONDS RATE
                                     asks A and B the questions, RATE a
                                     second each, for SECONDS; prints how
                                     many each left unanswered

Runs with Debian's python3 and python3-dnspython. Talks only to 127.0.0.1
(the API server, the two DNS servers). Every loop is bounded.
"""

import concurrent.futures
import fnmatch
import http.client
import ipaddress
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

ZONE = "cluster.local"
SVC = "svc." + ZONE
# More zones served from the cluster's data (DNSDIFF_ZONES, blank-separated;
# test_realapi_multicluster.sh: clusterset.local): a TTL difference there is
# the class "ttl", as in ZONE.
MORE_ZONES = [z.strip(".").lower() for z in os.environ.get("DNSDIFF_ZONES", "").split() if z.strip(".")]
OUTSIDE = "example.com"  # NSD's zone (test_coredns_diff.sh writes it)

# ---- the cluster ---------------------------------------------------------------

# Every shape a Service takes, cycled through the namespaces. pods: how
# many pods select it; notready: how many of those are not ready; host:
# the pods set hostname+subdomain; v6: the pods are dual stack.
SHAPES = [
    ("cip", {}),                      # ClusterIP, named ports TCP/UDP/SCTP
    ("cipu", {}),                     # ClusterIP, one unnamed port
    ("dual", {}),                     # ClusterIP, RequireDualStack
    ("v6", {}),                       # ClusterIP, IPv6 only
    ("hl", {"pods": 3, "notready": 1}),            # headless, no hostnames
    ("hlh", {"pods": 3, "notready": 1, "host": True}),  # headless, hostname+subdomain
    ("pna", {"pods": 3, "notready": 2}),           # headless, publishNotReadyAddresses
    ("hld", {"pods": 2, "notready": 0, "v6": True, "host": True}),  # headless dual stack
    ("hle", {"pods": 0}),             # headless with no endpoints
    ("nosel", {}),                    # ClusterIP without selector (no slices)
    ("exo", {}),                      # ExternalName outside the zone
    ("exi", {}),                      # ExternalName inside the zone
    ("np", {}),                       # NodePort, named ports
    ("cipnr", {"pods": 2, "notready": 2}),  # ClusterIP whose pods are all not ready
]
EXT_OUT = ["v4only.example.com", "dual.example.com", "alias.example.com",
           "missing.example.com", "big.example.com"]


def svc_ports(kind):
    if kind in ("cipu",):
        return [{"port": 8080, "protocol": "TCP"}]
    if kind in ("hl", "hlh", "pna", "hld", "hle"):
        return [{"name": "http", "port": 8080, "protocol": "TCP"},
                {"name": "dns", "port": 53, "protocol": "UDP"}]
    return [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
            {"name": "dns", "port": 53, "targetPort": 5353, "protocol": "UDP"},
            {"name": "sctp-p", "port": 9999, "protocol": "SCTP"}]


def gen(d, nsvc):
    """Writes the request lists of the cluster: about nsvc Services."""
    os.makedirs(os.path.join(d, "obj"), exist_ok=True)
    lists = {k: open(os.path.join(d, k + ".list"), "w") for k in ("ns", "svc", "pod", "status")}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    seq = [0]
    expect = {}  # "ns/svc" -> endpoint addresses the controller must write

    def put(kind, method, path, obj, ctype="application/json"):
        seq[0] += 1
        f = os.path.join(d, "obj", "%d.json" % seq[0])
        with open(f, "w") as o:
            json.dump(obj, o)
        lists[kind].write("%s %s %s %s\n" % (method, path, f, ctype))

    ip4 = [0]
    ip6 = [0]

    def next4():
        ip4[0] += 1
        return str(ipaddress.IPv4Address("10.244.0.0") + ip4[0])

    def next6():
        ip6[0] += 1
        return str(ipaddress.IPv6Address("fd00:10:244::") + ip6[0])

    def pod(ns, name, labels, ready, host=None, sub=None, v6=False):
        spec = {"nodeName": "node-1", "containers": [{
            "name": "app", "image": "registry.k8s.io/pause:3.10",
            "ports": [{"name": "http", "containerPort": 8080}]}]}
        if host:
            spec["hostname"] = host
            spec["subdomain"] = sub
        put("pod", "POST", "/api/v1/namespaces/%s/pods" % ns,
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
             "spec": spec})
        ips = [next4()] + ([next6()] if v6 else [])
        st = "True" if ready else "False"
        cond = lambda t, s="True": {"type": t, "status": s, "lastTransitionTime": now}
        put("status", "PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name),
            {"status": {"phase": "Running", "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
                        "podIP": ips[0], "podIPs": [{"ip": i} for i in ips], "startTime": now,
                        "conditions": [cond("PodScheduled"), cond("Initialized"),
                                       cond("ContainersReady", st), cond("Ready", st)],
                        "containerStatuses": [{"name": "app", "ready": ready, "started": True,
                                               "restartCount": 0, "image": "registry.k8s.io/pause:3.10",
                                               "imageID": "", "state": {"running": {"startedAt": now}}}]}},
            "application/merge-patch+json")
        return ips

    per_ns = len(SHAPES)
    nns = max(1, (nsvc + per_ns - 1) // per_ns)
    for n in range(nns):
        ns = "ns-%d" % n
        put("ns", "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for kind, opt in SHAPES:
            name = "%s-%d" % (kind, n)
            spec = {"ports": svc_ports(kind)}
            sel = {"app": name}
            if kind in ("exo", "exi"):
                spec = {"type": "ExternalName",
                        "externalName": EXT_OUT[n % len(EXT_OUT)] if kind == "exo"
                        else "cip-%d.ns-%d.%s" % ((n + 1) % nns, (n + 1) % nns, SVC)}
            else:
                if kind != "nosel":
                    spec["selector"] = sel
                if kind in ("hl", "hlh", "pna", "hld", "hle"):
                    spec["clusterIP"] = "None"
                if kind == "pna":
                    spec["publishNotReadyAddresses"] = True
                if kind in ("dual", "hld"):
                    spec["ipFamilyPolicy"] = "RequireDualStack"
                    spec["ipFamilies"] = ["IPv4", "IPv6"]
                if kind == "v6":
                    spec["ipFamilyPolicy"] = "SingleStack"
                    spec["ipFamilies"] = ["IPv6"]
                if kind == "np":
                    spec["type"] = "NodePort"
            put("svc", "POST", "/api/v1/namespaces/%s/services" % ns,
                {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
            npods = opt.get("pods", 1 if kind in ("cip", "cipu", "dual", "v6", "np") else 0)
            if kind == "dual":
                opt = dict(opt, v6=True)
            if kind == "v6":
                opt = dict(opt, v6=True)
            count = 0
            for i in range(npods):
                host = ("host-%d" % i) if opt.get("host") else None
                ready = i >= opt.get("notready", 0)
                ips = pod(ns, "%s-p%d" % (name, i), sel, ready, host, name if host else None, opt.get("v6", False))
                if kind == "v6":
                    count += 1  # the IPv6 slice only
                elif kind in ("dual", "hld"):
                    count += len(ips)
                else:
                    count += 1
            if "selector" in spec:
                expect["%s/%s" % (ns, name)] = count
        # The namespace's pods that no Service selects.
        pod(ns, "lone-%d" % n, {"app": "lone"}, True)
    # 600 endpoints behind one headless Service.
    ns = "ns-0"
    put("svc", "POST", "/api/v1/namespaces/%s/services" % ns,
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "big"},
         "spec": {"clusterIP": "None", "selector": {"app": "big"},
                  "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}})
    for i in range(600):
        pod(ns, "big-%d" % i, {"app": "big"}, True)
    expect["ns-0/big"] = 600
    # Namespaces with pods and no Service at all.
    for n in range(2):
        ns = "podonly-%d" % n
        put("ns", "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        for i in range(3):
            pod(ns, "p-%d" % i, {"app": "p"}, True, v6=(i == 2))
    put("ns", "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}})
    for f in lists.values():
        f.close()
    with open(os.path.join(d, "expect.json"), "w") as f:
        json.dump(expect, f)
    print("%d namespaces, %d Services, %d pods" % (
        nns + 3, sum(1 for _ in open(os.path.join(d, "svc.list"))),
        sum(1 for _ in open(os.path.join(d, "pod.list")))))


# ---- the API --------------------------------------------------------------------

def api_get(url, token, ca, path):
    ctx = ssl.create_default_context(cafile=ca)
    items = []
    cont = ""
    for _ in range(1000):  # pages
        sep = "&" if "?" in path else "?"
        req = urllib.request.Request(url + path + sep + "limit=500" + ("&continue=" + cont if cont else ""),
                                     headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            body = json.load(r)
        items.extend(body.get("items") or [])
        cont = (body.get("metadata") or {}).get("continue") or ""
        if not cont:
            break
    return items


def slice_counts(url, token, ca):
    counts = {}
    for s in api_get(url, token, ca, "/apis/discovery.k8s.io/v1/endpointslices"):
        svc = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
        if not svc:
            continue
        k = "%s/%s" % (s["metadata"]["namespace"], svc)
        counts[k] = counts.get(k, 0) + sum(len(e.get("addresses") or []) for e in s.get("endpoints") or [])
    return counts


def wait_slices(d, url, token, ca, secs):
    expect = json.load(open(os.path.join(d, "expect.json")))
    deadline = time.time() + secs
    missing = []
    for _ in range(int(secs * 2) + 1):
        counts = slice_counts(url, token, ca)
        missing = [(k, counts.get(k, 0), v) for k, v in sorted(expect.items()) if counts.get(k, 0) != v]
        if not missing:
            return 0
        if time.time() > deadline:
            break
        time.sleep(0.5)
    for k, got, want in missing[:10]:
        print("     %s: %d endpoint addresses in its slices, want %d" % (k, got, want))
    return 1


# ---- the questions -----------------------------------------------------------------

TYPES = ["A", "AAAA", "SRV", "PTR", "TXT", "CNAME", "NS", "SOA", "MX", "ANY", "HTTPS"]
VARIANTS = ["udp1232", "noedns", "udp512", "udp4096", "tcp"]


def rev(ip):
    import dns.reversename
    return dns.reversename.from_address(ip).to_text()


def dashed(ip):
    a = ipaddress.ip_address(ip)
    if a.version == 4:
        return ip.replace(".", "-")
    return a.exploded.replace(":", "-")


def queries(d, url, token, ca, minimum, out):
    rnd = random.Random(21)
    svcs = api_get(url, token, ca, "/api/v1/services")
    slices = api_get(url, token, ca, "/apis/discovery.k8s.io/v1/endpointslices")
    pods = api_get(url, token, ca, "/api/v1/pods")
    nss = [n["metadata"]["name"] for n in api_get(url, token, ca, "/api/v1/namespaces")]
    qs = []

    def q(kind, name, types=TYPES, variant="udp1232"):
        for t in types:
            qs.append({"kind": kind, "name": name, "type": t, "v": variant})

    by_svc = {}
    for s in slices:
        k = ((s["metadata"].get("labels") or {}).get("kubernetes.io/service-name"), s["metadata"]["namespace"])
        by_svc.setdefault(k, []).append(s)

    for s in svcs:
        ns, name = s["metadata"]["namespace"], s["metadata"]["name"]
        spec = s["spec"]
        fq = "%s.%s.%s." % (name, ns, SVC)
        if spec.get("type") == "ExternalName":
            kind = "extname-in" if spec["externalName"].endswith(ZONE) else "extname-out"
        elif spec.get("clusterIP") == "None":
            kind = "headless"
            if name == "big":
                kind = "headless600"
            elif spec.get("publishNotReadyAddresses"):
                kind = "headless-pna"
            elif not by_svc.get((name, ns)) or not any(sl.get("endpoints") for sl in by_svc.get((name, ns), [])):
                kind = "headless-empty"
        else:
            fam = spec.get("ipFamilies") or ["IPv4"]
            kind = "clusterip-" + ("dual" if len(fam) == 2 else fam[0].lower())
        q(kind, fq)
        # The spec's SRV, and its forms that must fail.
        for p in spec.get("ports") or []:
            proto = p.get("protocol", "TCP").lower()
            if p.get("name"):
                q(kind + "-srv", "_%s._%s.%s" % (p["name"], proto, fq), ["SRV", "A", "TXT"])
                q(kind + "-srv-wrongproto", "_%s._%s.%s" % (p["name"], "udp" if proto == "tcp" else "tcp", fq), ["SRV"])
                q(kind + "-srv-wildcard", "_%s._%s.%s" % (p["name"], "*", fq), ["SRV"])
                q(kind + "-srv-wildcard", "*._%s.%s" % (proto, fq), ["SRV"])
            else:
                q(kind + "-srv-unnamed", "_%s._%s.%s" % (p["port"], proto, fq), ["SRV"])
        q(kind + "-srv-noport", "_nope._tcp." + fq, ["SRV", "A"])
        q(kind + "-below", "nope." + fq, ["A", "AAAA", "SRV"])
        q(kind + "-below2", "a.b." + fq, ["A"])
        # Mixed case.
        mixed = "".join(c.upper() if rnd.random() < 0.5 else c for c in fq)
        q(kind + "-mixedcase", mixed, ["A", "AAAA", "SRV"])
        # What a pod's search list makes of the name (ndots 5).
        q("searchpath-cluster", "%s.%s.%s.%s." % (name, ns, ns, SVC), ["A", "AAAA"])
        q("searchpath-cluster", "%s.%s.%s." % (name, ns, ZONE), ["A"])
        q("searchpath-cluster", "%s.%s.svc.%s.%s." % (name, ns, ZONE, ZONE), ["A"])
        for ip in spec.get("clusterIPs") or []:
            if ip != "None":
                q("ptr-clusterip", rev(ip), ["PTR"])
        # Endpoints.
        for sl in by_svc.get((name, ns), []):
            for e in sl.get("endpoints") or []:
                for ip in e.get("addresses") or []:
                    ek = kind + ("-ready" if (e.get("conditions") or {}).get("ready") else "-notready")
                    if kind == "headless600":
                        q("ptr-endpoint-" + ek, rev(ip), ["PTR"])
                        continue
                    q("ptr-endpoint-" + ek, rev(ip), ["PTR"])
                    if kind.startswith("headless"):
                        host = e.get("hostname") or dashed(ip)
                        q("endpoint-" + ("host-" if e.get("hostname") else "ip-") + ek,
                          "%s.%s" % (host, fq), ["A", "AAAA", "SRV", "PTR", "TXT"])
                        if not e.get("hostname"):
                            q("endpoint-ip-" + ek + "-below", "x.%s.%s" % (host, fq), ["A"])
                    else:
                        q("endpoint-of-clusterip-" + ek, "%s.%s" % (dashed(ip), fq), ["A", "AAAA"])
    # The 600: a sample of their names, and everything asked in every transport.
    big = "big.ns-0.%s." % SVC
    for v in VARIANTS:
        q("headless600", big, ["A", "SRV"], v)
        q("headless600-srv", "_http._tcp." + big, ["SRV"], v)
    # Pods: every pod's dashed name in its namespace and in others.
    for p in pods:
        ns = p["metadata"]["namespace"]
        for ipr in (p.get("status") or {}).get("podIPs") or []:
            ip = ipr["ip"]
            if p["metadata"]["name"].startswith("big-") and rnd.random() > 0.05:
                continue
            q("pod", "%s.%s.pod.%s." % (dashed(ip), ns, ZONE), ["A", "AAAA", "TXT"])
            q("pod-ptr", rev(ip), ["PTR"])
    q("pod-insecure-unknownip", "10-1-2-3.ns-0.pod.%s." % ZONE, ["A", "AAAA"])
    q("pod-insecure-unknownns", "10-1-2-3.nonexistent.pod.%s." % ZONE, ["A"])
    q("pod-insecure-v6", "fd00-10-244-0-0-0-0-ff.ns-0.pod.%s." % ZONE, ["AAAA", "A"])
    q("pod-insecure-v6short", "fd00--ff.ns-0.pod.%s." % ZONE, ["AAAA"])
    q("pod-bad", "10-1-2.ns-0.pod.%s." % ZONE, ["A"])
    q("pod-bad", "not-an-ip.ns-0.pod.%s." % ZONE, ["A"])
    q("pod-bad", "x.10-1-2-3.ns-0.pod.%s." % ZONE, ["A"])
    q("pod-nsonly", "ns-0.pod.%s." % ZONE, ["A", "SOA"])
    # Every depth, existing and not, each with its own kind.
    for kind, n in [("apex", ZONE + "."), ("svc-apex", SVC + "."), ("pod-apex", "pod." + ZONE + "."),
                    ("nx-depth3", "nope.%s." % ZONE), ("nx-ns", "nonexistent.%s." % SVC),
                    ("nx-depth5", "nope.nonexistent.%s." % SVC), ("nx-depth9", "a.b.c.d.e.ns-0.%s." % SVC),
                    ("dns-apex", "dns.%s." % ZONE), ("ns-dns", "ns.dns.%s." % ZONE),
                    ("dns-version", "dns-version.%s." % ZONE),
                    ("nx-srv-proto-only", "_tcp.ns-0.%s." % SVC), ("nx-srv-no-svc", "_http._tcp.ns-0.%s." % SVC),
                    ("nx-srv-no-svc", "_http._tcp.nonexistent-svc.ns-0.%s." % SVC),
                    ("wildcard", "*.ns-0.%s." % SVC), ("wildcard", "*.*.%s." % SVC), ("wildcard", "any.ns-0.%s." % SVC),
                    ("reverse-apex", "in-addr.arpa."), ("reverse-apex", "10.in-addr.arpa."),
                    ("reverse-apex", "96.10.in-addr.arpa."), ("reverse-apex", "ip6.arpa."),
                    # never a Service's: 10.96.255.255 is the v4 range's
                    # broadcast address, which the apiserver does not
                    # allocate (10.96.255.254 once was, by chance, in the
                    # churn), and fd00:10:97::ffff is past the v6 range
                    ("reverse-unknown", "255.255.96.10.in-addr.arpa."), ("reverse-unknown", "99.99.99.99.in-addr.arpa."),
                    ("reverse-unknown", rev("fd00:10:97::ffff")), ("reverse-unknown", rev("2001:db8::1"))]:
        q(kind, n)
    for ns in nss:
        q("namespace", "%s.%s." % (ns, SVC), ["A", "SOA", "NS", "TXT"])
    # Outside names, forwarded to NSD, and the search list made of them.
    for n in ["v4only", "dual", "alias", "www", "missing", "big", "ns", "@"]:
        fq = (OUTSIDE if n == "@" else n + "." + OUTSIDE) + "."
        q("outside", fq, ["A", "AAAA", "MX", "TXT", "SOA", "NS", "CNAME"])
        for sfx in ["ns-0." + SVC, SVC, ZONE]:
            q("searchpath-outside", fq + sfx + ".", ["A", "AAAA"])
    q("outside-nxtld", "nothing.invalid.", ["A", "SOA"])
    for v in VARIANTS:
        q("outside-big", "big.%s." % OUTSIDE, ["A"], v)
    # Transports: a share of everything in each of the others, then more
    # until MINIMUM.
    base = list(qs)
    for i, x in enumerate(base):
        if i % 7 == 0:
            qs.append(dict(x, v=VARIANTS[1 + (i // 7) % 4]))
    i = 0
    while len(qs) < minimum and i < 10 * minimum:
        x = base[i % len(base)]
        name = x["name"]
        if (i // len(base)) % 2 == 0:
            name = "".join(c.upper() if rnd.random() < 0.5 else c for c in name)
        qs.append(dict(x, name=name, v=VARIANTS[(i // len(base)) % len(VARIANTS)],
                       kind=x["kind"] + "-again"))
        i += 1
    with open(out, "w") as f:
        for x in qs:
            f.write(json.dumps(x) + "\n")
    print("%d questions" % len(qs))


# ---- asking and comparing ------------------------------------------------------------

def ask(server, x, tries=3):
    import dns.flags
    import dns.message
    import dns.query
    import dns.rdatatype
    host, port = server.rsplit(":", 1)
    v = x["v"]
    if v == "noedns":
        m = dns.message.make_query(x["name"], x["type"], use_edns=False)
    else:
        size = {"udp512": 512, "udp4096": 4096}.get(v, 1232)
        m = dns.message.make_query(x["name"], x["type"], use_edns=0, payload=size)
    m.flags |= dns.flags.RD
    last = None
    for _ in range(tries):
        try:
            if v == "tcp":
                return dns.query.tcp(m, host, port=int(port), timeout=3)
            return dns.query.udp(m, host, port=int(port), timeout=3, ignore_trailing=True,
                                 raise_on_truncation=False)
        except Exception as e:  # a timeout: once more
            last = e
    return last


def in_cluster(name):
    n = name.lower().rstrip(".")
    return n == ZONE or n.endswith("." + ZONE) or n.endswith("in-addr.arpa") or n.endswith("ip6.arpa")


def norm_rrset(rrs, mask_serial=True):
    """A section as a set of (owner, type, rdata) strings, and the TTLs."""
    import dns.rdatatype
    out = set()
    ttls = set()
    for rr in rrs:
        if rr.rdtype == dns.rdatatype.OPT:
            continue
        for rd in rr:
            t = rd.to_text()
            if rr.rdtype == dns.rdatatype.SOA and mask_serial:
                f = t.split()
                f[2] = "<serial>"
                t = " ".join(f)
            out.add("%s %s %s" % (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype), t.lower()))
            ttls.add("%s %s %d" % (rr.name.to_text().lower(), dns.rdatatype.to_text(rr.rdtype), rr.ttl))
    return out, ttls


def summary(r):
    import dns.flags
    import dns.rcode
    if isinstance(r, Exception):
        return {"err": type(r).__name__ + ": " + str(r)}
    ans, ans_ttl = norm_rrset(r.answer)
    auth, auth_ttl = norm_rrset(r.authority)
    add, add_ttl = norm_rrset(r.additional)
    return {
        "rcode": dns.rcode.to_text(r.rcode()),
        "aa": bool(r.flags & dns.flags.AA),
        "tc": bool(r.flags & dns.flags.TC),
        "ra": bool(r.flags & dns.flags.RA),
        "answer": ans, "authority": auth, "additional": add,
        "ttl": ans_ttl | auth_ttl | add_ttl,
        "edns": r.edns >= 0,
        "owners": sorted(set(rr.name.to_text() for rr in r.answer)),
    }


def short(s, field):
    if "err" in s:
        return s["err"]
    v = s[field]
    if isinstance(v, set):
        v = sorted(v)
        if len(v) > 4:
            v = v[:4] + ["... (%d in all)" % len(v)]
        return "{" + "; ".join(v) + "}"
    return str(v)


def ttl_diff(a, b):
    """TTL classes: "ttl" for records svcdns and CoreDNS answer from the
    cluster's data (cluster.local, where kubeadm's Corefile disables
    CoreDNS's cache, and MORE_ZONES); "ttl-reverse" for PTR records
    (which CoreDNS's cache serves, counting down); "ttl-forwarded" for an
    outside record whose TTL one of them holds above CoreDNS's cache cap
    (cache 30)."""
    def split(s):
        d = {}
        for t in s:
            owner, typ, ttl = t.rsplit(" ", 2)
            d.setdefault((owner, typ), set()).add(int(ttl))
        return d
    da, db = split(a["ttl"]), split(b["ttl"])
    out = set()
    for k in set(da) | set(db):
        ta, tb = da.get(k, set()), db.get(k, set())
        if ta == tb or not ta or not tb:
            continue
        owner = k[0]
        if any(owner.endswith("." + z + ".") or owner == z + "." for z in [ZONE] + MORE_ZONES):
            out.add("ttl")
        elif owner.endswith(".arpa."):
            out.add("ttl-reverse")
        elif max(ta | tb) > 30:
            out.add("ttl-forwarded")
    return sorted(out)


def diff(x, a, b):
    """The fields in which CoreDNS's answer a and svcdns's b differ."""
    if "err" in a or "err" in b:
        return [] if ("err" in a) == ("err" in b) else ["noreply"]
    out = []
    for f in ("rcode", "aa", "tc", "ra", "edns"):
        if a[f] != b[f]:
            out.append(f)
    tc = a["tc"] or b["tc"]
    if a["answer"] != b["answer"]:
        # A truncated answer is a stub that the client throws away.
        out.append("answer-truncated" if tc else "answer")
    if a["authority"] != b["authority"]:
        out.append("authority")
    if a["additional"] != b["additional"]:
        out.append("additional")
    if a["answer"] == b["answer"] and a["ttl"] != b["ttl"]:
        out.extend(ttl_diff(a, b))
    if a["answer"] == b["answer"] and a["owners"] != b["owners"]:
        out.append("owner-case")
    return out


def load_allow(allow_file):
    """docs/coredns-differences.txt: [(pattern, reason)], or None when an
    entry has no reason."""
    allow = []
    for line in open(allow_file):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        pat, _, reason = line.partition("\t")
        if not reason.strip():
            print("FAIL allow-list entry without a reason: %r" % line)
            return None
        allow.append((pat.strip(), reason.strip()))
    return allow


def allowed(allow, cls):
    return next((r for p, r in allow if fnmatch.fnmatchcase(cls, p)), None)


def compare(qfile, a_srv, b_srv, allow_file):
    qs = [json.loads(l) for l in open(qfile) if l.strip()]
    allow = load_allow(allow_file)
    if allow is None:
        return 1

    def both(x):
        return summary(ask(a_srv, x)), summary(ask(b_srv, x))

    t0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        res = list(ex.map(both, qs))
    t1 = time.time()
    # Each difference asked again after a pause: only the ones that stay count
    # (the servers follow the API separately).
    bad = [i for i, x in enumerate(qs) if diff(x, *res[i])]
    if bad:
        time.sleep(2)
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            again = list(ex.map(both, [qs[i] for i in bad]))
        for i, r in zip(bad, again):
            res[i] = r
    classes = {}
    for x, (a, b) in zip(qs, res):
        for f in diff(x, a, b):
            kind = x["kind"]
            if kind.endswith("-again"):
                kind = kind[:-6]
            cls = "%s %s %s %s" % (f, kind, x["type"], x["v"])
            classes.setdefault(cls, []).append((x, a, b, f))
    failed = 0
    passed = 0
    allowed_q = set()
    # One line per FIELD KIND (and whether allowed): the types and
    # transports it covers, how many questions, one example.
    groups = {}
    for cls in sorted(classes):
        reason = next((r for p, r in allow if fnmatch.fnmatchcase(cls, p)), None)
        f, kind = cls.split(" ")[:2]
        g = groups.setdefault((f, kind, reason), {"types": [], "vs": [], "n": 0, "ex": classes[cls][0]})
        for i, v in ((2, g["types"]), (3, g["vs"])):
            if cls.split(" ")[i] not in v:
                v.append(cls.split(" ")[i])
        g["n"] += len(classes[cls])
        if reason:
            allowed_q.update(id(e[0]) for e in classes[cls])
    for (f0, kind, reason), g in sorted(groups.items(), key=lambda i: (i[0][2] is not None, i[0][0], i[0][1])):
        x, a, b, f = g["ex"]
        fields = [f] if f not in ("answer", "answer-truncated") else ["answer"]
        if f in ("rcode", "answer", "authority", "additional"):
            fields = ["rcode", "answer", "authority"] + (["additional"] if f == "additional" else [])
        if f.startswith("ttl"):
            fields = ["ttl"]
        if f == "owner-case":
            fields = ["owners"]
        desc = "; ".join("%s coredns=%s svcdns=%s" % (fl, short(a, fl), short(b, fl)) for fl in fields)
        print("%s [%s %s] %s (%s): %d questions; e.g. %s %s (%s): %s%s" % (
            "ALLOWED" if reason else "DIFF", f0, kind, ",".join(g["types"]), ",".join(sorted(g["vs"])), g["n"], x["name"], x["type"], x["v"],
            desc, ("  -- " + reason) if reason else ""))
        if not reason:
            failed += 1
    differing = set()
    for cls, ex_ in classes.items():
        for x, a, b, f in ex_:
            differing.add(id(x))
    errs = sum(1 for a, b in res if "err" in a and "err" in b)
    passed = len(qs) - len(differing)
    # Every question is a check; a question fails when it falls in a class that is not allowed.
    failing_q = set()
    for cls, ex_ in classes.items():
        if not next((r for p, r in allow if fnmatch.fnmatchcase(cls, p)), None):
            for x, a, b, f in ex_:
                failing_q.add(id(x))
    failing_q |= set(id(x) for x, (a, b) in zip(qs, res) if "err" in a and "err" in b)
    print("# %d questions to each in %.1f s; %d answered alike, %d differ (%d only in allowed classes), "
          "%d unanswered by both; %d difference classes not allowed"
          % (len(qs), t1 - t0, passed, len(differing), len(allowed_q - failing_q), errs, failed))
    print("coredns_diff: %d passed, %d failed" % (len(qs) - len(failing_q), len(failing_q)))
    return 1 if failing_q else 0


# ---- churn -------------------------------------------------------------------------

CHURN_NS = "churn"
# ExternalName targets: NSD's names (no 150-record big.example.com: its
# answer does not fit 1232 bytes) and one inside the zone.
EXT_TARGETS = ["v4only.example.com", "dual.example.com", "alias.example.com",
               "www.example.com", "kubernetes.default.%s" % SVC]


class Api:
    """The admin's requests, one kept-alive HTTPS connection per thread."""

    def __init__(self, url, token, ca):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.token = token
        self.ctx = ssl.create_default_context(cafile=ca)
        self.local = threading.local()

    def req(self, method, path, body=None, ctype="application/json"):
        last = None
        for _ in range(5):
            c = getattr(self.local, "c", None)
            if c is None:
                c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=30)
                self.local.c = c
            try:
                hdr = {"Authorization": "Bearer " + self.token}
                data = None
                if body is not None:
                    hdr["Content-Type"] = ctype
                    data = json.dumps(body)
                c.request(method, path, body=data, headers=hdr)
                r = c.getresponse()
                raw = r.read()
                if r.status == 429 or r.status >= 500:
                    last = "HTTP %d" % r.status
                    time.sleep(0.1)
                    continue
                return r.status, (json.loads(raw) if raw else {})
            except (http.client.HTTPException, OSError) as e:
                last = e
                c.close()
                self.local.c = None
        raise RuntimeError("%s %s: %s" % (method, path, last))


class Prober:
    """One UDP socket; asks a server one question (EDNS 1232, RD) and
    waits up to 0.5 s for the reply with its ID."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))

    def ask(self, server, name, rdtype):
        import dns.flags
        import dns.message
        host, port = server.rsplit(":", 1)
        m = dns.message.make_query(name, rdtype, use_edns=0, payload=1232)
        m.flags |= dns.flags.RD
        self.s.sendto(m.to_wire(), (host, int(port)))
        end = time.monotonic() + 0.5
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                b, _ = self.s.recvfrom(65535)
            except OSError:
                return None
            if len(b) >= 2 and b[:2] == m.to_wire()[:2]:
                try:
                    return dns.message.from_wire(b, ignore_trailing=True)
                except Exception:
                    return None

    def close(self):
        self.s.close()


def is_right(r, want):
    """want: ("a", set of addresses) | ("nx",) | ("cname", target)."""
    import dns.rcode
    import dns.rdatatype
    if r is None:
        return False
    if want[0] == "nx":
        return r.rcode() == dns.rcode.NXDOMAIN
    if r.rcode() != dns.rcode.NOERROR:
        return False
    if want[0] == "a":
        got = set(rd.to_text() for rr in r.answer if rr.rdtype == dns.rdatatype.A for rd in rr)
        return got == want[1]
    return any(rd.target.to_text().lower().rstrip(".") == want[1]
               for rr in r.answer if rr.rdtype == dns.rdatatype.CNAME for rd in rr)


def pctl(v, p):
    if not v:
        return float("nan")
    s = sorted(v)
    i = int(p * len(s) + 0.5) - 1
    return s[max(0, min(i, len(s) - 1))]


def scale_endpoints(j, k):
    return [{"addresses": ["10.250.%d.%d" % (j, i + 1)], "conditions": {"ready": True},
             "nodeName": "node-1"} for i in range(k)]


def churn_setup(api, a_srv, b_srv, npool, ncreated):
    """The namespace, the pools (scale-J headless without selector and its
    EndpointSlice, ext-J ExternalName) and the first Services to delete;
    waits until both servers answer the last of each."""
    base = "/api/v1/namespaces/%s" % CHURN_NS
    st, _ = api.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                     "metadata": {"name": CHURN_NS}})
    if st not in (201, 409):
        raise RuntimeError("create namespace: HTTP %d" % st)
    state = {"scale": {}, "ext": {}, "created": []}
    waits = []
    for j in range(npool):
        name = "scale-%d" % j
        api.req("POST", base + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "None", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}})
        api.req("POST", "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" % CHURN_NS, {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name + "-1", "labels": {
                "kubernetes.io/service-name": name,
                "endpointslice.kubernetes.io/managed-by": "dnsdiff-churn"}},
            "addressType": "IPv4", "endpoints": scale_endpoints(j, 2),
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]})
        state["scale"][j] = 2
        tgt = EXT_TARGETS[j % len(EXT_TARGETS)]
        api.req("POST", base + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext-%d" % j},
            "spec": {"type": "ExternalName", "externalName": tgt}})
        state["ext"][j] = j % len(EXT_TARGETS)
    waits.append(("scale-%d.%s.%s." % (npool - 1, CHURN_NS, SVC),
                  ("a", set("10.250.%d.%d" % (npool - 1, i + 1) for i in range(2)))))
    waits.append(("ext-%d.%s.%s." % (npool - 1, CHURN_NS, SVC),
                  ("cname", EXT_TARGETS[(npool - 1) % len(EXT_TARGETS)])))
    for i in range(ncreated):
        name = "pre-%d" % i
        st, o = api.req("POST", base + "/services", {
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
        state["created"].append(name)
        if i == ncreated - 1:
            waits.append(("%s.%s.%s." % (name, CHURN_NS, SVC), ("a", {o["spec"]["clusterIP"]})))
    p = Prober()
    for name, want in waits:
        for srv in (a_srv, b_srv):
            for _ in range(600):
                if is_right(p.ask(srv, name, "A"), want):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("%s never answered %s right" % (srv, name))
    p.close()
    return state


def ask_loop(qfile, a_srv, b_srv, secs, rate):
    """Asks both servers the questions in turn, RATE a second each."""
    qs = [json.loads(l) for l in open(qfile) if l.strip()]
    rnd = random.Random(50)
    rnd.shuffle(qs)
    n = [0]
    miss = {a_srv: 0, b_srv: 0}
    lock = threading.Lock()
    t0 = time.monotonic()
    end = t0 + secs

    def worker(k):
        i = k
        while True:
            due = t0 + i / float(rate)
            now = time.monotonic()
            if due > end:
                return
            if due > now:
                time.sleep(due - now)
            x = qs[i % len(qs)]
            for srv in (a_srv, b_srv):
                # as a resolver would: a lost datagram or a stalled
                # server (valgrind, a busy machine) is asked again
                r = ask(srv, x, tries=3)
                if isinstance(r, Exception):
                    with lock:
                        miss[srv] += 1
            with lock:
                n[0] += 1
            i += 4

    th = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    print("asked %d questions of each in %.1f s; unanswered (3 tries of 3 s): coredns %d, svcdns %d"
          % (n[0], time.monotonic() - t0, miss[a_srv], miss[b_srv]))
    return 0


def churn(url, token, ca, a_srv, b_srv, allow_file, secs, rate, qfile, out):
    allow = load_allow(allow_file)
    if allow is None:
        return 1
    api = Api(url, token, ca)
    npool = max(20, int(rate))
    t_setup = time.monotonic()
    state = churn_setup(api, a_srv, b_srv, npool, max(10, int(rate)))
    print("churn: set up %d scaled, %d ExternalName and %d Services to delete in %.1f s"
          % (npool, npool, len(state["created"]), time.monotonic() - t_setup))
    base = "/api/v1/namespaces/%s" % CHURN_NS
    lock = threading.Lock()
    busy = set()
    rr = {"scale": 0, "ext": 0}
    slow = int(os.environ.get("SVCDNS_TEST_SLOW", "1") or 1)
    timeout = 10.0 * slow
    results = []

    def pick(pool):
        with lock:
            for _ in range(npool):
                j = rr[pool] % npool
                rr[pool] += 1
                if (pool, j) not in busy:
                    busy.add((pool, j))
                    return j
        return None

    def change(i, op):
        """Makes one change; returns (fqdn, want, kind, questions, release)."""
        if op == "delete":
            with lock:
                name = state["created"].pop(0) if state["created"] else None
            if name is None:
                op = "create"
            else:
                st, _ = api.req("DELETE", base + "/services/" + name)
                if st not in (200, 202):
                    raise RuntimeError("delete %s: HTTP %d" % (name, st))
                return op, "%s.%s.%s." % (name, CHURN_NS, SVC), ("nx",), "nx-deleted", ["A", "SRV"], None
        if op == "create":
            name = "c-%d" % i
            st, o = api.req("POST", base + "/services", {
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}})
            if st != 201:
                raise RuntimeError("create %s: HTTP %d %s" % (name, st, o))
            return op, "%s.%s.%s." % (name, CHURN_NS, SVC), ("a", {o["spec"]["clusterIP"]}), \
                "clusterip-ipv4", ["A", "SRV"], ("created", name)
        if op == "scale":
            j = pick("scale")
            if j is None:
                return None
            with lock:
                k = state["scale"][j] % 6 + 1  # 1..6, never the same as before
                state["scale"][j] = k
            st, _ = api.req("PATCH", "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/scale-%d-1"
                            % (CHURN_NS, j), {"endpoints": scale_endpoints(j, k)},
                            "application/merge-patch+json")
            if st != 200:
                raise RuntimeError("scale scale-%d: HTTP %d" % (j, st))
            return op, "scale-%d.%s.%s." % (j, CHURN_NS, SVC), \
                ("a", set("10.250.%d.%d" % (j, x + 1) for x in range(k))), "headless", ["A", "SRV"], ("scale", j)
        j = pick("ext")
        if j is None:
            return None
        with lock:
            t = (state["ext"][j] + 1) % len(EXT_TARGETS)
            state["ext"][j] = t
        tgt = EXT_TARGETS[t]
        st, _ = api.req("PATCH", base + "/services/ext-%d" % j, {"spec": {"externalName": tgt}},
                        "application/merge-patch+json")
        if st != 200:
            raise RuntimeError("retarget ext-%d: HTTP %d" % (j, st))
        return op, "ext-%d.%s.%s." % (j, CHURN_NS, SVC), ("cname", tgt), \
            "extname-in" if tgt.endswith(ZONE) else "extname-out", ["A"], ("ext", j)

    def job(i, op, t_due):
        t_send = time.monotonic()
        try:
            c = change(i, op)
        except Exception as e:
            return {"i": i, "op": op, "err": str(e)}
        t_resp = time.monotonic()
        if c is None:
            return None
        op, fq, want, kind, types, rel = c
        p = Prober()
        got = {}
        n = 0
        order = [a_srv, b_srv]
        while len(got) < 2 and time.monotonic() - t_resp < timeout:
            order.reverse()  # neither always asked first
            for srv in order:
                if srv in got:
                    continue
                r = p.ask(srv, fq, "A")
                if is_right(r, want):
                    got[srv] = time.monotonic()
            n += 1
            if len(got) < 2:
                time.sleep(0.001)
        p.close()
        res = {"i": i, "op": op, "name": fq, "kind": kind, "late_ms": (t_send - t_due) * 1000,
               "api_ms": (t_resp - t_send) * 1000, "polls": n,
               "cd_ms": (got[a_srv] - t_resp) * 1000 if a_srv in got else None,
               "sv_ms": (got[b_srv] - t_resp) * 1000 if b_srv in got else None,
               "diffs": [], "allowed": []}
        if len(got) == 2:
            # Both converged: every type asked of the name must agree (a
            # difference asked again for up to 1 s, times SVCDNS_TEST_SLOW, before it counts).
            for t in types:
                x = {"kind": kind, "name": fq, "type": t, "v": "udp1232"}
                for _ in range(10 * slow):
                    d = diff(x, summary(ask(a_srv, x)), summary(ask(b_srv, x)))
                    bad = [f for f in d if not allowed(allow, "%s %s %s udp1232" % (f, kind, t))]
                    if not bad:
                        break
                    time.sleep(0.1)
                res["diffs"] += ["%s %s %s udp1232" % (f, kind, t) for f in bad]
                res["allowed"] += ["%s %s %s udp1232" % (f, kind, t) for f in d if f not in bad]
        with lock:
            if rel:
                if rel[0] == "created":
                    state["created"].append(rel[1])
                else:
                    busy.discard(rel)
        return res

    # The questions asked meanwhile, by a process of its own.
    asker = subprocess.Popen([sys.executable, os.path.abspath(__file__), "ask-loop", qfile, a_srv, b_srv,
                              str(secs + 2), "100"], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    ops = ["create", "scale", "delete", "retarget"]
    total = int(secs * rate)
    t0 = time.monotonic()
    futs = []
    with concurrent.futures.ThreadPoolExecutor(32) as ex:
        for i in range(total):
            due = t0 + i / float(rate)
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            futs.append(ex.submit(job, i, ops[i % 4], due))
        t_sched = time.monotonic() - t0
        results = [f.result() for f in futs]
    t_all = time.monotonic() - t0
    asked = asker.communicate(timeout=120 * slow)[0].strip()
    results = [r for r in results if r is not None]
    errs = [r for r in results if "err" in r]
    ok = [r for r in results if "err" not in r]
    with open(out, "w") as f:
        f.write("i\top\tname\tapi_ms\tlate_ms\tcoredns_ms\tsvcdns_ms\tpolls\tdiffs\n")
        for r in ok:
            f.write("%d\t%s\t%s\t%.2f\t%.2f\t%s\t%s\t%d\t%s\n" % (
                r["i"], r["op"], r["name"], r["api_ms"], r["late_ms"],
                "%.2f" % r["cd_ms"] if r["cd_ms"] is not None else "-",
                "%.2f" % r["sv_ms"] if r["sv_ms"] is not None else "-", r["polls"], ",".join(r["diffs"])))
    by_op = {}
    for r in ok:
        by_op[r["op"]] = by_op.get(r["op"], 0) + 1
    api_ms = [r["api_ms"] for r in ok]
    print("churn: %d changes in %.1f s (%.1f/s asked, %.1f/s made; %s); the API call p50 %.1f ms p99 %.1f ms; "
          "started late p99 %.1f ms" % (
              len(results), t_sched, rate, len(ok) / t_sched if t_sched else 0,
              ", ".join("%d %s" % (by_op[k], k) for k in sorted(by_op)),
              pctl(api_ms, .5), pctl(api_ms, .99), pctl([r["late_ms"] for r in ok], .99)))

    def line(label, rs):
        cd = [r["cd_ms"] for r in rs if r["cd_ms"] is not None]
        sv = [r["sv_ms"] for r in rs if r["sv_ms"] is not None]
        print("churn: %-9s event -> answer (ms from the API's reply): coredns p50 %.1f p99 %.1f max %.1f (%d of %d)"
              "; svcdns p50 %.1f p99 %.1f max %.1f (%d of %d)" % (
                  label, pctl(cd, .5), pctl(cd, .99), pctl(cd, 1), len(cd), len(rs),
                  pctl(sv, .5), pctl(sv, .99), pctl(sv, 1), len(sv), len(rs)))
    line("all", ok)
    for op in ops:
        rs = [r for r in ok if r["op"] == op]
        if rs:
            line(op, rs)
    failed = 0
    cls = {}
    acls = {}
    for r in ok:
        if r["cd_ms"] is None or r["sv_ms"] is None or r["diffs"]:
            failed += 1
        for c in r["diffs"]:
            cls.setdefault(c, []).append(r["name"])
        for c in r["allowed"]:
            acls.setdefault(c, []).append(r["name"])
    for c in sorted(cls):
        print("DIFF [%s] after %d changes, e.g. %s" % (c, len(cls[c]), cls[c][0]))
    for c in sorted(acls):
        print("ALLOWED [%s] after %d changes, e.g. %s -- %s" % (c, len(acls[c]), acls[c][0], allowed(allow, c)))
    for r in ok:
        if r["cd_ms"] is None or r["sv_ms"] is None:
            print("NOT CONVERGED within %.0f s: %s %s (coredns %s, svcdns %s)" % (
                timeout, r["op"], r["name"], r["cd_ms"], r["sv_ms"]))
    for r in errs[:5]:
        print("API ERROR %s: %s" % (r["op"], r["err"]))
    print("churn: meanwhile %s; the last change settled %.1f s after the first" % (asked, t_all))
    failed += len(errs)
    checks = len(results) + 1
    import re
    m = re.search(r"coredns (\d+), svcdns (\d+)", asked)
    if not m or m.group(1) != "0" or m.group(2) != "0":
        failed += 1  # a question left unanswered during the churn
    print("coredns_churn: %d passed, %d failed" % (checks - failed, failed))
    return 1 if failed else 0


def main():
    a = sys.argv[1:]
    if a[:1] == ["gen"] and len(a) == 3:
        gen(a[1], int(a[2]))
        return 0
    if a[:1] == ["wait-slices"] and len(a) == 6:
        return wait_slices(a[1], a[2], a[3], a[4], float(a[5]))
    if a[:1] == ["queries"] and len(a) == 7:
        queries(a[1], a[2], a[3], a[4], int(a[5]), a[6])
        return 0
    if a[:1] == ["compare"] and len(a) == 5:
        return compare(a[1], a[2], a[3], a[4])
    if a[:1] == ["churn"] and len(a) == 11:
        return churn(a[1], a[2], a[3], a[4], a[5], a[6], float(a[7]), float(a[8]), a[9], a[10])
    if a[:1] == ["ask-loop"] and len(a) == 6:
        return ask_loop(a[1], a[2], a[3], float(a[4]), float(a[5]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
