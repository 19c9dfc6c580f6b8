#!/usr/bin/env python3
"""gen_cluster.py - a cluster of N services as kubectl JSON, plus a dnsperf
query file with the mix of issue 5.

  gen_cluster.py --services N --out DIR [--queries FILE] [--nqueries Q]
                 [--seed S] [--domain ZONE] [--clusterip-endpoints K]

Writes DIR/services.json and DIR/endpointslices.json as `kubectl get -o
json` prints them: a "List" whose items carry their apiVersion and kind,
keys sorted. (An API server's own list response, which the fake API server
of the benchmark serves, is a ServiceList with "kind" first and kind-less
items.) Shape:
  - services spread over max(4, N/50) namespaces (ns-0000 ...);
  - 90% ClusterIP (IPv4 single stack) with named ports http/80 and, for
    every other service, metrics/9090; by default without EndpointSlices,
    the issue's shape (their own name's answers do not depend on them).
    --clusterip-endpoints K gives each one a slice of K ready endpoints
    without hostnames, as a Deployment's pods have in a real cluster:
    those add endpoint names (<a-b-c-d>.<svc>...) and their PTRs;
  - 10% headless (clusterIP None) with one EndpointSlice of 5 ready
    endpoints, each with a hostname (<svc>-0 ... <svc>-4) and a named port.
Query file (dnsperf format "name TYPE"), shuffled, deterministic:
  70% A of existing services, 10% SRV _<port>._tcp.<svc>.<ns>.svc.<zone>,
  10% AAAA of existing (IPv4-only) services: NODATA,
  10% ndots:5 search-path expansions <svc>.<ns>.svc.<zone>.<suffix> with
      suffix one of <ns>.svc.<zone>, svc.<zone>, <zone>: NXDOMAIN inside
      the cluster zone (not REFUSED).
Prints the counts as one JSON line (nothing else goes into DIR, which
svcdns --dir reads whole). python3 standard library only.
"""

import argparse
import json
import os
import random
import sys


def ip4(base, i):
    """The i-th address after base (an integer)."""
    v = base + i
    return "%d.%d.%d.%d" % ((v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255)


CLUSTER_BASE = (10 << 24) | (96 << 16)      # 10.96.0.0/12: 1M addresses
POD_BASE = (10 << 24) | (128 << 16)         # 10.128.0.0/9


def endpoint(addr, node, name, ns, i, k, hostname):
    ep = {"addresses": [addr],
          "conditions": {"ready": True, "serving": True, "terminating": False},
          "nodeName": "node-%d" % (node % 97),
          "targetRef": {"kind": "Pod", "name": "%s-%d" % (name, k), "namespace": ns,
                        "uid": "%08x-0001-4000-8000-%012x" % (i, k)},
          "zone": "zone-%s" % "abc"[k % 3]}
    if hostname:
        ep["hostname"] = "%s-%d" % (name, k)
    return ep


def build(n, seed, clusterip_endpoints=0):
    nns = max(4, n // 50)
    namespaces = ["ns-%04d" % i for i in range(nns)]
    services, slices = [], []
    meta = []       # (name, ns, headless, portnames)
    pod_i = 1
    for i in range(n):
        ns = namespaces[i % nns]
        name = "svc-%06d" % i
        headless = (i % 10 == 9)
        ports = [{"name": "http", "port": 80, "protocol": "TCP",
                  "targetPort": 8080}]
        if i % 2 == 0:
            ports.append({"name": "metrics", "port": 9090, "protocol": "TCP",
                          "targetPort": "metrics"})
        md = {"creationTimestamp": "2024-11-05T14:10:12Z",
              "labels": {"app": name},
              "name": name, "namespace": ns,
              "resourceVersion": str(1000 + i),
              "uid": "%08x-0000-4000-8000-%012x" % (i, i)}
        spec = {"ports": ports, "selector": {"app": name},
                "sessionAffinity": "None", "type": "ClusterIP",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster"}
        if headless:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
        else:
            ip = ip4(CLUSTER_BASE, 10 + i)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        services.append({"metadata": md, "spec": spec,
                         "status": {"loadBalancer": {}}})
        n_eps = 5 if headless else clusterip_endpoints
        if n_eps:
            eps = []
            for k in range(n_eps):
                pod_i += 1
                eps.append(endpoint(ip4(POD_BASE, pod_i - 1), pod_i, name, ns, i, k,
                                    headless))
            slices.append({
                "addressType": "IPv4",
                "endpoints": eps,
                "metadata": {"generateName": name + "-",
                             "labels": {"endpointslice.kubernetes.io/managed-by":
                                        "endpointslice-controller.k8s.io",
                                        "kubernetes.io/service-name": name},
                             "name": "%s-%05x" % (name, i & 0xfffff),
                             "namespace": ns,
                             "resourceVersion": str(500000 + i),
                             "uid": "%08x-0002-4000-8000-%012x" % (i, i)},
                "ports": [{"name": p["name"], "port": 8080 if p["name"] == "http" else 9090,
                           "protocol": "TCP"} for p in ports]})
        meta.append((name, ns, headless, [p["name"] for p in ports]))
    return namespaces, services, slices, meta


def queries(meta, count, seed, zone):
    rnd = random.Random(seed + 1)
    out = []
    for _ in range(count):
        r = rnd.random()
        name, ns, headless, pnames = meta[rnd.randrange(len(meta))]
        fq = "%s.%s.svc.%s" % (name, ns, zone)
        if r < 0.70:
            out.append("%s A" % fq)
        elif r < 0.80:
            out.append("_%s._tcp.%s SRV" % (rnd.choice(pnames), fq))
        elif r < 0.90:
            out.append("%s AAAA" % fq)
        else:
            suffix = rnd.choice(("%s.svc.%s" % (ns, zone), "svc.%s" % zone, zone))
            out.append("%s.%s A" % (fq, suffix))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--services", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--queries")
    ap.add_argument("--nqueries", type=int, default=0,
                    help="lines in the query file (default: max(100000, 2N))")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--domain", default="cluster.local")
    ap.add_argument("--clusterip-endpoints", type=int, default=0,
                    help="ready endpoints (no hostname) per ClusterIP service (default 0)")
    a = ap.parse_args()
    if a.services < 10:
        sys.exit("gen_cluster.py: --services must be at least 10")
    os.makedirs(a.out, exist_ok=True)
    namespaces, services, slices, meta = build(a.services, a.seed, a.clusterip_endpoints)
    for fname, items, api, kind in (("services.json", services, "v1", "Service"),
                                    ("endpointslices.json", slices,
                                     "discovery.k8s.io/v1", "EndpointSlice")):
        with open(os.path.join(a.out, fname), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List",
                       "items": [dict(i, apiVersion=api, kind=kind) for i in items],
                       "metadata": {"resourceVersion": ""}},
                      f, indent=1, sort_keys=True)
    nep = sum(len(s["endpoints"]) for s in slices)
    info = {"services": len(services), "headless": sum(1 for m in meta if m[2]),
            "endpointslices": len(slices), "endpoints": nep,
            "namespaces": len(namespaces)}
    if a.queries:
        nq = a.nqueries or max(100000, 2 * a.services)
        q = queries(meta, nq, a.seed, a.domain)
        with open(a.queries, "w") as f:
            f.write("\n".join(q) + "\n")
        info["queries"] = nq
    print(json.dumps(info))


if __name__ == "__main__":
    main()
