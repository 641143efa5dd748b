#!/usr/bin/env bash
# What each Whisper model costs in `weft transcribe`: real-time factor and peak memory.
#
# Runs `weft transcribe AUDIO --format json --whisper-model DIR` with 1 thread, int8, beam 5
# and the language unset (detected by multilingual models; English-only ones need none) under
# /usr/bin/time -v, RUNS times per model, the models taking turns so that background load hits
# them alike. Prints, per model, each run's real-time factor (weft's own timing of the
# transcription, model loading not included) and maximum resident set size (the whole process,
# model loading included), and their medians, as a Markdown table.
#
# Usage: bench/model-cost.sh [--runs 3] [--weft BIN] AUDIO MODEL_DIR...
#   BIN defaults to $CARGO_TARGET_DIR/release/weft, else target/release/weft.
#   For the README's figures: AUDIO from bench/make-speech.sh, MODEL_DIRs from fetch-model.sh.
set -euo pipefail

runs=3
weft=${CARGO_TARGET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/target}/release/weft
while (($#)); do
    case $1 in
        --runs) runs=${2:?--runs needs a value}; shift ;;
        --weft) weft=${2:?--weft needs a value}; shift ;;
        -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) break ;;
    esac
    shift
done
(($# >= 2)) || { echo "usage: model-cost.sh [--runs N] [--weft BIN] AUDIO MODEL_DIR..." >&2; exit 2; }
audio=$1
shift
[[ -x $weft ]] || { echo "model-cost.sh: no weft binary at $weft" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((run = 1; run <= runs; run++)); do
    for dir in "$@"; do
        name=$(basename "$dir")
        err=$work/$name.$run.err
        /usr/bin/time -v "$weft" transcribe "$audio" --format json --transcriber whisper \
            --whisper-model "$dir" --whisper-threads 1 --whisper-compute-type int8 \
            --whisper-beam-size 5 >"$work/$name.$run.json" 2>"$err" ||
            { echo "model-cost.sh: weft transcribe failed with $dir:" >&2; tail -n 20 "$err" >&2; exit 1; }
        rtf=$(sed -n 's/.* s of audio in .* (\([0-9.]*\)x real time).*/\1/p' "$err" | tail -n 1)
        rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$err")
        echo "$name $rtf $rss" >>"$work/results"
        echo "model-cost.sh: $name, run $run: ${rtf}x real time, ${rss} MiB" >&2
    done
done

echo "| model | real-time factor (runs) | median | peak RSS MiB (runs) | median |"
echo "|---|---|---|---|---|"
for dir in "$@"; do
    name=$(basename "$dir")
    awk -v name="$name" '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        $1 == name { n++; r[n] = $2; m[n] = $3; rs = rs (n > 1 ? ", " : "") $2 "x"; ms = ms (n > 1 ? ", " : "") $3 }
        END { printf "| %s | %s | **%.1fx** | %s | **%.0f** |\n", name, rs, median(r, n), ms, median(m, n) }
    ' "$work/results"
done
