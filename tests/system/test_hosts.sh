#!/bin/sh
# test_hosts.sh - --hosts FILE, CoreDNS's hosts plugin with fallthrough
# (k3s's `hosts /etc/coredns/NodeHosts { ttl 60 reload 15s fallthrough }`):
# the file's names answered first (A/AAAA authoritative with --hosts-ttl,
# other types NOERROR/AA with no records and no SOA; PTRs of its addresses,
# one per name in file order, none with --hosts-no-reverse); what the file
# lacks falls through to the cluster's data or the upstream, which is never
# asked for what the file answers; a name both in the file and the cluster
# comes from the file. The file's syntax (comments, aliases, tabs, %zone,
# ::ffff:a.b.c.d, "*." wildcards, a trailing dot, upper case, duplicates,
# invalid lines); --hosts-ttl and its default; round_robin over the file's
# addresses; reloads (in place, same size with a new mtime, new size with
# the old mtime, renamed over), a deleted or unreadable file keeps its last
# contents (logged), a file missing at start is served once it appears,
# --hosts-reload 0 re-reads only on SIGHUP, and the default of 5 s; and the
# file served before the cluster data is synced. Every wait is bounded.
. "${TESTDIR:?}/system/lib.sh"
. "$TESTDIR/system/fwdlib.sh"

DIR=$(copy_demo)
HD=$(mktemp_dir)
Z=shop.svc.cluster.local

# The main file. Its addresses are outside the demo cluster's, but for
# 10.96.100.30 (cache.shop's ClusterIP), which the file claims.
HF=$HD/hosts
printf '%s\n' \
	'# svcdns --hosts test' \
	'' \
	"10.0.0.1	alpha.example.org   alpha	# a tab, an alias, a comment" \
	'10.0.0.2 multi.example.org' \
	'10.0.0.3 multi.example.org' \
	'10.0.0.4 multi.example.org' \
	'2001:db8::5 multi.example.org' \
	'10.0.0.9 shared1.example.org shared2.example.org' \
	'10.0.0.9 shared3.example.org' \
	'fe80::1%eth0 zoned.example.org' \
	'::ffff:10.0.0.7 mapped.example.org' \
	'2001:db8::6 v6only.example.org' \
	'10.0.0.10 Upper.Example.ORG' \
	'10.0.0.11 dup.example.org' \
	'10.0.0.11 dup.example.org' \
	'10.0.0.11 DUP.example.org' \
	'10.0.0.12 *.wild.example.org' \
	'10.0.0.13 trailing.example.org.' \
	'not-an-ip bad1.example.org' \
	'10.0.0.300 bad2.example.org' \
	'10.0.0.14' \
	'10.0.0.15 after.example.org # comment-name.example.org' \
	'# 10.0.0.16 hidden.example.org' \
	'10.0.0.20 web.shop.svc.cluster.local' \
	'10.96.100.30 cache-override.example.org' \
	'192.0.2.200 mx.example.test' >"$HF"

start_upstream main
# The server under test: --hosts with the defaults (TTL 3600, reload 5 s,
# round_robin).
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$HF"
MAIN_PORT=$PORT MAIN_PID=$PID MAIN_LOG=$LOG
# The same file with --loadbalance none and --hosts-no-reverse.
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$HF" --loadbalance none --hosts-no-reverse
NONE_PORT=$PORT NONE_PID=$PID NONE_LOG=$LOG
PORT=$MAIN_PORT PID=$MAIN_PID LOG=$MAIN_LOG
echo "# --hosts on port $MAIN_PORT; with --loadbalance none --hosts-no-reverse on port $NONE_PORT"

