# proc_lib.sh - the work directory and the processes of a benchmark
# script (bench/run.sh, bench/forward.sh), sourced: every process started
# is recorded in PIDS and stopped by PID at exit, the work directory
# removed.
#
# bench_work PREFIX: makes WORK=/tmp/PREFIX.XXXXXX and sets the traps.

# Stops one process this script started and drops it from PIDS.
stop() {
	local pid=$1 i=0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
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
