#!/bin/sh
# test_cli.sh - the command-line contract: --help/--version exit 0; usage
# errors exit 2 with a one-line message naming the bad value; runtime
# errors (a missing --dir) exit 1 with a message.
. "${TESTDIR:?}/system/lib.sh"

# run NAME ARGS...: runs svcdns (bounded), sets RC, OUT, ERR
run() {
	timeout $((10 * LIB_SLOW)) "$SVCDNS" "$@" >"$WORK/out" 2>"$WORK/err"
	RC=$?
	OUT=$(cat "$WORK/out")
	ERR=$(cat "$WORK/err")
}

# usage_error DESC NEEDLE ARGS...: exit 2, message on stderr containing NEEDLE
usage_error() {
	desc=$1 needle=$2
	shift 2
	run "$@"
	if [ "$RC" -eq 2 ] && printf '%s' "$ERR" | grep -qF -- "$needle"; then
		pass "$desc: exit 2, message names '$needle'"
	else
		fail "$desc: svcdns $*"
		echo "     expected: exit 2 and a stderr message containing '$needle'"
		echo "     got:      exit $RC; stderr: $(printf '%s' "$ERR" | head -3)"
	fi
}

P=$(free_port)
BASE="--listen 127.0.0.1 --port $P --upstream none --dir $ZONESDIR/demo"

run --help
check_eq "--help exits 0" 0 "$RC"
for opt in --dir --listen --port --domain --ttl --upstream --threads --pods --dump-zone --http; do
	if printf '%s\n%s' "$OUT" "$ERR" | grep -qF -- "$opt"; then pass "--help mentions $opt"; else fail "--help does not mention $opt"; fi
done
if [ -n "$OUT" ]; then pass "--help prints on stdout"; else fail "--help prints nothing on stdout"; fi

run --version
check_eq "--version exits 0" 0 "$RC"
if printf '%s' "$OUT" | grep -q '[0-9]\.[0-9]'; then pass "--version prints a version ($OUT)"; else fail "--version prints no version number: '$OUT'"; fi

usage_error "unknown option" "--no-such-option" $BASE --no-such-option
usage_error "unknown option (no dashes value)" "--bogus" --bogus=1 $BASE
usage_error "--ttl 99999 out of range" "99999" $BASE --ttl 99999
usage_error "--ttl -1" "-1" $BASE --ttl -1
usage_error "--ttl abc" "abc" $BASE --ttl abc
usage_error "--port 70000" "70000" --dir "$ZONESDIR/demo" --listen 127.0.0.1 --upstream none --port 70000
usage_error "--port abc" "abc" --dir "$ZONESDIR/demo" --listen 127.0.0.1 --upstream none --port abc
usage_error "--port without a value" "--port" --dir "$ZONESDIR/demo" --listen 127.0.0.1 --upstream none --port
usage_error "--pods bogus" "bogus" $BASE --pods bogus
usage_error "--threads 0" "0" $BASE --threads 0
usage_error "--domain with an empty label" "bad..zone" $BASE --domain bad..zone
usage_error "stray argument" "stray" $BASE stray

run $BASE --ttl 99999
n=$(printf '%s\n' "$ERR" | grep -c .)
check_eq "--ttl 99999: a one-line message" 1 "$n"

run --dir /nonexistent/svcdns-test --listen 127.0.0.1 --port "$P" --upstream none --http 127.0.0.1:0
if [ "$RC" -eq 1 ] && printf '%s' "$ERR" | grep -qF /nonexistent/svcdns-test; then
	pass "--dir /nonexistent: exit 1, message names the directory"
else
	fail "--dir /nonexistent: svcdns --dir /nonexistent/svcdns-test ..."
	echo "     expected: exit 1 and a stderr message containing /nonexistent/svcdns-test"
	echo "     got:      exit $RC; stderr: $(printf '%s' "$ERR" | head -3)"
fi

# a port already in use is a runtime error (1), not a usage error
python3 - "$P" >"$WORK/holder.out" 2>&1 <<'PYEOF' &
import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", p))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", p)); t.listen(1)
print("bound", flush=True)
time.sleep(8)
PYEOF
HOLDER=$!
LIB_PIDS="$LIB_PIDS $HOLDER"
i=0
while [ $i -lt 50 ] && ! grep -q bound "$WORK/holder.out"; do sleep 0.1; i=$((i + 1)); done
run --dir "$ZONESDIR/demo" --listen 127.0.0.1 --port "$P" --upstream none --http 127.0.0.1:0
if [ "$RC" -eq 1 ]; then pass "port in use: exit 1 ($(printf '%s' "$ERR" | head -1))"; else
	fail "port in use: expected exit 1, got $RC; stderr: $(printf '%s' "$ERR" | head -3)"; fi
stop_server "$HOLDER"

