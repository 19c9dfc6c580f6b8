# watch_lib.sh - helpers of the API-source system tests (test_watch_*.sh):
# the fake API server of tests/fakeapi and svcdns started against it.
# Sources lib.sh, so every helper there (q, expect, check_eq, finish...) works.
#
# Every loop is bounded; all traffic is on 127.0.0.1; only processes started
# here are killed, by PID (they are added to LIB_PIDS).

. "${TESTDIR:?}/system/lib.sh"

require_tool curl curl
require_tool openssl openssl

FAKEAPI="$TESTDIR/fakeapi/fake_apiserver.py"

# start_fakeapi [fake_apiserver.py options...]
# Sets FAKE_PID, API_PORT, CTL_PORT.
start_fakeapi() {
	local pf i=0
	pf=$(mktemp_dir)/ports
	python3 "$FAKEAPI" --port-file "$pf" "$@" >"$WORK/fakeapi.log" 2>&1 &
	FAKE_PID=$!
	LIB_PIDS="$LIB_PIDS $FAKE_PID"
	while [ ! -s "$pf" ] && [ $i -lt 100 ]; do
		if ! child_alive "$FAKE_PID"; then
			echo "FAIL: fake API server exited; log:" >&2
			sed 's/^/  /' "$WORK/fakeapi.log" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$pf" ] || { echo "FAIL: fake API server did not start" >&2; exit 1; }
	API_PORT=$(sed -n 's/.*api=\([0-9]*\).*/\1/p' "$pf")
	CTL_PORT=$(sed -n 's/.*ctl=\([0-9]*\).*/\1/p' "$pf")
}

# ctl COMMAND?QUERY: one control request to the fake server; prints the reply.
ctl() {
	curl -s --max-time 10 "http://127.0.0.1:$CTL_PORT/ctl/$1"
}

# api_log: the fake server's request log ("<t> LIST services ... -> 200").
api_log() {
	ctl log
}

# count_requests PATTERN: request-log lines matching the extended regex.
count_requests() {
	api_log | grep -Ec "$1"
}

# start_svcdns_api URL [svcdns options...]
# Starts svcdns with --apiserver URL on a free port and waits until it
# answers DNS at all (SERVFAIL counts: before the first list it has no
# data). Sets PORT, PID, LOG.
start_svcdns_api() {
	local url=$1
	shift
	start_svcdns_src "--apiserver $url" "$@"
}

# start_svcdns_src "SOURCE OPTIONS" [svcdns options...]: the same with
# any source ("--kubeconfig F", "--apiserver URL --token-file F", or ""
# for the in-cluster one); SOURCE OPTIONS are split at spaces.
start_svcdns_src() {
	local src=$1 i try st
	shift
	for try in 1 2 3; do
		PORT=$(free_port)
		LOG=$(mktemp_dir)/svcdns.log
		# shellcheck disable=SC2086
		"$SVCDNS" $src --listen 127.0.0.1 --port "$PORT" \
			--upstream none --http 127.0.0.1:0 --threads 2 --lameduck 0 "$@" >"$LOG" 2>&1 &
		PID=$!
		LIB_PIDS="$LIB_PIDS $PID"
		i=0
		while [ $i -lt $((50 * LIB_SLOW)) ]; do
			if ! child_alive "$PID"; then
				wait "$PID" 2>/dev/null
				st=$?
				if lib_port_taken "$try"; then continue 2; fi
				echo "FAIL: svcdns exited at start (status $st); log:" >&2
				sed 's/^/  /' "$LOG" >&2
				exit 1
			fi
			if q cluster.local SOA | grep -qv 'NO-REPLY'; then
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		echo "FAIL: svcdns on port $PORT did not answer within $((50 * LIB_SLOW)) tries; log:" >&2
		sed 's/^/  /' "$LOG" >&2
		exit 1
	done
}

# short NAME TYPE: the answer's rdata, sorted, one per line.
short() {
	d +norec +short "$1" "$2" 2>/dev/null | LC_ALL=C sort
}

now_ms() {
	date +%s%3N
}

# wait_answer NAME TYPE EXPECTED MAX_MS: polls until `short NAME TYPE`
# equals EXPECTED (newline-separated, sorted; "" for no data) or MAX_MS
# (times SVCDNS_TEST_SLOW) pass. Sets WAITED_MS; returns 0 when seen.
wait_answer() {
	local name=$1 type=$2 want=$3 max=$(($4 * LIB_SLOW)) t0 got i=0
	t0=$(now_ms)
	while [ $i -lt $((2000 * LIB_SLOW)) ]; do
		got=$(short "$name" "$type")
		WAITED_MS=$(($(now_ms) - t0))
		[ "$got" = "$want" ] && return 0
		[ "$WAITED_MS" -gt "$max" ] && break
		sleep 0.02
		i=$((i + 1))
	done
	echo "     $name $type after ${WAITED_MS} ms: got '$(echo $got)', want '$(echo $want)'"
	return 1
}

# check_within "description" MAX_MS NAME TYPE EXPECTED
check_within() {
	local desc=$1 max=$2
	shift 2
	if wait_answer "$1" "$2" "$3" "$max"; then
		pass "$desc (${WAITED_MS} ms)"
	else
		fail "$desc"
	fi
}

# wait_log SECONDS REGEX: waits until svcdns's log has a matching line
# (SECONDS times SVCDNS_TEST_SLOW).
wait_log() {
	local secs=$(($1 * LIB_SLOW)) re=$2 i=0
	while [ $i -lt $((secs * 10)) ]; do
		grep -Eq "$re" "$LOG" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	grep -Eq "$re" "$LOG"
}

# make_ca DIR: a test CA and a server certificate for 127.0.0.1 in DIR
# (ca.crt, srv.crt, srv.key).
make_ca() {
	local dir=$1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" \
		-out "$dir/ca.crt" -days 2 -subj "/CN=svcdns-test-ca" 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$dir/srv.key" \
		-out "$dir/srv.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/ext" &&
	openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.crt" \
		-CAkey "$dir/ca.key" -CAcreateserial -out "$dir/srv.crt" \
		-days 2 -extfile "$dir/ext" 2>/dev/null ||
		{ echo "FAIL: openssl could not make the test CA" >&2; exit 1; }
}
