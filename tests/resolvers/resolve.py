#!/usr/bin/python3
"""resolve.py - asks dnspython's stub resolver what a pod's Python program would ask.

Run with Debian's /usr/bin/python3 and python3-dnspython (a python3 found
on PATH may be another installation without it). The resolver reads the
pod's /etc/resolv.conf: its search list and ndots:5 apply to every name.

Reads "KIND<TAB>QUERY" lines and prints "KIND<TAB>QUERY<TAB>RESULT":

    host    A and AAAA   every address, sorted
    host4   A
    host6   AAAA
    cname   the canonical name after the CNAME chain
    ptr     PTR of an address, every name, sorted
    srv     SRV of the name as given: "PRIORITY WEIGHT PORT TARGET", sorted, ", "
    order4, order6  as host4, host6, but in the answer's order (dnspython
            keeps it): the first is what answer[0] gives
    order   order4's addresses, then order6's

dnspython tells a name that does not exist (NXDOMAIN) from one without
records of the type asked (NODATA); both print NOTFOUND, with the detail
in brackets, and run.sh checks the distinction where it matters. A
temporary failure (timeout, SERVFAIL from every server) prints TEMPFAIL.
"""
import sys

import dns.exception
import dns.resolver
import dns.reversename


def lookup(res, kind, query):
    if kind == "host":
        # A and AAAA, as getaddrinfo(AF_UNSPEC) asks: a type the name lacks
        # is no error unless both are missing (dnspython 2.3 has no
        # resolve_name for this)
        addresses, missing = [], []
        for rdtype in ("A", "AAAA"):
            try:
                addresses += [r.address for r in res.resolve(query, rdtype, search=True)]
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as exc:
                missing.append(exc)
        if not addresses:
            # NODATA when the name exists (either answer said so)
            raise next((e for e in missing if isinstance(e, dns.resolver.NoAnswer)), missing[0])
        return " ".join(sorted(addresses))
    if kind in ("order", "order4", "order6"):
        addresses = []
        for rdtype in {"order": ("A", "AAAA"), "order4": ("A",), "order6": ("AAAA",)}[kind]:
            try:
                addresses += [r.address for r in res.resolve(query, rdtype, search=True)]
            except dns.resolver.NoAnswer:
                if kind != "order":
                    raise
        if not addresses:
            raise dns.resolver.NoAnswer()
        return " ".join(addresses)
    if kind in ("host4", "host6", "cname", "srv"):
        rdtype = {"host4": "A", "host6": "AAAA", "cname": "A", "srv": "SRV"}[kind]
        answer = res.resolve(query, rdtype, search=True)
        if kind == "cname":
            return answer.canonical_name.to_text()
        if kind == "srv":
            return ", ".join(sorted("%d %d %d %s" % (r.priority, r.weight, r.port, r.target.to_text())
                                    for r in answer))
        return " ".join(sorted(r.address for r in answer))
    if kind == "ptr":
        answer = res.resolve(dns.reversename.from_address(query), "PTR")
        return " ".join(sorted(r.target.to_text() for r in answer))
    return "ERROR(unknown kind)"


def describe(exc):
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "NOTFOUND [NXDOMAIN]"
    if isinstance(exc, dns.resolver.NoAnswer):
        return "NOTFOUND [NODATA]"
    if isinstance(exc, (dns.resolver.NoNameservers, dns.exception.Timeout)):
        return "TEMPFAIL [%s: %s]" % (type(exc).__name__, exc)
    return "ERROR(%s: %s)" % (type(exc).__name__, exc)


def main():
    res = dns.resolver.Resolver()  # reads /etc/resolv.conf
    res.lifetime = 30  # generous: the harness's own timeout bounds a hung run
    for line in sys.stdin:
        kind, sep, query = line.rstrip("\n").partition("\t")
        if not sep:
            continue
        try:
            result = lookup(res, kind, query)
        except dns.exception.DNSException as exc:
            result = describe(exc)
        print("%s\t%s\t%s" % (kind, query, result), flush=True)


if __name__ == "__main__":
    main()
