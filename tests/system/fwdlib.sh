# fwdlib.sh - helpers of the forwarding tests (test_forward*.sh); source
# after lib.sh. Test upstreams are tests/system/upstream.py instances on
# loopback; svcdns is started here with its own --upstream options (lib.sh's
# start_server always passes --upstream none). Every wait is bounded; only
# the PIDs started here are killed (lib.sh's cleanup does it via LIB_PIDS).

UPSTREAM_PY="$TESTDIR/system/upstream.py"

# start_upstream TAG [--addr A]: starts an upstream answering "who.* TXT"
# with TAG. Sets UPORT, ULOG (query log), UCTL (control file), UPID.
start_upstream() {
	local tag=$1 dir i
	shift
	dir=$(mktemp_dir)
	UPORT=$(free_port)
	ULOG=$dir/queries.log
	UCTL=$dir/control.json
	: >"$ULOG"
	python3 "$UPSTREAM_PY" serve --port "$UPORT" --log "$ULOG" --control "$UCTL" \
		--ready "$dir/ready" --tag "$tag" "$@" >"$dir/stderr" 2>&1 &
	UPID=$!
	LIB_PIDS="$LIB_PIDS $UPID"
	i=0
	while [ $i -lt 100 ] && [ ! -e "$dir/ready" ]; do
		if ! child_alive "$UPID"; then
			echo "FAIL: upstream.py exited at start:" >&2
			sed 's/^/  /' "$dir/stderr" >&2
			exit 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	[ -e "$dir/ready" ] || { echo "FAIL: upstream.py not ready in 5 s" >&2; exit 1; }
}

# stop_upstream PID: ends an upstream (same as stop_server).
stop_upstream() { stop_server "$1"; }

# set_mode CTLFILE JSON: tells an upstream how to (mis)behave from now on.
set_mode() {
	printf '%s\n' "$2" >"$1.tmp" && mv -f "$1.tmp" "$1"
}

# ucount LOG NAME [TYPE [TRANSPORT]]: how many queries for NAME (any case)
# the upstream received.
ucount() {
	python3 - "$@" <<'EOF'
import json, sys
log, name = sys.argv[1], sys.argv[2].lower().rstrip(".") + "."
qtype = sys.argv[3] if len(sys.argv) > 3 else None
tr = sys.argv[4] if len(sys.argv) > 4 else None
n = 0
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("qname", "").lower() != name:
        continue
    if qtype and e.get("qtype") != qtype:
        continue
    if tr and e.get("transport") != tr:
        continue
    n += 1
print(n)
EOF
}

# ulast LOG NAME EXPR: EXPR (python, over the entry e) of the last query
# for NAME in the upstream's log.
ulast() {
	python3 - "$@" <<'EOF'
import json, sys
log, name, expr = sys.argv[1], sys.argv[2].lower().rstrip(".") + ".", sys.argv[3]
last = None
for line in open(log):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("qname", "").lower() == name:
        last = e
print(eval(expr, {}, {"e": last}) if last is not None else "NO-QUERY")
EOF
}

# ask NAME TYPE [upstream.py ask options]: one query to svcdns ($PORT),
# prints the JSON reply. Its --timeout is stretched by SVCDNS_TEST_SLOW.
ask() {
	local name=$1 type=$2
	shift 2
	timeout $((60 * LIB_SLOW)) python3 "$UPSTREAM_PY" ask "${QPORT:-$PORT}" "$name" "$type" \
		--slow "$LIB_SLOW" "$@"
}

# jf EXPR: evaluates EXPR (python, over the reply r) for each JSON line on
# stdin, prints one result a line.
jf() {
	python3 -c '
import json, sys
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)
    try:
        print(eval(sys.argv[1], {}, {"r": r}))
    except Exception as ex:
        print("ERR:%s in %s" % (type(ex).__name__, line))
' "$1"
}

# start_fwd DIR [svcdns options...]: like lib.sh's start_server, without
# --upstream none (pass --upstream yourself). Sets PORT, PID, LOG.
# FWD_THREADS (default 1) sets --threads: the cache and the in-flight
# table are per thread, so tests of exact counts use one thread.
start_fwd() {
	local dir=$1 i try st
	shift
	for try in 1 2 3; do
		PORT=$(free_port)
		LOG=$(mktemp_dir)/svcdns.log
		"$SVCDNS" --dir "$dir" --listen 127.0.0.1 --port "$PORT" \
			--http 127.0.0.1:0 --threads "${FWD_THREADS:-1}" "$@" >"$LOG" 2>&1 &
		PID=$!
		LIB_PIDS="$LIB_PIDS $PID"
		i=0
		while [ $i -lt $((50 * LIB_SLOW)) ]; do
			if ! child_alive "$PID"; then
				wait "$PID" 2>/dev/null
				st=$?
				if lib_port_taken "$try"; then continue 2; fi
				echo "FAIL: svcdns exited at start (status $st); options: $*" >&2
				sed 's/^/  /' "$LOG" >&2
				exit 1
			fi
			if lib_serving "$PORT" cluster.local; then
				return 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
		echo "FAIL: svcdns on port $PORT did not come up" >&2
		sed 's/^/  /' "$LOG" >&2
		exit 1
	done
}

# check_json "description" EXPECTED EXPR: the first reply line (in $R)
# evaluated with EXPR equals EXPECTED.
check_json() {
	local got
	got=$(printf '%s\n' "$R" | head -1 | jf "$3")
	check_eq "$1" "$2" "$got"
}
