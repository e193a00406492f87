#!/usr/bin/env bash
# The README's test command on a machine that has only the .NET SDK: a Debian bookworm chroot (debootstrap minbase plus
# the libraries the SDK links against and this machine's CA certificates), a fresh clone of HEAD and an empty NuGet
# cache, with CI unset, so every prerequisite that .ci/run installs is absent and its tests must skip with their reason.
# Needs root, debootstrap and unshare. Usage: fresh-machine.sh [RUNS] [CHROOT]   (default 1 run, /var/tmp/basedeval-fresh)
set -euo pipefail
runs=${1:-1}
root=${2:-/var/tmp/basedeval-fresh}
repo=$(cd "$(dirname "$0")/../.." && pwd)
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ ! -x "$root/bin/bash" ]; then
  debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,zlib1g,libstdc++6,libgcc-s1 bookworm "$root" "$mirror"
fi
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp /etc/resolv.conf "$root/etc/resolv.conf"

for ((n = 1; n <= runs; n++)); do
  unshare --mount --propagation private bash -euo pipefail -c '
    root=$1 repo=$2 dotnet_root=$3 n=$4
    mount --bind /proc "$root/proc"; mount --bind /dev "$root/dev"; mount --bind /sys "$root/sys"
    mkdir -p "$root/usr/share/dotnet" "$root/work/shared"
    mount --bind "$dotnet_root" "$root/usr/share/dotnet"
    if [ -d "$repo/../shared" ]; then mount --bind "$repo/../shared" "$root/work/shared"; mount -o remount,ro,bind "$root/work/shared"; fi
    ln -sf /usr/share/dotnet/dotnet "$root/usr/bin/dotnet"
    rm -rf "$root/work/main" "$root/root/.nuget" "$root/root/.cache" "$root/tmp"/*
    git clone -q "$repo" "$root/work/main"
    echo "run $n: $(git -C "$root/work/main" log --oneline -1)"
    chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin:/usr/sbin:/sbin /bin/bash -c "cd /work/main && dotnet test BasedEval.sln" \
      | grep -E "Passed!|Failed!|skipped|\[FAIL\]"
  ' _ "$root" "$repo" "$dotnet_root" "$n"
done
