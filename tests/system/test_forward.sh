#!/bin/sh
# test_forward.sh - names outside the cluster zones go upstream (issue 8):
# A/AAAA/MX/TXT/CNAME forwarded with the client's ID and question case,
# RD/CD/DO passed on, our EDNS size towards the upstream, --upstream none,
# cluster names never forwarded, --resolv-conf, stub domains (longest match
# wins), a large answer (upstream TC -> TCP, client TC -> TCP), loop
# detection at start.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)

start_upstream main
UP=$UPORT UPLOG=$ULOG
start_fwd "$DIR" --upstream "127.0.0.1:$UP"

# ---- record types, ID and question case -----------------------------------
R=$(ask WwW.ExAmPlE.TeSt A --id 4242 --rd)
check_json "A forwarded: NOERROR" "NOERROR" 'r["rcode"]'
check_json "A forwarded: the client's ID" "4242" 'r["id"]'
check_json "A forwarded: question case as the client wrote it" "WwW.ExAmPlE.TeSt." 'r["qname"]'
check_json "A forwarded: the address" "192.0.2.1" '" ".join(a["data"] for a in r["answer"] if a["type"] == "A")'
check_json "A forwarded: no trailing bytes, one OPT back" "0 1232" '"%d %s" % (r["trailing"], r["opt"]["size"] if r["opt"] else None)'
check_json "A forwarded: QR set" "True" 'r["qr"]'

R=$(ask www.example.test AAAA --id 1)
check_json "AAAA forwarded" "NOERROR 2001:db8::1 1" 'r["rcode"] + " " + r["answer"][0]["data"] + " " + str(r["id"])'
R=$(ask EXAMPLE.test MX --id 65535)
check_json "MX forwarded" "NOERROR 10 mx.example.test. 65535 EXAMPLE.test." 'r["rcode"] + " " + r["answer"][0]["data"] + " " + str(r["id"]) + " " + r["qname"]'
R=$(ask txt.example.test TXT --id 0)
check_json "TXT forwarded" "NOERROR hello from upstream 0" 'r["rcode"] + " " + r["answer"][0]["data"] + " " + str(r["id"])'
R=$(ask alias.example.test A)
check_json "CNAME chain forwarded" "CNAME:www.example.test. A:192.0.2.1" '" ".join(a["type"] + ":" + a["data"] for a in r["answer"])'
# (the test upstream puts TTL 60 on the SOA of negative answers, MINIMUM 3:
# the answer is cached for 3 s (RFC 2308) and says so already on a miss,
# as CoreDNS's cache does)
expect "dig: NXDOMAIN forwarded with the upstream's SOA" nope.example.test A +rec <<EOF
rcode NXDOMAIN
flags qr aa rd ra
authority example.test. 3 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 3
EOF
R=$(ask www.example.test TXT)
check_json "NODATA forwarded: NOERROR, no answer, SOA" "NOERROR 0 SOA" 'r["rcode"] + " " + str(len(r["answer"])) + " " + r["authority"][0]["type"]'
R=$(ask www.example.test A --noedns --id 77)
check_json "client without EDNS gets no OPT" "77 None" 'str(r["id"]) + " " + str(r["opt"])'

# ---- flags passed on, EDNS size ours ---------------------------------------
ask flags1.example.test A --rd --cd >/dev/null
check_eq "RD and CD passed to the upstream" "True True" \
	"$(ulast "$UPLOG" flags1.example.test '"%s %s" % (e["rd"], e["cd"])')"
ask flags2.example.test A >/dev/null
check_eq "RD=0, CD=0 passed to the upstream" "False False" \
	"$(ulast "$UPLOG" flags2.example.test '"%s %s" % (e["rd"], e["cd"])')"
ask flags3.example.test A --rd --do >/dev/null
check_eq "DO passed to the upstream" "True" "$(ulast "$UPLOG" flags3.example.test 'e["do"]')"
ask flags4.example.test A --rd --bufsize 4096 >/dev/null
check_eq "EDNS size towards the upstream is ours (1232), not the client's 4096" "True 1232" \
	"$(ulast "$UPLOG" flags4.example.test '"%s %s" % (e["edns"], e["edns_size"])')"
ask flags5.example.test A --rd --bufsize 512 >/dev/null
check_eq "EDNS size towards the upstream is ours (1232), not the client's 512" "1232" \
	"$(ulast "$UPLOG" flags5.example.test 'e["edns_size"]')"
ask flags6.example.test A --rd --noedns >/dev/null
check_eq "client without EDNS: we still send our EDNS 1232" "True 1232" \
	"$(ulast "$UPLOG" flags6.example.test '"%s %s" % (e["edns"], e["edns_size"])')"
