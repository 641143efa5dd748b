//! The model and faster-whisper's decoding loop over 30-second windows.

use std::path::Path;

use ct2rs::sys::{self, ComputeType, StorageView, WhisperOptions};

use crate::mel::{MelExtractor, HOP_LENGTH, SAMPLE_RATE, WINDOW_FRAMES};
use crate::vocab::{decode_text, SpecialTokens, Vocabulary};
use crate::window::{self, SECONDS_PER_FRAME, TIME_PRECISION};
use crate::{words, Device, Error, Options, Segment, Transcript};

// faster-whisper's defaults (TranscriptionOptions), which are OpenAI Whisper's.
/// Temperatures tried in turn while a window's output looks wrong.
const TEMPERATURES: [f32; 6] = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
/// Samples drawn per window when decoding at a temperature above zero.
const BEST_OF: usize = 5;
/// Output that compresses better than this is a decoding loop.
const COMPRESSION_RATIO_THRESHOLD: f64 = 2.4;
/// Output with a lower mean token log-probability is unreliable.
const LOG_PROB_THRESHOLD: f64 = -1.0;
/// A window whose no-speech probability is above this (and whose text is unreliable) is silence.
const NO_SPEECH_THRESHOLD: f64 = 0.6;
/// Past this temperature the output is too random to prompt the next window with.
const PROMPT_RESET_ON_TEMPERATURE: f32 = 0.5;
/// The decoder's context: prompt plus output.
const MAX_LENGTH: usize = 448;
/// The first timestamp may be at most 1 s into the window.
const MAX_INITIAL_TIMESTAMP_INDEX: usize = 50;
/// A window whose loudest log10 mel energy is below this holds no sound at all (a sine at
/// about -80 dBFS; speech at a normal level peaks near +1). It is skipped without decoding:
/// on digital silence Whisper (faster-whisper too) writes "You" with a confidence that
/// passes every check above.
const SILENT_WINDOW_PEAK: f32 = -6.0;
/// Sound this long (seconds) before a window's first segment, or after its last, is heard
/// again in a window of its own when the language is detected: it may be another language.
const LANGUAGE_GAP: f64 = 2.0;
/// Audio louder than this (RMS, about -40 dBFS) in a tenth of a second is sound, not silence.
const SOUND_RMS: f32 = 0.01;

/// The samples up to mel frame `end` (the audio, when it ends sooner).
fn up_to(pcm: &[f32], end: usize) -> &[f32] {
    &pcm[..(end * HOP_LENGTH).min(pcm.len())]
}

/// Whether the audio between `from` and `to` (seconds) holds at least a second of sound.
fn has_sound(pcm: &[f32], from: f64, to: f64) -> bool {
    let chunk = SAMPLE_RATE / 10;
    let first = ((from.max(0.0) * SAMPLE_RATE as f64) as usize).min(pcm.len());
    let last = ((to.max(0.0) * SAMPLE_RATE as f64) as usize).min(pcm.len());
    let loud = pcm[first..last]
        .chunks(chunk)
        .filter(|c| c.len() == chunk)
        .filter(|c| (c.iter().map(|x| x * x).sum::<f32>() / c.len() as f32).sqrt() > SOUND_RMS)
        .count();
    loud >= 10
}

/// Width of the median filter over the attention weights before the time warping.
const MEDIAN_FILTER_WIDTH: i64 = 7;

/// A loaded Whisper model, ready to transcribe. `Send + Sync`: share it behind an `Arc`.
pub struct Whisper {
    model: sys::Whisper,
    mel: MelExtractor,
    vocab: Vocabulary,
    special: SpecialTokens,
    suppress: Vec<i32>,
    multilingual: bool,
    language: Option<String>,
    beam_size: usize,
    word_timestamps: bool,
}

impl std::fmt::Debug for Whisper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Whisper")
            .field("model", &self.model)
            .field("language", &self.language)
            .field("beam_size", &self.beam_size)
            .finish()
    }
}

/// One decoding attempt of a window and the measures that judge it.
struct Decoded {
    tokens: Vec<usize>,
    avg_logprob: f64,
    no_speech_prob: f64,
    compression_ratio: f64,
    temperature: f32,
}

