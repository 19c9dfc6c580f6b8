#!/bin/bash
# run.sh - the real-resolver suite: what the resolver libraries pods run get
# from svcdns.
#
#   SVCDNS=/path/to/svcdns [TESTDIR=/path/to/tests] tests/resolvers/run.sh
#
# In a network and mount namespace of its own (the script re-runs itself
# under `unshare -n -m`) it brings up lo, bind-mounts a pod's resolv.conf
# (namespace shop, ndots:5), /etc/hosts and nsswitch.conf over the real
# ones, starts NSD on 127.0.0.2:53 as the upstream (authoritative for
# example.com, no RA) and svcdns on 127.0.0.1:53 with the cluster of
# fixtures.py, then asks the same questions through glibc (getaddrinfo,
# gethostbyaddr, getent), musl (static), Go's pure resolver (Debian's Go
# 1.19 and the current Go), dnspython, Java (InetAddress and JNDI), kdig,
# drill and dig, and compares every answer with the one it must be. It also
# counts the queries svcdns logged for some lookups. Then the clients that
# walk the search list ask again, of svcdns --autopath (issue 25), as a pod
# of the namespace and as an address no pod has: the same answers, and
# fewer queries for the pod. Last, svcdns --prefer-zone (issue 25): the
# first address each of those clients gives a program for a headless
# service whose endpoints are in two zones, as a pod of either zone and as
# an address no pod has, then with a pod's network (a veth pair inside the
# namespace) under which the libraries' RFC 6724 sorting reorders the
# answer. Nothing leaves the namespace: every address is loopback or on
# that veth pair.
#
# Prints one line per check ("ok ..." or "FAIL ..." with what was expected
# and what came) and ends with "N passed, N failed". Exit 0 when all pass,
# 1 otherwise, including when a tool is missing or the kernel refuses the
# namespaces: this suite never skips.
#
# Debian packages it needs (bootstrap installs them):
#   util-linux mount iproute2 bind9-dnsutils knot-dnsutils ldnsutils nsd
#   gcc libc6-dev musl-tools golang-1.19-go python3 python3-dnspython
#   default-jdk-headless
# and a current Go at /usr/local/go (or GO_NEW=/path/to/bin/go).
#
# Environment:
#   SVCDNS         the svcdns binary under test (required)
#   TESTDIR        the tests/ directory (default: the one holding this script's directory)
#   GO_OLD         Go with the pre-1.22 dnsmessage parser (default: /usr/lib/go-1.19/bin/go)
#   GO_NEW         a current Go (default: /usr/local/go/bin/go)
#   RESOLVERS_BIN  where the compiled clients are kept between runs
#                  (default: resolvers-bin beside $SVCDNS, in the build directory)
#   RESOLVERS_CACHE  Go's build cache (default: ${XDG_CACHE_HOME:-$HOME/.cache}/svcdns-resolvers)
#   RESOLVERS_KEEP   set: keep the work directory (logs, each client's
#                    questions and answers) and print its path
#
# Every loop is bounded in count and time, every wait for a server is a
# retry loop, and only the processes this script started are killed, by PID.

set -u
export LC_ALL=C

ME=$(readlink -f "$0")
TESTDIR=${TESTDIR:-$(dirname "$(dirname "$ME")")}
HERE=$TESTDIR/resolvers
GO_OLD=${GO_OLD:-/usr/lib/go-1.19/bin/go}
GO_NEW=${GO_NEW:-/usr/local/go/bin/go}
PY=/usr/bin/python3 # Debian's, which has python3-dnspython

PASSED=0
FAILED=0

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*"; }

# finish: the closing line, and the exit status.
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}

# abort MESSAGE...: a failure that stops the suite (a missing tool, a
# server that does not start).
abort() {
	fail "$*"
	finish
}

# ---- what the suite needs ------------------------------------------------------
# need COMMAND WHERE-FROM: the command exists (a path, or a name on PATH).
need() {
	command -v "$1" >/dev/null 2>&1 || abort "required tool $1 not found ($2)"
}

[ -n "${SVCDNS:-}" ] || abort "SVCDNS must name the svcdns binary"
SVCDNS=$(readlink -f "$SVCDNS")
[ -x "$SVCDNS" ] || abort "SVCDNS=$SVCDNS is not an executable file"
[ -f "$HERE/fixtures.py" ] || abort "TESTDIR=$TESTDIR has no resolvers/fixtures.py"
. "$TESTDIR/system/pids.sh" || abort "cannot read $TESTDIR/system/pids.sh"
need unshare "Debian package util-linux"
need mount "Debian package mount"
need ip "Debian package iproute2"
need timeout "Debian package coreutils"
need sha256sum "Debian package coreutils"
need dig "Debian package bind9-dnsutils"
need kdig "Debian package knot-dnsutils"
need drill "Debian package ldnsutils"
need nsd "Debian package nsd"
need cc "Debian package gcc"
need musl-gcc "Debian package musl-tools"
need "$GO_OLD" "Debian package golang-1.19-go"
need "$GO_NEW" "a current Go: install one at /usr/local/go, or set GO_NEW=/path/to/bin/go"
need "$PY" "Debian package python3"
"$PY" -c 'import dns.resolver' 2>/dev/null || abort "$PY cannot import dns.resolver (Debian package python3-dnspython)"
need java "Debian package default-jdk-headless"
need javac "Debian package default-jdk-headless"

# ---- a network and mount namespace of our own ------------------------------------
# Port 53 and the pod's /etc/resolv.conf are what the C libraries insist on;
# a namespace gives both without touching the machine's. Root creates it
# directly; anyone else through a user namespace (unshare -r).
if [ -z "${SVCDNS_RESOLVERS_INSIDE:-}" ]; then
	flags=(--net --mount --propagation private)
	[ "$(id -u)" -eq 0 ] || flags+=(--map-root-user)
	if ! err=$(unshare "${flags[@]}" true 2>&1); then
		abort "cannot create a network and mount namespace (unshare ${flags[*]}: ${err:-refused}); this suite needs one: run it as root, or allow user namespaces"
	fi
	SVCDNS_RESOLVERS_INSIDE=$(readlink /proc/self/ns/net) exec unshare "${flags[@]}" -- /bin/bash "$ME" "$@"
fi

# Inside (SVCDNS_RESOLVERS_INSIDE names the network namespace outside):
# refuse to go on in that same namespace, were the variable set by hand.
[ "$(readlink /proc/self/ns/net)" != "$SVCDNS_RESOLVERS_INSIDE" ] ||
	abort "not in a network namespace of its own (SVCDNS_RESOLVERS_INSIDE set by hand?)"
ip link set lo up || abort "ip link set lo up failed"
# The pod's own addresses. They matter: getaddrinfo with AI_ADDRCONFIG
# (getent ahostsv4, many programs) returns no IPv4 answer on a host whose
# only IPv4 address is 127.0.0.1. On lo, so that nothing can leave.
ip addr add 10.244.0.5/32 dev lo || abort "ip addr add 10.244.0.5/32 dev lo failed"
ip -6 addr add fd00:10:244::5/128 dev lo nodad || abort "ip -6 addr add fd00:10:244::5/128 dev lo failed"

WORK=$(mktemp -d /tmp/svcdns-resolvers.XXXXXX) || abort "mktemp failed"
[ -z "${RESOLVERS_KEEP:-}" ] || echo "# work directory (kept): $WORK"
PIDS=""
cleanup() {
	local pid i
	for pid in $PIDS; do
		child_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		i=0
		while child_alive "$pid" && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		child_alive "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ -z "${RESOLVERS_KEEP:-}" ]; then
		case "$WORK" in /tmp/svcdns-resolvers.*) rm -rf "$WORK" ;; esac
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# The files a pod in namespace "shop" sees (the kubelet writes resolv.conf
# this way for dnsPolicy ClusterFirst). nsswitch.conf as Debian images ship
# it: no myhostname/resolve module of the host in the way.
printf '%s\n' "nameserver 127.0.0.1" \
	"search shop.svc.cluster.local svc.cluster.local cluster.local" \
	"options ndots:5" >"$WORK/resolv.conf"
printf '%s\n' "127.0.0.1 localhost" "::1 localhost ip6-localhost ip6-loopback" >"$WORK/hosts"
printf '%s\n' "passwd: files" "group: files" "shadow: files" "hosts: files dns" \
	"networks: files" "protocols: files" "services: files" >"$WORK/nsswitch.conf"
for f in resolv.conf hosts nsswitch.conf; do
	mount --bind "$WORK/$f" "/etc/$f" 2>"$WORK/mount.err" ||
		abort "bind-mount over /etc/$f failed: $(cat "$WORK/mount.err")"
done

"$PY" "$HERE/fixtures.py" "$WORK" || abort "fixtures.py failed"

# ---- the clients, compiled once and kept ------------------------------------------
CACHE=${RESOLVERS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/svcdns-resolvers}
BIN=${RESOLVERS_BIN:-$(dirname "$SVCDNS")/resolvers-bin}
mkdir -p "$BIN" 2>/dev/null && [ -w "$BIN" ] || BIN=$CACHE/bin
mkdir -p "$BIN" "$CACHE" || abort "cannot create $BIN and $CACHE"

