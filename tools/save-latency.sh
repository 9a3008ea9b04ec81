#!/usr/bin/env bash
# save-latency.sh NAME 'SERVER' [bgsave|bgrewriteaof]: what a background save costs clients. Loads 1M keys of
# 100-byte values, runs a writer (redis-benchmark -c 10 SET over those keys) alone for 2 s, then starts the save
# while the writer goes on. Prints the server's peak RSS with the writer alone and during the save (a forked
# child's memory counted, as Redis's), and the writer's latency summary over the whole run.
# Example: tools/save-latency.sh ours target/release/mini-redis-server; tools/save-latency.sh redis redis-server
set -u
name=$1; bin=$2; what=${3:-bgsave}; port=${PORT:-28991}; d=$(mktemp -d)
fill=${FILL:-/tmp/fill1m.resp}
[ -s "$fill" ] || python3 -c "
import sys
v=b'x'*100
with open('$fill','wb') as f:
    for i in range(1000000):
        k=b'key:%012d'%i
        f.write(b'*3\r\n\$3\r\nSET\r\n\$%d\r\n%s\r\n\$100\r\n%s\r\n'%(len(k),k,v))"
extra=(); [ "$what" = bgrewriteaof ] && extra=(--appendonly yes --auto-aof-rewrite-percentage 0)
$bin --port $port --dir $d --save '' "${extra[@]}" > $d/log 2>&1 & pid=$!
for i in $(seq 1 50); do redis-cli -p $port ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p $port --pipe < "$fill" > /dev/null 2>&1
rss() { local r; r=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
  for c in $(pgrep -P $pid); do cr=$(awk '/Pss:/ {s+=$2} END {print s+0}' /proc/$c/smaps_rollup 2>/dev/null); r=$((r + ${cr:-0})); done
  echo $r; }
rss0=$(rss)
redis-benchmark -p $port -t set -n 700000 -r 1000000 -d 100 -c 10 2>/dev/null | tr '\r' '\n' | grep -A2 'latency summary' | tail -1 > $d/lat &
bp=$!
pre=0; end=$((SECONDS+2))
while [ $SECONDS -lt $end ]; do r=$(rss); [ "$r" -gt "$pre" ] && pre=$r; sleep 0.05; done
redis-cli -p $port $what > /dev/null
peak=$pre
while kill -0 $bp 2>/dev/null; do r=$(rss); [ "$r" -gt "$peak" ] && peak=$r; sleep 0.05; done
echo "$name $what: rss loaded ${rss0} kB, writer alone ${pre} kB, with the save ${peak} kB (+$(( (peak-pre)*100/pre ))%)"
echo "$name writer latency (avg min p50 p95 p99 max ms): $(cat $d/lat)"
redis-cli -p $port shutdown nosave >/dev/null 2>&1; wait $pid; rm -rf $d
