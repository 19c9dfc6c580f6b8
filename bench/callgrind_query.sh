#!/bin/bash
# bench/callgrind_query.sh - instructions per answered query, stable on a
# noisy machine (the figure in bench/RESULTS.md).
#
#   bench/callgrind_query.sh [SVCDNS] [N]     (defaults: ./svcdns, 10000)
#
# Generates a cluster of N services (bench/gen_cluster.py), runs svcdns
# --threads 1 under valgrind --tool=callgrind, sends 21,000 queries at
# 3,000 qps with dnsperf, stops svcdns by PID and prints the inclusive
# instructions of worker_main, query_answer and answer_lookup divided
# by the queries answered. Needs valgrind, dnsperf, dig, python3.
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
SVCDNS=${1:-$BENCH/../svcdns}
N=${2:-10000}
WORK=$(mktemp -d)
PORT=$((20000 + $$ % 20000))
trap 'kill "$PID" 2>/dev/null; cat "$WORK/svcdns.log" >&2; rm -rf "$WORK"' EXIT
python3 "$BENCH/gen_cluster.py" --services "$N" --out "$WORK/c" --queries "$WORK/q" >/dev/null
probe=$(awk '$2 == "A" { print $1; exit }' "$WORK/q")
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$SVCDNS" --dir "$WORK/c" \
	--listen 127.0.0.1 --port "$PORT" --threads 1 --upstream none --http 127.0.0.1:0 \
	--lameduck 0 --log-level warning 2>"$WORK/svcdns.log" &
PID=$!
for _ in $(seq 1 1200); do
	dig +tries=1 +time=1 @127.0.0.1 -p "$PORT" "$probe" +short 2>/dev/null | grep -qE "^[0-9.]+$" && break
	sleep 0.1
done
answered=$(dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/q" -Q 3000 -l 7 2>&1 |
	awk '/Queries completed/ { print $3 }')
kill -TERM "$PID"
wait "$PID"
echo "queries answered: ${answered:-0}"
callgrind_annotate --inclusive=yes "$WORK/cg.out" 2>/dev/null |
	awk -v n="${answered:-0}" '
	$4 ~ /src\/(server\.c:worker_main|query\.c:query_answer|answer_lookup\.c:answer_lookup)$/ {
		gsub(",", "", $1); sub(/.*:/, "", $4)
		if (n > 0 && !seen[$4]++) printf "  %-20s %6.0f instructions per query\n", $4, $1 / n
	}'
