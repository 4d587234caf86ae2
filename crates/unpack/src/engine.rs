//! Carving and recursion: find structures in bytes, extract them, and do it again on what they
//! yield, within a depth limit and an output budget.
//!
//! Candidates come from one Aho-Corasick pass over every handler's magics ([`crate::scan`]), or
//! from the survey a stream decoder took of its output while decoding; each candidate is
//! validated by its handler, in offset order, and a validated structure hides the candidates inside
//! it. Structures of one blob are extracted in parallel (rayon); handlers may parallelise inside.
//! Payloads (decompressed streams, container partitions) are carved again at any offset; files of a
//! file system or archive are only checked for a whole-file format at their first byte, so the
//! binaries of a root file system are not mistaken for containers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::content::{Content, Pager};
use crate::format::{Body, Emit, Entry, Error, Format, Identified, Kind};
use crate::formats;
use crate::formats::compression::stream::IdentifyLimit;
use crate::manifest::{
    Input, Manifest, Node, NodeKind, Region, RegionStatus, Stats, Warning, SCHEMA,
};
use crate::path::SafePath;
use crate::scan::{Search, SCANNER};
use crate::store::DiskStore;
use crate::survey::Survey;

/// Default recursion depth: deep enough for flash dump → container → LZMA → cpio → gzip → tar…
pub const DEFAULT_MAX_DEPTH: u32 = 16;
/// Candidate validations allowed per blob before carving stops (bounds work on adversarial data).
const MAX_IDENTIFY_CALLS: usize = 200_000;
/// Entry write failures tolerated before the run stops (a full disk fails every write).
const MAX_OUTPUT_ERRORS: usize = 1_000;
const GIB: u64 = 1 << 30;

/// Called as output is produced: (files so far, bytes so far).
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// How an unpack runs.
#[derive(Clone)]
pub struct Options {
    /// Deepest nesting of structures to extract.
    pub max_depth: u32,
    /// Most bytes of content to produce in total. `None`: 64× the input, at least 1 GiB (so small
    /// inputs that compress well still unpack), at most 8 GiB.
    pub budget: Option<u64>,
    /// Keep every file's content in [`Node::data`] for analysis: in memory, or, when the unpack
    /// writes to an output folder, mapped from the files written there (see [`crate::content`]),
    /// so an image whose files do not fit in memory can still be read whole.
    pub keep_data: bool,
    pub progress: Option<ProgressFn>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_depth: DEFAULT_MAX_DEPTH,
            budget: None,
            keep_data: false,
            progress: None,
        }
    }
}

impl Options {
    fn budget_for(&self, input_len: u64) -> u64 {
        self.budget
            .unwrap_or_else(|| input_len.saturating_mul(64).clamp(GIB, 8 * GIB))
    }
}

/// A structure recognised by a scan.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Hit {
    pub offset: u64,
    pub size: Option<u64>,
    pub format: &'static str,
    pub kind: Kind,
    pub description: String,
}

/// A validated structure with what identification prepared.
struct Accepted {
    start: usize,
    end: usize,
    handler: &'static dyn Format,
    id: Identified,
}

/// Candidate structures of `data` as (start, handler index), in order, found lazily: the scan
/// pauses at each candidate, and when a validated structure covers what lies ahead the search
/// resumes after it instead of scanning bytes nobody will look at (a root file system payload is
/// one structure from its first byte to its last).
struct Candidates<'d> {
    data: &'d [u8],
    /// Matches not yet handed out, smallest start first.
    pending: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>>,
    /// The search; `None` once the data is exhausted.
    iter: Option<Search<'d>>,
    last: Option<(usize, usize)>,
}

impl<'d> Candidates<'d> {
    /// `survey`: what a pipelined decode already found in `data`, if anything.
    fn new(data: &'d [u8], survey: Option<&'d Survey>) -> Self {
        let scanner = &*SCANNER;
        let mut pending = std::collections::BinaryHeap::new();
        if !data.is_empty() {
            pending.extend(
                scanner
                    .at_start_only
                    .iter()
                    .map(|&h| std::cmp::Reverse((0, h))),
            );
        }
        Candidates {
            data,
            pending,
            iter: Some(Search::new(data, survey, 0)),
            last: None,
        }
    }

    /// Nothing before `offset` is wanted any more: drop what is pending there and, if the search
    /// has not reached `offset` yet, restart it there.
    fn skip_to(&mut self, offset: usize) {
        self.pending
            .retain(|std::cmp::Reverse((s, _))| *s >= offset);
        if let Some(iter) = self.iter.as_mut() {
            if offset > iter.searched_to() {
                iter.skip_to(self.data, offset);
            }
        }
    }

