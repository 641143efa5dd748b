//! Words with natural frequencies: spoken English's commonest words first, then a large
//! dictionary in a fixed shuffled order, drawn by Zipf's law (the n-th word is about 1/n as
//! frequent as the first), which is how word frequencies in real speech fall off.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// The commonest words of everyday spoken English, most frequent first.
const COMMON: &str = "i the and to a it you that of was in we so is just like my but this \
    know on for me have they with what be there not do he at all about it's really get \
    think then out one she up had go if when can were them her got would are some now \
    going because time day today went back him been his little more good home morning \
    night work people kids said well said much still right make see our us first over \
    after only thing things very feel felt too here way long last new week lot could \
    again came down off how did next into year before maybe other something tomorrow";

/// A vocabulary and its cumulative Zipf weights.
pub struct Vocabulary {
    pub words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    /// The common words, then the dictionary's plain lower-case words (shuffled by `seed`),
    /// up to `size` words in all.
    pub fn load(dictionary: &str, size: usize, seed: u64) -> Self {
        let mut words: Vec<String> = COMMON.split_whitespace().map(str::to_string).collect();
        let mut rest: Vec<String> = dictionary
            .lines()
            .map(str::trim)
            .filter(|w| (3..=14).contains(&w.len()) && w.chars().all(|c| c.is_ascii_lowercase()))
            .map(str::to_string)
            .collect();
        rest.sort_unstable();
        rest.dedup();
        rest.retain(|w| !words.contains(w));
        rest.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
        words.extend(rest);
        words.truncate(size.max(COMMON.split_whitespace().count()));
        Self::from_words(words)
    }

    /// A vocabulary of these words, in rank order.
    pub fn from_words(words: Vec<String>) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=words.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.05);
                total
            })
            .collect();
        Self { words, cumulative }
    }

    /// One word, by frequency.
    pub fn pick(&self, rng: &mut impl Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let target = rng.random::<f64>() * total;
        let at = self.cumulative.partition_point(|&c| c < target);
        &self.words[at.min(self.words.len() - 1)]
    }

    /// One word from ranks `from..to` (uniformly): for titles, which use the less common
    /// words that name things.
    pub fn pick_between(&self, rng: &mut impl Rng, from: usize, to: usize) -> &str {
        let to = to.min(self.words.len());
        &self.words[rng.random_range(from.min(to - 1)..to)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_come_first_and_are_drawn_most_often() {
        let vocabulary = Vocabulary::load("zebra\napple\nApple\nit's\nbanana\n", 1000, 1);
        assert_eq!(vocabulary.words[0], "i");
        assert!(vocabulary.words.contains(&"banana".to_string()));
        assert!(!vocabulary.words.contains(&"Apple".to_string()));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let firsts = (0..1000)
            .filter(|_| vocabulary.pick(&mut rng) == "i")
            .count();
        let lasts = (0..1000)
            .filter(|_| vocabulary.pick(&mut rng) == "zebra")
            .count();
        assert!(firsts > lasts * 5, "{firsts} vs {lasts}");
    }
}
