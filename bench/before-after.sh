#!/usr/bin/env bash
# bench/before-after.sh — one change's effect on pulls, measured in one run: krgo built at REV (default the
# parent of HEAD) against krgo at HEAD, alternating, on cold pulls (empty content store) and warm pulls
# (blobs stored, new DIR each time) of the realistic image and of a generated 30,000-file layer.
# Prints medians (min-max) of wall time and of heap allocation per pull (from -Xlog:gc: the heap's growth
# between collections, summed, plus what is in use at exit).
#
# Usage: bench/before-after.sh [REV]      Env: RUNS (default 5), BENCH_DATA (default /var/tmp/krgo-bench:
#        the realistic image from ../shared's build-debian-image.sh, at $BENCH_DATA/build/oci:3layer).
# Needs: docker-registry, skopeo, umoci, python3, git, maven.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
REV=${1:-HEAD~1}
RUNS=${RUNS:-5}
BENCH_DATA=${BENCH_DATA:-/var/tmp/krgo-bench}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/krgo-before-after.XXXXXX")
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
reg_pid=
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null || true
  git -C "$repo" worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

log "building krgo at $REV and at HEAD"
git -C "$repo" worktree add -q --detach "$work/before" "$REV"
(cd "$work/before" && mvn -B -q -o package -DskipTests)
[ -f "$repo/target/krgo.jar" ] || (cd "$repo" && mvn -B -q package -DskipTests)

port=
for _ in $(seq 100); do p=$((20000 + RANDOM % 30000)); (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }; done
mkdir -p "$work/registry"
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
  "$work/registry/data" "$port" >"$work/registry/config.yml"
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
REG=127.0.0.1:$port
skopeo copy -q --dest-tls-verify=false "oci:$BENCH_DATA/build/oci:3layer" "docker://$REG/bench/realistic:1"
log "generating the 30,000-file layer"
python3 "$here/many-files.py" "$work/many"
tar -C "$work/many" -cf "$work/many.tar" .
umoci init --layout "$work/oci" >/dev/null && umoci new --image "$work/oci:many"
umoci raw add-layer --image "$work/oci:many" "$work/many.tar"
skopeo copy -q --dest-tls-verify=false "oci:$work/oci:many" "docker://$REG/bench/many:1"

# one pull: which build, image, cold|warm, round; records wall seconds and allocated MB
results=$work/results.tsv
: >"$results"
pull() {
  local build=$1 image=$2 kind=$3 n=$4 launcher cache t0 t1 gclog
  launcher=$([ "$build" = before ] && echo "$work/before/krgo" || echo "$repo/krgo")
  cache=$work/cache-$build-$image
  [ "$kind" = cold ] && rm -rf "$cache"
  gclog=$work/gc-$build-$image-$kind-$n.log
  sync
  t0=$(date +%s.%N)
  KRGO_CACHE=$cache KRGO_JAVA_OPTS="-Xlog:gc,gc+heap+exit:file=$gclog" \
    "$launcher" pull "$REG/bench/$image:1" -r "$work/out/$build-$image-$kind-$n" -q >/dev/null
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\t%s\n' "$build" "$image" "$kind" "$(echo "$t1 - $t0" | bc)" \
    "$(python3 "$here/gc-allocated.py" "$gclog")" >>"$results"
  # DIRs are kept until the end: on ext4 without a journal, creating files right after a big delete is slower.
}
for image in realistic many; do
  for b in before after; do pull "$b" "$image" cold 0; done # warms the page cache and the stores
  for n in $(seq "$RUNS"); do
    for b in before after; do pull "$b" "$image" cold "$n"; pull "$b" "$image" warm "$n"; done
  done
done
python3 - "$results" "$REV" <<'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    build, image, kind, secs, mb = line.split("\t")
    rows[(image, kind, build)].append((float(secs), float(mb)))
print(f"| image | pull | before ({sys.argv[2]}) s | after s | after/before | before MB allocated | after MB |")
print("|---|---|---|---|---|---|---|")
for image in ("realistic", "many"):
    for kind in ("cold", "warm"):
        b = rows[(image, kind, "before")][1:] if kind == "cold" else rows[(image, kind, "before")]
        a = rows[(image, kind, "after")][1:] if kind == "cold" else rows[(image, kind, "after")]
        def med(xs, i):
            v = [x[i] for x in xs]
            return f"{statistics.median(v):.2f} ({min(v):.2f}-{max(v):.2f})"
        ratio = statistics.median(x[0] for x in a) / statistics.median(x[0] for x in b)
        print(f"| {image} | {kind} | {med(b, 0)} | {med(a, 0)} | {ratio:.2f}x | {med(b, 1)} | {med(a, 1)} |")
PY
