//! Language-model datasets: a byte text cut into windows, and seeded synthetic text to test and
//! benchmark with.
//!
//! A window of `context + 1` bytes is one sample: its first `context` bytes are the features (the
//! token ids a transformer reads), the byte after them its label. The header has 256 classes and
//! `max_value` 255: the vocabulary of a byte-level transformer.

use super::{DatasetError, Header, HEADER_LEN};
use crate::rng::SplitMix64;

const DOMAIN: &[u8] = b"cairn/synthetic-text";

/// The dataset file of the windows of `text` that start every `stride` bytes, each `context + 1`
/// bytes long; an error when `context` or `stride` is 0 or there are more windows than a header
/// counts.
pub fn windows(text: &[u8], context: u32, stride: u32) -> Result<Vec<u8>, DatasetError> {
	if context == 0 || stride == 0 {
		return Err(DatasetError::Malformed("windows need a context and a stride above 0"));
	}
	let (window, stride) = (context as usize + 1, stride as usize);
	let starts = (0..text.len().saturating_sub(window - 1)).step_by(stride);
	let samples = u32::try_from(starts.len())
		.map_err(|_| DatasetError::Malformed("more windows than a dataset holds"))?;
	let header = Header { samples, features: context, classes: 256, max_value: u8::MAX };
	let mut bytes = Vec::with_capacity(HEADER_LEN + samples as usize * window);
	bytes.extend_from_slice(&header.encode());
	for start in starts {
		bytes.extend_from_slice(&text[start..start + window]);
	}
	Ok(bytes)
}

/// Parameters of a synthetic text: sentences of a small grammar ("the quick fox sees a red
/// box."), something a small model learns to spell and continue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntheticText {
	/// Seed of every random draw.
	pub seed: u64,
	/// Bytes of text.
	pub len: usize,
}

const ARTICLES: &[&str] = &["the", "a", "one", "every"];
const ADJECTIVES: &[&str] = &["quick", "red", "small", "old", "bright", "quiet", "green", "tall"];
const NOUNS: &[&str] = &["fox", "box", "river", "stone", "bird", "house", "tree", "cloud"];
const VERBS: &[&str] = &["sees", "finds", "follows", "holds", "meets", "passes", "likes"];

impl SyntheticText {
	/// The text: each sentence is an article, an optional adjective and a noun, a verb, then
	/// another such phrase and a full stop, every choice drawn from one [`SplitMix64`] stream;
	/// cut to `len` bytes.
	pub fn generate(&self) -> Vec<u8> {
		let mut rng = SplitMix64::derive(DOMAIN, self.seed, 0);
		let mut text = String::with_capacity(self.len + 64);
		while text.len() < self.len {
			for ending in [" ", ". "] {
				text.push_str(pick(&mut rng, ARTICLES));
				text.push(' ');
				// Half the phrases have an adjective.
				if rng.below(2) == 0 {
					text.push_str(pick(&mut rng, ADJECTIVES));
					text.push(' ');
				}
				text.push_str(pick(&mut rng, NOUNS));
				text.push_str(ending);
				if ending == " " {
					text.push_str(pick(&mut rng, VERBS));
					text.push(' ');
				}
			}
		}
		let mut bytes = text.into_bytes();
		bytes.truncate(self.len);
		bytes
	}
}

/// One of `words`, drawn from `rng`.
fn pick(rng: &mut SplitMix64, words: &[&'static str]) -> &'static str {
	words[rng.below(words.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::dataset::{dataset_ref, Dataset};

	#[test]
	fn windows_are_samples_of_context_tokens_and_the_next() {
		let text = b"abcdefghijklmnop";
		let bytes = windows(text, 3, 2).unwrap();
		let reference = dataset_ref(&bytes, Default::default());
		let data = Dataset::from_bytes(&bytes, &reference).unwrap();
		// Starts 0, 2, ..., 12: the window at 14 would need 2 bytes more.
		assert_eq!(data.header(), Header { samples: 7, features: 3, classes: 256, max_value: 255 });
		assert_eq!(data.features(1), b"cde");
		assert_eq!(data.label(1), b'f');
		assert_eq!(data.features(6), b"mno");
		assert_eq!(data.label(6), b'p');
		assert!(windows(text, 0, 1).is_err());
		assert!(windows(text, 3, 0).is_err());
		assert_eq!(windows(b"abc", 3, 1).unwrap().len(), HEADER_LEN);
	}

	#[test]
	fn synthetic_text_is_a_pure_function_of_seed_and_length() {
		let text = SyntheticText { seed: 5, len: 300 }.generate();
		assert_eq!(text.len(), 300);
		assert_eq!(SyntheticText { seed: 5, len: 300 }.generate(), text);
		assert_ne!(SyntheticText { seed: 6, len: 300 }.generate(), text);
		assert!(text.iter().all(|b| b.is_ascii_lowercase() || b" .".contains(b)));
		assert!(text.windows(2).any(|w| w == b". "));
	}
}
