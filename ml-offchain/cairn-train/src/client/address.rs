//! Which hosts a client may connect to. A task's poster chooses its dataset URI and a solver its
//! artifacts URI, so without a check either could point a worker at services on the worker's own
//! network (a cloud metadata service at 169.254.169.254, an admin page on 10.0.0.1, loopback).
//! Nothing read there can leak, since every body is checked against a hash, but the request
//! itself reaches the service. So by default a client connects to public addresses only: an IP
//! literal is checked before connecting, a name once resolved, every address it resolves to, and
//! the connection goes to those checked addresses (a second lookup, which could answer
//! otherwise, is never made).

use std::{
	fmt,
	future::Future,
	net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
	pin::Pin,
	task::{Context, Poll},
};

use hyper::Uri;
use hyper_util::{
	client::legacy::connect::{
		dns::{GaiResolver, Name},
		HttpConnector,
	},
	rt::TokioIo,
};
use thiserror::Error;
use tokio::net::TcpStream;
use tower_service::Service;

/// The error type of connectors and resolvers.
type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A boxed future that can be sent between threads.
type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// Which addresses a client connects to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AddressPolicy {
	/// Public addresses only: every [`Restricted`] one is refused.
	#[default]
	PublicOnly,
	/// Any address: for a development chain whose artifacts are served from this machine or its
	/// network.
	AllowPrivate,
}

impl AddressPolicy {
	/// Whether a client may connect to `address`.
	pub fn check(self, address: IpAddr) -> Result<(), RefusedAddress> {
		match (self, restricted(address)) {
			(Self::PublicOnly, Some(class)) => Err(RefusedAddress { address, class }),
			_ => Ok(()),
		}
	}
}

/// The kinds of address that are not the public internet's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restricted {
	/// 127.0.0.0/8 and ::1: this machine.
	Loopback,
	/// 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16 (RFC 1918), fc00::/7 (unique local).
	Private,
	/// 169.254.0.0/16 and fe80::/10: the local link, where cloud metadata services answer.
	LinkLocal,
	/// 100.64.0.0/10 (RFC 6598): carrier-grade NAT, a provider's internal network.
	Shared,
	/// 0.0.0.0/8 and ::, which a connection takes as this machine.
	Unspecified,
	/// 224.0.0.0/4 and ff00::/8.
	Multicast,
	/// 255.255.255.255.
	Broadcast,
	/// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32: examples, never hosts.
	Documentation,
}

impl fmt::Display for Restricted {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			Self::Loopback => "loopback",
			Self::Private => "private",
			Self::LinkLocal => "link-local",
			Self::Shared => "shared (carrier-grade NAT)",
			Self::Unspecified => "unspecified",
			Self::Multicast => "multicast",
			Self::Broadcast => "broadcast",
			Self::Documentation => "documentation",
		})
	}
}

/// An address the policy does not let a client connect to.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
#[error(
	"{address} is a {class} address, refused unless private addresses are allowed \
	 (cairn-worker --allow-private-addresses)"
)]
pub struct RefusedAddress {
	/// The address.
	pub address: IpAddr,
	/// Why it is not public.
	pub class: Restricted,
}

/// What kind of non-public address `address` is, if it is one. An IPv6 address that stands for
/// an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, which the kernel connects to over IPv4, or the
/// NAT64 prefix `64:ff9b::/96`, which a gateway translates) is classed as that IPv4 address.
pub fn restricted(address: IpAddr) -> Option<Restricted> {
	match address {
		IpAddr::V4(v4) => restricted_v4(v4),
		IpAddr::V6(v6) => match embedded_v4(v6) {
			Some(v4) => restricted_v4(v4),
			None => restricted_v6(v6),
		},
	}
}

/// What kind of non-public IPv4 address `address` is, if it is one.
fn restricted_v4(address: Ipv4Addr) -> Option<Restricted> {
	let [a, b, ..] = address.octets();
	Some(if address.is_loopback() {
		Restricted::Loopback
	} else if address.is_private() {
		Restricted::Private
	} else if address.is_link_local() {
		Restricted::LinkLocal
	} else if a == 100 && (b & 0xc0) == 64 {
		Restricted::Shared
	} else if a == 0 {
		Restricted::Unspecified
	} else if address.is_multicast() {
		Restricted::Multicast
	} else if address.is_broadcast() {
		Restricted::Broadcast
	} else if address.is_documentation() {
		Restricted::Documentation
	} else {
		return None;
	})
}

/// What kind of non-public IPv6 address `address` is, if it is one (IPv4 forms aside).
fn restricted_v6(address: Ipv6Addr) -> Option<Restricted> {
	let [first, second, ..] = address.segments();
	Some(if address.is_loopback() {
		Restricted::Loopback
	} else if address.is_unique_local() {
		Restricted::Private
	} else if address.is_unicast_link_local() {
		Restricted::LinkLocal
	} else if address.is_unspecified() {
		Restricted::Unspecified
	} else if address.is_multicast() {
		Restricted::Multicast
	} else if first == 0x2001 && second == 0x0db8 {
		Restricted::Documentation
	} else {
		return None;
	})
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped, or under the NAT64 prefix.
fn embedded_v4(address: Ipv6Addr) -> Option<Ipv4Addr> {
	const NAT64: [u16; 6] = [0x64, 0xff9b, 0, 0, 0, 0];
	let segments = address.segments();
	if segments[..6] == NAT64 {
		let [.., a, b, c, d] = address.octets();
		return Some(Ipv4Addr::new(a, b, c, d));
	}
	address.to_ipv4_mapped()
}

/// A name resolver that refuses names resolving to an address the policy refuses.
#[derive(Clone, Debug)]
struct CheckedResolver {
	inner: GaiResolver,
	policy: AddressPolicy,
}

impl Service<Name> for CheckedResolver {
	type Response = std::vec::IntoIter<SocketAddr>;
	type Error = BoxError;
	type Future = BoxFuture<Self::Response>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
		self.inner.poll_ready(cx).map_err(Into::into)
	}

	fn call(&mut self, name: Name) -> Self::Future {
		let (resolving, policy) = (self.inner.call(name), self.policy);
		Box::pin(async move {
			let addresses: Vec<SocketAddr> = resolving.await?.collect();
			// All or nothing: a name that also resolves to an internal host is not trusted.
			for address in &addresses {
				policy.check(address.ip())?;
			}
			Ok(addresses.into_iter())
		})
	}
}