impl Whisper {
    /// Loads a faster-whisper (CTranslate2) model directory.
    pub fn load(model_dir: &Path, options: Options) -> Result<Self, Error> {
        if !model_dir.join("model.bin").is_file() {
            return Err(Error::model(model_dir, "no model.bin here"));
        }
        let config = sys::Config {
            device: match options.device {
                Device::Cpu => sys::Device::CPU,
                Device::Cuda if cfg!(feature = "cuda") => sys::Device::CUDA,
                Device::Cuda => return Err(Error::NoCuda),
            },
            compute_type: compute_type(&options.compute_type)?,
            num_threads_per_replica: options.threads,
            ..sys::Config::default()
        };
        let model = sys::Whisper::new(model_dir, config)
            .map_err(|e| Error::model(model_dir, format!("{e:#}")))?;
        let vocab = Vocabulary::load(model_dir)?;
        let special = SpecialTokens::find(&vocab, model_dir)?;
        let multilingual = model.is_multilingual();

        let mut suppress: Vec<i32> = read_suppress_ids(model_dir)?;
        suppress.extend(
            special
                .never
                .iter()
                .filter_map(|&id| i32::try_from(id).ok()),
        );
        suppress.sort_unstable();
        suppress.dedup();

        let language = match options.language.as_deref().map(str::trim) {
            None | Some("") | Some("auto") => None,
            Some(code) => Some(check_language(&vocab, multilingual, code)?),
        };

        Ok(Self {
            mel: MelExtractor::new(model.n_mels()),
            model,
            vocab,
            special,
            suppress,
            multilingual,
            language,
            beam_size: options.beam_size.max(1),
            word_timestamps: options.word_timestamps,
        })
    }

    /// Transcribes 16 kHz mono samples in the language given when the model was loaded (or
    /// detected). Blocks until done; `progress` hears how many seconds of audio are done after
    /// each window.
    pub fn transcribe(
        &self,
        pcm: &[f32],
        progress: &mut dyn FnMut(f64),
    ) -> Result<Transcript, Error> {
        self.transcribe_in(pcm, None, progress)
    }

