#!/usr/bin/env bash
# Fuzzing: builds the libFuzzer targets in fuzz/targets with the toolchain's
# swiftc (-sanitize=fuzzer,address; SwiftPM cannot mix in -sanitize=fuzzer)
# and runs each on a copy of its seed corpus, then prints one line per target.
#
#   bench/fuzz.sh [SECONDS]            every target, SECONDS each (default 60)
#   bench/fuzz.sh --runs N [SECONDS]   stop each target after N executions
#                                      (or SECONDS, whichever comes first)
#   bench/fuzz.sh --only A,B ...       only the named targets
#   bench/fuzz.sh --update-corpus ...  merge what the runs found into fuzz/corpus
#   bench/fuzz.sh --build-only         build, run nothing
#   bench/fuzz.sh --replay-crashes     run each target once on fuzz/crashes/<target>/*
#   bench/fuzz.sh --coverage ...       also replay each run's corpus through a
#                                      coverage build and report the line and
#                                      region coverage of the target's decoder files
#
# Exits non-zero if any target crashes, leaks, times out (10 s per input) or
# runs out of memory (2 GiB); the input that did it is kept under
# .build-fuzz/artifacts/<target>/ and its log under .build-fuzz/logs/.
# Builds go to .build-fuzz/ and are reused while sources and flags are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
command -v swiftc >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
TOOLS=$(dirname "$(command -v swiftc)")

SECONDS_PER_TARGET=60
RUNS=""
ONLY=""
UPDATE_CORPUS=0
BUILD_ONLY=0
REPLAY=0
COVERAGE=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --update-corpus) UPDATE_CORPUS=1; shift ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --replay-crashes) REPLAY=1; shift ;;
    --coverage) COVERAGE=1; shift ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) SECONDS_PER_TARGET=$1; shift ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# The targets are the files in fuzz/targets; a target is its file, the
# shared harness files of fuzz/support (and fuzz/support/<Family>/ for the
# targets named <Family>...), and the modules it imports with everything they
# import in turn, found from the `import` lines as SwiftPM would from
# Package.swift. Its dictionary, if any, is fuzz/dict/<name>.dict.
mapfile -t TARGETS < <(find "$ROOT/fuzz/targets" -maxdepth 1 -name '*.swift' -exec basename {} .swift \; | sort)
extra_sources_of() {  # harness files a family of targets shares
  local dir
  for dir in "$ROOT"/fuzz/support/*/; do
    case $1 in "$(basename "$dir")"*) find "$dir" -name '*.swift' | sort ;; esac
  done
}
sources_of_target() {
  find "$ROOT/fuzz/support" -maxdepth 1 -name '*.swift' | sort
  echo "$ROOT/fuzz/targets/$1.swift"
  extra_sources_of "$1"
}
decoder_files_of() {  # target: the sources whose coverage --coverage reports
  local S=$ROOT/Sources
  case $1 in
    Join) echo "$S"/GatewayCore/{JoinScanner,JSONObjectReader,JoinRequest}.swift "$S/Auth/JSONReader.swift" ;;
    LineFramer) echo "$S/GatewayCore/LineFramer.swift" ;;
    HTTPRequest)
      echo "$S"/WebSocket/{HTTPHeadScanner,HTTPRequestParser,HTTPHeaderFields,HTTPRequestHead,HTTPResponseHead}.swift \
        "$S"/WebSocket/{HTTPVersion,ServerHandshake,ClientHandshake,Base64}.swift \
        "$S"/WebAssets/{WebSite+HTTP,EntityTagCondition}.swift ;;
    WebSocket*) echo "$S"/WebSocket/{WebSocketStateMachine,WebSocketStateMachine+Parsing,WebSocketFrameHeader,UTF8Validator}.swift ;;
    RouterFrame) echo "$S"/RouterProtocol/*.swift ;;
    RESP) echo "$S"/Redis/{RESPDecoder,RESPDecoder+Fuzz,RESPScalar,RESPEncoder}.swift ;;
    JWT) echo "$S"/Auth/{JWTVerifier,Base64URL,JSONReader,JSONNumber}.swift ;;
    ProxyHeader) echo "$S"/GatewayCore/{ProxyHeaderParser,ProxyHeaderParser+Fuzz,ProxyHeader,IPAddress,IPEndpoint}.swift ;;
  esac
}
dict_of() {
  case $1 in
    Join | JWT) echo json ;;
    HTTPRequest) echo http ;;
    RESP) echo resp ;;
    *) echo "" ;;
  esac
}
imports_in() {  # files...: the project modules they import
  local module
  for module in $(sed -n -E 's/^(@[A-Za-z_]+ +)*import +([A-Za-z_][A-Za-z0-9_]*).*/\2/p' "$@" | sort -u); do
    [ -d "$ROOT/Sources/$module" ] && echo "$module"
  done
  return 0
}
is_c_module() { [ -d "$ROOT/Sources/$1/include" ]; }
module_sources() {  # name: its source files, sorted
  if is_c_module "$1"; then
    find "$ROOT/Sources/$1" -name '*.c' -o -name '*.h' | sort
  else
    find "$ROOT/Sources/$1" -name '*.swift' | sort
  fi
}
declare -A MODULE_DEPS
module_deps() {  # name: the modules it imports directly (cached in MODULE_DEPS)
  if [ -z "${MODULE_DEPS[$1]+set}" ]; then
    if is_c_module "$1"; then MODULE_DEPS[$1]=""; else
      local files
      mapfile -t files < <(module_sources "$1")
      MODULE_DEPS[$1]=$(imports_in "${files[@]}" | grep -vx "$1" | tr '\n' ' ')
    fi
  fi
  echo "${MODULE_DEPS[$1]}"
}
declare -A VISITED
ORDER=()
visit() {  # name: appends it to ORDER after its dependencies
  [ -n "${VISITED[$1]:-}" ] && return 0
  VISITED[$1]=1
  local dep
  for dep in $(module_deps "$1"); do visit "$dep"; done
  ORDER+=("$1")
}
modules_of() {  # target: the modules it links, dependencies first
  VISITED=()
  ORDER=()
  local files module
  mapfile -t files < <(sources_of_target "$1")
  for module in $(imports_in "${files[@]}"); do visit "$module"; done
  echo "${ORDER[*]}"
}

