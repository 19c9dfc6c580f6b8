#!/usr/bin/env python3
"""upstream.py - a test upstream DNS server for the forwarding tests
(standard library only), and a small client to go with it.

  upstream.py serve --port P --log FILE [--control FILE] [--ready FILE]
                    [--tag TAG] [--addr 127.0.0.1]
      answers UDP and TCP on ADDR:P (loopback only) from a built-in test
      zone, logs every query it receives as one JSON line to FILE (time,
      transport, id, rd/cd/ad flags, qname as received, qtype, qclass,
      EDNS present/size/DO, source port, the mode applied), and creates
      READY once its sockets are bound.

      The zone (TTLs chosen so tests can reason about them):
        www.example.test.    300 A 192.0.2.1 / 300 AAAA 2001:db8::1
        example.test.        300 MX 10 mx.example.test.
        mx.example.test.     300 A 192.0.2.25
        txt.example.test.    300 TXT "hello from upstream"
        alias.example.test.   60 CNAME www.example.test.
        minttl.example.test. 100 A 192.0.2.10, 7 A 192.0.2.11 (min TTL 7)
        tick{,2,3}.example.test. 2 A 192.0.2.3 (expire fast)
        pf.example.test.      20 A 192.0.2.77 (prefetch: a tenth is 2 s)
        rr.example.test.     300 A 192.0.2.41 ... 192.0.2.48 (8), AAAA
                             2001:db8::41 ... ::43 (3), in that order
        big.example.test.    300 TXT x 40 strings of 100 bytes (~4.5 KB)
        who.<anything>.        5 TXT "<TAG>" (which upstream answered)
        *.pos.example.test.  300 A 192.0.2.99 (fresh positive names)
        <any name>            SOA-backed NXDOMAIN; a name above that exists
                              with another type: NODATA.
        SOA example.test. 60 SOA ns.example.test. hostmaster.example.test.
                          1 3600 600 86400 MINIMUM (MINIMUM = soa_min,
                          default 3, so negative answers live 3 s)
      Every other apex (corp.example etc.) gets the same SOA shape with
      its own owner name.

      Misbehaviour: the control file holds one JSON object, re-read when
      its mtime changes (write a temp file and rename it over):
        {"mode": M, "delay_ms": N, "count": K, "then_good": B, "soa_min": S}
      modes: normal, drop, tc (UDP: TC=1 and no records; TCP: full answer),
      tcgarbage / tcdrop (UDP: as tc; TCP: garbage / no answer),
      wrongid, wrongq, garbage, short, servfail, otherport, otheraddr.
      count K: apply the mode to the next K queries only (0 or absent:
      to all). then_good: after the bad reply send the right one 100 ms
      later (a forwarder that was fooled by the bad one has already
      answered). delay_ms applies to every reply (UDP replies are sent
      from a timer, so delays do not serialise queries).

  upstream.py ask PORT NAME TYPE [--id N] [--rd] [--cd] [--do] [--ad]
                  [--bufsize N | --noedns] [--tcp] [--class C] [--n N]
                  [--timeout S] [--slow K]
      sends the query to 127.0.0.1:PORT (N copies at once, each from its
      own socket, with --n) and prints one JSON object per reply (or
      {"error": "timeout"}): id, flags, rcode, the question as echoed, the
      answer/authority records (owner, type, ttl, data), OPT size.
      --timeout (default 3 s) is multiplied by --slow (default 1): the
      tests pass their SVCDNS_TEST_SLOW, a server under valgrind being
      that much slower to answer.

Only loopback is ever contacted; every wait is bounded.
"""

import json
import os
import random
import socket
import struct
import sys
import threading
import time

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "ANY": 255}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {"IN": 1, "CH": 3, "HS": 4}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED"}


# ---- wire helpers -------------------------------------------------------------
def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            b = label.encode("latin-1")
            out += bytes([len(b)]) + b
    return out + b"\x00"


def read_name(msg, off):
    labels, end, hops = [], None, 0
    while True:
        if off >= len(msg):
            raise ValueError("name past end")
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("pointer past end")
            if end is None:
                end = off + 2
            hops += 1
            if hops > 64:
                raise ValueError("pointer loop")
            off = ((ln & 0x3F) << 8) | msg[off + 1]
            continue
        if ln & 0xC0:
            raise ValueError("bad label")
        if ln == 0:
            return ".".join(labels) + ".", (end if end is not None else off + 1)
        if off + 1 + ln > len(msg):
            raise ValueError("label past end")
        labels.append(msg[off + 1:off + 1 + ln].decode("latin-1"))
        off += 1 + ln