    /// Transcribes as [`Whisper::transcribe`] does, in `language`: a code such as `es`,
    /// `auto` (or `detect`) to detect it, or `None` for the language the model was loaded
    /// with. A detected language is detected again in every 30-second window, so that a
    /// recording that moves between two languages keeps each in its own words; a window
    /// switches only when its detection is more likely than not.
    pub fn transcribe_in(
        &self,
        pcm: &[f32],
        language: Option<&str>,
        progress: &mut dyn FnMut(f64),
    ) -> Result<Transcript, Error> {
        let fixed = match language.map(str::trim) {
            None => self.language.clone(),
            Some("" | "auto" | "detect") => None,
            Some(code) => Some(check_language(&self.vocab, self.multilingual, code)?),
        };
        let duration = pcm.len() as f64 / SAMPLE_RATE as f64;
        let content_frames = pcm.len() / HOP_LENGTH;
        // The transcript's language and how sure its detection was; the current window's.
        let mut heard: Option<(String, Option<f64>)> = fixed.clone().map(|code| (code, None));
        let mut current: Option<String> = fixed.clone();
        let mut segments: Vec<Segment> = Vec::new();
        // Every token of the kept segments; the tail since the last reset prompts the next window.
        let mut all_tokens: Vec<usize> = Vec::new();
        let mut prompt_reset_since = 0;
        let mut seek = 0;
        // Where the current window ends when it is a stretch heard again in a language of
        // its own (see below), and the window start that was cut so (once per start).
        let mut limit: Option<usize> = None;
        let mut cut_at: Option<usize> = None;

        while seek < content_frames {
            let end = limit
                .take()
                .filter(|&end| end > seek)
                .unwrap_or(content_frames);
            let window_frames = WINDOW_FRAMES.min(end - seek);
            let time_offset = seek as f64 * SECONDS_PER_FRAME;
            let mut mel = self.mel.window(up_to(pcm, end), seek);
            if mel.peak < SILENT_WINDOW_PEAK {
                seek += window_frames;
                progress((seek as f64 * SECONDS_PER_FRAME).min(duration));
                continue;
            }
            let encoded = self.encode(&mut mel.values)?;

            // How sure the detection of this window's language was (1 when it was given).
            let mut window_sure = 1.0;
            if fixed.is_none() {
                let (code, probability) = self.detect_language(&encoded)?;
                window_sure = probability.unwrap_or(1.0);
                if heard.is_none() {
                    heard = Some((code.clone(), probability));
                }
                let switch = match &current {
                    None => true,
                    Some(now) => *now != code && probability.unwrap_or(1.0) > 0.5,
                };
                if switch {
                    // The previous text is in the other language: do not prompt with it.
                    prompt_reset_since = all_tokens.len();
                    current = Some(code);
                }
            }
            let language = current.clone().unwrap_or_else(|| "en".to_owned());
            let prompt = prompt(
                &self.vocab,
                &self.special,
                self.multilingual.then_some(language.as_str()),
                &all_tokens[prompt_reset_since..],
            );
            let decoded = self.decode_with_fallback(&encoded, &prompt)?;

            // Silence (or noise), as Whisper judges it; or music and other sound that is
            // not speech: the model thinks it is not speech, and either needed a high
            // temperature to write anything or could not tell which language it heard (on
            // music the multilingual model writes syllables of an unlikely language).
            let unsure = decoded.avg_logprob <= LOG_PROB_THRESHOLD
                || decoded.temperature > PROMPT_RESET_ON_TEMPERATURE
                || window_sure < 0.5;
            if decoded.no_speech_prob > NO_SPEECH_THRESHOLD && unsure {
                // Silence (or noise): skip the window rather than keep what was made up.
                seek += window_frames;
                progress((seek as f64 * SECONDS_PER_FRAME).min(duration));
                continue;
            }

            let (pieces, mut advance) = window::split(
                &decoded.tokens,
                self.special.timestamp_begin(),
                window_frames,
            );
            let confidence = decoded.avg_logprob.exp().clamp(0.0, 1.0);
            let mut kept = Vec::new();
            for piece in pieces {
                let text = decode_text(&self.vocab, &self.special, &piece.tokens);
                let text = text.trim().to_owned();
                // Punctuation alone (". . . .") is what the model writes for noise, not speech.
                if piece.start == piece.end || !text.chars().any(char::is_alphanumeric) {
                    continue;
                }
                kept.push((piece, text));
            }
            let mut bounds: Vec<(f64, f64)> = kept.iter().map(|(p, _)| (p.start, p.end)).collect();
            let mut words = if self.word_timestamps && !kept.is_empty() {
                let texts: Vec<Vec<usize>> = kept
                    .iter()
                    .map(|(piece, _)| self.text_tokens(&piece.tokens))
                    .collect();
                self.words(&encoded, &language, &texts, &mut bounds, window_frames)?
            } else {
                Vec::new()
            };
            // A window in two languages: Whisper writes the language it was told and skips
            // (or translates) the other, and may put the text it wrote over the other's
            // time; the words' times (when timed) say where it really was. When the language
            // is detected and the sound before the first segment (or after the last) is
            // in another language, that stretch is heard on its own: the window is cut
            // before the first segment, or the next one starts after the last. Only then:
            // sound in the same language left out is usually not speech, and heard again
            // it invites the model to repeat the text before it.
            if fixed.is_none() && self.multilingual {
                if let (Some(&(first, _)), Some(&(_, last))) = (bounds.first(), bounds.last()) {
                    let window_seconds = window_frames as f64 * SECONDS_PER_FRAME;
                    let first_frame = (first / SECONDS_PER_FRAME) as usize;
                    if cut_at != Some(seek)
                        && first > LANGUAGE_GAP
                        && has_sound(pcm, time_offset, time_offset + first)
                        && self.other_language(pcm, seek, seek + first_frame, &language)?
                    {
                        cut_at = Some(seek);
                        limit = Some(seek + first_frame);
                        continue;
                    }
                    let last_frame = (last / SECONDS_PER_FRAME) as usize;
                    if last + LANGUAGE_GAP < window_seconds
                        && last_frame > 0
                        && has_sound(pcm, time_offset + last, time_offset + window_seconds)
                        && self.other_language(
                            pcm,
                            seek + last_frame,
                            seek + window_frames,
                            &language,
                        )?
                    {
                        advance = advance.min(last_frame);
                    }
                }
            }
            let window_language = heard
                .as_ref()
                .filter(|(code, _)| fixed.is_none() && *code != language)
                .map(|_| language.clone());
            for (i, (piece, text)) in kept.into_iter().enumerate() {
                let words = words.get_mut(i).map(std::mem::take).unwrap_or_default();
                segments.push(Segment {
                    start: time_offset + bounds[i].0,
                    end: time_offset + bounds[i].1,
                    text,
                    confidence,
                    words: words
                        .into_iter()
                        .map(|w| crate::Word {
                            start: time_offset + w.start,
                            end: time_offset + w.end,
                            ..w
                        })
                        .collect(),
                    language: window_language.clone(),
                });
                all_tokens.extend(piece.tokens);
            }
            if decoded.temperature > PROMPT_RESET_ON_TEMPERATURE {
                prompt_reset_since = all_tokens.len();
            }
            seek += advance;
            progress((seek as f64 * SECONDS_PER_FRAME).min(duration));
        }

        progress(duration);
        let (language, language_probability) = heard.unwrap_or_else(|| ("en".to_owned(), None));
        Ok(Transcript {
            language,
            language_probability,
            segments: fit_within(segments, duration),
        })
    }

