#!/usr/bin/env python3
"""gen_pods.py - the Pods, Nodes and Namespaces of a cluster, as kubectl
JSON, to go with bench/gen_cluster.py's Services (bench/podmap_rss.sh).

  gen_pods.py --pods P --out DIR [--cluster CLUSTER_DIR] [--nodes N]
              [--namespaces M] [--zones Z] [--seed S]

Writes DIR/pods.json, DIR/nodes.json and DIR/namespaces.json, each a
"List" whose items carry their apiVersion and kind (as gen_cluster.py's
files; bench/apiserver_preload.py serves them). Shape:
  - N Nodes (default 1,000) node-0 ... node-<N-1>, Ready, each labelled
    topology.kubernetes.io/zone=zone-a|zone-b|... (Z zones, default 3, by
    node number), with an InternalIP in 172.16.0.0/12 and a podCIDR;
  - M Namespaces (default 3,000) ns-0000 ... (gen_cluster.py's Services use
    the first max(4, services/50) of them), Active;
  - P Pods in all, each Running with one podIP and no hostNetwork:
    first one per ready endpoint of CLUSTER_DIR/endpointslices.json (its
    targetRef's name and namespace, its address and nodeName: the
    endpoints of the headless services are pods, as in a cluster), then
    Deployments' pods (<app>-<template hash>-<5 letters>, 1 to 10 replicas
    a Deployment, Deployments spread over the M namespaces) spread
    round-robin over the nodes, each node's pods from its own podCIDR in
    10.0.0.0/10 (a /24 a node, larger when a node holds more than 250):
    the addresses are all distinct and miss gen_cluster.py's ranges
    (services 10.96.0.0/12, endpoints 10.128.0.0/9).
The objects look like an API server's (labels, ownerReferences, one
container with its spec and status, conditions), about 3 KB of JSON a Pod.
Prints the counts as one JSON line. python3 standard library only.
"""

import argparse
import json
import os
import random
import sys
import zlib

LETTERS = "bcdfghjklmnpqrstvwxz2456789"     # the apiserver's name suffixes
POD_NET = 10 << 24                          # 10.0.0.0/10
POD_NET_SIZE = 1 << 22
NODE_NET = (172 << 24) | (16 << 16)         # 172.16.0.0/12
TS = "2024-11-05T14:10:12Z"


def ip4(v):
    return "%d.%d.%d.%d" % ((v >> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def zone_name(z):
    return "zone-" + (chr(ord("a") + z) if z < 26 else str(z))


def node(n, zones, block):
    name = "node-%d" % n
    cidr = "%s/%d" % (ip4(POD_NET + n * block), 32 - (block.bit_length() - 1))
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name, "uid": "%08x-0003-4000-8000-%012x" % (n, n),
            "creationTimestamp": TS, "resourceVersion": str(200 + n),
            "labels": {"beta.kubernetes.io/arch": "amd64",
                       "beta.kubernetes.io/os": "linux",
                       "kubernetes.io/arch": "amd64",
                       "kubernetes.io/hostname": name,
                       "kubernetes.io/os": "linux",
                       "node.kubernetes.io/instance-type": "m5.2xlarge",
                       "topology.kubernetes.io/region": "region-1",
                       "topology.kubernetes.io/zone": zone_name(n % zones)},
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr],
                 "providerID": "fake://region-1/%s" % name},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip4(NODE_NET + 10 + n)},
                          {"type": "Hostname", "address": name}],
            "allocatable": {"cpu": "7910m", "ephemeral-storage": "95551679124",
                            "memory": "31600000Ki", "pods": "250"},
            "capacity": {"cpu": "8", "ephemeral-storage": "103686164Ki",
                         "memory": "32408432Ki", "pods": "250"},
            "conditions": [{"type": t, "status": s, "reason": r,
                            "lastHeartbeatTime": TS, "lastTransitionTime": TS,
                            "message": r}
                           for t, s, r in (("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                                           ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                                           ("PIDPressure", "False", "KubeletHasSufficientPID"),
                                           ("Ready", "True", "KubeletReady"))],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.22",
                         "kernelVersion": "6.1.0-26-amd64", "kubeProxyVersion": "v1.31.2",
                         "kubeletVersion": "v1.31.2", "operatingSystem": "linux",
                         "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "machineID": "%032x" % n, "systemUUID": "%032x" % (n + 1),
                         "bootID": "%032x" % (n + 2)}}}


