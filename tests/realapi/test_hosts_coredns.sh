#!/bin/sh
# test_hosts_coredns.sh - svcdns --hosts beside the real CoreDNS's hosts
# plugin (k3s's way: `hosts FILE { ttl 60 reload 1s fallthrough }` before
# `forward`), both reading the same hosts file and forwarding to the same
# NSD (coredns_lib.sh: authoritative for example.com and the root), asked
# the same questions (dnsdiff.py compare: rcode, AA, TC, RA, EDNS, the
# sections as sets, the TTLs, the owners' case) over UDP, TCP, UDP 512 and
# without EDNS. The file mixes IPv4, IPv6, %zone, ::ffff:a.b.c.d, aliases,
# several addresses per name and names per address, upper case, comments,
# tabs, a CRLF line, invalid lines, wildcards, a trailing dot and a name
# NSD also has; the questions ask its names (every type, mixed case), the
# wildcards' matches and non-matches, the PTRs of its addresses and of
# others, and names it lacks (forwarded). Then the file is replaced, both
# re-read it, and everything is compared again.
#
# No control plane is started: CoreDNS here has no kubernetes plugin, so
# svcdns serves zones/demo (--dir) and no cluster.local question is asked.
# A difference fails the test unless tests/realapi/hosts-differences.txt
# allows its class (each entry with its reason).
#
# Environment (besides lib.sh's SVCDNS, TESTDIR, ZONESDIR):
#   SVCDNS_COREDNS   a coredns binary with the hosts plugin (default: the
#                    one tests/realapi/build.sh builds)
#   HOSTS_DIFF_KEEP  set: keep the work directory (Corefile, logs, files)
. "$(dirname "$0")/controlplane.sh"
. "$(dirname "$0")/coredns_lib.sh"
. "$TESTDIR/system/fwdlib.sh"

PY=/usr/bin/python3 # Debian's, with python3-dnspython
DIFF=$RA_HERE/dnsdiff.py
ALLOW=$RA_HERE/hosts-differences.txt

require_tool nsd nsd
"$PY" -c 'import dns.message, dns.query, dns.reversename' 2>/dev/null ||
	{ echo "FAIL: $PY cannot import dns.message (Debian package python3-dnspython)" >&2; exit 1; }
[ -f "$ALLOW" ] || { echo "FAIL: $ALLOW missing" >&2; exit 1; }

# ---- the CoreDNS binary: build.sh's, which must have the hosts plugin -----------------
if [ -n "${SVCDNS_COREDNS:-}" ]; then
	COREDNS=$SVCDNS_COREDNS
else
	RA_BIN=$("$RA_HERE/build.sh") && [ -n "$RA_BIN" ] ||
		{ echo "FAIL: tests/realapi/build.sh could not build CoreDNS (see above)" >&2; exit 1; }
	COREDNS=$RA_BIN/coredns
fi
[ -x "$COREDNS" ] || { echo "FAIL: $COREDNS is missing (tests/realapi/build.sh builds it; or SVCDNS_COREDNS)" >&2; exit 1; }
if ! "$COREDNS" -plugins 2>/dev/null | grep -qx ' *hosts'; then
	echo "FAIL: $COREDNS has no hosts plugin (tests/realapi/coredns/main.go must import" >&2
	echo "      github.com/coredns/coredns/plugin/hosts and list \"hosts\" before \"kubernetes\")" >&2
	exit 1
fi
echo "     $("$COREDNS" -version | head -1), $("$SVCDNS" --version 2>&1 | head -1)"

# ---- the hosts files and the questions ------------------------------------------------
GEN=$RA_DIR/hosts_gen.py
cat >"$GEN" <<'PYEOF'
"""hosts_gen.py VERSION HOSTS QUESTIONS [VERSION...]: writes version
VERSION (1 or 2) of the hosts file to HOSTS and the questions about every
version given (their names, addresses and the names they lack) to
QUESTIONS, one JSON a line as dnsdiff.py compare reads them."""
import ipaddress
import json
import random
import sys

import dns.reversename

