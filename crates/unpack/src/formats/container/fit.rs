//! Flattened device trees: U-Boot FIT images (a device tree with an `/images` node whose children
//! carry kernels, ramdisks and device trees, inline in `data` or appended after the tree via
//! `data-offset`/`data-position`) and plain DTBs (reported for their model and compatible strings).
//!
//! The FDT structure block is parsed by hand: the format is a simple token stream, and doing it
//! here keeps every bound explicit (node depth, string offsets inside the strings block, tokens
//! inside the structure block) instead of trusting a general-purpose parser with hostile input.

use crate::bytes::{be_u32, be_u64, slice};
use crate::format::{Emit, Error, Format, Identified, Kind, Magic};

use super::{payload, printable, utc};

const FDT_MAGIC: [u8; 4] = [0xd0, 0x0d, 0xfe, 0xed];
const HEADER_LEN: usize = 40;
const MAX_DEPTH: usize = 64;

const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;

/// One node of a parsed device tree; children and parent by index into [`Tree::nodes`].
pub(crate) struct Node<'a> {
    pub name: &'a [u8],
    pub props: Vec<(&'a [u8], &'a [u8])>,
    pub children: Vec<usize>,
}

impl<'a> Node<'a> {
    pub fn prop(&self, name: &str) -> Option<&'a [u8]> {
        self.props
            .iter()
            .find(|(n, _)| *n == name.as_bytes())
            .map(|(_, v)| *v)
    }
    /// A property holding one NUL-terminated printable string.
    pub fn string(&self, name: &str) -> Option<String> {
        let v = self.prop(name)?;
        let v = v.strip_suffix(&[0]).unwrap_or(v);
        printable(v).then(|| String::from_utf8_lossy(v).into_owned())
    }
    /// A 32- or 64-bit big-endian cell property.
    pub fn number(&self, name: &str) -> Option<u64> {
        let v = self.prop(name)?;
        match v.len() {
            4 => be_u32(v, 0).map(u64::from),
            8 => be_u64(v, 0),
            _ => None,
        }
    }
}

/// A parsed device tree.
pub(crate) struct Tree<'a> {
    pub nodes: Vec<Node<'a>>,
    /// `totalsize` from the header: the tree's own length.
    pub total: usize,
}

impl<'a> Tree<'a> {
    pub fn root(&self) -> &Node<'a> {
        &self.nodes[0]
    }
    pub fn child(&self, node: &Node<'a>, name: &str) -> Option<&Node<'a>> {
        node.children
            .iter()
            .filter_map(|&i| self.nodes.get(i))
            .find(|c| c.name == name.as_bytes())
    }
    pub fn children<'t>(&'t self, node: &'t Node<'a>) -> impl Iterator<Item = &'t Node<'a>> + 't {
        node.children.iter().filter_map(|&i| self.nodes.get(i))
    }
}

