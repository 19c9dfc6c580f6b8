# pids.sh - child_alive, for the test scripts that signal their processes
# by number (lib.sh, nsd_lib.sh, tests/resolvers/run.sh). Sourced; POSIX sh.

# child_alive PID: true while PID is a running child of this shell. Send a
# signal by number only when this holds: the shell reaps a background job
# that ends by itself, and the kernel may then give its number to a process
# of another test running beside this one (pid_max is 32768 on many
# machines, and a suite starts tens of thousands of processes). kill -0
# cannot tell: it succeeds for that other process too.
child_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# the fields after the command name, which may hold spaces: state ppid ...
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	[ "$1" != Z ] && [ "$2" = "$$" ]
}
