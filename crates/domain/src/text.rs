//! Checks for text that people type: names, reasons, phone numbers.

use crate::error::DomainError;

pub const NAME_MAX: usize = 40;
pub const REASON_MAX: usize = 200;

/// Trims and checks a required text field; counts characters, not bytes.
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::EmptyText { field });
    }
    if v.chars().count() > max {
        return Err(DomainError::TextTooLong { field, max });
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(DomainError::InvalidPayload { detail: format!("{field}: control characters") });
    }
    Ok(v.to_string())
}

/// A mainland mobile number: 11 digits starting with 1 (spaces and dashes ignored).
pub fn phone(value: &str) -> Result<String, DomainError> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(DomainError::InvalidPhone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_present_and_at_most_40_characters() {
        assert_eq!(required("name", "  张小明 ", NAME_MAX).unwrap(), "张小明");
        assert_eq!(required("name", "   ", NAME_MAX).unwrap_err().code(), "empty_text");
        let long: String = "张".repeat(41);
        assert_eq!(required("name", &long, NAME_MAX).unwrap_err().code(), "text_too_long");
        assert!(required("name", &"张".repeat(40), NAME_MAX).is_ok());
    }

    #[test]
    fn phone_numbers_are_eleven_digit_mobiles() {
        assert_eq!(phone("138 0013 8000").unwrap(), "13800138000");
        for bad in ["1380013800", "23800138000", "1380013800a", ""] {
            assert_eq!(phone(bad).unwrap_err().code(), "invalid_phone", "{bad}");
        }
    }
}