check_eq "upstream sees a random ID, not the client's" "True" \
	"$(ulast "$UPLOG" www.example.test 'e["id"] != 4242 or "maybe"')"

# ---- cluster names stay here -----------------------------------------------
expect_rcode "cluster name answered locally" NOERROR kubernetes.default.svc.cluster.local A
expect_rcode "missing cluster name: NXDOMAIN locally" NXDOMAIN nope.default.svc.cluster.local A
expect_rcode "cluster apex" NOERROR cluster.local SOA
check_eq "no cluster name ever reached the upstream" "0 0 0" \
	"$(ucount "$UPLOG" kubernetes.default.svc.cluster.local) $(ucount "$UPLOG" nope.default.svc.cluster.local) $(ucount "$UPLOG" cluster.local)"
check_eq "upstream saw nothing under cluster.local" "0" \
	"$(grep -ci 'cluster\.local' "$UPLOG")"

# ---- reverse names: cluster PTRs here, the rest forwarded --------------------
expect_rcode "PTR of a cluster IP answered locally" NOERROR 1.0.96.10.in-addr.arpa PTR
check_eq "PTR of a cluster IP never reached the upstream" "0" "$(ucount "$UPLOG" 1.0.96.10.in-addr.arpa)"
expect_rcode "PTR of a foreign IP forwarded (NXDOMAIN from upstream)" NXDOMAIN 4.3.2.1.in-addr.arpa PTR
check_eq "PTR of a foreign IP reached the upstream" "1" "$(ucount "$UPLOG" 4.3.2.1.in-addr.arpa)"

# ---- large answer: upstream TC over UDP -> TCP; client TC -> TCP -----------
R=$(ask big.example.test TXT --bufsize 1232)
check_json "big answer over UDP: TC to the client, no records" "True 0" 'str(r["tc"]) + " " + str(len(r["answer"]))'
R=$(ask big.example.test TXT --tcp)
check_json "big answer over TCP: all 40 records" "NOERROR 40" 'r["rcode"] + " " + str(len(r["answer"]))'
check_eq "upstream asked big.example.test over TCP after its TC" "1" \
	"$(ucount "$UPLOG" big.example.test TXT tcp)"
R=$(ask big2.example.test TXT --tcp)
check_json "unknown name over TCP forwarded" "NXDOMAIN" 'r["rcode"]'
expect_rcode "dig +tcp forwarded" NOERROR www.example.test AAAA +tcp
alive "svcdns alive after the basic forwarding checks"
stop_server "$PID"

# ---- our EDNS size follows --udp-size ---------------------------------------
start_fwd "$DIR" --upstream "127.0.0.1:$UP" --udp-size 1400
ask udpsize.example.test A --bufsize 4096 >/dev/null
check_eq "EDNS size towards the upstream follows --udp-size 1400" "1400" \
	"$(ulast "$UPLOG" udpsize.example.test 'e["edns_size"]')"
stop_server "$PID"

# ---- --upstream none --------------------------------------------------------
start_server "$DIR"
expect_rcode "--upstream none: foreign name REFUSED" REFUSED none1.example.test A
expect_rcode "--upstream none: foreign name over TCP REFUSED" REFUSED none1.example.test A +tcp
expect_rcode "--upstream none: cluster names still answered" NOERROR kubernetes.default.svc.cluster.local A
stop_server "$PID"
check_eq "--upstream none: nothing reached the upstream" "0" "$(ucount "$UPLOG" none1.example.test)"

# ---- --resolv-conf ------------------------------------------------------------
RC=$(mktemp_dir)/resolv.conf
cat >"$RC" <<EOF
# a comment
search default.svc.cluster.local svc.cluster.local cluster.local
nameserver 127.0.0.1:$UP
options ndots:5
EOF
start_fwd "$DIR" --resolv-conf "$RC"
R=$(ask rc1.example.test A --rd)
check_json "--resolv-conf nameserver used when no --upstream" "NXDOMAIN" 'r["rcode"]'
check_eq "--resolv-conf: the upstream got the query" "1" "$(ucount "$UPLOG" rc1.example.test)"
stop_server "$PID"

# --upstream wins over --resolv-conf
start_upstream other
UP2=$UPORT UP2LOG=$ULOG
start_fwd "$DIR" --resolv-conf "$RC" --upstream "127.0.0.1:$UP2"
ask rc2.example.test A >/dev/null
check_eq "--upstream given: resolv.conf not used" "0 1" \
	"$(ucount "$UPLOG" rc2.example.test) $(ucount "$UP2LOG" rc2.example.test)"