# ans [QPORT=...] NAME TYPE [dig options]: the answer's rdata in order, one line.
ans() { d +short +nocookie "$@" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# ans_sure NAME TYPE: ans, asked again (up to 3 times) while there is no
# answer at all: a loop of many answers counts wrong ones, not a query a
# loaded machine lost.
ans_sure() {
	local got="" i=0
	while [ $i -lt 3 ] && [ -z "$got" ]; do
		got=$(ans "$@")
		i=$((i + 1))
	done
	printf '%s' "$got"
}
uc() { ucount "$ULOG" "$@"; }

nodata() { # nodata DESC NAME TYPE [dig options]: NOERROR, AA, nothing in any section
	local desc=$1
	shift
	expect "$desc" "$@" <<EOF
rcode NOERROR
flags qr aa
EOF
}

# ---- A and AAAA from the file --------------------------------------------------------
expect "A: the file's address, AA, TTL 3600 (the default)" alpha.example.org A <<EOF
rcode NOERROR
flags qr aa
answer alpha.example.org. 3600 IN A 10.0.0.1
EOF
expect "A of an alias on the same line (a single label)" alpha. A <<EOF
rcode NOERROR
flags qr aa
answer alpha. 3600 IN A 10.0.0.1
EOF
expect "A over TCP" alpha.example.org A +tcp <<EOF
rcode NOERROR
flags qr aa
answer alpha.example.org. 3600 IN A 10.0.0.1
EOF
expect "case-insensitive; the owner is the question as asked" ALPHA.Example.Org A <<EOF
rcode NOERROR
flags qr aa
answer ALPHA.Example.Org. 3600 IN A 10.0.0.1
EOF
expect "a name written in upper case in the file" upper.example.org A <<EOF
rcode NOERROR
flags qr aa
answer upper.example.org. 3600 IN A 10.0.0.10
EOF
expect "several lines of one name: all its A records" multi.example.org A <<EOF
rcode NOERROR
flags qr aa
answer multi.example.org. 3600 IN A 10.0.0.2
answer multi.example.org. 3600 IN A 10.0.0.3
answer multi.example.org. 3600 IN A 10.0.0.4
EOF
expect "AAAA of the same name: its IPv6 line" multi.example.org AAAA <<EOF
rcode NOERROR
flags qr aa
answer multi.example.org. 3600 IN AAAA 2001:db8::5
EOF
expect "IPv6 with a %zone: the address without it" zoned.example.org AAAA <<EOF
rcode NOERROR
flags qr aa
answer zoned.example.org. 3600 IN AAAA fe80::1
EOF
expect "::ffff:10.0.0.7 is IPv4: an A record" mapped.example.org A <<EOF
rcode NOERROR
flags qr aa
answer mapped.example.org. 3600 IN A 10.0.0.7
EOF
nodata "::ffff:10.0.0.7 is IPv4: AAAA is NODATA" mapped.example.org AAAA
expect "IPv6 only: AAAA" v6only.example.org AAAA <<EOF
rcode NOERROR
flags qr aa
answer v6only.example.org. 3600 IN AAAA 2001:db8::6
EOF
nodata "IPv6 only: A is NODATA (no SOA)" v6only.example.org A
expect "duplicate lines (and one in another case): one record" dup.example.org A <<EOF
rcode NOERROR
flags qr aa
answer dup.example.org. 3600 IN A 10.0.0.11
EOF
expect "a name written with a trailing dot" trailing.example.org A <<EOF
rcode NOERROR
flags qr aa
answer trailing.example.org. 3600 IN A 10.0.0.13
EOF
expect "a line after invalid ones; its comment is no name" after.example.org A <<EOF
rcode NOERROR
flags qr aa
answer after.example.org. 3600 IN A 10.0.0.15
EOF
expect "*.wild.example.org: one label" x.wild.example.org A <<EOF
rcode NOERROR
flags qr aa
answer x.wild.example.org. 3600 IN A 10.0.0.12
EOF
expect "*.wild.example.org: the owner is the question" Some-Host.WILD.example.org A <<EOF
rcode NOERROR
flags qr aa
answer Some-Host.WILD.example.org. 3600 IN A 10.0.0.12
EOF

# ---- other types of the file's names: NOERROR, AA, empty, no SOA ----------------------
nodata "AAAA of an IPv4-only name: NODATA without SOA" alpha.example.org AAAA
for t in MX TXT SRV ANY NS SOA CNAME; do
	nodata "$t of a name in the file: NODATA without SOA" alpha.example.org $t
done
nodata "TXT over TCP: NODATA without SOA" alpha.example.org TXT +tcp
nodata "MX of a wildcard match: NODATA" x.wild.example.org MX
nodata "AAAA of a wildcard match: NODATA" x.wild.example.org AAAA

# ---- PTRs --------------------------------------------------------------------------
expect "PTR: each name of the address" 1.0.0.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 1.0.0.10.in-addr.arpa. 3600 IN PTR alpha.example.org.
answer 1.0.0.10.in-addr.arpa. 3600 IN PTR alpha.
EOF
check_eq "PTR: in file order (names of one line, then of the next)" \
	"shared1.example.org. shared2.example.org. shared3.example.org." "$(ans 9.0.0.10.in-addr.arpa PTR)"
bad=0
for i in 1 2 3 4 5 6 7 8; do
	[ "$(ans_sure 9.0.0.10.in-addr.arpa PTR)" = "shared1.example.org. shared2.example.org. shared3.example.org." ] ||
		bad=$((bad + 1))
done
check_eq "PTR: the same order in 8 more answers (round_robin does not rotate PTRs)" 0 "$bad"
check_eq "PTR: alias order too" "alpha.example.org. alpha." "$(ans 1.0.0.10.in-addr.arpa PTR)"
expect "PTR of an IPv6 address (ip6.arpa)" \
	5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR multi.example.org.
EOF
check_eq "PTR of the %zone address" "zoned.example.org." \
	"$(ans 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa PTR)"
check_eq "PTR of the ::ffff: address, in in-addr.arpa" "mapped.example.org." "$(ans 7.0.0.10.in-addr.arpa PTR)"
check_eq "PTR of a name written in upper case (any case)" "upper.example.org." \
	"$(ans 10.0.0.10.in-addr.arpa PTR | tr 'A-Z' 'a-z')"
check_eq "PTR of duplicate lines: one record" "dup.example.org." "$(ans 11.0.0.10.in-addr.arpa PTR | tr 'A-Z' 'a-z')"
check_eq "PTR asked in upper case" "alpha.example.org. alpha." "$(ans 1.0.0.10.IN-ADDR.ARPA PTR)"

# ---- the file wins over the cluster ---------------------------------------------------------
expect "a cluster name in the file: the file's address" web.$Z A <<EOF
rcode NOERROR
flags qr aa
answer web.shop.svc.cluster.local. 3600 IN A 10.0.0.20
EOF
nodata "a cluster name in the file: SRV is the file's NODATA, not the cluster's SRV" web.$Z SRV
nodata "a cluster name in the file: AAAA NODATA without the cluster's SOA" web.$Z AAAA
expect "PTR of a ClusterIP the file has: the file's name only" 30.100.96.10.in-addr.arpa PTR <<EOF
rcode NOERROR
flags qr aa
answer 30.100.96.10.in-addr.arpa. 3600 IN PTR cache-override.example.org.
EOF
check_eq "PTR of the file's address of the cluster name" "web.shop.svc.cluster.local." "$(ans 20.0.0.10.in-addr.arpa PTR)"

# ---- what the file lacks falls through -----------------------------------------------------
expect "fall through to the cluster: a Service's A" frontend.$Z A <<EOF
rcode NOERROR
flags qr aa
answer frontend.shop.svc.cluster.local. 5 IN A 10.96.200.10
EOF
got=$(q _http._tcp.web.$Z SRV)
check_true "fall through to the cluster: the SRV below a name of the file ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^answer _http._tcp.web.shop.svc.cluster.local. 5 IN SRV 0 100 80 web.shop.svc.cluster.local.$"' sh "$got"
got=$(q nope.$Z A)
check_true "fall through to the cluster: NXDOMAIN with the cluster's SOA ($(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^rcode NXDOMAIN" && printf "%s\n" "$1" | grep -q "^authority cluster.local. 5 IN SOA"' sh "$got"
check_eq "fall through to the cluster: the PTR of a ClusterIP the file lacks" "web.shop.svc.cluster.local." \
	"$(ans 20.100.96.10.in-addr.arpa PTR)"
check_eq "fall through to the upstream: www.example.test A" 192.0.2.1 "$(ans www.example.test A)"
check_true "... asked upstream" [ "$(uc www.example.test A)" -ge 1 ]
for n in bad1.example.org bad2.example.org comment-name.example.org hidden.example.org \
	a.b.wild.example.org wild.example.org sub.alpha.example.org; do
	expect_rcode "not in the file: $n forwarded (upstream NXDOMAIN)" NXDOMAIN $n A
	check_true "... $n asked upstream" [ "$(uc $n A)" -ge 1 ]
done
got=$(q example.org A)
check_true "not in the file: the parent of its names forwarded (upstream NODATA: $(echo $got))" \
	sh -c 'printf "%s\n" "$1" | grep -q "^rcode NOERROR" && printf "%s\n" "$1" | grep -q "^authority example.org. [0-9]* IN SOA"' sh "$got"
check_true "... example.org asked upstream" [ "$(uc example.org A)" -ge 1 ]
expect_rcode "PTR of an address not in the file: forwarded (upstream NXDOMAIN)" NXDOMAIN 99.0.0.10.in-addr.arpa PTR
check_true "... asked upstream" [ "$(uc 99.0.0.10.in-addr.arpa PTR)" -ge 1 ]
expect_rcode "PTR of the line without names: forwarded" NXDOMAIN 14.0.0.10.in-addr.arpa PTR
expect "the file shadows an upstream name" mx.example.test A <<EOF
rcode NOERROR
flags qr aa
answer mx.example.test. 3600 IN A 192.0.2.200
EOF
nodata "... and its other types" mx.example.test MX

# The upstream was never asked for what the file answers.
asked=""
for n in alpha.example.org alpha multi.example.org zoned.example.org mapped.example.org \
	v6only.example.org upper.example.org dup.example.org trailing.example.org after.example.org \
	x.wild.example.org some-host.wild.example.org web.$Z mx.example.test \
	1.0.0.10.in-addr.arpa 9.0.0.10.in-addr.arpa 7.0.0.10.in-addr.arpa 30.100.96.10.in-addr.arpa \
	20.0.0.10.in-addr.arpa 5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa; do
	c=$(uc $n)
	[ "$c" = 0 ] || asked="$asked $n($c)"
done
check_eq "the upstream was asked nothing the file answers (any type)" "" "$asked"

# ---- round_robin, --loadbalance none, --hosts-no-reverse -----------------------------------------
canon=$(QPORT=$NONE_PORT ans multi.example.org A)
check_eq "--loadbalance none: the file's order" "10.0.0.2 10.0.0.3 10.0.0.4" "$canon"
i=0 bad=0 firsts=""
while [ $i -lt 30 ]; do
	got=$(ans_sure multi.example.org A)
	case " $canon $canon " in
	*" $got "*) [ "$(echo "$got" | wc -w)" = 3 ] || bad=$((bad + 1)) ;;
	*) bad=$((bad + 1)); echo "     not a rotation of '$canon': '$got'" ;;
	esac
	firsts="$firsts ${got%% *}"
	i=$((i + 1))
