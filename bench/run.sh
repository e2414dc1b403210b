#!/usr/bin/env bash
# bench/run.sh — times krgo beside its peers on the same machine, in one run, alternating, N runs each.
# Prints a markdown table of medians, min–max and peak RSS, with ratios against the peers.
#
# Usage: bench/run.sh [OCI_LAYOUT:TAG]        (default: the realistic Debian image built by
#        BENCH_DATA=... build-debian-image.sh, at $BENCH_DATA/build/oci:3layer)
# Env:   RUNS (default 5), BENCH_DATA (default /var/tmp/krgo-bench), KRGO_JAVA_OPTS (added to the launcher's
#        fixed heap settings), SKIP_PUSH=1 to skip the push workloads, SKIP_BIG=1 to skip the generated
#        images (a 2 GB single-layer image and a 30,000-file layer), BIG_RUNS (default 1) rounds of those,
#        ONLY=push to run only the push workloads (with SKIP_BIG=1), PREFAULT_MB (default 1024; 0: off)
#        MiB written to a file and deleted again, untimed, before each timed run (see timed()).
# Workloads: cold/warm/unchanged pull vs skopeo copy + umoci unpack vs the pigz | tar floor; pull -g vs plain;
#        push of a new ~117 MB directory (gzip and zstd) vs skopeo copy --dest-compress of the same
#        uncompressed layer; commit + push; --version/--help vs java -version; the generated images.
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
for b in docker-registry skopeo umoci pigz jq python3 /usr/bin/time; do command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 1; }; done

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

# one timed run: name, then the command; records wall seconds, peak RSS (KiB) and CPU seconds (user + sys)
timed() {
  local name=$1; shift
  local t0 t1 rss
  # Hand the run memory that is already backed: on these VMs a page the guest touches for the first time
  # since the host took it back (free page reporting) costs ~2 ms/MB, so writing 400 MB into the page
  # cache took 0.73-1.24 s of sys time, and 0.10 s right after a 1 GiB file was written and deleted.
  # Which state a run meets is chance, and it bills each tool by the memory it touches (krgo's cold pull:
  # sys 0.86-1.34 s without this, 0.35-0.48 s with it; the pigz | tar floor: 0.56-0.74 s, 0.54-0.56 s).
  if [ "${PREFAULT_MB:-1024}" -gt 0 ]; then
    dd if=/dev/zero of="$work/prefault" bs=1M count="${PREFAULT_MB:-1024}" status=none
    rm -f "$work/prefault"
  fi
  # Write back what earlier runs left dirty first (untimed): otherwise the kernel bills that writeback to
  # whichever run comes next (measured: +1.0-1.8 s of sys time for a pull right after umoci unpack).
  sync
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M %U %S' -o "$work/rss" "$@" >/dev/null 2>"$work/err" || { log "FAILED: $name"; cat "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  read -r rss usr sys < <(tail -1 "$work/rss")
  printf '%s\t%s\t%s\t%s\n' "$name" "$(echo "$t1 - $t0" | bc)" "$rss" "$(echo "$usr + $sys" | bc)" >>"$results"
}

# oci_layout DIR LAYOUT TAG gzip|none: an OCI layout holding DIR as its only layer (tar --numeric-owner)
cat >"$work/layout.py" <<'PY'
import hashlib, json, os, subprocess, sys
src, layout, tag, comp = sys.argv[1:5]
os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
tmp = f"{layout}/blobs/layer.tmp"
tar = subprocess.Popen(["tar", "-c", "--numeric-owner", "--sort=name", "-C", src, "."], stdout=subprocess.PIPE)
out = open(tmp, "wb")
zip_ = subprocess.Popen(["pigz", "-1", "-c"], stdin=subprocess.PIPE, stdout=out) if comp == "gzip" else None
diff, size = hashlib.sha256(), 0
while chunk := tar.stdout.read(1 << 20):
    diff.update(chunk)
    (zip_.stdin if zip_ else out).write(chunk)
if zip_:
    zip_.stdin.close(); zip_.wait()
tar.wait(); out.close()
h = hashlib.sha256()
with open(tmp, "rb") as f:
    while chunk := f.read(1 << 20):
        h.update(chunk)
layer = h.hexdigest(); os.rename(tmp, f"{layout}/blobs/sha256/{layer}")
def blob(obj):
    b = json.dumps(obj).encode(); d = hashlib.sha256(b).hexdigest()
    open(f"{layout}/blobs/sha256/{d}", "wb").write(b); return {"digest": "sha256:" + d, "size": len(b)}
cfg = blob({"architecture": "amd64", "os": "linux", "config": {},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]}})
mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if comp == "gzip" else "")
man = blob({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
            "layers": [{"mediaType": mt, "digest": "sha256:" + layer, "size": os.path.getsize(f"{layout}/blobs/sha256/{layer}")}]})
json.dump({"imageLayoutVersion": "1.0.0"}, open(f"{layout}/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", **man,
           "annotations": {"org.opencontainers.image.ref.name": tag}}]}, open(f"{layout}/index.json", "w"))
