//! The vectors of a few fixed texts, recorded from the engine as it was on
//! candle-transformers' `BertModel` (candle 0.11.1) before `bert.rs` replaced it: the
//! encoder of our own must give the same vectors (to 1e-5), the same similarities (to 1e-5).

mod common;

use common::{cosine, embedder, max_difference, model_dir};
use weft_embed::{DIMENSIONS, MAX_TOKENS};

/// The query and its two paraphrases, a journal entry past the model's 256 tokens,
/// and accented Latin, Japanese, an emoji and Greek (accents stripped, some `[UNK]`).
const TEXTS: [&str; 5] = [
    "when did I talk about feeling tired",
    "I felt really tired all day today",
    "I was exhausted and had no energy",
    LONG,
    "Café au lait à Zürich, naïve façade — 東京で桜を見た 🌸 Ελληνικά!",
];

const LONG: &str =
    "This morning I woke up before the alarm, which never happens, and lay there listening to \
     the rain on the skylight. I made coffee in the old moka pot my grandmother gave me and \
    sat by the window while the street slowly filled with people going to work. At nine I \
    had the meeting with the design team about the new booking flow; it went better than I \
    feared, although Martin kept interrupting everyone and we ran twenty minutes over. Lunch \
     was leftovers from Sunday, eaten standing at the counter, because I wanted to finish \
    the draft of the grant proposal before the deadline on Thursday. In the afternoon the \
    sun came out and I took the bike along the canal to the library to return the books on \
    Portuguese history, and I stopped at the bakery on the corner for a cinnamon roll. My \
    sister called while I was cycling home; her daughter has chickenpox, so the visit we \
    planned for the weekend is off, which made me sadder than I expected. I spent the \
    evening repotting the fig tree, answering emails I had ignored for a week, and reading \
    two chapters of the novel about the lighthouse keeper. Before bed I wrote down three \
    things I am grateful for: the rain, the phone call, and the fact that the proposal is \
    finally almost done. Tomorrow I want to get up early again, go for a run by the river, \
    and ask Martin, kindly, to let the others finish their sentences. I also need to book \
    the dentist, buy a birthday present for Dad, and decide whether we are really going to \
    Lisbon in the spring or just staying home.";

/// The first and the last 8 values of each text's vector, in the order of `TEXTS`.
#[allow(clippy::excessive_precision)]
#[rustfmt::skip]
const ENDS: [([f32; 8], [f32; 8]); 5] = [
    // query
    ([-0.03969603, -0.010746756, 0.02571578, 0.11968815, 0.11261431, -0.06310983, 0.098361045, 0.03163837],
     [-0.044863652, 0.03924933, -0.017859971, -0.019964073, 0.059466027, 0.017107135, -0.11917304, 0.024514368]),
    // tired
    ([-0.0071109873, -0.0030601062, 0.022811677, 0.06491603, 0.14109154, -0.06534383, 0.03851662, 0.007943782],
     [-0.041334853, 0.011934789, -0.03166027, 0.0055649774, 0.0054393327, -0.08101854, -0.08070881, 0.013463282]),
    // exhausted
    ([0.06293236, 0.09442525, -0.014172139, 0.09333234, 0.12078204, -0.09150461, 0.0069073606, 0.03183886],
     [-0.03763105, -0.0059767556, -0.07607983, -0.032232296, 0.104245484, -0.07361951, -0.16798148, -0.006401601]),
    // long
    ([0.00012929378, 0.106258675, 0.087248735, 0.06864629, 0.034300085, 0.0024800515, -0.025064865, -0.016551306],
     [0.006675504, 0.014459877, -0.00019746197, 0.013913242, 0.036423948, -0.0029958268, -0.17994417, 0.0033676592]),
    // not ASCII
    ([0.033204693, 0.091296494, 0.08606699, -0.03657814, 0.047327984, 0.015767545, 0.04165492, -0.011163833],
     [0.0053474056, -0.005051625, 0.0064180545, -0.010928674, 0.061559383, 0.07127641, -0.061091825, -0.023310957]),
];

/// The cosine similarity of every pair of `TEXTS`.
#[allow(clippy::excessive_precision)]
const COSINES: [(usize, usize, f32); 10] = [
    (0, 1, 0.63094455),
    (0, 2, 0.48329493),
    (0, 3, 0.21342336),
    (0, 4, 0.027671933),
    (1, 2, 0.5729028),
    (1, 3, 0.23637053),
    (1, 4, 0.06756504),
    (2, 3, 0.38703626),
    (2, 4, 0.04388785),
    (3, 4, 0.22541232),
];

const TOLERANCE: f32 = 1e-5;

/// The long text really is past the truncation, so that the reference covers it.
#[test]
fn the_long_reference_text_is_past_256_tokens() {
    let mut tokenizer = tokenizers::Tokenizer::from_file(model_dir().join("tokenizer.json"))
        .expect("the model's tokenizer loads");
    tokenizer
        .with_truncation(None)
        .expect("truncation can be turned off");
    let tokens = tokenizer
        .encode_fast(LONG, true)
        .expect("the text tokenizes")
        .len();
    assert!(tokens > MAX_TOKENS, "{tokens} tokens");
}

/// The five texts in one batch (padded to the long one's 256 tokens) give the recorded
/// values and similarities.
#[test]
fn vectors_match_the_recorded_reference() {
    let vectors = embedder().embed(&TEXTS).expect("embedding works");
    let mut largest = 0.0f32;
    for (text, (vector, (first, last))) in TEXTS.iter().zip(vectors.iter().zip(&ENDS)) {
        let ends = vector[..8].iter().chain(&vector[DIMENSIONS - 8..]);
        for (got, want) in ends.zip(first.iter().chain(last)) {
            assert!(
                (got - want).abs() < TOLERANCE,
                "{text:.40?}: {got}, recorded {want}\nfirst {:?}\nlast {:?}",
                &vector[..8],
                &vector[DIMENSIONS - 8..]
            );
            largest = largest.max((got - want).abs());
        }
    }
    for (i, j, want) in COSINES {
        let got = cosine(&vectors[i], &vectors[j]);
        assert!(
            (got - want).abs() < TOLERANCE,
            "cosine of texts {i} and {j}: {got}, recorded {want}"
        );
        largest = largest.max((got - want).abs());
    }
    eprintln!("largest difference from the reference: {largest:e}");
}

/// Alone, each text gets the vector it gets in a batch with the others (padding leaks into
/// nothing), so the reference holds for both.
#[test]
fn each_reference_text_alone_matches_its_batched_vector() {
    let batched = embedder().embed(&TEXTS).expect("embedding works");
    let alone: Vec<Vec<f32>> = TEXTS
        .iter()
        .map(|text| {
            embedder()
                .embed(&[text])
                .expect("embedding works")
                .remove(0)
        })
        .collect();
    let difference = max_difference(&batched, &alone);
    assert!(
        difference < TOLERANCE,
        "alone and batched differ by {difference}"
    );
}
