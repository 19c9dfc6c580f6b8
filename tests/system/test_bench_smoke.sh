#!/bin/sh
# test_bench_smoke.sh - keeps bench/ from rotting: bench/run.sh --smoke
# (generator, query mix, zone dump and a few svcdns answers, one second of
# load; svcdns and dig only, no installs). The benchmark itself is `make bench`.
: "${SVCDNS:?SVCDNS must name the svcdns binary}"
: "${TESTDIR:?TESTDIR must name the tests/ directory}"
exec "$TESTDIR/../bench/run.sh" --smoke
