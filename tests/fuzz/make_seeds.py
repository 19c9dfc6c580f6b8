#!/usr/bin/env python3
"""make_seeds.py - writes the seed corpora of the fuzz targets.

  python3 tests/fuzz/make_seeds.py [OUTDIR]     (default: tests/fuzz/corpus)

corpus/query/               real queries for the demo names (with and without
                            EDNS, every type we answer, mixed case), TCP
                            streams of length-prefixed messages, and the
                            malformed packets of the fault table
corpus/kube_json_document/  the files of zones/demo, as the API server and
                            kubectl print them, plus damaged copies
corpus/kube_json_watch/     watch streams (ADDED, MODIFIED, DELETED,
                            BOOKMARK, ERROR), preceded by the 3 control bytes
                            fuzz_kube_json_watch reads (default kind, largest
                            chunk, split seed)
corpus/kubeconfig/          kubeconfig files in the shapes kubectl writes

Deterministic: running it again gives the same files (named by content
hash), so the committed corpus only changes when this script does.
Standard library only.
"""

import base64
import hashlib
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = os.path.join(HERE, "..", "..", "zones", "demo")

T = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
     "AAAA": 28, "SRV": 33, "OPT": 41, "DS": 43, "IXFR": 251, "AXFR": 252,
     "ANY": 255, "CAA": 257, "TYPE65000": 65000}

NAMES = [
    ("kubernetes.default.svc.cluster.local", "A"),
    ("KuBeRnEtEs.Default.SVC.cluster.LOCAL", "A"),
    ("kubernetes.default.svc.cluster.local", "AAAA"),
    ("_https._tcp.kubernetes.default.svc.cluster.local", "SRV"),
    ("web.shop.svc.cluster.local", "SRV"),
    ("web.shop.svc.cluster.local", "A"),
    ("_http._tcp.web.shop.svc.cluster.local", "SRV"),
    ("10-244-1-5.web.shop.svc.cluster.local", "A"),
    ("frontend.shop.svc.cluster.local", "AAAA"),
    ("fd00-10-244-1--8.frontend.shop.svc.cluster.local", "AAAA"),
    ("db.data.svc.cluster.local", "A"),
    ("db-0.db.data.svc.cluster.local", "A"),
    ("_postgres._tcp.db.data.svc.cluster.local", "SRV"),
    ("zk.data.svc.cluster.local", "SRV"),
    ("payments.shop.svc.cluster.local", "CNAME"),
    ("storefront.shop.svc.cluster.local", "A"),
    ("external-db.data.svc.cluster.local", "SRV"),
    ("kube-dns.kube-system.svc.cluster.local", "A"),
    ("cluster.local", "SOA"),
    ("cluster.local", "NS"),
    ("ns.dns.cluster.local", "A"),
    ("dns-version.cluster.local", "TXT"),
    ("svc.cluster.local", "A"),
    ("shop.svc.cluster.local", "A"),
    ("nosuch.shop.svc.cluster.local", "A"),
    ("web.shop.svc.cluster.local", "MX"),
    ("10-244-1-5.shop.pod.cluster.local", "A"),
    ("fd00--1.shop.pod.cluster.local", "AAAA"),
    ("1.0.96.10.in-addr.arpa", "PTR"),
    ("20.100.96.10.in-addr.arpa", "PTR"),
    ("5.1.244.10.in-addr.arpa", "PTR"),
    ("96.10.in-addr.arpa", "SOA"),
    ("8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.4.4.2.0.0.1.0.0.0.0.d.f.ip6.arpa",
     "PTR"),
    ("web.example.internal", "A"),
    ("example.internal", "SOA"),
    ("example.com", "A"),
    ("", "NS"),
    ("cluster.local", "ANY"),
    ("cluster.local", "AXFR"),
    ("cluster.local", "IXFR"),
    ("web.shop.svc.cluster.local", "TYPE65000"),
    ("web.shop.svc.cluster.local", "CAA"),
]


