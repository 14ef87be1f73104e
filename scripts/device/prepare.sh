#!/usr/bin/env bash
# Fills .device/ (git-ignored) for one call on the lent GPU machine (../shared/DEVICE.md):
# the runnable jar with a small Java runtime and the OpenCL ICD loader, MNIST as .gz, and
# the checks to run there. Then, with the device tool:
#   run  command "bash .device/checks.sh"  carry [".device"]
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
cd "$root"
mvn -q -B -Dstyle.color=never -DskipTests package
bash "$root/../shared/device/pack.sh" target/clnet.jar
# JOCL opens "libOpenCL.so", the name only the -dev package links; the packed loader is .so.1
cp .device/lib/libOpenCL.so.1 .device/lib/libOpenCL.so
# A smaller runtime than pack.sh's, so that MNIST fits in the 64 MiB a call carries
rm -rf .device/jre
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=2 --output .device/jre
"$root/scripts/fetch-mnist.sh"
mkdir -p .device/mnist
for f in data/mnist/*-ubyte; do
    gzip -c -n "$f" >".device/mnist/$(basename "$f").gz"
done
cp scripts/device/checks.sh scripts/device/torch_mlp.py .device/
du -sh .device