    /// Runs the encoder over one window's log-mel features (`n_mels` × 3000 values).
    fn encode(&self, features: &mut [f32]) -> Result<StorageView<'static>, Error> {
        let features = StorageView::new(
            &[1, self.mel.n_mels(), WINDOW_FRAMES],
            features,
            sys::Device::CPU,
        )
        .map_err(Error::inference)?;
        self.model
            .encode(&features, false)
            .map_err(Error::inference)
    }

    /// Whether the audio from frame `from` to `to` is, by its own detection, more likely than
    /// not in a language other than `language`.
    fn other_language(
        &self,
        pcm: &[f32],
        from: usize,
        to: usize,
        language: &str,
    ) -> Result<bool, Error> {
        let mut mel = self.mel.window(up_to(pcm, to), from);
        let encoded = self.encode(&mut mel.values)?;
        let (code, probability) = self.detect_language(&encoded)?;
        Ok(code != language && probability.unwrap_or(0.0) > 0.5)
    }

    /// The text tokens of a piece (no timestamps).
    fn text_tokens(&self, tokens: &[usize]) -> Vec<usize> {
        tokens
            .iter()
            .copied()
            .filter(|&t| t < self.special.eot)
            .collect()
    }

    /// The words of a window's kept segments (`texts`: each one's text tokens), timed from
    /// the cross-attention alignment; `bounds` (the segments' times in the window) may move
    /// to their words.
    fn words(
        &self,
        encoded: &StorageView,
        language: &str,
        texts: &[Vec<usize>],
        bounds: &mut [(f64, f64)],
        window_frames: usize,
    ) -> Result<Vec<Vec<crate::Word>>, Error> {
        let all: Vec<usize> = texts.iter().flatten().copied().collect();
        if all.is_empty() {
            return Ok(vec![Vec::new(); texts.len()]);
        }
        let mut start = vec![self.special.sot];
        if self.multilingual {
            start.extend(self.vocab.id(&format!("<|{language}|>")));
            start.extend(self.vocab.id("<|transcribe|>"));
        }
        let result = self
            .model
            .align(
                encoded,
                &start,
                std::slice::from_ref(&all),
                &[window_frames],
                MEDIAN_FILTER_WIDTH,
            )
            .map_err(Error::inference)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Inference("align returned no result".to_owned()))?;
        let steps: Vec<(i64, i64)> = result
            .alignments
            .iter()
            .map(|a| (a.token_x, a.frame_x))
            .collect();
        let spelled = words::spell(&self.vocab, &all, language);
        let timed = words::time(spelled, &steps, &result.text_token_probs);
        let counts: Vec<usize> = texts.iter().map(Vec::len).collect();
        Ok(words::place(timed, bounds, &counts))
    }

    /// The most likely language of a window, as a code (`en`), with its probability
    /// (`None` for an English-only model, which was not asked).
    fn detect_language(&self, encoded: &StorageView) -> Result<(String, Option<f64>), Error> {
        if !self.multilingual {
            return Ok(("en".to_owned(), None));
        }
        let results = self
            .model
            .detect_language(encoded)
            .map_err(Error::inference)?;
        let best = results
            .first()
            .and_then(|r| r.first())
            .ok_or_else(|| Error::Inference("language detection returned nothing".to_owned()))?;
        let code = best
            .language
            .trim_start_matches("<|")
            .trim_end_matches("|>")
            .to_owned();
        Ok((code, Some(f64::from(best.probability).clamp(0.0, 1.0))))
    }

    /// Decodes a window with beam search, and again at rising temperatures while the result
    /// is a loop (compresses too well) or unsure (low log-probability) but not silence.
    fn decode_with_fallback(
        &self,
        encoded: &StorageView,
        prompt: &[String],
    ) -> Result<Decoded, Error> {
        let mut attempts: Vec<Decoded> = Vec::new();
        for temperature in TEMPERATURES {
            let decoded = self.decode(encoded, prompt, temperature)?;
            let too_repetitive = decoded.compression_ratio > COMPRESSION_RATIO_THRESHOLD;
            let too_unsure = decoded.avg_logprob < LOG_PROB_THRESHOLD;
            let silence = decoded.no_speech_prob > NO_SPEECH_THRESHOLD && too_unsure;
            if silence || !(too_repetitive || too_unsure) {
                return Ok(decoded);
            }
            attempts.push(decoded);
        }
        // Every attempt failed: keep the most probable, preferring those that are not loops.
        let last_temperature = TEMPERATURES[TEMPERATURES.len() - 1];
        let not_loops = attempts
            .iter()
            .any(|d| d.compression_ratio <= COMPRESSION_RATIO_THRESHOLD);
        let best = attempts
            .into_iter()
            .filter(|d| !not_loops || d.compression_ratio <= COMPRESSION_RATIO_THRESHOLD)
            .max_by(|a, b| a.avg_logprob.total_cmp(&b.avg_logprob))
            .ok_or_else(|| Error::Inference("no decoding attempt".to_owned()))?;
        // The temperature reached decides whether the next prompt is reset.
        Ok(Decoded {
            temperature: last_temperature,
            ..best
        })
    }

    fn decode(
        &self,
        encoded: &StorageView,
        prompt: &[String],
        temperature: f32,
    ) -> Result<Decoded, Error> {
        let sampling = temperature > 0.0;
        let options = WhisperOptions {
            beam_size: if sampling { 1 } else { self.beam_size },
            num_hypotheses: if sampling { BEST_OF } else { 1 },
            sampling_topk: if sampling { 0 } else { 1 },
            sampling_temperature: if sampling { temperature } else { 1.0 },
            max_length: MAX_LENGTH,
            return_scores: true,
            return_no_speech_prob: true,
            max_initial_timestamp_index: MAX_INITIAL_TIMESTAMP_INDEX,
            suppress_blank: true,
            suppress_tokens: self.suppress.clone(),
            ..WhisperOptions::default()
        };
        let result = self
            .model
            .generate(encoded, &[prompt.to_vec()], &options)
            .map_err(Error::inference)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::Inference("generate returned no result".to_owned()))?;
        let tokens = result.sequences_ids.into_iter().next().unwrap_or_default();
        let score = f64::from(result.scores.first().copied().unwrap_or(f32::NEG_INFINITY));
        // CTranslate2 returns the cumulative log-probability divided by the length (length
        // penalty 1); Whisper's average counts the end-of-text token too.
        let avg_logprob = score * tokens.len() as f64 / (tokens.len() + 1) as f64;
        let text = decode_text(&self.vocab, &self.special, &tokens);
        Ok(Decoded {
            compression_ratio: window::compression_ratio(text.trim()),
            avg_logprob,
            no_speech_prob: f64::from(result.no_speech_prob),
            temperature,
            tokens,
        })
    }
}