stop_server "$PID"

RC0=$(mktemp_dir)/resolv.conf
printf 'search example\n# nameserver 127.0.0.1\n' >"$RC0"
start_fwd "$DIR" --resolv-conf "$RC0"
expect_rcode "resolv.conf without nameservers: foreign names REFUSED" REFUSED rc3.example.test A
stop_server "$PID"

# ---- stub domains: longest match wins ---------------------------------------
start_upstream stubshort
UPS=$UPORT UPSLOG=$ULOG
start_upstream stublong
UPL=$UPORT
# longest first on the command line, then longest last: order must not matter
for order in 1 2; do
	if [ $order = 1 ]; then
		start_fwd "$DIR" --upstream "127.0.0.1:$UP2" \
			--stub-domain "a.corp.example=127.0.0.1:$UPL" \
			--stub-domain "corp.example=127.0.0.1:$UPS"
	else
		start_fwd "$DIR" --upstream "127.0.0.1:$UP2" \
			--stub-domain "Corp.Example.=127.0.0.1:$UPS" \
			--stub-domain "a.corp.example=127.0.0.1:$UPL"
	fi
	R=$(ask who.x.a.corp.example TXT)
	check_json "stub (order $order): x.a.corp.example -> the a.corp.example servers" "stublong" 'r["answer"][0]["data"]'
	R=$(ask WHO.A.CORP.EXAMPLE TXT)
	check_json "stub (order $order): A.CORP.EXAMPLE (case) -> a.corp.example servers" "stublong" 'r["answer"][0]["data"]'
	R=$(ask who.b.corp.example TXT)
	check_json "stub (order $order): b.corp.example -> the corp.example servers" "stubshort" 'r["answer"][0]["data"]'
	R=$(ask who.corp.example TXT)
	check_json "stub (order $order): corp.example itself -> corp.example servers" "stubshort" 'r["answer"][0]["data"]'
	R=$(ask who.xa.corp.example TXT)
	check_json "stub (order $order): xa.corp.example is not under a.corp.example" "stubshort" 'r["answer"][0]["data"]'
	R=$(ask who.acorp.example TXT)
	check_json "stub (order $order): acorp.example is not under corp.example" "other" 'r["answer"][0]["data"]'
	R=$(ask who.example.org TXT)
	check_json "stub (order $order): other names -> default upstream" "other" 'r["answer"][0]["data"]'
	stop_server "$PID"
done
check_eq "the corp.example stub server never saw an a.corp.example name" "0" \
	"$(grep -ci '\.a\.corp\.example' "$UPSLOG")"

# stub domain with --upstream none: the stub is used, the rest refused
start_fwd "$DIR" --upstream none --stub-domain "corp.example=127.0.0.1:$UPS"
R=$(ask who.none.corp.example TXT)
check_json "--upstream none + stub: stub names forwarded" "stubshort" 'r["answer"][0]["data"] if r.get("answer") else r.get("rcode", r.get("error"))'
expect_rcode "--upstream none + stub: other names REFUSED" REFUSED who.example.org TXT
stop_server "$PID"

# stub domain with resolv.conf as the default
start_fwd "$DIR" --resolv-conf "$RC" --stub-domain "corp.example=127.0.0.1:$UPS"
R=$(ask who.rc.corp.example TXT)
check_json "stub + resolv.conf default: stub used" "stubshort" 'r["answer"][0]["data"]'
R=$(ask who.rc.example.org TXT)
check_json "stub + resolv.conf default: default used" "main" 'r["answer"][0]["data"]'
stop_server "$PID"

# bad option values
for bad in "--stub-domain corp.example" "--stub-domain =127.0.0.1" \
	"--stub-domain corp.example=" "--stub-domain corp.example=nothost" \
	"--upstream 127.0.0.1:0" "--upstream 127.0.0.1:70000" "--upstream host.example" \
	"--resolv-conf /nonexistent/resolv.conf"; do
	# shellcheck disable=SC2086
	timeout $((10 * LIB_SLOW)) "$SVCDNS" --dir "$DIR" --listen 127.0.0.1 --port "$(free_port)" \
		--http 127.0.0.1:0 --threads 1 $bad >"$WORK/bad.out" 2>&1
	st=$?
	if [ $st -ne 0 ] && [ $st -ne 124 ] && [ -s "$WORK/bad.out" ]; then
		pass "rejected at start: $bad (status $st)"
	else
		fail "rejected at start: $bad (status $st)"
		sed 's/^/     /' "$WORK/bad.out"
	fi
done

