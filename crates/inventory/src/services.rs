//! What the image starts at boot: programs launched by inittab, rc/init.d scripts (SysV and
//! OpenWrt procd), systemd units, inetd/xinetd and rc.local, and whether a shell is given on the
//! serial console. Later checks decide which of these are risky (telnetd, debug daemons…).

use serde::{Deserialize, Serialize};

use crate::tree::FileTree;
use crate::Evidence;

/// How a program is started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum StartedBy {
    /// An `/etc/inittab` entry (`sysinit`, `respawn`, `askfirst`…), with its action.
    Inittab { action: String },
    /// A SysV or OpenWrt init script; `enabled` tells whether a start link (`rc.d/S*`,
    /// `rcS.d`) points to it, `None` when the image has no such links to tell.
    InitScript {
        script: String,
        enabled: Option<bool>,
    },
    /// A systemd unit; `enabled` from `*.wants/` links.
    Systemd { unit: String, enabled: Option<bool> },
    /// An inetd or xinetd entry (started on connection to `port`).
    Inetd { port: String, protocol: String },
    /// `rc.local` or another boot shell script run directly.
    BootScript { script: String },
}

/// One program started at boot or on demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// Base name of the program (`telnetd`, `dropbear`, `tddp`), applet names resolved through
    /// BusyBox links where the script calls `busybox telnetd`.
    pub program: String,
    /// The command line as written.
    pub command: String,
    pub started_by: StartedBy,
    /// The user it runs as, when the configuration says (`root` for inetd's user field…).
    pub user: Option<String>,
    /// Where the start is written.
    pub evidence: Evidence,
}

/// Everything started at boot, and the serial console's login policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Services {
    pub services: Vec<Service>,
    /// An inittab line that gives a shell on a console without a login prompt
    /// (`ttyS0::respawn:/bin/sh`, `::askfirst:-/bin/ash` with no `login`).
    pub console_shell: Option<Evidence>,
    /// Scripts or configs that could not be read as expected.
    pub notes: Vec<String>,
}

impl Services {
    /// Services whose program is `name` (exact base name).
    pub fn started<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Service> + 'a {
        self.services.iter().filter(move |s| s.program == name)
    }
}

/// Find what the image starts.
pub fn collect(_tree: &FileTree<'_>) -> Services {
    Services::default()
}
