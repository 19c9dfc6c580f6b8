#!/usr/bin/python3
"""fixtures.py - writes the cluster and the outside world the resolver suite serves.

    fixtures.py OUT

OUT/cluster/   kubectl-style JSON for svcdns --dir: one List per namespace
OUT/cluster-autopath-pod/, OUT/cluster-autopath-stranger/
               the same cluster and a pods.json, for svcdns --autopath:
               the test "pod" (namespace shop) at 127.0.0.1, the address
               the clients send from, so that svcdns knows them as that
               pod; or at 10.244.0.5, so that 127.0.0.1 is a client it
               does not know (its ordinary walk, with Pods in the map)
OUT/cluster-zone-a/, OUT/cluster-zone-b/, OUT/cluster-zone-a3/,
OUT/cluster-zone-stranger/
               the same cluster and a zones.json, for svcdns --prefer-zone:
               five Nodes in two zones, the headless service "zonal" (eight
               dual-stack endpoint Pods, two on each of four nodes), and the
               test pod at 127.0.0.1 on a zone-a node, or on a zone-b node,
               or on the zone-a node without zonal's pods, or at 10.244.0.5
               (127.0.0.1 then no pod's address)
OUT/nsd/       zone files for NSD, the suite's upstream: example.com (the
               outside names) and the root zone (so that any other outside
               name gets NXDOMAIN, as a recursive upstream would give it)

run.sh holds the expected answers; the address plan below is theirs, so a
change here is a change there. Standard library only.
"""
import json
import os
import sys
import zlib


# ---- Kubernetes objects -------------------------------------------------------

def meta(name, ns=None, labels=None):
    uid = zlib.crc32(("%s/%s" % (ns, name)).encode())  # stable across runs
    m = {"name": name, "uid": "00000000-0000-4000-8000-%012d" % uid,
         "resourceVersion": "1", "creationTimestamp": "2025-01-01T00:00:00Z"}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": meta(name, labels={"kubernetes.io/metadata.name": name}),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def port(name, number, proto="TCP"):
    p = {"port": number, "protocol": proto, "targetPort": number}
    if name:
        p["name"] = name
    return p


def service(ns, name, cluster_ips, ports, families=None):
    """A ClusterIP service; cluster_ips ["None"] makes it headless."""
    if families is None:
        families = ["IPv6" if ":" in ip else "IPv4" for ip in cluster_ips] \
            if cluster_ips != ["None"] else ["IPv4"]
    policy = "RequireDualStack" if len(families) > 1 else "SingleStack"
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, {"app": name}),
            "spec": {"type": "ClusterIP", "clusterIP": cluster_ips[0], "clusterIPs": cluster_ips,
                     "ipFamilies": families, "ipFamilyPolicy": policy, "ports": ports,
                     "selector": {"app": name}, "sessionAffinity": "None",
                     "internalTrafficPolicy": "Cluster"},
            "status": {"loadBalancer": {}}}


def external_name(ns, name, target):
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns),
            "spec": {"type": "ExternalName", "externalName": target, "sessionAffinity": "None"},
            "status": {"loadBalancer": {}}}


def endpoint(ip, hostname=None, ready=True, pod=None):
    e = {"addresses": [ip],
         "conditions": {"ready": ready, "serving": ready, "terminating": False},
         "nodeName": "node-a"}
    if hostname:
        e["hostname"] = hostname
    if pod:
        e["targetRef"] = {"kind": "Pod", "name": pod[1], "namespace": pod[0]}
    return e


