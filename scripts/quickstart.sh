#!/bin/sh
# The README's first command: installs drift's dependencies (Debian 12, as
# root), builds drift, and runs its main job on the shipped default preset.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)"
./build/release/drift info