    /// The next candidate with a start at or after every one handed out so far.
    fn next(&mut self, covered_end: usize) -> Option<(usize, usize)> {
        let scanner = &*SCANNER;
        loop {
            if let Some(iter) = self.iter.as_mut() {
                match iter.next() {
                    Some((pattern, start)) => {
                        let (handler, magic_offset) = scanner.patterns[pattern];
                        if let Some(s) = start.checked_sub(magic_offset) {
                            if s >= covered_end {
                                self.pending.push(std::cmp::Reverse((s, handler)));
                            }
                        }
                        // Matches come in order of their start, so any later structure starts at
                        // or after `start - reach`: everything pending before that is final.
                        let safe = start.saturating_sub(scanner.reach);
                        let ready = self
                            .pending
                            .peek()
                            .is_some_and(|std::cmp::Reverse((s, _))| *s < safe);
                        if !ready {
                            continue;
                        }
                    }
                    None => self.iter = None,
                }
            }
            let std::cmp::Reverse(next) = self.pending.pop()?;
            if self.last == Some(next) {
                continue;
            }
            self.last = Some(next);
            return Some(next);
        }
    }
}

/// Find every structure in `data` at any offset. Info structures are reported but do not hide what
/// follows them. Returns the accepted structures and the info hits.
fn carve(
    data: &[u8],
    survey: Option<&Survey>,
    warn: &mut dyn FnMut(Option<u64>, String),
) -> (Vec<Accepted>, Vec<Hit>) {
    carve_within(data, survey, data.len(), warn)
}

/// [`carve`], keeping only structures that start before `starts_before` (they may run past it).
fn carve_within(
    data: &[u8],
    survey: Option<&Survey>,
    starts_before: usize,
    warn: &mut dyn FnMut(Option<u64>, String),
) -> (Vec<Accepted>, Vec<Hit>) {
    let all = formats::all();
    let mut accepted = Vec::new();
    let mut info = Vec::new();
    let mut covered_end = 0usize;
    let mut calls = 0usize;
    let mut candidates = Candidates::new(data, survey);
    let _work = crate::format::IdentifyBudget::for_data(data.len());
    let mut work_warned = false;
    while let Some((start, h)) = candidates.next(covered_end) {
        if start >= starts_before {
            break;
        }
        if start < covered_end {
            continue;
        }
        calls += 1;
        if calls > MAX_IDENTIFY_CALLS {
            warn(
                Some(start as u64),
                format!("carving stopped after {MAX_IDENTIFY_CALLS} candidate structures; the rest of the data was not scanned"),
            );
            break;
        }
        let handler = all[h];
        let Some(id) = handler.identify(&data[start..]) else {
            if !work_warned && crate::format::identify_work_spent() {
                work_warned = true;
                warn(
                    Some(start as u64),
                    "identification work budget spent (checksums and trial decodes of many look-alike headers): from here on, candidates that need one are skipped".into(),
                );
            }
            continue;
        };
        let end = id.end_within(start, data.len());
        if handler.kind() == Kind::Info {
            // The same banner matched by several magics: keep the first.
            let repeat = info.last().is_some_and(|last: &Hit| {
                last.format == handler.name() && last.offset + last.size.unwrap_or(0) > start as u64
            });
            if repeat {
                continue;
            }
            info.push(Hit {
                offset: start as u64,
                size: id.size,
                format: handler.name(),
                kind: Kind::Info,
                description: id.description,
            });
            continue;
        }
        covered_end = end.max(start + 1);
        candidates.skip_to(covered_end);
        accepted.push(Accepted {
            start,
            end,
            handler,
            id,
        });
    }
    (accepted, info)
}

/// A whole-file format at the first byte of `data`, other than info-only ones.
fn identify_whole(data: &[u8]) -> Option<Accepted> {
    if data.is_empty() {
        return None;
    }
    let _work = crate::format::IdentifyBudget::for_data(data.len());
    for &handler in formats::all() {
        if handler.kind() == Kind::Info {
            continue;
        }
        let matches = handler.magics().iter().any(|m| {
            m.bytes.is_empty()
                || data
                    .get(m.offset..)
                    .is_some_and(|rest| rest.starts_with(m.bytes))
        });
        if !matches {
            continue;
        }
        if let Some(id) = handler.identify(data) {
            let end = id.end_within(0, data.len());
            return Some(Accepted {
                start: 0,
                end,
                handler,
                id,
            });
        }
    }
    None
}

/// Recognise the structures of `data` (top level only, like a signature scan), including info hits.
pub fn scan(data: &[u8]) -> (Vec<Hit>, Vec<String>) {
    let mut warnings = Vec::new();
    let (accepted, info) = carve(data, None, &mut |off, why| {
        warnings.push(match off {
            Some(o) => format!("{o:#x}: {why}"),
            None => why,
        })
    });
    let mut hits: Vec<Hit> = accepted
        .into_iter()
        .map(|a| Hit {
            offset: a.start as u64,
            size: Some((a.end - a.start) as u64),
            format: a.handler.name(),
            kind: a.handler.kind(),
            description: a.id.description,
        })
        .chain(info)
        .collect();
    hits.sort_by_key(|h| (h.offset, h.kind == Kind::Info));
    (hits, warnings)
}

/// Shared state of one unpack run.
struct Run<'a> {
    options: &'a Options,
    store: Option<DiskStore>,
    budget: u64,
    bytes_out: AtomicU64,
    files: AtomicU64,
    output_errors: AtomicUsize,
    aborted: AtomicBool,
    abort_reason: Mutex<Option<String>>,
    regions: Mutex<Vec<Region>>,
    nodes: Mutex<Vec<Node>>,
    warnings: Mutex<Vec<Warning>>,
    max_depth_seen: AtomicU64,
    /// Drops a range of the memory-mapped input's pages from our resident set (they stay in the
    /// page cache and fault back in when read again); called on the whole input every
    /// [`RELEASE_INPUT_EVERY`] bytes of output, and behind the hash of the input.
    release_input: Option<&'a ReleaseFn<'a>>,
    /// The mapped contents kept ([`Options::keep_data`] with an output folder).
    pager: Arc<Pager>,
}

