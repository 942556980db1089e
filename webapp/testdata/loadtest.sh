#!/bin/sh
# Load test of the web app with wrk (Debian: apt-get install -y wrk):
# builds the binary, generates a data dir of 10,000 runs (once), starts
# `overwatch web`, logs in and runs wrk against the histogram JSON endpoint
# and the run list, RUNS times each (default 3), 32 connections.
#   sh webapp/testdata/loadtest.sh            (from the repository root)
# On a shared machine, NICE="nice -n -15" (as root) gives server and wrk
# priority over other work, approximating a dedicated host.
set -eu
DATA=${DATA:-/tmp/overwatch-loadtest}
ADDR=${ADDR:-127.0.0.1:18099}
RUNS=${RUNS:-3}
DUR=${DUR:-15s}
go build -o /tmp/overwatch-loadtest-bin ./cmd/overwatch
if [ ! -d "$DATA" ]; then
  OVERWATCH_WEBAPP_LOADDATA="$DATA" go test ./webapp -run TestLoadData -count=1 >/dev/null
fi
${NICE:-} /tmp/overwatch-loadtest-bin web --data "$DATA" --listen "$ADDR" --no-slices 2>/tmp/overwatch-loadtest.log &
PID=$!
trap 'kill $PID' EXIT
sleep 2
JAR=$(mktemp)
TOK=$(curl -s -c "$JAR" -b "$JAR" "http://$ADDR/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
curl -s -c "$JAR" -b "$JAR" -o /dev/null --data-urlencode username=alice --data-urlencode "password=correct horse battery" \
  --data-urlencode "csrf_token=$TOK" "http://$ADDR/login"
COOKIE="ow_session=$(awk '$6=="ow_session"{print $7}' "$JAR")"
RUN=$(curl -s -H "Cookie: $COOKIE" "http://$ADDR/api/runs?limit=1" | sed -n 's/.*"number":\([0-9]*\).*/\1/p')
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "/api/runs/$RUN/EMC/json/EMCTRQA/hEMCalPatchMap" "/runs"; do
  i=0
  while [ $i -lt "$RUNS" ]; do
    echo "== $path (run $((i+1)))"
    ${NICE:-} wrk -t2 -c32 -d"$DUR" --latency -H "Cookie: $COOKIE" "http://$ADDR$path" | grep -E 'Requests/sec|50%|99%|Non-2xx'
    i=$((i+1))
  done
done
