//! Whisper's log-mel spectrogram, computed one 30-second window at a time.
//!
//! The numbers follow OpenAI Whisper's `log_mel_spectrogram` exactly (400-point STFT with a
//! periodic Hann window and a hop of 160 samples, centred frames with reflect padding at the
//! start, librosa's Slaney mel filterbank, `log10`, a floor 8 below the maximum, then
//! `(x + 4) / 4`). The maximum is taken over the window the model sees, which is how every
//! clip Whisper was trained on was normalised. The part of the last window after the end of
//! the audio is 0, as in faster-whisper (OpenAI's code pads with silence instead; with 0 the
//! model is less prone to invent words there, and the results match faster-whisper's).
//!
//! Weft computes this itself rather than with a mel crate: the model's accuracy depends on
//! reproducing exactly that preprocessing (the filterbank is checked against faster-whisper's
//! values in the tests), the FFT, its one heavy part, is rustfft's, and the rest is a
//! filterbank and a few loops.

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Samples per second the model expects.
pub const SAMPLE_RATE: usize = 16_000;
/// STFT size.
pub const N_FFT: usize = 400;
/// Samples between two frames (10 ms).
pub const HOP_LENGTH: usize = 160;
/// Frames in one 30-second window.
pub const WINDOW_FRAMES: usize = 3000;
/// Frequency bins of one STFT frame.
const N_BINS: usize = N_FFT / 2 + 1;

/// One window of model input.
#[derive(Debug, Clone)]
pub struct MelWindow {
    /// Normalised log-mel values, `[n_mels][3000]`.
    pub values: Vec<f32>,
    /// The loudest `log10` mel energy before normalisation: about 1 for speech at a normal
    /// level, -10 for digital silence, `-inf` for a window without audio.
    pub peak: f32,
}

/// One triangular filter, stored as its non-zero span only (a few bins out of 201).
#[derive(Debug, Clone)]
struct Filter {
    first_bin: usize,
    weights: Vec<f32>,
}

/// Computes normalised log-mel windows for a model with `n_mels` mel bins (80 or 128).
#[derive(Clone)]
pub struct MelExtractor {
    n_mels: usize,
    filters: Vec<Filter>,
    hann: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

impl std::fmt::Debug for MelExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelExtractor")
            .field("n_mels", &self.n_mels)
            .finish()
    }
}

impl MelExtractor {
    /// Prepares the filterbank, the window and the FFT plan.
    pub fn new(n_mels: usize) -> Self {
        let filters = mel_filters(n_mels)
            .into_iter()
            .map(|row| {
                let first_bin = row.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last_bin = row.iter().rposition(|&w| w > 0.0).unwrap_or(0);
                let weights = row[first_bin..=last_bin.max(first_bin)]
                    .iter()
                    .map(|&w| w as f32)
                    .collect();
                Filter { first_bin, weights }
            })
            .collect();
        // torch.hann_window(400) is periodic: the denominator is N, not N - 1.
        let hann = (0..N_FFT)
            .map(|n| {
                let phase = 2.0 * std::f64::consts::PI * n as f64 / N_FFT as f64;
                (0.5 - 0.5 * phase.cos()) as f32
            })
            .collect();
        let fft = FftPlanner::new().plan_fft_forward(N_FFT);
        Self {
            n_mels,
            filters,
            hann,
            fft,
        }
    }