# A second svcdns on the port of a running one: its SO_REUSEPORT sockets
# would bind too and the kernel would split the queries between the two.
start_server "$ZONESDIR/demo"
FIRST=$PID
run --dir "$ZONESDIR/demo" --listen 127.0.0.1 --port "$PORT" --upstream none --http 127.0.0.1:0 --lameduck 0
if [ "$RC" -eq 1 ] && printf '%s' "$ERR" | grep -q "port $PORT: UDP: Address already in use.*--reuse-port"; then
	pass "second svcdns on a taken DNS port: exit 1, names the port and --reuse-port"
else
	fail "second svcdns on a taken DNS port: expected exit 1 naming the port; got $RC; stderr: $(printf '%s' "$ERR" | head -3)"
fi
"$SVCDNS" --dir "$ZONESDIR/demo" --listen 127.0.0.1 --port "$PORT" --upstream none \
	--http 127.0.0.1:0 --lameduck 0 --reuse-port >"$WORK/second.log" 2>&1 &
SECOND=$!
LIB_PIDS="$LIB_PIDS $SECOND"
i=0
while [ $i -lt $((100 * LIB_SLOW)) ] && ! grep -q "serving .* services on port" "$WORK/second.log" && child_alive "$SECOND"; do
	sleep 0.1
	i=$((i + 1))
done
if child_alive "$SECOND" && grep -q "serving .* services on port" "$WORK/second.log"; then
	pass "--reuse-port: a second svcdns shares the port"
else
	fail "--reuse-port: the second svcdns did not start: $(head -3 "$WORK/second.log")"
fi
stop_server "$SECOND"
stop_server "$FIRST"

# The --http port taken: exit 1, before any query thread started.
python3 - >"$WORK/http-holder.out" 2>&1 <<'PYEOF' &
import socket, time
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM); t.bind(("127.0.0.1", 0)); t.listen(1)
print("port", t.getsockname()[1], flush=True)
time.sleep(120)
PYEOF
HOLDER=$!
LIB_PIDS="$LIB_PIDS $HOLDER"
i=0
while [ $i -lt 50 ] && ! grep -q port "$WORK/http-holder.out"; do sleep 0.1; i=$((i + 1)); done
HP=$(sed -n 's/^port //p' "$WORK/http-holder.out")
run --dir "$ZONESDIR/demo" --listen 127.0.0.1 --port "$(free_port)" --upstream none --http "127.0.0.1:$HP"
if [ "$RC" -eq 1 ] && printf '%s' "$ERR" | grep -q "Address already in use"; then
	pass "--http port in use: exit 1 ($(printf '%s' "$ERR" | tail -1))"
else
	fail "--http port in use: expected exit 1, got $RC; stderr: $(printf '%s' "$ERR" | tail -3)"
fi
stop_server "$HOLDER"

# Start-up failing right after the query threads are spawned (here: the
# API source's token file is missing, read once the threads run) must end
# the process, however late the threads enter their loops; a stop that
# came before a loop started was lost and the join waited for ever.
hung=0 other=0 n=0
while [ $n -lt 40 ]; do
	n=$((n + 1))
	DP=$(free_port)
	timeout -k 5 $((20 * LIB_SLOW)) "$SVCDNS" --apiserver http://127.0.0.1:9 \
		--token-file "$WORK/no-such-token" --listen 127.0.0.1 --port "$DP" \
		--upstream none --threads 8 --http 127.0.0.1:0 >"$WORK/race.log" 2>&1
	st=$?
	if [ $st -eq 124 ] || [ $st -eq 137 ]; then
		hung=$((hung + 1))
		echo "     run $n hung in shutdown: $(tail -1 "$WORK/race.log")"
		break
	elif [ $st -ne 1 ] || ! grep -q "no-such-token: No such file" "$WORK/race.log"; then
		other=$((other + 1))
		echo "     run $n: exit $st: $(head -2 "$WORK/race.log")"
	fi
done
check_eq "40 starts failing after the threads spawn: none hangs, each exits 1" "0 0" "$hung $other"
# --user: after binding, every thread runs as that user (root is needed
# to switch; the test runs as root in CI). A user that does not exist is
# a runtime error that names it.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	start_server "$ZONESDIR/demo" --user nobody
	check_eq "--user nobody: still answers" "10.96.0.1" "$(d +short kubernetes.default.svc.cluster.local A)"
	# every thread's real, effective, saved and fs uid (no ps: procps is
	# not among the packages bootstrap installs)
	nobody=$(id -u nobody)
	uids=$(cat /proc/"$PID"/task/*/status | awk '/^Uid:/ {print $2, $3, $4, $5}' | sort -u)
	check_eq "--user nobody: every thread runs as nobody" "$nobody $nobody $nobody $nobody" "$uids"
	stop_server "$PID"
	run $BASE --http 127.0.0.1:0 --lameduck 0 --user no-such-user-svcdns
	if [ "$RC" -eq 1 ] && printf '%s' "$ERR" | grep -q "no-such-user-svcdns.*no such user"; then
		pass "--user no-such-user: exit 1, the user named"
	else
		fail "--user no-such-user: exit $RC; stderr: $(printf '%s' "$ERR" | tail -2)"
	fi
else
	fail "--user needs root and a user nobody to test (uid $(id -u))"
fi
finish
