#!/usr/bin/env bash
# Compiles every CUDA C source cuda/src/main/cuda/*.cu to PTX for sm_90 and writes NAME.ptx into OUT_DIR
# (default: cuda/src/main/resources/ptx, the committed classpath resources the backend loads at run time, so that
# running needs only the NVIDIA driver, not the toolkit).
#
#   cuda/build-ptx.sh [OUT_DIR]        needs nvcc (CUDA 12.4 or newer; made with 13.0) on the PATH or in $CUDA_HOME/bin
#
# Choices, and why:
# - Target sm_90, not sm_90a. The FP8 tensor-core instruction used (mma.sync m16n8k32 .e4m3) exists from sm_89 on
#   and needs no architecture-specific ("a") features; only wgmma would, and these kernels do not use it. Plain
#   sm_90 PTX is also JIT-compiled by the driver for later architectures, sm_90a PTX runs on sm_90 only.
# - PTX ISA version lowered to 8.4 (the .version line). nvcc 13 writes 9.0, which only drivers for CUDA 13 (r580+)
#   can load; 8.4 (CUDA 12.4, r550+) is the lowest version that has the FP8 MMA, and ptxas checks every
#   instruction of the file against the version it declares (CudaPtxAssemblesTest runs it).
# - -O3, no -lineinfo/-G: the output contains no path, time or user name, so it is byte-for-byte reproducible
#   with the same nvcc; CudaPtxFreshnessTest regenerates it and fails when the committed files are stale.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/src/main/cuda"
out="${1:-$here/src/main/resources/ptx}"
PTX_ISA="${PTX_ISA:-8.4}"
ARCH=sm_90

nvcc="$(command -v nvcc || true)"
if [ -z "$nvcc" ] && [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then nvcc="$CUDA_HOME/bin/nvcc"; fi
if [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc; fi
if [ -z "$nvcc" ]; then echo "build-ptx: nvcc not found (put it on the PATH or set CUDA_HOME)" >&2; exit 2; fi

mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  # Compile from inside the source folder with a relative name: nothing machine-specific can reach the output.
  (cd "$src" && "$nvcc" -ptx -arch="$ARCH" -O3 -std=c++17 -o "$tmp/$name.ptx" "$name.cu")
  {
    echo "// $name.ptx: generated from cuda/src/main/cuda/$name.cu by cuda/build-ptx.sh (nvcc -ptx -arch=$ARCH -O3,"
    echo "// PTX ISA lowered to $PTX_ISA). Do not edit: edit the .cu file and run cuda/build-ptx.sh."
    sed -e "s/^\.version [0-9.]*\$/.version $PTX_ISA/" "$tmp/$name.ptx"
  } > "$out/$name.ptx"
  grep -q "^\.version $PTX_ISA\$" "$out/$name.ptx" || { echo "build-ptx: no .version line in $name.ptx" >&2; exit 1; }
done
# Files of sources that no longer exist would be stale resources.
for ptx in "$out"/*.ptx; do
  [ -e "$ptx" ] || continue
  [ -f "$src/$(basename "$ptx" .ptx).cu" ] || { echo "build-ptx: removing $ptx (no source)"; rm -f "$ptx"; }
done
echo "build-ptx: $(ls "$out"/*.ptx | wc -l) PTX files in $out ($("$nvcc" --version | tail -n2 | head -n1))"