def slice_(ns, svc, suffix, endpoints, ports, family="IPv4"):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": family,
            "metadata": meta("%s-%s" % (svc, suffix), ns,
                             {"kubernetes.io/service-name": svc,
                              "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}),
            "endpoints": endpoints,
            "ports": [{"name": p.get("name", ""), "port": p["port"], "protocol": p["protocol"]}
                      for p in ports]}


def pod(ns, name, ip, node="node-a"):
    """A running Pod with one address (what --autopath keeps of it)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, ns, {"app": name}),
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "busybox"}],
                     "dnsPolicy": "ClusterFirst"},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                       "hostIP": "10.0.0.1"}}


def pod_ips(ns, name, ips, node):
    """A running Pod with several addresses (a dual-stack pod's)."""
    p = pod(ns, name, ips[0], node)
    p["status"]["podIPs"] = [{"ip": ip} for ip in ips]
    return p


def pods(client_ip):
    """The Pods of an --autopath run: the test pod of shop at client_ip,
    and one of otherns (so the map never holds only the client)."""
    return [pod("shop", "client", client_ip), pod("otherns", "other", "10.244.7.7")]


# where the test pod is for each --autopath directory (run.sh names them)
AUTOPATH_DIRS = {"cluster-autopath-pod": "127.0.0.1", "cluster-autopath-stranger": "10.244.0.5"}


# ---- --prefer-zone (issue 25) ------------------------------------------------
# Four nodes in two zones, each with the pod CIDRs a dual-stack cluster
# gives a node (/24 and /64 of 10.244.0.0/16 and fd00:10:244::/56):
# NAME, ZONE, the third byte / fourth group of its pods' addresses.
ZONE_NODES = [("node-a1", "zone-a", 21), ("node-a2", "zone-a", 22),
              ("node-b1", "zone-b", 23), ("node-b2", "zone-b", 24)]
# and a zone-a node that runs none of zonal's pods
NODE_A3 = ("node-a3", "zone-a", 25)


def node(name, zone, cidr):
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
              "topology.kubernetes.io/region": "region-1", "topology.kubernetes.io/zone": zone}
    cidrs = ["10.244.%d.0/24" % cidr, "fd00:10:244:%d::/64" % cidr]
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, labels=labels),
            "spec": {"podCIDR": cidrs[0], "podCIDRs": cidrs}}


def zonal_endpoints():
    """The headless service zonal's eight endpoint pods, as (pod name,
    node, zone, IPv4, IPv6): zonal-i on the node i % 4 (zone-a, zone-a,
    zone-b, zone-b, then again), so that the slice interleaves the zones.
    run.sh spells the addresses too."""
    out = []
    for i in range(8):
        name, zone, cidr = ZONE_NODES[i % 4]
        host = 10 + i // 4
        out.append(("zonal-%d" % i, name, zone, "10.244.%d.%d" % (cidr, host),
                    "fd00:10:244:%d::%x" % (cidr, host)))
    return out


def zone_objects(client_ip, client_node):
    """zones.json of a --prefer-zone directory: the Nodes, the service
    zonal in shop (dual stack, headless) with its slices and Pods, the test
    pod of shop at client_ip on client_node, and one of otherns."""
    ports = [port("http", 8080)]
    eps = zonal_endpoints()
    objs = [node(*n) for n in ZONE_NODES + [NODE_A3]]
    objs.append(service("shop", "zonal", ["None"], ports, families=["IPv4", "IPv6"]))
    for family, col in (("IPv4", 3), ("IPv6", 4)):
        items = []
        for e in eps:
            ep = endpoint(e[col], pod=("shop", e[0]))
            ep["nodeName"] = e[1]
            ep["zone"] = e[2]  # what the controller copies (svcdns reads the Pod's node)
            items.append(ep)
        objs.append(slice_("shop", "zonal", family.lower(), items, ports, family))
    objs += [pod_ips("shop", e[0], [e[3], e[4]], e[1]) for e in eps]
    objs += [pod("shop", "client", client_ip, client_node), pod("otherns", "other", "10.244.7.7")]
    return objs


# where the test pod is, and on which node, for each --prefer-zone directory
ZONE_DIRS = {"cluster-zone-a": ("127.0.0.1", "node-a1"), "cluster-zone-b": ("127.0.0.1", "node-b1"),
             "cluster-zone-a3": ("127.0.0.1", "node-a3"),
             "cluster-zone-stranger": ("10.244.0.5", "node-a1")}