def pod(name, ns, app, hash_, ip, node_name, host_ip, uid, rnd):
    cid = "containerd://%064x" % rnd.getrandbits(256)
    meta = {"name": name, "namespace": ns, "uid": uid,
            "creationTimestamp": TS, "resourceVersion": "1",
            "labels": {"app": app}}
    if hash_:
        meta["generateName"] = name[:-5]
        meta["labels"]["pod-template-hash"] = hash_
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                    "name": "%s-%s" % (app, hash_), "uid": uid[:-4] + "0000",
                                    "controller": True, "blockOwnerDeletion": True}]
    else:
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                                    "name": app, "uid": uid[:-4] + "0000",
                                    "controller": True, "blockOwnerDeletion": True}]
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": meta,
        "spec": {
            "containers": [{
                "name": "app", "image": "registry.example.com/%s:1.4.2" % app,
                "imagePullPolicy": "IfNotPresent",
                "ports": [{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                "resources": {"limits": {"memory": "256Mi"},
                              "requests": {"cpu": "100m", "memory": "128Mi"}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                                   "periodSeconds": 10, "timeoutSeconds": 1,
                                   "successThreshold": 1, "failureThreshold": 3},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [{"name": "kube-api-access", "readOnly": True,
                                  "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]}],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
            "nodeName": node_name, "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccount": "default", "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300},
                            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                             "effect": "NoExecute", "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt",
                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}]},
        "status": {
            "phase": "Running", "qosClass": "Burstable", "startTime": TS,
            "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
            "podIP": ip, "podIPs": [{"ip": ip}],
            "conditions": [{"type": t, "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": TS}
                           for t in ("PodReadyToStartContainers", "Initialized", "Ready",
                                     "ContainersReady", "PodScheduled")],
            "containerStatuses": [{
                "name": "app", "ready": True, "started": True, "restartCount": 0,
                "image": "registry.example.com/%s:1.4.2" % app,
                "imageID": "registry.example.com/%s@sha256:%08x%056x" % (app, zlib.crc32(app.encode()), 0),
                "containerID": cid,
                "state": {"running": {"startedAt": TS}}, "lastState": {}}]}}


def rand_word(rnd, n):
    return "".join(rnd.choice(LETTERS) for _ in range(n))


def build(npods, nnodes, nns, zones, cluster, seed):
    rnd = random.Random(seed)
    per_node = -(-npods // nnodes) if nnodes else 0
    block = 256
    while block - 6 < per_node:
        block *= 2
    if nnodes * block > POD_NET_SIZE:
        sys.exit("gen_pods.py: %d pods on %d nodes do not fit 10.0.0.0/10" % (npods, nnodes))
    nodes = [node(n, zones, block) for n in range(nnodes)]
    host_ip = {n["metadata"]["name"]: n["status"]["addresses"][0]["address"] for n in nodes}
    namespaces = [{"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": "ns-%04d" % i, "uid": "%08x-0004-4000-8000-%012x" % (i, i),
                                "creationTimestamp": TS, "resourceVersion": "1",
                                "labels": {"kubernetes.io/metadata.name": "ns-%04d" % i}},
                   "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
                  for i in range(nns)]
    pods = []
    n_ep = 0
    if cluster:
        with open(os.path.join(cluster, "endpointslices.json")) as f:
            slices = json.load(f)["items"]
        for s in slices:
            for ep in s.get("endpoints") or []:
                if len(pods) >= npods:
                    break
                ref = ep.get("targetRef") or {}
                nn = ep.get("nodeName", "node-0")
                app = s["metadata"]["labels"].get("kubernetes.io/service-name", "app")
                pods.append(pod(ref["name"], ref["namespace"], app, None, ep["addresses"][0], nn,
                                host_ip.get(nn, ip4(NODE_NET + 1)),
                                ref.get("uid", "%08x-0005-4000-8000-%012x" % (len(pods), len(pods))),
                                rnd))
                n_ep += 1
    d = 0
    i = 0               # the Deployments' pods so far: placement and address
    while len(pods) < npods:
        ns = "ns-%04d" % (d % nns)
        app = "app-%05d" % d
        hash_ = rand_word(rnd, 10)
        for _ in range(1 + (d * 7) % 10):
            if len(pods) >= npods:
                break
            n = i % nnodes
            ip = ip4(POD_NET + n * block + 2 + i // nnodes)
            name = "%s-%s-%s" % (app, hash_, rand_word(rnd, 5))
            pods.append(pod(name, ns, app, hash_, ip, "node-%d" % n, host_ip["node-%d" % n],
                            "%08x-0006-4000-8000-%012x" % (d, i), rnd))
            i += 1
        d += 1
    return namespaces, nodes, pods, n_ep, d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pods", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cluster", help="gen_cluster.py's DIR: its endpoints become pods")
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--namespaces", type=int, default=3000)
    ap.add_argument("--zones", type=int, default=3)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args()
    if a.nodes < 1 or a.namespaces < 1 or a.zones < 1 or a.pods < 0:
        sys.exit("gen_pods.py: --nodes, --namespaces and --zones must be >= 1, --pods >= 0")
    os.makedirs(a.out, exist_ok=True)
    namespaces, nodes, pods, n_ep, n_dep = build(a.pods, a.nodes, a.namespaces, a.zones,
                                                 a.cluster, a.seed)
    for fname, items in (("namespaces.json", namespaces), ("nodes.json", nodes),
                         ("pods.json", pods)):
        with open(os.path.join(a.out, fname), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items,
                       "metadata": {"resourceVersion": ""}}, f, separators=(",", ":"))
    ips = set(p["status"]["podIP"] for p in pods)
    if len(ips) != len(pods):
        sys.exit("gen_pods.py: %d pods but %d distinct addresses" % (len(pods), len(ips)))
    print(json.dumps({"pods": len(pods), "endpoint_pods": n_ep, "deployments": n_dep,
                      "nodes": len(nodes), "namespaces": len(namespaces),
                      "pod_namespaces": len(set(p["metadata"]["namespace"] for p in pods))}))


if __name__ == "__main__":
    main()