/// A TCP connector that connects only where the policy allows: IP-literal hosts are checked
/// here (the HTTP connector does not resolve them), names by [`CheckedResolver`].
#[derive(Clone, Debug)]
pub(crate) struct CheckedConnector {
	inner: HttpConnector<CheckedResolver>,
	policy: AddressPolicy,
}

impl CheckedConnector {
	/// A connector for `http://` and `https://` URIs (the TLS layer goes on top) under `policy`.
	pub(crate) fn new(policy: AddressPolicy) -> Self {
		let mut inner =
			HttpConnector::new_with_resolver(CheckedResolver { inner: GaiResolver::new(), policy });
		// The TLS layer above it handles `https://`.
		inner.enforce_http(false);
		Self { inner, policy }
	}
}

impl Service<Uri> for CheckedConnector {
	type Response = TokioIo<TcpStream>;
	type Error = BoxError;
	type Future = BoxFuture<Self::Response>;

	fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
		self.inner.poll_ready(cx).map_err(Into::into)
	}

	fn call(&mut self, uri: Uri) -> Self::Future {
		// Read as the HTTP connector reads it, so that every host it takes for an address is one.
		let literal = uri.host().and_then(|host| {
			let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
			host.parse::<IpAddr>().ok()
		});
		if let Some(Err(refused)) = literal.map(|address| self.policy.check(address)) {
			return Box::pin(async move { Err(refused.into()) });
		}
		let connecting = self.inner.call(uri);
		Box::pin(async move { connecting.await.map_err(Into::into) })
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn class(text: &str) -> Option<Restricted> {
		restricted(text.parse().unwrap())
	}

	#[test]
	fn every_class_is_recognised_in_v4_and_v6() {
		use Restricted::*;
		for (address, expected) in [
			("127.0.0.1", Some(Loopback)),
			("127.255.0.9", Some(Loopback)),
			("::1", Some(Loopback)),
			("10.1.2.3", Some(Private)),
			("172.16.0.1", Some(Private)),
			("172.31.255.255", Some(Private)),
			("192.168.1.1", Some(Private)),
			("fc00::1", Some(Private)),
			("fd12:3456::1", Some(Private)),
			("169.254.169.254", Some(LinkLocal)),
			("fe80::1", Some(LinkLocal)),
			("100.64.0.1", Some(Shared)),
			("100.127.255.255", Some(Shared)),
			("0.0.0.0", Some(Unspecified)),
			("0.1.2.3", Some(Unspecified)),
			("::", Some(Unspecified)),
			("224.0.0.1", Some(Multicast)),
			("239.255.255.250", Some(Multicast)),
			("ff02::1", Some(Multicast)),
			("255.255.255.255", Some(Broadcast)),
			("192.0.2.1", Some(Documentation)),
			("198.51.100.7", Some(Documentation)),
			("203.0.113.200", Some(Documentation)),
			("2001:db8::1", Some(Documentation)),
		] {
			assert_eq!(class(address), expected, "{address}");
		}
	}

	#[test]
	fn public_addresses_and_the_edges_of_each_range_pass() {
		for address in [
			"1.1.1.1",
			"8.8.8.8",
			"9.255.255.255",
			"11.0.0.0",
			"172.15.255.255",
			"172.32.0.0",
			"192.167.255.255",
			"169.253.255.255",
			"100.63.255.255",
			"100.128.0.0",
			"223.255.255.255",
			"2606:4700::1111",
			"2001:db9::1",
		] {
			assert_eq!(class(address), None, "{address}");
		}
	}

	#[test]
	fn ipv6_forms_of_ipv4_addresses_are_classed_as_those() {
		assert_eq!(class("::ffff:127.0.0.1"), Some(Restricted::Loopback));
		assert_eq!(class("::ffff:169.254.169.254"), Some(Restricted::LinkLocal));
		assert_eq!(class("::ffff:10.0.0.1"), Some(Restricted::Private));
		assert_eq!(class("64:ff9b::10.0.0.1"), Some(Restricted::Private));
		assert_eq!(class("64:ff9b::192.168.0.1"), Some(Restricted::Private));
		assert_eq!(class("::ffff:8.8.8.8"), None);
		assert_eq!(class("64:ff9b::8.8.8.8"), None);
	}

	#[test]
	fn only_the_public_only_policy_refuses() {
		let loopback: IpAddr = "127.0.0.1".parse().unwrap();
		let refused = AddressPolicy::PublicOnly.check(loopback).unwrap_err();
		assert_eq!(refused, RefusedAddress { address: loopback, class: Restricted::Loopback });
		let message = refused.to_string();
		assert!(message.contains("127.0.0.1 is a loopback address"), "{message}");
		assert!(message.contains("--allow-private-addresses"), "{message}");
		assert!(AddressPolicy::AllowPrivate.check(loopback).is_ok());
		assert!(AddressPolicy::PublicOnly.check("1.1.1.1".parse().unwrap()).is_ok());
	}
}
