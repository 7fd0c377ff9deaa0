//! Built-in chain specifications: `dev` (instant sealing, Alice) and `local` (Aura + GRANDPA,
//! Alice and Bob).

use sc_service::ChainType;
use serde_json::json;

/// Chain specification of Cairn chains.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Id of the dev chain; the node seals it on demand instead of running Aura + GRANDPA.
pub const DEV_CHAIN_ID: &str = "dev";

fn properties() -> sc_service::Properties {
	let properties = json!({ "tokenSymbol": "CAIRN", "tokenDecimals": 12, "ss58Format": 42 });
	properties.as_object().expect("a JSON object literal").clone()
}

fn wasm_binary() -> Result<&'static [u8], String> {
	cairn_runtime::WASM_BINARY
		.ok_or_else(|| "The runtime wasm was not built (SKIP_WASM_BUILD?)".into())
}

/// One authority (Alice), prefunded dev accounts, blocks sealed and finalized on demand.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Cairn Development")
		.with_id(DEV_CHAIN_ID)
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Two validators (Alice and Bob) running Aura and GRANDPA.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("Cairn Local Testnet")
		.with_id("cairn_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