# build NAME STAMP-INPUT COMMAND...: runs COMMAND (which writes $BIN/NAME)
# unless the binary is there and was built from the same sources with the
# same compiler (STAMP-INPUT: their text and the compiler's version).
build() {
	local name=$1 stamp
	stamp=$(printf '%s' "$2" | sha256sum | cut -c1-64)
	shift 2
	if [ -e "$BIN/$name" ] && [ "$(cat "$BIN/$name.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	rm -rf "${BIN:?}/$name" "$BIN/$name.stamp"
	if ! "$@" >"$WORK/build-$name.log" 2>&1; then
		fail "build $name: $*"
		sed 's/^/     /' "$WORK/build-$name.log"
		return 1
	fi
	echo "$stamp" >"$BIN/$name.stamp"
}

# Go: stdlib only, so no network and no module: the proxy is off.
build_go() { # NAME GO
	local name=$1 go=$2
	build "$name" "$(cat "$HERE/resolve.go"; "$go" version)" \
		env CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPROXY=off \
		GOCACHE="$CACHE/$name/cache" GOPATH="$CACHE/$name/path" \
		"$go" build -o "$BIN/$name" "$HERE/resolve.go"
}

T0=$(date +%s)
build glibc-resolve "$(cat "$HERE/resolve.c"; cc --version)" \
	cc -O2 -Wall -Wextra -o "$BIN/glibc-resolve" "$HERE/resolve.c"
build musl-resolve "$(cat "$HERE/resolve.c"; musl-gcc --version)" \
	musl-gcc -static -O2 -Wall -Wextra -o "$BIN/musl-resolve" "$HERE/resolve.c"
build_go go-old-resolve "$GO_OLD"
build_go go-new-resolve "$GO_NEW"
build java "$(cat "$HERE/Resolve.java"; javac -version 2>&1)" \
	javac -d "$BIN/java" "$HERE/Resolve.java"
[ "$FAILED" -eq 0 ] || finish
echo "# clients ready in $(($(date +%s) - T0)) s ($BIN): $("$GO_OLD" version | cut -d' ' -f3) and $("$GO_NEW" version | cut -d' ' -f3)"

# ---- NSD: the outside world, on 127.0.0.2:53 ---------------------------------------
# The upstream of the suite: authoritative only (no RA), for fixtures.py's
# zones (example.com and the root), in the foreground, every file of its own
# in the work directory, no privileges dropped (tests/system/nsd_lib.sh).
. "$TESTDIR/system/nsd_lib.sh" || abort "cannot read $TESTDIR/system/nsd_lib.sh"

# wait_answer SERVER NAME TYPE PID LOG: polls until SERVER answers NAME
# (up to 100 tries, each a 1 s wait at most); aborts with the log if PID exits.
wait_answer() {
	local i
	for i in $(seq 1 100); do
		child_alive "$4" || abort "$(basename "$5" .log) exited at start; log: $(cat "$5")"
		# a line of data, not dig's ";; communications error" (stdout too)
		dig @"$1" +norec +time=1 +tries=1 +short "$2" "$3" 2>/dev/null | grep -qv '^;' && return 0
		sleep 0.1
	done
	abort "no answer from $1 for $2 $3 after 100 tries; log: $(cat "$5")"
}
nsd_start "$WORK/nsd" 127.0.0.2 53 example.com .
case $? in
0) ;;
2) abort "nsd exited at start; log: $(cat "$NSD_LOG")" ;;
*) abort "no answer from 127.0.0.2 for example.com SOA after 100 tries; log: $(cat "$NSD_LOG")" ;;
esac

# ---- svcdns on 127.0.0.1:53 ---------------------------------------------------------
# --threads 1: the forwarded-answer cache is per query thread, and the
# checks of cached answers need the second question to meet the first's
# answer; and one thread answers and logs the queries in the order they
# came, which the query counts rely on. Port 9153 for --http is free: the
# namespace is new (and each svcdns here is stopped before the next starts).
# start_svcdns NAME DIR [OPTION...]: svcdns serving DIR, logging to
# $WORK/NAME.log; sets SVCDNS_PID and SVCDNS_LOG.
start_svcdns() {
	local name=$1 dir=$2
	shift 2
	SVCDNS_LOG=$WORK/$name.log
	"$SVCDNS" --dir "$dir" --listen 127.0.0.1 --port 53 --upstream 127.0.0.2 \
		--pods insecure --log-queries --http 127.0.0.1:9153 --lameduck 0 --threads 1 "$@" \
		>"$SVCDNS_LOG" 2>&1 &
	SVCDNS_PID=$!
	PIDS="$PIDS $SVCDNS_PID"
	wait_answer 127.0.0.1 dns-version.cluster.local TXT "$SVCDNS_PID" "$SVCDNS_LOG"
}
start_svcdns svcdns "$WORK/cluster"
echo "# $("$SVCDNS" --version 2>&1 | head -1) up on 127.0.0.1; NSD on 127.0.0.2"

# ---- what every name must give ---------------------------------------------------
# The address sets too long to write out: hl600's 600 endpoints and
# big.example.com's 150 addresses (fixtures.py makes them the same way).
HL600=$(awk 'BEGIN { for (i = 0; i < 600; i++) printf "10.245.%d.%d\n", int(i / 250), i % 250 + 1 }' | sort | tr '\n' ' ')
HL600=${HL600% }
HL600_SRV=$(awk 'BEGIN { for (i = 0; i < 600; i++) printf "0 1 8080 10-245-%d-%d.hl600.shop.svc.cluster.local.\n", int(i / 250), i % 250 + 1 }' | sort | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }')
BIG=$(seq 1 150 | sed 's/^/198.51.100./' | sort | tr '\n' ' ')
BIG=${BIG% }
HL3_SRV="0 33 5432 hl3-0.hl3.shop.svc.cluster.local., 0 33 5432 hl3-1.hl3.shop.svc.cluster.local., 0 33 5432 hl3-2.hl3.shop.svc.cluster.local."

# KIND | QUERY | EXPECTED | NOTES
# KIND: host (every address), host4, host6, cname, ptr, srv (SRV of the
# name as given), srvsvc ("SERVICE PROTO NAME", Go's LookupSRV form).
# EXPECTED: addresses or names sorted and space-separated, SRV records
# "PRIORITY WEIGHT PORT TARGET" sorted and joined by ", "; or NXDOMAIN,
# NODATA (the name exists without that type), or NOTFOUND (either).
# NOTES: "tcp", the whole answer needs TCP (larger than 512 bytes);
# "fwd", svcdns forwards it (a UDP answer cut short may then hold no
# records at all: NSD's own does not, and a forwarder passes that on);
# "again", the same question as the row before, now from svcdns's cache.
# Short names are relative to the pod's namespace, shop, via the search
# list. Each client asks the rows in this order, glibc first: it meets the
# forwarded names fresh, and the rows asked twice from svcdns's cache.
EXPECT=$(cat <<EOF
# ClusterIP: IPv4, dual stack, IPv6 only; short names through the search list
host   | frontend                                  | 10.96.200.10 fd00:10:96::c8
host4  | frontend                                  | 10.96.200.10
host6  | frontend                                  | fd00:10:96::c8
host   | frontend.shop                             | 10.96.200.10 fd00:10:96::c8
host   | svc.otherns                               | 10.96.50.5
host   | web                                       | 10.96.100.20
host   | web.shop.svc.cluster.local                | 10.96.100.20
host   | web.shop.svc.cluster.local.               | 10.96.100.20
host   | v6svc                                     | fd00:10:96::6
host4  | v6svc                                     | NODATA
host6  | v6svc.shop.svc.cluster.local.             | fd00:10:96::6
# headless: the ready endpoints only (hl3-3 is not ready), by name too
host   | hl3                                       | 10.244.3.10 10.244.3.11 10.244.3.12
host4  | hl3.shop.svc.cluster.local.               | 10.244.3.10 10.244.3.11 10.244.3.12
host   | hl3-1.hl3                                 | 10.244.3.11
host4  | hl3-3.hl3.shop.svc.cluster.local.         | NXDOMAIN
host4  | hl600                                     | $HL600 | tcp
host4  | hl600.shop.svc.cluster.local.             | $HL600 | tcp
host   | hl600.shop.svc.cluster.local.             | $HL600 | tcp
# names that do not exist; a namespace without services; pod names
host   | nosuch                                    | NXDOMAIN
host4  | nosuch.shop.svc.cluster.local.            | NXDOMAIN
host4  | podns.svc.cluster.local.                  | NODATA
host4  | 10-240-0-1.podns.pod.cluster.local.       | 10.240.0.1
host   | 10-244-3-10.shop.pod.cluster.local.       | 10.244.3.10
host4  | 10-240-0-1.nons.pod.cluster.local.        | NXDOMAIN
# forwarded to NSD: asked fresh, then "again" from svcdns's cache;
# v4only has no AAAA, big has 150 A records
host4  | v4only.example.com.                       | 192.0.2.10
host6  | v4only.example.com.                       | NODATA
host6  | v4only.example.com.                       | NODATA | again
host6  | v4only.example.com                        | NODATA
host   | v4only.example.com                        | 192.0.2.10
host   | dual.example.com                          | 192.0.2.20 2001:db8::20
host6  | dual.example.com.                         | 2001:db8::20
host   | alias.example.com.                        | 192.0.2.20 2001:db8::20
cname  | alias.example.com.                        | dual.example.com.
host6  | www.example.com.                          | NODATA
host4  | big.example.com.                          | $BIG | tcp fwd
host4  | big.example.com.                          | $BIG | tcp fwd again
host   | nosuch.example.com.                       | NXDOMAIN
# ExternalName: in the zone, and to outside names (the target chased)
host   | storefront                                | 10.96.100.20
cname  | storefront                                | web.shop.svc.cluster.local.
host   | payments                                  | 192.0.2.20 2001:db8::20
cname  | payments                                  | dual.example.com.
host4  | ext-v4                                    | 192.0.2.10
host6  | ext-v4.shop.svc.cluster.local.            | NODATA
host4  | ext-big                                   | $BIG | tcp
host4  | ext-big.shop.svc.cluster.local.           | $BIG | tcp
host   | ext-big.shop.svc.cluster.local.           | $BIG | tcp
cname  | ext-big                                   | big.example.com.
# PTR: cluster IPs, endpoints with and without a hostname, and one pod IP
# behind two headless services (one name per service, as CoreDNS)
ptr    | 10.96.100.20                              | web.shop.svc.cluster.local.
ptr    | 10.96.200.10                              | frontend.shop.svc.cluster.local.
ptr    | fd00:10:96::c8                            | frontend.shop.svc.cluster.local.
ptr    | fd00:10:96::6                             | v6svc.shop.svc.cluster.local.
ptr    | 10.244.3.11                               | hl3-1.hl3.shop.svc.cluster.local.
ptr    | 10.245.1.7                                | 10-245-1-7.hl600.shop.svc.cluster.local.
ptr    | 10.244.9.9                                | double-ep.svc1.testns.svc.cluster.local. double-ep.svc2.testns.svc.cluster.local.
# SRV: several targets (never compressed: Go before 1.22 rejects that),
# one target, 600 targets over TCP
srv    | _db._tcp.hl3.shop.svc.cluster.local.      | $HL3_SRV
srv    | _db._tcp.hl3                              | $HL3_SRV
srvsvc | db tcp hl3.shop.svc.cluster.local         | $HL3_SRV
srvsvc | db tcp hl3                                | $HL3_SRV
srv    | _https._tcp.web.shop.svc.cluster.local.   | 0 100 443 web.shop.svc.cluster.local.
srvsvc | https tcp web                             | 0 100 443 web.shop.svc.cluster.local.
srv    | _http._tcp.hl600.shop.svc.cluster.local.  | $HL600_SRV | tcp
srvsvc | http tcp hl600.shop.svc.cluster.local     | $HL600_SRV | tcp
srv    | _nosuch._tcp.hl3.shop.svc.cluster.local.  | NXDOMAIN
EOF
)

