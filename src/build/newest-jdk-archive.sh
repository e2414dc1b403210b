#!/usr/bin/env bash
# Run by the build (package phase), beside the JDK 17 archive (krgo.jsa): finds the newest JDK 25+ on the
# machine, makes a class-data-sharing archive of krgo's classes for it (TARGET/krgo-newjdk.jsa, by running
# io.krgo.cli.CdsTraining under -XX:ArchiveClassesAtExit) and names that JDK in TARGET/krgo-newjdk.path; the
# launcher then runs krgo on that JDK. Why: measured on a 2-core machine, a re-pull of an unchanged image
# took ~0.3 s CPU on JDK 25 against ~0.45 s on JDK 17 (each with its archive), --version the same on both.
# (JDK 25's ahead-of-time cache, -XX:AOTCacheOutput, was no faster for a re-pull and slower for --version:
# it loads every archived class at start.) Without a JDK 25+ it makes nothing.
# JDKs tried: $KRGO_NEW_JAVA (a java binary; "none" skips this), $JAVA_HOME, java on PATH, /usr/lib/jvm/*.
set -uo pipefail
target=$1
jar=$target/krgo.jar
rm -f "$target/krgo-newjdk.jsa" "$target/krgo-newjdk.path"
[ "${KRGO_NEW_JAVA:-}" = none ] && exit 0
candidates=()
[ -n "${KRGO_NEW_JAVA:-}" ] && candidates+=("$KRGO_NEW_JAVA")
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
command -v java >/dev/null && candidates+=("$(command -v java)")
for j in /usr/lib/jvm/*/bin/java; do [ -x "$j" ] && candidates+=("$j"); done
best=
best_feature=0
for j in "${candidates[@]}"; do
  [ -x "$j" ] || continue
  version=$("$j" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  feature=${version%%.*}
  case $feature in ''|*[!0-9]*) continue ;; esac
  if [ "$feature" -ge 25 ] && [ "$feature" -gt "$best_feature" ]; then
    best=$(readlink -f "$j")
    best_feature=$feature
  fi
done
if [ -z "$best" ]; then
  echo "newest-jdk-archive: no JDK 25 or newer found (KRGO_NEW_JAVA names one); the launcher runs the default java"
  exit 0
fi
# The same settings as the pom's JDK 17 archive; the launcher's collector (an archive records it).
if "$best" -XX:ArchiveClassesAtExit="$target/krgo-newjdk.jsa" -XX:+UseSerialGC -Xlog:cds=off -Xlog:cds+dynamic=off \
    -cp "$jar" io.krgo.cli.CdsTraining && [ -s "$target/krgo-newjdk.jsa" ]; then
  echo "$best" >"$target/krgo-newjdk.path"
  echo "newest-jdk-archive: $target/krgo-newjdk.jsa for $best"
else
  rm -f "$target/krgo-newjdk.jsa"
  echo "newest-jdk-archive: $best could not make the archive; the launcher runs the default java"
fi
exit 0
