#!/bin/sh
# test_dump_zone.sh - svcdns --dir zones/demo --dump-zone prints the cluster
# zone as a master file that named-checkzone accepts, with the expected records.
. "${TESTDIR:?}/system/lib.sh"
require_tool named-checkzone bind9-utils
require_tool named-compilezone bind9-utils

Z=cluster.local
out=$WORK/zone
timeout $((20 * LIB_SLOW)) "$SVCDNS" --dir "$ZONESDIR/demo" --dump-zone >"$out" 2>"$WORK/err"
st=$?
check_eq "--dump-zone exits 0" 0 "$st"
if [ $st -ne 0 ]; then sed 's/^/     /' "$WORK/err"; fi
if [ -s "$out" ]; then pass "--dump-zone printed something"; else fail "--dump-zone printed nothing"; fi

if timeout 20 named-checkzone "$Z" "$out" >"$WORK/check" 2>&1; then
	pass "named-checkzone $Z accepts the dump"
else
	fail "named-checkzone $Z rejects the dump:"
	sed 's/^/     /' "$WORK/check"
	echo "     ---- first 30 lines of the dump:"
	head -30 "$out" | sed 's/^/     /'
fi

first=$(grep -v '^[[:space:]]*;' "$out" | grep -v '^[[:space:]]*$' | grep -v '^\$' | head -1 | awk '{for (i = 1; i <= NF; i++) if ($i == "SOA") { print "SOA"; exit } print $0}')
check_eq "the SOA comes first" SOA "$first"

# canonical form: one record a line, absolute names, explicit TTL and class
timeout 20 named-compilezone -q -i none -s full -o "$WORK/canon" "$Z" "$out" >"$WORK/compile" 2>&1 || {
	fail "named-compilezone could not read the dump"; sed 's/^/     /' "$WORK/compile"; }
awk '{ $1 = $1; print }' "$WORK/canon" 2>/dev/null | LC_ALL=C sort >"$WORK/recs"

has() {
	if grep -qxF "$1" "$WORK/recs"; then pass "zone has: $1"; else
		fail "zone lacks: $1"
		n=$(echo "$1" | awk '{print $1}')
		grep -F "$n" "$WORK/recs" | head -5 | sed 's/^/     near: /'
	fi
}
hasnot() {
	if grep -qF "$1" "$WORK/recs"; then fail "zone should not have: $1"; grep -F "$1" "$WORK/recs" | head -3 | sed 's/^/     /'; else pass "zone has no: $1"; fi
}
soa=$(awk '$4 == "SOA"' "$WORK/recs")
case "$soa" in
"$Z. 5 IN SOA ns.dns.$Z. hostmaster.$Z. "*" 7200 1800 86400 5") pass "SOA: $soa" ;;
*) fail "SOA: expected '$Z. 5 IN SOA ns.dns.$Z. hostmaster.$Z. <serial> 7200 1800 86400 5', got '$soa'" ;;
esac
has "$Z. 5 IN NS ns.dns.$Z."
has "dns-version.$Z. 28800 IN TXT \"1.1.0\""
has "kubernetes.default.svc.$Z. 5 IN A 10.96.0.1"
has "kube-dns.kube-system.svc.$Z. 5 IN A 10.96.0.10"
has "web.shop.svc.$Z. 5 IN A 10.96.100.20"
has "frontend.shop.svc.$Z. 5 IN A 10.96.200.10"
has "frontend.shop.svc.$Z. 5 IN AAAA fd00:10:96::c8"
has "db.data.svc.$Z. 5 IN A 10.244.1.10"
has "db.data.svc.$Z. 5 IN A 10.244.2.11"
has "db-0.db.data.svc.$Z. 5 IN A 10.244.1.10"
has "zk.data.svc.$Z. 5 IN A 10.244.2.21"
has "10-244-1-5.web.shop.svc.$Z. 5 IN A 10.244.1.5"
has "_https._tcp.kubernetes.default.svc.$Z. 5 IN SRV 0 100 443 kubernetes.default.svc.$Z."
has "_http._tcp.web.shop.svc.$Z. 5 IN SRV 0 100 80 web.shop.svc.$Z."
has "_dns._udp.kube-dns.kube-system.svc.$Z. 5 IN SRV 0 100 53 kube-dns.kube-system.svc.$Z."
has "_postgres._tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-0.db.data.svc.$Z."
has "_postgres._tcp.db.data.svc.$Z. 5 IN SRV 0 50 5432 db-1.db.data.svc.$Z."
has "payments.shop.svc.$Z. 5 IN CNAME api.payments.example.com."
has "storefront.shop.svc.$Z. 5 IN CNAME web.shop.svc.$Z."
hasnot "10.244.3.12"
hasnot "10.244.2.9"
hasnot "192.168.10.22"
hasnot "reports.shop.svc.$Z. "
hasnot "203.0.113.10"

# a second dump of the same data is identical (stable order)
timeout $((20 * LIB_SLOW)) "$SVCDNS" --dir "$ZONESDIR/demo" --dump-zone >"$WORK/zone2" 2>/dev/null
if cmp -s "$out" "$WORK/zone2"; then pass "two dumps of the same data are identical"; else
	fail "two dumps of the same data differ"; diff "$out" "$WORK/zone2" | head -10 | sed 's/^/     /'; fi

# exit code on an unreadable directory
timeout $((20 * LIB_SLOW)) "$SVCDNS" --dir /nonexistent/svcdns-test --dump-zone >/dev/null 2>"$WORK/err2"
check_eq "--dump-zone on a missing directory exits 1" 1 "$?"
finish
