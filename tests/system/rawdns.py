#!/usr/bin/env python3
"""rawdns.py - raw DNS packets for the svcdns system tests (standard library only).

  rawdns.py query PORT NAME TYPE [--tcp] [--noedns | --bufsize N]
                                 [--edns-version V] [--class C] [--rd]
                                 [--authority-soa]
      sends one query to 127.0.0.1:PORT and prints the reply as JSON:
      id, flags, rcode (extended when OPT present), counts, size, whether
      it parses as whole records to the last byte, the OPT's payload size,
      and the answer records.

  rawdns.py burst PORT N
      N UDP queries (64 outstanding, 4 sockets, mixed case, with and
      without EDNS); exit 0 when every one got its right answer.

  rawdns.py tcp-limits PORT IDLE CAP
      the TCP idle timeout (IDLE seconds) and connection cap (CAP).

  rawdns.py malformed PORT
      sends a battery of malformed UDP packets and TCP frames; for each,
      the reply must be FORMERR / NOTIMP / REFUSED with the query's ID (or
      no reply where the case allows it), and afterwards a normal query
      must still be answered. Prints "ok ..." / "FAIL ..." lines; exit 0
      when all pass, 1 otherwise.

Only 127.0.0.1 is ever contacted; every wait is bounded.
"""

import json
import random
import socket
import struct
import sys
import time

HOST = "127.0.0.1"
TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "TXT": 16,
         "AAAA": 28, "SRV": 33, "OPT": 41, "IXFR": 251, "AXFR": 252, "ANY": 255}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED", 16: "BADVERS"}
NORMAL = "kubernetes.default.svc.cluster.local"


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label == "":
            continue
        b = label.encode()
        out += bytes([len(b)]) + b
    return out + b"\x00"


def opt_rr(size=1232, version=0, do=False):
    ttl = (version << 16) | (0x8000 if do else 0)
    return b"\x00" + struct.pack("!HHIH", 41, size, ttl, 0)


def soa_rr(zone, serial=1):
    """An SOA record for zone, as an IXFR query carries it (RFC 1995)."""
    rdata = (encode_name("ns." + zone) + encode_name("hostmaster." + zone) +
             struct.pack("!IIIII", serial, 7200, 1800, 86400, 5))
    return encode_name(zone) + struct.pack("!HHIH", 6, 1, 0, len(rdata)) + rdata


def build_query(name, qtype, qclass=1, qid=None, rd=False, edns=None,
                edns_version=0, opcode=0, authority=None):
    if qid is None:
        qid = random.randint(0, 0xFFFF)
    flags = (opcode << 11) | (0x0100 if rd else 0)
    ar = 1 if edns is not None else 0
    msg = struct.pack("!HHHHHH", qid, flags, 1, 0, 1 if authority else 0, ar)
    msg += encode_name(name) + struct.pack("!HH", qtype, qclass)
    if authority:
        msg += authority
    if edns is not None:
        msg += opt_rr(edns, edns_version)
    return qid, msg


class ParseError(Exception):
    pass


def read_name(msg, off):
    labels = []
    jumps = 0
    end = None
    while True:
        if off >= len(msg):
            raise ParseError("name runs past the end")
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ParseError("pointer runs past the end")
            ptr = ((ln & 0x3F) << 8) | msg[off + 1]
            if end is None:
                end = off + 2
            jumps += 1
            if jumps > 64:
                raise ParseError("pointer loop")
            off = ptr
            continue
        if ln & 0xC0:
            raise ParseError("bad label type")
        if ln == 0:
            if end is None:
                end = off + 1
            return ".".join(labels) + ".", end
        if off + 1 + ln > len(msg):
            raise ParseError("label runs past the end")
        labels.append(msg[off + 1:off + 1 + ln].decode("latin-1"))
        off += 1 + ln