done
check_eq "round_robin: 30 answers, each the 3 records in the file's cyclic order" 0 "$bad"
n=$(printf '%s\n' $firsts | sort -u | wc -l)
check_true "round_robin: 30 answers start at 2 or more of the 3 ($n)" [ "$n" -ge 2 ]
check_eq "--hosts-no-reverse: A still answered" 10.0.0.1 "$(QPORT=$NONE_PORT ans alpha.example.org A)"
before=$(uc 1.0.0.10.in-addr.arpa PTR)
QPORT=$NONE_PORT expect_rcode "--hosts-no-reverse: no PTR from the file (forwarded: NXDOMAIN)" NXDOMAIN 1.0.0.10.in-addr.arpa PTR
check_true "--hosts-no-reverse: ... the PTR was asked upstream" [ "$(uc 1.0.0.10.in-addr.arpa PTR)" -gt "$before" ]
check_eq "--hosts-no-reverse: a ClusterIP's PTR is the cluster's again" "cache.shop.svc.cluster.local." \
	"$(QPORT=$NONE_PORT ans 30.100.96.10.in-addr.arpa PTR)"

# ---- the default reload (5 s) ---------------------------------------------------------------
printf '%s\n' '10.0.0.1 alpha.example.org' '10.0.0.40 defaults.example.org' >"$HF.new"
touch -d @1500000000 "$HF.new"
mv -f "$HF.new" "$HF"
is_a() { [ "$(QPORT=${3:-$PORT} ans "$1" A)" = "$2" ]; }
t0=$(date +%s)
check_true "the default --hosts-reload: a renamed-over file is served within 15 s" \
	wait_for 15 is_a defaults.example.org 10.0.0.40