/// Releases `len` bytes of the mapped input from `offset` (see [`Run::release_input`]).
type ReleaseFn<'a> = dyn Fn(usize, usize) + Sync + 'a;

/// Output between two releases of the mapped input: a large image is read about once, front to
/// back, so without them every page of it would stay mapped (and counted) until the end.
const RELEASE_INPUT_EVERY: u64 = 64 << 20;

/// A warning's reason, never empty: a decoder error that displays as nothing (or a message that
/// ends where its cause should follow) says so instead of leaving a bare path.
fn with_reason(reason: String) -> String {
    let trimmed = reason.trim_end();
    if trimmed.is_empty() {
        "no reason given (a decoder failed without a message)".into()
    } else if trimmed.ends_with(':') {
        format!("{trimmed} no reason given (a decoder failed without a message)")
    } else {
        reason
    }
}

/// Where the blob being carved came from.
#[derive(Clone)]
struct Origin {
    /// Region that produced the blob (`None` for the input).
    parent: Option<usize>,
    /// Display path of the blob: the input's name or its output path.
    source: String,
    /// Folder where structures found in this blob are extracted.
    dest: SafePath,
    depth: u32,
}

impl<'a> Run<'a> {
    fn warn(&self, source: &str, offset: Option<u64>, format: Option<&str>, reason: String) {
        let reason = with_reason(reason);
        self.warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Warning {
                source: source.to_string(),
                offset,
                format: format.map(str::to_string),
                reason,
            });
    }

    fn abort(&self, reason: String) {
        if !self.aborted.swap(true, Ordering::SeqCst) {
            *self.abort_reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
        }
    }

    fn add_region(&self, region: Region) -> usize {
        let mut regions = self.regions.lock().unwrap_or_else(|e| e.into_inner());
        let id = regions.len();
        regions.push(Region { id, ..region });
        id
    }

    fn set_status(&self, id: usize, status: RegionStatus) {
        if let Some(r) = self
            .regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(id)
        {
            r.status = status;
        }
    }

    /// Carve `data` (a payload or the input) and extract everything found. Returns the spans of
    /// `data` the structures found explain (info hits excluded).
    fn carve_blob(
        &self,
        data: &[u8],
        survey: Option<&Survey>,
        origin: &Origin,
    ) -> Vec<(usize, usize)> {
        if self.aborted.load(Ordering::Relaxed) {
            return Vec::new();
        }
        let limit = IdentifyLimit::new(self.budget_left());
        let (accepted, info) = carve(data, survey, &mut |off, why| {
            self.warn(&origin.source, off, None, why)
        });
        drop(limit);
        for hit in info {
            self.add_region(Region {
                id: 0,
                parent: origin.parent,
                source: origin.source.clone(),
                offset: hit.offset,
                size: hit.size,
                format: hit.format.to_string(),
                kind: Kind::Info,
                description: hit.description,
                output: None,
                status: RegionStatus::Identified,
            });
        }
        let spans = accepted.iter().map(|a| (a.start, a.end)).collect();
        accepted
            .into_par_iter()
            .for_each(|a| self.extract(data, a, origin));
        spans
    }

    /// Carve by content what a container at `data[start..end]` left unexplained: its bytes outside
    /// every emitted partition, and the bytes of a partition that no structure found in it
    /// explains (a partition the header places wrongly: its file system starts elsewhere, or runs
    /// past the partition's declared end). A structure found there is extracted as a sibling of
    /// the container, read from the container's bytes (so it may run across partition
    /// boundaries), and a warning says the header and the content disagree.
    fn carve_unexplained(
        &self,
        data: &[u8],
        (start, end): (usize, usize),
        explained: Vec<(usize, usize)>,
        container: &str,
        origin: &Origin,
    ) {
        let len = end - start;
        let mut spans = explained;
        // The container's own header at its first byte is not carved again (it would find the
        // container itself).
        spans.push((0, 1));
        spans.sort_unstable();
        let mut gaps = Vec::new();
        let mut at = 0usize;
        for (s, e) in spans {
            if s > at {
                gaps.push((at, s.min(len)));
            }
            at = at.max(e);
        }
        if at < len {
            gaps.push((at, len));
        }
        let mut found = Vec::new();
        for (gap_start, gap_end) in gaps {
            if self.aborted.load(Ordering::Relaxed) {
                return;
            }
            // Skip what a structure found in an earlier gap covers.
            let from = start + gap_start.max(found.last().map_or(0, |a: &Accepted| a.end - start));
            if from >= start + gap_end {
                continue;
            }
            let (accepted, _info) = carve_within(
                &data[from..end],
                None,
                start + gap_end - from,
                &mut |off, why| self.warn(&origin.source, off.map(|o| o + from as u64), None, why),
            );
            found.extend(accepted.into_iter().map(|a| Accepted {
                start: a.start + from,
                end: a.end + from,
                ..a
            }));
        }
        for a in &found {
            self.warn(
                &origin.source,
                Some(a.start as u64),
                Some(a.handler.name()),
                format!(
                    "the {container} header and the content disagree: this {} lies in bytes the header does not account for (or places wrongly); carved by content",
                    a.handler.name()
                ),
            );
        }
        found
            .into_par_iter()
            .for_each(|a| self.extract(data, a, origin));
    }

    /// Extract one validated structure of `data` and recurse into what it yields.
    fn extract(&self, data: &[u8], a: Accepted, origin: &Origin) {
        if self.aborted.load(Ordering::Relaxed) {
            return;
        }
        self.max_depth_seen
            .fetch_max(u64::from(origin.depth), Ordering::Relaxed);
        let name = a.handler.name();
        let dest = origin.dest.join(&format!("{:#x}-{name}", a.start));
        let region = self.add_region(Region {
            id: 0,
            parent: origin.parent,
            source: origin.source.clone(),
            offset: a.start as u64,
            size: Some((a.end - a.start) as u64),
            format: name.to_string(),
            kind: a.handler.kind(),
            description: a.id.description.clone(),
            output: Some(dest.to_string()),
            status: RegionStatus::Extracted,
        });
        let emitter = RegionEmit {
            run: self,
            region,
            dest,
            source: origin.source.clone(),
            base_offset: a.start as u64,
            format: name,
            depth: origin.depth,
            emitted: AtomicU64::new(0),
            span: &data[a.start..a.end],
            explained: Mutex::new(Vec::new()),
            foreign: AtomicBool::new(false),
        };
        let result = a.handler.extract(&data[a.start..a.end], a.id, &emitter);
        // What a container's header leaves unexplained is carved by content, unless it emitted
        // content that is not its own bytes (decrypted, decompressed): then its bytes cannot be
        // matched with what it yields.
        if a.handler.kind() == Kind::Container
            && emitter.emitted.load(Ordering::Relaxed) > 0
            && !emitter.foreign.load(Ordering::Relaxed)
            && !result.as_ref().is_err_and(Error::is_fatal)
        {
            let explained = emitter
                .explained
                .into_inner()
                .unwrap_or_else(|e| e.into_inner());
            self.carve_unexplained(data, (a.start, a.end), explained, name, origin);
        }
        if let Err(e) = result {
            let offset = match &e {
                Error::Malformed { offset, .. } => Some(a.start as u64 + offset),
                _ => Some(a.start as u64),
            };
            self.warn(&origin.source, offset, Some(name), e.to_string());
            if e.is_fatal() {
                self.abort(e.to_string());
            }
            let status = if emitter.emitted.load(Ordering::Relaxed) > 0 {
                RegionStatus::Partial
            } else {
                RegionStatus::Failed
            };
            self.set_status(region, status);
        }
    }

    /// Output bytes the budget still allows.
    fn budget_left(&self) -> u64 {
        self.budget
            .saturating_sub(self.bytes_out.load(Ordering::Relaxed))
    }

    fn charge(&self, bytes: u64) -> Result<(), Error> {
        let before = self.bytes_out.fetch_add(bytes, Ordering::SeqCst);
        if let Some(release) = self.release_input {
            if before / RELEASE_INPUT_EVERY != before.saturating_add(bytes) / RELEASE_INPUT_EVERY {
                release(0, usize::MAX);
            }
        }
        if before.saturating_add(bytes) > self.budget {
            let reason = format!(
                "output budget of {} bytes exhausted (likely a decompression bomb); raise it with --budget",
                self.budget
            );
            self.abort(reason.clone());
            return Err(Error::Budget(reason));
        }
        Ok(())
    }
}