def parse_reply(msg):
    r = {"size": len(msg), "parsed": False}
    if len(msg) < 12:
        r["error"] = "short reply (%d bytes)" % len(msg)
        return r
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    r.update({"id": qid, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
              "aa": bool(flags & 0x0400), "tc": bool(flags & 0x0200),
              "rd": bool(flags & 0x0100), "ra": bool(flags & 0x0080),
              "rcode_num": flags & 0xF, "qdcount": qd, "ancount": an,
              "nscount": ns, "arcount": ar, "answers": [], "opt": None})
    try:
        off = 12
        for _ in range(qd):
            _, off = read_name(msg, off)
            if off + 4 > len(msg):
                raise ParseError("question runs past the end")
            off += 4
        for sec, count in (("answer", an), ("authority", ns), ("additional", ar)):
            for _ in range(count):
                owner, off = read_name(msg, off)
                if off + 10 > len(msg):
                    raise ParseError("RR header runs past the end")
                t, c, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
                off += 10
                if off + rdlen > len(msg):
                    raise ParseError("rdata runs past the end")
                rdata = msg[off:off + rdlen]
                off += rdlen
                if t == 41:
                    if r["opt"] is not None:
                        raise ParseError("two OPT records")
                    r["opt"] = {"udp_size": c, "ext_rcode": ttl >> 24,
                                "version": (ttl >> 16) & 0xFF, "owner": owner}
                    continue
                rec = {"section": sec, "owner": owner, "type": t, "ttl": ttl}
                if t == 1 and rdlen == 4:
                    rec["data"] = socket.inet_ntop(socket.AF_INET, rdata)
                elif t == 28 and rdlen == 16:
                    rec["data"] = socket.inet_ntop(socket.AF_INET6, rdata)
                if sec == "answer":
                    r["answers"].append(rec)
        if off != len(msg):
            raise ParseError("%d trailing bytes" % (len(msg) - off))
        r["parsed"] = True
    except ParseError as e:
        r["error"] = str(e)
    rc = r["rcode_num"]
    if r.get("opt"):
        rc |= r["opt"]["ext_rcode"] << 4
    r["rcode"] = RCODES.get(rc, str(rc))
    return r


def udp_exchange(msg, port, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, (HOST, port))
        data, _ = s.recvfrom(65535)
        return data
    except (socket.timeout, ConnectionRefusedError):
        return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read_msg(s):
    hdr = recv_exact(s, 2)
    if hdr is None:
        return None
    (ln,) = struct.unpack("!H", hdr)
    return recv_exact(s, ln)


