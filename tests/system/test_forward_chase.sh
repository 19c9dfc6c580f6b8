#!/bin/sh
# test_forward_chase.sh - an ExternalName service whose name is outside the
# cluster zones: the CNAME is ours, the target's records come from the
# upstream and are appended (as CoreDNS resolves it), over UDP and TCP; a
# target that does not exist gives NXDOMAIN with the CNAME and the
# upstream's SOA; a CNAME query is answered alone, without asking upstream.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
cat >"$DIR/ext.json" <<'JSON'
{"apiVersion": "v1", "kind": "List", "items": [
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext", "namespace": "shop"},
  "spec": {"type": "ExternalName", "externalName": "www.example.test"}},
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext-alias", "namespace": "shop"},
  "spec": {"type": "ExternalName", "externalName": "alias.example.test"}},
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext-big", "namespace": "shop"},
  "spec": {"type": "ExternalName", "externalName": "big.example.test"}},
 {"apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "ext-gone", "namespace": "shop"},
  "spec": {"type": "ExternalName", "externalName": "nope.example.test"}}
]}
JSON

start_upstream main
UP=$UPORT UPLOG=$ULOG
start_fwd "$DIR" --upstream "127.0.0.1:$UP"
Z=shop.svc.cluster.local

norm() { d +norec +nocookie "$@" | lib_normalise_dig | grep -E '^(rcode|answer|authority)' | sed 's/ SOA \(.*\) [0-9][0-9]* \([0-9]* [0-9]* [0-9]* [0-9]*\)$/ SOA \1 SERIAL \2/'; }

want=$(printf '%s\n' "rcode NOERROR" \
	"answer Ext.shop.svc.cluster.local. 5 IN CNAME www.example.test." \
	"answer www.example.test. 300 IN A 192.0.2.1")
check_eq "A: our CNAME, then the target's A from upstream" "$want" "$(norm Ext.$Z A)"
want=$(printf '%s\n' "rcode NOERROR" \
	"answer ext.shop.svc.cluster.local. 5 IN CNAME www.example.test." \
	"answer www.example.test. 300 IN AAAA 2001:db8::1")
check_eq "AAAA over TCP: CNAME and AAAA" "$want" "$(norm ext.$Z AAAA +tcp)"
got=$(norm ext-alias.$Z A)
check_true "a chain outside: our CNAME, the upstream's CNAME, its A ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "CNAME alias.example.test" &&
	       printf "%s\n" "$1" | grep -q "alias.example.test. 60 IN CNAME www.example.test." &&
	       printf "%s\n" "$1" | grep -q "192.0.2.1"' sh "$got"
got=$(norm ext-gone.$Z A)
check_true "target missing: NXDOMAIN, our CNAME, the upstream's SOA ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^rcode NXDOMAIN" &&
	       printf "%s\n" "$1" | grep -q "CNAME nope.example.test" &&
	       printf "%s\n" "$1" | grep -q "^authority example.test. .* SOA"' sh "$got"
before=$(ucount "$UPLOG" www.example.test)
want=$(printf '%s\n' "rcode NOERROR" "answer ext.shop.svc.cluster.local. 5 IN CNAME www.example.test.")
check_eq "CNAME query: the CNAME alone" "$want" "$(norm ext.$Z CNAME)"
check_eq "CNAME query: nothing asked upstream" "$before" "$(ucount "$UPLOG" www.example.test)"
# the target's answer is cached like any forwarded name
before=$(ucount "$UPLOG" www.example.test)
norm ext.$Z A >/dev/null
check_eq "second A: served from the cache" "$before" "$(ucount "$UPLOG" www.example.test)"
# A target's answer too big for UDP: the CNAME is ours, so the reply is
# authoritative and keeps it, cut at a whole record with TC (glibc and Java
# give up on an empty non-authoritative TC reply instead of going to TCP).
for try in first cached; do
	R=$(ask ext-big.$Z TXT --rd --bufsize 1232)
	check_json "big target over UDP ($try): aa tc ra, our CNAME first, whole records only" \
		"True True True CNAME True" \
		'"%s %s %s %s %s" % (r["aa"], r["tc"], r["ra"], r["answer"][0]["type"], r["size"] <= 1232 and "error" not in r)'
	R=$(ask ext-big.$Z TXT --rd --noedns)
	check_json "big target over UDP without EDNS ($try): aa tc, the CNAME within 512 bytes" \
		"True True CNAME True" \
		'"%s %s %s %s" % (r["aa"], r["tc"], r["answer"][0]["type"], r["size"] <= 512)'
	R=$(ask ext-big.$Z TXT --rd --tcp)
	check_json "big target over TCP ($try): the CNAME and all 40 TXT strings' record" \
		"False CNAME TXT True" \
		'"%s %s %s %s" % (r["tc"], r["answer"][0]["type"], r["answer"][-1]["type"], r["size"] > 4000)'
done
alive
stop_server "$PID"
finish