# The rows, trimmed, as "KIND<TAB>QUERY<TAB>EXPECTED<TAB>NOTES".
ROWS=$(printf '%s\n' "$EXPECT" | awk -F'|' '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	!/^#/ && NF >= 3 { printf "%s\t%s\t%s\t%s\n", trim($1), trim($2), trim($3), trim($4) }')

# ---- comparing ------------------------------------------------------------------------
# short TEXT SEP: TEXT as is when short, else its first items and a count.
short() {
	awk -v s="$1" -v sep="$2" 'BEGIN {
		n = split(s, w, sep)
		if (length(s) <= 200 || s ~ /^(NOTFOUND|TEMPFAIL|ERROR)/) { print substr(s, 1, 400); exit }
		out = w[1]; for (i = 2; i <= 3 && i <= n; i++) out = out sep w[i]
		print out sep "... (" n " in all)" }'
}

# differ EXPECTED GOT SEP: which items are missing from GOT, which extra.
differ() {
	awk -v e="$1" -v g="$2" -v sep="$3" 'BEGIN {
		n = split(e, E, sep); m = split(g, G, sep)
		for (i = 1; i <= n; i++) want[E[i]] = 1
		for (i = 1; i <= m; i++) have[G[i]] = 1
		for (i = 1; i <= n; i++) if (!(E[i] in have)) { miss++; if (miss <= 5) ml = ml " [" E[i] "]" }
		for (i = 1; i <= m; i++) if (!(G[i] in want)) { extra++; if (extra <= 5) xl = xl " [" G[i] "]" }
		if (miss) print "     missing " miss ":" ml (miss > 5 ? " ..." : "")
		if (extra) print "     extra " extra ":" xl (extra > 5 ? " ..." : "") }'
}

# subset EXPECTED GOT SEP: GOT is a non-empty subset of EXPECTED.
subset() {
	awk -v e="$1" -v g="$2" -v sep="$3" 'BEGIN {
		n = split(e, E, sep); m = split(g, G, sep)
		for (i = 1; i <= n; i++) want[E[i]] = 1
		if (m == 0) exit 1
		for (i = 1; i <= m; i++) if (!(G[i] in want)) exit 1
		exit 0 }'
}

# verdict CLIENT KIND EXPECTED NOTES GOT: whether GOT is a right answer
# (status 0). Sets RULE to the leniency applied, if any, and SEP to the
# separator of the answer's items, for the report.
# Client traits: musl has no TCP fallback (only some of a "tcp" answer,
# or, forwarded, possibly none);
# gethostbyaddr (glibc 2.36 keeps only the first PTR record, musl has
# one name) and Java's getHostName give one PTR name (any one of those
# expected); dnspython and JNDI tell NXDOMAIN from NODATA, the
# others say only "not found" (EAI_NONAME and EAI_NODATA mean either).
verdict() {
	local client=$1 kind=$2 want=$3 notes=" $4 " got=$5 sep=" " ok=0 rule=""
	case $kind in srv | srvsvc) sep=", " ;; esac
	case $want in
	NXDOMAIN | NODATA | NOTFOUND)
		case "$client:$want" in
		dnspython:NXDOMAIN | dnspython:NODATA | java-jndi:NXDOMAIN | java-jndi:NODATA)
			case $got in "NOTFOUND [$want"*) ok=1 ;; esac ;;
		*)
			rule=" (any not-found: this client cannot tell NXDOMAIN from NODATA)"
			case $got in NOTFOUND*) ok=1 ;; esac ;;
		esac ;;
	*)
		case "$client:$kind:$notes" in
		musl:*" tcp "*)
			rule=" (some of them: musl has no TCP fallback)"
			subset "$want" "$got" "$sep" && ok=1
			case "$notes:$got" in *" fwd "*:NOTFOUND*)
				ok=1 ;; # none at all: as NSD, or any forwarder, cuts it
			esac ;;
		glibc:ptr:* | getent:ptr:* | musl:ptr:* | java-inet:ptr:*)
			rule=" (one of them: this API gives one PTR name)"
			case $got in *" "*) ;; *) subset "$want" "$got" " " && ok=1 ;; esac ;;
		*)
			[ "$got" = "$want" ] && ok=1 ;;
		esac ;;
	esac
	RULE=$rule SEP=$sep
	[ $ok -eq 1 ]
}

# wrong_answer EXPECTED GOT: the report of a wrong answer (after verdict).
wrong_answer() {
	echo "     expected$RULE: $(short "$1" "$SEP")"
	echo "     got: $(short "$2" "$SEP")"
	case $2 in NOTFOUND* | TEMPFAIL* | ERROR*) ;; *) differ "$1" "$2" "$SEP" ;; esac
}

# judge CLIENT KIND QUERY EXPECTED NOTES GOT: one check.
judge() {
	local client=$1 kind=$2 query=$3 want=$4 notes=" $5 " got=$6 desc
	desc=$(printf '%-9s %-6s %s' "$client" "$kind" "$query")
	case $notes in *" again "*) desc="$desc (again: from svcdns's cache)" ;; esac
	if verdict "$client" "$kind" "$want" "$5" "$got"; then
		pass "$desc"
	else
		fail "$desc"
		wrong_answer "$want" "$got"
	fi
}

# run_client CLIENT KINDS FILTER COMMAND...: feeds COMMAND the rows of the
# kinds it supports (FILTER "fqdn": only absolute names, and addresses),
# and judges each line it prints. A client that prints nothing for a row
# (crashed, hung past the timeout) fails that row.
ALL_RESULTS=$WORK/results
: >"$ALL_RESULTS"
run_client() {
	local client=$1 kinds=" $2 " filter=$3 kind query want notes got
	shift 3
	# a crashed svcdns would make every lookup wait for its timeouts
	child_alive "$SVCDNS_PID" ||
		abort "svcdns died before the $client lookups; log tail: $(tail -20 "$SVCDNS_LOG")"
	printf '%s\n' "$ROWS" | while IFS='	' read -r kind query want notes; do
		case $kinds in *" $kind "*) ;; *) continue ;; esac
		if [ "$filter" = fqdn ]; then
			case "$kind:$query" in *. | ptr:*) ;; *) continue ;; esac
		fi
		printf '%s\t%s\t%s\t%s\n' "$kind" "$query" "$want" "$notes"
	done >"$WORK/$client.rows"
	# (a shell function cannot run under timeout: getent_client bounds
	# each of its lookups itself)
	if [ "$(type -t "$1")" = function ]; then
		cut -f1,2 "$WORK/$client.rows" | "$@" >"$WORK/$client.out" 2>"$WORK/$client.err"
	else
		cut -f1,2 "$WORK/$client.rows" |
			timeout 120 "$@" >"$WORK/$client.out" 2>"$WORK/$client.err"
	fi
	local n=0
	# rows and output in the same order, one line each
	while IFS='	' read -r kind query want notes; do
		n=$((n + 1))
		got=$(sed -n "${n}p" "$WORK/$client.out" | cut -f3-)
		if [ "$(sed -n "${n}p" "$WORK/$client.out" | cut -f1,2)" != "$kind	$query" ]; then
			got="ERROR(no answer line; stderr: $(head -c 300 "$WORK/$client.err" | tr '\n' ' '))"
		fi
		printf '%s\t%s\t%s\t%s\n' "$client" "$kind" "$query" "$got" >>"$ALL_RESULTS"
		judge "$client" "$kind" "$query" "$want" "$notes" "$got"
	done <"$WORK/$client.rows"
}

