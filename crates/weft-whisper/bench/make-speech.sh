#!/usr/bin/env bash
# Makes the benchmark recording: the sixteen sentences of tests/transcribe.rs spoken by
# espeak-ng with the same pauses (about 90 seconds), as a 16 kHz mono WAV.
#
# Usage: bench/make-speech.sh OUT.wav
set -euo pipefail
out=${1:?usage: make-speech.sh OUT.wav}
sentences=(
    "This morning I made pancakes with blueberries for breakfast."
    "After that I rode my bicycle along the lake for an hour."
    "The library was closed, so I read a novel in the garden."
    "My sister called me from London to talk about her new job."
    "We planned a holiday in the mountains for the end of summer."
    "In the afternoon I fixed the kitchen window that was broken."
    "Then I practised the guitar until my fingers were sore."
    "The neighbours invited us to a barbecue on Saturday evening."
    "I bought fresh tomatoes and cheese at the market."
    "Later it started raining, and I forgot my umbrella at home."
    "We watched a documentary about volcanoes after dinner."
    "Before bed I wrote a letter to my grandmother."
    "The dentist told me to floss my teeth every night."
    "I finished a jigsaw puzzle with a thousand pieces."
    "Our train to Edinburgh was delayed by twenty minutes."
    "The cat slept on the warm carpet all day."
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
silence() { ffmpeg -nostdin -loglevel error -f lavfi -i anullsrc=r=16000:cl=mono -t "$1" -c:a pcm_s16le -y "$2"; }
silence 0.5 "$work/lead.wav"
echo "file '$work/lead.wav'" >"$work/list.txt"
for i in "${!sentences[@]}"; do
    espeak-ng -v en-us -s 150 -w "$work/raw$i.wav" "${sentences[$i]}"
    ffmpeg -nostdin -loglevel error -i "$work/raw$i.wav" -ar 16000 -ac 1 -c:a pcm_s16le -y "$work/s$i.wav"
    # Pauses of 1.0, 1.9 and 2.8 s in turn, as in the test.
    silence "$(awk -v i="$i" 'BEGIN { print 1.0 + (i % 3) * 0.9 }')" "$work/p$i.wav"
    printf "file '%s'\nfile '%s'\n" "$work/s$i.wav" "$work/p$i.wav" >>"$work/list.txt"
done
ffmpeg -nostdin -loglevel error -f concat -safe 0 -i "$work/list.txt" -ar 16000 -ac 1 -y "$out"
