#!/usr/bin/env python3
"""fake_apiserver.py - a small kube-apiserver stand-in for svcdns's tests.

Speaks the list/watch wire format svcdns uses (python3 standard library only):
  GET <collection>?limit=N[&continue=T]           paged list, one snapshot RV
  GET <collection>?watch=1&resourceVersion=RV&allowWatchBookmarks=true
      &timeoutSeconds=S                            chunked stream of events,
                                                   split at odd byte offsets
  collections: /api/v1/services, /apis/discovery.k8s.io/v1/endpointslices,
               /api/v1/endpoints, /api/v1/pods, /api/v1/namespaces,
               /api/v1/nodes (query parameters other than these, such as
               fieldSelector and labelSelector, are ignored)
A watch from a compacted resourceVersion gets 200 + one ERROR event (code 410),
as the real watch cache does (--gone-http: a plain HTTP 410 instead).
  GET <collection>?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan
      with --watch-list: a WatchList stream, ADDED events for every object,
      then a BOOKMARK annotated k8s.io/initial-events-end, then the watch;
      without it: 422 Invalid, as a server with the WatchList feature off

A second, plain-HTTP control port drives it (GET, query parameters):
  /ctl/service?ns=&name=&ip=10.0.0.1[,fd00::1]|None&port=80[&portname=http]
  /ctl/slice?ns=&name=&service=&ips=a,b[&port=8080&portname=http][&notready=1]
  /ctl/endpoints?ns=&name=&ips=a,b[&port=]        (v1 Endpoints)
  /ctl/namespace?name=         a Namespace (delete: /ctl/delete?resource=namespaces&ns=&name=)
  /ctl/put?resource=services   (POST body: one object as JSON)
  /ctl/delete?resource=services&ns=&name=
  /ctl/compact                 forget all history up to now
  /ctl/close                   cut every open watch (no final chunk)
  /ctl/down?seconds=N          close the API port (connection refused) for N s
  /ctl/malformed?resource=services&mode=syntax|invalid
  /ctl/fail?count=N&status=500[&retry_after=S]   next N API requests fail
  /ctl/slow?seconds=S          delay every API response by S seconds
  /ctl/token?value=T           accepted bearer token from now on
  /ctl/log                     request log, one line per API request:
                               "<t> LIST services limit=500 rv= continue= -> 200"
  /ctl/state                   "rv=N compacted=M watches=K"
The ports are written to --port-file as "api=PORT ctl=PORT" once listening.
"""

import argparse
import base64
import bisect
import json
import random
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "/api/v1/services": ("services", "Service", "v1"),
    "/apis/discovery.k8s.io/v1/endpointslices":
        ("endpointslices", "EndpointSlice", "discovery.k8s.io/v1"),
    "/api/v1/endpoints": ("endpoints", "Endpoints", "v1"),
    "/api/v1/pods": ("pods", "Pod", "v1"),
    "/api/v1/namespaces": ("namespaces", "Namespace", "v1"),
    "/api/v1/nodes": ("nodes", "Node", "v1"),
}
BY_NAME = {v[0]: (path, v[1], v[2]) for path, v in RESOURCES.items()}


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Condition()
        self.rv = 100
        self.compacted = 0          # watches from rv < compacted get 410
        self.objects = {name: {} for name in BY_NAME}   # (ns,name) -> obj
        self.history = []           # (rv, resource, type, obj) sorted by rv
        self.history_rvs = []
        self.snapshots = {}         # continue token -> (rv, [objs])
        self.watch_gen = 0          # bumped by /ctl/close
        self.inject = []            # (gen, resource, raw bytes)
        self.inject_seq = 0
        self.fail = []              # pending failures: (status, retry_after)
        self.slow = 0.0
        self.token = args.token
        self.log = []
        self.watches = 0
        self.down_until = 0.0

    def bump(self):
        self.rv += 1
        return self.rv

    def record(self, resource, etype, obj):
        rv = int(obj["metadata"]["resourceVersion"])
        self.history.append((rv, resource, etype, obj))
        self.history_rvs.append(rv)
        self.lock.notify_all()

    def put(self, resource, obj):
        with self.lock:
            path, kind, api = BY_NAME[resource]
            obj = dict(obj)
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api)
            md = obj.setdefault("metadata", {})
            md["resourceVersion"] = str(self.bump())
            key = (md.get("namespace", ""), md.get("name", ""))
            etype = "MODIFIED" if key in self.objects[resource] else "ADDED"
            self.objects[resource][key] = obj
            self.record(resource, etype, obj)
            return self.rv

    def delete(self, resource, ns, name):
        with self.lock:
            obj = self.objects[resource].pop((ns, name), None)
            if obj is None:
                return None
            obj = json.loads(json.dumps(obj))
            obj["metadata"]["resourceVersion"] = str(self.bump())
            self.record(resource, "DELETED", obj)
            return self.rv

    def compact(self):
        with self.lock:
            self.compacted = self.rv
            self.history = []
            self.history_rvs = []
            self.snapshots = {}
            self.lock.notify_all()

    def add_log(self, line, t=None):
        with self.lock:
            self.log.append("%.6f %s" % (t or time.time(), line))


