//! The candidate search: which passwords are tried against a stored hash, in what order, and
//! within what budget.
//!
//! For each (hash, user) the order is: the empty password, the user name, the default pairs of
//! that user (exact case first, then any case), every other password of the default lists
//! ([`iotassay_credentials::pairs`]: Mirai, SecLists telnet/SSH/FTP, DefaultCreds, SecLists
//! vendors), the user's wordlists, then SecLists' 10,000 most common passwords. A password is
//! tried once, under the first list naming it.
//!
//! The budget is per image: a wall-clock deadline ([`IMAGE_BUDGET`]) and a number of
//! candidate-hash verifications ([`MAX_TRIES`]). Hashes are taken cheapest scheme first; each gets
//! an equal share of the time left (what a cheap hash does not use passes to the next), and its
//! candidates are tried in order by every thread of the pool, so a search cut short has tried a
//! prefix of the list: the default lists before the common one.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use iotassay_credentials::{common_passwords, pairs};
use rayon::prelude::*;

use crate::crypt::{self, Prepared, Scheme};

/// Time spent cracking all the hashes of one image at most.
pub const IMAGE_BUDGET: Duration = Duration::from_secs(2);
/// Candidate-hash verifications per image at most (a bound that does not depend on the clock).
pub const MAX_TRIES: usize = 10_000_000;
/// Candidates always tried first on a hash, whatever the clock says (not the count budget), so a
/// loaded machine does not change what the likeliest candidates show.
const MIN_TRIES: usize = 8;
/// Longer candidates are not tried.
const MAX_CANDIDATE_LEN: usize = 256;
/// Candidates a thread claims at once.
const BATCH: usize = 4;

/// Where a candidate password comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Empty,
    UserName,
    /// The pair at this index of [`iotassay_credentials::pairs`]: the first naming the password
    /// (the user's own pair when the user has one).
    Pair(usize),
    /// A wordlist given by the user.
    UserList,
    /// SecLists' common passwords, at this index (0 = the most common).
    Common(usize),
}

impl Origin {
    /// The list, for titles: `Mirai list`, `SecLists telnet defaults`, `10k most common
    /// passwords (SecLists)`…
    pub fn list_name(self) -> &'static str {
        match self {
            Origin::Empty => "the empty password",
            Origin::UserName => "the user name itself",
            Origin::Pair(i) => pairs()
                .get(i)
                .map_or("default list", |p| p.source.list_name()),
            Origin::UserList => "user wordlist",
            Origin::Common(_) => iotassay_credentials::COMMON_LIST_NAME,
        }
    }
}

/// One password to try.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub password: &'a str,
    pub origin: Origin,
}

/// The built-in candidates: every distinct password of the default lists in list order, then
/// those of the common list not already in; and where the common ones start.
static BUILTIN: LazyLock<(Vec<Candidate<'static>>, usize)> = LazyLock::new(|| {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in pairs().iter().enumerate() {
        if p.password.len() <= MAX_CANDIDATE_LEN && seen.insert(p.password.as_str()) {
            out.push(Candidate {
                password: p.password.as_str(),
                origin: Origin::Pair(i),
            });
        }
    }
    let defaults = out.len();
    for (i, &p) in common_passwords().iter().enumerate() {
        if seen.insert(p) {
            out.push(Candidate {
                password: p,
                origin: Origin::Common(i),
            });
        }
    }
    (out, defaults)
});

/// Indices of the pairs of each user name, lowercased.
static USER_PAIRS: LazyLock<HashMap<String, Vec<usize>>> = LazyLock::new(|| {
    let mut m: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in pairs().iter().enumerate() {
        m.entry(p.user.to_ascii_lowercase()).or_default().push(i);
    }
    m
});

/// The candidates of one user, in trying order, and where each part ends.
pub struct Candidates<'a> {
    pub list: Vec<Candidate<'a>>,
    /// End of the default part (empty, user name, default lists).
    pub defaults: usize,
    /// End of the user wordlists (the common list follows).
    pub user_lists: usize,
}

/// Every password of the default lists.
static DEFAULTS_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| BUILTIN.0[..BUILTIN.1].iter().map(|c| c.password).collect());