    /// Mel bins per frame.
    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// The normalised log-mel spectrogram of the 3000 frames that start at frame `start_frame`
    /// of `pcm`, laid out as `[n_mels][3000]` (the model's input shape without the batch).
    /// Frames past the end of the audio are 0, as faster-whisper pads them.
    pub fn window(&self, pcm: &[f32], start_frame: usize) -> MelWindow {
        let mut out = vec![0.0f32; self.n_mels * WINDOW_FRAMES];
        let content = (pcm.len() / HOP_LENGTH)
            .saturating_sub(start_frame)
            .min(WINDOW_FRAMES);
        let mut buffer = vec![Complex32::new(0.0, 0.0); N_FFT];
        let mut scratch = vec![Complex32::new(0.0, 0.0); self.fft.get_inplace_scratch_len()];
        let mut power = [0.0f32; N_BINS];
        let mut max = f32::NEG_INFINITY;

        for frame in 0..content {
            let first = ((start_frame + frame) * HOP_LENGTH) as isize - (N_FFT / 2) as isize;
            for (k, slot) in buffer.iter_mut().enumerate() {
                let sample = sample_at(pcm, first + k as isize);
                *slot = Complex32::new(sample * self.hann[k], 0.0);
            }
            self.fft.process_with_scratch(&mut buffer, &mut scratch);
            for (p, c) in power.iter_mut().zip(&buffer[..N_BINS]) {
                *p = c.norm_sqr();
            }
            for (m, filter) in self.filters.iter().enumerate() {
                let bins = &power[filter.first_bin..filter.first_bin + filter.weights.len()];
                let energy: f32 = bins.iter().zip(&filter.weights).map(|(p, w)| p * w).sum();
                let log = energy.max(1e-10).log10();
                max = max.max(log);
                out[m * WINDOW_FRAMES + frame] = log;
            }
        }

        let floor = max - 8.0;
        for row in out.chunks_exact_mut(WINDOW_FRAMES) {
            for v in &mut row[..content] {
                *v = (v.max(floor) + 4.0) / 4.0;
            }
        }
        MelWindow {
            values: out,
            peak: max,
        }
    }
}

/// The sample at `index` of the audio as Whisper's STFT sees it: reflected before the start
/// (torch's `center=True, pad_mode="reflect"`), zero after the end.
fn sample_at(pcm: &[f32], index: isize) -> f32 {
    let i = if index < 0 { -index } else { index } as usize;
    pcm.get(i).copied().unwrap_or(0.0)
}

/// librosa's `filters.mel(sr=16000, n_fft=400, n_mels, htk=False, norm="slaney")`, the
/// filterbank Whisper ships in `mel_filters.npz`: `n_mels` rows of 201 weights.
pub fn mel_filters(n_mels: usize) -> Vec<Vec<f64>> {
    let fft_freqs: Vec<f64> = (0..N_BINS)
        .map(|i| i as f64 * (SAMPLE_RATE as f64 / 2.0) / (N_BINS - 1) as f64)
        .collect();
    let max_mel = hz_to_mel(SAMPLE_RATE as f64 / 2.0);
    let mel_freqs: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(max_mel * i as f64 / (n_mels + 1) as f64))
        .collect();

    (0..n_mels)
        .map(|m| {
            let (lower, centre, upper) = (mel_freqs[m], mel_freqs[m + 1], mel_freqs[m + 2]);
            // Slaney normalisation: each triangle has the same area.
            let norm = 2.0 / (upper - lower);
            fft_freqs
                .iter()
                .map(|&f| {
                    let rising = (f - lower) / (centre - lower);
                    let falling = (upper - f) / (upper - centre);
                    rising.min(falling).max(0.0) * norm
                })
                .collect()
        })
        .collect()
}

