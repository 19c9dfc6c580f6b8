#!/usr/bin/env python3
"""compare_replies.py - two svcdns builds, the same data, every reply byte
for byte: the check a change of the answer path must pass (issue 22).

  bench/compare_replies.py OLD_SVCDNS NEW_SVCDNS [--services N] [--keep DIR]
                           [--show K] [-- extra svcdns options]

The data: bench/gen_cluster.py's cluster of N services (default 400; every
ClusterIP service with 2 endpoints, a tenth headless with hostnames) plus
the demo cluster of zones/. The questions: every owner name that NEW's
--dump-zone prints, each with A, AAAA, SRV, PTR, TXT, CNAME, NS, SOA and
ANY; a miss below each and beside each; the name in mixed letter case;
a _port._proto name without one or both underscores; and gen_cluster's
dnsperf mix. Each is asked over UDP without EDNS, with 1232 and with 512
(truncation), of both servers started side by side on loopback ports with
--loadbalance none --threads 1 (the extra options go to both). A reply is
compared whole, but for its ID and the SOA serial (masked).

Prints the number of questions and replies compared, the first K (default
5) differences, and exits 0 when every reply is the same, 1 when one is
not, 2 on a setup error. python3 standard library only.
"""

import argparse
import glob
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "system"))
import free_port as free_port_py  # noqa: E402  (tests/system/free_port.py)
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16, "AAAA": 28,
         "SRV": 33, "ANY": 255}
ASKED = ["A", "AAAA", "SRV", "PTR", "TXT", "CNAME", "NS", "SOA", "ANY"]
EDNS = (0, 1232, 512)


def wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(name, qtype, edns, qid):
    msg = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg += wire(name) + struct.pack(">HH", TYPES[qtype], 1)
    if edns:
        msg += b"\0" + struct.pack(">HHIH", 41, edns, 0, 0)
    return msg


def free_port():
    """A loopback port free for UDP and TCP, below the ephemeral range."""
    port = free_port_py.free_port()
    if port is None:
        sys.exit("compare_replies: no free port")
    return port


class Server:
    """One svcdns on a loopback port, and a socket that asks it."""

    def __init__(self, binary, data, extra, log):
        self.port = free_port()
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [binary, "--dir", data, "--listen", "127.0.0.1", "--port", str(self.port),
             "--upstream", "none", "--http", "127.0.0.1:0", "--loadbalance", "none",
             "--threads", "1", "--lameduck", "0"] + extra,
            stdout=self.log, stderr=self.log)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.serial = None
        for _ in range(300):  # up to about 30 s
            if self.proc.poll() is not None:
                sys.exit("compare_replies: %s exited at start (log %s)" % (binary, log))
            try:
                reply = self.ask(query("cluster.local", "SOA", 0, 1), timeout=0.1, tries=1)
            except TimeoutError:
                continue
            if reply and (reply[3] & 0x0F) == 0 and reply[7] >= 1:
                self.serial = reply[-20:-16]  # SOA rdata: serial, then 4 x 4 bytes
                return
            time.sleep(0.1)
        sys.exit("compare_replies: %s did not answer (log %s)" % (binary, log))

    def ask(self, msg, timeout=2.0, tries=5):
        self.sock.settimeout(timeout)
        for _ in range(tries):
            self.sock.sendto(msg, ("127.0.0.1", self.port))
            try:
                while True:
                    reply = self.sock.recv(65535)
                    if reply[:2] == msg[:2]:
                        return reply
            except socket.timeout:
                continue
        raise TimeoutError("no reply from port %d" % self.port)

    def masked(self, msg):
        reply = self.ask(msg)
        return b"\0\0" + reply[2:].replace(self.serial, b"SSSS")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.log.close()


def questions(new_binary, data, extra, dnsperf_file):
    """The (name, type) pairs to ask: see the module's docstring."""
    dump = subprocess.run([new_binary, "--dir", data, "--dump-zone"] + extra,
                          capture_output=True, text=True, timeout=120)
    if dump.returncode != 0:
        sys.exit("compare_replies: --dump-zone failed: " + dump.stderr.strip())
    owners = []
    seen = set()
    for line in dump.stdout.splitlines():
        if not line or line[0] in ";$ \t":
            continue
        owner = line.split()[0].lower()
        if owner not in seen:
            seen.add(owner)
            owners.append(owner)
    rnd = random.Random(22)
    out = []
    for owner in owners:
        out += [(owner, t) for t in ASKED]
        out.append(("nope." + owner, "A"))
        out.append((owner.split(".", 1)[0] + "x." + owner.split(".", 1)[-1], "A"))
        out.append(("".join(c.upper() if rnd.random() < 0.5 else c for c in owner), "A"))
        labels = owner.split(".")
        if len(labels) > 2 and labels[0].startswith("_") and labels[1].startswith("_"):
            for first, second in ((labels[0][1:], labels[1][1:]), (labels[0], labels[1][1:]),
                                  (labels[0][1:], labels[1])):
                alias = ".".join([first, second] + labels[2:])
                out += [(alias, "SRV"), (alias, "A")]
    for line in open(dnsperf_file):
        fields = line.split()
        if len(fields) == 2 and fields[1] in TYPES:
            out.append((fields[0], fields[1]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--services", type=int, default=400)
    ap.add_argument("--keep", help="write the data and logs here (kept)")
    ap.add_argument("--show", type=int, default=5)
    ap.add_argument("extra", nargs="*", help="svcdns options for both (after --)")
    args = ap.parse_args()

    work = args.keep or tempfile.mkdtemp(prefix="compare_replies.")
    data = os.path.join(work, "data")
    os.makedirs(data, exist_ok=True)
    dnsperf = os.path.join(work, "dnsperf.txt")
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_cluster.py"),
                          "--services", str(args.services), "--out", data,
                          "--clusterip-endpoints", "2", "--queries", dnsperf,
                          "--nqueries", "2000"], capture_output=True, text=True)
    if gen.returncode != 0:
        sys.exit("compare_replies: gen_cluster.py failed: " + gen.stderr.strip())
    for f in glob.glob(os.path.join(HERE, "..", "zones", "demo", "*.json")):
        shutil.copy(f, data)

    asked = questions(args.new, data, args.extra, dnsperf)
    old = Server(args.old, data, args.extra, os.path.join(work, "old.log"))
    new = Server(args.new, data, args.extra, os.path.join(work, "new.log"))
    differ, compared = [], 0
    try:
        for i, (name, qtype) in enumerate(asked):
            for edns in EDNS:
                msg = query(name, qtype, edns, (i * len(EDNS) + EDNS.index(edns)) & 0xFFFF)
                a, b = old.masked(msg), new.masked(msg)
                compared += 1
                if a != b:
                    differ.append((name, qtype, edns, a, b))
    finally:
        old.stop()
        new.stop()
    print("compare_replies: %d questions, %d replies compared, %d differ"
          % (len(asked), compared, len(differ)))
    for name, qtype, edns, a, b in differ[:args.show]:
        print("  %s %s edns %d\n    old %s\n    new %s" % (name, qtype, edns, a.hex(), b.hex()))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
