#!/usr/bin/env python3
"""updates.py - drive Service updates through the fake API server's control
port and time them as seen in DNS answers.

  updates.py latency --ctl PORT --dns PORT --cluster DIR --count K --budget S
      K times (at most S seconds in all): change one ClusterIP service's
      clusterIP with /ctl/put, then query its A record on 127.0.0.1:PORT
      (raw UDP, no tools in between) until the new address is answered.
      Prints one JSON line: count, p50/p99/max in ms, measured from the
      moment the update is sent to the fake server's control port to the
      first answer carrying the new address: the fake server's handling and
      watch delivery (python) + parse + apply + publish + one query round
      trip; an upper bound of svcdns's own part.
  updates.py stream --ctl PORT --cluster DIR --rate R --duration S [--ready-file F]
      R updates per second for S seconds, without looking at the answers.
      Reading DIR's services takes seconds of CPU at 100k; F is created once
      that is done, just before the first update, so that a caller can keep
      the reading out of what it measures.
python3 standard library only; every loop is bounded in count and time.
"""

import argparse
import json
import os
import random
import socket
import struct
import sys
import time


def load_services(cluster):
    with open(os.path.join(cluster, "services.json")) as f:
        items = json.load(f)["items"]
    return [s for s in items if s["spec"].get("clusterIP") not in (None, "None")]


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


class Ctl:
    """POST /ctl/put in one segment (TCP_NODELAY), so that no Nagle /
    delayed-ACK wait hides inside the timings."""

    def __init__(self, port):
        self.port = port
        self.sock = None

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def put(self, obj):
        if not self.send(obj):
            return 0
        try:
            return self.response()
        except OSError:
            self.sock.close()
            self.sock = None
            return 0

    def send(self, obj):
        body = json.dumps(obj, separators=(",", ":")).encode()
        req = (b"POST /ctl/put?resource=services HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % len(body)) + body
        for attempt in range(3):
            try:
                if self.sock is None:
                    self.connect()
                self.sock.sendall(req)
                return True
            except OSError:
                if self.sock:
                    self.sock.close()
                self.sock = None
        return False

    def recv(self):
        # ack at once: the server writes headers and body separately without
        # TCP_NODELAY, and a delayed ACK would hold its body for ~40 ms
        self.sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, "TCP_QUICKACK", 12), 1)
        d = self.sock.recv(65536)
        if not d:
            raise OSError("closed")
        return d

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.recv()
        head, rest = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        n = 0
        for l in lines[1:]:
            if l.lower().startswith(b"content-length:"):
                n = int(l.split(b":")[1])
        while len(rest) < n:
            rest += self.recv()
        self.buf = rest[n:]
        return status


def new_ip(i):
    v = (10 << 24) | (120 << 16) | (i & 0xffff)
    return "%d.%d.%d.%d" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255)


def update(svc, i):
    obj = json.loads(json.dumps(svc))
    ip = new_ip(i)
    obj["spec"]["clusterIP"] = ip
    obj["spec"]["clusterIPs"] = [ip]
    return obj, ip


def latency(a):
    svcs = load_services(a.cluster)
    rnd = random.Random(7)
    ctl = Ctl(a.ctl)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(("127.0.0.1", a.dns))
    sock.settimeout(0.002)
    lats, missed = [], 0
    deadline = time.monotonic() + a.budget
    qid = 0
    for i in range(a.count):
        if time.monotonic() > deadline:
            break
        svc = svcs[rnd.randrange(len(svcs))]
        obj, ip = update(svc, i + 1)
        md = svc["metadata"]
        qname = encode_name("%s.%s.svc.cluster.local" % (md["name"], md["namespace"]))
        want = socket.inet_aton(ip)
        t0 = time.monotonic()
        if not ctl.send(obj):
            missed += 1
            continue
        seen = None
        while time.monotonic() - t0 < 5.0:
            qid = (qid + 1) & 0xffff
            sock.send(struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname +
                      struct.pack(">HH", 1, 1))
            end = time.monotonic() + 0.002
            while time.monotonic() < end:
                try:
                    resp = sock.recv(4096)
                except socket.timeout:
                    break
                if struct.unpack(">H", resp[:2])[0] == qid:
                    if want in resp[12 + len(qname) + 4:]:
                        seen = time.monotonic()
                    break
            if seen:
                break
        try:
            status = ctl.response()     # read only now: polling started at once
        except OSError:
            status = 0
            if ctl.sock:
                ctl.sock.close()
            ctl.sock = None
        if seen is None or status != 200:
            missed += 1
        else:
            lats.append((seen - t0) * 1000.0)
        svc["spec"]["clusterIP"] = ip   # later updates of it start from here
    lats.sort()

    def pct(p):
        return round(lats[min(len(lats) - 1, int(p * len(lats)))], 3) if lats else None
    print(json.dumps({"count": len(lats), "missed": missed, "p50_ms": pct(0.50),
                      "p99_ms": pct(0.99), "max_ms": round(lats[-1], 3) if lats else None}))


def stream(a):
    svcs = load_services(a.cluster)
    rnd = random.Random(11)
    ctl = Ctl(a.ctl)
    if a.ready_file:
        open(a.ready_file, "w").close()
    t_start = time.monotonic()
    n = 0
    total = int(a.rate * a.duration)
    while n < total:
        target = t_start + n / a.rate
        now = time.monotonic()
        if target > now:
            time.sleep(target - now)
        if now - t_start > a.duration + 5:
            break
        obj, _ = update(svcs[rnd.randrange(len(svcs))], 5000 + n)
        ctl.put(obj)
        n += 1
    print(json.dumps({"updates": n, "seconds": round(time.monotonic() - t_start, 2)}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("latency", "stream"))
    ap.add_argument("--ctl", type=int, required=True)
    ap.add_argument("--dns", type=int, default=0)
    ap.add_argument("--cluster", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--budget", type=float, default=120)
    ap.add_argument("--rate", type=float, default=100)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--ready-file", default="")
    a = ap.parse_args()
    if a.mode == "latency":
        latency(a)
    else:
        stream(a)


if __name__ == "__main__":
    main()
