#!/bin/bash
# bench/forward.sh - cached forwarded answers: svcdns beside Unbound and
# dnsmasq, forwarding to the same upstream (make bench-forward):
#
#   bench/forward.sh [--out FILE]
#
# The upstream is NSD on 127.0.0.2, authoritative for example.com
# (ext-0 ... ext-(N-1).example.com, A for all, AAAA for the even ones,
# NODATA for the odd ones; TTL FWD_TTL) and for "." (NXDOMAIN otherwise).
# The servers, all on 127.0.0.1, all warmed with every name first:
#   svcdns  --dir zones/demo --upstream 127.0.0.2:PORT --threads 1
#           --cache-size 100000 (and a second one with --prefetch);
#   Unbound num-threads: 1, forward-zone "." to NSD (forward-first: no),
#           do-not-query-localhost: no, prefetch: no (and a second one
#           with prefetch: yes), minimal-responses: yes, module-config:
#           "iterator" (no trust anchor is configured, so the validator
#           would have nothing to do), 64/128 MB msg/rrset caches,
#           local-zone: "cluster.local." static (NXDOMAIN, with a SOA),
#           logging off;
#   dnsmasq -k --no-resolv --no-hosts --server=127.0.0.2#PORT
#           --cache-size=10000 --local=/cluster.local/ (one process).
# Sections (FWD_SECTIONS, in this order):
#   core     each server pinned to CPU 0 (taskset -c 0), dnsperf on CPU 1
#            (taskset -c 1 dnsperf -T 2 -c 8 -q 100), the N names asked A:
#            saturating slices alternated svcdns/Unbound, svcdns/dnsmasq and
#            svcdns --prefetch/Unbound prefetch, R rounds, the order swapped
#            every round; qps, the server's CPU over each slice (utime+stime
#            from /proc/PID/stat), the median of the per-round ratios, and
#            of the qps per busy core (below a full core, dnsperf was the
#            limit);
#   rate     the same pinned servers at a fixed FWD_RATE qps for
#            FWD_RATE_SECONDS (dnsperf -Q -c 4 -v): CPU microseconds per
#            answer (not capped by the client, unlike saturating qps) and
#            p50/p99 latency, core names then pod mix, R rounds, the order
#            swapped every round;
#   threads  svcdns --threads 2 vs Unbound num-threads: 2, both unpinned,
#            dnsperf unpinned (-T 2 -c 8 -q 100), core names, R rounds;
#   hitrate  the pod-mix stream sent once (dnsperf -n 1 -Q FWD_HIT_QPS) to a
#            fresh svcdns --threads 1 and to a fresh --threads 2: the hit
#            rate of the forwarded names from /metrics
#            (coredns_cache_hits_total / (hits + misses)), which should be
#            the same: the cache is shared by the query threads;
#   podmix   a pod's lookups of external names as glibc makes them with
#            `search NS.svc.cluster.local svc.cluster.local cluster.local`
#            and ndots:5: for each lookup A and AAAA of NAME.NS.svc...,
#            NAME.svc..., NAME.cluster.local (NXDOMAIN from the cluster
#            zone: svcdns's own, Unbound's local-zone, dnsmasq's --local),
#            then A and AAAA of NAME, forwarded; FWD_POD_NAMES names with a
#            Zipf(FWD_ZIPF) popularity, FWD_POD_LOOKUPS lookups (8 queries
#            each); saturating slices pinned as in core, R rounds;
#   autopath the same lookups from a pod with autopath on and off (issue
#            25): a second svcdns, pinned to CPU 0 like the first, with
#            --autopath over a copy of zones/demo plus a Pod of FWD_POD_NS
#            whose podIP is 127.0.0.1, the address dnsperf sends from
#            (dnsperf -a 127.0.0.1); each lookup there is A and AAAA of
#            NAME.NS.svc.cluster.local only (2 queries, answered with a CNAME
#            to NAME and the forwarded answer), checked with dig -b 127.0.0.1
#            before measuring; the plain side is the pod mix (8 queries a
#            lookup) to the first svcdns; paired slices alternated, R
#            rounds: qps, queries per lookup, client lookups per second
#            (answered qps / queries per lookup) and per busy core, the
#            ratio autopath/plain; Unbound's plain pod-mix lookups per
#            second from the podmix section's slices (Unbound has no
#            autopath), CoreDNS's published figures beside them.
# Before them, each server's reply sizes (they differ: svcdns hands out the
# upstream's whole reply, Unbound a minimal one). At the end: the figures in
# one table (median of the per-round ratios, the per-round values in
# brackets, the issue's targets marked), svcdns's forwarder counters
# (SERVFAILs, timeouts, drops, prefetches) and any lost query or unexpected
# rcode. At 2 CPUs dnsperf on its core is the limit of the saturating
# slices (near 150k qps here): qps per busy core and the fixed-rate CPU
# per answer are the figures that compare the servers.
# Defaults take about 14 minutes.
#
# Environment: SVCDNS (default ./svcdns next to bench/), ZONESDIR (zones/),
# TESTDIR (tests/, for system/nsd_lib.sh),
# FWD_ROUNDS (7), FWD_SLICE_SECONDS (5), FWD_WARM_SECONDS (2), FWD_NAMES
# (1000), FWD_TTL (60), FWD_RATE (50000), FWD_RATE_SECONDS (5),
# FWD_RATE_ROUNDS (FWD_ROUNDS), FWD_POD_NAMES (1000), FWD_POD_LOOKUPS
# (20000), FWD_ZIPF (1.0), FWD_POD_NS (default), FWD_HIT_QPS (20000),
# FWD_DNSMASQ (1; 0 leaves dnsmasq out), FWD_SECTIONS ("core rate threads
# hitrate podmix autopath"). Needs dnsperf, nsd, unbound, dnsmasq, dig, taskset,
# python3, 2 CPUs; installs nothing. Everything listens on 127.0.0.1
# (NSD on 127.0.0.2) high ports; every loop is bounded; every process
# started here is killed by PID at exit; the temp dir is removed.

set -u

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
SVCDNS=${SVCDNS:-$TOP/svcdns}
ZONESDIR=${ZONESDIR:-$TOP/zones}
ROUNDS=${FWD_ROUNDS:-7}
SLICE=${FWD_SLICE_SECONDS:-5}
WARM=${FWD_WARM_SECONDS:-2}
NAMES=${FWD_NAMES:-1000}
TTL=${FWD_TTL:-60}
RATE=${FWD_RATE:-50000}
RATE_SECONDS=${FWD_RATE_SECONDS:-5}
RATE_ROUNDS=${FWD_RATE_ROUNDS:-$ROUNDS}
POD_NAMES=${FWD_POD_NAMES:-1000}
POD_LOOKUPS=${FWD_POD_LOOKUPS:-20000}
ZIPF=${FWD_ZIPF:-1.0}
POD_NS=${FWD_POD_NS:-default}
HIT_QPS=${FWD_HIT_QPS:-20000}
DNSMASQ=${FWD_DNSMASQ:-1}
SECTIONS=${FWD_SECTIONS:-core rate threads hitrate podmix autopath}
OUT=""

