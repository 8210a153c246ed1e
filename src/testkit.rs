//! A deterministic generator of random-looking strings, shared by the unit and integration
//! tests so that their fixtures hold no real (or copied) secrets and every seed replays.
//! Not part of the tool's interface.

/// xorshift64*: small, fast, and the same sequence for a seed on every platform; the
/// differential test's named seeds depend on that.
pub struct Gen(u64);

pub const B62: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub const HEX: &str = "0123456789abcdef";
pub const UPPER32: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `len` characters drawn from `alphabet`.
    pub fn s(&mut self, alphabet: &str, len: usize) -> String {
        let a = alphabet.as_bytes();
        (0..len)
            .map(|_| a[(self.next_u64() % a.len() as u64) as usize] as char)
            .collect()
    }

    pub fn aws_key_id(&mut self) -> String {
        format!("AKIA{}", self.s(UPPER32, 16))
    }

    pub fn github_token(&mut self) -> String {
        format!("ghp_{}", self.s(B62, 36))
    }
}