def rr(owner, rtype, ttl, rdata, rclass=1):
    return encode_name(owner) + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def txt_rdata(*strings):
    out = b""
    for s in strings:
        b = s.encode()
        out += bytes([len(b)]) + b
    return out


# ---- the zone -----------------------------------------------------------------
def soa_rr(apex, soa_min):
    rdata = (encode_name("ns." + apex) + encode_name("hostmaster." + apex) +
             struct.pack("!IIIII", 1, 3600, 600, 86400, soa_min))
    return rr(apex, 6, 60, rdata)


def zone_records():
    z = {}

    def add(name, rtype, ttl, rdata):
        z.setdefault(name, []).append((rtype, ttl, rdata))

    add("www.example.test.", 1, 300, socket.inet_pton(socket.AF_INET, "192.0.2.1"))
    add("www.example.test.", 28, 300, socket.inet_pton(socket.AF_INET6, "2001:db8::1"))
    add("example.test.", 15, 300, struct.pack("!H", 10) + encode_name("mx.example.test."))
    add("mx.example.test.", 1, 300, socket.inet_pton(socket.AF_INET, "192.0.2.25"))
    add("txt.example.test.", 16, 300, txt_rdata("hello from upstream"))
    add("alias.example.test.", 5, 60, encode_name("www.example.test."))
    add("minttl.example.test.", 1, 100, socket.inet_pton(socket.AF_INET, "192.0.2.10"))
    add("minttl.example.test.", 1, 7, socket.inet_pton(socket.AF_INET, "192.0.2.11"))
    add("pf.example.test.", 1, 20, socket.inet_pton(socket.AF_INET, "192.0.2.77"))
    for i in range(8):
        add("rr.example.test.", 1, 300, socket.inet_pton(socket.AF_INET, "192.0.2.%d" % (41 + i)))
    for i in range(3):
        add("rr.example.test.", 28, 300, socket.inet_pton(socket.AF_INET6, "2001:db8::%d" % (41 + i)))
    for t in ("tick", "tick2", "tick3"):
        add(t + ".example.test.", 1, 2, socket.inet_pton(socket.AF_INET, "192.0.2.3"))
    for i in range(40):
        add("big.example.test.", 16, 300, txt_rdata(("%02d" % i) * 50))
    return z


ZONE = zone_records()


def apex_of(name):
    labels = name.rstrip(".").split(".")
    if len(labels) >= 2:
        return ".".join(labels[-2:]) + "."
    return name if name.endswith(".") else name + "."