# getent as a client: ahosts/ahostsv4 (getaddrinfo through NSS), the
# canonical name from ahosts' first line, and hosts ADDR (gethostbyaddr:
# the name, and aliases if the C library gives any). getent says "not
# found" (exit 2) for every getaddrinfo error, temporary ones too.
getent_client() {
	local kind query out st
	while IFS='	' read -r kind query; do
		case $kind in
		host | cname) out=$(timeout 60 getent ahosts "$query") ;;
		host4) out=$(timeout 60 getent ahostsv4 "$query") ;;
		ptr) out=$(timeout 60 getent hosts "$query") ;;
		esac
		st=$?
		if [ $st -eq 2 ]; then
			got="NOTFOUND [getent exit 2]"
		elif [ $st -ne 0 ]; then
			got="ERROR(getent exit $st)"
		else
			case $kind in
			host | host4) got=$(printf '%s\n' "$out" | awk '{ print $1 }' | sort -u | tr '\n' ' ') ;;
			cname) got=$(printf '%s\n' "$out" | awk 'NR == 1 { print $3 "." }') ;;
			ptr) got=$(printf '%s\n' "$out" | awk '{ for (i = 2; i <= NF; i++) print $i "." }' | sort -u | tr '\n' ' ') ;;
			esac
			got=${got% }
		fi
		printf '%s\t%s\t%s\n' "$kind" "$query" "$got"
	done
}

# ---- the clients ------------------------------------------------------------------------
echo "# glibc getaddrinfo / gethostbyaddr (first: it sees forwarded answers fresh, then cached)"
run_client glibc "host host4 host6 cname ptr" all "$BIN/glibc-resolve"
echo "# glibc through getent"
run_client getent "host host4 cname ptr" all getent_client
echo "# musl getaddrinfo / gethostbyaddr (static, UDP only)"
run_client musl "host host4 host6 cname ptr" all "$BIN/musl-resolve"
for v in old new; do
	[ $v = old ] && go=$GO_OLD || go=$GO_NEW
	echo "# Go $("$go" version | cut -d' ' -f3) pure resolver"
	run_client "go-$v" "host host4 host6 cname ptr srv srvsvc" all \
		env GODEBUG=netdns=go "$BIN/go-$v-resolve"
done
echo "# dnspython $("$PY" -c 'import dns.version; print(dns.version.version)')"
run_client dnspython "host host4 host6 cname ptr srv" all "$PY" "$HERE/resolve.py"
echo "# Java InetAddress"
run_client java-inet "host ptr" all java -cp "$BIN/java" Resolve inet
echo "# Java JNDI DNS (dns://127.0.0.1/, absolute names)"
run_client java-jndi "host4 host6 srv ptr" fqdn java -cp "$BIN/java" Resolve jndi

# Whatever the expected answer, no existing or forwarded name may give a
# temporary failure: to an application it means "the DNS is down".
temp=$(awk -F'\t' '$4 ~ /^TEMPFAIL/ { printf "     %s %s %s: %s\n", $1, $2, $3, $4 }' "$ALL_RESULTS")
total=$(wc -l <"$ALL_RESULTS")
if [ -z "$temp" ]; then
	pass "no temporary failure in $total lookups"
else
	fail "no temporary failure in $total lookups: $(printf '%s\n' "$temp" | wc -l) had one"
	printf '%s\n' "$temp"
fi

# ---- how many queries a lookup costs -------------------------------------------------
# lookup_counted KIND QUERY COMMAND...: one lookup through COMMAND (its
# output in $WORK/count.out); sets COUNTED to the number of queries svcdns
# logged for it and COUNT_FROM to the log's query line before them. Once
# the client has exited every query it sent has been answered, but the
# log line of an answer is written just after it is sent: so a barrier
# follows, dig asking svcdns a name of its own (barrier-N.cluster.local,
# NXDOMAIN, never walked), and the lookup's queries are the lines before
# the barrier's. One query thread answers and logs in arrival order, UDP
# and TCP alike. The barrier's wait is bounded (3 digs, each awaited 5 s).
# lookups_counted N KIND QUERY COMMAND...: the same for N lookups of the
# one question, each a fresh call in the one process.
logged() { grep -c ' query ' "$SVCDNS_LOG"; }
BARRIER=0
lookup_counted() { lookups_counted 1 "$@"; }
lookups_counted() {
	local n=$1 kind=$2 query=$3 at="" i j
	shift 3
	COUNT_FROM=$(logged)
	for i in $(seq 1 "$n"); do printf '%s\t%s\n' "$kind" "$query"; done |
		timeout 60 "$@" >"$WORK/count.out" 2>"$WORK/count.err"
	BARRIER=$((BARRIER + 1))
	for i in 1 2 3; do
		timeout 10 dig @127.0.0.1 +time=2 +tries=1 "barrier-$BARRIER.cluster.local" A >/dev/null 2>&1 </dev/null
		for j in $(seq 1 50); do
			at=$(grep ' query ' "$SVCDNS_LOG" | grep -n -m1 " barrier-$BARRIER\.cluster\.local\. " | cut -d: -f1)
			[ -n "$at" ] && break 2
			sleep 0.1
		done
	done
	if [ -z "$at" ]; then
		COUNTED="? (the barrier query barrier-$BARRIER.cluster.local never showed in the log)"
		return
	fi
	COUNTED=$((at - 1 - COUNT_FROM))
}
# counted_lines: the log lines of the last lookup_counted (at most 20).
counted_lines() {
	grep ' query ' "$SVCDNS_LOG" | tail -n +$((COUNT_FROM + 1)) | grep -v ' barrier-[0-9]*\.cluster\.local\. ' |
		head -20 | sed 's/^.* query [^ ]* /       /'
}
# answer_of KIND QUERY: the answer the client printed in the last lookup_counted
answer_of() {
	awk -F'\t' -v k="$1" -v q="$2" '$1 == k && $2 == q { sub(/^[^\t]*\t[^\t]*\t/, ""); print; found = 1; exit }
		END { if (!found) exit 1 }' "$WORK/count.out" ||
		echo "ERROR(no answer line; stderr: $(head -c 300 "$WORK/count.err" | tr '\n' ' '))"
}

# count_queries N CLIENT KIND QUERY COMMAND...: one lookup through COMMAND
# makes svcdns log exactly N queries.
count_queries() {
	local want=$1 client=$2 kind=$3 query=$4 desc
	shift 4
	lookup_counted "$kind" "$query" "$@"
	desc=$(printf 'queries: %-9s %-6s %s costs %s' "$client" "$kind" "$query" "$want")
	if [ "$COUNTED" = "$want" ]; then
		pass "$desc"
	else
		fail "$desc"
		echo "     got $COUNTED (answer: $(answer_of "$kind" "$query" | head -c 200)):"
		counted_lines
	fi
}
echo "# queries svcdns logged per lookup (ndots:5 and the search list at work)"
count_queries 2 glibc host frontend "$BIN/glibc-resolve"
count_queries 4 glibc host svc.otherns "$BIN/glibc-resolve"
count_queries 8 glibc host web.shop.svc.cluster.local "$BIN/glibc-resolve"
count_queries 2 glibc host web.shop.svc.cluster.local. "$BIN/glibc-resolve"
count_queries 4 glibc host4 nosuch "$BIN/glibc-resolve"
# a cached NODATA is final: no second try (a lame referral gets one)
count_queries 1 glibc host6 v4only.example.com. "$BIN/glibc-resolve"
count_queries 2 musl host frontend "$BIN/musl-resolve"
count_queries 2 go-old host frontend env GODEBUG=netdns=go "$BIN/go-old-resolve"
count_queries 2 go-new host frontend env GODEBUG=netdns=go "$BIN/go-new-resolve"
count_queries 1 go-old srvsvc "db tcp hl3" env GODEBUG=netdns=go "$BIN/go-old-resolve"
# Truncated over UDP, then the whole answer over TCP: two queries. (Go,
# not glibc: glibc asks a large answer again each time its buffer grows.)
count_queries 2 go-old host4 hl600 env GODEBUG=netdns=go "$BIN/go-old-resolve"
count_queries 2 go-new host4 hl600 env GODEBUG=netdns=go "$BIN/go-new-resolve"
count_queries 2 go-new host4 ext-big env GODEBUG=netdns=go "$BIN/go-new-resolve"

# ---- the wire, with kdig, drill and dig ---------------------------------------------
# flags_of DIG-ARGS...: the header flags of dig's reply, as dig prints them.
flags_of() {
	timeout 30 dig @127.0.0.1 +time=2 +tries=3 "$@" 2>&1 |
		sed -n 's/^;; flags: \([^;]*\);.*/\1/p' | head -1 | sed 's/ *$//'
}
check_eq() { # DESC EXPECTED GOT [DETAIL]
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "     expected: $2"
		echo "     got:      $3"
		[ -z "${4:-}" ] || printf '%s\n' "$4" | head -20 | sed 's/^/       /'
	fi
}
echo "# zone transfers, flags and truncation on the wire"
for t in IXFR=1 AXFR; do
	out=$(timeout 30 kdig @127.0.0.1 +timeout=2 +retry=2 -t "$t" cluster.local 2>&1)
	rcode=$(printf '%s\n' "$out" | sed -n "s/.*server replied with error '\([A-Z]*\)'.*/\1/p; s/.*status: \([A-Z]*\).*/\1/p" | head -1)
	check_eq "kdig -t $t cluster.local: REFUSED" REFUSED "${rcode:-none}" "$out"
done