while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$2; shift ;;
	-h|--help) sed -n '2,/^$/p' "$0"; exit 0 ;;
	*) echo "forward.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

for v in ROUNDS SLICE WARM NAMES TTL RATE RATE_SECONDS RATE_ROUNDS POD_NAMES POD_LOOKUPS HIT_QPS; do
	case ${!v} in
	''|*[!0-9]*|0) echo "forward.sh: FWD_$v must be a positive integer (got '${!v}')" >&2; exit 2 ;;
	esac
done
for s in $SECTIONS; do
	case $s in
	core|rate|threads|hitrate|podmix|autopath) ;;
	*) echo "forward.sh: unknown section '$s' in FWD_SECTIONS" >&2; exit 2 ;;
	esac
done
want() { case " $SECTIONS " in *" $1 "*) return 0 ;; esac; return 1; }

if [ -n "$OUT" ]; then
	exec > >(tee "$OUT") 2>&1
fi

die() { echo "forward.sh: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }

# ---- requirements (nothing is installed here) ---------------------------------
[ -x "$SVCDNS" ] || die "SVCDNS=$SVCDNS is not an executable (make svcdns)"
[ -d "$ZONESDIR/demo" ] || die "ZONESDIR=$ZONESDIR has no demo/"
need="" pkgs=""
for t in dnsperf:dnsperf nsd:nsd unbound:unbound dig:bind9-dnsutils taskset:util-linux python3:python3; do
	command -v "${t%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${t%%:*}" ] ||
		{ need="$need ${t%%:*}"; pkgs="$pkgs ${t#*:}"; }
done
if [ "$DNSMASQ" = 1 ] && ! command -v dnsmasq >/dev/null 2>&1 && [ ! -x /usr/sbin/dnsmasq ]; then
	need="$need dnsmasq"
	pkgs="$pkgs dnsmasq"
fi
[ -z "$need" ] || die "missing:$need; on Debian: apt-get install -y$pkgs (FWD_DNSMASQ=0 leaves dnsmasq out)"
PATH=$PATH:/usr/sbin
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (servers on 0, dnsperf on 1)"

. "$(dirname "$0")/proc_lib.sh"
bench_work svcdns-fwdbench


# ---- ports: a block of 16 free ones (UDP and TCP, 127.0.0.1 and .2) -----------
ports_free() { # BASE COUNT
	python3 - "$1" "$2" <<'EOF'
import socket, sys
b, n = int(sys.argv[1]), int(sys.argv[2])
for p in range(b, b + n):
    for a in ("127.0.0.1", "127.0.0.2"):
        for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
            s = socket.socket(socket.AF_INET, t)
            try:
                s.bind((a, p))
            except OSError:
                sys.exit(1)
            finally:
                s.close()
EOF
}
PBASE=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	b=$((20000 + (RANDOM % 750) * 16)) # below the ephemeral range
	ports_free "$b" 16 && { PBASE=$b; break; }
done
[ -n "$PBASE" ] || die "no block of 16 free ports found in 10 tries"
P_NSD=$PBASE
P_SVC=$((PBASE + 1)) H_SVC=$((PBASE + 2))
P_SVCP=$((PBASE + 3)) H_SVCP=$((PBASE + 4))
P_SVC2=$((PBASE + 5)) H_SVC2=$((PBASE + 6))
P_UB=$((PBASE + 7)) P_UBP=$((PBASE + 8)) P_UB2=$((PBASE + 9))
P_DM=$((PBASE + 10))
P_HIT=$((PBASE + 11)) H_HIT=$((PBASE + 12))
P_SAP=$((PBASE + 13)) H_SAP=$((PBASE + 14))

HZ=$(getconf CLK_TCK)
now_ms() { date +%s%3N; }