class Server:
    def __init__(self, args):
        self.addr = args.get("addr", "127.0.0.1")
        self.port = int(args["port"])
        self.log_path = args["log"]
        self.control = args.get("control")
        self.tag = args.get("tag", "upstream")
        self.ctl = {}
        self.ctl_mtime = None
        self.remaining = 0
        self.lock = threading.Lock()
        self.logf = open(self.log_path, "a", buffering=1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((self.addr, self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((self.addr, self.port))
        self.tcp.listen(64)
        # For "otherport": a second socket on another port of the same address.
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind((self.addr, 0))
        # For "otheraddr": a socket on 127.0.0.2 (still loopback), same port.
        self.otheraddr = None
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.2", self.port))
            self.otheraddr = s
        except OSError:
            pass

    # -- control --
    def policy(self):
        """The mode to apply to this query (and the settings)."""
        with self.lock:
            if self.control:
                try:
                    st = os.stat(self.control)
                    mt = (st.st_ino, st.st_mtime_ns, st.st_size)
                except OSError:
                    mt = None
                if mt != self.ctl_mtime:
                    self.ctl_mtime = mt
                    try:
                        with open(self.control) as f:
                            self.ctl = json.load(f) if mt is not None else {}
                    except (OSError, ValueError):
                        self.ctl = {}
                    self.remaining = int(self.ctl.get("count", 0) or 0)
            ctl = dict(self.ctl)
            mode = ctl.get("mode", "normal")
            if mode != "normal" and ctl.get("count"):
                if self.remaining > 0:
                    self.remaining -= 1
                else:
                    mode = "normal"
            return mode, ctl

    def log(self, entry):
        with self.lock:
            self.logf.write(json.dumps(entry, sort_keys=True) + "\n")

    # -- answers --
    def answer(self, msg, ctl, tcp):
        """The full, correct reply to msg, or None if msg is not a query."""
        if len(msg) < 12:
            return None, None
        qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
        if qd != 1 or flags & 0x8000:
            return None, None
        try:
            qname, off = read_name(msg, 12)
        except ValueError:
            return None, None
        if off + 4 > len(msg):
            return None, None
        qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
        qend = off + 4
        info = {"id": qid, "rd": bool(flags & 0x0100), "cd": bool(flags & 0x0010),
                "ad": bool(flags & 0x0020), "opcode": (flags >> 11) & 0xF,
                "qname": qname, "qtype": TYPE_NAMES.get(qtype, qtype),
                "qclass": qclass, "edns": False, "edns_size": None, "do": False}
        # EDNS
        pos = qend
        try:
            for _ in range(an + ns + ar):
                _, pos = read_name(msg, pos)
                t, c, ttl, rdlen = struct.unpack("!HHIH", msg[pos:pos + 10])
                if t == 41:
                    info["edns"] = True
                    info["edns_size"] = c
                    info["do"] = bool(ttl & 0x8000)
                pos += 10 + rdlen
        except (ValueError, struct.error):
            pass
        soa_min = int(ctl.get("soa_min", 3))
        lname = qname.lower()
        answers, authority = [], []
        rcode = 0
        if lname.split(".")[0] == "who" and qtype == 16:
            answers.append(rr(qname, 16, 5, txt_rdata(self.tag)))
        elif lname.endswith(".pos.example.test."):
            if qtype == 1:
                answers.append(rr(qname, 1, 300, socket.inet_pton(socket.AF_INET, "192.0.2.99")))
            else:
                authority.append(soa_rr("example.test.", soa_min))
        elif lname in ZONE:
            name = lname
            for _ in range(8):
                recs = ZONE.get(name, [])
                hit = [r for r in recs if r[0] == qtype or qtype == 255]
                cname = [r for r in recs if r[0] == 5]
                if hit:
                    answers += [rr(name, t, ttl, d) for (t, ttl, d) in hit]
                    break
                if cname and qtype != 5:
                    answers.append(rr(name, 5, cname[0][1], cname[0][2]))
                    name, _ = read_name(cname[0][2], 0)
                    continue
                break
            if not answers:
                authority.append(soa_rr(apex_of(lname), soa_min))
        elif any(n.endswith("." + lname) for n in ZONE) or lname == apex_of(lname):
            authority.append(soa_rr(apex_of(lname), soa_min))  # empty non-terminal
        else:
            rcode = 3
            authority.append(soa_rr(apex_of(lname), soa_min))
        rflags = 0x8000 | 0x0400 | (flags & 0x0100) | (flags & 0x0010) | rcode
        question = msg[12:qend]
        body = b"".join(answers) + b"".join(authority)
        opt = b""
        if info["edns"]:
            opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0x8000 if info["do"] else 0, 0)
        full = (struct.pack("!HHHHHH", qid, rflags, 1, len(answers), len(authority),
                            1 if opt else 0) + question + body + opt)
        limit = 65535 if tcp else (max(512, info["edns_size"] or 512))
        if len(full) > limit:
            # Real truncation: header and question only, TC set.
            full = (struct.pack("!HHHHHH", qid, rflags | 0x0200, 1, 0, 0, 1 if opt else 0)
                    + question + opt)
        info["_question"] = question
        info["_opt"] = opt
        info["_rflags"] = rflags
        return full, info

    def misbehave(self, mode, good, info, tcp):
        """The packet(s) to send for mode: a list of (bytes, how) where how is
        'same', 'otherport' or 'otheraddr'."""
        qid = info["id"]
        if mode == "drop":
            return []
        if mode in ("tc", "tcgarbage", "tcdrop"):
            if tcp and mode == "tcgarbage":
                return self.misbehave("garbage", good, info, tcp)
            if tcp and mode == "tcdrop":
                return []
            if tcp:
                return [(good, "same")]
            return [(struct.pack("!HHHHHH", qid, info["_rflags"] | 0x0200, 1, 0, 0,
                                 1 if info["_opt"] else 0) + info["_question"] + info["_opt"],
                     "same")]
        if mode == "wrongid":
            bad = struct.pack("!H", qid ^ 0x5a5a) + good[2:]
            return [(bad, "same")]
        if mode == "wrongq":
            q = encode_name("evil.example.test.") + struct.pack("!HH", 1, 1)
            bad = (struct.pack("!HHHHHH", qid, 0x8400, 1, 1, 0, 0) + q +
                   rr("evil.example.test.", 1, 3600,
                      socket.inet_pton(socket.AF_INET, "198.51.100.66")))
            # also a poisoned answer to the right name under the wrong question
            return [(bad, "same")]
        if mode == "garbage":
            rnd = random.Random(qid)
            bad = struct.pack("!H", qid) + bytes(rnd.randrange(256) for _ in range(60))
            return [(bad, "same")]
        if mode == "short":
            return [(good[:7], "same")]
        if mode == "servfail":
            return [(struct.pack("!HHHHHH", qid, (info["_rflags"] & ~0x040F) | 2, 1, 0, 0, 0)
                     + info["_question"], "same")]
        if mode == "otherport":
            return [(good, "otherport")]
        if mode == "otheraddr":
            return [(good, "otheraddr")]
        return [(good, "same")]

    # -- UDP --
    def udp_loop(self):
        while True:
            try:
                msg, peer = self.udp.recvfrom(65535)
            except OSError:
                return
            mode, ctl = self.policy()
            good, info = self.answer(msg, ctl, False)
            if info is None:
                self.log({"t": time.time(), "transport": "udp", "malformed": True})
                continue
            entry = {k: v for k, v in info.items() if not k.startswith("_")}
            entry.update({"t": time.time(), "transport": "udp", "sport": peer[1],
                          "mode": mode})
            self.log(entry)
            pkts = self.misbehave(mode, good, info, False)
            if ctl.get("then_good") and mode not in ("normal", "drop"):
                pkts.append((good, "same-late"))
            delay = int(ctl.get("delay_ms", 0) or 0) / 1000.0
            self.schedule(pkts, peer, delay)

    def schedule(self, pkts, peer, delay):
        def send():
            for pkt, how in pkts:
                try:
                    if how == "otherport":
                        self.other.sendto(pkt, peer)
                    elif how == "otheraddr":
                        if self.otheraddr is not None:
                            self.otheraddr.sendto(pkt, peer)
                    elif how == "same-late":
                        time.sleep(0.1)
                        self.udp.sendto(pkt, peer)
                    else:
                        self.udp.sendto(pkt, peer)
                except OSError:
                    pass
        if delay > 0 or any(h == "same-late" for _, h in pkts):
            t = threading.Timer(delay, send)
            t.daemon = True
            t.start()
        else:
            send()

    # -- TCP --
    def tcp_loop(self):
        while True:
            try:
                conn, peer = self.tcp.accept()
            except OSError:
                return
            th = threading.Thread(target=self.tcp_conn, args=(conn, peer), daemon=True)
            th.start()

    def tcp_conn(self, conn, peer):
        conn.settimeout(10)
        try:
            for _ in range(100):
                hdr = recv_exact(conn, 2)
                if hdr is None:
                    return
                (ln,) = struct.unpack("!H", hdr)
                msg = recv_exact(conn, ln)
                if msg is None:
                    return
                mode, ctl = self.policy()
                good, info = self.answer(msg, ctl, True)
                if info is None:
                    self.log({"t": time.time(), "transport": "tcp", "malformed": True})
                    return
                entry = {k: v for k, v in info.items() if not k.startswith("_")}
                entry.update({"t": time.time(), "transport": "tcp", "sport": peer[1],
                              "mode": mode})
                self.log(entry)
                delay = int(ctl.get("delay_ms", 0) or 0) / 1000.0
                if delay:
                    time.sleep(delay)
                if mode in ("otherport", "otheraddr"):
                    mode = "drop"  # no such thing over TCP: say nothing
                for pkt, how in self.misbehave(mode, good, info, True):
                    conn.sendall(struct.pack("!H", len(pkt)) + pkt)
                if mode in ("drop", "tcdrop"):
                    time.sleep(5.0)
                    return
        except OSError:
            pass
        finally:
            conn.close()

    def run(self, ready):
        for target in (self.udp_loop, self.tcp_loop):
            threading.Thread(target=target, daemon=True).start()
        if ready:
            with open(ready + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(ready + ".tmp", ready)
        # Bounded life: a test that forgets us does not leave us forever.
        for _ in range(3600 * 10):
            time.sleep(0.1)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


# ---- client -------------------------------------------------------------------
def parse_reply(msg):
    r = {"size": len(msg)}
    if len(msg) < 12:
        r["error"] = "short reply"
        return r
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    r.update({"id": qid, "qr": bool(flags & 0x8000), "aa": bool(flags & 0x0400),
              "tc": bool(flags & 0x0200), "rd": bool(flags & 0x0100),
              "ra": bool(flags & 0x0080), "ad": bool(flags & 0x0020),
              "cd": bool(flags & 0x0010), "rcode": RCODES.get(flags & 0xF, flags & 0xF),
              "counts": [qd, an, ns, ar], "answer": [], "authority": [],
              "additional": [], "opt": None})
    try:
        off = 12
        if qd:
            r["qname"], off = read_name(msg, off)
            r["qtype"], r["qclass"] = struct.unpack("!HH", msg[off:off + 4])
            off += 4
        for sec, count in (("answer", an), ("authority", ns), ("additional", ar)):
            for _ in range(count):
                owner, off = read_name(msg, off)
                t, c, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
                off += 10
                rdata = msg[off:off + rdlen]
                if len(rdata) != rdlen:
                    raise ValueError("rdata past end")
                off += rdlen
                if t == 41:
                    r["opt"] = {"size": c, "do": bool(ttl & 0x8000)}
                    continue
                data = rdata.hex()
                if t == 1 and rdlen == 4:
                    data = socket.inet_ntop(socket.AF_INET, rdata)
                elif t == 28 and rdlen == 16:
                    data = socket.inet_ntop(socket.AF_INET6, rdata)
                elif t in (5, 2, 12):
                    data = read_name(msg, off - rdlen)[0]
                elif t == 15:
                    data = "%d %s" % (struct.unpack("!H", rdata[:2])[0],
                                      read_name(msg, off - rdlen + 2)[0])
                elif t == 16:
                    parts, i = [], 0
                    while i < len(rdata):
                        parts.append(rdata[i + 1:i + 1 + rdata[i]].decode("latin-1"))
                        i += 1 + rdata[i]
                    data = " ".join(parts)
                r[sec].append({"owner": owner, "type": TYPE_NAMES.get(t, t),
                               "ttl": ttl, "data": data})
        r["trailing"] = len(msg) - off
    except (ValueError, struct.error) as e:
        r["error"] = str(e)
    return r


def ask(argv):
    port, name, qtype = int(argv[0]), argv[1], argv[2]
    opts = argv[3:]

    def opt(flag, default=None):
        if flag in opts:
            return opts[opts.index(flag) + 1]
        return default
    qid = opt("--id")
    n = int(opt("--n", "1"))
    timeout = float(opt("--timeout", "3")) * int(opt("--slow", "1"))
    bufsize = None if "--noedns" in opts else int(opt("--bufsize", "1232"))
    qclass = CLASSES.get(opt("--class", "IN"), 1)
    flags = 0
    if "--rd" in opts:
        flags |= 0x0100
    if "--cd" in opts:
        flags |= 0x0010
    if "--ad" in opts:
        flags |= 0x0020
    tcp = "--tcp" in opts
    do = "--do" in opts
    t = TYPES.get(qtype.upper())
    if t is None:
        t = int(qtype)
    results = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        my_id = int(qid) if qid is not None else random.randint(0, 0xFFFF)
        msg = struct.pack("!HHHHHH", my_id, flags, 1, 0, 0, 1 if bufsize else 0)
        msg += encode_name(name) + struct.pack("!HH", t, qclass)
        if bufsize:
            msg += b"\x00" + struct.pack("!HHIH", 41, bufsize, 0x8000 if do else 0, 0)
        try:
            if tcp:
                s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.settimeout(timeout)
            try:
                barrier.wait(timeout=timeout)
            except threading.BrokenBarrierError:
                pass
            start = time.time()
            if tcp:
                s.sendall(struct.pack("!H", len(msg)) + msg)
                hdr = recv_exact(s, 2)
                data = recv_exact(s, struct.unpack("!H", hdr)[0]) if hdr else None
            else:
                s.sendto(msg, ("127.0.0.1", port))
                data, _ = s.recvfrom(65535)
            s.close()
            if data is None:
                results[i] = {"error": "closed"}
                return
            r = parse_reply(data)
            r["sent_id"] = my_id
            r["elapsed_ms"] = int((time.time() - start) * 1000)
            results[i] = r
        except (socket.timeout, OSError) as e:
            results[i] = {"error": "timeout" if isinstance(e, socket.timeout) else str(e)}
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout + 5)
    for r in results:
        print(json.dumps(r if r is not None else {"error": "no result"}, sort_keys=True))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "serve":
        args, i = {}, 2
        while i < len(argv):
            if argv[i].startswith("--") and i + 1 < len(argv):
                args[argv[i][2:]] = argv[i + 1]
                i += 2
            else:
                print("usage: upstream.py serve --port P --log FILE ...", file=sys.stderr)
                return 2
        if args.get("addr", "127.0.0.1") not in ("127.0.0.1", "127.0.0.2"):
            print("upstream.py: loopback only", file=sys.stderr)
            return 2
        Server(args).run(args.get("ready"))
        return 0
    if len(argv) >= 5 and argv[1] == "ask":
        return ask(argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
