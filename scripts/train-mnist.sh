#!/usr/bin/env bash
# The main job on a fresh machine: installs what is needed (scripts/setup.sh), fetches
# MNIST, builds clnet and trains Keras's mnist_mlp on it. Arguments go to `clnet train`,
# e.g. scripts/train-mnist.sh --epochs 5 --device opencl
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo_root/scripts/setup.sh"
cd "$repo_root"
exec scripts/clnet train "$@"