# ---- data: the upstream's zone, the query files ---------------------------------
ZN=$((NAMES > POD_NAMES ? NAMES : POD_NAMES))
mkdir -p "$WORK/nsd"
python3 - "$ZN" "$TTL" "$WORK/nsd/example.com.zone" "$WORK/nsd/root.zone" <<'EOF' || die "zone generation"
import sys
n, ttl, zf, rf = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(zf, "w") as f:
    f.write("$ORIGIN example.com.\n$TTL %d\n" % ttl)
    f.write("@ SOA ns.example.com. hostmaster.example.com. 1 3600 900 604800 %d\n" % ttl)
    f.write("@ NS ns.example.com.\nns A 127.0.0.2\nprobe A 192.0.2.1\n")
    for i in range(n):
        f.write("ext-%d A 203.0.%d.%d\n" % (i, 113 + i // 250 % 8, i % 250 + 1))
        if i % 2 == 0:
            f.write("ext-%d AAAA 2001:db8::%x\n" % (i, i + 1))
with open(rf, "w") as f:
    f.write("$ORIGIN .\n$TTL %d\n. SOA ns.example.com. hostmaster.example.com. 1 3600 900 604800 %d\n"
            ". NS ns.example.com.\n" % (ttl, ttl))
EOF
# core: every name once, A, in a shuffled order (dnsperf cycles the file)
python3 - "$NAMES" >"$WORK/q.core" <<'EOF' || die "core query file"
import random, sys
n = int(sys.argv[1])
names = ["ext-%d.example.com A" % i for i in range(n)]
random.Random(1).shuffle(names)
print("\n".join(names))
EOF
# pod mix: glibc's search-path expansion (ndots:5) of Zipf-popular names;
# q.ap: the same lookups as a pod with autopath makes them (its first
# search-path name's A and AAAA only)
POD_STATS=$(python3 - "$POD_NAMES" "$POD_LOOKUPS" "$ZIPF" "$POD_NS" "$WORK/q.pod" "$WORK/q.ap" <<'EOF'
import bisect, itertools, random, sys
n, lookups, s, ns, out, apout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
rng = random.Random(1)
rank = list(range(n))
rng.shuffle(rank)            # popularity rank -> name number
cum = list(itertools.accumulate(1 / (r + 1) ** s for r in range(n)))
search = [ns + ".svc.cluster.local.", "svc.cluster.local.", "cluster.local.", ""]
seen, used = set(), set()
with open(out, "w") as f, open(apout, "w") as ap:
    for _ in range(lookups):
        r = bisect.bisect_left(cum, rng.random() * cum[-1])
        name = "ext-%d.example.com." % rank[min(r, n - 1)]
        used.add(name)
        for suf in search:
            for t in ("A", "AAAA"):
                f.write("%s%s %s\n" % (name, suf, t))
        for t in ("A", "AAAA"):
            ap.write("%s%s %s\n" % (name, search[0], t))
print("%d %d %d %d" % (lookups * 8, len(used), 2 * len(used), lookups * 2))
EOF
) || die "pod-mix query file"
set -- $POD_STATS
POD_QUERIES=$1 POD_USED=$2 POD_KEYS=$3 AP_QUERIES=$4

# ---- servers ----------------------------------------------------------------------
# dig_status NAME TYPE PORT: prints "RCODE ANCOUNT" or nothing (RD set).
dig_status() {
	dig +tries=1 +time=1 -p "$3" @127.0.0.1 "$1" "$2" 2>/dev/null |
		awk '/->>HEADER<<-/ { s = $6; sub(",", "", s) }
		     /flags:.*ANSWER:/ { for (i = 1; i <= NF; i++) if ($i == "ANSWER:") { a = $(i + 1); sub(",", "", a) } }
		     END { if (s != "") print s, a }'
}

# wait_up PORT WHAT LOG: until probe.example.com A is answered (10 s at most;
# not a name of the query files, so a fresh cache holds none of them).
wait_up() {
	local n=0
	while [ $n -lt 100 ]; do
		case "$(dig_status probe.example.com A "$1")" in
		"NOERROR "[1-9]*) return 0 ;;
		esac
		sleep 0.1
		n=$((n + 1))
	done
	die "$2 did not answer probe.example.com on 127.0.0.1:$1 within 10 s: $(tail -5 "$3" 2>/dev/null)"
}

# NSD: tests/system/nsd_lib.sh (TESTDIR, default tests/ next to bench/)
# writes its configuration, starts it and waits (10 s at most) for ext-0.
. "${TESTDIR:-$TOP/tests}/system/nsd_lib.sh" || die "cannot read ${TESTDIR:-$TOP/tests}/system/nsd_lib.sh"
start_nsd() {
	local NSD_VERBOSITY=0 NSD_PROBE="ext-0.example.com A 203.0.113.1"
	nsd_start "$WORK/nsd" 127.0.0.2 "$P_NSD" example.com . ||
		die "NSD did not answer on 127.0.0.2:$P_NSD: $(tail -5 "$NSD_LOG" 2>/dev/null)"
}

start_svcdns() { # TAG PORT HTTP THREADS PIN [extra args]: sets PID_<TAG>
	# (--dir SVC_DIR, zones/demo by default)
	local tag=$1 port=$2 http=$3 threads=$4 pin=$5 pre="" pid
	shift 5
	[ "$pin" = 1 ] && pre="taskset -c 0"
	$pre "$SVCDNS" --dir "${SVC_DIR:-$ZONESDIR/demo}" --listen 127.0.0.1 --port "$port" \
		--upstream "127.0.0.2:$P_NSD" --threads "$threads" --cache-size 100000 \
		--http "127.0.0.1:$http" --log-level warning --lameduck 0 "$@" \
		>>"$WORK/$tag.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$tag=$pid"
	wait_up "$port" "svcdns ($tag)" "$WORK/$tag.log"
}

start_unbound() { # TAG PORT THREADS PIN PREFETCH(yes|no): sets PID_<TAG>
	local tag=$1 port=$2 threads=$3 pin=$4 pf=$5 pre="" pid d=$WORK/$1
	mkdir -p "$d"
	cat >"$d/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: $port
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	num-threads: $threads
	so-reuseport: yes
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	use-syslog: no
	logfile: ""
	verbosity: 0
	log-queries: no
	log-replies: no
	log-servfail: no
	statistics-interval: 0
	extended-statistics: no
	module-config: "iterator"
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	msg-cache-size: 64m
	rrset-cache-size: 128m
	prefetch: $pf
	minimal-responses: yes
	local-zone: "cluster.local." static
	local-data: "cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 5"
remote-control:
	control-enable: no
forward-zone:
	name: "."
	forward-addr: 127.0.0.2@$P_NSD
	forward-first: no
EOF
	unbound-checkconf "$d/unbound.conf" >"$d/check" 2>&1 ||
		die "unbound-checkconf: $(tail -3 "$d/check")"
	[ "$pin" = 1 ] && pre="taskset -c 0"
	$pre unbound -d -c "$d/unbound.conf" >>"$WORK/$tag.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$tag=$pid"
	wait_up "$port" "unbound ($tag)" "$WORK/$tag.log"
}

start_dnsmasq() { # TAG PORT: pinned; sets PID_<TAG>
	local tag=$1 port=$2 pid
	taskset -c 0 dnsmasq -k --no-resolv --no-hosts --no-poll --bind-interfaces \
		--listen-address=127.0.0.1 --port="$port" \
		--server="127.0.0.2#$P_NSD" --cache-size=10000 --local=/cluster.local/ \
		--pid-file="$WORK/$tag.pid" --log-facility=- \
		>>"$WORK/$tag.log" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	eval "PID_$tag=$pid"
	wait_up "$port" "dnsmasq ($tag)" "$WORK/$tag.log"
}

# svcdns's forwarder counters: "hits misses queries upstream servfails
# timeouts dropped stale prefetches entries evictions fwd_servfail_answers"
svc_metrics() { # HTTP_PORT
	python3 - "$1" <<'EOF'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
v = {}
for l in body.splitlines():
    if not l or l[0] == "#":
        continue
    k, x = l.rsplit(" ", 1)
    name = k.split("{")[0]
    if name == "coredns_forward_responses_total":
        name += ":" + k.split('rcode="')[1].split('"')[0]
    v[name] = v.get(name, 0) + float(x)
names = ["coredns_cache_hits_total", "coredns_cache_misses_total", "svcdns_forward_queries_total",
         "coredns_forward_requests_total", "svcdns_forward_servfails_total",
         "svcdns_forward_timeouts_total", "svcdns_forward_dropped_total",
         "coredns_cache_served_stale_total", "coredns_cache_prefetch_total",
         "coredns_cache_entries", "coredns_cache_evictions_total",
         "coredns_forward_responses_total:SERVFAIL"]
print(" ".join("%d" % v.get(n, 0) for n in names))
EOF
}

# svc_counter HTTP_PORT NAME: one metric of svcdns's, summed over its labels
svc_counter() {
	python3 - "$1" "$2" <<'EOF'
import sys, urllib.request
body = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
print("%d" % sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                 if l and l[0] != "#" and l.split("{")[0].split(" ")[0] == sys.argv[2]))
EOF
}