/// How the engine looks inside content it has just stored.
enum LookInside<'a> {
    /// Carve at any offset (a payload), with what the decode that produced it surveyed.
    Carve(&'a [u8], Option<&'a Survey>),
    /// Only a whole-file format at the first byte (a file of a file system or archive).
    WholeFile(&'a [u8]),
}

/// The [`Emit`] handed to a handler for one region.
struct RegionEmit<'r, 'a> {
    run: &'r Run<'a>,
    region: usize,
    /// Output folder of the region.
    dest: SafePath,
    source: String,
    base_offset: u64,
    format: &'static str,
    depth: u32,
    emitted: AtomicU64,
    /// The structure's bytes.
    span: &'r [u8],
    /// Spans of `span` that emitted content explains: files whole, payloads where the structures
    /// found in them lie.
    explained: Mutex<Vec<(usize, usize)>>,
    /// Content was emitted that is not a slice of `span` (decrypted, decompressed, streamed).
    foreign: AtomicBool,
}

impl RegionEmit<'_, '_> {
    /// Where `content` lies in the structure's bytes, if it is a slice of them; otherwise it is
    /// marked foreign.
    fn locate(&self, content: &[u8]) -> Option<usize> {
        let base = self.span.as_ptr() as usize;
        let at = (content.as_ptr() as usize).wrapping_sub(base);
        let inside = at <= self.span.len() && content.len() <= self.span.len() - at;
        if !inside {
            self.foreign.store(true, Ordering::Relaxed);
        }
        inside.then_some(at)
    }

