//! container handlers.

use crate::format::Format;

/// The handlers of this family, in priority order.
pub const HANDLERS: &[&dyn Format] = &[];