# Forwarded answers to an RD query carry RA (svcdns recurses for its
# clients by forwarding), fresh or cached, and AA as NSD gave it: glibc and
# Go take NOERROR/no answer/AA=0/RA=0 for a lame referral. dual.example.com
# MX (NODATA) is asked here first.
check_eq "forwarded NODATA, fresh: flags" "qr aa rd ra" "$(flags_of dual.example.com MX)"
check_eq "forwarded NODATA, from the cache: flags" "qr aa rd ra" "$(flags_of dual.example.com MX)"
check_eq "forwarded answer from the cache: flags" "qr aa rd ra" "$(flags_of dual.example.com A)"
check_eq "forwarded answer too big for UDP, from the cache: flags" "qr aa tc rd ra" \
	"$(flags_of +noedns +ignore big.example.com A)"

# ext-big: the CNAME is svcdns's own answer (AA); over UDP it comes with TC
# when the target's 150 addresses do not fit, and over TCP all of them.
# (RA is not asked for here: the CNAME is svcdns's own answer.)
# summary: "aa yes, tc no | 1 CNAME, 150 A" from dig's output on stdin
summary() {
	awk '/^;; flags:/ { aa = / aa[ ;]/; tc = / tc[ ;]/ }
	!/^;/ && $4 == "CNAME" { c++ } !/^;/ && $4 == "A" { a++ }
	END { printf "aa %s, tc %s | %d CNAME, %d A", (aa ? "yes" : "no"), (tc ? "yes" : "no"), c, a }'
}
out=$(timeout 30 dig @127.0.0.1 +time=2 +tries=3 +noedns +ignore ext-big.shop.svc.cluster.local A 2>&1)
got=$(printf '%s\n' "$out" | summary)
case $got in "aa yes, tc yes | 1 CNAME, "*) got="aa yes, tc yes | 1 CNAME, what fits" ;; esac
check_eq "ext-big over UDP: AA, TC, the CNAME" "aa yes, tc yes | 1 CNAME, what fits" "$got" "$out"
out=$(timeout 30 dig @127.0.0.1 +time=2 +tries=3 +tcp ext-big.shop.svc.cluster.local A 2>&1)
check_eq "ext-big over TCP: AA, the CNAME and 150 addresses" "aa yes, tc no | 1 CNAME, 150 A" \
	"$(printf '%s\n' "$out" | summary)" "$out"

# hl600's SRV: over TCP all 600 records (targets uncompressed, RFC 2782,
# still fit); over UDP cut at a whole record, with TC, and still parseable.
out=$(timeout 30 kdig @127.0.0.1 +timeout=2 +retry=2 +tcp _http._tcp.hl600.shop.svc.cluster.local SRV 2>&1)
check_eq "kdig +tcp hl600 SRV: 600 records, no TC" "600 SRV, tc no" \
	"$(printf '%s\n' "$out" | awk '!/^;/ && $4 == "SRV" { n++ } /^;; Flags:/ && / tc/ { tc = 1 } END { printf "%d SRV, tc %s", n, (tc ? "yes" : "no") }')"
out=$(timeout 30 kdig @127.0.0.1 +timeout=2 +retry=2 +notcp +ignore +bufsize=1232 _http._tcp.hl600.shop.svc.cluster.local SRV 2>&1)
got=$(printf '%s\n' "$out" | awk '!/^;/ && $4 == "SRV" { n++ } /^;; Flags:/ && / tc/ { tc = 1 } /[Mm]alformed/ { bad = 1 }
	END { printf "%s, tc %s, %s", (n > 0 ? "some SRV" : "no SRV"), (tc ? "yes" : "no"), (bad ? "malformed" : "parses") }')
check_eq "kdig UDP (1232) hl600 SRV: truncated at a whole record" "some SRV, tc yes, parses" "$got" "$(printf '%s\n' "$out" | head -8)"
out=$(timeout 30 drill @127.0.0.1 -t hl600.shop.svc.cluster.local A 2>&1)
check_eq "drill over TCP: hl600's 600 addresses" "$HL600" \
	"$(printf '%s\n' "$out" | awk '!/^;/ && $4 == "A" { print $5 }' | sort | tr '\n' ' ' | sed 's/ $//')" "$(printf '%s\n' "$out" | head -5)"
out=$(timeout 30 drill @127.0.0.1 _db._tcp.hl3.shop.svc.cluster.local SRV 2>&1)
check_eq "drill (ldns) hl3 SRV: three records" "$HL3_SRV" \
	"$(printf '%s\n' "$out" | awk '!/^;/ && $4 == "SRV" { print $5, $6, $7, $8 }' | sort | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }')" "$out"
check_eq "dig podns.svc.cluster.local (a namespace without services): NODATA" "NOERROR, 0 answers" \
	"$(timeout 30 dig @127.0.0.1 +time=2 +tries=3 podns.svc.cluster.local A 2>&1 | sed -n 's/.*status: \([A-Z]*\),.*/\1/p; s/.*ANSWER: \([0-9]*\),.*/\1 answers/p' | paste -sd, - | sed 's/,/, /')"

# ---- autopath: svcdns walks the pod's search path (issue 25) ---------------------------
# With --autopath svcdns knows a client by its source address, from the
# Pods of its --dir (fixtures.py's cluster-autopath-* directories). When
# the client is a pod of shop and asks NAME.shop.svc.cluster.local, which
# does not exist, svcdns tries NAME.svc.cluster.local, NAME.cluster.local
# and NAME (forwarded) itself and answers with a CNAME from the asked name
# to the first that exists, then its records, or, when none does, the
# CNAME to NAME and NAME's NXDOMAIN. The client's walk ends at the first
# answer that is not NXDOMAIN: with autopath its first.
#
# The clients ask from 127.0.0.1: in cluster-autopath-pod the test pod's
# address; in cluster-autopath-stranger the pod is at 10.244.0.5 and
# 127.0.0.1 is a client svcdns does not know, which gets the ordinary
# answers. Each client asks each row three times, one lookup per process
# (lookup_counted): from the svcdns above (no --autopath, "plain"), from
# one with --autopath as the pod ("pod"), and from one with --autopath as
# the stranger ("stranger"). Every answer must be the expected one and,
# with --autopath, exactly the one the client got without: the same
# addresses and names, the same error (EAI code, Go's error text,
# dnspython's NXDOMAIN or NODATA); musl's part of a "tcp" answer excepted
# (what fits in 512 bytes, fewer after the CNAME). And each lookup costs
# the queries of its column, "PLAIN/POD" per client ("-": the client has
# no such lookup); the stranger's are PLAIN, the ordinary walk.
#
# What the clients send (measured; every name here is relative, with
# fewer than 5 dots, so the three search names come first and the name as
# written last). Every client walks on after NXDOMAIN: so with autopath
# too for a name that exists nowhere (its first answer is the CNAME and
# NXDOMAIN), 8 queries as without.
#   glibc getaddrinfo(AF_UNSPEC), and Java's InetAddress, which calls it:
#     A and AAAA of each name together, so an outside name costs 4 x 2 = 8
#     queries, a name.ns of another namespace 2 x 2, and with autopath 2:
#     both answers of the first name carry the CNAME (AAAA's with nothing
#     after it when the target has no AAAA). AI_CANONNAME asks the same,
#     and the canonical name is the same: the CNAME's target with
#     autopath, the name that answered without. host6 v4only: glibc walks
#     on after an empty NODATA but not after an answer that holds a
#     record, so autopath's CNAME-then-nothing ends it at once (4 -> 1),
#     and glibc says EAI_NONAME there, not EAI_NODATA: what it says for
#     any CNAME whose target has no AAAA (host6 www.example.com. above,
#     NSD's CNAME to v4only), so that row's answer with autopath is
#     checked against the client's answer to www.example.com. ("alias"),
#     the same as without for every other client. hl600's 600 addresses:
#     glibc asks the whole lookup again each time its buffer grows, 4
#     times in all, each the UDP answer (TC) then TCP: 4 x 3 = 12 with
#     the NXDOMAIN, 4 x 2 = 8 with autopath.
#   musl: A and AAAA of each name together too, and its walk ends at any
#     NOERROR, NODATA too (host6 v4only: 4 -> 1). UDP only: from hl600's
#     truncated answer it keeps what came (2 -> 1).
#   Go's pure resolver (1.19 and current): A and AAAA together; it walks
#     on after an answer without an address of the type, CNAME or not
#     (host6 v4only: 4 with or without). The current Go's LookupCNAME also
#     asks CNAME at each name: 3 queries a name (12 -> 3), Go 1.19's only
#     A and AAAA. hl600: the UDP answer (TC), then TCP (3 -> 2).
#   dnspython: A, then AAAA, each walking the list on its own and ending
#     at NODATA; its "cname" asks A only.
# (JNDI is not here: it has no search list, so it never walks.)
AP_CLIENTS="glibc musl go-old go-new java-inet dnspython"
AP_EXPECT=$(cat <<EOF
# KIND | QUERY              | EXPECTED                       | NOTES | glibc musl go-old go-new java-inet dnspython
# a service of the pod's own namespace by its short name: found at once, no walk to save
host   | frontend           | 10.96.200.10 fd00:10:96::c8    |       | 2/2  2/2 2/2 2/2  2/2 2/2
# another namespace's service by name.ns
host   | svc.otherns        | 10.96.50.5                     |       | 4/2  4/2 4/2 4/2  4/2 4/2
cname  | svc.otherns        | svc.otherns.svc.cluster.local. |       | 4/2  4/2 4/2 6/3  -   2/1
# an ExternalName (to an outside name) by name.ns: two CNAMEs, then NSD's addresses
host   | payments.shop      | 192.0.2.20 2001:db8::20        |       | 4/2  4/2 4/2 4/2  4/2 4/2
# outside names: 8 queries become 2
host   | dual.example.com   | 192.0.2.20 2001:db8::20        |       | 8/2  8/2 8/2 8/2  8/2 8/2
host   | v4only.example.com | 192.0.2.10                     |       | 8/2  8/2 8/2 8/2  8/2 8/2
host6  | v4only.example.com | NODATA                         | alias | 4/1  4/1 4/4 4/4  -   4/1
cname  | dual.example.com   | dual.example.com.              |       | 8/2  8/2 8/2 12/3 -   4/1
# a name.ns whose answer needs TCP (600 addresses): with autopath the UDP
# answer is the CNAME and what fits after it, with TC, then TCP has all
host4  | hl600.shop         | $HL600 | tcp | 12/8 2/1 3/2 3/2  -   3/2
# a name that exists nowhere: the walk goes on after autopath's NXDOMAIN
host   | nosuch             | NXDOMAIN                       |       | 8/8  8/8 8/8 8/8  8/8 8/8
EOF
)
AP_ROWS=$(printf '%s\n' "$AP_EXPECT" | awk -F'|' '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	!/^#/ && NF >= 5 { n = trim($4); if (n == "") n = "-" # (read would merge two tabs)
		printf "%s\t%s\t%s\t%s\t%s\n", trim($1), trim($2), trim($3), n, trim($5) }')
printf '%s\n' "$AP_ROWS" >"$WORK/autopath.rows"

# ap_command CLIENT: sets CMD, the command of one of the clients above.
ap_command() {
	case $1 in
	glibc) CMD=("$BIN/glibc-resolve") ;;
	musl) CMD=("$BIN/musl-resolve") ;;
	go-old | go-new) CMD=(env GODEBUG=netdns=go "$BIN/$1-resolve") ;;
	java-inet) CMD=(java -cp "$BIN/java" Resolve inet) ;;
	dnspython) CMD=("$PY" "$HERE/resolve.py") ;;
	*) abort "ap_command: no client $1" ;;
	esac
}

