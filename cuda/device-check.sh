#!/usr/bin/env bash
# The proof of the cuda backend on a real GPU, in two halves.
#
#   cuda/device-check.sh prepare   on a build machine (JDK 25, Maven; no GPU needed): builds the project and packs
#                                  cuda/target/device-bundle/ (ignored by git): a jlinked Java 25 runtime with only the
#                                  modules the CLI needs, the CLI jar with only JCuda's driver library among its natives,
#                                  the cuda module's GPU tests and the JUnit console launcher. Checks it is under
#                                  60 MiB and runs the packed runtime here (`info`, and `conform --backend simd` when
#                                  this branch has conform).
#   cuda/device-check.sh run       on the GPU machine (needs only the NVIDIA driver): runs, with the bundled runtime,
#                                  `info`, the cuda module's GPU tests, `conform --backend cuda` and
#                                  `bench --backend cuda --quick --json bench.json`, and writes every report to $OUT
#                                  (default cuda/target/device-out).
#
# With the device tool: prepare here, then run with carry ["cuda/target/device-bundle"], e.g.
#   command: bash cuda/device-check.sh run     carry: ["cuda/target/device-bundle"]     timeout_s: 480
# Exit status of run: 0 when every step that exists passed; otherwise the first failing step's status.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bundle="${DSV32_BUNDLE:-$here/target/device-bundle}"
limit_mib=60
# jdeps on the CLI jar lists java.base, java.desktop, java.management, java.sql, jdk.incubator.vector,
# jdk.unsupported. java.desktop is referenced only by optional code (Jackson's java.beans support, EJML's matrix
# visualisation, commons-math's 2-D geometry) and costs about 12 MiB, so it is left out; the smoke test below runs
# the packed CLI to catch a missing module. java.management and jdk.unsupported are JMH's (bench), java.sql Jackson's.
modules="${DSV32_JLINK_MODULES:-java.base,jdk.incubator.vector,java.management,java.sql,jdk.unsupported}"
junit_console_version=1.14.4

die() { echo "device-check: $*" >&2; exit 1; }

# Whether the bundled CLI has subcommand $1 (the usage lists it; picocli answers --help even after an unknown word).
has_command() {
  local usage
  usage="$("$bundle/dsv32" --help 2>/dev/null)" || return 1
  grep -qE "^ +$1( |\$)" <<< "$usage"
}

prepare() {
  . "$root/scripts/find-jdk.sh" || die "no JDK 25"
  command -v mvn >/dev/null || die "Maven is needed to prepare"
  echo "device-check: building the CLI and the cuda tests"
  # -DskipTests still compiles the test classes (the cuda module is built as a dependency of conformance).
  (cd "$root" && mvn -B -q -ntp -DskipTests package -pl conformance -am) || die "build failed"
  [ -d "$root/cuda/target/test-classes/org/dsv32/cuda" ] || die "no cuda test classes after the build"
  local cli="$root/conformance/target/dsv32-cli.jar"
  [ -f "$cli" ] || die "no $cli after the build"

  rm -rf "$bundle"
  mkdir -p "$bundle/lib"
  echo "device-check: jlink $modules"
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
      --compress zip-9 --output "$bundle/runtime" || die "jlink failed"
  # jlink keeps the symbol tables of the native libraries (libjvm.so alone is 29 MiB); stripping them saves ~5 MiB.
  if command -v strip >/dev/null; then
    find "$bundle/runtime" -name '*.so' -exec strip --strip-unneeded {} + || die "strip failed"
  fi

  # Only the driver binding among JCuda's natives: the runtime, NVRTC and PTX-compiler bindings are not used.
  cp "$cli" "$bundle/lib/dsv32-cli.jar"
  local drop
  drop="$(unzip -Z1 "$bundle/lib/dsv32-cli.jar" | grep -E '^lib/lib(JNvPTXCompiler|JNvrtc|JCudaRuntime)-.*\.so$' || true)"
  if [ -n "$drop" ]; then
    # shellcheck disable=SC2086
    zip -q -d "$bundle/lib/dsv32-cli.jar" $drop || die "cannot strip the unused JCuda natives"
  fi
  # JMH, its commons-math3 and jopt-simple serve only the JMH benchmarks, which the device check does not run
  # (`./dsv32 bench` has its own timing harness): about 3 MiB the 60 MiB budget needs.
  zip -q -d "$bundle/lib/dsv32-cli.jar" 'org/openjdk/jmh/*' 'org/apache/commons/math3/*' 'joptsimple/*' \
      'org/dsv32/conformance/bench/jmh/*' 'META-INF/BenchmarkList' 'META-INF/CompilerHints' >/dev/null 2>&1 || true
  unzip -Z1 "$bundle/lib/dsv32-cli.jar" > "$bundle/lib/.entries"
  grep -q '^lib/libJCudaDriver-.*-linux-x86_64\.so$' "$bundle/lib/.entries" \
      || die "the CLI jar has no JCuda driver library (lib/libJCudaDriver-*-linux-x86_64.so)"
  rm -f "$bundle/lib/.entries"

  # The GPU tests of the cuda module, and the launcher that runs them without Maven.
  cp -r "$root/cuda/target/test-classes" "$bundle/cuda-test-classes"
  local console="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$junit_console_version/junit-platform-console-standalone-$junit_console_version.jar"
  if [ ! -f "$console" ]; then
    mvn -B -q -ntp dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_console_version" >/dev/null 2>&1 || true
  fi
  if [ -f "$console" ]; then cp "$console" "$bundle/lib/junit-console.jar"
  else echo "device-check: JUnit console launcher unavailable; the bundle will skip the GPU unit tests" >&2; fi

  cat > "$bundle/dsv32" <<'EOF'
#!/usr/bin/env bash
# The dsv32 CLI on the bundled runtime (made by cuda/device-check.sh prepare).
b="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$b/runtime/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+UseParallelGC -Xss16m ${DSV32_JAVA_OPTS:-} -jar "$b/lib/dsv32-cli.jar" "$@"
EOF
  chmod +x "$bundle/dsv32"
  git -C "$root" rev-parse HEAD > "$bundle/COMMIT" 2>/dev/null || echo unknown > "$bundle/COMMIT"

  local bytes
  bytes=$(du -sb "$bundle" | cut -f1)
  echo "device-check: bundle $bundle is $((bytes / 1048576)) MiB ($bytes bytes)"
  [ "$bytes" -lt $((limit_mib * 1048576)) ] || die "the bundle exceeds $limit_mib MiB"

  echo "device-check: smoke test of the packed runtime here"
  "$bundle/dsv32" info || die "the packed CLI does not run ('info')"
  if has_command conform; then
    "$bundle/dsv32" conform --backend simd || die "'conform --backend simd' failed on the packed runtime"
  else
    echo "device-check: this branch has no 'conform' command yet; packed runtime checked with 'info' only"
  fi
  echo "device-check: prepared. Run on the GPU machine: bash cuda/device-check.sh run (carry cuda/target/device-bundle)"
}

