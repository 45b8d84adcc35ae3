//! Money is integer fen (1 yuan = 100 fen), never floats.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// An amount in fen. Negative amounts are refused wherever money enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// A fee amount as typed at the desk in yuan ("25", "25.5", "25.50").
    /// More than two decimals, signs, and anything that is not a number are refused.
    pub fn parse_yuan(input: &str) -> Result<Fen, DomainError> {
        let s = input.trim();
        let bad = || DomainError::InvalidAmount { input: input.to_string() };
        if s.is_empty() || s.len() > 12 {
            return Err(bad());
        }
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && frac.is_empty()) {
            return Err(bad());
        }
        let yuan: i64 = whole.parse().map_err(|_| bad())?;
        let mut fen: i64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| bad())? };
        if frac.len() == 1 {
            fen *= 10;
        }
        yuan.checked_mul(100).and_then(|v| v.checked_add(fen)).map(Fen).ok_or_else(bad)
    }

    /// Checks an amount that arrived as an integer (e.g. from JSON): it must not be negative
    /// and must stay below a sanity cap of one million yuan.
    pub fn checked(amount: i64) -> Result<Fen, DomainError> {
        if !(0..=100_000_000).contains(&amount) {
            return Err(DomainError::InvalidAmount { input: amount.to_string() });
        }
        Ok(Fen(amount))
    }

    /// "12.50" — for slips and messages; the UI formats per language itself.
    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", v / 100, v % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_typed_in_yuan_becomes_integer_fen() {
        let cases = [("25", 2500), ("25.5", 2550), ("25.50", 2550), (" 0.05 ", 5), ("0", 0), ("1000", 100_000)];
        for (input, fen) in cases {
            assert_eq!(Fen::parse_yuan(input).unwrap(), Fen(fen), "{input}");
        }
    }

    #[test]
    fn negative_or_non_integer_fen_amounts_are_refused() {
        for input in ["-5", "12.345", "abc", "", "1e3", "12.", ".5", "+3", "99999999999999"] {
            let err = Fen::parse_yuan(input).unwrap_err();
            assert_eq!(err.code(), "invalid_amount", "{input}");
        }
        assert!(Fen::checked(-1).is_err());
        assert!(Fen::checked(100_000_001).is_err());
        assert_eq!(Fen::checked(1500).unwrap(), Fen(1500));
    }

    #[test]
    fn amounts_print_as_yuan_with_two_decimals() {
        assert_eq!(Fen(2550).yuan_string(), "25.50");
        assert_eq!(Fen(5).yuan_string(), "0.05");
        assert_eq!(Fen(-120).yuan_string(), "-1.20");
    }
}