def name(n):
    out = b""
    for label in n.split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def opt(size=1232, version=0, do=False, rdata=b""):
    ttl = (version << 16) | (0x8000 if do else 0)
    return b"\0" + struct.pack("!HHIH", 41, size, ttl, len(rdata)) + rdata


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def query(n, t, qid=0x1234, rd=True, edns=None, cls=1, opcode=0, **kw):
    flags = (opcode << 11) | (0x0100 if rd else 0)
    m = header(qid, flags, ar=1 if edns is not None else 0)
    m += name(n) + struct.pack("!HH", T.get(t, 1) if isinstance(t, str) else t, cls)
    if edns is not None:
        m += opt(edns, **kw)
    return m


def tcp(*msgs):
    return b"".join(struct.pack("!H", len(m)) + m for m in msgs)


def queries():
    out = []
    for i, (n, t) in enumerate(NAMES):
        out.append(query(n, t, qid=0x1000 + i))
        out.append(query(n, t, qid=0x2000 + i, edns=1232))
        out.append(query(n, t, qid=0x3000 + i, edns=4096, do=True, rd=False))
    q = query("kubernetes.default.svc.cluster.local", "A")
    qe = query("web.shop.svc.cluster.local", "SRV", edns=512)
    out += [
        query("web.shop.svc.cluster.local", "SRV", edns=0),
        query("web.shop.svc.cluster.local", "SRV", edns=65535),
        query("web.shop.svc.cluster.local", "A", edns=1232, version=1),
        query("web.shop.svc.cluster.local", "A", edns=1232,
              rdata=struct.pack("!HH", 10, 8) + b"cookie!!"),
        query("web.shop.svc.cluster.local", "A", cls=3),       # CHAOS
        query("web.shop.svc.cluster.local", "A", cls=255),     # ANY class
        query("web.shop.svc.cluster.local", "A", opcode=2),    # STATUS
        query("web.shop.svc.cluster.local", "A", opcode=5),    # UPDATE
        query("web.shop.svc.cluster.local", "A", opcode=15),
        query("web.shop.svc.cluster.local", "OPT"),
        # autopath, asked by db-0 (namespace data): names under its
        # search suffix that do not exist
        query("kubernetes.default.data.svc.cluster.local", "A"),
        query("web.shop.data.svc.cluster.local", "SRV", edns=1232),
        query("Kubernetes.Default.data.svc.cluster.local", "AAAA"),
        query("db-0.db.data.data.svc.cluster.local", "A"),
        query("shop.svc.data.svc.cluster.local", "TXT"),
        query("www.example.com.data.svc.cluster.local", "A", edns=512),
        tcp(q), tcp(q, qe), tcp(q, q[:20]), tcp(qe) + b"\xff\xff",
        struct.pack("!H", 0) + tcp(q),
        # malformed: a response, short, truncated, counts
        bytes([q[0], q[1], q[2] | 0x80]) + q[3:],
        q[:11], q[:12], q[:20], q[:-1], q[:-4],
        header(1, qd=0),
        header(2, qd=0) + name("web.shop.svc.cluster.local") + b"\0\1\0\1",
        header(3, qd=2) + (name("a.cluster.local") + b"\0\1\0\1") * 2,
        header(4, an=1) + name("web.shop.svc.cluster.local") + b"\0\1\0\1",
        header(5, ns=1) + name("web.shop.svc.cluster.local") + b"\0\1\0\1",
        header(6, ar=3) + name("cluster.local") + b"\0\1\0\1" + opt(),
        header(7, ar=2) + name("cluster.local") + b"\0\1\0\1" + opt() + opt(),
        header(8, ar=1) + name("cluster.local") + b"\0\1\0\1" + b"\xc0\x0c" +
        struct.pack("!HHIH", 41, 1232, 0, 0),
        header(9, ar=1) + name("cluster.local") + b"\0\1\0\1" + opt()[:-2],
        header(10, ar=1) + name("cluster.local") + b"\0\1\0\1" +
        b"\0" + struct.pack("!HHIH", 41, 1232, 0, 40) + b"\0" * 4,
        # names: label > 63, name > 255, compression in the question, loops
        header(11) + b"\x40" + b"a" * 64 + b"\0\0\1\0\1",
        header(12) + (b"\x3f" + b"a" * 63) * 4 + b"\0\0\1\0\1",
        header(13) + (b"\x3f" + b"a" * 63) * 3 + b"\x3d" + b"b" * 61 + b"\0\0\1\0\1",
        header(14) + b"\xc0\x0c\0\1\0\1",
        header(15) + b"\x03www\xc0\x0c\0\1\0\1",
        header(16) + b"\x80abc\0\0\1\0\1",
        header(17) + b"\x03web\x04shop",
        header(18) + b"\0",
        header(19) + b"\0\0\1",
        b"",
        b"\x12\x34",
    ]
    return out


