#!/bin/bash
# The application's Traffic Manager set-up, tested with az against a lab
# gtmd: a Priority profile and two endpoints made with az, the primary
# failed, and dig checked to answer the secondary. GTMD names the gtmd
# binary (default: gtmd on PATH). Exit status 0 when the answer moved.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
t0=$(date +%s%N)
lab=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait; rm -rf "$lab"; }
trap cleanup EXIT
export AZURE_CONFIG_DIR=$lab/azure REQUESTS_CA_BUNDLE=$lab/api.crt NO_PROXY=127.0.0.1 \
       AZURE_CORE_COLLECT_TELEMETRY=no AZURE_CORE_ONLY_SHOW_ERRORS=true
# az indexes its commands at its first run in a new AZURE_CONFIG_DIR (2-3 s):
# the index is kept between sessions (az makes it again if az changed)
index=${XDG_CACHE_HOME:-$HOME/.cache}/gtmd-lab-az/commandIndex.json
mkdir -p "$AZURE_CONFIG_DIR"
cp "$index" "$AZURE_CONFIG_DIR/" 2>/dev/null || true

# Free ports: DNS and API on 127.0.0.1, the endpoints' web servers on one
# port of 127.0.0.121 and 127.0.0.122.
free_port() {
    python3 -c 'import socket, sys
while True:
    s = socket.socket(); s.bind((sys.argv[1], 0)); port = s.getsockname()[1]; s.close()
    try:
        for host in sys.argv[1:]:
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                socket.socket(socket.AF_INET, kind).bind((host, port))
        break
    except OSError:
        pass
print(port)' "$@"
}
dns=$(free_port 127.0.0.1) api=$dns web=$(free_port 127.0.0.121 127.0.0.122)
while [ "$api" = "$dns" ]; do api=$(free_port 127.0.0.1); done

secret=$(head -c 18 /dev/urandom | base64 | tr -d /+=)
(umask 077; echo "lab-client $secret" > "$lab/clients")
"${GTMD:-gtmd}" --listen 127.0.0.1:"$dns" --api 127.0.0.1:"$api" --state-dir "$lab" \
    --api-clients "$lab/clients" --workers 1 > "$lab/gtmd.log" 2>&1 &
pids+=($!)
touch "$lab/primary.up" "$lab/secondary.up"
python3 "$here/backend.py" 127.0.0.121 "$web" "$lab/primary.up" & pids+=($!)
python3 "$here/backend.py" 127.0.0.122 "$web" "$lab/secondary.up" & pids+=($!)
for _ in $(seq 100); do
    [ -e "$lab/api.crt" ] && (: > /dev/tcp/127.0.0.1/"$api") 2>/dev/null && break
    sleep 0.05
done
[ -e "$lab/api.crt" ] || { echo "FAIL: gtmd did not start"; cat "$lab/gtmd.log"; exit 1; }

az cloud register -n gtmdlab --endpoint-resource-manager "https://127.0.0.1:$api/" \
    --profile 2020-09-01-hybrid
(mkdir -p "${index%/*}" && cp "$AZURE_CONFIG_DIR/commandIndex.json" "$index") 2>/dev/null || true
export AZURE_CLOUD_NAME=gtmdlab  # as az cloud set would, without an az run
az login --service-principal -u lab-client -p "$secret" --tenant adfs > /dev/null
az network traffic-manager profile create -g lab -n app --routing-method Priority \
    --unique-dns-name app-az-lab --ttl 0 --protocol HTTP --port "$web" --path /health \
    --interval 1 --timeout 1 --max-failures 0 > /dev/null
az network traffic-manager endpoint create -g lab --profile-name app -n primary \
    --type externalEndpoints --target 127.0.0.121 --priority 1 > /dev/null
az network traffic-manager endpoint create -g lab --profile-name app -n secondary \
    --type externalEndpoints --target 127.0.0.122 --priority 2 > /dev/null

answer() { dig @127.0.0.1 -p "$dns" app-az-lab.trafficmanager.net A +short; }
[ "$(answer)" = 127.0.0.121 ] || { echo "FAIL: the primary is not answered"; exit 1; }
rm "$lab/primary.up"  # the primary fails: its web server answers 503
for _ in $(seq 50); do
    [ "$(answer)" = 127.0.0.122 ] && break
    sleep 0.1
done
[ "$(answer)" = 127.0.0.122 ] || { echo "FAIL: the answer did not move"; exit 1; }
echo "PASS: the answer moved to the secondary ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