# autopath_run CONFIG: every client asks every row of AP_ROWS from the
# svcdns running now; CONFIG is plain, pod or stranger (see above). The
# plain answers are kept in AP_PLAIN for the other two to equal.
declare -A AP_PLAIN
autopath_run() {
	local config=$1 client col=0 kind query want notes counts cell want_n plain_n got desc why key same same_what
	child_alive "$SVCDNS_PID" ||
		abort "svcdns died before the autopath ($config) lookups; log tail: $(tail -20 "$SVCDNS_LOG")"
	for client in $AP_CLIENTS; do
		col=$((col + 1))
		ap_command "$client"
		while IFS='	' read -r kind query want notes counts; do
			cell=$(printf '%s\n' "$counts" | awk -v c=$col '{ print $c }')
			[ "$cell" != "-" ] || continue
			plain_n=${cell%/*}
			want_n=$plain_n
			[ "$config" != pod ] || want_n=${cell#*/}
			lookup_counted "$kind" "$query" "${CMD[@]}"
			got=$(answer_of "$kind" "$query")
			key="$client|$kind|$query"
			why=""
			verdict "$client" "$kind" "$want" "$notes" "$got" || why="$why answer,"
			same=${AP_PLAIN[$key]-}
			same_what="the answer without autopath"
			if [ "$config" = pod ] && [ "$notes" = alias ]; then
				same=$(awk -F'\t' -v c="$client" '$1 == c && $2 == "host6" && $3 == "www.example.com." { print $4; exit }' "$ALL_RESULTS")
				same_what="the answer to host6 www.example.com. (a CNAME, no AAAA)"
			fi
			if [ "$config" = plain ]; then
				AP_PLAIN[$key]=$got
			else
				case "$client: $notes " in
				musl:*" tcp "*) ;; # some of the addresses: which, depends on the size
				*) [ "$got" = "$same" ] || why="$why not $same_what," ;;
				esac
			fi
			[ "$COUNTED" = "$want_n" ] || why="$why queries,"
			desc=$(printf 'autopath %-8s %-9s %-6s %-18s %s queries' "$config:" "$client" "$kind" "$query" "$want_n")
			[ "$config" = plain ] || desc="$desc ($plain_n without)"
			if [ -z "$why" ]; then
				pass "$desc"
				continue
			fi
			fail "$desc: wrong${why%,}"
			case $why in *answer,*) wrong_answer "$want" "$got" ;; esac
			case $why in *" not the answer"*)
				echo "     expected $same_what: $(short "$same" " ")"
				echo "     got:      $(short "$got" " ")" ;;
			esac
			case $why in *queries,*)
				echo "     got $COUNTED queries:"
				counted_lines ;;
			esac
		done <"$WORK/autopath.rows"
	done
}

# autopath_probe FROM NAME: the answer section of dig's A query for NAME
# from address FROM, one record a line ("NAME TYPE DATA"), or the rcode
# when it is not NOERROR.
autopath_probe() {
	timeout 10 dig @127.0.0.1 -b "$1" +time=2 +tries=2 +norec "$2" A 2>&1 </dev/null |
		awk '/status:/ { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); if (s != "NOERROR") print s }
		/^;; ANSWER SECTION:/ { answer = 1; next } /^;/ || NF == 0 { answer = 0 }
		answer && NF >= 5 { print $1, $4, $5 }'
}
# wait_autopath FROM NAME EXPECTED WHAT: retries (50 times, 0.1 s apart)
# until the probe gives EXPECTED: svcdns has read the Pods (its map is
# synced) before the lookups start.
wait_autopath() {
	local i got=""
	for i in $(seq 1 50); do
		got=$(autopath_probe "$1" "$2")
		[ "$got" = "$3" ] && break
		sleep 0.1
	done
	check_eq "$4" "$3" "$got"
}

echo "# autopath: the walk without --autopath (svcdns above; one lookup per process)"
autopath_run plain

# ---- svcdns is still well ------------------------------------------------------------------
# stop_svcdns WHAT: SIGTERM; svcdns exits 0 within 10 s, and its log has
# no sanitizer report. A stopped svcdns's PID leaves PIDS once reaped.
stop_svcdns() {
	local what=$1 i st pid keep=""
	if child_alive "$SVCDNS_PID"; then
		kill -TERM "$SVCDNS_PID"
		for i in $(seq 1 100); do child_alive "$SVCDNS_PID" || break; sleep 0.1; done
		if child_alive "$SVCDNS_PID"; then
			fail "$what exits within 10 s of SIGTERM"
		else
			wait "$SVCDNS_PID"
			st=$?
			for pid in $PIDS; do [ "$pid" = "$SVCDNS_PID" ] || keep="$keep $pid"; done
			PIDS=$keep
			check_eq "$what exits 0 on SIGTERM" 0 $st
		fi
	else
		fail "$what still running after every client; log tail:"
		tail -20 "$SVCDNS_LOG" | sed 's/^/     /'
	fi
	if grep -Eq 'Sanitizer|runtime error:' "$SVCDNS_LOG"; then
		fail "$what ran without sanitizer reports"
		grep -E -A5 'Sanitizer|runtime error:' "$SVCDNS_LOG" | head -30 | sed 's/^/     /'
	fi
	echo "# $(logged) queries in $what's log"
}
stop_svcdns svcdns

# ---- autopath: the pod, and a client svcdns does not know -------------------------------
start_svcdns svcdns-autopath-pod "$WORK/cluster-autopath-pod" --autopath
wait_autopath 127.0.0.1 web.shop.shop.svc.cluster.local "web.shop.shop.svc.cluster.local. CNAME web.shop.svc.cluster.local.
web.shop.svc.cluster.local. A 10.96.100.20" \
	"svcdns --autopath knows 127.0.0.1 as a pod of shop (web.shop from it: CNAME, A)"
echo "# autopath: svcdns --autopath, the clients a pod of shop"
autopath_run pod
stop_svcdns "svcdns --autopath (pod)"

start_svcdns svcdns-autopath-stranger "$WORK/cluster-autopath-stranger" --autopath
wait_autopath 10.244.0.5 web.shop.shop.svc.cluster.local "web.shop.shop.svc.cluster.local. CNAME web.shop.svc.cluster.local.
web.shop.svc.cluster.local. A 10.96.100.20" \
	"svcdns --autopath knows 10.244.0.5 as a pod of shop (its Pods are in)"
check_eq "svcdns --autopath: 127.0.0.1, no pod's address there, gets no autopath" NXDOMAIN \
	"$(autopath_probe 127.0.0.1 web.shop.shop.svc.cluster.local)"
echo "# autopath: svcdns --autopath, the clients at an address no pod has"
autopath_run stranger
stop_svcdns "svcdns --autopath (stranger)"

