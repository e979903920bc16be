#!/usr/bin/env bash
# Installs the Debian packages ringc needs, only those that are missing, and
# makes sure a Swift toolchain is on PATH. Sourced by the other scripts.
set -euo pipefail

needed=(libopenblas-dev libopenmpi-dev openmpi-bin libxml2-dev pkg-config)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    [ -x "$d/swift" ] && export PATH="$d:$PATH" && break
  done
fi
command -v swift >/dev/null 2>&1 || {
  echo "bootstrap: no Swift toolchain found; install Swift 6 from swift.org and put it on PATH" >&2
  exit 69
}

# mpirun refuses root without these; they are harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# Builds the release ringc if it is stale and sets $ringc to it (the build's
# output on stdout: `release_ringc >/dev/null` for none).
release_ringc() {
  swift build -c release --product ringc
  ringc=$(swift build -c release --show-bin-path)/ringc
}

# mpirun for ranks on this machine, quiet as root (shared memory between ranks).
mpirun_here=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca pml ob1)