def hl600_ip(i):
    """The i-th (0-based) address of the 600-endpoint service; run.sh spells it too."""
    return "10.245.%d.%d" % (i // 250, i % 250 + 1)


def cluster():
    """Every object, by the file (namespace) it goes in."""
    files = {}

    # shop: the namespace the test "pod" lives in (resolv.conf searches it first)
    web_ports = [port("http", 80), port("https", 443)]
    hl3_ports = [port("db", 5432)]
    hl600_ports = [port("http", 8080)]
    files["shop"] = [
        namespace("shop"),
        # ClusterIP, IPv4, two named ports
        service("shop", "web", ["10.96.100.20"], web_ports),
        slice_("shop", "web", "a", [endpoint("10.244.1.5"), endpoint("10.244.2.6")], web_ports),
        # ClusterIP, dual stack
        service("shop", "frontend", ["10.96.200.10", "fd00:10:96::c8"], [port("http", 80)]),
        # ClusterIP, IPv6 only
        service("shop", "v6svc", ["fd00:10:96::6"], [port("grpc", 9000)]),
        # headless with hostnames: three ready pods, one not ready (never answered)
        service("shop", "hl3", ["None"], hl3_ports),
        slice_("shop", "hl3", "a", [
            endpoint("10.244.3.10", "hl3-0", pod=("shop", "hl3-0")),
            endpoint("10.244.3.11", "hl3-1", pod=("shop", "hl3-1")),
            endpoint("10.244.3.12", "hl3-2", pod=("shop", "hl3-2")),
            endpoint("10.244.3.13", "hl3-3", ready=False, pod=("shop", "hl3-3")),
        ], hl3_ports),
        # headless, 600 ready endpoints without hostnames, in slices of 100
        # as the EndpointSlice controller makes them
        service("shop", "hl600", ["None"], hl600_ports),
    ] + [slice_("shop", "hl600", "s%d" % s,
                [endpoint(hl600_ip(i)) for i in range(s * 100, s * 100 + 100)], hl600_ports)
         for s in range(6)] + [
        # ExternalName to a name in the cluster zone
        external_name("shop", "storefront", "web.shop.svc.cluster.local"),
        # ExternalName to outside names (NSD's example.com)
        external_name("shop", "payments", "dual.example.com"),
        external_name("shop", "ext-v4", "v4only.example.com"),
        external_name("shop", "ext-big", "big.example.com"),
    ]

    # otherns: reached from shop by the short name "svc.otherns"
    files["otherns"] = [
        namespace("otherns"),
        service("otherns", "svc", ["10.96.50.5"], [port("http", 80)]),
    ]

    # testns: one pod IP behind two headless services, with a hostname in
    # both (CoreDNS's "double-ep" case): its PTR has one name per service
    files["testns"] = [namespace("testns")]
    for svc in ("svc1", "svc2"):
        files["testns"] += [
            service("testns", svc, ["None"], [port("http", 80)]),
            slice_("testns", svc, "a", [endpoint("10.244.9.9", "double-ep", pod=("testns", "double-ep"))],
                   [port("http", 80)]),
        ]

    # podns: a namespace with no services at all
    files["podns"] = [namespace("podns")]
    return files


# ---- the outside world (NSD) --------------------------------------------------

EXAMPLE_COM = """\
; example.com: the outside names svcdns forwards to NSD.
$ORIGIN example.com.
$TTL 300
@        SOA   ns.example.com. hostmaster.example.com. 2025010101 3600 900 604800 300
@        NS    ns.example.com.
ns       A     127.0.0.2
v4only   A     192.0.2.10
dual     A     192.0.2.20
dual     AAAA  2001:db8::20
alias    CNAME dual.example.com.
www      CNAME v4only.example.com.
"""

# The root zone makes NSD answer NXDOMAIN for every other name, as the
# recursive resolver upstream of a real cluster DNS would (without it NSD
# answers REFUSED, and svcdns turns that into a failure).
ROOT = """\
$ORIGIN .
$TTL 300
.        SOA   ns.example.com. hostmaster.example.com. 2025010101 3600 900 604800 300
.        NS    ns.example.com.
"""


def big_ip(i):
    """The i-th (1-based) of big.example.com's 150 addresses; run.sh spells it too."""
    return "198.51.100.%d" % i


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: fixtures.py OUT")
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "nsd"), exist_ok=True)
    files = cluster()
    dirs = {"cluster": files}
    for d, ip in AUTOPATH_DIRS.items():
        dirs[d] = dict(files, pods=pods(ip))
    for d, (ip, where) in ZONE_DIRS.items():
        dirs[d] = dict(files, zones=zone_objects(ip, where))
    for d, content in dirs.items():
        os.makedirs(os.path.join(out, d), exist_ok=True)
        for ns, items in content.items():
            with open(os.path.join(out, d, ns + ".json"), "w") as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {}}, f, indent=1)
                f.write("\n")
    with open(os.path.join(out, "nsd", "example.com.zone"), "w") as f:
        f.write(EXAMPLE_COM)
        f.write("; 150 addresses: more than a 1232-byte UDP answer holds\n")
        for i in range(1, 151):
            f.write("big      A     %s\n" % big_ip(i))
    with open(os.path.join(out, "nsd", "root.zone"), "w") as f:
        f.write(ROOT)


if __name__ == "__main__":
    main()