impl<'a> Candidates<'a> {
    pub fn new(user: &'a str, extra: &'a [String]) -> Candidates<'a> {
        let (builtin, common_start) = &*BUILTIN;
        // The built-in list is distinct already: only what is tried ahead of its parts (empty,
        // user name, the user's pairs; the user lists before the common list) is remembered.
        let mut seen: HashSet<&'a str> = HashSet::new();
        let mut list: Vec<Candidate<'a>> = Vec::with_capacity(builtin.len() + extra.len() + 2);
        fn push<'a>(
            seen: &mut HashSet<&'a str>,
            list: &mut Vec<Candidate<'a>>,
            password: &'a str,
            origin: Origin,
        ) {
            if password.len() <= MAX_CANDIDATE_LEN && seen.insert(password) {
                list.push(Candidate { password, origin });
            }
        }
        push(&mut seen, &mut list, "", Origin::Empty);
        push(&mut seen, &mut list, user, Origin::UserName);
        let own = USER_PAIRS
            .get(user.to_ascii_lowercase().as_str())
            .map_or(&[][..], Vec::as_slice);
        for exact in [true, false] {
            for &i in own {
                let p = &pairs()[i];
                if !exact || p.user == user {
                    push(&mut seen, &mut list, p.password.as_str(), Origin::Pair(i));
                }
            }
        }
        let rest = |from: &[Candidate<'a>], seen: &HashSet<&str>, list: &mut Vec<Candidate<'a>>| {
            list.extend(from.iter().filter(|c| !seen.contains(c.password)).copied());
        };
        rest(&builtin[..*common_start], &seen, &mut list);
        let defaults = list.len();
        for p in extra.iter().filter(|p| !DEFAULTS_SET.contains(p.as_str())) {
            push(&mut seen, &mut list, p.as_str(), Origin::UserList);
        }
        let user_lists = list.len();
        rest(&builtin[*common_start..], &seen, &mut list);
        Candidates {
            list,
            defaults,
            user_lists,
        }
    }
}

/// How much cracking an image may do.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub deadline: Instant,
    /// Candidate-hash verifications at most.
    pub max_tries: usize,
}

impl Budget {
    /// The budget of one image: [`IMAGE_BUDGET`] from now, [`MAX_TRIES`].
    pub fn image() -> Budget {
        Budget {
            deadline: Instant::now() + IMAGE_BUDGET,
            max_tries: MAX_TRIES,
        }
    }
}

/// Why a search ended before its candidates did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The image's time budget (this hash's share of it) ran out.
    Time,
    /// The image's count of candidate-hash verifications ran out.
    Count,
}

/// Tried of total, for one part of a candidate list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Part {
    pub tried: usize,
    pub total: usize,
}

/// What trying the lists on one hash gave.
#[derive(Debug, Clone)]
pub struct Cracked {
    pub found: Option<(String, Origin)>,
    /// Empty, user name and the default lists.
    pub defaults: Part,
    pub user_lists: Part,
    pub common: Part,
    /// Set when the search ended before the candidates did and nothing matched.
    pub stopped: Option<Stop>,
    /// False when the hash is of a scheme (or parameters) not verified here: nothing was tried.
    pub verifiable: bool,
}

impl Cracked {
    pub fn tried(&self) -> usize {
        self.defaults.tried + self.user_lists.tried + self.common.tried
    }
    pub fn candidates(&self) -> usize {
        self.defaults.total + self.user_lists.total + self.common.total
    }

    /// How far the search went, for people: `tried 812 of 16,231 candidates (the default lists:
    /// all 6,120; the 10k most common passwords: 0 of 9,811); stopped by the time budget (2 s
    /// per image)`.
    pub fn progress(&self) -> String {
        let part = |p: Part| {
            if p.tried == p.total {
                format!("all {}", thousands(p.total))
            } else {
                format!("{} of {}", thousands(p.tried), thousands(p.total))
            }
        };
        let mut parts = vec![format!("the default lists: {}", part(self.defaults))];
        if self.user_lists.total > 0 {
            parts.push(format!("user wordlists: {}", part(self.user_lists)));
        }
        parts.push(format!(
            "the {}: {}",
            iotassay_credentials::COMMON_LIST_NAME,
            part(self.common)
        ));
        let mut s = format!(
            "tried {} of {} candidates ({})",
            thousands(self.tried()),
            thousands(self.candidates()),
            parts.join("; ")
        );
        match self.stopped {
            Some(Stop::Time) => s.push_str(&format!(
                "; stopped by the time budget ({} s per image, shared by its hashes)",
                IMAGE_BUDGET.as_secs()
            )),
            Some(Stop::Count) => s.push_str("; stopped by the image's budget of verifications"),
            None => {}
        }
        s
    }
}