/// Parse the device tree at `data[0]`; `None` unless the header and the whole structure block
/// are consistent.
pub(crate) fn parse(data: &[u8]) -> Option<Tree<'_>> {
    if data.get(..4)? != FDT_MAGIC {
        return None;
    }
    let field = |i: usize| be_u32(data, 4 * i).and_then(|v| usize::try_from(v).ok());
    let total = field(1)?;
    let (off_struct, off_strings, off_rsv) = (field(2)?, field(3)?, field(4)?);
    let (version, last_comp) = (field(5)?, field(6)?);
    if total < HEADER_LEN || total > data.len() || !(16..=32).contains(&version) || last_comp > 17 {
        return None;
    }
    let blob = &data[..total];
    let size_strings = field(8)?;
    let size_struct = if version >= 17 {
        field(9)?
    } else {
        total.checked_sub(off_struct)?
    };
    let strings = slice(blob, off_strings, size_strings)?;
    let block = slice(blob, off_struct, size_struct)?;
    if off_rsv < HEADER_LEN || off_rsv >= total || off_struct < HEADER_LEN {
        return None;
    }

    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut at = 0usize;
    let mut finished = false;
    while !finished {
        let token = be_u32(block, at)?;
        at += 4;
        match token {
            BEGIN_NODE => {
                let rest = block.get(at..)?;
                let len = memchr::memchr(0, rest)?;
                let name = &rest[..len];
                at = at.checked_add(len + 1)?.checked_next_multiple_of(4)?;
                if stack.len() >= MAX_DEPTH || (stack.is_empty() && !nodes.is_empty()) {
                    return None;
                }
                let index = nodes.len();
                if let Some(&parent) = stack.last() {
                    nodes.get_mut(parent)?.children.push(index);
                }
                nodes.push(Node {
                    name,
                    props: Vec::new(),
                    children: Vec::new(),
                });
                stack.push(index);
            }
            END_NODE => {
                stack.pop()?;
            }
            PROP => {
                let len = usize::try_from(be_u32(block, at)?).ok()?;
                let name_off = usize::try_from(be_u32(block, at + 4)?).ok()?;
                let value = slice(block, at + 8, len)?;
                at = (at + 8).checked_add(len)?.checked_next_multiple_of(4)?;
                let name_rest = strings.get(name_off..)?;
                let name = &name_rest[..memchr::memchr(0, name_rest)?];
                let &current = stack.last()?;
                nodes.get_mut(current)?.props.push((name, value));
            }
            NOP => {}
            END => finished = true,
            _ => return None,
        }
    }
    if !stack.is_empty() || nodes.is_empty() {
        return None;
    }
    Some(Tree { nodes, total })
}

/// Where an image's bytes are: inline, or after the tree (`data-offset`, relative to the end of the
/// tree rounded up to 4) or at an absolute `data-position`.
enum Location<'a> {
    Inline(&'a [u8]),
    External { start: usize, len: usize },
    Missing,
}

fn locate<'a>(tree: &Tree<'a>, image: &Node<'a>) -> Location<'a> {
    if let Some(data) = image.prop("data") {
        return Location::Inline(data);
    }
    let len = image
        .number("data-size")
        .and_then(|v| usize::try_from(v).ok());
    let start = image
        .number("data-position")
        .and_then(|v| usize::try_from(v).ok())
        .or_else(|| {
            let off = usize::try_from(image.number("data-offset")?).ok()?;
            tree.total.checked_next_multiple_of(4)?.checked_add(off)
        });
    match (start, len) {
        (Some(start), Some(len)) => Location::External { start, len },
        _ => Location::Missing,
    }
}

/// Names of the signature (and hash) algorithms found under `node`'s direct children.
fn digests(tree: &Tree, node: &Node, prefix: &str) -> Vec<String> {
    tree.children(node)
        .filter(|c| c.name.starts_with(prefix.as_bytes()))
        .map(|c| {
            let algo = c.string("algo").unwrap_or_else(|| "unknown".into());
            match c.string("key-name-hint") {
                Some(key) => format!("{algo} key \"{}\"", key.escape_default()),
                None => algo,
            }
        })
        .collect()
}

/// U-Boot FIT image.
pub struct Fit;