def status_body(code, reason, message):
    return json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {},
                       "status": "Failure", "message": message,
                       "reason": reason, "code": code}).encode()


def make_service(q):
    ns = q.get("ns", "default")
    ip = q.get("ip", "10.96.0.10")
    spec = {"type": "ClusterIP", "sessionAffinity": "None"}
    if q.get("externalname"):
        spec = {"type": "ExternalName", "externalName": q["externalname"]}
    else:
        ips = ip.split(",")
        spec["clusterIP"] = ips[0]
        spec["clusterIPs"] = ips
    port = int(q.get("port", "80"))
    spec["ports"] = [{"name": q.get("portname", "http"), "protocol":
                      q.get("proto", "TCP"), "port": port,
                      "targetPort": int(q.get("targetport", port))}]
    return {"metadata": {"name": q["name"], "namespace": ns,
                         "uid": "uid-" + q["name"],
                         "managedFields": [{"manager": "kubectl",
                                            "fieldsV1": {"f:spec": {}}}]},
            "spec": spec, "status": {"loadBalancer": {}}}


def make_slice(q):
    ns = q.get("ns", "default")
    ips = [i for i in q.get("ips", "").split(",") if i]
    v6 = any(":" in i for i in ips)
    ready = q.get("notready", "0") != "1"
    eps = [{"addresses": [ip], "conditions": {"ready": ready,
                                               "serving": ready,
                                               "terminating": False},
            "targetRef": {"kind": "Pod", "namespace": ns,
                          "name": "pod-" + ip.replace(".", "-").replace(":", "-")}}
           for ip in ips]
    return {"metadata": {"name": q["name"], "namespace": ns,
                         "generateName": q.get("service", "x") + "-",
                         "labels": {"kubernetes.io/service-name":
                                    q.get("service", q["name"]),
                                    "endpointslice.kubernetes.io/managed-by":
                                    "endpointslice-controller.k8s.io"}},
            "addressType": "IPv6" if v6 else "IPv4",
            "endpoints": eps or None,
            "ports": [{"name": q.get("portname", "http"), "protocol": "TCP",
                       "port": int(q.get("port", "8080"))}]}


