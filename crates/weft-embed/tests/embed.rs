//! The engine with the real all-MiniLM-L6-v2 model (scripts/install-deps fetches it).

mod common;

use common::{cosine, embedder, max_difference};
use weft_embed::{EmbedError, Embedder, DIMENSIONS};

/// The issue's example: a paraphrase query finds what was said about being tired, with the
/// similarities sentence-transformers gives (0.63 and 0.48), far above unrelated sentences.
#[test]
fn a_paraphrase_query_ranks_what_was_meant_first() {
    let query = "when did I talk about feeling tired";
    let passages = [
        "I felt really tired all day today",
        "I was exhausted and had no energy",
        "We planted tomatoes and basil in the garden",
        "The train to Lisbon leaves at nine in the morning",
        "My sister bought a red car last week",
        "The quarterly report is due on Friday",
    ];
    let mut texts = vec![query];
    texts.extend(passages);
    let vectors = embedder().embed(&texts).expect("embedding works");
    let scores: Vec<f32> = vectors[1..]
        .iter()
        .map(|v| cosine(&vectors[0], v))
        .collect();
    eprintln!("similarities to {query:?}: {scores:?}");
    assert!((scores[0] - 0.63).abs() < 0.02, "tired: {}", scores[0]);
    assert!((scores[1] - 0.48).abs() < 0.02, "exhausted: {}", scores[1]);
    for (passage, score) in passages.iter().zip(&scores).skip(2) {
        assert!(*score < 0.19, "{passage:?} scored {score}");
    }
}

#[test]
fn vectors_have_384_dimensions_and_norm_1() {
    let vectors = embedder()
        .embed(&[
            "A short one.",
            "A somewhat longer sentence about the weather in spring.",
        ])
        .expect("embedding works");
    assert_eq!(vectors.len(), 2);
    for v in &vectors {
        assert_eq!(v.len(), DIMENSIONS);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert!(
        cosine(&vectors[0], &vectors[1]) < 0.99,
        "different texts, different vectors"
    );
}

/// More texts than one internal batch, of very different lengths: each vector is the one the
/// text gets alone, in the order given (padding does not leak into the pooling).
#[test]
fn a_batch_gives_the_vectors_of_one_by_one() {
    let long = "We walked along the river for hours and talked about moving to another city. ";
    let owned: Vec<String> = (0..21)
        .map(|i| match i % 3 {
            0 => format!("Entry {i}."),
            1 => format!("Entry {i}: {}", long.repeat(i % 5 + 1)),
            _ => format!("Day {i}, nothing much happened."),
        })
        .collect();
    let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
    let batched = embedder().embed(&texts).expect("embedding works");
    let alone: Vec<Vec<f32>> = texts
        .iter()
        .map(|t| embedder().embed(&[t]).expect("embedding works").remove(0))
        .collect();
    let difference = max_difference(&batched, &alone);
    assert!(
        difference < 1e-4,
        "batched and alone differ by {difference}"
    );
}

/// A text past the model's 256 tokens is truncated there, not at the packaged tokenizer's 128:
/// what comes after token 256 does not count, what comes before does.
#[test]
fn a_text_longer_than_256_tokens_is_truncated() {
    // 14 tokens a sentence: 30 of them are 420 tokens, 13 are 182 (past 128, within 256).
    let sentence = "I kept a journal every evening of that long summer by the sea. ";
    let endings = [
        " And in the end we sold the house and moved away.",
        " Quantum chromodynamics describes the strong nuclear force.",
    ];
    for (repeats, tails_count) in [(30, false), (13, true)] {
        let head = sentence.repeat(repeats);
        let texts: Vec<String> = endings.iter().map(|end| format!("{head}{end}")).collect();
        let vectors = embedder()
            .embed(&[&texts[0], &texts[1]])
            .expect("a long text embeds");
        assert_eq!(vectors[0].len(), DIMENSIONS);
        let difference = max_difference(&vectors[..1], &vectors[1..]);
        if tails_count {
            assert!(difference > 1e-3, "a tail before token 256 was cut off");
        } else {
            assert!(
                difference < 1e-5,
                "a tail after token 256 changed the vector by {difference}"
            );
        }
    }
}

/// Empty text, whitespace and NUL bytes give unit vectors, not a panic; nothing gives nothing.
#[test]
fn empty_text_and_nul_bytes_embed() {
    let texts = ["", "   ", "\0", "tired\0 all day", "\0\0\0"];
    let vectors = embedder().embed(&texts).expect("odd text embeds");
    assert_eq!(vectors.len(), texts.len());
    for v in &vectors {
        assert_eq!(v.len(), DIMENSIONS);
        assert!(v.iter().all(|x| x.is_finite()));
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
    assert!(embedder().embed(&[]).expect("no texts").is_empty());
}

/// A directory without the model says what is missing and how to get it.
#[test]
fn a_missing_model_says_to_run_install_deps() {
    let dir = std::env::temp_dir().join(format!("weft-embed-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let error = Embedder::load(&dir).expect_err("an empty directory is no model");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(matches!(error, EmbedError::Model { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("model.safetensors is missing"),
        "{message}"
    );
    assert!(message.contains("scripts/install-deps"), "{message}");
}

/// Another sentence-transformers model's CLS pooling is refused, not run as mean pooling.
#[test]
fn a_model_with_another_pooling_is_refused() {
    let dir = std::env::temp_dir().join(format!("weft-embed-cls-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("1_Pooling")).expect("temp dir");
    for file in ["model.safetensors", "config.json", "tokenizer.json"] {
        std::fs::write(dir.join(file), "").expect("write");
    }
    std::fs::write(
        dir.join("1_Pooling/config.json"),
        r#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#,
    )
    .expect("write");
    let error = Embedder::load(&dir).expect_err("CLS pooling is not implemented");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        error
            .to_string()
            .contains("a pooling other than mean pooling"),
        "{error}"
    );
}

/// A `config.json` naming something the encoder does not implement is refused with what it
/// names, rather than run as all-MiniLM-L6-v2 and giving wrong vectors.
#[test]
fn a_config_the_encoder_does_not_implement_is_refused() {
    let real: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::model_dir().join("config.json")).expect("config.json"),
    )
    .expect("config.json is JSON");
    let cases = [
        (
            "hidden_act",
            serde_json::json!("swish"),
            "hidden_act \"swish\" is not implemented",
        ),
        (
            "hidden_act",
            serde_json::json!("gelu\0"),
            "is not implemented",
        ),
        (
            "position_embedding_type",
            serde_json::json!("relative_key"),
            "position embeddings other than \"absolute\"",
        ),
        (
            "model_type",
            serde_json::json!("roberta"),
            "a model type other than \"bert\"",
        ),
        (
            "is_decoder",
            serde_json::json!(true),
            "a decoder, not an encoder",
        ),
        (
            "num_attention_heads",
            serde_json::json!(7),
            "does not split into 7 attention heads",
        ),
        ("hidden_size", serde_json::json!(768), "hidden_size 768"),
    ];
    let dir = std::env::temp_dir().join(format!("weft-embed-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for file in ["model.safetensors", "tokenizer.json"] {
        std::fs::write(dir.join(file), "").expect("write");
    }
    for (field, value, expected) in cases {
        let mut config = real.clone();
        config[field] = value;
        std::fs::write(dir.join("config.json"), config.to_string()).expect("write");
        let error = Embedder::load(&dir).expect_err("an unsupported config is refused");
        assert!(matches!(error, EmbedError::Model { .. }), "{error:?}");
        assert!(error.to_string().contains(expected), "{field}: {error}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