impl Format for Fit {
    fn name(&self) -> &'static str {
        "fit"
    }
    fn kind(&self) -> Kind {
        Kind::Container
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&FDT_MAGIC)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let tree = parse(data)?;
        let root = tree.root();
        let images = tree.child(root, "images")?;
        let mut end = tree.total;
        let mut parts = Vec::new();
        let mut signed = Vec::new();
        for image in tree.children(images) {
            if let Location::External { start, len } = locate(&tree, image) {
                end = end.max(start.saturating_add(len).min(data.len()));
            }
            let mut facts: Vec<String> = ["type", "arch", "os", "compression"]
                .iter()
                .filter_map(|p| image.string(p))
                .collect();
            let hashes = digests(&tree, image, "hash");
            if !hashes.is_empty() {
                facts.push(format!("hash {}", hashes.join("+")));
            }
            let sigs = digests(&tree, image, "signature");
            if !sigs.is_empty() {
                facts.push(format!("signed {}", sigs.join("+")));
                signed.push(format!("image {}", String::from_utf8_lossy(image.name)));
            }
            parts.push(format!(
                "{} ({})",
                String::from_utf8_lossy(image.name),
                facts.join(", ")
            ));
        }
        let mut description = format!(
            "FIT \"{}\"",
            root.string("description")
                .unwrap_or_default()
                .escape_default()
        );
        if let Some(ts) = root.number("timestamp") {
            description.push_str(&format!(", created {}", utc(ts as i64)));
        }
        description.push_str(&format!(", {} images: {}", parts.len(), parts.join("; ")));
        if let Some(configs) = tree.child(root, "configurations") {
            let count = tree.children(configs).count();
            description.push_str(&format!(", {count} configurations"));
            if let Some(default) = configs.string("default") {
                description.push_str(&format!(" (default \"{}\")", default.escape_default()));
            }
            for config in tree.children(configs) {
                let sigs = digests(&tree, config, "signature");
                if !sigs.is_empty() {
                    signed.push(format!(
                        "configuration {} ({})",
                        String::from_utf8_lossy(config.name),
                        sigs.join(", ")
                    ));
                }
            }
        }
        if signed.is_empty() {
            description.push_str(", unsigned");
        } else {
            description.push_str(&format!(", signatures: {}", signed.join("; ")));
        }
        Some(Identified::new(Some(end as u64), description))
    }

    fn extract(&self, data: &[u8], _id: Identified, out: &dyn Emit) -> Result<(), Error> {
        let tree =
            parse(data).ok_or_else(|| Error::malformed(0, "device tree no longer validates"))?;
        let images = tree
            .child(tree.root(), "images")
            .ok_or_else(|| Error::malformed(0, "FIT without /images"))?;
        for image in tree.children(images) {
            let name = String::from_utf8_lossy(image.name);
            let name = if name.is_empty() {
                "image".into()
            } else {
                name
            };
            match locate(&tree, image) {
                Location::Inline(bytes) => payload(out, &name, bytes)?,
                Location::External { start, len } => match slice(data, start, len) {
                    Some(bytes) => payload(out, &name, bytes)?,
                    None => out.warn(
                        start as u64,
                        format!("external data of image {name} lies beyond the data"),
                    ),
                },
                Location::Missing => out.warn(0, format!("image {name} has no data")),
            }
        }
        Ok(())
    }
}

/// A plain device tree blob (no `/images`): reported, nothing to extract.
pub struct Dtb;