echo "     (after about $(($(date +%s) - t0)) s)"
check_true "... by --hosts-no-reverse's server too" wait_for 15 is_a defaults.example.org 10.0.0.40 "$NONE_PORT"
expect_rcode "a name gone from the file falls through (forwarded)" NXDOMAIN multi.example.org A
stop_server "$NONE_PID"

# ---- reloads with --hosts-reload 1 and --hosts-ttl 60 --------------------------------------------
RF=$HD/reload-hosts
MT=1600000000
# put FILE TEXT... : writes the lines in place (truncate and write) and
# gives the file a new mtime.
put() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
	MT=$((MT + 10))
	touch -d "@$MT" "$f"
}
# swap FILE MTIME TEXT...: the lines with that mtime, renamed over FILE
# at once (no state between: what is compared is only mtime and size).
swap() {
	local f=$1 mt=$2
	shift 2
	printf '%s\n' "$@" >"$f.tmp"
	touch -d "@$mt" "$f.tmp"
	mv -f "$f.tmp" "$f"
}
put "$RF" '10.1.0.1 r1.example.org'
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$RF" --hosts-ttl 60 --hosts-reload 1
expect "--hosts-ttl 60" r1.example.org A <<EOF
rcode NOERROR
flags qr aa
answer r1.example.org. 60 IN A 10.1.0.1
EOF
check_eq "--hosts-ttl 60 on PTRs too" "1.0.1.10.in-addr.arpa. 60 IN PTR r1.example.org." \
	"$(q 1.0.1.10.in-addr.arpa PTR | sed -n 's/^answer //p')"
