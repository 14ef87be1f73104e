#!/usr/bin/env bash
# Regenerates testdata/mnist-subset: the first 5000 training and the first 1000
# test images and labels of the real MNIST, as gzip IDX files.
#
# Needs a JDK (javac, java) and the full MNIST in MNIST_DIR (default data/mnist;
# fetched with scripts/fetch-mnist.sh when missing). The gzip output has no
# timestamp, so running this again gives identical bytes with the same JDK/zlib.
#
# Usage: scripts/make-mnist-subset.sh [MNIST_DIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mnist_dir="${1:-$repo_root/data/mnist}"
out_dir="$repo_root/testdata/mnist-subset"
train_count=5000
test_count=1000

if [[ ! -f "$mnist_dir/train-images-idx3-ubyte" && -z "${1:-}" ]]; then
    "$repo_root/scripts/fetch-mnist.sh" "$mnist_dir"
fi

classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT

# Compile only the tool and what it uses (the data and tensor packages), so the
# rest of the project need not build.
javac -d "$classes" -sourcepath "$repo_root/src/main/java" \
    "$repo_root/src/main/java/clnet/data/MnistSubset.java"
java -cp "$classes" clnet.data.MnistSubset "$mnist_dir" "$out_dir" "$train_count" "$test_count"

(cd "$out_dir" && sha256sum ./*.gz)