impl Format for Dtb {
    fn name(&self) -> &'static str {
        "dtb"
    }
    fn kind(&self) -> Kind {
        Kind::Info
    }
    fn magics(&self) -> &'static [Magic] {
        const MAGICS: &[Magic] = &[Magic::at_start(&FDT_MAGIC)];
        MAGICS
    }

    fn identify(&self, data: &[u8]) -> Option<Identified> {
        let tree = parse(data)?;
        let root = tree.root();
        if tree.child(root, "images").is_some() {
            return None;
        }
        let mut description = format!("device tree, {} nodes", tree.nodes.len());
        if let Some(model) = root.string("model") {
            description.push_str(&format!(", model \"{}\"", model.escape_default()));
        }
        if let Some(compatible) = root.prop("compatible") {
            let list: Vec<String> = compatible
                .split(|&b| b == 0)
                .filter(|s| !s.is_empty() && printable(s))
                .take(8)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect();
            if !list.is_empty() {
                description.push_str(&format!(", compatible {}", list.join(", ")));
            }
        }
        if let Some(bootargs) = tree
            .child(root, "chosen")
            .and_then(|c| c.string("bootargs"))
        {
            description.push_str(&format!(", bootargs \"{}\"", bootargs.escape_default()));
        }
        Some(Identified::new(Some(tree.total as u64), description))
    }

    fn extract(&self, _data: &[u8], _id: Identified, _out: &dyn Emit) -> Result<(), Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::container::test_util::{hostile, noise};
    use crate::testing::Collector;
    use iotassay_testkit::corpus_bytes;

    /// A minimal FDT builder: (depth-first) `Begin(name)`, `Prop(name, value)`, `End`.
    enum T<'a> {
        Begin(&'a str),
        Prop(&'a str, &'a [u8]),
        End,
    }

    fn build(tokens: &[T]) -> Vec<u8> {
        let mut strings: Vec<u8> = Vec::new();
        let mut block: Vec<u8> = Vec::new();
        let pad = |v: &mut Vec<u8>| v.resize(v.len().next_multiple_of(4), 0);
        for t in tokens {
            match t {
                T::Begin(n) => {
                    block.extend_from_slice(&BEGIN_NODE.to_be_bytes());
                    block.extend_from_slice(n.as_bytes());
                    block.push(0);
                    pad(&mut block);
                }
                T::Prop(n, v) => {
                    let off = strings.len() as u32;
                    strings.extend_from_slice(n.as_bytes());
                    strings.push(0);
                    block.extend_from_slice(&PROP.to_be_bytes());
                    block.extend_from_slice(&(v.len() as u32).to_be_bytes());
                    block.extend_from_slice(&off.to_be_bytes());
                    block.extend_from_slice(v);
                    pad(&mut block);
                }
                T::End => block.extend_from_slice(&END_NODE.to_be_bytes()),
            }
        }
        block.extend_from_slice(&END.to_be_bytes());
        let off_struct = 40 + 16;
        let off_strings = off_struct + block.len();
        let total = off_strings + strings.len();
        let mut out = Vec::new();
        for v in [
            u32::from_be_bytes(FDT_MAGIC),
            total as u32,
            off_struct as u32,
            off_strings as u32,
            40,
            17,
            16,
            0,
            strings.len() as u32,
            block.len() as u32,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&block);
        out.extend_from_slice(&strings);
        out
    }

    #[test]
    fn fact_fit_image() {
        let data = corpus_bytes("formats/uboot__fit.itb");
        assert!(Dtb.identify(&data).is_none());
        let id = Fit.identify(&data).expect("identifies");
        assert_eq!(id.size, Some(data.len() as u64));
        let d = &id.description;
        assert!(
            d.starts_with("FIT \"FACT Test FIT Image\", created 2024-10-16"),
            "{d}"
        );
        assert!(
            d.contains("3 images: kernel (kernel, arm64, linux, gzip); fdt (flat_dt, arm64, none)"),
            "{d}"
        );
        assert!(d.contains("unsigned"), "{d}");
        let (c, r) = Collector::run(&Fit, &data, 64 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.sorted_paths(), ["fdt", "kernel", "rootfs"]);
        let kernel = c.file("kernel").unwrap();
        assert_eq!(kernel.len(), 1_048_765);
        assert_eq!(&kernel[..2], &[0x1f, 0x8b], "gzip kernel");
        let fdt = c.file("fdt").unwrap();
        assert_eq!(fdt.len(), 155);
        assert!(
            Dtb.identify(&fdt).is_some(),
            "the embedded fdt is itself a device tree"
        );
        assert_eq!(c.file("rootfs").unwrap().len(), 1_049_072);
    }

    #[test]
    fn fact_plain_dtb() {
        let file = corpus_bytes("formats/uboot__uboot.dtb");
        let data = &file[0x980..];
        assert!(Fit.identify(data).is_none());
        let id = Dtb.identify(data).expect("identifies");
        assert_eq!(id.size, Some(0x8079));
        assert!(
            id.description.contains("model \"Manufac XYZ1234ABC\""),
            "{}",
            id.description
        );
        assert!(
            id.description
                .contains("compatible linksys,shelby, linksys,ships_385"),
            "{}",
            id.description
        );
        assert!(
            id.description.contains("bootargs \"console=ttyS0,115200\""),
            "{}",
            id.description
        );
        let (c, r) = Collector::run(&Dtb, data, 1 << 20).unwrap();
        r.unwrap();
        assert!(c.paths().is_empty());
    }

    #[test]
    fn external_data_and_signatures() {
        let tree = build(&[
            T::Begin(""),
            T::Prop("description", b"ext\0"),
            T::Begin("images"),
            T::Begin("kernel-1"),
            T::Prop("type", b"kernel\0"),
            T::Prop("data-offset", &0u32.to_be_bytes()),
            T::Prop("data-size", &5u32.to_be_bytes()),
            T::Begin("hash-1"),
            T::Prop("algo", b"sha256\0"),
            T::End,
            T::End,
            T::Begin("fdt-1"),
            T::Prop("data-position", &0u32.to_be_bytes()),
            T::Prop("data-size", &4u32.to_be_bytes()),
            T::End,
            T::End,
            T::Begin("configurations"),
            T::Prop("default", b"conf-1\0"),
            T::Begin("conf-1"),
            T::Begin("signature-1"),
            T::Prop("algo", b"sha256,rsa2048\0"),
            T::Prop("key-name-hint", b"dev\0"),
            T::End,
            T::End,
            T::End,
            T::End,
        ]);
        let mut img = tree.clone();
        img.resize(img.len().next_multiple_of(4), 0);
        let data_at = img.len();
        img.extend_from_slice(b"KERNEtrailing");
        let id = Fit.identify(&img).unwrap();
        assert_eq!(id.size, Some(data_at as u64 + 5));
        assert!(id.description.contains("hash sha256"), "{}", id.description);
        assert!(
            id.description
                .contains("signatures: configuration conf-1 (sha256,rsa2048 key \"dev\")"),
            "{}",
            id.description
        );
        assert!(id.description.contains("(default \"conf-1\")"));
        let (c, r) = Collector::run(&Fit, &img, 1 << 20).unwrap();
        r.unwrap();
        assert_eq!(c.file("kernel-1").unwrap(), b"KERNE");
        assert_eq!(c.file("fdt-1").unwrap(), &img[..4]);
    }

    #[test]
    fn hostile_trees() {
        let file = corpus_bytes("formats/uboot__uboot.dtb");
        hostile(&Dtb, &file[0x980..]);
        hostile(
            &Fit,
            &build(&[
                T::Begin(""),
                T::Begin("images"),
                T::Begin("k"),
                T::Prop("data", b"abc"),
                T::End,
                T::End,
                T::End,
            ]),
        );
        let mut junk = noise(4096, 3);
        junk[..4].copy_from_slice(&FDT_MAGIC);
        assert!(Dtb.identify(&junk).is_none() && Fit.identify(&junk).is_none());
        // Nesting deeper than the limit is refused, not recursed into.
        let mut deep: Vec<T> = (0..100).map(|_| T::Begin("n")).collect();
        deep.extend((0..100).map(|_| T::End));
        assert!(parse(&build(&deep)).is_none());
        // A second root, a property name outside the strings block, an unbalanced tree.
        assert!(parse(&build(&[T::Begin(""), T::End, T::Begin(""), T::End])).is_none());
        assert!(parse(&build(&[T::Begin(""), T::Begin("a"), T::End])).is_none());
        let mut bad = build(&[T::Begin(""), T::Prop("x", b"1234"), T::End]);
        let prop_name_off = 40 + 16 + 8 + 8;
        bad[prop_name_off..prop_name_off + 4].copy_from_slice(&0xffffu32.to_be_bytes());
        assert!(parse(&bad).is_none());
        // An external image whose data lies beyond the end: warned, not read.
        let img = build(&[
            T::Begin(""),
            T::Begin("images"),
            T::Begin("k"),
            T::Prop("data-position", &0xffff_fff0u32.to_be_bytes()),
            T::Prop("data-size", &0x100u32.to_be_bytes()),
            T::End,
            T::End,
            T::End,
        ]);
        let (c, r) = Collector::run(&Fit, &img, 1 << 20).unwrap();
        r.unwrap();
        assert!(c.paths().is_empty());
        assert_eq!(c.warnings.lock().unwrap().len(), 1);
    }
}
