"""Transcribes clips with Python faster-whisper for scripts/bench-wer, the baseline for Weft.

Loads the model once, then transcribes each clip with the settings `weft transcribe` uses:
int8, beam 5, one thread, no VAD, faster-whisper's default temperature fallback, the language
given (--language) or detected. Writes OUT_DIR/NAME.json for each clip NAME.wav: language, its
probability, text, segments, the audio's length and the transcription's wall time.

With --feature-noise A, uniform noise in [-A, A] (seeded by --seed) is added to the log-mel
features before decoding: with A = 1.4e-5, the largest difference between Weft's features and
faster-whisper's, it shows how much of a difference between the two engines a difference that
small can make (beam search picks between near-equal hypotheses).

With --word-timestamps, words are timed as well (faster-whisper then also moves each next
window to the last word's end, which can change the text of long clips): for parity with a
Weft that times words.

Usage: python faster-whisper-transcribe.py MODEL_DIR OUT_DIR [--language CODE]
           [--word-timestamps] [--feature-noise A --seed N] CLIP...
Needs faster-whisper (the test tools' environment, see scripts/install-deps --test).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from faster_whisper import WhisperModel

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("out")
parser.add_argument("clips", nargs="+")
parser.add_argument("--language", default=None)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--word-timestamps", action="store_true")
parser.add_argument("--feature-noise", type=float, default=0.0)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()


class NoisyFeatures:
    """faster-whisper's feature extractor, with noise added to what it returns."""

    def __init__(self, inner, amplitude, seed):
        self.inner, self.amplitude = inner, amplitude
        self.rng = np.random.default_rng(seed)

    def __call__(self, *args, **kwargs):
        features = self.inner(*args, **kwargs)
        noise = self.rng.uniform(-self.amplitude, self.amplitude, features.shape)
        return features + noise.astype(features.dtype)

    def __getattr__(self, name):
        return getattr(self.inner, name)


out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
model = WhisperModel(args.model, device="cpu", compute_type="int8",
                     cpu_threads=args.threads, num_workers=1)
if args.feature_noise:
    model.feature_extractor = NoisyFeatures(model.feature_extractor, args.feature_noise, args.seed)
for clip in map(Path, args.clips):
    started = time.perf_counter()
    segments, info = model.transcribe(str(clip), beam_size=5, language=args.language,
                                      vad_filter=False, word_timestamps=args.word_timestamps)
    # What decided each window, to compare with Weft's confidence (exp of avg_logprob).
    segments = [{"start": s.start, "end": s.end, "text": s.text.strip(),
                 "temperature": s.temperature, "avg_logprob": s.avg_logprob,
                 "compression_ratio": s.compression_ratio, "no_speech_prob": s.no_speech_prob}
                for s in segments]
    wall = time.perf_counter() - started
    result = {
        "language": info.language,
        "language_probability": info.language_probability,
        "duration": info.duration,
        "seconds": wall,
        "segments": segments,
        "text": " ".join(s["text"] for s in segments if s["text"]),
    }
    (out / f"{clip.stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"{clip.stem}: {info.language} ({info.language_probability:.2f}), "
          f"{info.duration:.1f} s in {wall:.1f} s", file=sys.stderr)
