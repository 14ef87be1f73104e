#!/usr/bin/env bash
# Runs on the lent GPU machine from a tree prepared by scripts/device/prepare.sh: clnet
# devices, verify, bench and a 5-epoch mnist_mlp on the GPU, then the same network in
# PyTorch as a peer. Every output also lands in $OUT.
D=.device
# the JDK's signal-chaining library, so that a driver's signal handlers cannot crash the JVM
export LD_PRELOAD="$PWD/$D/jre/lib/libjsig.so"
run() { local name=$1; shift; echo "=== clnet $*"; timeout 240 bash $D/on-device.sh "$@" 2>&1 | tee "$OUT/$name.txt"; echo "exit ${PIPESTATUS[0]}"; }
run devices devices
run verify verify --device gpu
run bench bench --device gpu
run train-gpu train --device gpu --epochs 5 --data $D/mnist --save "$OUT/gpu5.safetensors"
unset LD_PRELOAD
echo "=== pytorch"
timeout 120 python3 $D/torch_mlp.py $D/mnist 2>&1 | tee "$OUT/torch.txt"
