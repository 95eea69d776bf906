#!/usr/bin/env bash
# Configures and builds rpdns into build/ (warnings are errors).
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DRPDNS_WERROR=ON "$@" >/dev/null
cmake --build build -j"$(nproc)"
