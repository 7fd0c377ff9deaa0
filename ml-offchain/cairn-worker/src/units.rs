//! Amounts of CAIRN: the chain counts in units of 10^-12 CAIRN ("planck"); people write decimals.

use anyhow::{bail, Context};

/// Decimal places of one CAIRN.
pub const DECIMALS: u32 = 12;
/// Base units in one CAIRN.
pub const UNIT: u128 = 10u128.pow(DECIMALS);

/// Parses a decimal amount of CAIRN such as `10`, `0.5` or `1_000.25` into base units, exactly:
/// more than 12 decimal places or an overflow is an error, never a rounding.
pub fn parse_cairn(text: &str) -> anyhow::Result<u128> {
	let cleaned: String = text.trim().chars().filter(|c| *c != '_').collect();
	let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
	if whole.is_empty() && fraction.is_empty() {
		bail!("{text:?} is not an amount of CAIRN (expected e.g. 10 or 0.5)");
	}
	let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
	if !all_digits(whole) || !all_digits(fraction) {
		bail!("{text:?} is not an amount of CAIRN (expected e.g. 10 or 0.5)");
	}
	if fraction.len() > DECIMALS as usize {
		bail!("{text:?} has more than {DECIMALS} decimal places");
	}
	let whole: u128 = if whole.is_empty() {
		0
	} else {
		whole.parse().with_context(|| format!("{text:?} is too large"))?
	};
	let fraction: u128 = if fraction.is_empty() {
		0
	} else {
		let padded = format!("{fraction:0<width$}", width = DECIMALS as usize);
		padded.parse().with_context(|| format!("{text:?} is not an amount"))?
	};
	whole
		.checked_mul(UNIT)
		.and_then(|base| base.checked_add(fraction))
		.with_context(|| format!("{text:?} is too large"))
}

/// Formats base units as CAIRN with no trailing zeros, for example `10.5 CAIRN`.
pub fn format_cairn(amount: u128) -> String {
	let whole = amount / UNIT;
	let fraction = amount % UNIT;
	if fraction == 0 {
		return format!("{whole} CAIRN");
	}
	let digits = format!("{fraction:0width$}", width = DECIMALS as usize);
	format!("{whole}.{} CAIRN", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn decimal_amounts_become_exact_base_units() {
		assert_eq!(parse_cairn("10").unwrap(), 10 * UNIT);
		assert_eq!(parse_cairn("0.5").unwrap(), UNIT / 2);
		assert_eq!(parse_cairn(".25").unwrap(), UNIT / 4);
		assert_eq!(parse_cairn("1_000").unwrap(), 1000 * UNIT);
		assert_eq!(parse_cairn("0.000000000001").unwrap(), 1);
		assert_eq!(parse_cairn("3.").unwrap(), 3 * UNIT);
	}

	#[test]
	fn bad_amounts_are_refused_not_rounded() {
		for (text, expected) in [
			("0.0000000000001", "more than 12 decimal places"),
			("-1", "not an amount"),
			("1e3", "not an amount"),
			("", "not an amount"),
			(".", "not an amount"),
			("1.2.3", "not an amount"),
			("999999999999999999999999999999", "too large"),
		] {
			let error = parse_cairn(text).unwrap_err().to_string();
			assert!(error.contains(expected), "{text:?}: {error}");
		}
	}

	#[test]
	fn amounts_print_without_trailing_zeros() {
		assert_eq!(format_cairn(10 * UNIT), "10 CAIRN");
		assert_eq!(format_cairn(UNIT / 2 + 3 * UNIT), "3.5 CAIRN");
		assert_eq!(format_cairn(1), "0.000000000001 CAIRN");
	}
}