/// `<|startofprev|> previous… <|startoftranscript|> [<|lang|> <|transcribe|>]`, leaving out
/// `<|notimestamps|>` so that the model writes timestamps. English-only models were trained
/// without the language and task tokens: their `language` is `None`.
fn prompt(
    vocab: &Vocabulary,
    special: &SpecialTokens,
    language: Option<&str>,
    previous: &[usize],
) -> Vec<String> {
    let token = |id: usize| vocab.token(id).unwrap_or_default().to_owned();
    let mut prompt = Vec::new();
    if !previous.is_empty() {
        prompt.push(token(special.sot_prev));
        let keep = previous.len().min(MAX_LENGTH / 2 - 1);
        prompt.extend(
            previous[previous.len() - keep..]
                .iter()
                .map(|&id| token(id)),
        );
    }
    prompt.push(token(special.sot));
    if let Some(language) = language {
        prompt.push(format!("<|{language}|>"));
        prompt.push("<|transcribe|>".to_owned());
    }
    prompt
}

/// Keeps every segment inside the audio and after its start: the last window is padded with
/// silence, and the model may put a final timestamp in that padding.
fn fit_within(segments: Vec<Segment>, duration: f64) -> Vec<Segment> {
    segments
        .into_iter()
        .map(|mut s| {
            s.end = s.end.min(duration);
            if s.start >= s.end {
                s.start = (s.end - TIME_PRECISION).max(0.0);
            }
            for word in &mut s.words {
                word.start = word.start.clamp(s.start, s.end);
                word.end = word.end.clamp(word.start, s.end);
            }
            s
        })
        .filter(|s| s.start < s.end)
        .collect()
}

