//! Every format handler, grouped by family. The engine asks [`all`] for the list.

use std::sync::LazyLock;

use crate::format::Format;

pub mod archive;
pub mod compression;
pub mod container;
pub mod flashfs;
pub mod mcu;
pub mod squashfs;

static ALL: LazyLock<Vec<&'static dyn Format>> = LazyLock::new(|| {
    let mut all: Vec<&'static dyn Format> = Vec::new();
    all.extend_from_slice(container::HANDLERS);
    all.extend_from_slice(squashfs::HANDLERS);
    all.extend_from_slice(flashfs::HANDLERS);
    all.extend_from_slice(mcu::HANDLERS);
    all.extend_from_slice(archive::HANDLERS);
    all.extend_from_slice(compression::HANDLERS);
    all
});

/// All handlers, most specific first: when two formats claim the same offset, the earlier wins.
pub fn all() -> &'static [&'static dyn Format] {
    &ALL
}

/// The handler with this name.
pub fn by_name(name: &str) -> Option<&'static dyn Format> {
    all().iter().copied().find(|f| f.name() == name)
}
