#!/usr/bin/env bash
# PUBLISH throughput with N subscribers, our server against redis-server, each pinned to CPU 0;
# redis-benchmark and the subscribers (redis-cli) run on CPU 1.
# usage: tools/pubsub_bench.sh [subscribers...]   (default: 1 50)
set -u
cd "$(dirname "$0")/.."
SUBS=${*:-1 50}
N=${N:-200000}
run() {  # label, start command with {PORT}
    local label=$1 cmd=$2 port=27999
    cmd=${cmd//\{PORT\}/$port}
    taskset -c 0 bash -c "exec $cmd" >/dev/null 2>&1 &
    local pid=$!
    until [ "$(redis-cli -p $port ping 2>/dev/null)" = PONG ]; do sleep 0.1; done
    for s in $SUBS; do
        local subpids=()
        for _ in $(seq 1 "$s"); do
            taskset -c 1 redis-cli -p $port subscribe ch >/dev/null 2>&1 &
            subpids+=($!)
        done
        until [ "$(redis-cli -p $port pubsub numsub ch | tail -1)" = "$s" ]; do sleep 0.1; done
        local rps
        rps=$(taskset -c 1 redis-benchmark -p $port -n "$N" -P 16 -c 20 --csv PUBLISH ch hello-world-payload 2>/dev/null | tail -1 | cut -d'"' -f4)
        echo "$label subscribers=$s publish_rps=$rps"
        kill "${subpids[@]}" 2>/dev/null; wait "${subpids[@]}" 2>/dev/null
    done
    kill "$pid"; wait "$pid" 2>/dev/null
}
run redis "redis-server --port {PORT} --save '' --appendonly no"
run ours "target/release/mini-redis-server --port {PORT} --save ''"