def json_documents():
    out = []
    for f in sorted(os.listdir(ZONES)):
        if f.endswith(".json"):
            with open(os.path.join(ZONES, f), "rb") as fp:
                out.append(fp.read())
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "shop",
                        "resourceVersion": "7"},
           "spec": {"clusterIP": "10.96.0.7", "clusterIPs": ["10.96.0.7", "fd00::7"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                               "targetPort": "http"}]}}
    out.append(json.dumps(svc).encode())
    out.append(json.dumps({"kind": "ServiceList", "apiVersion": "v1",
                           "metadata": {"resourceVersion": "9", "continue": "abc"},
                           "items": [svc["metadata"] and
                                     {k: v for k, v in svc.items() if k != "kind"}]}
                          ).encode())
    bad = dict(svc, spec={"clusterIP": 7, "ports": {"port": "x"}})
    out.append(json.dumps(bad).encode())
    out.append(json.dumps(dict(svc, metadata={})).encode())
    out.append(json.dumps({"kind": "Status", "status": "Failure",
                           "message": "too old resource version", "code": 410}
                          ).encode())
    huge = dict(svc, spec={"clusterIP": "None",
                           "ports": [{"port": p} for p in range(300)]})
    out.append(json.dumps(huge).encode())
    # damaged copies: truncated, a byte flipped
    first = out[0]
    out += [first[: len(first) // 2], first[:1], b"{", b"[]", b"null", b"{}" * 3,
            b'{"items":[{"kind":"Service","metadata":{"name":"' + b"a" * 300 + b'"}}]}',
            b'{"kind":"Service","metadata":{"name":"a\\u0000b","namespace":"\\ud800"}}']
    return out


def watch_streams():
    def ev(t, obj):
        return json.dumps({"type": t, "object": obj}).encode() + b"\n"

    svc = {"kind": "Service", "apiVersion": "v1",
           "metadata": {"name": "web", "namespace": "shop", "resourceVersion": "100"},
           "spec": {"clusterIP": "10.96.100.20", "clusterIPs": ["10.96.100.20"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP",
                               "targetPort": 8080}]}}
    slc = {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
           "metadata": {"name": "web-abc", "namespace": "shop", "resourceVersion": "101",
                        "labels": {"kubernetes.io/service-name": "web"}},
           "addressType": "IPv4",
           "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True},
                          "hostname": "web-0",
                          "targetRef": {"kind": "Pod", "name": "web-0"}},
                         {"addresses": ["10.244.2.6"], "conditions": {"ready": False}}],
           "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}
    eps = {"kind": "Endpoints", "apiVersion": "v1",
           "metadata": {"name": "external-db", "namespace": "data"},
           "subsets": [{"addresses": [{"ip": "192.168.10.20"}],
                        "ports": [{"name": "mysql", "port": 3306}]},
                       {"notReadyAddresses": [{"ip": "192.168.10.21"}],
                        "ports": [{"port": 3307}]}]}
    pod = {"kind": "Pod", "metadata": {"name": "web-0", "namespace": "shop"},
           "spec": {"hostname": "web-0", "subdomain": "web"},
           "status": {"phase": "Running", "podIP": "10.244.1.5",
                      "podIPs": [{"ip": "10.244.1.5"}, {"ip": "fd00::5"}]}}
    ns = {"kind": "Namespace", "metadata": {"name": "shop", "resourceVersion": "5"}}
    mod = json.loads(json.dumps(svc))
    mod["metadata"]["resourceVersion"] = "102"
    mod["spec"]["ports"].append({"name": "https", "port": 443, "targetPort": "https"})
    nokind = {k: v for k, v in svc.items() if k != "kind"}
    bookmark = {"kind": "Service", "apiVersion": "v1",
                "metadata": {"resourceVersion": "12345",
                             "annotations": {"k8s.io/initial-events-end": "true"}}}
    status = {"kind": "Status", "apiVersion": "v1", "metadata": {},
              "status": "Failure", "message": "too old resource version: 1 (200)",
              "reason": "Expired", "code": 410}
    s1 = ev("ADDED", svc) + ev("ADDED", slc) + ev("MODIFIED", mod) + \
        ev("BOOKMARK", bookmark) + ev("DELETED", slc)
    streams = [
        (1, 255, 7, s1),
        (0, 0, 1, s1),                       # one byte at a time
        (1, 3, 9, ev("ADDED", nokind) + ev("DELETED", nokind)),
        (0, 16, 3, ev("ADDED", pod) + ev("MODIFIED", ns)),
        (3, 31, 5, ev("ADDED", eps) + ev("MODIFIED", eps)),
        (0, 64, 11, ev("ERROR", status)),
        (1, 8, 13, ev("ADDED", svc) + ev("ERROR", status)),
        (0, 100, 17, ev("BOOKMARK", bookmark) * 3),
        (1, 5, 19, ev("ADDED", svc)[:-20]),  # server vanished mid-event
        (1, 5, 23, ev("WHATEVER", svc) + ev("ADDED", 7) + ev("ADDED", None)),
        (2, 40, 29, json.dumps({"object": slc, "type": "ADDED"}).encode()),
        (1, 12, 31, ev("ADDED", svc).replace(b"\n", b"")  * 2),
        (1, 200, 37, ev("ADDED", {"kind": "Service", "metadata": {"name": "x", "namespace": "y"},
                                  "spec": {"clusterIP": "None",
                                           "ports": [{"port": i} for i in range(100)]}})),
    ]
    return [bytes([k, c, s]) + body for k, c, s, body in streams]


