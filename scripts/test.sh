#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what is needed (scripts/setup.sh,
# including PoCL so that the OpenCL tests run on the CPU), fetches MNIST, runs every
# test, then runs the OpenCL tests again on the second of two PoCL devices, to catch code
# that assumes device 0. With CI=true, a missing OpenCL platform fails the OpenCL tests
# instead of skipping them.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$repo_root/scripts/setup.sh"
cd "$repo_root"
echo "OpenCL devices:"
clinfo -l || true
mvn -B -ntp test
echo "OpenCL tests again, on device 1 of POCL_DEVICES=\"pthread pthread\""
POCL_DEVICES="pthread pthread" CLNET_TEST_DEVICE=opencl:0:1 \
    mvn -B -ntp test -Dtest='clnet.backend.opencl.**.*Test' -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.skip=true
echo "Data-parallel tests on two one-core PoCL devices"
POCL_DEVICES="pthread pthread" POCL_MAX_PTHREAD_COUNT=1 CLNET_MULTI_DEVICE=1 \
    mvn -B -ntp test -Dtest='clnet.multidevice.**.*Test,clnet.cli.MultiDeviceCliTest' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.skip=true