run() {
  [ -x "$bundle/dsv32" ] || die "no bundle at $bundle: run 'cuda/device-check.sh prepare' first (and carry it)"
  # Everything is written to a work folder and packed into one archive at the end: the device tool brings back at
  # most 8 files from $OUT, so $OUT gets summary.txt, device-check.tgz and the two JSON reports only.
  local final="${OUT:-$here/target/device-out}"
  local out="${TMPDIR:-/tmp}/dsv32-device-check"
  rm -rf "$out"; mkdir -p "$out" "$final"
  local status=0
  step() {   # step NAME FILE COMMAND...: runs a step, its output to $out/FILE and to the console
    local name="$1" file="$2"; shift 2
    echo "== $name" | tee -a "$out/summary.txt"
    "$@" > "$out/$file" 2>&1
    local rc=$?
    tail -n 40 "$out/$file"
    echo "== $name: exit $rc" | tee -a "$out/summary.txt"
    [ $rc -eq 0 ] || [ $status -ne 0 ] || status=$rc
    return $rc
  }
  cp "$bundle/COMMIT" "$out/commit.txt"
  { command -v nvidia-smi >/dev/null && nvidia-smi; } > "$out/nvidia-smi.txt" 2>&1 || true
  step "info" info.txt "$bundle/dsv32" info
  if grep -qE '^ +cuda +unavailable' "$out/info.txt"; then
    echo "== the cuda backend is unavailable on this machine: $(grep -E '^ +cuda +unavailable' "$out/info.txt" | sed 's/^ *//')" \
      | tee -a "$out/summary.txt"
    [ $status -ne 0 ] || status=3
  fi
  if [ -f "$bundle/lib/junit-console.jar" ]; then
    step "cuda GPU tests" gpu-tests.txt "$bundle/runtime/bin/java" --add-modules jdk.incubator.vector \
      --enable-native-access=ALL-UNNAMED -jar "$bundle/lib/junit-console.jar" execute --disable-banner --disable-ansi-colors \
      --details=tree --class-path "$bundle/lib/dsv32-cli.jar:$bundle/cuda-test-classes" \
      --select-package org.dsv32.cuda --exclude-classname '.*Ptx.*' --reports-dir "$out/junit"
  fi
  if has_command conform; then
    pushd "$out" >/dev/null; step "conform --backend cuda" conform.txt "$bundle/dsv32" conform --backend cuda; popd >/dev/null
  else
    echo "== conform: this build has no 'conform' command (it is written on another branch)" | tee -a "$out/summary.txt"
  fi
  if has_command bench; then
    pushd "$out" >/dev/null; step "bench --backend cuda --quick --json bench.json" bench.txt "$bundle/dsv32" bench --backend cuda --quick --json bench.json; popd >/dev/null
  else
    echo "== bench: this build has no 'bench' command (it is written on another branch)" | tee -a "$out/summary.txt"
  fi
  if command -v python3 >/dev/null && python3 -c "import torch" 2>/dev/null; then
    step "PyTorch reference point (bf16 matmul, _scaled_mm, d2d copy)" torch.txt python3 "$here/torch_reference.py" "$out/torch.json"
  else
    echo "== PyTorch reference point: python3 with torch not found on this machine" | tee -a "$out/summary.txt"
  fi
  tar czf "$final/device-check.tgz" -C "$out" . || status=${status:-1}
  cp "$out/summary.txt" "$final/summary.txt"
  [ -f "$out/conform-report/report.json" ] && cp "$out/conform-report/report.json" "$final/conform.json"
  for f in bench.json torch.json; do [ -f "$out/$f" ] && cp "$out/$f" "$final/$f"; done
  echo "device-check: reports in $final (device-check.tgz holds everything)"
  exit $status
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: cuda/device-check.sh prepare|run" >&2; exit 2 ;;
esac