def make_endpoints(q):
    ns = q.get("ns", "default")
    ips = [i for i in q.get("ips", "").split(",") if i]
    return {"metadata": {"name": q["name"], "namespace": ns},
            "subsets": [{"addresses": [{"ip": ip} for ip in ips],
                         "ports": [{"name": q.get("portname", "http"),
                                    "port": int(q.get("port", "8080")),
                                    "protocol": "TCP"}]}] if ips else []}


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver/1"
    disable_nagle_algorithm = True  # chunks leave at once, as Go flushes

    def log_message(self, fmt, *args):
        if self.server.state.args.verbose:
            sys.stderr.write("fakeapi: " + (fmt % args) + "\n")

    def setup(self):
        super().setup()
        self.server.conns.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.conns.discard(self.connection)

    def send_simple(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        res = RESOURCES.get(url.path)
        watch = q.get("watch", "") not in ("", "0", "false", "False") \
            if "watch" in q else False
        verb = "WATCH" if watch else "LIST"
        name = res[0] if res else url.path
        desc = "%s %s rv=%s limit=%s continue=%s" % (
            verb, name, q.get("resourceVersion", ""), q.get("limit", ""),
            "yes" if q.get("continue") else "")
        if st.slow:
            time.sleep(st.slow)
        if st.token is not None:
            auth = self.headers.get("Authorization", "")
            if auth != "Bearer " + st.token:
                st.add_log(desc + " -> 401")
                return self.send_simple(401, status_body(
                    401, "Unauthorized", "Unauthorized"))
        with st.lock:
            fail = st.fail.pop(0) if st.fail else None
        if fail:
            code, retry_after = fail
            st.add_log(desc + " -> %d" % code)
            extra = {"Retry-After": str(retry_after)} if retry_after else {}
            if code == 429:
                return self.send_simple(
                    429, b"Too many requests, please try again later.\n",
                    "text/plain; charset=utf-8", extra)
            return self.send_simple(code, status_body(
                code, "InternalError", "injected failure"), extra=extra)
        if res is None or (res[0] == "endpointslices" and
                           st.args.no_endpointslices):
            st.add_log(desc + " -> 404")
            return self.send_simple(404, status_body(
                404, "NotFound", "the server could not find the requested "
                "resource"))
        if watch:
            return self.do_watch(st, res, q, desc)
        return self.do_list(st, res, q, desc)

    def do_list(self, st, res, q, desc):
        resource, kind, api = res
        limit = int(q.get("limit", "0") or 0)
        cont = q.get("continue", "")
        with st.lock:
            if cont:
                snap = st.snapshots.get(cont)
                if snap is None:
                    st.add_log(desc + " -> 410")
                    return self.send_simple(410, status_body(
                        410, "Expired", "The provided continue parameter is "
                        "too old to display a consistent list result."))
                rv, items = snap
            else:
                rv = st.rv
                items = sorted(st.objects[resource].values(),
                               key=lambda o: (o["metadata"].get("namespace", ""),
                                              o["metadata"].get("name", "")))
            page, rest = (items[:limit], items[limit:]) if limit else (items, [])
            meta = {"resourceVersion": str(rv)}
            if rest:
                token = base64.urlsafe_b64encode(json.dumps(
                    {"rv": rv, "n": len(st.snapshots), "r": random.random()}
                ).encode()).decode().rstrip("=")
                st.snapshots[token] = (rv, rest)
                meta["continue"] = token
                meta["remainingItemCount"] = len(rest)
        # items in a list carry no kind/apiVersion, as the real server does
        out = []
        for o in page:
            o = dict(o)
            o.pop("kind", None)
            o.pop("apiVersion", None)
            out.append(o)
        body = json.dumps({"kind": kind + "List", "apiVersion": api,
                           "metadata": meta, "items": out},
                          separators=(",", ":")).encode() + b"\n"
        st.add_log(desc + " -> 200 items=%d" % len(out))
        self.send_simple(200, body)

    def write_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def write_split(self, data):
        # chunk boundaries are not event boundaries: cut at odd offsets
        pos = 0
        while pos < len(data):
            n = random.choice((1, 3, 7, 13, 29, 61, 127, 509, 2048))
            self.write_chunk(data[pos:pos + n])
            pos += n

    def do_watch(self, st, res, q, desc):
        resource, kind, api = res
        try:
            start = int(q.get("resourceVersion", "") or 0)
        except ValueError:
            start = 0
        timeout = float(q.get("timeoutSeconds", "1800") or 1800)
        bookmarks = q.get("allowWatchBookmarks") == "true"
        initial = q.get("sendInitialEvents") == "true"
        if initial:
            desc = desc.replace("WATCH ", "WATCHLIST ", 1)
            if not st.args.watch_list:
                st.add_log(desc + " -> 422")
                return self.send_simple(422, status_body(
                    422, "Invalid", "sendInitialEvents is forbidden for watch "
                    "unless the WatchList feature gate is enabled"))
        with st.lock:
            if start == 0:
                start = st.rv
            too_old = start < st.compacted
            gen = st.watch_gen
            st.watches += 1
            snapshot = sorted(st.objects[resource].values(),
                              key=lambda o: (o["metadata"].get("namespace", ""),
                                             o["metadata"].get("name", ""))) \
                if initial else []
        if too_old and st.args.gone_http:
            st.add_log(desc + " -> 410")
            return self.send_simple(410, status_body(
                410, "Expired", "too old resource version: %d (%d)" %
                (start, st.compacted)))
        st.add_log(desc + " -> 200")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        try:
            if too_old:
                ev = {"type": "ERROR", "object": json.loads(status_body(
                    410, "Expired", "too old resource version: %d (%d)" %
                    (start, st.compacted)))}
                self.write_split(json.dumps(ev).encode() + b"\n")
                self.write_chunk(b"")
                return
            if initial:
                # the state at start as ADDED events, then the bookmark
                # that ends them, at the snapshot's resourceVersion
                evs = [{"type": "ADDED", "object": o} for o in snapshot]
                evs.append({"type": "BOOKMARK", "object": {
                    "kind": kind, "apiVersion": api,
                    "metadata": {"resourceVersion": str(start), "annotations": {
                        "k8s.io/initial-events-end": "true"}}}})
                self.write_split(b"".join(
                    json.dumps(e, separators=(",", ":")).encode() + b"\n"
                    for e in evs))
                st.add_log("SENT %s initial=%d" % (resource, len(snapshot)))
            self.stream(st, resource, kind, api, start, gen, timeout,
                        bookmarks)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with st.lock:
                st.watches -= 1

    def stream(self, st, resource, kind, api, pos, gen, timeout, bookmarks):
        deadline = time.time() + timeout
        next_bm = time.time() + st.args.bookmark_interval
        seen_inject = st.inject_seq
        while True:
            now = time.time()
            with st.lock:
                i = bisect.bisect_right(st.history_rvs, pos)
                while (i >= len(st.history) and st.watch_gen == gen and
                       st.inject_seq == seen_inject and now < deadline and
                       now < next_bm and pos >= st.compacted):
                    st.lock.wait(min(deadline, next_bm) - now)
                    now = time.time()
                    i = bisect.bisect_right(st.history_rvs, pos)
                if st.watch_gen != gen:
                    # cut: no final chunk, like a lost connection
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if pos < st.compacted:
                    evs = [{"type": "ERROR", "object": json.loads(status_body(
                        410, "Expired", "too old resource version: %d (%d)"
                        % (pos, st.compacted)))}]
                    raw = b""
                else:
                    evs = [{"type": t, "object": o} for (rv, r, t, o)
                           in st.history[i:] if r == resource]
                    if i < len(st.history):
                        pos = st.history[-1][0]
                    raw = b"".join(d for (s, r, d) in st.inject
                                   if s > seen_inject and r == resource)
                    seen_inject = st.inject_seq
                    cur = st.rv
            data = b"".join(json.dumps(e, separators=(",", ":")).encode() +
                            b"\n" for e in evs)
            if raw:
                self.write_split(raw)
                if b'"type": "ERROR"' in raw or b'"type":"ERROR"' in raw:
                    # an API server ends the watch after an ERROR event
                    self.write_chunk(b"")
                    return
            if data:
                t_send = time.time()  # before the first byte leaves
                self.write_split(data)
                st.add_log("SENT %s %s" % (resource, " ".join(
                    "%s:%s" % (e["type"], e["object"].get("metadata", {})
                               .get("resourceVersion", "")) for e in evs)), t_send)
            if evs and evs[0]["type"] == "ERROR":
                self.write_chunk(b"")
                return
            now = time.time()
            if now >= deadline:
                self.write_chunk(b"")
                return
            if now >= next_bm:
                next_bm = now + st.args.bookmark_interval
                if bookmarks:
                    pos = max(pos, cur)
                    bm = {"type": "BOOKMARK", "object": {
                        "kind": kind, "apiVersion": api,
                        "metadata": {"resourceVersion": str(pos)},
                        "spec": {}, "status": {"loadBalancer": {}}}}
                    self.write_split(json.dumps(bm).encode() + b"\n")


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, state, tls):
        super().__init__(addr, ApiHandler)
        self.state = state
        self.conns = set()
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request, client_address):
        if self.state.args.verbose:
            super().handle_error(request, client_address)


