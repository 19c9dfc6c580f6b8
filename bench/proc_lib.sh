# proc_lib.sh - the work directory and the processes of a benchmark
# script (bench/run.sh, bench/forward.sh), sourced: every process started
# is recorded in PIDS and stopped by PID at exit, the work directory
# removed.
#
# bench_work PREFIX: makes WORK=/tmp/PREFIX.XXXXXX and sets the traps.

# child_alive: a PID is signalled only while it is still this shell's child
# (a reaped one's number may belong to another program by then).
. "$(dirname "$0")/../tests/system/pids.sh"

# Stops one process this script started and drops it from PIDS.
stop() {
	local pid=$1 i=0
	child_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	while child_alive "$pid" && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	child_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	PIDS=$(echo " $PIDS " | sed "s/ $pid / /g")
}

bench_cleanup() {
	local pid
	for pid in $PIDS; do
		stop "$pid"
	done
	PIDS=""
	case "$WORK" in
	/tmp/"$BENCH_PREFIX".*) rm -rf "$WORK" ;;
	esac
}

bench_work() {
	BENCH_PREFIX=$1
	WORK=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	PIDS=""
	trap bench_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}
