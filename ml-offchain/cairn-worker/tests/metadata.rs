//! The worker's chain API is generated from `artifacts/metadata.scale`. This test fails when that
//! file differs from the metadata a running node serves, that is, when the runtime changed and
//! `scripts/update-metadata.sh` was not run. It needs a node, so it is ignored by default:
//! `scripts/test.sh` runs it against a dev node with `CAIRN_NODE_WS` set to the node's RPC endpoint
//! (for example `CAIRN_NODE_WS=ws://127.0.0.1:9944 cargo test --test metadata -- --ignored`).

use subxt::{
	config::RpcConfigFor,
	ext::codec::{Decode, Encode},
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	SubstrateConfig,
};

/// The metadata the worker was generated from.
const COMMITTED: &[u8] = include_bytes!("../../artifacts/metadata.scale");

#[tokio::test]
#[ignore = "needs a node: run with CAIRN_NODE_WS set and --ignored (scripts/test.sh does)"]
async fn committed_metadata_is_what_the_node_serves() {
	let url = std::env::var("CAIRN_NODE_WS")
		.expect("set CAIRN_NODE_WS to a Cairn node's RPC endpoint to compare metadata");
	let served = served_metadata(&url).await;
	assert!(
		served == COMMITTED,
		"ml-offchain/artifacts/metadata.scale ({} bytes) differs from the metadata {url} serves \
         ({} bytes): run scripts/update-metadata.sh and rebuild the worker",
		COMMITTED.len(),
		served.len(),
	);
}

/// The newest stable metadata version the node's runtime offers, as subxt fetches it at run time
/// and as `scripts/update-metadata.sh` writes it.
async fn served_metadata(url: &str) -> Vec<u8> {
	let rpc = RpcClient::from_url(url)
		.await
		.unwrap_or_else(|e| panic!("cannot connect to CAIRN_NODE_WS={url}: {e}"));
	let methods = LegacyRpcMethods::<RpcConfigFor<SubstrateConfig>>::new(rpc);

	let versions = methods
		.state_call("Metadata_metadata_versions", None, None)
		.await
		.expect("Metadata_metadata_versions failed");
	let versions = Vec::<u32>::decode(&mut &versions[..]).expect("metadata versions decode");
	// u32::MAX marks the unstable version.
	let newest = versions
		.into_iter()
		.filter(|v| *v != u32::MAX)
		.max()
		.expect("the runtime offers no stable metadata version");

	let reply = methods
		.state_call("Metadata_metadata_at_version", Some(&newest.encode()), None)
		.await
		.expect("Metadata_metadata_at_version failed");
	Option::<Vec<u8>>::decode(&mut &reply[..])
		.expect("metadata decode")
		.unwrap_or_else(|| panic!("the runtime returned no metadata V{newest}"))
}