# (address as written, names) or a raw line; "\r" ends the CRLF line.
V1 = [
    "# NodeHosts-like file: svcdns --hosts beside CoreDNS's hosts plugin",
    "",
    "198.18.0.1 node-1.example.org node-1",
    "198.18.0.2\tnode-2.example.org\tnode-2   # tabs, then a comment",
    "198.18.0.3 multi.example.org",
    "198.18.0.4 multi.example.org",
    "198.18.0.5 multi.example.org",
    "2001:db8:18::3 multi.example.org",
    "2001:db8:18::4 multi.example.org",
    "198.18.0.6 shared-a.example.org shared-b.example.org",
    "198.18.0.6 shared-c.example.org",
    "2001:db8:18::6 v6only.example.org",
    "fe80::18:7%eth0 zoned.example.org",
    "fe80::18:8%2 zoned-num.example.org",
    "::ffff:198.18.0.9 mapped.example.org",
    "::ffff:c612:13 mapped-hex.example.org",
    "2001:0DB8:0018:0000::000b longform.example.org",
    "198.18.0.12 UPPER.Example.ORG",
    "198.18.0.13 dup.example.org",
    "198.18.0.13 dup.example.org",
    "198.18.0.13 Dup.Example.Org",
    "198.18.0.14 *.wild.example.org",
    "2001:db8:18::14 *.wild6.example.org",
    "198.18.0.15 exact.wild.example.org",
    "198.18.0.17 trailing.example.org.",
    "198.18.0.18 www.example.com",
    "198.18.0.20 dual.example.org\r",
    "198.18.0.21%eth0 v4zone.example.org",
    "2001:db8:18::28 dual.example.org",
    "not-an-ip bad1.example.org",
    "198.18.0.300 bad2.example.org",
    "010.18.0.22 bad3.example.org",
    "198.18.0.23/24 bad4.example.org",
    "2001:db8:18::zz bad5.example.org",
    "198.18.0.24",
    "198.18.0.25 # only-a-comment.example.org",
    "198.18.0.26 comment-after.example.org # commented.example.org",
    "# 198.18.0.27 hidden.example.org",
    "   198.18.0.29    indented.example.org    ",
    "198.18.0.30 under_score.example.org",
    "198.18.0.31 removed.example.org",
    "198.18.0.32 changes.example.org",
    "198.18.0.34 alias-a.example.org alias-b.example.org alias-c.example.org",
]
# Version 2: a name gone, an address changed, names added, the wildcard
# moved, one address of multi gone.
V2 = [l for l in V1 if "removed.example.org" not in l and "198.18.0.5 " not in l]
V2 = [l.replace("198.18.0.32 changes", "198.18.0.132 changes")
      .replace("198.18.0.14 *.wild", "198.18.0.114 *.wild") for l in V2]
V2 += ["198.18.0.33 added.example.org", "2001:db8:18::33 added.example.org",
       "198.18.0.15 also-15.example.org"]

OUTSIDE = ["v4only.example.com.", "dual.example.com.", "alias.example.com.", "missing.example.com.",
           "ns.example.com.", "example.com.", "big.example.com."]
NAME_TYPES = ["A", "AAAA", "MX", "TXT", "ANY", "SRV", "NS", "SOA", "CNAME", "PTR", "HTTPS"]
VARIANTS = ["tcp", "noedns", "udp512"]


def parse(lines):
    """(names, addresses, addresses of wildcards only): what CoreDNS's
    parser takes from the lines."""
    names, addrs, named = [], [], []
    for l in lines:
        l = l.split("#", 1)[0].split()
        if len(l) < 2:
            continue
        a = l[0].split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(a)
        except ValueError:
            continue
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        addrs.append(ip)
        for n in l[1:]:
            names.append(n.lower().rstrip(".") + ".")
            if not n.startswith("*."):
                named.append(ip)
    return names, addrs, [a for a in addrs if a not in named]


def ip6_arpa(ip):
    return ".".join(reversed(ip.exploded.replace(":", ""))) + ".ip6.arpa."