put "$RF" '10.1.0.2 r1.example.org' '10.1.0.3 r2.example.org'
check_true "rewritten in place: the new address" wait_for 10 is_a r1.example.org 10.1.0.2
check_eq "rewritten in place: the new name" 10.1.0.3 "$(ans r2.example.org A)"
check_eq "rewritten in place: the new PTR" r2.example.org. "$(ans 3.0.1.10.in-addr.arpa PTR)"
expect_rcode "rewritten in place: the old address's PTR falls through" NXDOMAIN 1.0.1.10.in-addr.arpa PTR
MT=$((MT + 10))
swap "$RF" "$MT" '10.1.0.4 r1.example.org' '10.1.0.5 r2.example.org'
check_true "the same size, a new mtime: re-read" wait_for 10 is_a r1.example.org 10.1.0.4
swap "$RF" "$MT" '10.1.0.6 r1.example.org' '10.1.0.77 r2.example.org'
check_true "another size, the same mtime: re-read" wait_for 10 is_a r2.example.org 10.1.0.77
MT=$((MT + 10))
swap "$RF" "$MT" '10.1.0.8 r3.example.org'
check_true "renamed over: the new file" wait_for 10 is_a r3.example.org 10.1.0.8
expect_rcode "renamed over: a name it lacks falls through" NXDOMAIN r1.example.org A

