# Sourced by scripts/clnet and scripts/bench-peers.sh: sets OPENBLAS_CORETYPE from the CPU's
# flags unless it is set already. OpenBLAS picks its kernels for the core it detects and
# misreads some virtual CPUs as generic ones, five times slower. The rule is
# clnet.cli.LaunchEnvironment.openBlasCore's (which java -jar clnet.jar uses): SkylakeX with
# the AVX-512 foundation, byte/word, doubleword/quadword and vector-length extensions,
# Haswell with AVX2 and FMA, else OpenBLAS's own detection.
if [[ -z "${OPENBLAS_CORETYPE:-}" && -r /proc/cpuinfo ]]; then
    _clnet_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    if [[ "$_clnet_flags" == *" avx512f "* && "$_clnet_flags" == *" avx512bw "* \
          && "$_clnet_flags" == *" avx512dq "* && "$_clnet_flags" == *" avx512vl "* ]]; then
        export OPENBLAS_CORETYPE=SkylakeX
    elif [[ "$_clnet_flags" == *" avx2 "* && "$_clnet_flags" == *" fma "* ]]; then
        export OPENBLAS_CORETYPE=Haswell
    fi
    unset _clnet_flags
fi