# ---- prefer-zone: the first address a client takes (issue 25) ------------------------
# With --prefer-zone svcdns lists first, in a headless service's A or
# AAAA answer to a pod, the endpoints whose pods run in the zone of that
# pod's node (each group rotated). What a program gets from it is what its
# resolver library makes of that order: most connect to the first address
# they are given. fixtures.py's cluster-zone-* directories add four Nodes,
# node-a1 and node-a2 in zone-a, node-b1 and node-b2 in zone-b, with the
# pod CIDRs a dual-stack cluster gives them (10.244.21-24.0/24,
# fd00:10:244:21-24::/64), and a fifth, node-a3 in zone-a (10.244.25.0/24),
# that runs none of the service's pods; the headless service zonal in shop
# (IPv4 and IPv6) whose eight pods run two on each of the four, its slices
# listing them node-a1, node-a2, node-b1, node-b2, node-a1, ... (the zones
# interleaved); and the test pod at 127.0.0.1 (the clients' address) on a
# node of the configuration's choosing. Each client of the autopath table
# (the ones that resolve addresses) looks zonal up 16 times, each a fresh
# call in one process ("order": getaddrinfo(AF_UNSPEC), Go's LookupHost,
# Java's getAllByName, dnspython's A then AAAA, their addresses in the
# order the library returns them), and every lookup costs svcdns 2
# queries (A and AAAA of the first search name: nothing is cached). On
# node-a3 they ask for one family too: order4 (getaddrinfo(AF_INET), Go's
# LookupIP "ip4", dnspython's A: 1 query) and order6 (AF_INET6, "ip6",
# AAAA); Java's InetAddress has no such lookup.
#
# Checked per client, over the 16 lookups: every answer holds the 16
# addresses (the 8 of the family asked); the zone of the first address
# ("a": zone-a every time, "b": zone-b every time, "*": either, both
# seen), and the same of the first IPv4 and of the first IPv6 address
# (each family's list on its own; "-": none asked); "n": the first
# address is on the client's own node every time ("-": not checked); the
# first address is not always the same one (rotation); and the queries.
#
# Configurations:
#   zone-a, zone-b  127.0.0.1 a pod on node-a1 (zone-a) or node-b1 (zone-b)
#   stranger        the pod at 10.244.0.5 on node-a1; 127.0.0.1 no pod's
#                   address: the plain rotation, either zone first
#   a1-podnet       as zone-a, but the namespace now has a pod's network:
#                   eth0 (a veth pair, both ends in this namespace) with the
#                   pod's addresses in node-a1's CIDRs, 10.244.21.5/24 and
#                   fd00:10:244:21::5/64, and default routes through it
#   a3-podnet       the same on node-a3 (zone-a, none of zonal's pods):
#                   10.244.25.5/24 and fd00:10:244:25::5/64
#
# Measured (glibc 2.36, musl 1.2, Go 1.19 and current, OpenJDK 17,
# dnspython 2.3). Every library sorts a lookup's addresses by destination
# address selection (RFC 3484 in glibc, RFC 6724 in musl and Go; Java
# takes glibc's) but dnspython, which keeps the answer's order, and musl
# when no IPv6 address came. Rules 1-8 look at the families and at the
# source address a UDP connect() to each address picks; rule 9 prefers
# the address sharing the longest prefix with its source; rule 10 keeps
# the order.
# - Without a route to the pod network (the suite's namespace: lo only;
#   zone-a, zone-b, stranger) no endpoint has a source address: rule 1
#   ties, rule 9 does not apply, and every library keeps svcdns's order
#   within each family. The families: glibc puts IPv6 first (its RFC 3484
#   precedence table: ::/0 40, ::ffff:0:0/96 10), musl IPv4 first (the RFC
#   6724 table: ::ffff:0:0/96 35, fc00::/7 3), Java IPv4 first
#   (java.net.preferIPv6Addresses=false), dnspython A then AAAA; Go's
#   order is the answers' arrival order (it treats every unusable address
#   as equal), either family first. The first address is in the client's
#   zone every time, rotating.
# - With a pod's network, rule 9 reorders by the pod's own address, and the
#   zones play no part in it: on node-a1 the node's own endpoints come
#   first (glibc's IPv6 list, musl's IPv4 list, and glibc's IPv4 list,
#   which Java returns first: glibc applies rule 9 to IPv4 only inside the
#   source's subnet, 10.244.21.0/24): still zone-a, but only two of the
#   four zone-a endpoints ever come first (the "n"). On node-a3, whose
#   CIDRs are nearest node-b2's (10.244.25.5 shares 23 bits with
#   10.244.24.x, 20 with the others; fd00:10:244:25::5 63 with
#   fd00:10:244:24::, 61 with the others), zone-b comes first:
#     glibc getaddrinfo(AF_UNSPEC)  fd00:10:244:24::a or ::b (node-b2,
#                                   zone-b) every time: IPv6 first, rule 9
#     musl getaddrinfo(AF_UNSPEC)   10.244.24.10 or .11 every time: IPv4
#                                   first, rule 9 on IPv4 too (as
#                                   ::ffff:a.b.c.d, no subnet limit)
#     Go (1.19 and current)         zone-a: IPv4 first, and Go applies rule
#                                   9 to IPv6 only; its IPv6 list (and
#                                   LookupIP "ip6") starts with node-b2's
#     Java InetAddress              zone-a: its IPv4 list first, which glibc
#                                   left alone; the IPv6 list glibc's
#     dnspython                     zone-a: the answers' order
#   Asked for IPv4 alone (order4: a single-stack cluster's case too) every
#   library keeps svcdns's order here: glibc's rule 9 finds no endpoint in
#   10.244.25.0/24, musl sorts nothing without an IPv6 address, Go skips
#   IPv4. Asked for IPv6 alone (order6) glibc, musl and Go put node-b2's
#   first. So svcdns's zone order reaches a glibc or musl program that
#   asks for both families of a dual-stack service, or any but dnspython
#   asking for IPv6, only when no endpoint's address is nearer the pod's
#   own than the zone's nearest: it depends on how pod CIDRs were handed
#   to nodes, not on zones.
ZP_A="10.244.21.10 10.244.21.11 10.244.22.10 10.244.22.11 fd00:10:244:21::a fd00:10:244:21::b fd00:10:244:22::a fd00:10:244:22::b"
ZP_B="10.244.23.10 10.244.23.11 10.244.24.10 10.244.24.11 fd00:10:244:23::a fd00:10:244:23::b fd00:10:244:24::a fd00:10:244:24::b"
ZP_ALL=$(printf '%s\n' $ZP_A $ZP_B | sort | tr '\n' ' ')
ZP_ALL=${ZP_ALL% }
ZP_NODE_A1="10.244.21.10 10.244.21.11 fd00:10:244:21::a fd00:10:244:21::b"
ZP_LOOKUPS=16
ZP_EXPECT=$(cat <<'EOF2'
# CONFIG  | KIND   | glibc   | musl    | go-old  | go-new  | java-inet | dnspython
zone-a    | order  | a a a - | a a a - | a a a - | a a a - | a a a -   | a a a -
zone-b    | order  | b b b - | b b b - | b b b - | b b b - | b b b -   | b b b -
stranger  | order  | * * * - | * * * - | * * * - | * * * - | * * * -   | * * * -
a1-podnet | order  | a a a n | a a a n | a a a - | a a a - | a a a n   | a a a -
a3-podnet | order  | b a b - | b b b - | a a b - | a a b - | a a b -   | a a a -
a3-podnet | order4 | a a - - | a a - - | a a - - | a a - - | -         | a a - -
a3-podnet | order6 | b - b - | b - b - | b - b - | b - b - | -         | a - a -
EOF2
)
printf '%s\n' "$ZP_EXPECT" | awk -F'|' '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	!/^#/ && NF >= 8 { printf "%s", trim($1); for (i = 2; i <= NF; i++) printf "\t%s", trim($i); print "" }' \
	>"$WORK/zones.rows"

# zp_letters FROM TYPE: the zones of dig's zonal A or AAAA answer to a
# query from address FROM, in its order, a letter an address (a, b, or ?
# for neither).
zp_letters() {
	timeout 10 dig @127.0.0.1 -b "$1" +time=2 +tries=2 +norec +short zonal.shop.svc.cluster.local "$2" 2>/dev/null </dev/null |
		awk -v za=" $ZP_A " -v zb=" $ZP_B " '{ printf "%s", index(za, " " $1 " ") ? "a" : index(zb, " " $1 " ") ? "b" : "?" }
		END { print "" }'
}
# wait_zoned FROM LETTERS WHAT: retries (50 times, 0.1 s apart) until the A
# and the AAAA answer from FROM both come as LETTERS: svcdns has its Pods
# and Nodes (the first sync does not wait for them).
wait_zoned() {
	local i got=""
	for i in $(seq 1 50); do
		got="$(zp_letters "$1" A) $(zp_letters "$1" AAAA)"
		[ "$got" = "$2 $2" ] && break
		sleep 0.1
	done
	check_eq "$3" "$2 $2" "$got"
}

