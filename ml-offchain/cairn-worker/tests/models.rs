//! Weights in and out, with the real `cairn-worker`: train, export as safetensors, hash the file,
//! continue training from it, replay the continued run; and every wrong file or flag is a clear
//! error.

use std::{
	path::{Path, PathBuf},
	process::{Command, Output},
};

const WORKER: &str = env!("CARGO_BIN_EXE_cairn-worker");

fn digits() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/digits.bin")
}

fn worker(args: &[&str]) -> Output {
	Command::new(WORKER)
		.args(args)
		.env("RUST_LOG", "warn")
		.output()
		.expect("cairn-worker runs")
}

fn ok(args: &[&str]) -> String {
	let output = worker(args);
	assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
	String::from_utf8(output.stdout).unwrap()
}

fn fails(args: &[&str]) -> String {
	let output = worker(args);
	assert!(!output.status.success(), "{args:?} succeeded");
	String::from_utf8(output.stderr).unwrap()
}

/// `train` flags of a digits task of 20 steps into `dir`, after `model` flags.
fn train_args<'a>(dir: &'a str, data: &'a str, model: &[&'a str]) -> Vec<&'a str> {
	let mut args = vec!["train", "--name", "digits", "--dir", dir, "--dataset-file", data];
	args.extend_from_slice(model);
	args.extend_from_slice(&["--steps", "20", "--checkpoint-interval", "10"]);
	args
}

/// The value after `label` on its line of `output`.
fn line<'a>(output: &'a str, label: &str) -> &'a str {
	output.lines().find_map(|l| l.strip_prefix(label)).map(str::trim).expect(label)
}

#[test]
fn a_trained_model_is_exported_hashed_and_continued() {
	let tmp = tempfile::tempdir().unwrap();
	let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
	let data = digits().to_str().unwrap().to_owned();
	let (first, second, file) = (path("first"), path("second"), path("first.safetensors"));

	let trained = ok(&train_args(&first, &data, &["--mlp", "64-32-10", "--activation", "tanh"]));
	let weights_hash = line(&trained, "weights hash:");
	let exported = ok(&["export", "--dir", &first, "--out", &file]);
	assert_eq!(line(&exported, "weights hash:"), weights_hash);
	let hashed = ok(&["weights-hash", &file]);
	assert_eq!(line(&hashed, "weights hash:"), weights_hash, "the same weights, the same identity");
	assert_eq!(line(&hashed, "widths:"), "64-32-10");

	// Continued from the file alone: its metadata names the architecture (tanh).
	let continued = ok(&train_args(&second, &data, &["--from-model", "3", "--parent", &file]));
	assert_ne!(line(&continued, "weights hash:"), weights_hash);
	let run: serde_json::Value =
		serde_json::from_slice(&std::fs::read(tmp.path().join("second/run.json")).unwrap())
			.unwrap();
	assert!(run["parent"]["weights"].is_string(), "the run records its parent: {run}");
	// The parent is step 0 of the continued run; its segments replay from the record alone.
	let replayed = ok(&["replay", "--dir", &second, "--dataset-file", &data, "--segment", "1"]);
	assert!(replayed.ends_with("match\n"), "{replayed}");
	let again = ok(&["export", "--dir", &second, "--out", &path("second.safetensors")]);
	assert_eq!(line(&again, "weights hash:"), line(&continued, "weights hash:"));
	// The same flags with the architecture given explicitly: the same run.
	let explicit = ok(&train_args(
		&path("third"),
		&data,
		&["--from-model", "3", "--parent", &file, "--mlp", "64-32-10", "--activation", "tanh"],
	));
	assert_eq!(line(&explicit, "checkpoint root:"), line(&continued, "checkpoint root:"));
}

#[test]
fn a_transformer_trains_on_bytes_exports_its_blocks_and_continues() {
	let tmp = tempfile::tempdir().unwrap();
	let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
	let text = cairn_train::dataset::text::SyntheticText { seed: 5, len: 4000 }.generate();
	let data = path("text.bin");
	std::fs::write(&data, cairn_train::dataset::text::windows(&text, 16, 17).unwrap()).unwrap();
	let shape = ["--transformer", "v256-t16-d16-h2-b1-f32", "--activation", "gelu"];
	fn with<'a>(model: &[&'a str]) -> Vec<&'a str> {
		[model, &["--batch-size", "8"]].concat()
	}

	let trained = ok(&train_args(&path("first"), &data, &with(&shape)));
	let loss: f64 = line(&trained, "held-out loss:").split(' ').next().unwrap().parse().unwrap();
	assert!(loss > 0.0 && loss < (256f64).ln(), "below a uniform guess: {trained}");
	assert!(trained.contains("perplexity"), "{trained}");
	let file = path("first.safetensors");
	let exported = ok(&["export", "--dir", &path("first"), "--out", &file]);
	assert_eq!(line(&exported, "weights hash:"), line(&trained, "weights hash:"));
	let hashed = ok(&["weights-hash", &file]);
	assert_eq!(line(&hashed, "weights hash:"), line(&trained, "weights hash:"));
	// Embeddings 256·16 + 16·16; a block of norms 4·16, qkv 16·48+48, output 16·16+16, up
	// 16·32+32 and down 32·16+16; the final norm 2·16 and the head 16·256+256.
	assert_eq!(line(&hashed, "parameters:"), (4352 + 2224 + 32 + 4352).to_string());
	assert!(!hashed.contains("widths:"), "{hashed}");
	let continued =
		ok(&train_args(&path("second"), &data, &with(&["--from-model", "3", "--parent", &file])));
	assert_ne!(line(&continued, "weights hash:"), line(&trained, "weights hash:"));
	let replayed =
		ok(&["replay", "--dir", &path("second"), "--dataset-file", &data, "--segment", "1"]);
	assert!(replayed.ends_with("match\n"), "{replayed}");
	// A batch of more than 512 tokens is refused before anything is trained.
	let error =
		fails(&train_args(&path("wide"), &data, &[&shape[..], &["--batch-size", "33"]].concat()));
	assert!(error.contains("--batch-size must be 1 to 32"), "{error}");
}

#[test]
fn wrong_weights_and_flags_are_clear_errors() {
	let tmp = tempfile::tempdir().unwrap();
	let path = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
	let data = digits().to_str().unwrap().to_owned();
	let garbage = path("garbage.safetensors");
	std::fs::write(&garbage, b"{\"not\": \"weights\"}").unwrap();
	assert!(fails(&["weights-hash", &garbage]).contains("not a weights file"));
	assert!(fails(&["weights-hash", &path("missing")]).contains("cannot read"));

	ok(&train_args(&path("run"), &data, &["--mlp", "64-16-10"]));
	let file = path("run.safetensors");
	ok(&["export", "--dir", &path("run"), "--out", &file]);
	let wrong = ["--from-model", "1", "--parent", &file, "--mlp", "64-32-10"];
	assert!(fails(&train_args(&path("x"), &data, &wrong)).contains("do not fit"));
	assert!(fails(&train_args(&path("y"), &data, &["--from-model", "1"])).contains("--parent"));
	assert!(fails(&train_args(&path("z"), &data, &["--mlp", "64-16-10", "--parent", &file]))
		.contains("--from-model"));
	let register = ["register-model", "--name", "m", "--mlp", "64-32-10", "--weights-file", &file];
	assert!(fails(&[&register[..], &["--suri", "//Alice"]].concat()).contains("do not fit"));
	assert!(fails(&["export", "--dir", &path("nothing"), "--out", &path("o")]).contains("run.json"));
	assert!(!tmp.path().join("x/run.json").exists(), "nothing was trained");
}
