//! MD5 (RFC 1321), only to verify the checksum TP-Link headers carry. Written here because the
//! workspace has no MD5 crate and this one check does not justify a dependency; it is never used
//! for anything security-relevant beyond "does the vendor's checksum match".

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

fn k(i: usize) -> u32 {
    // K[i] = floor(abs(sin(i + 1)) * 2^32), computed once per call site; exact in f64.
    ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32
}

/// MD5 of the concatenation of `parts`.
pub fn md5(parts: &[&[u8]]) -> [u8; 16] {
    let mut h = Md5 {
        state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
        buf: [0; 64],
        filled: 0,
        total: 0,
        table: std::array::from_fn(k),
    };
    for part in parts {
        h.update(part);
    }
    let bits = h.total.wrapping_mul(8);
    h.update(&[0x80]);
    while h.filled != 56 {
        h.update(&[0]);
    }
    h.update(&bits.to_le_bytes());
    let mut digest = [0u8; 16];
    for (chunk, word) in digest.chunks_exact_mut(4).zip(h.state) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    digest
}

struct Md5 {
    state: [u32; 4],
    buf: [u8; 64],
    filled: usize,
    total: u64,
    table: [u32; 64],
}

impl Md5 {
    fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.filled > 0 {
            let take = (64 - self.filled).min(data.len());
            self.buf[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled < 64 {
                return;
            }
            let block = self.buf;
            compress(&mut self.state, &block, &self.table);
            self.filled = 0;
        }
        let mut blocks = data.chunks_exact(64);
        for block in &mut blocks {
            compress(&mut self.state, block, &self.table);
        }
        let rest = blocks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }
}

fn compress(state: &mut [u32; 4], block: &[u8], table: &[u32; 64]) {
    let m: [u32; 16] = std::array::from_fn(|i| {
        u32::from_le_bytes([
            block[4 * i],
            block[4 * i + 1],
            block[4 * i + 2],
            block[4 * i + 3],
        ])
    });
    let [mut a, mut b, mut c, mut d] = *state;
    for i in 0..64 {
        let (f, g) = match i / 16 {
            0 => ((b & c) | (!b & d), i),
            1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
            2 => (b ^ c ^ d, (3 * i + 5) % 16),
            _ => (c ^ (b | !d), (7 * i) % 16),
        };
        let f = f.wrapping_add(a).wrapping_add(table[i]).wrapping_add(m[g]);
        a = d;
        d = c;
        c = b;
        b = b.wrapping_add(f.rotate_left(S[i]));
    }
    state[0] = state[0].wrapping_add(a);
    state[1] = state[1].wrapping_add(b);
    state[2] = state[2].wrapping_add(c);
    state[3] = state[3].wrapping_add(d);
}

#[cfg(test)]
mod tests {
    use super::md5;

    fn hex(d: [u8; 16]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc1321_vectors() {
        assert_eq!(hex(md5(&[b""])), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(md5(&[b"abc"])), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            hex(md5(&[b"message ", b"digest"])),
            "f96b697d7cb7938d525a2f31aaf161d0"
        );
        let long =
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(hex(md5(&[long])), "57edf4a22be3c955ac49da2e2107b67a");
    }
}
