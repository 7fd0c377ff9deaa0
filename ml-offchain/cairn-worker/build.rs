//! The `#[subxt::subxt]` macro reads `artifacts/metadata.scale` at compile time, but Cargo does not
//! know that: tell it to rebuild the worker when the metadata changes.

fn main() {
	println!("cargo::rerun-if-changed=../artifacts/metadata.scale");
}