    fn explain(&self, at: usize, spans: impl IntoIterator<Item = (usize, usize)>) {
        self.explained
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(spans.into_iter().map(|(s, e)| (at + s, at + e)));
    }

    fn output_error(&self, path: &SafePath, e: std::io::Error) {
        self.run.warn(
            &self.source,
            Some(self.base_offset),
            Some(self.format),
            format!("could not write {path}: {e}"),
        );
        if self.run.output_errors.fetch_add(1, Ordering::Relaxed) + 1 >= MAX_OUTPUT_ERRORS {
            self.run.abort(format!(
                "{MAX_OUTPUT_ERRORS} output errors; stopping (last: {e})"
            ));
        }
    }

    /// Write a streamed file chunk by chunk: charge the budget, hash, write to the output file and,
    /// when there is no output folder or contents are kept, collect it in memory.
    /// Returns (bytes, sha256, collected content, output file).
    #[allow(clippy::type_complexity)]
    fn write_stream(
        &self,
        path: &SafePath,
        size: u64,
        chunks: &dyn crate::format::ChunkSource,
    ) -> Result<(u64, String, Option<Vec<u8>>, Option<std::fs::File>), Error> {
        use std::io::Write;
        let run = self.run;
        let mut file = match &run.store {
            Some(store) => match store.create_file(path) {
                Ok(f) => Some(f),
                Err(e) => {
                    self.output_error(path, e);
                    None
                }
            },
            None => None,
        };
        // Without an output file the content is collected in memory (for recursion, and for
        // `keep_data`); with one it is mapped back from it afterwards. The declared size is
        // reserved (up to the budget) so collecting never copies the content as it grows.
        let mut kept = file.is_none().then(|| {
            let mut kept = Vec::new();
            let _ =
                kept.try_reserve_exact(usize::try_from(size.min(run.budget_left())).unwrap_or(0));
            kept
        });
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        let mut index = 0;
        while let Some(chunk) = chunks.chunk(index) {
            index += 1;
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) if e.is_fatal() => return Err(e),
                Err(e) => {
                    run.warn(
                        &self.source,
                        Some(self.base_offset),
                        Some(self.format),
                        format!("{path}: {e}; kept the first {total} bytes"),
                    );
                    break;
                }
            };
            if total.saturating_add(chunk.len() as u64) > size {
                run.warn(
                    &self.source,
                    Some(self.base_offset),
                    Some(self.format),
                    format!("{path}: more data than the declared {size} bytes; cut there"),
                );
                break;
            }
            run.charge(chunk.len() as u64)?;
            hasher.update(&chunk);
            if let Some(f) = file.as_mut() {
                if let Err(e) = f.write_all(&chunk) {
                    self.output_error(path, e);
                    file = None;
                }
            }
            if let Some(k) = kept.as_mut() {
                k.extend_from_slice(&chunk);
            }
            total += chunk.len() as u64;
        }
        if total != size {
            run.warn(
                &self.source,
                Some(self.base_offset),
                Some(self.format),
                format!("{path}: declared {size} bytes, produced {total}"),
            );
        }
        Ok((total, hex::encode(hasher.finalize()), kept, file))
    }

    /// Write a file's content to the store and return its SHA-256 (from the survey of a pipelined
    /// decode when there is one of exactly these bytes) and, with [`Options::keep_data`], the
    /// content to keep: mapped from the written file, or a copy when nothing was written.
    fn store_content(
        &self,
        path: &SafePath,
        data: &[u8],
        survey: Option<&Survey>,
        meta: crate::format::Meta,
    ) -> (String, Option<Content>) {
        let sha = match survey.filter(|s| s.covers(data)) {
            Some(s) => hex::encode(s.sha256()),
            None => hex::encode(Sha256::digest(data)),
        };
        let written = self.run.store.as_ref().and_then(|store| {
            store
                .file(path, data, meta.mode, meta.mtime)
                .map_err(|e| self.output_error(path, e))
                .ok()
        });
        let kept = self.run.options.keep_data.then(|| {
            written
                .and_then(|f| self.run.pager.content(&f, data.len() as u64))
                .unwrap_or_else(|| Content::from(data))
        });
        (sha, kept)
    }
}

