"""Real-time factor of Python faster-whisper, the baseline for Weft's engine.

Same settings as `cargo run -p weft-whisper --release --example rtf`: the same model
directory, compute type, beam size and threads; the audio decoded by ffmpeg to 16 kHz mono
float32 beforehand, model loading not timed, the median of several runs.

Usage: python faster-whisper-rtf.py AUDIO MODEL_DIR [--compute-type int8] [--threads 2]
           [--beam 5] [--runs 3] [--print]
Needs `pip install faster-whisper` (in a virtual environment).
"""

import argparse
import statistics
import subprocess
import time

import numpy as np
from faster_whisper import WhisperModel

parser = argparse.ArgumentParser()
parser.add_argument("audio")
parser.add_argument("model")
parser.add_argument("--compute-type", default="int8")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--beam", type=int, default=5)
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--print", action="store_true")
args = parser.parse_args()

raw = subprocess.run(
    ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", args.audio,
     "-ar", "16000", "-ac", "1", "-f", "f32le", "-"],
    check=True, capture_output=True,
).stdout
pcm = np.frombuffer(raw, dtype=np.float32)
seconds = len(pcm) / 16000

model = WhisperModel(args.model, device="cpu", compute_type=args.compute_type,
                     cpu_threads=args.threads, num_workers=1)
walls = []
for run in range(1, args.runs + 1):
    started = time.perf_counter()
    segments, _ = model.transcribe(pcm, beam_size=args.beam, language="en")
    segments = list(segments)
    wall = time.perf_counter() - started
    walls.append(wall)
    print(f"run {run}: {wall:.2f} s wall, RTF {seconds / wall:.1f}x, {len(segments)} segments")
    if args.print and run == 1:
        for s in segments:
            print(f"  [{s.start:7.2f} -> {s.end:7.2f}] {s.text.strip()}")
median = statistics.median(walls)
print(f"audio {seconds:.1f} s, {args.threads} threads, {args.compute_type}, beam {args.beam}: "
      f"median {median:.2f} s wall, RTF {seconds / median:.1f}x real time")
