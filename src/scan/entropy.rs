//! Randomness measures that gate the generic rules: Shannon entropy and character classes.

/// Shannon entropy of `s` in bits per byte.
pub(crate) fn shannon(s: &str) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / len;
            -p * p.log2()
        })
        .sum()
}

/// How many of lower case, upper case, digits and symbols appear in `s`.
pub(crate) fn classes(s: &str) -> usize {
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let symbol = s.bytes().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, symbol].iter().filter(|x| **x).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_random_above_repetitive() {
        assert_eq!(shannon(""), 0.0);
        assert_eq!(shannon("aaaa"), 0.0);
        assert!((shannon("ab") - 1.0).abs() < 1e-9);
        assert!(shannon("q8Zr2Lw9Xk4Tp7Vn") > 3.9);
        assert!(shannon("passwordpassword") < 3.0);
    }

    #[test]
    fn character_classes() {
        assert_eq!(classes("abc"), 1);
        assert_eq!(classes("aB3"), 3);
        assert_eq!(classes("aB3-"), 4);
    }
}
