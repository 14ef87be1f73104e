#!/usr/bin/env bash
# clnet against PyTorch on this machine: the identical network (Keras's mnist_mlp,
# 784-512-512-10, relu, softmax + cross-entropy, RMSprop, Glorot weights), the same MNIST
# data resident in memory, the same batch size and thread count, training and inference.
# Runs alternate (PyTorch, then clnet on each device, repeated) so that a passing load on
# the machine hurts every contender alike; each figure is the median of its rounds.
#
# PyTorch gets its best configuration here: Debian's python3-torch with the OpenMP build of
# OpenBLAS (libopenblas0-openmp, put first on its library path, since the pthreads build that
# clnet uses would fight PyTorch's own OpenMP threads), all cores, and OPENBLAS_CORETYPE naming
# the real core (from the CPU's flags, the rule scripts/clnet uses for clnet), because
# OpenBLAS's run-time detection misreads some virtual CPUs and falls back to generic kernels.
# OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE, OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are cleared
# first for every contender; scripts/clnet then sets OPENBLAS_NUM_THREADS=1 for clnet, which
# splits each product over the cores on threads of its own.
#
# Usage: scripts/bench-peers.sh [--rounds 3] [--batch 128] [--epochs 2] [--devices auto,cpu,opencl:0:0]
# (default devices: auto, cpu and every opencl:P:D that clnet devices lists)
# Prints one line per device:
#   train ratio clnet(DEVICE)/pytorch: X.XX
#   inference ratio clnet(DEVICE)/pytorch: X.XX
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
rounds=3 batch=128 epochs=2 devices=""
while (( $# > 0 )); do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        --batch) batch="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        --devices) devices="$2"; shift 2 ;;
        *) echo "bench-peers: unknown option $1" >&2; exit 2 ;;
    esac
done

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "bench-peers: installing python3-torch (Debian) and libopenblas0-openmp" >&2
    as_root=(); [[ $EUID -ne 0 ]] && as_root=(sudo)
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends python3-torch \
        python3-numpy libopenblas0-openmp >/tmp/clnet-bench-peers-apt.log 2>&1 \
        || { tail -5 /tmp/clnet-bench-peers-apt.log >&2; exit 1; }
fi
scripts/setup.sh >/dev/null   # clnet's own needs and MNIST in data/mnist
scripts/clnet --version >/dev/null 2>&1 || true   # builds the jar if needed, outside the timing

unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS
source scripts/openblas-core.sh   # the same core for PyTorch as for clnet
threads="$(nproc)"
openmp_dir="/usr/lib/$(uname -m)-linux-gnu/openblas-openmp"
torch_libs="${LD_LIBRARY_PATH:-}"
[[ -d "$openmp_dir" ]] && torch_libs="$openmp_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $threads cores"
echo "configuration: batch $batch, $threads threads for both," \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset (OpenBLAS detects the core)}, OPENBLAS_L2_SIZE unset;" \
     "pytorch: LD_LIBRARY_PATH=${torch_libs:-unset} (libblas.so.3 -> $(LD_LIBRARY_PATH="$torch_libs" \
     /usr/bin/python3 -c 'import torch; print([l.split()[-1] for l in open("/proc/self/maps") if "libblas" in l][0])' 2>/dev/null || echo unknown))"
if [[ -z "$devices" ]]; then
    devices="auto,cpu"
    while read -r id _; do devices="$devices,$id"; done < <(scripts/clnet devices 2>/dev/null | grep -E '^opencl:' || true)
fi
echo "pytorch: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)'), torch.set_num_threads($threads)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for (( r = 1; r <= rounds; r++ )); do
    LD_LIBRARY_PATH="$torch_libs" /usr/bin/python3 scripts/peers/torch_mnist_mlp.py data/mnist --batch "$batch" --threads "$threads" \
        --epochs "$epochs" >> "$out/pytorch.jsonl"
    IFS=',' read -ra list <<< "$devices"
    for d in "${list[@]}"; do
        scripts/clnet bench --device "$d" --batch-size "$batch" --epochs "$epochs" --json 2>/dev/null \
            | tail -n 1 >> "$out/clnet-$d.jsonl"
    done
    echo "round $r/$rounds done" >&2
done

/usr/bin/python3 - "$out" "$devices" <<'PY'
import json, statistics, sys, os
out, devices = sys.argv[1], sys.argv[2].split(",")
def med(rows, key):
    return statistics.median(r[key] for r in rows)
torch_rows = [json.loads(l) for l in open(os.path.join(out, "pytorch.jsonl")) if l.strip()]
t_train, t_inf = med(torch_rows, "train_samples_per_s"), med(torch_rows, "inference_samples_per_s")
print(f"pytorch: train {t_train:,.0f} samples/s ({med(torch_rows, 'ms_per_step'):.3f} ms/step), "
      f"inference {t_inf:,.0f} samples/s")
for d in devices:
    rows = [json.loads(l)[0] for l in open(os.path.join(out, f"clnet-{d}.jsonl")) if l.strip()]
    c_train, c_inf = med(rows, "train_samples_per_s"), med(rows, "inference_samples_per_s")
    resolved = rows[0].get("resolved", d)
    print(f"clnet({d}{'' if resolved == d else ' = ' + resolved}): train {c_train:,.0f} samples/s "
          f"({med(rows, 'ms_per_step'):.3f} ms/step, {med(rows, 'launches_per_step'):.1f} launches/step), "
          f"inference {c_inf:,.0f} samples/s")
    print(f"train ratio clnet({d})/pytorch: {c_train / t_train:.2f}")
    print(f"inference ratio clnet({d})/pytorch: {c_inf / t_inf:.2f}")
PY
