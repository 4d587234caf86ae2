//! The ciphers of vendor containers whose keys are published (D-Link SHRS, `encrpted_img`, MH01;
//! Buffalo; Senao), in one place so each container module only says which key it uses.
//!
//! AES-CBC comes from RustCrypto's `aes` + `cbc`. Buffalo's "bcrypt" is RC4 generalised to a state
//! of any length (its "longstate" mode sizes the state to the data), which no crate offers, so it
//! is written here; Senao's and Alpha Networks' scrambles are single XORs.

use aes::cipher::block_padding::{NoPadding, Pkcs7};
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use sha2::{Digest, Sha256};

/// AES block size.
pub(crate) const AES_BLOCK: usize = 16;

/// AES-CBC-decrypt `data` (whole blocks; a trailing partial block is dropped) with a 16- or
/// 32-byte key. `None` for another key length.
pub(crate) fn aes_cbc_decrypt(key: &[u8], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    let mut buf = data[..data.len() - data.len() % AES_BLOCK].to_vec();
    aes_cbc_decrypt_in_place(key, iv, &mut buf)?;
    Some(buf)
}

/// AES-CBC-decrypt `buf` in place; its length must be whole blocks and the key 16 or 32 bytes,
/// else `None` and `buf` is untouched.
pub(crate) fn aes_cbc_decrypt_in_place(key: &[u8], iv: &[u8; 16], buf: &mut [u8]) -> Option<()> {
    if !buf.len().is_multiple_of(AES_BLOCK) {
        return None;
    }
    match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_mut::<NoPadding>(buf)
            .ok()
            .map(|_| ()),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()?
            .decrypt_padded_mut::<NoPadding>(buf)
            .ok()
            .map(|_| ()),
        _ => None,
    }
}

/// AES-128-CBC-decrypt `data` and strip its PKCS#7 padding; `None` when the padding is invalid
/// (the usual sign of a wrong key) or `data` is not whole blocks.
pub(crate) fn aes128_cbc_decrypt_pkcs7(
    key: &[u8; 16],
    iv: &[u8; 16],
    data: &[u8],
) -> Option<Vec<u8>> {
    if data.is_empty() || !data.len().is_multiple_of(AES_BLOCK) {
        return None;
    }
    let mut buf = data.to_vec();
    let len = cbc::Decryptor::<aes::Aes128>::new(key.into(), iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut buf)
        .ok()?
        .len();
    buf.truncate(len);
    Some(buf)
}

/// OpenSSL's `EVP_BytesToKey` with SHA-256 and one round, as `openssl enc -md sha256` derives a
/// 16-byte key from a passphrase and the 8-byte salt of a `Salted__` file.
pub(crate) fn openssl_sha256_key128(passphrase: &[u8], salt: &[u8; 8]) -> [u8; 16] {
    let digest = Sha256::new()
        .chain_update(passphrase)
        .chain_update(salt)
        .finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Buffalo's "bcrypt": RC4 whose state has `state_len` entries (256 normally, the data length in
/// "longstate" mode), keyed with `seed` followed by `key`. Returns `data` XORed with the stream.
/// `state_len` of 0 yields an empty result.
pub(crate) fn buffalo_bcrypt(seed: u8, key: &[u8], data: &[u8], state_len: usize) -> Vec<u8> {
    if state_len == 0 {
        return Vec::new();
    }
    let full_key: Vec<u8> = std::iter::once(seed).chain(key.iter().copied()).collect();
    // The reference keeps the state as bytes (indices above 255 wrap) and i, j as bytes too.
    let mut state: Vec<u8> = (0..state_len).map(|i| i as u8).collect();
    let mut k = 0usize;
    for i in 0..state_len {
        let t = state[i];
        k = (k + usize::from(full_key[i % full_key.len()]) + usize::from(t)) % state_len;
        state[i] = state[k];
        state[k] = t;
    }
    let (mut i, mut j) = (0u8, 0u8);
    data.iter()
        .map(|&b| {
            i = ((usize::from(i) + 1) % state_len) as u8;
            j = ((usize::from(j) + usize::from(state[usize::from(i) % state_len])) % state_len)
                as u8;
            state.swap(usize::from(i) % state_len, usize::from(j) % state_len);
            let at = (usize::from(state[usize::from(i) % state_len])
                + usize::from(state[usize::from(j) % state_len]))
                % state_len;
            b ^ state[at]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_cbc_matches_nist_sp800_38a() {
        // SP 800-38A F.2.2 (CBC-AES128.Decrypt), first block.
        let key = hex::decode("2b7e151628aed2a6abf7158809cf4f3c").unwrap();
        let iv: [u8; 16] = hex::decode("000102030405060708090a0b0c0d0e0f")
            .unwrap()
            .try_into()
            .unwrap();
        let ct = hex::decode("7649abac8119b246cee98e9b12e9197d").unwrap();
        let pt = aes_cbc_decrypt(&key, &iv, &ct).unwrap();
        assert_eq!(hex::encode(pt), "6bc1bee22e409f96e93d7e117393172a");
        // F.2.6 (CBC-AES256.Decrypt), first block.
        let key = hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
            .unwrap();
        let ct = hex::decode("f58c4c04d6e5f1ba779eabfb5f7bfbd6").unwrap();
        let pt = aes_cbc_decrypt(&key, &iv, &ct).unwrap();
        assert_eq!(hex::encode(pt), "6bc1bee22e409f96e93d7e117393172a");
        assert!(aes_cbc_decrypt(&key[..20], &iv, &ct).is_none());
        // A partial trailing block is dropped, not read past.
        assert_eq!(aes_cbc_decrypt(&key, &iv, &ct[..15]).unwrap(), b"");
    }

    #[test]
    fn pkcs7_rejects_a_wrong_key() {
        let key = [7u8; 16];
        let iv = [1u8; 16];
        assert!(aes128_cbc_decrypt_pkcs7(&key, &iv, &[0u8; 15]).is_none());
        assert!(aes128_cbc_decrypt_pkcs7(&key, &iv, &[]).is_none());
    }

    #[test]
    fn bcrypt_with_256_state_is_rc4() {
        // RFC 6229 test vector: RC4 key 0x0102030405, first keystream bytes b2 39 63 05 f0 3d c0 27.
        let stream = buffalo_bcrypt(0x01, &[2, 3, 4, 5], &[0u8; 8], 256);
        assert_eq!(hex::encode(stream), "b2396305f03dc027");
        // Its own inverse.
        let plain = b"foobar 123 test\n";
        let ct = buffalo_bcrypt(9, b"Buffalo", plain, plain.len());
        assert_ne!(&ct[..], plain);
        assert_eq!(buffalo_bcrypt(9, b"Buffalo", &ct, plain.len()), plain);
        assert!(buffalo_bcrypt(9, b"Buffalo", plain, 0).is_empty());
    }
}
