# bench/lib.sh: shared by bench/run, bench/instructions, bench/monitor-scale
# and bench/failover (sourced, not run). Process bookkeeping (every process a
# script starts is recorded and stopped by PID on exit), tool checks, CPU
# and memory readings from /proc, free ports, and building the helpers
# (echo.c, backend.c) into the temporary directory.
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are read by the scripts

prog=${0##*/}
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

need_arg() { [[ $# -ge 2 && -n $2 ]] || die "option $1 needs a value (see --help)"; }
need_uint() { [[ $2 =~ ^[0-9]+$ ]] || die "option $1 needs a whole number, got '$2'"; }

# need_tools "cmd:package" ...: exits 1 naming the Debian packages of the
# commands that are missing. A cmd with a slash is checked as a file.
need_tools() {
    local spec cmd pkg missing=() pkgs=()
    for spec in "$@"; do
        cmd=${spec%%:*} pkg=${spec#*:}
        if [[ $cmd == */* ]]; then
            [[ -x $cmd ]] && continue
        else
            command -v "$cmd" >/dev/null 2>&1 && continue
            [[ -x /usr/sbin/$cmd ]] && continue
        fi
        missing+=("$cmd (Debian package $pkg)")
        [[ " ${pkgs[*]} " == *" $pkg "* ]] || pkgs+=("$pkg")
    done
    if (( ${#missing[@]} )); then
        echo "$prog: missing tools:" >&2
        printf '  %s\n' "${missing[@]}" >&2
        echo "$prog: install them with: apt-get install ${pkgs[*]}" >&2
        exit 1
    fi
}

# tool_path NAME: NAME from PATH or /usr/sbin.
tool_path() {
    command -v "$1" 2>/dev/null || { [[ -x /usr/sbin/$1 ]] && echo "/usr/sbin/$1"; } || true
}

# find_gtmd PATH: absolute path of the gtmd binary, or exit with a hint.
find_gtmd() {
    local g=$1
    [[ -f $g && -x $g ]] ||
        die "gtmd binary '$g' not found or not executable (build it with ./configure && make, or pass --gtmd PATH)"
    echo "$(cd "$(dirname "$g")" && pwd)/$(basename "$g")"
}

# ---- processes -----------------------------------------------------------------
started_pids=()   # processes this script started, stopped in reverse order on exit
tmp=
keep=0

# True while PID runs (a zombie, exited but not yet reaped, does not count).
alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ $st != Z ]]
}

# All processes of the tree rooted at PID (the process and its descendants).
proc_tree() {
    local pid=$1 c f
    local -a kids
    echo "$pid"
    for f in /proc/"$pid"/task/*/children; do
        read -ra kids <"$f" 2>/dev/null || true
        for c in "${kids[@]}"; do proc_tree "$c"; done
    done
}

# stop_pid PID: SIGTERM, up to 10 s, then SIGKILL; descendants seen before
# the signal get the same treatment if they outlive their parent.
stop_pid() {
    local pid=$1 i k
    local -a tree
    alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
    mapfile -t tree < <(proc_tree "$pid")
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        note "process $pid did not stop on SIGTERM, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    for k in "${tree[@]:1}"; do
        for (( i = 0; i < 20; i++ )); do alive "$k" || break; sleep 0.1; done
        if alive "$k"; then kill -TERM "$k" 2>/dev/null || true; fi
    done
}

# forget_pid PID: it was stopped by hand (stop_pid); no longer ours to stop.
forget_pid() {
    local -a rest=() p
    for p in "${started_pids[@]}"; do [[ $p == "$1" ]] || rest+=("$p"); done
    started_pids=("${rest[@]}")
}

# stop_and_forget PID
stop_and_forget() { stop_pid "$1"; forget_pid "$1"; }

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for (( i = ${#started_pids[@]} - 1; i >= 0; i-- )); do stop_pid "${started_pids[i]}"; done
    if [[ -n $tmp && -d $tmp ]]; then
        if (( keep )); then note "kept temporary files in $tmp"; else rm -rf -- "$tmp"; fi
    fi
    exit "$rc"
}

# make_tmp NAME: the temporary directory, removed on exit unless --keep.
make_tmp() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/gtmd-$1.XXXXXX")
    trap cleanup EXIT
    trap 'note interrupted; exit 130' INT
    trap 'exit 143' TERM
}

# start_bg LOG CMD...: starts CMD in the background (stdin /dev/null, output
# to LOG), records it; the PID is in $bg_pid.
start_bg() {
    local log=$1
    shift
    "$@" </dev/null >"$log" 2>&1 &
    bg_pid=$!
    started_pids+=("$bg_pid")
}

# check_alive NAME PID LOG: dies with the end of LOG if PID has exited.
check_alive() {
    local rc
    alive "$2" && return 0
    wait "$2" 2>/dev/null && rc=0 || rc=$?
    echo "---- $3" >&2; tail -n 20 "$3" >&2 || true
    die "$1 exited (status $rc)"
}

# ---- /proc readings --------------------------------------------------------------
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# cpu_ticks PID: utime+stime in clock ticks over every thread of every process
# of the tree (threads that exited are in their process's figures... only if
# the process reaped them: live threads are what we read).
cpu_ticks() {
    local pid f
    for pid in $(proc_tree "$1"); do
        for f in /proc/"$pid"/task/*/stat; do
            cat "$f" 2>/dev/null || true
            echo
        done
    done | awk '{ sub(/.*\) /, ""); if (NF > 12) t += $12 + $13 } END { print t + 0 }'
}

# thread_ticks PID TID: utime+stime of one thread.
thread_ticks() {
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/task/$2/stat" 2>/dev/null || echo 0
}

# rss_kib PID: VmRSS summed over the process tree, in KiB.
rss_kib() {
    local pid t=0 v
    for pid in $(proc_tree "$1"); do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || v=0
        t=$(( t + ${v:-0} ))
    done
    echo "$t"
}

# ---- CPUs --------------------------------------------------------------------------
# cpus_stat: "busy steal" clock ticks of the benchmark CPUs ($server_cpu and
# $client_cpu) from /proc/stat: busy is user+nice+system, steal what the
# hypervisor took.
cpus_stat() {
    awk -v a="cpu$server_cpu" -v b="cpu$client_cpu" '$1 == a || ($1 == b && a != b) {
        busy += $2 + $3 + $4; steal += $9 } END { print busy + 0, steal + 0 }' /proc/stat
}

# The CPUs this process may use (e.g. "0-3,6" expanded), one a line.
allowed_cpus() {
    local list part i
    list=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
    [[ -n $list ]] || list=0-$(( $(getconf _NPROCESSORS_ONLN) - 1 ))
    IFS=, read -ra parts <<<"$list"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            for (( i = ${part%-*}; i <= ${part#*-}; i++ )); do echo "$i"; done
        else
            echo "$part"
        fi
    done
}

# pick_cpus: sets server_cpu and client_cpu (if empty) to the first two
# allowed CPUs, ncpu to 2 (or 1 when they are the same), cpu_note.
pick_cpus() {
    local c
    local -a allowed
    mapfile -t allowed < <(allowed_cpus)
    [[ -n ${server_cpu:-} ]] || server_cpu=${allowed[0]}
    if [[ -z ${client_cpu:-} ]]; then
        if (( ${#allowed[@]} >= 2 )); then
            client_cpu=${allowed[1]}
            [[ $client_cpu != "$server_cpu" ]] || client_cpu=${allowed[0]}
        else
            client_cpu=${allowed[0]}
        fi
    fi
    for c in "$server_cpu" "$client_cpu"; do
        [[ " ${allowed[*]} " == *" $c "* ]] || die "CPU $c is not one this process may use (allowed: ${allowed[*]})"
    done
    ncpu=2 cpu_note=
    if [[ $client_cpu == "$server_cpu" ]]; then
        ncpu=1
        cpu_note="server and load generator share CPU $server_cpu, so qps is lower than on 2 CPUs and the ratios are what matters"
    fi
}

# ---- ports, helpers --------------------------------------------------------------------
# free_ports N [ADDR...]: N port numbers free for UDP and TCP on 127.0.0.1
# and for TCP on every ADDR (all loopback), one line, space separated. They
# are taken below the kernel's ephemeral range (ip_local_port_range), so
# that no outgoing connection of another program grabs one meanwhile.
free_ports() {
    python3 - "$@" <<'EOF'
import random, socket, sys
n, addrs = int(sys.argv[1]), sys.argv[2:]
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
candidates = list(range(10000, low)) if low > 11000 else []
random.shuffle(candidates)
held, ports = [], []
for port in candidates[:2000] + [0] * 200:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    group = [u]
    try:
        u.bind(("127.0.0.1", port))
        port = u.getsockname()[1]
        if port in ports:
            raise OSError
        for a in ["127.0.0.1"] + addrs:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            group.append(t)
            t.bind((a, port))
    except OSError:
        for s in group:
            s.close()
        continue
    held += group
    ports.append(port)
    if len(ports) == n:
        break
for s in held:   # released before the caller reads the numbers
    s.close()
print(*ports, flush=True)
EOF
}

# build_helpers: compiles echo.c and backend.c into $tmp (cc from gcc).
build_helpers() {
    local cc=${CC:-cc}
    "$cc" -O2 -pthread -o "$tmp/echo" "$bench_dir/echo.c" 2>"$tmp/cc-echo.log" ||
        { cat "$tmp/cc-echo.log" >&2; die "cannot build bench/echo.c"; }
    "$cc" -O2 -o "$tmp/backend" "$bench_dir/backend.c" 2>"$tmp/cc-backend.log" ||
        { cat "$tmp/cc-backend.log" >&2; die "cannot build bench/backend.c"; }
}

# start_backend LOG CTLPORT LISTEN...: the HTTP backend (bench/backend.c),
# pinned to CPUs $backend_cpus if set; waits until it listens. PID in $backend_pid.
start_backend() {
    local log=$1 ctl=$2 i
    shift 2
    rm -f "$tmp/backend.ready"
    local -a cmd=("$tmp/backend" -l "$log" -r "$tmp/backend.ready")
    [[ $ctl == 0 ]] || cmd+=(-c "$ctl")
    if [[ -n ${backend_cpus:-} ]]; then cmd=(taskset -c "$backend_cpus" "${cmd[@]}"); fi
    start_bg "$tmp/backend.out" "${cmd[@]}" "$@"
    backend_pid=$bg_pid
    for (( i = 0; i < 100; i++ )); do
        [[ -s $tmp/backend.ready ]] && return 0
        check_alive backend "$backend_pid" "$tmp/backend.out"
        sleep 0.05
    done
    die "the HTTP backend did not start"
}

# backend_ctl CTLPORT COMMAND: one control command; prints the reply line.
backend_ctl() {
    local reply
    exec 7<>"/dev/tcp/127.0.0.1/$1" || die "cannot reach the backend control port $1"
    printf '%s\n' "$2" >&7
    IFS= read -r -t 5 reply <&7 || reply="error: no reply"
    exec 7>&-
    [[ $reply == ok* ]] || die "backend: '$2': $reply"
    echo "$reply"
}

# dns_ready NAME PID PORT QNAME LOG [TCP]: waits until 127.0.0.1:PORT answers
# QNAME (any rcode) over UDP (and TCP if the sixth argument is "tcp").
dns_ready() {
    local name=$1 pid=$2 port=$3 qname=$4 log=$5 tcp=${6:-} i
    for (( i = 0; i < 200; i++ )); do
        check_alive "$name" "$pid" "$log"
        if python3 "$bench_dir/dnsclient.py" ready --port "$port" --name "$qname" ${tcp:+--tcp} 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "---- $log" >&2; tail -n 20 "$log" >&2 || true
    die "$name did not answer '$qname' on 127.0.0.1:$port within 20 s"
}

# ratio A B: A / B with two decimals, "-" when B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

median() {  # median of the numbers on stdin
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ---- configurations shared by the scripts ---------------------------------------------
# The Performance setup of bench/run and bench/instructions:
# performance_setup PROFILE_DIR TABLE PORT EP1 EP2 writes app-performance
# (EP1 in West Europe, EP2 in East US, HTTP on PORT) and a latency table that
# sends 10.1/16 to West Europe first; ecs_option is the EDNS Client Subnet
# 10.1.0.0/24 as dnsperf -E wants it (code 8; family 1, source 24, scope 0,
# three address bytes, in hex).
ecs_option=8:000118000a0100
performance_setup() {
    profile_json "$1/app-performance.json" app-performance Performance "$3" / 10 5 2 no \
        "$4/1/1/West Europe" "$5/2/1/East US"
    printf '%s\n' "10.1.0.0/16 westeurope 10" "10.1.0.0/16 eastus 90" \
        "10.2.0.0/16 eastus 10" "10.2.0.0/16 westeurope 90" >"$2"
}

# profile_json FILE NAME METHOD PORT PATH INTERVAL TIMEOUT TOLERATED ALWAYS "ADDR[/PRIO[/WEIGHT[/LOCATION]]]"...
# A Microsoft.Network/trafficManagerProfiles document (ARM shape), HTTP
# probes. TOLERATED empty: toleratedNumberOfFailures absent (gtmd counts 3).
# ALWAYS "yes": every endpoint alwaysServe (never probed).
profile_json() {
    local file=$1 name=$2 method=$3 port=$4 path=$5 interval=$6 timeout=$7 tolerated=$8 always=$9
    shift 9
    local ep i=0 addr prio weight loc sep='' tol=''
    [[ -z $tolerated ]] || tol=", \"toleratedNumberOfFailures\": $tolerated"
    {
        printf '{\n  "name": "%s",\n  "type": "Microsoft.Network/trafficManagerProfiles",\n' "$name"
        printf '  "properties": {\n    "profileStatus": "Enabled",\n    "trafficRoutingMethod": "%s",\n' "$method"
        printf '    "dnsConfig": { "relativeName": "%s", "ttl": 30 },\n' "$name"
        printf '    "monitorConfig": { "protocol": "HTTP", "port": %s, "path": "%s", "intervalInSeconds": %s, "timeoutInSeconds": %s%s },\n' \
            "$port" "$path" "$interval" "$timeout" "$tol"
        printf '    "endpoints": ['
        for ep in "$@"; do
            i=$(( i + 1 ))
            IFS=/ read -r addr prio weight loc <<<"$ep"
            printf '%s\n      { "name": "e%d", "type": "Microsoft.Network/trafficManagerProfiles/externalEndpoints",\n' "$sep" "$i"
            printf '        "properties": { "target": "%s", "endpointStatus": "Enabled", "priority": %d, "weight": %d%s%s } }' \
                "$addr" "${prio:-$i}" "${weight:-1}" "$([[ $always == yes ]] && echo ', "alwaysServe": "Enabled"')" \
                "$([[ -n $loc ]] && printf ', "endpointLocation": "%s"' "$loc")"
            sep=,
        done
        printf '\n    ]\n  }\n}\n'
    } >"$file"
}