# zp_summary NODE-ADDRESSES: from the lines of a client's output (stdin),
# "FIRST V4 V6 NODE<TAB>DIFFERENT<TAB>BAD<TAB>LOOKUPS<TAB>FIRSTS": the
# letters of the table above ("-" for a family no answer held), how many
# different first addresses, how many answers were not all of zonal's
# addresses of the families asked, how many lookups printed, and the
# first addresses.
zp_summary() {
	awk -F'\t' -v za=" $ZP_A " -v zb=" $ZP_B " -v node=" $1 " -v all="$ZP_ALL" '
	function zone(x) { return x == "" ? "-" : index(za, " " x " ") ? "a" : index(zb, " " x " ") ? "b" : "?" }
	# class LETTERS: "a" or "b" when every letter is that one, "*" when
	# both (and nothing else) are, "-" when all are, "?" otherwise
	function class(s) { return s ~ /^a+$/ ? "a" : s ~ /^b+$/ ? "b" : s ~ /^[ab]+$/ ? "*" : s ~ /^-+$/ ? "-" : "?" }
	{
		lookups++
		# the families asked, of all of zonal addresses
		n = split(all, e, " "); want = ""
		for (i = 1; i <= n; i++)
			if ($1 == "order" || ($1 == "order4") == (e[i] !~ /:/))
				want = want (want == "" ? "" : " ") e[i]
		m = split($3, w, " ")
		# the set: sorted, as the expected one
		for (i = 2; i <= m; i++) { v = w[i]; j = i - 1; while (j > 0 && w[j] > v) { w[j + 1] = w[j]; j-- } w[j + 1] = v }
		s = ""; for (i = 1; i <= m; i++) s = s (i > 1 ? " " : "") w[i]
		if (s != want) bad++
		m = split($3, w, " "); f4 = f6 = ""
		for (i = 1; i <= m; i++) {
			if (w[i] ~ /:/ && f6 == "") f6 = w[i]
			if (w[i] !~ /:/ && f4 == "") f4 = w[i]
		}
		first = first zone(w[1]); v4 = v4 zone(f4); v6 = v6 zone(f6)
		if (!index(node, " " w[1] " ")) offnode++
		if (!(w[1] in seen)) { seen[w[1]] = 1; different++ }
		firsts = firsts (lookups > 1 ? " " : "") w[1]
	}
	END {
		printf "%s %s %s %s\t%d\t%d\t%d\t%s\n", class(first), class(v4), class(v6),
			(lookups && !offnode && node != "  " ? "n" : "-"), different, bad, lookups, firsts }'
}

# zp_word LETTER: a letter of the table in words.
zp_word() {
	case $1 in a) echo "zone-a" ;; b) echo "zone-b" ;; '*') echo "either zone" ;; -) echo "none" ;; *) echo "other" ;; esac
}

# zp_run CONFIG NODE-ADDRESSES: every client looks zonal up ZP_LOOKUPS
# times from the svcdns running now, as each row of CONFIG in ZP_EXPECT
# asks (KIND: order, both families; order4 or order6, one), and the
# row's cell is checked ("-": the client has no such lookup).
zp_run() {
	local config=$1 node=$2 row kind client col want got cls different bad lookups firsts why desc
	local w_first w_v4 w_v6 w_node per what
	child_alive "$SVCDNS_PID" ||
		abort "svcdns died before the prefer-zone ($config) lookups; log tail: $(tail -20 "$SVCDNS_LOG")"
	while IFS= read -r row <&3; do
		kind=$(printf '%s\n' "$row" | cut -f2)
		case $kind in order) per=2 what="" ;; order4) per=1 what=" (IPv4 only)" ;; *) per=1 what=" (IPv6 only)" ;; esac
		col=2
		for client in $AP_CLIENTS; do
			col=$((col + 1))
			want=$(printf '%s\n' "$row" | cut -f$col)
			[ "$want" != "-" ] || continue
			ap_command "$client"
			lookups_counted "$ZP_LOOKUPS" "$kind" zonal "${CMD[@]}"
			got=$(zp_summary "$node" <"$WORK/count.out")
			IFS='	' read -r cls different bad lookups firsts <<<"$got"
			why=""
			[ "$lookups" = "$ZP_LOOKUPS" ] || why="$why $lookups of $ZP_LOOKUPS lookups answered,"
			[ "$bad" = 0 ] || why="$why $bad answers not all of zonal's addresses,"
			[ "${cls% *}" = "${want% *}" ] || why="$why wrong zones,"
			case "${want##* }:${cls##* }" in n:n | -:*) ;; *) why="$why not on the client's node every time," ;; esac
			[ "$different" -ge 2 ] || why="$why no rotation,"
			[ "$COUNTED" = $((per * ZP_LOOKUPS)) ] || why="$why wrong query count,"
			read -r w_first w_v4 w_v6 w_node <<<"$want"
			desc=$(printf 'prefer-zone %-10s %-9s%s first %s' "$config:" "$client" "$what" "$(zp_word "$w_first")")
			[ "$kind" != order ] || desc="$desc, IPv4 $(zp_word "$w_v4"), IPv6 $(zp_word "$w_v6")"
			[ "$w_node" != n ] || desc="$desc, on the client's node"
			case "$config:$w_first" in
			zone-a:a | zone-b:b | a[0-9]-podnet:a | stranger:'*') ;;
			*) desc="$desc, not its zone: the library's sort" ;;
			esac
			desc="$desc ($different different first addresses in $ZP_LOOKUPS lookups, $COUNTED queries)"
			if [ -z "$why" ]; then
				pass "$desc"
				continue
			fi
			fail "$desc:${why%,}"
			echo "     expected (first, IPv4 first, IPv6 first, on the node): $want"
			echo "     got:                                                  $cls"
			echo "     first addresses: $firsts"
			awk -F'\t' 'NR <= 4 { print "     lookup " NR ": " $3 }' "$WORK/count.out"
			case $why in *"query count,"*)
				echo "     got $COUNTED queries:"
				counted_lines ;;
			esac
		done
	done 3< <(awk -F'\t' -v c="$config" '$1 == c' "$WORK/zones.rows")
}

# zp_podnet CIDR: a pod's network, on node CIDR's addresses: eth0, one end
# of a veth pair whose other end stays in this namespace (nothing leaves
# it), with 10.244.CIDR.5/24 and fd00:10:244:CIDR::5/64 and default routes
# through it, so that connect() finds every endpoint a source address.
zp_podnet() {
	local c=$1 i want got
	if ! ip link show eth0 >/dev/null 2>&1; then
		ip link add eth0 type veth peer name eth0-peer || abort "ip link add eth0 type veth failed"
		ip link set eth0-peer up && ip link set eth0 up || abort "ip link set eth0 up failed"
	fi
	ip -4 addr flush dev eth0 && ip -6 addr flush dev eth0 scope global || abort "ip addr flush dev eth0 failed"
	ip addr add "10.244.$c.5/24" dev eth0 || abort "ip addr add 10.244.$c.5/24 dev eth0 failed"
	ip -6 addr add "fd00:10:244:$c::5/64" dev eth0 nodad || abort "ip -6 addr add fd00:10:244:$c::5/64 dev eth0 failed"
	ip route replace default dev eth0 src "10.244.$c.5" || abort "ip route replace default dev eth0 failed"
	ip -6 route replace default dev eth0 src "fd00:10:244:$c::5" || abort "ip -6 route replace default dev eth0 failed"
	for i in $(seq 1 50); do
		ip link show eth0 | grep -q LOWER_UP && break
		sleep 0.1
	done
	want="10.244.$c.5 fd00:10:244:$c::5"
	got="$(ip route get 10.244.24.10 2>&1 | sed -n 's/.* src \([^ ]*\).*/\1/p' | head -1) $(ip -6 route get fd00:10:244:24::a 2>&1 | sed -n 's/.* src \([^ ]*\).*/\1/p' | head -1)"
	check_eq "pod network on node CIDR $c: an endpoint's source address is the pod's (ip route get)" "$want" "$got"
}

echo "# prefer-zone: the first address each client takes (zonal, $ZP_LOOKUPS lookups each)"
start_svcdns svcdns-zone-a "$WORK/cluster-zone-a" --prefer-zone
wait_zoned 127.0.0.1 aaaabbbb "svcdns --prefer-zone places 127.0.0.1 on node-a1: zonal's A and AAAA, zone-a's first"
zp_run zone-a "$ZP_NODE_A1"
stop_svcdns "svcdns --prefer-zone (zone-a)"

start_svcdns svcdns-zone-b "$WORK/cluster-zone-b" --prefer-zone
wait_zoned 127.0.0.1 bbbbaaaa "svcdns --prefer-zone places 127.0.0.1 on node-b1: zonal's A and AAAA, zone-b's first"
zp_run zone-b ""
stop_svcdns "svcdns --prefer-zone (zone-b)"

start_svcdns svcdns-zone-stranger "$WORK/cluster-zone-stranger" --prefer-zone
wait_zoned 10.244.0.5 aaaabbbb "svcdns --prefer-zone places 10.244.0.5 on node-a1 (its Pods and Nodes are in)"
# (the slices interleave the zones: any four in a row of the plain
# rotation hold two of each)
got=$(zp_letters 127.0.0.1 A)
case ${got:0:4} in aaaa | bbbb) shape=grouped ;; *) shape=interleaved ;; esac
check_eq "svcdns --prefer-zone: 127.0.0.1, no pod's address, gets zonal's A in the plain rotation" \
	"4 zone-a, 4 zone-b, interleaved" \
	"$(printf '%s' "$got" | tr -cd a | wc -c) zone-a, $(printf '%s' "$got" | tr -cd b | wc -c) zone-b, $shape" "$got"
zp_run stranger ""
stop_svcdns "svcdns --prefer-zone (stranger)"

echo "# prefer-zone with a pod's network: destination address selection (RFC 3484/6724) at work"
zp_podnet 21
start_svcdns svcdns-zone-a1-podnet "$WORK/cluster-zone-a" --prefer-zone
wait_zoned 127.0.0.1 aaaabbbb "svcdns --prefer-zone places 127.0.0.1 on node-a1 (the pod network up)"
zp_run a1-podnet "$ZP_NODE_A1"
stop_svcdns "svcdns --prefer-zone (a1-podnet)"

zp_podnet 25
start_svcdns svcdns-zone-a3-podnet "$WORK/cluster-zone-a3" --prefer-zone
wait_zoned 127.0.0.1 aaaabbbb "svcdns --prefer-zone places 127.0.0.1 on node-a3 (zone-a, none of zonal's pods)"
zp_run a3-podnet ""
stop_svcdns "svcdns --prefer-zone (a3-podnet)"

echo "# run took $(($(date +%s) - T0)) s after the builds started"
finish