class Api:
    """The API listener, which /ctl/down can close and reopen."""

    def __init__(self, state, port, tls):
        self.state = state
        self.port = port
        self.tls = tls
        self.srv = None
        self.start()

    def start(self):
        for _ in range(50):
            try:
                self.srv = ApiServer(("127.0.0.1", self.port), self.state,
                                     self.tls)
                break
            except OSError:
                time.sleep(0.1)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def down(self, seconds):
        srv = self.srv
        srv.shutdown()
        srv.server_close()
        for c in list(srv.conns):
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.state.lock:
            self.state.watch_gen += 1
            self.state.lock.notify_all()
        self.state.add_log("DOWN %g" % seconds)

        def later():
            time.sleep(seconds)
            self.start()
            self.state.add_log("UP")
        threading.Thread(target=later, daemon=True).start()


class CtlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.body = self.rfile.read(n) if n else b""
        self.do_GET()

    def do_GET(self):
        st = self.server.state
        api = self.server.api
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        cmd = url.path.rsplit("/", 1)[-1]
        try:
            if cmd == "service":
                rv = st.put("services", make_service(q))
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "slice":
                rv = st.put("endpointslices", make_slice(q))
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "namespace":
                rv = st.put("namespaces", {"metadata": {"name": q["name"]},
                                           "status": {"phase": "Active"}})
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "endpoints":
                rv = st.put("endpoints", make_endpoints(q))
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "put":
                rv = st.put(q["resource"], json.loads(self.body))
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "delete":
                rv = st.delete(q["resource"], q.get("ns", "default"),
                               q["name"])
                return self.reply(200 if rv else 404, "rv=%s\n" % rv)
            if cmd == "compact":
                st.compact()
                return self.reply(200, "compacted=%d\n" % st.compacted)
            if cmd == "close":
                with st.lock:
                    st.watch_gen += 1
                    st.lock.notify_all()
                return self.reply(200, "closed\n")
            if cmd == "down":
                api.down(float(q.get("seconds", "3")))
                return self.reply(200, "down\n")
            if cmd == "errorevent":
                # an ERROR event with a Status code other than 410 (a
                # watch cache hiccup): the client should watch again
                resource = q.get("resource", "services")
                code = int(q.get("code", "500"))
                raw = (json.dumps({"type": "ERROR", "object": {
                    "kind": "Status", "apiVersion": "v1", "status": "Failure",
                    "message": "injected error event", "code": code}}) +
                    "\n").encode()
                with st.lock:
                    st.inject_seq += 1
                    st.inject.append((st.inject_seq, resource, raw))
                    st.lock.notify_all()
                return self.reply(200, "injected\n")
            if cmd == "malformed":
                resource = q.get("resource", "services")
                with st.lock:
                    if q.get("mode", "syntax") == "syntax":
                        raw = (b'{"type":"ADDED","object":{"metadata":'
                               b'{"name":"broken",]]]}\n')
                        st.inject_seq += 1
                        st.inject.append((st.inject_seq, resource, raw))
                        st.lock.notify_all()
                        return self.reply(200, "injected\n")
                # valid JSON, invalid object: no name, bad IP
                obj = {"metadata": {"namespace": "default"},
                       "spec": {"clusterIP": "999.1.2.3",
                                "ports": [{"port": 99999}]}}
                rv = st.put(resource, obj)
                return self.reply(200, "rv=%d\n" % rv)
            if cmd == "fail":
                with st.lock:
                    for _ in range(int(q.get("count", "1"))):
                        st.fail.append((int(q.get("status", "500")),
                                        int(q.get("retry_after", "0"))))
                return self.reply(200, "ok\n")
            if cmd == "slow":
                st.slow = float(q.get("seconds", "0"))
                return self.reply(200, "ok\n")
            if cmd == "token":
                st.token = q.get("value")
                return self.reply(200, "ok\n")
            if cmd == "log":
                with st.lock:
                    return self.reply(200, "".join(l + "\n" for l in st.log))
            if cmd == "state":
                with st.lock:
                    return self.reply(200, "rv=%d compacted=%d watches=%d\n" %
                                      (st.rv, st.compacted, st.watches))
        except (KeyError, ValueError) as e:
            return self.reply(400, "bad request: %r\n" % (e,))
        return self.reply(404, "unknown command %s\n" % cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ctl-port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--token")
    ap.add_argument("--no-endpointslices", action="store_true")
    ap.add_argument("--watch-list", action="store_true",
                    help="offer WatchList streams (sendInitialEvents=true)")
    ap.add_argument("--gone-http", action="store_true",
                    help="answer a compacted watch with HTTP 410")
    ap.add_argument("--bookmark-interval", type=float, default=2.0)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    state = State(args)
    api = Api(state, args.port, tls)
    ctl = ThreadingHTTPServer(("127.0.0.1", args.ctl_port), CtlHandler)
    ctl.daemon_threads = True
    ctl.state = state
    ctl.api = api
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("api=%d ctl=%d\n" % (api.port, ctl.server_address[1]))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    try:
        ctl.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