def main():
    ver, hosts_path, q_path = sys.argv[1], sys.argv[2], sys.argv[3]
    versions = sys.argv[4:] or [ver]
    with open(hosts_path, "w", newline="") as f:
        for l in (V1 if ver == "1" else V2):
            f.write(l + "\n")
    rnd = random.Random(7)
    qs = []

    def q(kind, name, types, variants=("udp1232",)):
        for v in variants:
            for t in types:
                qs.append({"kind": kind, "name": name, "type": t, "v": v})

    names, addrs, wild_only, raw = [], [], [], []
    for v in versions:
        n, a, w = parse(V1 if v == "1" else V2)
        names += [x for x in n if x not in names]
        addrs += [x for x in a if x not in addrs]
        wild_only += [x for x in w if x not in wild_only]
        raw += V1 if v == "1" else V2
    # What the file served now has: the names and addresses of the other
    # versions are asked as ones it lacks.
    now_names, now_addrs, _ = parse(V1 if ver == "1" else V2)
    for n in names:
        if n.startswith("*."):
            base = n[2:]
            q("wildcard-literal", n, ["A", "AAAA", "MX"])
            q("wildcard-match", "x." + base, NAME_TYPES)
            q("wildcard-match", "Some-Host." + base.upper(), ["A", "AAAA"])
            q("wildcard-match", "x." + base, ["A", "AAAA", "ANY"], VARIANTS)
            q("wildcard-deep", "a.b." + base, ["A", "AAAA"])
            q("wildcard-parent", base, ["A", "AAAA"])
            continue
        kind = "hosts-over-outside" if n.endswith("example.com.") else ("hosts-single-label" if n.count(".") == 1 else "hosts")
        if n not in now_names:
            q("not-in-hosts", n, NAME_TYPES)
            continue
        q(kind, n, NAME_TYPES)
        q(kind, n, ["A", "AAAA", "MX", "ANY", "PTR"], VARIANTS)
        mixed = "".join(c.upper() if rnd.random() < 0.5 else c for c in n)
        q("hosts-mixedcase", mixed, ["A", "AAAA", "TXT"])
        q("hosts-child", "sub." + n, ["A", "AAAA"])
    # The names the file mentions but does not define.
    for l in raw:
        for w in l.replace("#", " # ").split():
            if "example.org" in w and w.lower().rstrip(".") + "." not in names and not w.startswith("*."):
                q("not-in-hosts", w.rstrip(".") + ".", ["A", "AAAA", "MX"])
    q("not-in-hosts", "example.org.", ["A", "SOA", "NS"])
    q("not-in-hosts", "nobody.example.org.", ["A", "AAAA", "TXT"])
    # PTRs of every address, in-addr.arpa or ip6.arpa as canonical.
    for ip in addrs:
        r = dns.reversename.from_address(str(ip)).to_text()
        if ip not in now_addrs:
            q("ptr-unknown", r, ["PTR"])
            continue
        if ip in wild_only:
            # CoreDNS keeps no reverse entry for a wildcard's address
            q("ptr-wildcard-only", r, ["PTR"])
            continue
        q("ptr-hosts", r, ["PTR"])
        q("ptr-hosts", r, ["PTR"], VARIANTS)
        q("ptr-hosts-other-type", r, ["A", "TXT"])
        q("ptr-hosts-mixedcase", r.upper(), ["PTR"])
        if ip.version == 4:
            q("ptr-hosts-mapped-ip6", ip6_arpa(ipaddress.ip_address("::ffff:" + str(ip))), ["PTR"])
    for a in ["198.18.0.24", "198.18.0.22", "10.18.0.22", "198.18.0.25", "198.18.0.99",
              "198.18.99.99", "2001:db8:18::ffff", "2001:db8:18::", "fe80::18:9", "192.0.2.10"]:
        q("ptr-unknown", dns.reversename.from_address(a).to_text(), ["PTR"])
    q("ptr-unknown", "18.198.in-addr.arpa.", ["PTR"])
    q("ptr-unknown", "1.0.18.198.in-addr.arpa.example.org.", ["PTR"])
    # Forwarded to NSD: names the file lacks.
    for n in OUTSIDE:
        q("outside", n, ["A", "AAAA", "MX", "TXT"])
        q("outside", n, ["A"], VARIANTS)
    q("outside-nxtld", "nothing.invalid.", ["A", "SOA"])
    with open(q_path, "w") as f:
        for x in qs:
            f.write(json.dumps(x) + "\n")
    print("%d questions" % len(qs))


