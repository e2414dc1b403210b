#!/usr/bin/env bash
# bench/run.sh — times krgo beside its peers on the same machine, in one run, alternating, N runs each.
# Prints a markdown table of medians, min–max and peak RSS, with ratios against the peers.
#
# Usage: bench/run.sh [OCI_LAYOUT:TAG]        (default: the realistic Debian image built by
#        BENCH_DATA=... build-debian-image.sh, at $BENCH_DATA/build/oci:3layer)
# Env:   RUNS (default 5), BENCH_DATA (default /var/tmp/krgo-bench), KRGO_JAVA_OPTS (e.g. -Xmx256m),
#        SKIP_PUSH=1 to skip the push workload.
# Needs: docker-registry, skopeo, umoci, pigz, GNU time (apt-get install docker-registry skopeo umoci pigz time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
KRGO="$repo/krgo"
RUNS=${RUNS:-5}
BENCH_DATA=${BENCH_DATA:-/var/tmp/krgo-bench}
SRC=${1:-$BENCH_DATA/build/oci:3layer}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/krgo-bench-run.XXXXXX")
results=$work/results.tsv
: >"$results"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ -f "$repo/target/krgo.jar" ] || (cd "$repo" && mvn -B -q package -DskipTests)
for b in docker-registry skopeo umoci pigz /usr/bin/time; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

# --- a registry on a free loopback port --------------------------------------------------------------
port=
for _ in $(seq 100); do p=$((20000 + RANDOM % 30000)); (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }; done
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<YML
version: 0.1
log: {level: info, formatter: text}
storage: {filesystem: {rootdirectory: $work/registry/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
cleanup() { kill "$reg_pid" 2>/dev/null || true; log "cleaning $work"; rm -rf --one-file-system "$work"; }
trap cleanup EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
REG=127.0.0.1:$port
IMG=$REG/bench/image:latest
log "loading $SRC into $IMG"
skopeo copy -q --dest-tls-verify=false "oci:$SRC" "docker://$IMG"
layout=${SRC%:*}

# one timed run: name, then the command; records wall seconds and peak RSS (KiB)
timed() {
  local name=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { log "FAILED: $name"; cat "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  rss=$(tail -1 "$work/rss")
  printf '%s\t%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$rss" >>"$results"
}

n=0
fresh() { n=$((n + 1)); mkdir -p "$work/r$n"; echo "$work/r$n"; }   # fresh dirs only: deleting before creating slows ext4 here

for i in $(seq "$RUNS"); do
  log "round $i/$RUNS"
  d=$(fresh); timed "skopeo copy + umoci unpack" bash -c "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$d/oci:x && umoci unpack --image $d/oci:x $d/bundle"
  d=$(fresh); export KRGO_CACHE=$d/cache
  timed "krgo pull (cold)" "$KRGO" pull -q "$IMG" -r "$d/rootfs"
  timed "krgo pull (warm cache, new dir)" "$KRGO" pull -q "$IMG" -r "$d/rootfs2"
  timed "krgo pull (unchanged, same dir)" "$KRGO" pull -q "$IMG" -r "$d/rootfs"
  d=$(fresh); export KRGO_CACHE=$d/cache
  timed "krgo pull -g (cold)" "$KRGO" pull -q -g "$IMG" -r "$d/rootfs"
  d=$(fresh); mkdir -p "$d/x"
  timed "floor: pigz -dc | tar -x" bash -c "for l in \$(jq -r '.layers[].digest' $layout/blobs/sha256/\$(jq -r '.manifests[] | select(.annotations[\"org.opencontainers.image.ref.name\"]==\"${SRC##*:}\") | .digest' $layout/index.json | cut -d: -f2) | cut -d: -f2); do pigz -dc $layout/blobs/sha256/\$l | tar -x --numeric-owner -C $d/x; done"
  timed "java -version" java -version
  timed "krgo --version" "$KRGO" --version
  timed "krgo --help" "$KRGO" --help
done
unset KRGO_CACHE

if [ -z "${SKIP_PUSH:-}" ]; then
  # push of a commit with ~100 MB of new files (incompressible-ish mix) vs skopeo copy of the same content
  d=$(fresh); export KRGO_CACHE=$d/cache
  "$KRGO" pull -q -g "$IMG" -r "$d/rootfs"
  mkdir -p "$d/rootfs/opt/new"
  for k in $(seq 20); do head -c 2500000 /dev/urandom >"$d/rootfs/opt/new/rand$k.bin"; base64 -w 76 "$d/rootfs/opt/new/rand$k.bin" >"$d/rootfs/opt/new/text$k.txt"; done
  "$KRGO" commit -q -r "$d/rootfs" -m bench
  for i in $(seq "$RUNS"); do
    timed "krgo push (new ~100 MB layer, gzip)" "$KRGO" push -q "$REG/bench/pushed$i:latest" -r "$d/rootfs"
    timed "skopeo copy of the same image (gzip)" skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
      --dest-compress "docker://$REG/bench/pushed$i:latest" "docker://$REG/bench/skopeo$i:latest"
  done
fi

# --- table ---------------------------------------------------------------------------------------------
python3 - "$results" <<'PY' || awk -F'\t' '{print}' "$results"
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, t, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(t), int(rss)))
med = {k: statistics.median(t for t, _ in v) for k, v in rows.items()}
print("| workload | runs | median s | min–max s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|")
for k, v in rows.items():
    ts = [t for t, _ in v]
    print(f"| {k} | {len(v)} | {med[k]:.2f} | {min(ts):.2f}–{max(ts):.2f} | {max(r for _, r in v)/1024:.0f} |")
def ratio(a, b):
    if a in med and b in med and med[b] > 0:
        print(f"- {a} / {b} = {med[a]/med[b]:.2f}")
print()
ratio("krgo pull (cold)", "skopeo copy + umoci unpack")
ratio("krgo pull (cold)", "floor: pigz -dc | tar -x")
ratio("krgo pull (warm cache, new dir)", "floor: pigz -dc | tar -x")
ratio("krgo pull (unchanged, same dir)", "krgo pull (cold)")
ratio("krgo pull -g (cold)", "krgo pull (cold)")
ratio("krgo push (new ~100 MB layer, gzip)", "skopeo copy of the same image (gzip)")
ratio("krgo --version", "java -version")
PY
log "blob GETs seen by the registry: $(grep -c 'GET /v2/.*/blobs/' "$work/registry/log" || true)"