fn compute_type(name: &str) -> Result<ComputeType, Error> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "default" => ComputeType::DEFAULT,
        "auto" => ComputeType::AUTO,
        "float32" => ComputeType::FLOAT32,
        "int8" => ComputeType::INT8,
        "int8_float32" => ComputeType::INT8_FLOAT32,
        "int8_float16" => ComputeType::INT8_FLOAT16,
        "int8_bfloat16" => ComputeType::INT8_BFLOAT16,
        "int16" => ComputeType::INT16,
        "float16" => ComputeType::FLOAT16,
        "bfloat16" => ComputeType::BFLOAT16,
        _ => return Err(Error::ComputeType(name.to_owned())),
    })
}

/// The model's own list of tokens never to produce (`config.json` `suppress_ids`, written by
/// the converter: punctuation-only and other non-speech tokens). CTranslate2 reads
/// `suppress_ids_begin` itself when blank suppression is on.
fn read_suppress_ids(model_dir: &Path) -> Result<Vec<i32>, Error> {
    #[derive(serde::Deserialize)]
    struct Config {
        #[serde(default)]
        suppress_ids: Vec<i32>,
    }
    let path = model_dir.join("config.json");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::model(model_dir, e))?;
    let config: Config = serde_json::from_str(&text)
        .map_err(|e| Error::model(model_dir, format!("config.json: {e}")))?;
    Ok(config.suppress_ids)
}