main()
PYEOF

HF=$RA_DIR/hosts
QF1=$RA_DIR/questions-1.jsonl
"$PY" "$GEN" 1 "$HF" "$QF1" 1 | sed 's/^/     /' || { fail "write the hosts file and the questions"; realapi_finish; }

# ---- NSD, CoreDNS with hosts + forward, svcdns with --hosts -----------------------------
start_nsd
# CoreDNS: coredns_lib.sh's start_coredns with this Corefile (the hosts file,
# then NSD), waiting for a name of the file.
hosts_corefile() {
	cat >"$RA_DIR/Corefile" <<EOF
.:$CD_PORT {
    bind 127.0.0.1
    errors
    hosts $HF {
        ttl 60
        reload 1s
        fallthrough
    }
    forward . $UPSTREAM
}
EOF
}
CD_COREFILE=hosts_corefile
start_coredns node-1.example.org 198.18.0.1
pass "CoreDNS answers from the hosts file"
# svcdns: the same TTL and period; no cache of forwarded answers, as
# this CoreDNS has no cache plugin (so TTLs of forwarded names do not count
# down at one of them only).
DEMO=$(copy_demo)
FWD_THREADS=2 start_fwd "$DEMO" --lameduck 0 --upstream "$UPSTREAM" --hosts "$HF" --hosts-ttl 60 \
	--hosts-reload 1 --cache-size 0
check_eq "svcdns answers from the hosts file" 198.18.0.1 "$(d +short node-1.example.org A)"
echo "     CoreDNS on 127.0.0.1:$CD_PORT, svcdns on 127.0.0.1:$PORT, NSD on $UPSTREAM"

coredns_compare "the first file" "$QF1" "$RA_DIR/compare-1.out"

# ---- the file replaced: both re-read it ------------------------------------------------------
QF2=$RA_DIR/questions-2.jsonl
"$PY" "$GEN" 2 "$HF.new" "$QF2" 1 2 | sed 's/^/     /' || { fail "write the second hosts file"; realapi_finish; }
mv -f "$HF.new" "$HF"
# shows_v2 PORT: the second version is served (added, changed and removed).
shows_v2() {
	[ "$(QPORT=$1 d +short added.example.org A)" = 198.18.0.33 ] &&
		[ "$(QPORT=$1 d +short changes.example.org A)" = 198.18.0.132 ] &&
		QPORT=$1 q removed.example.org A | grep -q '^rcode NXDOMAIN'
}
t0=$(now_ms)
if wait_for 15 shows_v2 "$CD_PORT"; then
	pass "CoreDNS re-read the file ($(($(now_ms) - t0)) ms)"
else
	fail "CoreDNS re-read the file within 15 s"
fi
if wait_for 15 shows_v2 "$PORT"; then
	pass "svcdns re-read the file ($(($(now_ms) - t0)) ms)"
else
	fail "svcdns re-read the file within 15 s"
fi
coredns_compare "the second file (questions about both)" "$QF2" "$RA_DIR/compare-2.out"

alive "svcdns still running"
child_alive "$CD_PID" && pass "CoreDNS still running" || fail "CoreDNS still running"
if [ -n "${HOSTS_DIFF_KEEP:-}" ]; then
	KEEP=$(mktemp -d /tmp/hosts-diff.XXXXXX)
	cp -r "$RA_DIR/Corefile" "$RA_DIR/coredns.log" "$LOG" "$HF" "$QF1" "$QF2" \
		"$RA_DIR"/compare-*.out "$GEN" "$KEEP/" 2>/dev/null
	echo "     work directory kept: $KEEP"
fi
stop_server "$PID"
ra_stop "$CD_PID" 8
realapi_finish
