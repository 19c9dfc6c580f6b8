# nsd_lib.sh - NSD with a configuration of its own: the authoritative
# server the tests and benchmarks put beside svcdns (the upstream of
# tests/realapi/coredns_lib.sh, tests/resolvers/run.sh and
# bench/forward.sh; the server svcdns is compared with in bench/run.sh).
# Sourced; POSIX sh and `local`, as lib.sh (the realapi tests run under
# dash); needs nothing from lib.sh, only nsd, dig and pids.sh's child_alive
# (sourced by every caller).
#
#   nsd_conf DIR ADDR PORT ZONE...  writes DIR/nsd.conf: NSD on ADDR@PORT
#                   (IPv4) for the ZONEs, each from DIR/NAME.zone (the root
#                   "." from DIR/root.zone); every file of NSD's own in DIR.
#                   Sets NSD_DIR, NSD_ADDR, NSD_PORT, NSD_LOG (DIR/nsd.log).
#   nsd_exec        starts NSD on that configuration, in the foreground
#                   (nsd -d), in the background of the caller, without
#                   waiting; its PID joins the caller's list of PIDs to stop
#                   at exit. Sets NSD_PID.
#   nsd_wait        polls NSD (NSD_PROBE at NSD_ADDR:NSD_PORT) until it
#                   answers: 0; 1 when it did not within the tries; 2 when
#                   it exited.
#   nsd_start DIR ADDR PORT ZONE...  nsd_conf, nsd_exec, nsd_wait; returns
#                   nsd_wait's status. The caller reports a failure (with
#                   NSD_LOG) or tries another port.
#
# Knobs (variables, all optional):
#   NSD_BIN        the nsd binary (default: nsd, on PATH)
#   NSD_PIN        a command prefix (bench/run.sh: "taskset -c 0")
#   NSD_SERVERS    server-count (default 1)
#   NSD_VERBOSITY  verbosity (default 1; the benchmarks: 0)
#   NSD_PIDVAR     the name of the variable listing the PIDs the caller's
#                  exit trap stops (default PIDS; the realapi tests: LIB_PIDS)
#   NSD_PROBE      "NAME TYPE [PATTERN]": nsd_wait's question, answered when
#                  dig +short's output matches PATTERN (grep; default: any
#                  answer). Default "example.com SOA".
#   NSD_TRIES      nsd_wait's tries, 0.1 s apart, each dig waiting 1 s at
#                  most (default 100; times SVCDNS_TEST_SLOW's LIB_SLOW when
#                  lib.sh is sourced)
#
# The same options for every caller. Response rate limiting off
# (rrl-ratelimit: 0, and rrl-whitelist-ratelimit: 0, without which NSD
# still does RRL processing): with it (Debian's NSD defaults to 200 a
# second per /24) the answers of one kind to loopback share one bucket, and
# a burst (the NXDOMAINs of the root in tests/realapi/test_coredns_diff.sh,
# any benchmark) gets TC=1 and empty sections ("slip"), which a forwarder
# passes on or retries over TCP: differences and figures of NSD's making.
# No privileges dropped (username: ""), no chroot, no database, no remote
# control, no IPv6 (the address is IPv4), no version for CHAOS queries,
# tcp-count: 100 (NSD's default, as bench/run.sh wrote it out).
# NSD logs to NSD_LOG (logfile:), and its stdout and stderr (what it says
# before the logfile is open) are appended to the same file.

# nsd_conf DIR ADDR PORT ZONE...
nsd_conf() {
	local z f
	NSD_DIR=$1 NSD_ADDR=$2 NSD_PORT=$3
	NSD_LOG=$NSD_DIR/nsd.log
	shift 3
	mkdir -p "$NSD_DIR" || return 1
	{
		cat <<EOF
# Written by tests/system/nsd_lib.sh: NSD in the foreground, every file of
# its own in this directory, no privileges dropped.
server:
	ip-address: $NSD_ADDR@$NSD_PORT
	do-ip6: no
	server-count: ${NSD_SERVERS:-1}
	username: ""
	chroot: ""
	zonesdir: "$NSD_DIR"
	pidfile: "$NSD_DIR/nsd.pid"
	database: ""
	zonelistfile: "$NSD_DIR/zone.list"
	xfrdfile: "$NSD_DIR/xfrd.state"
	xfrdir: "$NSD_DIR"
	logfile: "$NSD_LOG"
	verbosity: ${NSD_VERBOSITY:-1}
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
	tcp-count: 100
	hide-version: yes
remote-control:
	control-enable: no
EOF
		for z in "$@"; do
			f=$z.zone
			[ "$z" = . ] && f=root.zone
			printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$f"
		done
	} >"$NSD_DIR/nsd.conf"
}

# nsd_exec: starts NSD on nsd_conf's configuration; sets NSD_PID.
nsd_exec() {
	# shellcheck disable=SC2086 # NSD_PIN is a command prefix
	${NSD_PIN:-} "${NSD_BIN:-nsd}" -d -c "$NSD_DIR/nsd.conf" >>"$NSD_LOG" 2>&1 &
	NSD_PID=$!
	eval "${NSD_PIDVAR:-PIDS}=\"\${${NSD_PIDVAR:-PIDS}:-} \$NSD_PID\""
}

# nsd_wait: 0 when NSD answers NSD_PROBE, 1 when not within the tries, 2
# when it exited.
nsd_wait() {
	local name type pat i=0 n
	# shellcheck disable=SC2086 # NAME TYPE [PATTERN]
	set -- ${NSD_PROBE:-example.com SOA}
	name=$1 type=$2 pat=${3:-.}
	n=$((${NSD_TRIES:-100} * ${LIB_SLOW:-1}))
	while [ $i -lt $n ]; do
		child_alive "$NSD_PID" || return 2
		dig @"$NSD_ADDR" -p "$NSD_PORT" +norec +time=1 +tries=1 +short "$name" "$type" 2>/dev/null |
			grep -q -- "$pat" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# nsd_start DIR ADDR PORT ZONE...
nsd_start() {
	nsd_conf "$@" || return 1
	nsd_exec
	nsd_wait
}
