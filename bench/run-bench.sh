#!/usr/bin/env bash
# bench/run-bench.sh — time to the first line of output of `krgo run --rm IMAGE`, as root, for the realistic
# image and for a one-layer busybox-sized image: cold (empty content store and state), warm (blobs stored,
# image not unpacked yet), hot (image unpacked: only the container's overlay and config are made), next to
# `runc run` on a ready bundle and a warm `krgo pull` (new DIR) of the same image, alternating, in one run.
# Prints medians (min–max) in seconds and the issue's two ratios: hot − runc (goal ≤ 0.25 s) and
# warm / warm pull (goal ≤ 1.1x).
#
# Usage: bench/run-bench.sh          Env: RUNS (default 5), BENCH_DATA (default /var/tmp/krgo-bench: the
#        realistic image from ../shared's build-debian-image.sh, at $BENCH_DATA/build/oci:3layer),
#        KRGO_RUN_OPTS (extra options for every krgo run, e.g. "--runtime crun").
# Needs: root, runc, docker-registry, skopeo, busybox-static, bc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
KRGO="$repo/krgo"
RUNS=${RUNS:-5}
BENCH_DATA=${BENCH_DATA:-/var/tmp/krgo-bench}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/krgo-run-bench.XXXXXX")
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ "$(id -u)" = 0 ] || { echo "run-bench.sh runs containers as root" >&2; exit 1; }
for b in runc docker-registry skopeo bc; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done
[ -x /bin/busybox ] || { echo "missing /bin/busybox (apt-get install busybox-static)" >&2; exit 1; }
[ -f "$repo/target/krgo.jar" ] || (cd "$repo" && mvn -B -q package -DskipTests)

reg_pid=
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  # containers of a run interrupted here, and their overlays
  for s in "$work"/s.*; do [ -d "$s" ] && KRGO_STATE=$s "$KRGO" prune >/dev/null 2>&1 || true; done
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

# --- a registry on a free loopback port, with both images ----------------------------------------------
port=
for _ in $(seq 100); do p=$((20000 + RANDOM % 30000)); (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }; done
mkdir -p "$work/registry"
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry/data" "$port" >"$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
REG=127.0.0.1:$port
log "pushing the realistic image and a one-layer busybox image to $REG"
skopeo copy -q --dest-tls-verify=false "oci:$BENCH_DATA/build/oci:3layer" "docker://$REG/bench/realistic:1"
mkdir -p "$work/bb/bin" "$work/bb/etc" "$work/bb/tmp"
cp /bin/busybox "$work/bb/bin/busybox"
for a in sh echo cat ls true; do ln -s busybox "$work/bb/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/bb/etc/passwd"
echo 'root:x:0:' >"$work/bb/etc/group"
KRGO_CACHE=$work/push-cache "$KRGO" push -q "$REG/bench/busybox:1" -r "$work/bb" >/dev/null

# --- one measurement: seconds from start to the first line on stdout ---------------------------------
results=$work/results.tsv
: >"$results"
# first_line NAME CMD...: runs CMD, records when its first output line arrived; the rest is read to the end
# (so --rm's clean-up finishes before the next run) but not timed.
first_line() {
  local name=$1; shift
  sync # what earlier runs left dirty is written back untimed
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$@" 2>"$work/err" | { IFS= read -r _ && date +%s.%N >"$work/t1"; cat >/dev/null; }; then
    log "FAILED: $name"; cat "$work/err" >&2; return 1
  fi
  [ -s "$work/t1" ] || { log "FAILED: $name printed nothing"; cat "$work/err" >&2; return 1; }
  t1=$(cat "$work/t1"); rm -f "$work/t1"
  printf '%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" >>"$results"
}
# timed NAME CMD...: the whole command's wall time
timed() {
  local name=$1; shift
  sync
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/err" || { log "FAILED: $name"; cat "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  printf '%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" >>"$results"
}

# A ready bundle per image for runc (what `runc run` on an unpacked bundle costs: the floor krgo adds to).
for img in realistic busybox; do
  # (not pull --bundle: the realistic image has no Cmd, so its config.json needs the command given)
  KRGO_CACHE=$work/bundle-cache "$KRGO" pull -q "$REG/bench/$img:1" -r "$work/bundle-$img/rootfs" >/dev/null
  KRGO_CACHE=$work/bundle-cache "$KRGO" config -r "$work/bundle-$img/rootfs" -o "$work/bundle-$img/config.json" \
    --entrypoint /bin/echo -- first >/dev/null
done

# shellcheck disable=SC2086 # KRGO_RUN_OPTS is a list of options
run() { "$KRGO" run --rm ${KRGO_RUN_OPTS:-} --entrypoint /bin/echo "$1" first; }
n=0
for i in $(seq "$RUNS"); do
  log "round $i/$RUNS"
  for img in realistic busybox; do
    IMG=$REG/bench/$img:1
    n=$((n + 1))
    first_line "$img: runc run (ready bundle)" runc run -b "$work/bundle-$img" "krgo-bench-$n"
    # cold: nothing stored, nothing unpacked
    cache=$work/c.$img.$i; state=$work/s.$img.$i
    KRGO_CACHE=$cache KRGO_STATE=$state first_line "$img: krgo run (cold)" run "$IMG"
    # warm: the blobs are stored, the image is not unpacked (a new state directory)
    KRGO_CACHE=$cache KRGO_STATE=$state.w first_line "$img: krgo run (warm)" run "$IMG"
    # hot: unpacked by the run before; --pull missing makes no request
    KRGO_CACHE=$cache KRGO_STATE=$state.w first_line "$img: krgo run (hot)" run "$IMG"
    KRGO_CACHE=$cache timed "$img: krgo pull (warm, new dir)" "$KRGO" pull -q "$IMG" -r "$work/p.$img.$i"
    KRGO_STATE=$state "$KRGO" prune >/dev/null 2>&1 || true
    KRGO_STATE=$state.w "$KRGO" prune >/dev/null 2>&1 || true
    rm -rf --one-file-system "$cache" "$state" "$state.w" "$work/p.$img.$i" "$work/.p.$img.$i.krgo"
  done
done

# --- report --------------------------------------------------------------------------------------------
python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, secs = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append(float(secs))
med = {k: statistics.median(v) for k, v in rows.items()}
print("| workload | median s | min–max s | runs |")
print("|---|---:|---|---:|")
for k, v in rows.items():
    print(f"| {k} | {med[k]:.3f} | {min(v):.3f}–{max(v):.3f} | {len(v)} |")
print()
for img in ("realistic", "busybox"):
    hot, runc = med.get(f"{img}: krgo run (hot)"), med.get(f"{img}: runc run (ready bundle)")
    warm, pull = med.get(f"{img}: krgo run (warm)"), med.get(f"{img}: krgo pull (warm, new dir)")
    if hot is not None and runc is not None:
        print(f"- {img}: hot run − runc = {hot - runc:+.3f} s (goal ≤ +0.25 s)")
    if warm is not None and pull:
        print(f"- {img}: warm run / warm pull = {warm / pull:.2f}x (goal ≤ 1.1x)")
PY
