#!/usr/bin/env python3
"""measure_propagation.py - event sent by the fake API server -> answer
changed in svcdns, measured N times.

  measure_propagation.py CTL_PORT DNS_PORT [N]

Each round modifies service default/probe to a new cluster IP through the
fake server's control port, takes the time the fake server logged the SENT
line for it, and polls svcdns over UDP (127.0.0.1) in a tight loop until the
A record shows the new address. Prints min / median / p90 / max in ms.
"""
import random
import socket
import struct
import sys
import time
import urllib.request


def query(sock, port, name, qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00" + struct.pack(">HH", 1, 1)
    sock.sendto(q, ("127.0.0.1", port))
    data = sock.recv(4096)
    # answer A rdata: the last 4 bytes when ANCOUNT == 1
    if struct.unpack(">H", data[6:8])[0] >= 1:
        return socket.inet_ntoa(data[-4:])
    return None


def ctl(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d/ctl/%s" % (port, path),
                                timeout=10) as r:
        return r.read().decode()


def sent_time(ctlport, rv):
    for line in reversed(ctl(ctlport, "log").splitlines()):
        if " SENT services " in line and (":%d" % rv) in line:
            return float(line.split()[0])
    return None


def main():
    ctlport, dnsport = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1)
    name = "probe.default.svc.cluster.local"
    delays = []
    for i in range(n):
        ip = "10.250.%d.%d" % (i // 250, i % 250 + 1)
        rv = int(ctl(ctlport, "service?name=probe&ip=%s" % ip).split("=")[1])
        seen = None
        deadline = time.time() + 2
        while time.time() < deadline:
            if query(sock, dnsport, name, random.randint(0, 65535)) == ip:
                seen = time.time()
                break
        t0 = sent_time(ctlport, rv)
        if seen is None or t0 is None:
            print("round %d: not seen" % i)
            continue
        delays.append((seen - t0) * 1000)
        time.sleep(0.02)
    delays.sort()
    if not delays:
        sys.exit(1)
    pick = lambda p: delays[min(len(delays) - 1, int(p * len(delays)))]
    print("rounds %d  min %.2f ms  median %.2f ms  p90 %.2f ms  max %.2f ms" %
          (len(delays), delays[0], pick(0.5), pick(0.9), delays[-1]))


if __name__ == "__main__":
    main()