impl Emit for RegionEmit<'_, '_> {
    fn entry(&self, entry: Entry<'_>) -> Result<(), Error> {
        let run = self.run;
        if run.aborted.load(Ordering::Relaxed) {
            return Err(Error::Budget(
                run.abort_reason
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
                    .unwrap_or_else(|| "run stopped".into()),
            ));
        }
        let mut inner = SafePath::sanitise(entry.path);
        let is_content = matches!(
            entry.body,
            Body::File(_) | Body::Payload { .. } | Body::Stream { .. }
        );
        if inner.is_root() {
            if !is_content {
                return Ok(()); // The structure's root folder itself.
            }
            inner = SafePath::root().join("data");
        }
        self.emitted.fetch_add(1, Ordering::Relaxed);
        let path = self.dest.join_path(&inner);
        let meta = entry.meta;
        let mut node = Node {
            path: path.to_string(),
            region: self.region,
            inner_path: inner.to_string(),
            kind: NodeKind::File,
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            mtime: meta.mtime,
            size: 0,
            sha256: None,
            link_target: None,
            device: None,
            data: None,
        };
        let mut recurse: Option<LookInside> = None;
        // Content of a streamed file, when recursion needs it whole: kept in memory, or mapped
        // back from the output file.
        let mut streamed_slot: Option<Content> = None;
        // Where a payload lies in the structure's bytes.
        let mut payload_at: Option<usize> = None;
        match entry.body {
            Body::Dir => {
                node.kind = NodeKind::Dir;
                if let Some(store) = &run.store {
                    if let Err(e) = store.dir(&path, meta.mode, meta.mtime) {
                        self.output_error(&path, e);
                    }
                }
            }
            Body::File(data) | Body::Payload { data, .. } => {
                run.charge(data.len() as u64)?;
                node.size = data.len() as u64;
                match entry.body {
                    // Stored (and hashed) beside its carve, below.
                    Body::Payload { survey, .. } => {
                        node.kind = NodeKind::Payload;
                        payload_at = self.locate(data);
                        recurse = Some(LookInside::Carve(data, survey));
                    }
                    _ => {
                        if let Some(at) = self.locate(data) {
                            self.explain(at, [(0, data.len())]);
                        }
                        let (sha, kept) = self.store_content(&path, data, None, meta);
                        (node.sha256, node.data) = (Some(sha), kept);
                        recurse = Some(LookInside::WholeFile(data));
                    }
                }
                let files = run.files.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(progress) = &run.options.progress {
                    progress(files, run.bytes_out.load(Ordering::Relaxed));
                }
            }
            Body::Stream { size, chunks } => {
                self.foreign.store(true, Ordering::Relaxed);
                node.kind = NodeKind::File;
                let (total, hash, kept, file) = self.write_stream(&path, size, chunks)?;
                node.size = total;
                node.sha256 = Some(hash);
                if let Some(file) = &file {
                    if let Err(e) = crate::store::finish_file(file, meta.mode, meta.mtime) {
                        self.output_error(&path, e);
                    }
                }
                let content = match kept {
                    Some(data) => Some(Content::from(data)),
                    None => file.and_then(|f| run.pager.content(&f, total)),
                };
                if run.options.keep_data {
                    node.data = content.clone();
                }
                streamed_slot = content;
                let files = run.files.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(progress) = &run.options.progress {
                    progress(files, run.bytes_out.load(Ordering::Relaxed));
                }
            }
            Body::Symlink(target) => {
                node.kind = NodeKind::Symlink;
                node.link_target = Some(String::from_utf8_lossy(target).into_owned());
                if let Some(store) = &run.store {
                    if let Err(e) = store.symlink(&self.dest, &inner, target) {
                        self.output_error(&path, e);
                    }
                }
            }
            Body::Hardlink(target) => {
                node.kind = NodeKind::Hardlink;
                node.link_target = Some(String::from_utf8_lossy(target).into_owned());
                if let Some(store) = &run.store {
                    match store.hardlink(&self.dest, &inner, target) {
                        Ok(true) => {}
                        Ok(false) => run.warn(
                            &self.source,
                            Some(self.base_offset),
                            Some(self.format),
                            format!(
                                "hard link {path} → {} has no extracted target; recorded only",
                                node.link_target.as_deref().unwrap_or("")
                            ),
                        ),
                        Err(e) => self.output_error(&path, e),
                    }
                }
            }
            Body::CharDevice { major, minor } => {
                node.kind = NodeKind::CharDevice;
                node.device = Some((major, minor));
            }
            Body::BlockDevice { major, minor } => {
                node.kind = NodeKind::BlockDevice;
                node.device = Some((major, minor));
            }
            Body::Fifo => node.kind = NodeKind::Fifo,
            Body::Socket => node.kind = NodeKind::Socket,
        }
        if let Some(data) = streamed_slot.as_deref() {
            recurse = Some(LookInside::WholeFile(data));
        }

        if let Some(inside) = recurse {
            let origin = Origin {
                parent: Some(self.region),
                source: path.to_string(),
                dest: path.with_suffix(".extracted"),
                depth: self.depth + 1,
            };
            let too_deep = origin.depth > run.options.max_depth;
            match inside {
                LookInside::Carve(data, survey) if too_deep => {
                    if let Some(at) = payload_at {
                        self.explain(at, [(0, data.len())]);
                    }
                    let (sha, kept) = self.store_content(&path, data, survey, meta);
                    (node.sha256, node.data) = (Some(sha), kept);
                    run.warn(
                        &origin.source,
                        None,
                        None,
                        format!(
                            "recursion limit of {} reached: not scanned",
                            run.options.max_depth
                        ),
                    );
                }
                LookInside::Carve(data, survey) => {
                    // A payload is often a decompressed kernel or root file system of many MB:
                    // writing and hashing it need not hold up finding what is inside.
                    let ((sha, kept), spans) = rayon::join(
                        || self.store_content(&path, data, survey, meta),
                        || run.carve_blob(data, survey, &origin),
                    );
                    if let Some(at) = payload_at {
                        self.explain(at, spans);
                    }
                    (node.sha256, node.data) = (Some(sha), kept);
                }
                LookInside::WholeFile(_) if too_deep => {}
                LookInside::WholeFile(data) => {
                    let limit = IdentifyLimit::new(run.budget_left());
                    let whole = identify_whole(data);
                    drop(limit);
                    if let Some(a) = whole {
                        run.extract(data, a, &origin);
                    }
                }
            }
        }
        run.nodes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(node);
        Ok(())
    }