// The Slaney mel scale: linear below 1 kHz, logarithmic above.
const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        mel * F_SP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filterbank_has_one_row_of_201_weights_per_mel_bin() {
        for n_mels in [80, 128] {
            let filters = mel_filters(n_mels);
            assert_eq!(filters.len(), n_mels);
            assert!(filters.iter().all(|row| row.len() == 201));
            assert!(filters.iter().all(|row| row.iter().any(|&w| w > 0.0)));
        }
    }

    #[test]
    fn the_filterbank_matches_whispers() {
        // Reference values from faster-whisper's FeatureExtractor.get_mel_filters (float32),
        // which reproduces librosa's filterbank that Whisper ships in mel_filters.npz.
        let filters = mel_filters(80);
        let expect = |rows: &[Vec<f64>], m: usize, bin: usize, value: f64| {
            let got = rows[m][bin];
            assert!(
                (got - value).abs() < 1e-8,
                "[{m}][{bin}] = {got}, expected {value}"
            );
        };
        expect(&filters, 0, 0, 0.0);
        expect(&filters, 0, 1, 0.024_862_595);
        expect(&filters, 1, 1, 0.001_990_822);
        expect(&filters, 1, 2, 0.022_871_772);
        expect(&filters, 40, 42, 0.005_411_11);
        expect(&filters, 40, 43, 0.014_735_57);
        expect(&filters, 40, 44, 0.006_518_19);
        expect(&filters, 79, 200, 0.0);
        let nonzero: Vec<usize> = (0..201).filter(|&b| filters[40][b] > 0.0).collect();
        assert_eq!(nonzero, [42, 43, 44]);
        let peak_79 = filters[79].iter().copied().fold(0.0, f64::max);
        assert!((peak_79 - 0.003_164_711_6).abs() < 1e-8);

        let filters = mel_filters(128);
        let nonzero: Vec<f64> = filters[64].iter().copied().filter(|&w| w > 0.0).collect();
        assert_eq!(nonzero.len(), 2);
        assert!((nonzero[0] - 0.006_749_68).abs() < 1e-8);
        assert!((nonzero[1] - 0.018_091_52).abs() < 1e-8);
    }

    #[test]
    fn a_window_has_n_mels_by_3000_values_whatever_the_audio_length() {
        let mel = MelExtractor::new(80);
        for seconds in [0.5, 30.0, 45.0] {
            let pcm = tone(440.0, seconds);
            let window = mel.window(&pcm, 0).values;
            assert_eq!(window.len(), 80 * WINDOW_FRAMES);
        }
        assert_eq!(
            MelExtractor::new(128)
                .window(&tone(440.0, 1.0), 0)
                .values
                .len(),
            128 * 3000
        );
    }

    #[test]
    fn values_are_normalised_into_whispers_range() {
        let mel = MelExtractor::new(80);
        let window = mel.window(&tone(440.0, 3.0), 0).values;
        let max = window.iter().copied().fold(f32::MIN, f32::max);
        // After the floor at max - 8 and (x + 4) / 4 the range of the audio is exactly 2 wide.
        let audio: Vec<f32> = window
            .chunks(3000)
            .flat_map(|row| row[..300].to_vec())
            .collect();
        let min = audio.iter().copied().fold(f32::MAX, f32::min);
        assert!((max - min - 2.0).abs() < 1e-4, "range {min}..{max}");
        // The padding after 3 s is 0.
        assert!(window
            .chunks(3000)
            .all(|row| row[300..].iter().all(|&v| v == 0.0)));
    }

    #[test]
    fn a_tone_lights_up_the_mel_bin_of_its_frequency() {
        let mel = MelExtractor::new(80);
        let window = mel.window(&tone(1000.0, 2.0), 0).values;
        let frame = 100;
        let loudest = (0..80)
            .max_by(|&a, &b| {
                window[a * WINDOW_FRAMES + frame].total_cmp(&window[b * WINDOW_FRAMES + frame])
            })
            .unwrap_or(0);
        let filters = mel_filters(80);
        // 1000 Hz is bin 25 of the 400-point FFT at 16 kHz.
        assert!(filters[loudest][25] > 0.0, "loudest mel bin {loudest}");
    }

    #[test]
    fn a_later_window_starts_at_its_frame() {
        let mel = MelExtractor::new(80);
        let mut pcm = vec![0.0f32; SAMPLE_RATE * 40];
        pcm.extend(tone(2000.0, 5.0));
        let first = mel.window(&pcm, 0);
        let second = mel.window(&pcm, 3000);
        assert_eq!(first.peak, -10.0);
        assert!(second.peak > -1.0);
        let (first, second) = (first.values, second.values);
        let level = |w: &[f32], frame: usize| (0..80).map(|m| w[m * 3000 + frame]).sum::<f32>();
        // The tone starts 40 s in: frame 1000 of the second window, nowhere in the first.
        assert!(level(&second, 1100) > level(&second, 900) + 2.0);
        assert!((level(&first, 100) - level(&first, 2900)).abs() < 1e-3);
    }

    fn tone(freq: f32, seconds: f32) -> Vec<f32> {
        (0..(seconds * SAMPLE_RATE as f32) as usize)
            .map(|i| {
                0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / SAMPLE_RATE as f32).sin()
            })
            .collect()
    }
}
