//! What a survey of a buffer found: its SHA-256 and where magic numbers start in it, as
//! (start, pattern) pairs. A plain data type at the bottom of the crate: [`crate::format`] (the
//! contract every handler implements) hands it around, [`crate::scan`] produces it, and it knows
//! no format, so the contract does not depend on the module that knows every format.

/// What a [`crate::scan::Surveyor`] learnt about a buffer: its SHA-256 and, unless there were too many, where
/// every magic in it starts.
pub struct Survey {
    /// Bytes surveyed.
    len: usize,
    sha256: [u8; 32],
    /// (start, pattern) of every magic lying wholly in the bytes, ordered.
    hits: Option<Vec<(usize, usize)>>,
}

impl Survey {
    pub(crate) fn new(len: usize, sha256: [u8; 32], hits: Option<Vec<(usize, usize)>>) -> Self {
        Survey { len, sha256, hits }
    }

    /// Whether this survey is of `data` (the same length: a survey always covers a whole output).
    pub fn covers(&self, data: &[u8]) -> bool {
        self.len == data.len()
    }

    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// Every magic of the surveyed bytes, by start, from `pos` on, as a live search would find them;
    /// `None` when the survey gave up counting them.
    pub(crate) fn starts_from(&self, pos: usize) -> Option<&[(usize, usize)]> {
        let hits = self.hits.as_deref()?;
        Some(&hits[hits.partition_point(|&(start, _)| start < pos)..])
    }
}

impl std::fmt::Debug for Survey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Survey")
            .field("len", &self.len)
            .field("hits", &self.hits.as_ref().map(Vec::len))
            .finish()
    }
}
