#!/usr/bin/env bash
# Install everything ds4 needs on Debian 12 (idempotent; quiet when done).
# Debian packages: LLVM/MLIR 22, FlatBuffers, GoogleTest, Ninja, ccache,
# CMake. Python packages: pinned in requirements.txt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

packages=(cmake ninja-build ccache g++ python3 python3-pip
          llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
          libflatbuffers-dev flatbuffers-compiler libgtest-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# lit from the Debian package is used (LLVM_EXTERNAL_LIT); its default
# path does not exist, which the build passes explicitly.
[[ -x /usr/lib/llvm-22/bin/lit ]] || { echo "setup: /usr/lib/llvm-22/bin/lit missing after install" >&2; exit 1; }

py="${PYTHON:-python3}"
if [[ -f "$root/requirements.txt" ]]; then
  # pip -q prints nothing when every pinned requirement is already met.
  "$py" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r "$root/requirements.txt"
fi
