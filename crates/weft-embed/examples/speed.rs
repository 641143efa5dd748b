//! How fast the engine is on this machine: the median time of one query embedding (8 words),
//! of one passage embedding (about 80 words, some 30 seconds of speech), and passages per
//! second in batches of 16.
//!
//! `cargo run --release -p weft-embed --example speed [-- THREADS]` (default 1, what
//! `Embedder::load` uses); the model is found as Weft finds it (`WEFT_EMBEDDING_MODEL`, else
//! the tools dir).

use std::time::{Duration, Instant};

use weft_embed::Embedder;

const QUERY: &str = "when did I talk about feeling tired lately";

const PASSAGE: &str = "So today was a long one. I woke up early because the neighbours were \
    drilling again, and then I spent most of the morning on the report that is due on Friday. \
    After lunch I went for a walk by the river with Anna, and we talked about whether we should \
    move closer to her parents next year. I still do not know what I want. In the evening I \
    cooked pasta, called my brother, and now I am just really tired.";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads = match std::env::args().nth(1) {
        Some(arg) => arg.parse()?,
        None => 1,
    };
    let dir = weft_embed::default_model_dir().ok_or(
        "no embedding model: run scripts/install-deps or crates/weft-embed/fetch-model.sh",
    )?;
    let started = Instant::now();
    let embedder = Embedder::load_with_threads(&dir, threads)?;
    println!(
        "model loaded in {:.0} ms from {}",
        ms(started.elapsed()),
        dir.display()
    );
    println!("threads: {threads}");
    println!(
        "query: {} words; passage: {} words",
        words(QUERY),
        words(PASSAGE)
    );

    let query = median_of(50, || {
        embedder.embed(&[QUERY])?;
        Ok(())
    })?;
    println!("one query embedding: median {:.1} ms (50 runs)", ms(query));

    let passage = median_of(20, || {
        embedder.embed(&[PASSAGE])?;
        Ok(())
    })?;
    println!(
        "one passage embedding: median {:.1} ms (20 runs)",
        ms(passage)
    );

    // Sixteen different passages of about the same length, as a transcript's passages are.
    let sentences: Vec<&str> = PASSAGE.split_inclusive(". ").collect();
    let batch: Vec<String> = (0..16)
        .map(|i| {
            let mut s = sentences.clone();
            s.rotate_left(i % sentences.len());
            format!("Entry {i}. {}", s.concat())
        })
        .collect();
    let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
    let per_batch = median_of(7, || {
        embedder.embed(&batch)?;
        Ok(())
    })?;
    println!(
        "batches of 16 passages: median {:.0} ms a batch, {:.1} passages/s (7 runs)",
        ms(per_batch),
        16.0 / per_batch.as_secs_f64()
    );
    Ok(())
}

/// The median of `runs` timed calls, after one untimed call to warm up.
fn median_of(
    runs: usize,
    mut f: impl FnMut() -> Result<(), weft_embed::EmbedError>,
) -> Result<Duration, weft_embed::EmbedError> {
    f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}