# ---- loop detection ---------------------------------------------------------
for how in upstream resolv; do
	P=$(free_port)
	if [ $how = upstream ]; then
		set -- --upstream "127.0.0.1:$P"
	else
		printf 'nameserver 127.0.0.1:%s\n' "$P" >"$WORK/loop.conf"
		set -- --resolv-conf "$WORK/loop.conf"
	fi
	timeout $((10 * LIB_SLOW)) "$SVCDNS" --dir "$DIR" --listen 127.0.0.1 --port "$P" \
		--http 127.0.0.1:0 --threads 1 "$@" >"$WORK/loop.out" 2>&1
	st=$?
	if [ $st -ne 0 ] && [ $st -ne 124 ]; then
		pass "loop ($how): svcdns as its own upstream refuses to start (status $st)"
	else
		fail "loop ($how): svcdns as its own upstream refuses to start (status $st)"
	fi
	if grep -qi 'loop' "$WORK/loop.out"; then
		pass "loop ($how): the message says it would loop"
	else
		fail "loop ($how): the message says it would loop"
		sed 's/^/     /' "$WORK/loop.out"
	fi
done
# a stub domain pointing at ourselves loops just the same
P=$(free_port)
timeout $((10 * LIB_SLOW)) "$SVCDNS" --dir "$DIR" --listen 127.0.0.1 --port "$P" --http 127.0.0.1:0 \
	--threads 1 --upstream "127.0.0.1:$UP" --stub-domain "corp.example=127.0.0.1:$P" \
	>"$WORK/loop.out" 2>&1 &
LP=$!
LIB_PIDS="$LIB_PIDS $LP"
i=0
while [ $i -lt $((30 * LIB_SLOW)) ] && child_alive "$LP"; do sleep 0.1; i=$((i + 1)); done
if child_alive "$LP"; then
	fail "loop (stub-domain): svcdns as a stub domain's server refuses to start (still running after $((3 * LIB_SLOW)) s)"
	stop_server "$LP"
else
	wait "$LP"
	st=$?
	check_true "loop (stub-domain): refuses to start (status $st)" [ "$st" -ne 0 ]
	check_true "loop (stub-domain): the message says it would loop" grep -qi loop "$WORK/loop.out"
fi
# the same port on another address is no loop
P=$(free_port)
timeout 3 "$SVCDNS" --dir "$DIR" --listen 127.0.0.1 --port "$P" \
	--http 127.0.0.1:0 --threads 1 --upstream "127.0.0.2:$P" >"$WORK/noloop.out" 2>&1
st=$?
check_eq "upstream on our port but another address starts (killed by timeout)" "124" "$st"

# ---- --forward-policy, --force-tcp (CoreDNS's forward policy and force_tcp) ---------------
start_upstream first
UF=$UPORT UFLOG=$ULOG
start_upstream second
US=$UPORT
# tags NAME-PREFIX N: N queries (names fresh each time, so none is cached),
# the upstream tags that answered, counted.
tags() {
	local i=0
	while [ $i -lt "$2" ]; do
		ask "who.$1-$i.test" TXT
		i=$((i + 1))
	done | jf 'r["answer"][0]["data"] if r.get("answer") else r.get("rcode", r.get("error"))' |
		sort | uniq -c | sed 's/^ *//' | tr '\n' ' ' | sed 's/ $//'
}
start_fwd "$DIR" --upstream "127.0.0.1:$UF" --upstream "127.0.0.1:$US" --forward-policy sequential
check_eq "--forward-policy sequential: every query to the first upstream" '10 first' "$(tags seq 10)"
stop_server "$PID"
start_fwd "$DIR" --upstream "127.0.0.1:$UF" --upstream "127.0.0.1:$US" --forward-policy round_robin
check_eq "--forward-policy round_robin: each upstream in turn" '5 first 5 second' "$(tags rr 10)"
stop_server "$PID"
start_fwd "$DIR" --upstream "127.0.0.1:$UF" --upstream "127.0.0.1:$US"
got=$(tags rnd 40)
check_true "--forward-policy random (default): 40 queries reach both upstreams ($got)" \
	sh -c 'case "$1" in *first*second*) exit 0 ;; esac; exit 1' sh "$got"
stop_server "$PID"
start_fwd "$DIR" --upstream "127.0.0.1:$UF" --force-tcp
R=$(ask www.example.test A)
check_json "--force-tcp: answered" "NOERROR 192.0.2.1" 'r["rcode"] + " " + r["answer"][0]["data"]'
check_eq "--force-tcp: asked upstream over TCP, never UDP" "1 0" \
	"$(ucount "$UFLOG" www.example.test A tcp) $(ucount "$UFLOG" www.example.test A udp)"
stop_server "$PID"

finish