# Deleted: the last contents stay, and it is said once (a warning).
# said: how many warnings or errors about the hosts file the log has.
said() { grep -Ec '\[(warning|error)\].*hosts' "$LOG"; }
more_said() { [ "$(said)" -gt "$1" ]; }
n0=$(said)
rm -f "$RF"
if wait_for 10 more_said "$n0"; then
	pass "deleted: a warning ($(grep -E '\[(warning|error)\].*hosts' "$LOG" | tail -1))"
else
	fail "deleted: a warning (none about the hosts file in 10 s)"
fi
check_eq "deleted: the last contents are still served" 10.1.0.8 "$(ans r3.example.org A)"
check_eq "deleted: and their PTR" r3.example.org. "$(ans 8.0.1.10.in-addr.arpa PTR)"
# ... and stay (several --hosts-reload periods later).
i=0 bad=0
while [ $i -lt 30 ]; do
	[ "$(ans_sure r3.example.org A)" = 10.1.0.8 ] || bad=$((bad + 1))
	sleep 0.1
	i=$((i + 1))
done
check_eq "deleted: served in each of 30 answers over 3 s and more" 0 "$bad"
check_true "deleted: said at most twice, not every second ($(($(said) - n0)) lines)" [ $(($(said) - n0)) -le 2 ]
put "$RF" '10.1.0.9 r4.example.org'
check_true "created again: served" wait_for 10 is_a r4.example.org 10.1.0.9
expect_rcode "created again: the old contents are gone" NXDOMAIN r3.example.org A

# Unreadable: a directory in its place (root reads any mode).
n0=$(said)
rm -f "$RF" && mkdir "$RF"
if wait_for 10 more_said "$n0"; then
	pass "a directory in its place: a warning ($(grep -E '\[(warning|error)\].*hosts' "$LOG" | tail -1))"
else
	fail "a directory in its place: a warning (none about the hosts file in 10 s)"
fi
i=0 bad=0
while [ $i -lt 30 ]; do
	[ "$(ans_sure r4.example.org A)" = 10.1.0.9 ] || bad=$((bad + 1))
	sleep 0.1
	i=$((i + 1))
done
check_eq "a directory in its place: the last contents served in each of 30 answers over 3 s" 0 "$bad"
rmdir "$RF"
if [ "$(id -u)" != 0 ]; then
	put "$RF" '10.1.0.10 r5.example.org'
	wait_for 10 is_a r5.example.org 10.1.0.10
	chmod 000 "$RF"
	MT=$((MT + 10))
	touch -d "@$MT" "$RF"
	i=0 bad=0
	while [ $i -lt 30 ]; do
		[ "$(ans_sure r5.example.org A)" = 10.1.0.10 ] || bad=$((bad + 1))
		sleep 0.1
		i=$((i + 1))
	done
	check_eq "mode 000: the last contents served in each of 30 answers over 3 s" 0 "$bad"
	chmod 644 "$RF"
	rm -f "$RF"
fi
put "$RF" '10.1.0.11 r6.example.org'
check_true "readable again: served" wait_for 10 is_a r6.example.org 10.1.0.11
alive "--hosts-reload 1 server still running"
stop_server "$PID"

# ---- missing at start --------------------------------------------------------------------------
LF=$HD/late-hosts
OF=$HD/other-hosts
printf '%s\n' '10.2.0.2 other.example.org' >"$OF"
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$LF" --hosts "$OF" --hosts-reload 1
pass "a missing file: svcdns starts"
check_eq "a missing file: a second --hosts file is served meanwhile" 10.2.0.2 "$(ans other.example.org A)"
check_true "a missing file: a warning names it" grep -qF "$LF" "$LOG"
check_true "... at warning level" grep -q '\[warning\].*hosts' "$LOG"
expect_rcode "a missing file: its future name is forwarded meanwhile" NXDOMAIN late.example.org A
check_eq "a missing file: the cluster is served" 10.96.200.10 "$(ans frontend.$Z A)"
printf '%s\n' '10.2.0.1 late.example.org' >"$LF"
check_true "the file appears: served" wait_for 10 is_a late.example.org 10.2.0.1
check_eq "the file appears: the second file still served" 10.2.0.2 "$(ans other.example.org A)"
alive "svcdns still running"
stop_server "$PID"

