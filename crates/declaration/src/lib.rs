//! The manufacturer's declaration and RFC 9116 security.txt validation.
//!
//! - [`Declaration`]: the TOML declaration (product, support period, disclosure, per-provision
//!   applicability and the TS 103 701 IXIT-style facts), strictly parsed with line numbers.
//! - [`securitytxt`]: RFC 9116 validation returning [`securitytxt::Problem`]s with severity and line.

mod declaration;
pub mod securitytxt;

pub use declaration::*;
