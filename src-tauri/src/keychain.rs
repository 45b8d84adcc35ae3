//! The desk's server token in the OS keychain (macOS Keychain, Windows Credential Manager,
//! the kernel keyring on Linux) through `keyring`. The token never touches the database, a
//! file or a log; only the keychain entry's name (this desk's account on the server) is kept
//! in `server.json`.

/// The keychain service every ClinicDesk token is filed under.
pub const SERVICE: &str = "ClinicDesk";

/// Why the keychain could not be used (no secret in the message).
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("the system keychain refused the token: {0}")]
    Platform(String),
}

fn entry(account: &str) -> Result<keyring::Entry, KeychainError> {
    keyring::Entry::new(SERVICE, account).map_err(|e| KeychainError::Platform(e.to_string()))
}

/// Stores (or replaces) the token of `account`.
pub fn save(account: &str, token: &str) -> Result<(), KeychainError> {
    entry(account)?.set_password(token).map_err(|e| KeychainError::Platform(e.to_string()))
}

/// The token of `account`, or None when the keychain holds none.
pub fn load(account: &str) -> Result<Option<String>, KeychainError> {
    match entry(account)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(KeychainError::Platform(e.to_string())),
    }
}

/// Forgets the token of `account` (nothing to forget is fine).
pub fn forget(account: &str) -> Result<(), KeychainError> {
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(KeychainError::Platform(e.to_string())),
    }
}