/// The language code if the model has a token for it.
fn check_language(vocab: &Vocabulary, multilingual: bool, code: &str) -> Result<String, Error> {
    let code = code.to_ascii_lowercase();
    let unsupported = |reason: &str| Error::Language {
        language: code.clone(),
        reason: reason.to_owned(),
    };
    if !multilingual {
        return if code == "en" {
            Ok(code)
        } else {
            Err(unsupported("the model is English-only"))
        };
    }
    match vocab.id(&format!("<|{code}|>")) {
        Some(_) => Ok(code),
        None => Err(unsupported("no such language token")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(start: f64, end: f64) -> Segment {
        Segment {
            start,
            end,
            text: "x".to_owned(),
            confidence: 1.0,
            words: Vec::new(),
            language: None,
        }
    }

    #[test]
    fn segments_that_run_into_the_padding_end_with_the_audio() {
        let fitted = fit_within(
            vec![segment(1.0, 4.0), segment(8.0, 12.0), segment(11.0, 14.0)],
            10.0,
        );
        assert_eq!(fitted.len(), 3);
        assert_eq!((fitted[1].start, fitted[1].end), (8.0, 10.0));
        assert!(fitted[2].start < fitted[2].end && fitted[2].end == 10.0);
    }

    fn whisper_vocab() -> (Vocabulary, SpecialTokens) {
        let mut tokens: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
        for special in [
            "<|endoftext|>",
            "<|startoftranscript|>",
            "<|en|>",
            "<|transcribe|>",
            "<|startofprev|>",
            "<|notimestamps|>",
            "<|0.00|>",
        ] {
            tokens.push(special.to_owned());
        }
        let vocab = Vocabulary::from_tokens(tokens);
        let special = SpecialTokens::find(&vocab, Path::new("test")).expect("specials");
        (vocab, special)
    }

    #[test]
    fn an_english_only_model_is_prompted_with_start_of_transcript_alone() {
        let (vocab, special) = whisper_vocab();
        assert_eq!(
            prompt(&vocab, &special, None, &[]),
            ["<|startoftranscript|>"]
        );
    }

    #[test]
    fn a_multilingual_model_is_told_the_language_and_the_task_without_notimestamps() {
        let (vocab, special) = whisper_vocab();
        assert_eq!(
            prompt(&vocab, &special, Some("en"), &[]),
            ["<|startoftranscript|>", "<|en|>", "<|transcribe|>"]
        );
    }

    #[test]
    fn the_previous_text_comes_first_cut_to_the_last_223_tokens() {
        let (vocab, special) = whisper_vocab();
        let previous: Vec<usize> = (0..300).map(|i| i % 10).collect();
        let p = prompt(&vocab, &special, None, &previous);
        assert_eq!(p.len(), 1 + 223 + 1);
        assert_eq!(p[0], "<|startofprev|>");
        assert_eq!(p[1], "w7"); // 300 - 223 = 77, and 77 % 10 = 7
        assert_eq!(p[223], "w9");
        assert_eq!(p[224], "<|startoftranscript|>");
    }

    #[test]
    fn a_second_of_sound_is_told_from_silence() {
        let rate = SAMPLE_RATE;
        let mut pcm = vec![0.0f32; rate * 3];
        for (i, x) in pcm[rate..rate * 2 + rate / 5].iter_mut().enumerate() {
            *x = 0.1 * (i as f32 * 0.05).sin();
        }
        assert!(has_sound(&pcm, 0.0, 3.0));
        assert!(!has_sound(&pcm, 2.3, 3.0));
        assert!(!has_sound(&pcm, 0.0, 1.0));
        assert!(!has_sound(&pcm, 5.0, 9.0), "past the end is silence");
    }

    #[test]
    fn compute_types_are_named_as_in_faster_whisper() {
        assert_eq!(compute_type("int8").ok(), Some(ComputeType::INT8));
        assert_eq!(compute_type("FLOAT16").ok(), Some(ComputeType::FLOAT16));
        assert!(matches!(compute_type("int4"), Err(Error::ComputeType(_))));
    }

    #[test]
    fn an_english_only_model_accepts_english_only() {
        let vocab = Vocabulary::from_tokens(vec!["<|en|>".to_owned(), "<|de|>".to_owned()]);
        assert_eq!(
            check_language(&vocab, false, "EN").ok().as_deref(),
            Some("en")
        );
        assert!(matches!(
            check_language(&vocab, false, "de"),
            Err(Error::Language { .. })
        ));
        assert_eq!(
            check_language(&vocab, true, "de").ok().as_deref(),
            Some("de")
        );
        assert!(matches!(
            check_language(&vocab, true, "xx"),
            Err(Error::Language { .. })
        ));
    }
}