PY
oci_layout() { python3 "$work/layout.py" "$@"; }

# the layer blobs of LAYOUT:TAG, oldest first (for the pigz | tar floor)
layer_blobs() {
  local layout=${1%:*} tag=${1##*:} m
  m=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$layout/index.json" | cut -d: -f2)
  jq -r '.layers[].digest' "$layout/blobs/sha256/$m" | cut -d: -f2 | sed "s|^|$layout/blobs/sha256/|" | tr '\n' ' '
}

# fresh dirs only (deleting before creating slows ext4 here); mktemp, since $(fresh) runs in a subshell
fresh() { mktemp -d "$work/r.XXXXXX"; }

pull_runs=$RUNS
[ "${ONLY:-}" = push ] && pull_runs=0
for i in $(seq "$pull_runs"); do
  log "round $i/$RUNS"
  d=$(fresh); timed "skopeo copy + umoci unpack" bash -c "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$d/oci:x && umoci unpack --image $d/oci:x $d/bundle"
  d=$(fresh); export KRGO_CACHE=$d/cache
  timed "krgo pull (cold)" "$KRGO" pull -q "$IMG" -r "$d/rootfs"
  gets=$(grep -c 'GET /v2/.*/blobs/' "$work/registry/log" || true)
  timed "krgo pull (warm cache, new dir)" "$KRGO" pull -q "$IMG" -r "$d/rootfs2"
  warm_gets=$(( ${warm_gets:-0} + $(grep -c 'GET /v2/.*/blobs/' "$work/registry/log" || true) - gets ))
  timed "krgo pull (unchanged, same dir)" "$KRGO" pull -q "$IMG" -r "$d/rootfs"
  d=$(fresh); export KRGO_CACHE=$d/cache
  timed "krgo pull -g (cold)" "$KRGO" pull -q -g "$IMG" -r "$d/rootfs"
  d=$(fresh); mkdir -p "$d/x"
  timed "floor: pigz -dc | tar -x" bash -c "for l in $(layer_blobs "$SRC"); do pigz -dc \$l | tar -x --numeric-owner -C $d/x; done"
  timed "java -version" java -version
  timed "krgo --version" "$KRGO" --version
  timed "krgo --help" "$KRGO" --help
done
unset KRGO_CACHE

if [ -z "${SKIP_PUSH:-}" ]; then
  # ~117 MB of new files: half random (incompressible), half base64 text; made once, copied per run with a
  # unique file so neither the registry nor skopeo's blob-info cache can skip the work.
  mkdir -p "$work/newsrc"
  for k in $(seq 20); do head -c 2500000 /dev/urandom >"$work/newsrc/rand$k.bin"; base64 -w 76 "$work/newsrc/rand$k.bin" >"$work/newsrc/text$k.txt"; done
  newdir() { local d; d=$(fresh); cp -r "$work/newsrc" "$d/new"; head -c 64 /dev/urandom | base64 >"$d/new/unique"; echo "$d"; }
  for i in $(seq "$RUNS"); do
    log "push round $i/$RUNS"
    for c in gzip zstd; do
      d=$(newdir); export KRGO_CACHE=$d/cache
      oci_layout "$d/new" "$d/oci" x none   # the same content as one uncompressed layer, for skopeo to compress
      if [ "$c" = gzip ]; then skopt=(--dest-compress); else skopt=(--dest-compress --dest-compress-format zstd); fi
      timed "krgo push (new ~117 MB dir, $c)" "$KRGO" push -q --compression "$c" "$REG/bench/k$c$i:latest" -r "$d/new"
      timed "skopeo copy of the same layer ($c)" skopeo copy -q --dest-tls-verify=false "${skopt[@]}" \
        "oci:$d/oci:x" "docker://$REG/bench/s$c$i:latest"
    done
    # the git-layers way: commit the new files onto the pulled image, then push (only the new layer uploads)
    d=$(fresh); export KRGO_CACHE=$d/cache
    "$KRGO" pull -q -g "$IMG" -r "$d/rootfs" >/dev/null
    cp -r "$work/newsrc" "$d/rootfs/opt/new"; head -c 64 /dev/urandom | base64 >"$d/rootfs/opt/new/unique"
    timed "krgo commit + push (new ~117 MB layer, gzip)" bash -c "'$KRGO' commit -q -r '$d/rootfs' -m bench && '$KRGO' push -q '$REG/bench/committed$i:latest' -r '$d/rootfs'"
  done
  newbytes=$(du -sb "$work/newsrc" | cut -f1)
fi
unset KRGO_CACHE

if [ -z "${SKIP_BIG:-}" ]; then
  # generated images: a 2 GB single-layer image (8 text files of ~256 MB) and a 30,000-file layer
  log "generating the 2 GB and 30,000-file images"
  mkdir -p "$work/gen/big" "$work/gen/many"
  for k in $(seq 8); do head -c 200000000 /dev/urandom | base64 -w 76 >"$work/gen/big/part$k.txt"; done
  python3 "$here/many-files.py" "$work/gen/many"
  oci_layout "$work/gen/big" "$work/gen/oci" big gzip
  oci_layout "$work/gen/many" "$work/gen/oci2" many gzip
  skopeo copy -q --dest-tls-verify=false "oci:$work/gen/oci:big" "docker://$REG/bench/big:latest"
  skopeo copy -q --dest-tls-verify=false "oci:$work/gen/oci2:many" "docker://$REG/bench/many:latest"
  for i in $(seq "${BIG_RUNS:-1}"); do
    for w in "2 GB layer|big|$work/gen/oci:big" "30k files|many|$work/gen/oci2:many"; do
      IFS='|' read -r label name lay <<<"$w"
      log "$label round $i"
      d=$(fresh); timed "$label: skopeo copy + umoci unpack" bash -c "skopeo copy -q --src-tls-verify=false docker://$REG/bench/$name:latest oci:$d/oci:x && umoci unpack --image $d/oci:x $d/bundle"
      d=$(fresh); export KRGO_CACHE=$d/cache
      timed "$label: krgo pull (cold)" "$KRGO" pull -q "$REG/bench/$name:latest" -r "$d/rootfs"
      d=$(fresh); export KRGO_CACHE=$d/cache
      timed "$label: krgo pull -g (cold)" "$KRGO" pull -q -g "$REG/bench/$name:latest" -r "$d/rootfs"
      d=$(fresh); mkdir -p "$d/x"
      timed "$label: floor: pigz -dc | tar -x" bash -c "for l in $(layer_blobs "$lay"); do pigz -dc \$l | tar -x --numeric-owner -C $d/x; done"
      unset KRGO_CACHE
    done
  done
fi

# --- table ---------------------------------------------------------------------------------------------
heap=$(grep -o -- '-Xmx[0-9]*[kmgKMG]' "$KRGO" | head -1)
echo "krgo runs with the launcher's fixed heap: ${heap:-none} ${KRGO_JAVA_OPTS:-}; RSS is the peak of the whole process (GNU time); before each timed run ${PREFAULT_MB:-1024} MiB were written and deleted (PREFAULT_MB)."
echo
python3 - "$results" "${newbytes:-0}" <<'PY' || awk -F'\t' '{print}' "$results"
import sys, statistics, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    name, t, rss, cpu = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(t), int(rss), float(cpu)))
med = {k: statistics.median(t for t, _, _ in v) for k, v in rows.items()}
# CPU seconds are steadier than wall time on a shared 2-core machine: a workload's work, whoever else runs.
print("| workload | runs | median s | min–max s | median CPU s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
for k, v in rows.items():
    ts = [t for t, _, _ in v]
    cpu = statistics.median(c for _, _, c in v)
    print(f"| {k} | {len(v)} | {med[k]:.2f} | {min(ts):.2f}–{max(ts):.2f} | {cpu:.2f} | {max(r for _, r, _ in v)/1024:.0f} |")
def ratio(a, b):
    if a in med and b in med and med[b] > 0:
        print(f"- {a} / {b} = {med[a]/med[b]:.2f}")
print()
ratio("krgo pull (cold)", "skopeo copy + umoci unpack")
ratio("krgo pull (cold)", "floor: pigz -dc | tar -x")
ratio("krgo pull (warm cache, new dir)", "floor: pigz -dc | tar -x")
ratio("krgo pull (unchanged, same dir)", "krgo pull (cold)")
ratio("krgo pull -g (cold)", "krgo pull (cold)")
newbytes = int(sys.argv[2])
for c in ("gzip", "zstd"):
    k, s = f"krgo push (new ~117 MB dir, {c})", f"skopeo copy of the same layer ({c})"
    if k in med and s in med and newbytes:
        print(f"- push throughput ({c}): krgo {newbytes/1e6/med[k]:.0f} MB/s, skopeo {newbytes/1e6/med[s]:.0f} MB/s,"
              f" krgo/skopeo = {med[s]/med[k]:.2f}x")
ratio("krgo --version", "java -version")
ratio("krgo --help", "java -version")
for w in ("2 GB layer", "30k files"):
    ratio(f"{w}: krgo pull (cold)", f"{w}: skopeo copy + umoci unpack")
    ratio(f"{w}: krgo pull (cold)", f"{w}: floor: pigz -dc | tar -x")
    ratio(f"{w}: krgo pull -g (cold)", f"{w}: krgo pull (cold)")
print(f"- peak RSS of any krgo run: {max((r for k, v in rows.items() if k.startswith('krgo') or ': krgo' in k for _, r, _ in v), default=0)/1024:.0f} MiB")
PY
echo "- blob GETs during the warm pulls (content store filled): ${warm_gets:-?}"
log "blob GETs seen by the registry (all workloads): $(grep -c 'GET /v2/.*/blobs/' "$work/registry/log" || true)"
