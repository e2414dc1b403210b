#!/usr/bin/env bash
# bench/check-realistic.sh — pulls an image with krgo and with skopeo + umoci and compares the two trees
# (type, mode incl. suid/sgid/sticky, owner, size, content hash, link target, hardlink groups, xattrs,
# mtime of non-directories). Exit 0 when identical.
#
# Usage: bench/check-realistic.sh [OCI_LAYOUT:TAG]   (default $BENCH_DATA/build/oci:3layer, built by
#        shared/bench/build-debian-image.sh). Also checks `pull -g` gives the same tree as a plain pull.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BENCH_DATA=${BENCH_DATA:-/var/tmp/krgo-bench}
SRC=${1:-$BENCH_DATA/build/oci:3layer}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/krgo-check.XXXXXX")
[ -f "$repo/target/krgo.jar" ] || (cd "$repo" && mvn -B -q package -DskipTests)

port=
for _ in $(seq 100); do p=$((20000 + RANDOM % 30000)); (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { port=$p; break; }; done
cat >"$work/config.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/data}}
http: {addr: 127.0.0.1:$port}
YML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
trap 'kill $reg_pid 2>/dev/null || true; rm -rf --one-file-system "$work"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
IMG=127.0.0.1:$port/check/image:latest
skopeo copy -q --dest-tls-verify=false "oci:$SRC" "docker://$IMG"

# One line per path; hardlink groups as the first path of the group (by inode).
snapshot() { # dir
  (cd "$1" && find . -printf '%i\t%p\t%y\t%#m\t%U:%G\t%s\t%l\t%T@\n' | LC_ALL=C sort -t$'\t' -k2,2 |
    awk -F'\t' 'BEGIN{OFS="\t"} { if (!($1 in first)) first[$1]=$2; grp=first[$1]; if ($3=="d") $8="-";
      print $2, $3, $4, $5, ($3=="d"?"-":$6), $7, ($3=="f"?grp:"-"), $8 }')
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
  (cd "$1" && getfattr -R -h -d -m - --absolute-names . 2>/dev/null | grep -v '^$' || true)
}

export KRGO_CACHE=$work/cache
start=$(date +%s.%N)
"$repo/krgo" pull -q "$IMG" -r "$work/krgo"
echo "krgo pull: $(echo "$(date +%s.%N) - $start" | bc) s"
start=$(date +%s.%N)
skopeo copy -q --src-tls-verify=false "docker://$IMG" "oci:$work/oci:x"
umoci unpack --image "$work/oci:x" "$work/bundle" >/dev/null
echo "skopeo copy + umoci unpack: $(echo "$(date +%s.%N) - $start" | bc) s"
"$repo/krgo" pull -q -g "$IMG" -r "$work/krgo-g"

snapshot "$work/krgo" >"$work/krgo.snap"
snapshot "$work/bundle/rootfs" >"$work/umoci.snap"
snapshot "$work/krgo-g" >"$work/krgo-g.snap"
echo "paths: $(find "$work/krgo" | wc -l)"
status=0
if diff "$work/umoci.snap" "$work/krgo.snap" >"$work/diff"; then
  echo "OK: krgo pull == umoci unpack (types, modes, owners, sizes, hashes, links, hardlinks, xattrs, mtimes)"
else
  echo "DIFFERENT: krgo pull vs umoci unpack ($(grep -c '^[<>]' "$work/diff") lines):"; head -40 "$work/diff"; status=1
fi
if diff "$work/krgo.snap" "$work/krgo-g.snap" >"$work/diff-g"; then
  echo "OK: krgo pull -g == krgo pull"
else
  echo "DIFFERENT: pull -g vs pull:"; head -20 "$work/diff-g"; status=1
fi
exit $status