    fn warn(&self, offset: u64, reason: String) {
        self.run.warn(
            &self.source,
            Some(self.base_offset.saturating_add(offset)),
            Some(self.format),
            reason,
        );
    }

    fn explained(&self, offset: u64, len: u64) {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        self.explain(0, [(start, start.saturating_add(len))]);
    }

    fn budget(&self) -> u64 {
        self.run.budget_left()
    }
}

/// Unpack `data` (named `name`) recursively. With `output`, everything is written below that
/// folder (which must exist); without it, only the manifest is produced (plus contents in memory
/// when [`Options::keep_data`] is set).
pub fn unpack(
    name: &str,
    data: &[u8],
    output: Option<&Path>,
    options: &Options,
) -> std::io::Result<Manifest> {
    unpack_with(name, data, output, options, None)
}

/// [`unpack`], with a way to release the pages of a memory-mapped `data`.
fn unpack_with(
    name: &str,
    data: &[u8],
    output: Option<&Path>,
    options: &Options,
    release_input: Option<&ReleaseFn<'_>>,
) -> std::io::Result<Manifest> {
    let started = Instant::now();
    let store = output.map(DiskStore::new).transpose()?;
    let run = Run {
        options,
        store,
        budget: options.budget_for(data.len() as u64),
        bytes_out: AtomicU64::new(0),
        files: AtomicU64::new(0),
        output_errors: AtomicUsize::new(0),
        aborted: AtomicBool::new(false),
        abort_reason: Mutex::new(None),
        regions: Mutex::new(Vec::new()),
        nodes: Mutex::new(Vec::new()),
        warnings: Mutex::new(Vec::new()),
        max_depth_seen: AtomicU64::new(0),
        release_input,
        pager: Pager::new(),
    };
    let origin = Origin {
        parent: None,
        source: name.to_string(),
        dest: SafePath::root(),
        depth: 0,
    };
    // The input's own hash (a flash dump is many MB) is taken while the carve runs, releasing
    // what it has read so the whole input is never resident at once.
    let (_, input_sha256) = rayon::join(
        || run.carve_blob(data, None, &origin),
        || {
            let mut hasher = Sha256::new();
            for (i, piece) in data.chunks(RELEASE_INPUT_EVERY as usize).enumerate() {
                hasher.update(piece);
                if let Some(release) = release_input {
                    release(i * RELEASE_INPUT_EVERY as usize, piece.len());
                }
            }
            hex::encode(hasher.finalize())
        },
    );

    let regions = run.regions.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut nodes = run.nodes.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut warnings = run.warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    let (regions, nodes_remap) = renumber(regions);
    for n in &mut nodes {
        n.region = nodes_remap[n.region];
    }
    nodes.sort_by(|a, b| a.path.cmp(&b.path));
    warnings.sort_by(|a, b| (&a.source, a.offset).cmp(&(&b.source, b.offset)));
    let mut stats = Stats {
        bytes_out: run.bytes_out.load(Ordering::Relaxed).min(run.budget),
        max_depth: run.max_depth_seen.load(Ordering::Relaxed) as u32,
        ..Stats::default()
    };
    for n in &nodes {
        match n.kind {
            NodeKind::File | NodeKind::Payload | NodeKind::Hardlink => stats.files += 1,
            NodeKind::Dir => stats.dirs += 1,
            NodeKind::Symlink => stats.symlinks += 1,
            _ => stats.other += 1,
        }
    }
    stats.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(Manifest {
        schema: SCHEMA.to_string(),
        input: Input {
            name: name.to_string(),
            size: data.len() as u64,
            sha256: input_sha256,
        },
        regions,
        nodes,
        warnings,
        aborted: run
            .abort_reason
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
        stats,
    })
}

