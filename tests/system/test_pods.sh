#!/bin/sh
# test_pods.sh - --pods verified: a-b-c-d.<ns>.pod.<zone> answers only for
# an IP a Pod in that namespace has (CoreDNS's "pods verified"); a pod that
# appears, moves, finishes or goes away changes the answer; disabled and
# insecure modes keep their behaviour.
. "${TESTDIR:?}/system/lib.sh"

Z=cluster.local
DIR=$(copy_demo)
start_server "$DIR" --pods verified
echo "# server on port $PORT, directory $DIR"

a1() { d +norec +short "$1" "${2:-A}" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'; }
rc() { q "$1" "${2:-A}" | sed -n 's/^rcode //p'; }
is_answer() { [ "$(a1 "$1" "$2")" = "$3" ]; }
is_rcode() { [ "$(rc "$1" "$2")" = "$3" ]; }

expect "verified: a pod's own IP in its namespace" 10-244-1-5.shop.pod.$Z A <<END
rcode NOERROR
flags qr aa
answer 10-244-1-5.shop.pod.$Z. 5 IN A 10.244.1.5
END
expect_rcode "verified: the same IP in another namespace is NXDOMAIN" NXDOMAIN 10-244-1-5.default.pod.$Z A
expect_rcode "verified: an IP no pod has is NXDOMAIN" NXDOMAIN 10-244-1-99.shop.pod.$Z A
expect_rcode "verified: AAAA of an IPv4 pod name is NODATA" NOERROR 10-244-1-5.shop.pod.$Z AAAA
check_eq "verified: IPv6 pod address (':' written '-')" "fd00:10:244:1::8" "$(a1 fd00-10-244-1--8.shop.pod.$Z AAAA)"
check_eq "verified: case-insensitive" "10.244.1.5" "$(a1 10-244-1-5.SHOP.pod.$Z A)"

# a new pod appears
cat >"$DIR/newpod.json" <<'JSON'
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "late", "namespace": "shop"},
 "spec": {"containers": [{"name": "c", "image": "x"}]},
 "status": {"phase": "Running", "podIP": "10.244.9.9", "podIPs": [{"ip": "10.244.9.9"}]}}
JSON
if wait_for 2 is_answer 10-244-9-9.shop.pod.$Z A 10.244.9.9; then pass "a new pod answers within 2 s"; else fail "a new pod answers within 2 s"; fi
# it finishes: a Succeeded pod no longer owns its IP
sed 's/"Running"/"Succeeded"/' "$DIR/newpod.json" >"$DIR/newpod.tmp" && mv "$DIR/newpod.tmp" "$DIR/newpod.json"
if wait_for 2 is_rcode 10-244-9-9.shop.pod.$Z A NXDOMAIN; then pass "a finished pod's name goes away"; else fail "a finished pod's name goes away"; fi
# it runs again with another IP, then is deleted
printf '%s' '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"late","namespace":"shop"},"status":{"phase":"Running","podIP":"10.244.9.10"}}' >"$DIR/newpod.json"
if wait_for 2 is_answer 10-244-9-10.shop.pod.$Z A 10.244.9.10; then pass "a pod's new IP answers"; else fail "a pod's new IP answers"; fi
rm -f "$DIR/newpod.json"
if wait_for 2 is_rcode 10-244-9-10.shop.pod.$Z A NXDOMAIN; then pass "a deleted pod's name goes away"; else fail "a deleted pod's name goes away"; fi
alive
stop_server "$PID"

# insecure: any address the label spells, in an existing namespace
start_server "$DIR" --pods insecure
check_eq "insecure: any address" "10.1.2.3" "$(a1 10-1-2-3.shop.pod.$Z A)"
stop_server "$PID"
start_server "$DIR"
expect_rcode "disabled (default): NXDOMAIN" NXDOMAIN 10-244-1-5.shop.pod.$Z A
stop_server "$PID"
finish