# ---- measuring ----------------------------------------------------------------------
cpu_ticks() { # PID: utime+stime, all threads
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# slice PORT PID SECONDS TAG QFILE PIN(0|1) [extra dnsperf args]: one dnsperf
# run; appends "TAG qps lost avg_lat_us completed rcodes server_cpu_percent"
# to $WORK/slices.
slice() {
	local port=$1 pid=$2 secs=$3 tag=$4 qf=$5 pin=$6 pre="" c0 c1 t0 t1
	shift 6
	[ "$pin" = 1 ] && pre="taskset -c 1"
	c0=$(cpu_ticks "$pid")
	t0=$(now_ms)
	$pre dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l "$secs" -T 2 -c 8 -q 100 "$@" \
		>"$WORK/perf.out" 2>&1
	t1=$(now_ms)
	c1=$(cpu_ticks "$pid")
	awk -v tag="$tag" -v ticks=$((c1 - c0)) -v ms=$((t1 - t0)) -v hz="$HZ" '
		/Queries completed:/ { c = $3 }
		/Queries lost:/ { l = $3 }
		/Queries per second:/ { q = $4 }
		/Average Latency/ { a = $4 * 1e6 }
		/Response codes:/ { sub(/^ *Response codes: */, ""); gsub(/ /, "_"); rc = $0 }
		END { if (rc == "") rc = "none"
			printf "%s %.0f %d %.0f %d %s %.0f\n", tag, q, l, a, c, rc,
			(ms > 0 ? ticks / hz * 100000 / ms : 0) }' "$WORK/perf.out" >>"$WORK/slices"
}

# warm PORT PID TAG PIN: every query of both files once, then a short
# saturating run of each (results dropped).
warm() {
	local port=$1 pid=$2 tag=$3 pin=$4 pre=""
	[ "$pin" = 1 ] && pre="taskset -c 1"
	$pre dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/q.core" -n 1 -c 8 -q 100 >/dev/null 2>&1
	$pre dnsperf -s 127.0.0.1 -p "$port" -d "$WORK/q.pod" -n 1 -c 8 -q 100 >/dev/null 2>&1
	slice "$port" "$pid" "$WARM" "warm-$tag" "$WORK/q.core" "$pin"
	{ want podmix || want autopath; } && slice "$port" "$pid" "$WARM" "warm-$tag" "$WORK/q.pod" "$pin"
	# the answers expected, now from the cache
	[ "$(dig_status ext-1.example.com A "$port")" = "NOERROR 1" ] ||
		die "$tag: ext-1.example.com A: '$(dig_status ext-1.example.com A "$port")'"
	[ "$(dig_status ext-1.example.com AAAA "$port")" = "NOERROR 0" ] ||
		die "$tag: ext-1.example.com AAAA (NODATA): '$(dig_status ext-1.example.com AAAA "$port")'"
	[ "$(dig_status "ext-1.example.com.$POD_NS.svc.cluster.local" A "$port")" = "NXDOMAIN 0" ] ||
		die "$tag: ext-1.example.com.$POD_NS.svc.cluster.local A: '$(dig_status "ext-1.example.com.$POD_NS.svc.cluster.local" A "$port")'"
	[ "$(dig_status nosuch.example.com A "$port")" = "NXDOMAIN 0" ] ||
		die "$tag: nosuch.example.com A: '$(dig_status nosuch.example.com A "$port")'"
	# reply sizes (dnsperf asks without EDNS): "TAG A NODATA NXDOMAIN" in bytes
	echo "$tag $(for q in "ext-0.example.com A" "ext-1.example.com AAAA" "ext-0.example.com.$POD_NS.svc.cluster.local A"; do
		dig +tries=1 +time=1 +noedns -p "$port" @127.0.0.1 $q 2>/dev/null |
			sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p'; done | tr '\n' ' ')" >>"$WORK/sizes"
}

# fixed PORT PID TAG QFILE: FWD_RATE qps for FWD_RATE_SECONDS, per-query
# output; appends "TAG answers ticks p50_us p99_us lost" to $WORK/rates.
fixed() {
	local port=$1 pid=$2 tag=$3 qf=$4 c0 c1
	c0=$(cpu_ticks "$pid")
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$qf" -l "$RATE_SECONDS" -Q "$RATE" -c 4 -v \
		>"$WORK/lat.out" 2>&1
	c1=$(cpu_ticks "$pid")
	awk '/^> / { print $NF }' "$WORK/lat.out" | sort -g |
		awk -v tag="$tag" -v ticks=$((c1 - c0)) \
		    -v lost="$(awk '/Queries lost:/ { print $3 }' "$WORK/lat.out")" '
		{ v[++n] = $1 }
		END { if (n == 0) { print tag, 0, ticks, 0, 0, lost; exit }
			printf "%s %d %d %.0f %.0f %d\n", tag, n, ticks,
				v[int(n * .5) + 1] * 1e6, v[int(n * .99) + 1] * 1e6, lost }' >>"$WORK/rates"
}

SUM=$WORK/summary
: >"$SUM"
: >"$WORK/warnings"

# ratio_summary FILE TAG_A TAG_B LABEL: median of the per-round ratios of qps
# and of qps per busy core; a line for the summary table.
ratio_summary() {
	python3 - "$@" "$SUM" <<'EOF'
import sys, statistics
f, a, b, label, summ = sys.argv[1:6]
rows = [l.split() for l in open(f) if l.strip()]
ra = [r for r in rows if r[0] == a]
rb = [r for r in rows if r[0] == b]
qa = [float(r[1]) for r in ra]
qb = [float(r[1]) for r in rb]
ratios = [x / y for x, y in zip(qa, qb) if y > 0]
med = lambda v: statistics.median(v) if v else float("nan")
print("  %-12s qps median %8.0f  (slices: %s)" % (a, med(qa), " ".join("%.0f" % x for x in qa)))
print("  %-12s qps median %8.0f  (slices: %s)" % (b, med(qb), " ".join("%.0f" % x for x in qb)))
print("  ratio %s/%s = %.3f  (median of pairs: %s)" % (a, b, med(ratios),
      " ".join("%.3f" % r for r in ratios)))
ba = [float(r[6]) for r in ra]
bb = [float(r[6]) for r in rb]
cap = []
if ba and bb and min(ba + bb) > 0:
    cap = [(x / u) / (y / v) for x, u, y, v in zip(qa, ba, qb, bb)]
    print("  server CPU: %s %.0f%%, %s %.0f%% of a core (median); qps per busy core %s/%s = %.3f (pairs: %s)"
          % (a, med(ba), b, med(bb), a, b, med(cap), " ".join("%.3f" % r for r in cap)))
with open(summ, "a") as s:
    s.write("%s\t%.3f\t[%s]\n" % (label + " qps", med(ratios), " ".join("%.2f" % r for r in ratios)))
    if cap:
        s.write("%s\t%.3f\t[%s]\n" % (label + " qps per busy core", med(cap), " ".join("%.2f" % r for r in cap)))
EOF
}

# lost_summary FILE TAG EXPECT: lost queries, latency, rcodes; a warning when
# queries were lost or the rcodes are not only those in EXPECT (a|-separated
# list).
lost_summary() {
	awk -v t="$2" -v want="$3" -v warn="$WORK/warnings" '
		$1 == t { l += $3; a += $4; c += $5; n++; rc = $6
			k = split($6, parts, ",")
			for (i = 1; i <= k; i++) { split(parts[i], f, "_"); if (f[1] != "" && f[1] !~ "^(" want ")$") bad = bad " " f[1] } }
		END { if (n == 0) exit
			printf "  %-12s lost %d of %d in %d slices, avg latency at saturation %.0f us, rcodes %s\n", t, l, c + l, n, a / n, rc
			if (l > 0 || bad != "")
				printf "%s: %d lost of %d in %d slices%s\n", t, l, c + l, n,
					(bad != "" ? ", unexpected rcodes:" bad : "") >> warn }' "$1"
}

# rate_summary MIX LABEL A B [C]: each server's CPU us per answer per round
# (and p50/p99), then A/B (and A/C) per round and their medians.
rate_summary() {
	python3 - "$WORK/rates" "$HZ" "$SUM" "$@" <<'EOF2'
import sys, statistics
f, hz, summ, mix, label = sys.argv[1:6]
tags = sys.argv[6:]
hz = float(hz)
rows = [l.split() for l in open(f) if l.strip()]
def us(t):
    return [int(r[2]) / hz * 1e6 / int(r[1]) if int(r[1]) else float("nan") for r in rows if r[0] == t + "-" + mix]
def col(t, i):
    return [float(r[i]) for r in rows if r[0] == t + "-" + mix]
med = lambda v: statistics.median(v) if v else float("nan")
u = {t: us(t) for t in tags}
for t in tags:
    print("  %-8s CPU %5.2f us/answer median (rounds: %s); latency p50 %.0f us, p99 %.0f us (medians); %d answers, %d lost"
          % (t, med(u[t]), " ".join("%.2f" % x for x in u[t]), med(col(t, 3)), med(col(t, 4)),
             sum(col(t, 1)), sum(col(t, 5))))
a = tags[0]
for b in tags[1:]:
    ratios = [x / y for x, y in zip(u[a], u[b]) if y > 0]
    print("  CPU per answer %s/%s = %.3f  (per round: %s)" % (a, b, med(ratios), " ".join("%.3f" % r for r in ratios)))
    with open(summ, "a") as s:
        s.write("%s\t%.3f\t[%s]  (%.2f vs %.2f us)\n" % ("%s: %s/%s" % (label, a, b), med(ratios),
                " ".join("%.2f" % r for r in ratios), med(u[a]), med(u[b])))
EOF2
}

# ---- run ------------------------------------------------------------------------------
echo "svcdns forwarding benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -n): $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "versions: $("$SVCDNS" --version 2>&1 | head -1) (git $(git -C "$TOP" log --oneline -1 2>/dev/null | cut -c1-7)); $(unbound -V 2>&1 | head -1 | sed 's/^Version/Unbound/');" \
	"$( [ "$DNSMASQ" = 1 ] && dnsmasq --version | head -1 | sed 's/ *Copyright.*//');" \
	"$(nsd -v 2>&1 | head -1); dnsperf $(dnsperf -h 2>&1 | grep -m1 Version | sed 's/^ *Version *//')"
echo "data: $NAMES names asked A (core), upstream TTL $TTL s; pod mix: $POD_LOOKUPS lookups of $POD_NAMES names, Zipf s=$ZIPF ($POD_USED names asked, $POD_QUERIES queries, 3/4 NXDOMAIN from the cluster zone; with autopath $AP_QUERIES queries, A and AAAA of NAME.$POD_NS.svc.cluster.local); ${SLICE}s slices x $ROUNDS rounds; fixed rate $RATE qps x ${RATE_SECONDS}s x $RATE_ROUNDS rounds"

start_nsd
log "starting the servers (pinned to CPU 0)"
start_svcdns S1 "$P_SVC" "$H_SVC" 1 1
start_svcdns S1P "$P_SVCP" "$H_SVCP" 1 1 --prefetch
start_unbound U1 "$P_UB" 1 1 no
start_unbound U1P "$P_UBP" 1 1 yes
if [ "$DNSMASQ" = 1 ]; then
	start_dnsmasq DM "$P_DM"
fi

# pinned sets: "TAG PORT PID" for the servers of the one-core comparisons
if want core || want rate || want podmix; then
	log "warm-up"
	warm "$P_SVC" "$PID_S1" svcdns 1
	warm "$P_UB" "$PID_U1" unbound 1
	warm "$P_SVCP" "$PID_S1P" svcdns-pf 1
	warm "$P_UBP" "$PID_U1P" unbound-pf 1
	[ "$DNSMASQ" = 1 ] && warm "$P_DM" "$PID_DM" dnsmasq 1
	cp "$WORK/slices" "$WORK/warm-slices"
	echo "reply sizes in bytes, no EDNS (A; AAAA NODATA; search-path NXDOMAIN): $(awk '{ printf "%s%s %s/%s/%s", (NR > 1 ? ", " : ""), $1, $2, $3, $4 }' "$WORK/sizes")"
elif want autopath; then
	log "warm-up (svcdns, the autopath section's plain side)"
	warm "$P_SVC" "$PID_S1" svcdns 1
fi

# run_pairs QFILE R PAIRS...: each pair "TAG_A:PORT_A:PID_A/TAG_B:PORT_B:PID_B";
# per round each pair's two slices, A first in odd rounds, B first in even.
run_pairs() {
	local qf=$1 pin=$2 r p a b
	shift 2
	for r in $(seq 1 "$ROUNDS"); do
		log "round $r/$ROUNDS ($(basename "$qf"))"
		for p in "$@"; do
			a=${p%/*} b=${p#*/}
			if [ $((r % 2)) = 1 ]; then
				slice "$(echo "$a" | cut -d: -f2)" "$(echo "$a" | cut -d: -f3)" "$SLICE" "${a%%:*}" "$qf" "$pin"
				slice "$(echo "$b" | cut -d: -f2)" "$(echo "$b" | cut -d: -f3)" "$SLICE" "${b%%:*}" "$qf" "$pin"
			else
				slice "$(echo "$b" | cut -d: -f2)" "$(echo "$b" | cut -d: -f3)" "$SLICE" "${b%%:*}" "$qf" "$pin"
				slice "$(echo "$a" | cut -d: -f2)" "$(echo "$a" | cut -d: -f3)" "$SLICE" "${a%%:*}" "$qf" "$pin"
			fi
		done
	done
}

if want core; then
	: >"$WORK/slices"
	set -- "svcdns-u:$P_SVC:$PID_S1/unbound:$P_UB:$PID_U1"
	[ "$DNSMASQ" = 1 ] && set -- "$@" "svcdns-d:$P_SVC:$PID_S1/dnsmasq:$P_DM:$PID_DM"
	set -- "$@" "svcdns-pf:$P_SVCP:$PID_S1P/unbound-pf:$P_UBP:$PID_U1P"
	run_pairs "$WORK/q.core" 1 "$@"
	echo
	echo "== cached forwarded A answers, one core each (server taskset -c 0, dnsperf taskset -c 1 -T 2 -c 8 -q 100):"
	ratio_summary "$WORK/slices" svcdns-u unbound "1 core, cached A: svcdns/Unbound"
	[ "$DNSMASQ" = 1 ] && ratio_summary "$WORK/slices" svcdns-d dnsmasq "1 core, cached A: svcdns/dnsmasq"
	echo " with prefetch (svcdns --prefetch, Unbound prefetch: yes):"
	ratio_summary "$WORK/slices" svcdns-pf unbound-pf "1 core, cached A, prefetch: svcdns/Unbound"
	for t in svcdns-u unbound svcdns-d dnsmasq svcdns-pf unbound-pf; do
		lost_summary "$WORK/slices" "$t" NOERROR
	done
fi

if want rate; then
	: >"$WORK/rates"
	for r in $(seq 1 "$RATE_ROUNDS"); do
		log "fixed rate, round $r/$RATE_ROUNDS"
		for mix in core pod; do
			want podmix || [ "$mix" = core ] || continue
			if [ $((r % 2)) = 1 ]; then
				set -- svcdns:$P_SVC:$PID_S1 unbound:$P_UB:$PID_U1
				[ "$DNSMASQ" = 1 ] && set -- "$@" dnsmasq:$P_DM:$PID_DM
			else
				set -- unbound:$P_UB:$PID_U1 svcdns:$P_SVC:$PID_S1
				[ "$DNSMASQ" = 1 ] && set -- dnsmasq:$P_DM:$PID_DM "$@"
			fi
			for s in "$@"; do
				fixed "$(echo "$s" | cut -d: -f2)" "$(echo "$s" | cut -d: -f3)" \
					"${s%%:*}-$mix" "$WORK/q.$mix"
			done
		done
	done
	echo
	echo "== CPU per answer at a fixed $RATE qps, ${RATE_SECONDS}s x $RATE_ROUNDS rounds (servers pinned; utime+stime from /proc/PID/stat; dnsperf -Q $RATE -c 4 -v on CPU 1):"
	set -- svcdns unbound
	[ "$DNSMASQ" = 1 ] && set -- "$@" dnsmasq
	echo " cached A:"
	rate_summary core "CPU/answer at $RATE qps, cached A" "$@"
	if want podmix; then
		echo " pod mix:"
		rate_summary pod "CPU/answer at $RATE qps, pod mix" "$@"
	fi
fi

if want podmix; then
	: >"$WORK/slices"
	set -- "svcdns-pu:$P_SVC:$PID_S1/unbound-pod:$P_UB:$PID_U1"
	[ "$DNSMASQ" = 1 ] && set -- "$@" "svcdns-pd:$P_SVC:$PID_S1/dnsmasq-pod:$P_DM:$PID_DM"
	run_pairs "$WORK/q.pod" 1 "$@"
	echo
	echo "== pod mix (ndots:5, search $POD_NS.svc.cluster.local svc.cluster.local cluster.local; A+AAAA; Zipf s=$ZIPF over $POD_NAMES names), one core each:"
	ratio_summary "$WORK/slices" svcdns-pu unbound-pod "1 core, pod mix: svcdns/Unbound"
	[ "$DNSMASQ" = 1 ] && ratio_summary "$WORK/slices" svcdns-pd dnsmasq-pod "1 core, pod mix: svcdns/dnsmasq"
	for t in svcdns-pu unbound-pod svcdns-pd dnsmasq-pod; do
		lost_summary "$WORK/slices" "$t" "NOERROR|NXDOMAIN"
	done
	cp "$WORK/slices" "$WORK/podmix-slices" # Unbound's lookups/s for the autopath section
fi

# ap_dig NAME TYPE PORT [dig options]: asked from 127.0.0.1 (the bench's pod),
# "RCODE" then each answer record's "TYPE RDATA"
ap_dig() {
	local name=$1 type=$2 port=$3
	shift 3
	dig -b 127.0.0.1 +tries=1 +time=2 +nocookie "$@" -p "$port" @127.0.0.1 "$name" "$type" 2>/dev/null |
		awk '/->>HEADER<<-/ { s = $6; sub(",", "", s) }
		     /^;; ANSWER SECTION:/ { a = 1; next }
		     /^$/ { a = 0 }
		     a && !/^;/ { r = r " " $4 " " $5 }
		     END { if (s != "") print s r }'
}

if want autopath; then
	# the pod: 127.0.0.1 in POD_NS, beside zones/demo's objects (none of
	# which may share the address: autopath skips a shared one)
	mkdir -p "$WORK/apdir"
	cp -R "$ZONESDIR/demo/." "$WORK/apdir/" || die "copying $ZONESDIR/demo"
	! grep -rqs '"127\.0\.0\.1"' "$WORK/apdir" ||
		die "$ZONESDIR/demo already has an object at 127.0.0.1: the bench's pod would share its address"
	cat >"$WORK/apdir/zz-autopath-bench-pod.json" <<EOF
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "bench-client", "namespace": "$POD_NS"},
 "spec": {"nodeName": "node-a", "dnsPolicy": "ClusterFirst"},
 "status": {"phase": "Running", "podIP": "127.0.0.1", "podIPs": [{"ip": "127.0.0.1"}]}}