/// `16231` → `16,231`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Try the candidates of every (hash, user) within `budget`: cheapest scheme first, each hash
/// with an equal share of the time left.
pub fn crack_all(
    keys: &[(String, String)],
    extra: &[String],
    budget: &Budget,
) -> HashMap<(String, String), Cracked> {
    let tokens = AtomicUsize::new(budget.max_tries);
    let mut order: Vec<(u64, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, (h, _))| (crypt::work(h), i))
        .collect();
    order.sort_unstable();
    let mut out = HashMap::with_capacity(keys.len());
    for (n, &(_, i)) in order.iter().enumerate() {
        let (hash, user) = &keys[i];
        let now = Instant::now();
        let left = budget.deadline.saturating_duration_since(now);
        let share = left / u32::try_from(order.len() - n).unwrap_or(u32::MAX);
        let r = crack(hash, user, extra, now + share, &tokens);
        out.insert((hash.clone(), user.clone()), r);
    }
    out
}

const RUNNING: u8 = 0;
const STOP_TIME: u8 = 1;
const STOP_COUNT: u8 = 2;

/// Try the candidates of `user` on `hash` in order, on every thread of the current pool, until
/// one matches, the deadline passes or the tokens run out.
fn crack(
    hash: &str,
    user: &str,
    extra: &[String],
    deadline: Instant,
    tokens: &AtomicUsize,
) -> Cracked {
    let Some(prepared) = Prepared::new(hash) else {
        return Cracked {
            found: None,
            defaults: Part::default(),
            user_lists: Part::default(),
            common: Part::default(),
            stopped: None,
            verifiable: false,
        };
    };
    let set = Candidates::new(user, extra);
    let list = &set.list;
    let bounds = [set.defaults, set.user_lists, list.len()];
    let tried: [AtomicUsize; 3] = Default::default();
    let next = AtomicUsize::new(0);
    let found = AtomicUsize::new(usize::MAX);
    let state = AtomicU8::new(RUNNING);
    let work = || loop {
        let start = next.fetch_add(BATCH, Ordering::Relaxed);
        if start >= list.len() {
            return;
        }
        for (i, candidate) in list.iter().enumerate().skip(start).take(BATCH) {
            if i > found.load(Ordering::Relaxed) || state.load(Ordering::Relaxed) != RUNNING {
                return;
            }
            if i >= MIN_TRIES && Instant::now() > deadline {
                state.store(STOP_TIME, Ordering::Relaxed);
                return;
            }
            if tokens
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
                .is_err()
            {
                state.store(STOP_COUNT, Ordering::Relaxed);
                return;
            }
            let part = bounds.iter().position(|&b| i < b).unwrap_or(2);
            tried[part].fetch_add(1, Ordering::Relaxed);
            if prepared.verify(candidate.password) {
                found.fetch_min(i, Ordering::Relaxed);
                return;
            }
        }
    };
    let threads = rayon::current_num_threads().max(1);
    (0..threads)
        .into_par_iter()
        .with_max_len(1)
        .for_each(|_| work());
    let found = found.load(Ordering::Relaxed);
    let found = list.get(found).map(|c| (c.password.to_string(), c.origin));
    let stopped = match state.load(Ordering::Relaxed) {
        _ if found.is_some() => None,
        STOP_TIME => Some(Stop::Time),
        STOP_COUNT => Some(Stop::Count),
        _ => None,
    };
    let part = |k: usize, from: usize| Part {
        tried: tried[k].load(Ordering::Relaxed),
        total: bounds[k] - from,
    };
    Cracked {
        found,
        defaults: part(0, 0),
        user_lists: part(1, bounds[0]),
        common: part(2, bounds[1]),
        stopped,
        verifiable: true,
    }
}

/// The scheme and cost of a hash, for people: `sha512crypt ($6$), 5,000 rounds`.
pub fn scheme_and_cost(hash: &str) -> String {
    let scheme = Scheme::of(hash);
    match crypt::cost(hash) {
        Some(c) => format!("{scheme}, {c}"),
        None => scheme.to_string(),
    }
}