def kubeconfigs():
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    full = f"""apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: {ca.decode()}
- name: other
  cluster:
    server: https://[::1]:6443
    certificate-authority: ca.crt
    insecure-skip-tls-verify: true
contexts:
- name: dev
  context:
    cluster: dev-cluster
    user: admin
    namespace: shop
- name: other
  context: {{cluster: other, user: tok}}
users:
- name: admin
  user:
    client-certificate-data: {ca.decode()}
    client-key-data: {ca.decode()}
- name: tok
  user:
    token: abc.def.ghi
    tokenFile: /var/run/token
""".encode()
    return [
        full,
        full.replace(b"current-context: dev", b"current-context: other"),
        full.replace(b"current-context: dev", b"current-context: nosuch"),
        full.replace(b"user: admin\n    namespace", b"user: ghost\n    namespace"),
        b"current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
        b"clusters: [{name: c, cluster: {server: 'http://x'}}]\n",
        b"current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        b"clusters: [{name: c, cluster: {server: s, certificate-authority-data: '!!'}}]\n"
        b"users: [{name: u, user: {exec: {command: aws}}}]\n",
        b'{"current-context": "a", "contexts": [{"name": "a", "context": '
        b'{"cluster": "c"}}], "clusters": [{"name": "c", "cluster": '
        b'{"server": "https://h"}}]}',
        b"&a [*a]\n",
        b"- a\n- b\n",
        b"current-context: [1, 2]\n",
        b"",
    ]


def write(outdir, target, items):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    for old in os.listdir(d):
        os.unlink(os.path.join(d, old))
    for data in items:
        h = hashlib.sha1(data).hexdigest()
        with open(os.path.join(d, h), "wb") as fp:
            fp.write(data)
    print(f"{target}: {len(set(items))} seeds")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    write(outdir, "query", queries())
    write(outdir, "kube_json_document", json_documents())
    write(outdir, "kube_json_watch", watch_streams())
    write(outdir, "kubeconfig", kubeconfigs())


if __name__ == "__main__":
    main()