EOF
	log "autopath: svcdns --autopath pinned to CPU 0, a pod of $POD_NS at 127.0.0.1"
	SVC_DIR=$WORK/apdir start_svcdns SAP "$P_SAP" "$H_SAP" 1 1 --autopath
	taskset -c 1 dnsperf -s 127.0.0.1 -a 127.0.0.1 -p "$P_SAP" -d "$WORK/q.ap" -n 1 -c 8 -q 100 \
		>/dev/null 2>&1
	slice "$P_SAP" "$PID_SAP" "$WARM" warm-autopath "$WORK/q.ap" 1 -a 127.0.0.1
	# before measuring: the pod's first search-path name is answered with
	# the CNAME to the name as written and the upstream's answer (a bench
	# of NXDOMAINs would be wrong), by the --autopath server only
	q0=ext-0.example.com.$POD_NS.svc.cluster.local q1=ext-1.example.com.$POD_NS.svc.cluster.local
	got=$(ap_dig "$q0" A "$P_SAP")
	[ "$got" = "NOERROR CNAME ext-0.example.com. A 203.0.113.1" ] ||
		die "svcdns --autopath, $q0 A from 127.0.0.1: '$got' (want NOERROR, CNAME ext-0.example.com., A 203.0.113.1): $(tail -3 "$WORK/SAP.log")"
	got=$(ap_dig "$q0" AAAA "$P_SAP")
	[ "$got" = "NOERROR CNAME ext-0.example.com. AAAA 2001:db8::1" ] ||
		die "svcdns --autopath, $q0 AAAA from 127.0.0.1: '$got' (want NOERROR, CNAME ext-0.example.com., AAAA 2001:db8::1)"
	got=$(ap_dig "$q1" AAAA "$P_SAP")
	[ "$got" = "NOERROR CNAME ext-1.example.com." ] ||
		die "svcdns --autopath, $q1 AAAA (NODATA) from 127.0.0.1: '$got' (want NOERROR, the CNAME alone)"
	got=$(ap_dig "$q0" A "$P_SVC")
	[ "$got" = "NXDOMAIN" ] || die "svcdns without --autopath, $q0 A from 127.0.0.1: '$got' (want NXDOMAIN)"
	# reply sizes (no EDNS, as dnsperf asks): the CNAME and an A; the CNAME alone (NODATA)
	ap_sizes=$(for q in "$q0 A" "$q1 AAAA"; do
		dig -b 127.0.0.1 +tries=1 +time=2 +noedns -p "$P_SAP" @127.0.0.1 $q 2>/dev/null |
			sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p'; done | tr '\n' '/' | sed 's,/$,,')
	ap0=$(svc_counter "$H_SAP" coredns_autopath_success_total)
	: >"$WORK/slices"
	for r in $(seq 1 "$ROUNDS"); do
		log "round $r/$ROUNDS (autopath on/off)"
		if [ $((r % 2)) = 1 ]; then
			slice "$P_SVC" "$PID_S1" "$SLICE" svcdns-plain "$WORK/q.pod" 1 -a 127.0.0.1
			slice "$P_SAP" "$PID_SAP" "$SLICE" svcdns-autopath "$WORK/q.ap" 1 -a 127.0.0.1
		else
			slice "$P_SAP" "$PID_SAP" "$SLICE" svcdns-autopath "$WORK/q.ap" 1 -a 127.0.0.1
			slice "$P_SVC" "$PID_S1" "$SLICE" svcdns-plain "$WORK/q.pod" 1 -a 127.0.0.1
		fi
	done
	ap1=$(svc_counter "$H_SAP" coredns_autopath_success_total)
	echo
	echo "== external names from a pod, autopath on and off (issue 25): $POD_LOOKUPS lookups of $POD_NAMES names (Zipf s=$ZIPF), A+AAAA each; plain: the pod mix, $((POD_QUERIES / POD_LOOKUPS)) queries a lookup (svcdns); autopath: svcdns --autopath, $((AP_QUERIES / POD_LOOKUPS)) queries a lookup (CNAME + forwarded answer, $ap_sizes bytes for A/AAAA-NODATA, no EDNS); dnsperf -a 127.0.0.1 (the pod's address); one core each:"
	python3 - "$WORK/slices" "$WORK/podmix-slices" "$((POD_QUERIES / POD_LOOKUPS))" \
		"$((AP_QUERIES / POD_LOOKUPS))" "$SUM" <<'EOF'
import os, statistics, sys
f, pf, qpl_plain, qpl_ap, summ = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
med = lambda v: statistics.median(v) if v else float("nan")
def side(rows, tag, qpl):
    r = [x for x in rows if x[0] == tag]
    qps = [float(x[1]) for x in r]
    cpu = [float(x[6]) for x in r]
    lk = [q / qpl for q in qps]
    pc = [l / (c / 100) if c > 0 else float("nan") for l, c in zip(lk, cpu)]
    return qps, cpu, lk, pc
def show(name, qpl, qps, cpu, lk, pc, note=""):
    print("  %-16s qps median %7.0f, %d queries/lookup: %7.0f lookups/s (slices: %s); server CPU %3.0f%% of a core;"
          " %7.0f lookups/s per busy core (slices: %s)%s"
          % (name, med(qps), qpl, med(lk), " ".join("%.0f" % x for x in lk), med(cpu),
             med(pc), " ".join("%.0f" % x for x in pc), note))
rows = [l.split() for l in open(f) if l.strip()]
p = side(rows, "svcdns-plain", qpl_plain)
a = side(rows, "svcdns-autopath", qpl_ap)
show("svcdns plain", qpl_plain, *p)
show("svcdns autopath", qpl_ap, *a)
rl = [x / y for x, y in zip(a[2], p[2]) if y > 0]
rc = [x / y for x, y in zip(a[3], p[3]) if y > 0]
print("  lookups/s autopath/plain = %.3f (median of pairs: %s); per busy core %.3f (pairs: %s)"
      % (med(rl), " ".join("%.3f" % x for x in rl), med(rc), " ".join("%.3f" % x for x in rc)))
print("  CoreDNS's published figures (coredns.io, 2018; 2 vCPUs): 6,733 client qps without autopath,"
      " 31,428 with: x%.2f" % (31428 / 6733))
u = side([l.split() for l in open(pf) if l.strip()], "unbound-pod", qpl_plain) if os.path.exists(pf) else None
with open(summ, "a") as s:
    s.write("%s\t%.3f\t[%s]  (%.0f vs %.0f lookups/s; CoreDNS 2018: 31428/6733 = %.2f)\n"
            % ("1 core, pod lookups/s: svcdns autopath/plain", med(rl), " ".join("%.2f" % x for x in rl),
               med(a[2]), med(p[2]), 31428 / 6733))
    s.write("%s\t%.3f\t[%s]  (%.0f vs %.0f lookups/s per busy core)\n"
            % ("1 core, pod lookups/s per busy core: svcdns autopath/plain", med(rc),
               " ".join("%.2f" % x for x in rc), med(a[3]), med(p[3])))
    if u and u[0]:
        show("Unbound plain", qpl_plain, *u, note=" (Unbound has no autopath; the podmix section's slices)")
        s.write("%s\t%.3f\t(%.0f vs %.0f lookups/s, medians; Unbound's from the podmix section, not paired)\n"
                % ("1 core, pod lookups/s: svcdns autopath/Unbound plain", med(a[2]) / med(u[2]),
                   med(a[2]), med(u[2])))
        s.write("%s\t%.3f\t(%.0f vs %.0f lookups/s per busy core, medians; not paired)\n"
                % ("1 core, pod lookups/s per busy core: svcdns autopath/Unbound", med(a[3]) / med(u[3]),
                   med(a[3]), med(u[3])))
    else:
        print("  Unbound (no autopath): the podmix section did not run, no plain pod-mix figure to compare")
EOF
	lost_summary "$WORK/slices" svcdns-plain "NOERROR|NXDOMAIN"
	lost_summary "$WORK/slices" svcdns-autopath NOERROR
	# after: every answered autopath query was a walk
	ans=$(awk '$1 == "svcdns-autopath" { n += $5 } END { print n + 0 }' "$WORK/slices")
	echo "  coredns_autopath_success_total over the autopath slices: $((ap1 - ap0)) ($ans queries answered)"
	[ $((ap1 - ap0)) -ge "$ans" ] ||
		echo "svcdns --autopath: coredns_autopath_success_total rose by $((ap1 - ap0)) over slices that answered $ans queries: not every answer was a walk" >>"$WORK/warnings"
	M_SAP=$(svc_metrics "$H_SAP")
	child_alive "$PID_SAP" ||
		echo "SAP (svcdns --autopath, pid $PID_SAP) died: $(tail -3 "$WORK/SAP.log")" >>"$WORK/warnings"
	stop "$PID_SAP"
fi

# the pinned servers' counters, before they go
M_S1=$(svc_metrics "$H_SVC") M_S1P=$(svc_metrics "$H_SVCP")

if want threads; then
	log "two threads, unpinned"
	start_svcdns S2 "$P_SVC2" "$H_SVC2" 2 0
	start_unbound U2 "$P_UB2" 2 0 no
	warm "$P_SVC2" "$PID_S2" svcdns-2t 0
	warm "$P_UB2" "$PID_U2" unbound-2t 0
	: >"$WORK/slices"
	run_pairs "$WORK/q.core" 0 "svcdns-2t:$P_SVC2:$PID_S2/unbound-2t:$P_UB2:$PID_U2"
	echo
	echo "== two threads, unpinned (svcdns --threads 2, Unbound num-threads: 2; dnsperf -T 2 -c 8 -q 100 unpinned, sharing the 2 CPUs), cached A:"
	ratio_summary "$WORK/slices" svcdns-2t unbound-2t "2 threads, cached A: svcdns/Unbound"
	for t in svcdns-2t unbound-2t; do lost_summary "$WORK/slices" "$t" NOERROR; done
	M_S2=$(svc_metrics "$H_SVC2")
	stop "$PID_U2"
	stop "$PID_S2"
fi

if want hitrate; then
	echo
	echo "== hit rate of the forwarded names, the pod-mix stream once ($POD_QUERIES queries, $POD_KEYS forwarded name/type pairs) at $HIT_QPS qps to a fresh svcdns, unpinned:"
	: >"$WORK/hits"
	for th in 1 2 1 2; do
		start_svcdns H "$P_HIT" "$H_HIT" "$th" 0
		m0=$(svc_metrics "$H_HIT")
		dnsperf -s 127.0.0.1 -p "$P_HIT" -d "$WORK/q.pod" -n 1 -Q "$HIT_QPS" -T 2 -c 8 -q 100 \
			>"$WORK/hit.out" 2>&1
		m1=$(svc_metrics "$H_HIT")
		echo "$th $m0 $m1 $(awk '/Queries sent:/ { s = $3 } /Queries lost:/ { l = $3 } END { print s + 0, l + 0 }' "$WORK/hit.out")" >>"$WORK/hits"
		stop "$PID_H"
	done
	python3 - "$WORK/hits" "$POD_KEYS" "$SUM" "$WORK/warnings" <<'EOF'
import sys
f, keys, summ, warn = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rates = {}
for l in open(f):
    v = l.split()
    th, m0, m1, sent, lost = v[0], [int(x) for x in v[1:13]], [int(x) for x in v[13:25]], int(v[25]), int(v[26])
    d = [b - a for a, b in zip(m0, m1)]
    hits, misses, fq, up, sf, to, dr = d[0], d[1], d[2], d[3], d[4], d[5], d[6]
    hr = hits / (hits + misses) if hits + misses else float("nan")
    rates.setdefault(th, []).append(hr)
    print("  --threads %s: hit rate %.4f (hits %d, misses %d; misses beyond the %d first asks %d), upstream queries %d, sent %d lost %d, servfails %d timeouts %d dropped %d"
          % (th, hr, hits, misses, keys, misses - keys, up, sent, lost, sf, to, dr))
    if lost or sf or to or dr or hits + misses != fq:
        with open(warn, "a") as w:
            w.write("hit-rate run --threads %s: lost %d, servfails %d, timeouts %d, dropped %d, hits+misses %d vs forwarded %d\n"
                    % (th, lost, sf, to, dr, hits + misses, fq))
h1, h2 = rates.get("1", []), rates.get("2", [])
if h1 and h2:
    print("  hit rate 2 threads - 1 thread: %s" % " ".join("%+.4f" % (b - a) for a, b in zip(h1, h2)))
    with open(summ, "a") as s:
        s.write("%s\t%.4f\tvs %.4f  (runs: %s vs %s)\n" % ("hit rate, pod mix, fresh cache: 2 threads vs 1",
                sum(h2) / len(h2), sum(h1) / len(h1),
                " ".join("%.4f" % x for x in h2), " ".join("%.4f" % x for x in h1)))
EOF
fi

echo
echo "== svcdns's forwarder counters over the run (hits misses forwarded upstream servfails timeouts dropped stale prefetches entries evictions SERVFAIL-answers):"
echo "  svcdns --threads 1:            $M_S1"
echo "  svcdns --threads 1 --prefetch: $M_S1P"
[ -n "${M_S2:-}" ] && echo "  svcdns --threads 2:            $M_S2"
[ -n "${M_SAP:-}" ] && echo "  svcdns --threads 1 --autopath: $M_SAP"
for m in "$M_S1" "$M_S1P" "${M_S2:-}" "${M_SAP:-}"; do
	[ -n "$m" ] || continue
	set -- $m
	[ "$5" = 0 ] && [ "$6" = 0 ] && [ "$7" = 0 ] && [ "${12}" = 0 ] ||
		echo "svcdns counters: servfails $5 timeouts $6 dropped $7 SERVFAIL answers ${12}" >>"$WORK/warnings"
done
for t in S1 S1P U1 U1P DM; do
	eval "p=\${PID_$t:-}"
	[ -n "$p" ] && ! child_alive "$p" && echo "$t (pid $p) died: $(tail -3 "$WORK/$t.log")" >>"$WORK/warnings"
done

echo
echo "== summary: svcdns/other, median of the per-round ratios [per round] (qps: higher is better for svcdns; CPU/answer: lower is)"
# the issue's targets: qps >= 1.0x Unbound (1 core, 2 threads, pod mix),
# less CPU per answer than Unbound, the same hit rate with 2 threads as with 1
awk -F'\t' '{
	t = ""
	if ($1 ~ /svcdns\/Unbound qps$/) t = ($2 >= 1.0 ? "target >= 1.0: met" : "target >= 1.0: NOT met")
	if ($1 ~ /^CPU.*svcdns\/unbound$/) t = ($2 < 1.0 ? "target < 1.0: met" : "target < 1.0: NOT met")
	if ($1 ~ /^hit rate/) { split($3, o, " "); d = $2 - o[2]; if (d < 0) d = -d
		t = (d <= 0.001 ? "equal within 0.001: met" : "equal within 0.001: NOT met") }
	printf "  %-62s %6s  %s%s\n", $1, $2, $3, (t != "" ? "  <- " t : "") }' "$SUM"
if [ -s "$WORK/warnings" ]; then
	echo "warnings:"
	sed 's/^/  /' "$WORK/warnings"
else
	echo "no lost queries, unexpected rcodes, svcdns SERVFAILs, timeouts or drops"
fi