SELECTED=("${TARGETS[@]}")
if [ -n "$ONLY" ]; then IFS=, read -r -a SELECTED <<<"$ONLY"; fi
for target in "${SELECTED[@]}"; do
  [ -f "$ROOT/fuzz/targets/$target.swift" ] || { echo "fuzz.sh: no target $target (targets: ${TARGETS[*]})" >&2; exit 2; }
done

BUILD=$ROOT/.build-fuzz
mkdir -p "$BUILD/cmodules" "$BUILD/logs" "$BUILD/artifacts"

# SwiftPM synthesizes a C target's module map; outside SwiftPM we write one.
CMODULE_FLAGS=()
for dir in "$ROOT"/Sources/*/include; do
  module=$(basename "$(dirname "$dir")")
  mkdir -p "$BUILD/cmodules/$module"
  if [ -f "$dir/$module.h" ]; then umbrella="umbrella header \"$dir/$module.h\""; else umbrella="umbrella \"$dir\""; fi
  printf 'module %s {\n    %s\n    export *\n}\n' "$module" "$umbrella" >"$BUILD/cmodules/$module/module.modulemap"
  CMODULE_FLAGS+=(-I "$BUILD/cmodules/$module" -Xcc "-I$dir")
done

declare -A MODULE_HASH
use_variant() {  # fuzz | coverage: where and how build_module and build_target build
  MODULE_HASH=()
  if [ "$1" = fuzz ]; then
    OUT=$BUILD
    # -enable-testing lets a harness `@testable import` a module to reach the
    # internal decoders (JSONObjectReader, JSONReader, HTTPHeadScanner).
    SWIFT_FLAGS=(-sanitize=fuzzer,address -O -g)
    C_FLAGS=(-fsanitize=address,fuzzer-no-link)
  else
    # libFuzzer's driver replays a corpus; the profile counts every line run.
    OUT=$BUILD/coverage
    SWIFT_FLAGS=(-sanitize=fuzzer -profile-generate -profile-coverage-mapping -O -g)
    C_FLAGS=()
  fi
  SWIFT_FLAGS+=(-enable-testing -parse-as-library -swift-version 6 -wmo -I "$OUT/modules" "${CMODULE_FLAGS[@]}")
  mkdir -p "$OUT/modules" "$OUT/obj" "$OUT/bin"
  FLAGS_HASH=$( (swiftc --version 2>&1; echo "${SWIFT_FLAGS[*]} ${C_FLAGS[*]}") | sha1sum | cut -c1-40)
}

content_hash() {  # files...: one hash of their names and contents, plus the flags
  { echo "$FLAGS_HASH"; for file in "$@"; do echo "$file"; cat "$file"; done; } | sha1sum | cut -c1-40
}

build_module() {  # name: builds $OUT/obj/<name>.o (and its .swiftmodule) unless current
  local name=$1 dep depHashes="" sources
  [ -n "${MODULE_HASH[$name]:-}" ] && return 0
  for dep in $(module_deps "$name"); do
    build_module "$dep"
    depHashes="$depHashes ${MODULE_HASH[$dep]}"
  done
  mapfile -t sources < <(module_sources "$name")
  local hash
  hash=$( (echo "$depHashes"; content_hash "${sources[@]}") | sha1sum | cut -c1-40)
  MODULE_HASH[$name]=$hash
  if [ -f "$OUT/obj/$name.o" ] && [ "$(cat "$OUT/obj/$name.hash" 2>/dev/null)" = "$hash" ]; then return 0; fi
  echo "-- build module $name" >&2
  rm -f "$OUT/obj/$name.hash"
  if is_c_module "$name"; then
    local cfiles objs=() file
    mapfile -t cfiles < <(find "$ROOT/Sources/$name" -name '*.c' | sort)
    for file in "${cfiles[@]}"; do
      clang -c -O1 -g "${C_FLAGS[@]}" -I "$ROOT/Sources/$name/include" "$file" \
        -o "$OUT/obj/$name-$(basename "$file" .c).c.o"
      objs+=("$OUT/obj/$name-$(basename "$file" .c).c.o")
    done
    ld.lld -r -o "$OUT/obj/$name.o" "${objs[@]}"
  else
    swiftc "${SWIFT_FLAGS[@]}" -module-name "$name" -emit-module -emit-module-path "$OUT/modules/$name.swiftmodule" \
      -c -o "$OUT/obj/$name.o" "${sources[@]}"
  fi
  echo "$hash" >"$OUT/obj/$name.hash"
}

build_target() {  # name: builds $OUT/bin/<name> unless current
  local name=$1 module objects=() hashes="" sources modules
  modules=$(modules_of "$name")
  for module in $modules; do
    build_module "$module"
    hashes="$hashes ${MODULE_HASH[$module]}"
    objects+=("$OUT/obj/$module.o")
  done
  mapfile -t sources < <(sources_of_target "$name")
  local hash
  hash=$( (echo "$hashes"; content_hash "${sources[@]}") | sha1sum | cut -c1-40)
  if [ -x "$OUT/bin/$name" ] && [ "$(cat "$OUT/bin/$name.hash" 2>/dev/null)" = "$hash" ]; then return 0; fi
  echo "-- build target $name ($modules)" >&2
  rm -f "$OUT/bin/$name.hash"
  # From the build folder: with several sources and -g, swiftc leaves a
  # merged .swiftmodule of the target in the current directory.
  (cd "$OUT/bin" && swiftc "${SWIFT_FLAGS[@]}" -module-name "Fuzz$name" -use-ld=lld "${sources[@]}" "${objects[@]}" -o "$OUT/bin/$name")
  echo "$hash" >"$OUT/bin/$name.hash"
}

echo "== fuzz: build (swiftc -sanitize=fuzzer,address -O) into .build-fuzz" >&2
BUILD_START=$(date +%s)
if [ "$COVERAGE" = 1 ]; then
  use_variant coverage
  for target in "${SELECTED[@]}"; do build_target "$target"; done
fi
use_variant fuzz
for target in "${SELECTED[@]}"; do build_target "$target"; done
echo "-- built ${#SELECTED[@]} targets in $(($(date +%s) - BUILD_START)) s" >&2
[ "$BUILD_ONLY" = 1 ] && exit 0

if [ "$REPLAY" = 1 ]; then
  status=0
  for target in "${SELECTED[@]}"; do
    for input in "$ROOT/fuzz/crashes/$target"/*; do
      [ -f "$input" ] || continue
      if "$BUILD/bin/$target" -runs=1 -detect_leaks=1 "$input" >"$BUILD/logs/replay.log" 2>&1; then
        echo "fixed    $target ${input#"$ROOT"/}"
      else
        echo "crashes  $target ${input#"$ROOT"/}: $(grep -m1 -E 'ERROR|invariant|Fatal error' "$BUILD/logs/replay.log" || true)"
        status=1
      fi
    done
  done
  exit $status
fi

WORK=$(mktemp -d /tmp/machat-fuzz-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LIMIT="${SECONDS_PER_TARGET} s"
[ -n "$RUNS" ] && LIMIT="$RUNS runs or $LIMIT"
echo "== fuzz: ${#SELECTED[@]} targets, $LIMIT each" >&2
printf '%-16s %10s %8s %12s %7s %15s %8s  %s\n' target execs exec/s cov/edges ft corpus crashes result
failed=0
for target in "${SELECTED[@]}"; do
  corpus=$WORK/$target
  artifacts=$BUILD/artifacts/$target
  log=$BUILD/logs/$target.log
  mkdir -p "$corpus" "$artifacts"
  # Only this run's findings count; earlier ones stay until the next run of the target.
  rm -f "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*
  if [ -d "$ROOT/fuzz/corpus/$target" ]; then cp "$ROOT/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true; fi
  args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 -detect_leaks=1 -print_final_stats=1
    -artifact_prefix="$artifacts/")
  [ -n "$RUNS" ] && args+=(-runs="$RUNS")
  dict=$(dict_of "$target")
  [ -n "$dict" ] && args+=(-dict="$ROOT/fuzz/dict/$dict.dict")
  rc=0
  "$BUILD/bin/$target" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  stats=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(echo "$stats" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  # Edges instrumented in the whole binary (every linked module), for scale.
  edges=$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' "$log" | head -1)
  ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  result=ok
  if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
    result="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |fuzz invariant|Fatal error' "$log" || echo "see $log")"
    failed=1
  fi
  printf '%-16s %10s %8s %12s %7s %15s %8s  %s\n' "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}/${edges:-?}" "${ft:-?}" \
    "$files/$((bytes / 1024))KiB" "$found" "$result"
  if [ "$result" != ok ]; then
    find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
      | sed 's/^/    input: /'
    echo "    log: $log"
  fi
  if [ "$COVERAGE" = 1 ]; then
    profile=$BUILD/coverage/$target
    rm -f "$profile.profraw"
    LLVM_PROFILE_FILE="$profile.profraw" "$BUILD/coverage/bin/$target" -runs=0 "$corpus" >"$BUILD/logs/$target.coverage.log" 2>&1
    # The toolchain's own llvm tools: Debian's older ones cannot read its profiles.
    "$TOOLS/llvm-profdata" merge -sparse "$profile.profraw" -o "$profile.profdata"
    # shellcheck disable=SC2046
    "$TOOLS/llvm-cov" report "$BUILD/coverage/bin/$target" -instr-profile="$profile.profdata" \
      $(decoder_files_of "$target") >"$BUILD/logs/$target.coverage.txt"
    echo "    coverage of $(decoder_files_of "$target" | wc -w) decoder files: $(awk '/^TOTAL/ {print "lines " $10 ", regions " $4 ", functions " $7}' \
      "$BUILD/logs/$target.coverage.txt") (per file: .build-fuzz/logs/$target.coverage.txt)"
  fi
  if [ "$UPDATE_CORPUS" = 1 ] && [ "$result" = ok ]; then
    mkdir -p "$ROOT/fuzz/corpus/$target"
    "$BUILD/bin/$target" -merge=1 "$ROOT/fuzz/corpus/$target" "$corpus" >"$BUILD/logs/$target.merge.log" 2>&1
  fi
done
exit $failed