def tcp_exchange(msg, port, timeout=2.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    try:
        s.sendall(struct.pack("!H", len(msg)) + msg)
        return tcp_read_msg(s)
    except (socket.timeout, ConnectionResetError):
        return None
    finally:
        s.close()


def cmd_query(args):
    port = int(args[0])
    name, qtype = args[1], args[2]
    tcp = "--tcp" in args
    edns = 1232
    version = 0
    qclass = 1
    if "--noedns" in args:
        edns = None
    if "--bufsize" in args:
        edns = int(args[args.index("--bufsize") + 1])
    if "--edns-version" in args:
        version = int(args[args.index("--edns-version") + 1])
    if "--class" in args:
        qclass = int(args[args.index("--class") + 1])
    qt = TYPES.get(qtype.upper())
    if qt is None:
        qt = int(qtype)
    authority = soa_rr(name) if "--authority-soa" in args else None
    qid, msg = build_query(name, qt, qclass=qclass, rd="--rd" in args, edns=edns,
                           edns_version=version, authority=authority)
    reply = tcp_exchange(msg, port) if tcp else udp_exchange(msg, port, 2.0)
    if reply is None:
        print(json.dumps({"reply": False}))
        return 0
    r = parse_reply(reply)
    r["reply"] = True
    r["id_matches"] = r.get("id") == qid
    print(json.dumps(r))
    return 0


# ---- the malformed battery ------------------------------------------------

class Battery:
    def __init__(self, port):
        self.port = port
        self.fails = 0
        self.n = 0
        self.dead = 0

    def ok(self, desc):
        self.n += 1
        print("ok   malformed: " + desc)

    def fail(self, desc, why):
        self.n += 1
        self.fails += 1
        print("FAIL malformed: %s: %s" % (desc, why))

    def still_answers(self, desc):
        """After each case a normal query over UDP must get its answer."""
        qid, msg = build_query(NORMAL, 1)
        for _ in range(3):
            reply = udp_exchange(msg, self.port, 1.0)
            if reply is not None:
                r = parse_reply(reply)
                if r.get("id") == qid and r.get("rcode") == "NOERROR" and r.get("ancount", 0) >= 1:
                    self.dead = 0
                    return True
                self.fail(desc + " (then a normal query)",
                          "normal A query got rcode %s ancount %s id-match %s" %
                          (r.get("rcode"), r.get("ancount"), r.get("id") == qid))
                return False
        self.fail(desc + " (then a normal query)", "no reply to a normal A query afterwards")
        self.dead += 1
        if self.dead >= 2:
            print("FAIL malformed: the server stopped answering (last case: %s); battery stopped" % desc)
            print("malformed: %d cases, %d failed" % (self.n, self.fails + 1))
            sys.exit(1)
        return False

    def udp_case(self, desc, pkt, allowed, may_drop=True, want_id=True):
        """allowed: rcodes accepted in a reply. may_drop: no reply is fine."""
        reply = udp_exchange(pkt, self.port, 0.7)
        self.judge(desc, pkt, reply, allowed, may_drop, want_id)
        self.still_answers(desc)

    def judge(self, desc, pkt, reply, allowed, may_drop, want_id=True):
        if reply is None:
            if may_drop:
                self.ok(desc + " -> no reply")
            else:
                self.fail(desc, "expected a reply with rcode in %s, got none" % "/".join(allowed))
            return
        r = parse_reply(reply)
        if "id" not in r:
            self.fail(desc, "reply shorter than a header (%d bytes)" % len(reply))
            return
        problems = []
        if want_id and len(pkt) >= 2:
            (qid,) = struct.unpack("!H", pkt[:2])
            if r["id"] != qid:
                problems.append("id %d, query id %d" % (r["id"], qid))
        if not r["qr"]:
            problems.append("QR not set")
        if r["rcode"] not in allowed:
            problems.append("rcode %s, expected %s%s" % (r["rcode"], "/".join(allowed),
                                                         " or no reply" if may_drop else ""))
        if r["rcode"] in ("FORMERR", "NOTIMP", "REFUSED") and r["ancount"]:
            problems.append("%s with %d answer records" % (r["rcode"], r["ancount"]))
        if problems:
            self.fail(desc, "; ".join(problems))
        else:
            self.ok(desc + " -> " + r["rcode"])


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


Q_NORMAL = encode_name(NORMAL) + struct.pack("!HH", 1, 1)
ERR = ["FORMERR"]


def cmd_malformed(args):
    port = int(args[0])
    b = Battery(port)
    rnd = random.Random(20241104)

    # -- short packets
    b.udp_case("empty datagram (0 bytes)", b"", ERR, want_id=False)
    b.udp_case("1-byte datagram", b"\x12", ERR, want_id=False)
    b.udp_case("11-byte datagram", header(0x1111)[:11], ERR)
    b.udp_case("header only, QDCOUNT 1, no question", header(0x1112), ERR)

    # -- question count
    b.udp_case("QDCOUNT 0", header(0x2001, qd=0), ERR)
    b.udp_case("QDCOUNT 0 with a question present", header(0x2002, qd=0) + Q_NORMAL, ERR)
    b.udp_case("QDCOUNT 2 (two questions)", header(0x2003, qd=2) + Q_NORMAL + Q_NORMAL, ERR)
    b.udp_case("QDCOUNT 2, one question", header(0x2004, qd=2) + Q_NORMAL, ERR)

    # -- bad names
    b.udp_case("label length 64", header(0x3001) + b"\x40" + b"a" * 64 +
               encode_name("default.svc.cluster.local") + struct.pack("!HH", 1, 1), ERR)
    b.udp_case("label type 0x80 (reserved)", header(0x3002) + b"\x80abc\x00" +
               struct.pack("!HH", 1, 1), ERR)
    longname = b"".join(b"\x3f" + b"a" * 63 for _ in range(4)) + encode_name("cluster.local")
    b.udp_case("name longer than 255 bytes (%d)" % len(longname), header(0x3003) + longname +
               struct.pack("!HH", 1, 1), ERR)
    longname2 = b"\x01a" * 128 + b"\x00"  # 257 bytes
    b.udp_case("name of 128 one-byte labels (257 bytes)", header(0x3004) + longname2 +
               struct.pack("!HH", 1, 1), ERR)
    # compression pointer in the question: "kubernetes" + pointer to the
    # "default.svc.cluster.local" copy placed after the question
    tail = encode_name("default.svc.cluster.local")
    qname = b"\x0akubernetes" + struct.pack("!H", 0xC000 | (12 + 11 + 2 + 4))
    b.udp_case("compression pointer in the question (forward)", header(0x3005) + qname +
               struct.pack("!HH", 1, 1) + tail, ERR)
    b.udp_case("compression pointer in the question (to the header)", header(0x3006) +
               b"\x03www" + b"\xc0\x02" + struct.pack("!HH", 1, 1), ERR)
    b.udp_case("compression pointer loop (points at itself)", header(0x3007) + b"\xc0\x0c" +
               struct.pack("!HH", 1, 1), ERR)
    b.udp_case("compression pointer loop (two labels then back)", header(0x3008) +
               b"\x01a\x01b\xc0\x0c" + struct.pack("!HH", 1, 1), ERR)
    b.udp_case("compression pointer beyond the packet", header(0x3009) + b"\xc3\xff" +
               struct.pack("!HH", 1, 1), ERR)

    # -- truncated question
    b.udp_case("question without QTYPE/QCLASS", header(0x4001) + encode_name(NORMAL), ERR)
    b.udp_case("question with QTYPE only", header(0x4002) + encode_name(NORMAL) + b"\x00\x01", ERR)
    b.udp_case("name not terminated", header(0x4003) + encode_name(NORMAL)[:-1], ERR)
    b.udp_case("label longer than the packet", header(0x4004) + b"\x30abc", ERR)

    # -- header bits
    b.udp_case("response packet (QR=1)", header(0x5001, flags=0x8000) + Q_NORMAL, ERR)
    b.udp_case("response packet (QR=1) with NXDOMAIN", header(0x5002, flags=0x8003) + Q_NORMAL, ERR)
    b.udp_case("opcode 2 (STATUS)", header(0x5003, flags=2 << 11) + Q_NORMAL, ["NOTIMP"],
               may_drop=False)
    b.udp_case("opcode 4 (NOTIFY)", header(0x5004, flags=4 << 11) + Q_NORMAL, ["NOTIMP"],
               may_drop=False)
    b.udp_case("opcode 5 (UPDATE)", header(0x5005, flags=5 << 11) + Q_NORMAL, ["NOTIMP"],
               may_drop=False)
    b.udp_case("opcode 1 (IQUERY)", header(0x5006, flags=1 << 11) + Q_NORMAL, ["NOTIMP"],
               may_drop=False)

    # -- classes
    b.udp_case("class CH, A kubernetes.default.svc.cluster.local", header(0x6001) +
               encode_name(NORMAL) + struct.pack("!HH", 1, 3), ["REFUSED"], may_drop=False)
    b.udp_case("class 5, A kubernetes.default.svc.cluster.local", header(0x6002) +
               encode_name(NORMAL) + struct.pack("!HH", 1, 5), ["REFUSED"], may_drop=False)
    # CH TXT version.bind may be answered instead of REFUSED
    pkt = header(0x6003) + encode_name("version.bind") + struct.pack("!HH", 16, 3)
    reply = udp_exchange(pkt, port, 0.7)
    if reply is None:
        b.fail("CH TXT version.bind", "no reply (expected REFUSED or an answer)")
    else:
        r = parse_reply(reply)
        if r.get("id") == 0x6003 and r.get("rcode") in ("REFUSED", "NOERROR") and r.get("parsed"):
            b.ok("CH TXT version.bind -> %s (%d answers)" % (r["rcode"], r["ancount"]))
        else:
            b.fail("CH TXT version.bind", "reply %s" % json.dumps(r))
    b.still_answers("CH TXT version.bind")

    # -- EDNS oddities (RFC 6891 6.1.1: more than one OPT -> FORMERR)
    b.udp_case("two OPT records", header(0x7001, ar=2) + Q_NORMAL + opt_rr() + opt_rr(), ERR)
    b.udp_case("ARCOUNT 1 but no record", header(0x7002, ar=1) + Q_NORMAL, ERR)

    # -- garbage
    for i in range(40):
        n = rnd.randint(12, 300)
        pkt = bytes(rnd.getrandbits(8) for _ in range(n))
        # keep it a query (QR=0) so a reply is not mandatory to be dropped
        pkt = pkt[:2] + bytes([pkt[2] & 0x7F]) + pkt[3:]
        reply = udp_exchange(pkt, port, 0.3)
        b.judge("garbage #%d (%d bytes)" % (i, n), pkt, reply,
                ["FORMERR", "NOTIMP", "REFUSED"], True)
    b.still_answers("garbage")

    # -- TCP
    # a length prefix larger than the data, then close
    try:
        s = socket.create_connection((HOST, port), timeout=2.0)
        s.sendall(struct.pack("!H", 500) + header(0x8001) + Q_NORMAL)
        s.close()
        b.ok("TCP: length prefix 500, %d bytes sent, then close" % (12 + len(Q_NORMAL)))
    except OSError as e:
        b.fail("TCP: short frame", "connect/send failed: %s" % e)
    b.still_answers("TCP short frame")

    # a 1-byte length prefix, then close
    try:
        s = socket.create_connection((HOST, port), timeout=2.0)
        s.sendall(b"\x00")
        s.close()
        b.ok("TCP: 1 byte then close")
    except OSError as e:
        b.fail("TCP: 1 byte", "connect/send failed: %s" % e)
    b.still_answers("TCP 1 byte")

    # a malformed message in a TCP frame: FORMERR or connection closed
    try:
        s = socket.create_connection((HOST, port), timeout=2.0)
        pkt = header(0x8002, qd=2) + Q_NORMAL
        s.sendall(struct.pack("!H", len(pkt)) + pkt)
        try:
            reply = tcp_read_msg(s)
        except (socket.timeout, ConnectionResetError):
            reply = None
        s.close()
        b.judge("TCP: QDCOUNT 2 in a frame", pkt, reply, ERR, True)
    except OSError as e:
        b.fail("TCP: QDCOUNT 2", "connect/send failed: %s" % e)
    b.still_answers("TCP QDCOUNT 2")

    # zero-length frame
    try:
        s = socket.create_connection((HOST, port), timeout=2.0)
        s.sendall(b"\x00\x00")
        try:
            reply = tcp_read_msg(s)
        except (socket.timeout, ConnectionResetError):
            reply = None
        s.close()
        if reply is None:
            b.ok("TCP: zero-length frame -> closed / no reply")
        else:
            r = parse_reply(reply)
            if r.get("rcode") == "FORMERR":
                b.ok("TCP: zero-length frame -> FORMERR")
            else:
                b.fail("TCP: zero-length frame", "reply %s" % r.get("rcode"))
    except OSError as e:
        b.fail("TCP: zero-length frame", "connect/send failed: %s" % e)
    b.still_answers("TCP zero-length frame")

    # pipelined queries in one write: all answered, in order, right IDs
    names = [("kubernetes.default.svc.cluster.local", 1, "10.96.0.1"),
             ("kube-dns.kube-system.svc.cluster.local", 1, "10.96.0.10"),
             ("web.shop.svc.cluster.local", 1, "10.96.100.20"),
             ("frontend.shop.svc.cluster.local", 28, "fd00:10:96::c8"),
             ("cache.shop.svc.cluster.local", 1, "10.96.100.30")]
    try:
        s = socket.create_connection((HOST, port), timeout=3.0)
        data = b""
        ids = []
        for i, (name, qt, _) in enumerate(names):
            qid, msg = build_query(name, qt, qid=0x9000 + i)
            ids.append(qid)
            data += struct.pack("!H", len(msg)) + msg
        s.sendall(data)
        got = []
        deadline = time.time() + 3.0
        while len(got) < len(names) and time.time() < deadline:
            try:
                m = tcp_read_msg(s)
            except (socket.timeout, ConnectionResetError):
                break
            if m is None:
                break
            got.append(parse_reply(m))
        s.close()
        if len(got) != len(names):
            b.fail("TCP: 5 pipelined queries in one write", "%d replies" % len(got))
        else:
            bad = []
            for i, (r, (name, qt, addr)) in enumerate(zip(got, names)):
                datas = [a.get("data") for a in r["answers"]]
                if r.get("id") != ids[i]:
                    bad.append("reply %d has id %#x, expected %#x" % (i, r.get("id"), ids[i]))
                elif r.get("rcode") != "NOERROR" or addr not in datas:
                    bad.append("reply %d (%s): rcode %s answers %s, expected %s" %
                               (i, name, r.get("rcode"), datas, addr))
            if bad:
                b.fail("TCP: 5 pipelined queries in one write", "; ".join(bad))
            else:
                b.ok("TCP: 5 pipelined queries in one write -> 5 replies, in order, right IDs")
    except OSError as e:
        b.fail("TCP: pipelined", "connect/send failed: %s" % e)

    # pipelined, written one byte at a time (frames split across reads)
    try:
        s = socket.create_connection((HOST, port), timeout=3.0)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = b""
        for i in range(2):
            _, msg = build_query(NORMAL, 1, qid=0x9100 + i)
            data += struct.pack("!H", len(msg)) + msg
        for k in range(0, len(data), 7):
            s.sendall(data[k:k + 7])
            time.sleep(0.002)
        got = []
        for _ in range(2):
            try:
                m = tcp_read_msg(s)
            except (socket.timeout, ConnectionResetError):
                m = None
            if m is None:
                break
            got.append(parse_reply(m))
        s.close()
        ids = [r.get("id") for r in got]
        if ids == [0x9100, 0x9101] and all(r.get("rcode") == "NOERROR" for r in got):
            b.ok("TCP: 2 queries written in 7-byte pieces -> both answered")
        else:
            b.fail("TCP: 2 queries written in 7-byte pieces", "got ids %s rcodes %s" %
                   (ids, [r.get("rcode") for r in got]))
    except OSError as e:
        b.fail("TCP: split frames", "connect/send failed: %s" % e)

    b.still_answers("end of battery")
    print("malformed: %d cases, %d failed" % (b.n, b.fails))
    return 1 if b.fails else 0


def cmd_burst(args):
    """burst PORT N: N UDP queries, at most 64 outstanding, over 4 sockets;
    every one must be answered with its ID and the right address."""
    port, n = int(args[0]), int(args[1])
    names = [("kubernetes.default.svc.cluster.local", 1, "10.96.0.1"),
             ("kube-dns.kube-system.svc.cluster.local", 1, "10.96.0.10"),
             ("web.shop.svc.cluster.local", 1, "10.96.100.20"),
             ("db-0.db.data.svc.cluster.local", 1, "10.244.1.10"),
             ("frontend.shop.svc.cluster.local", 28, "fd00:10:96::c8")]
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
    for s in socks:
        s.setblocking(False)
    import selectors
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    pending = {}
    sent = ok = bad = 0
    deadline = time.time() + 30
    qid = 1
    while (sent < n or pending) and time.time() < deadline:
        while sent < n and len(pending) < 64:
            name, qt, addr = names[sent % len(names)]
            # mix the case of the name: replies must still match
            if sent % 3 == 0:
                name = name.upper()
            _, msg = build_query(name, qt, qid=qid, edns=1232 if sent % 2 else None)
            s = socks[sent % 4]
            try:
                s.sendto(msg, (HOST, port))
            except BlockingIOError:
                break
            pending[(sent % 4, qid)] = (addr, time.time())
            qid = qid % 65000 + 1
            sent += 1
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            idx = socks.index(s)
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                r = parse_reply(data)
                want = pending.pop((idx, r.get("id")), None)
                if want is None:
                    bad += 1
                    continue
                datas = [a.get("data") for a in r.get("answers", [])]
                if r.get("rcode") == "NOERROR" and want[0] in datas:
                    ok += 1
                else:
                    bad += 1
        # a query unanswered for 2 s is lost
        now = time.time()
        for k in [k for k, v in pending.items() if now - v[1] > 2.0]:
            pending.pop(k)
    for s in socks:
        s.close()
    lost = n - ok - bad
    print("burst: %d sent, %d right, %d wrong, %d lost" % (n, ok, bad, lost))
    return 0 if ok == n else 1


def cmd_tcp_limits(args):
    """tcp-limits PORT IDLE CAP: an idle connection is closed after about
    IDLE seconds (before and after a query); with CAP+4 connections open a
    new one is still answered."""
    port, idle, cap = int(args[0]), float(args[1]), int(args[2])
    fails = 0

    def closed_within(s, limit):
        t0 = time.time()
        s.settimeout(limit)
        try:
            while True:
                d = s.recv(4096)
                if not d:
                    return time.time() - t0
        except socket.timeout:
            return None
        except ConnectionResetError:
            return time.time() - t0

    s = socket.create_connection((HOST, port), timeout=2)
    t = closed_within(s, idle + 3)
    s.close()
    if t is None:
        print("FAIL tcp: a silent connection stays open longer than %.0f s (idle timeout %.0f s)" % (idle + 3, idle))
        fails += 1
    else:
        print("ok   tcp: a silent connection is closed after %.1f s (idle timeout %.0f s)" % (t, idle))

    s = socket.create_connection((HOST, port), timeout=2)
    _, msg = build_query(NORMAL, 1, qid=0x7777)
    s.sendall(struct.pack("!H", len(msg)) + msg)
    r = tcp_read_msg(s)
    if r is None or parse_reply(r).get("id") != 0x7777:
        print("FAIL tcp: no answer on a fresh connection")
        fails += 1
    t = closed_within(s, idle + 3)
    s.close()
    if t is None:
        print("FAIL tcp: a connection idle after one query stays open longer than %.0f s" % (idle + 3))
        fails += 1
    else:
        print("ok   tcp: a connection idle after one query is closed after %.1f s" % t)

    conns = []
    for _ in range(cap + 4):
        try:
            conns.append(socket.create_connection((HOST, port), timeout=2))
        except OSError as e:
            print("note tcp: connection %d refused: %s" % (len(conns) + 1, e))
            break
    time.sleep(0.2)
    reply = tcp_exchange(build_query(NORMAL, 1, qid=0x7778)[1], port, timeout=3)
    if reply is not None and parse_reply(reply).get("id") == 0x7778:
        print("ok   tcp: with %d connections open (cap %d) a new one is answered" % (len(conns), cap))
    else:
        print("FAIL tcp: with %d connections open (cap %d) a new connection gets no answer" % (len(conns), cap))
        fails += 1
    n_closed = 0
    for c in conns:
        c.settimeout(0.05)
        try:
            if c.recv(1) == b"":
                n_closed += 1
        except socket.timeout:
            pass
        except OSError:
            n_closed += 1
        c.close()
    if n_closed >= 4:
        print("ok   tcp: %d of the %d idle connections were closed to stay under the cap" % (n_closed, len(conns)))
    else:
        print("FAIL tcp: only %d of %d connections closed with a cap of %d (at least %d expected)" %
              (n_closed, len(conns), cap, len(conns) + 1 - cap))
        fails += 1
    return 1 if fails else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "query":
        return cmd_query(sys.argv[2:])
    if sys.argv[1] == "malformed":
        return cmd_malformed(sys.argv[2:])
    if sys.argv[1] == "tcp-limits":
        return cmd_tcp_limits(sys.argv[2:])
    if sys.argv[1] == "burst":
        return cmd_burst(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