/// Give regions deterministic ids, whatever order threads added them in: depth first, each
/// region's children ordered by source then offset, so a listing reads as the nesting tree.
/// Returns the regions and the old-id → new-id map.
fn renumber(mut regions: Vec<Region>) -> (Vec<Region>, Vec<usize>) {
    let key = |r: &Region| (r.source.clone(), r.offset, r.format.clone());
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); regions.len()];
    let mut roots = Vec::new();
    for r in &regions {
        match r.parent {
            Some(p) if p < regions.len() => children[p].push(r.id),
            _ => roots.push(r.id),
        }
    }
    roots.sort_by_key(|&i| key(&regions[i]));
    for c in &mut children {
        c.sort_by_key(|&i| key(&regions[i]));
    }
    let mut order = Vec::with_capacity(regions.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    let mut remap = vec![0; regions.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    for r in &mut regions {
        r.id = remap[r.id];
        r.parent = r.parent.map(|p| remap[p]);
    }
    regions.sort_by_key(|r| r.id);
    (regions, remap)
}

/// Memory-map `path` and unpack it (see [`unpack`]).
pub fn unpack_file(
    path: &Path,
    output: Option<&Path>,
    options: &Options,
) -> std::io::Result<Manifest> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    if len == 0 {
        return unpack(&name, &[], output, options);
    }
    // SAFETY: the map is read-only; a concurrent writer to the input could change bytes under us,
    // which every parser already tolerates (they treat all input as hostile).
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let release = |offset: usize, len: usize| {
        let len = len.min(map.len().saturating_sub(offset));
        // SAFETY: a shared read-only file mapping: dropped pages are read back from the file
        // (page cache) on the next access, so no byte anyone reads changes. Failure only means
        // the pages stay resident.
        let _ =
            unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len) };
    };
    let release: Option<&ReleaseFn<'_>> = (len > RELEASE_INPUT_EVERY).then_some(&release);
    unpack_with(&name, &map, output, options, release)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The carve as first written: every candidate collected up front, sorted, deduplicated, then
    /// filtered by what accepted structures cover. The lazy [`Candidates`] must agree with it.
    fn eager_carve(data: &[u8]) -> Vec<(usize, &'static str, usize)> {
        let scanner = &*SCANNER;
        // The reference search: every overlapping match of every magic.
        let automaton = aho_corasick::AhoCorasick::new(&scanner.needles).unwrap();
        let mut found: Vec<(usize, usize)> = automaton
            .find_overlapping_iter(data)
            .filter_map(|m| {
                let (h, off) = scanner.patterns[m.pattern().as_usize()];
                m.start().checked_sub(off).map(|s| (s, h))
            })
            .collect();
        if !data.is_empty() {
            found.extend(scanner.at_start_only.iter().map(|&h| (0, h)));
        }
        found.sort_unstable();
        found.dedup();
        let mut out = Vec::new();
        let mut covered_end = 0;
        for (start, h) in found {
            if start < covered_end {
                continue;
            }
            let handler = formats::all()[h];
            let Some(id) = handler.identify(&data[start..]) else {
                continue;
            };
            let end = id.end_within(start, data.len());
            if handler.kind() != Kind::Info {
                covered_end = end.max(start + 1);
            }
            out.push((start, handler.name(), end));
        }
        out
    }

    fn lazy_carve(data: &[u8], survey: Option<&Survey>) -> Vec<(usize, &'static str, usize)> {
        let (accepted, info) = carve(data, survey, &mut |_, _| {});
        let mut out: Vec<_> = accepted
            .iter()
            .map(|a| (a.start, a.handler.name(), a.end))
            .chain(info.iter().map(|h| {
                let end = h.offset + h.size.unwrap_or(0);
                (h.offset as usize, h.format, end as usize)
            }))
            .collect();
        out.sort();
        out
    }

    fn agree(name: &str, data: &[u8]) {
        let mut eager = eager_carve(data);
        // Repeated banners are folded by `carve`; compare the structures and first banners only.
        eager.dedup_by(|b, a| {
            a.1 == b.1
                && b.0 < a.2
                && formats::all()
                    .iter()
                    .any(|h| h.name() == a.1 && h.kind() == Kind::Info)
        });
        eager.sort();
        assert_eq!(lazy_carve(data, None), eager, "{name}");
        // The same from a survey taken in odd-sized chunks, as a pipelined decode takes it.
        let mut surveyor = crate::scan::Surveyor::new();
        for chunk in data.chunks(65_537) {
            surveyor.feed(chunk);
        }
        let survey = surveyor.finish();
        assert_eq!(lazy_carve(data, Some(&survey)), eager, "{name}, surveyed");
    }

    #[test]
    fn lazy_candidates_find_what_a_full_scan_finds() {
        let mut checked = 0;
        for folder in ["corpus/formats", "corpus/real"] {
            let dir = iotassay_testkit::shared_dir().join(folder);
            let mut paths: Vec<_> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .flatten()
                .map(|e| e.path())
                .collect();
            paths.sort();
            for path in paths {
                let data = std::fs::read(&path).unwrap();
                agree(&path.display().to_string(), &data);
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} corpus files");
    }

    #[test]
    fn lazy_candidates_agree_on_noise_full_of_magics() {
        // Small fixtures spliced at odd offsets into noise, so structures overlap, nest and
        // truncate each other.
        let fixtures: Vec<Vec<u8>> = [
            "squashFS__gzip.sqfs",
            "binwalk__gzip.bin",
            "trx__trx.img",
            "uboot__uboot.image_with_header",
            "patool__test.cpio",
            "binwalk__bzip2.bin",
        ]
        .iter()
        .map(|f| iotassay_testkit::corpus_bytes(&format!("formats/{f}")))
        .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..40 {
            let mut data = Vec::new();
            for _ in 0..6 {
                let noise = (next() % 3000) as usize;
                data.extend((0..noise).map(|_| next() as u8));
                let f = &fixtures[(next() % fixtures.len() as u64) as usize];
                let cut = f.len() - (next() as usize % (f.len() / 2 + 1));
                data.extend_from_slice(&f[..cut]);
            }
            agree(&format!("round {round}"), &data);
        }
    }
}