# ---- --hosts-reload 0: only at start and on SIGHUP ----------------------------------------------
SF=$HD/hup-hosts
put "$SF" '10.3.0.1 h1.example.org'
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$SF" --hosts-reload 0
H_PORT=$PORT H_PID=$PID H_LOG=$LOG
start_fwd "$DIR" --lameduck 0 --upstream "127.0.0.1:$UPORT" --hosts "$SF" --hosts-reload 1
C_PORT=$PORT C_PID=$PID
PORT=$H_PORT PID=$H_PID LOG=$H_LOG
check_eq "--hosts-reload 0: read at start" 10.3.0.1 "$(ans h1.example.org A)"
put "$SF" '10.3.0.2 h1.example.org'
check_true "the change is seen by a --hosts-reload 1 server" wait_for 10 is_a h1.example.org 10.3.0.2 "$C_PORT"
# 6 s: longer than the default period, so neither 0 taken as 5 s nor
# as "every tick" passes (a negative check: the window need not scale).
i=0 bad=0
while [ $i -lt 60 ]; do
	[ "$(ans_sure h1.example.org A)" = 10.3.0.1 ] || bad=$((bad + 1))
	sleep 0.1
	i=$((i + 1))
done
check_eq "--hosts-reload 0: not re-read by itself in 6 s (60 answers)" 0 "$bad"
kill -HUP "$PID"
check_true "--hosts-reload 0: SIGHUP re-reads it" wait_for 5 is_a h1.example.org 10.3.0.2
alive "svcdns still running after SIGHUP"
stop_server "$C_PID"
stop_server "$PID"

# ---- before the cluster data is synced -------------------------------------------------------
# An API server that is not there: never synced.
UF=$HD/unsynced-hosts
printf '%s\n' '10.0.0.1 alpha.example.org' '10.0.0.20 web.shop.svc.cluster.local' >"$UF"
DEAD=$(free_port)
PORT=$(free_port)
LOG=$(mktemp_dir)/svcdns.log
"$SVCDNS" --apiserver "http://127.0.0.1:$DEAD" --listen 127.0.0.1 --port "$PORT" \
	--upstream "127.0.0.1:$UPORT" --http 127.0.0.1:0 --threads 1 --lameduck 0 --hosts "$UF" >"$LOG" 2>&1 &
PID=$!
LIB_PIDS="$LIB_PIDS $PID"
LIB_SVCDNS_PIDS="${LIB_SVCDNS_PIDS:-} $PID"
replies() { q cluster.local SOA | grep -qv NO-REPLY; }
wait_for 5 replies || { fail "unsynced svcdns answers at all"; sed 's/^/     /' "$LOG"; }
expect_rcode "not synced: the cluster's names are SERVFAIL" SERVFAIL frontend.$Z A
expect "not synced: the file's names are answered" alpha.example.org A <<EOF
rcode NOERROR
flags qr aa
answer alpha.example.org. 3600 IN A 10.0.0.1
EOF
nodata "not synced: ... and its other types NODATA" alpha.example.org MX
expect "not synced: a cluster name in the file too" web.$Z A <<EOF
rcode NOERROR
flags qr aa
answer web.shop.svc.cluster.local. 3600 IN A 10.0.0.20
EOF
check_eq "not synced: the file's PTRs" web.shop.svc.cluster.local. "$(ans 20.0.0.10.in-addr.arpa PTR)"
alive "unsynced svcdns still running"
stop_server "$PID"

PORT=$MAIN_PORT PID=$MAIN_PID LOG=$MAIN_LOG
alive "the main server still running"
stop_server "$PID"
finish
