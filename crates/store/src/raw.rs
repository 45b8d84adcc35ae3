//! One read stepped straight through SQLite's C API, for the board's thousands of small rows.
//!
//! sqlx moves each row through its worker thread and decodes every value into an owned
//! buffer: for a 60-doctor day that costs more than SQLite's own work. Here the statement is
//! stepped on the caller's thread while sqlx's worker is held off by the connection's lock,
//! and each row is handed to the caller as borrowed text. All `unsafe` of the crate is here.

use std::ffi::{c_char, c_int, CStr};
use std::marker::PhantomData;
use std::ptr;

use libsqlite3_sys as ffi;
use sqlx::SqliteConnection;

use crate::StoreError;

/// A value bound to a `?N` parameter.
pub(crate) enum Bind<'a> {
    Text(&'a str),
    Int(i64),
}

/// The current row: valid until the statement steps again.
pub(crate) struct Row<'s> {
    stmt: *mut ffi::sqlite3_stmt,
    _borrow: PhantomData<&'s ()>,
}

impl Row<'_> {
    /// Column `i` as text (empty for NULL or text that is not UTF-8).
    pub(crate) fn text(&self, i: c_int) -> &str {
        // SAFETY: `stmt` is a live statement positioned on a row (see `for_each`); the pointer
        // from sqlite3_column_text stays valid until the next step, which the borrow of `self`
        // outlives. sqlite3_column_bytes is called after sqlite3_column_text, as SQLite asks.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, i);
            if p.is_null() {
                return "";
            }
            let n = ffi::sqlite3_column_bytes(self.stmt, i);
            std::str::from_utf8(std::slice::from_raw_parts(p, n.max(0) as usize)).unwrap_or("")
        }
    }

    pub(crate) fn int(&self, i: c_int) -> i64 {
        // SAFETY: as for `text`.
        unsafe { ffi::sqlite3_column_int64(self.stmt, i) }
    }
}

struct Statement(*mut ffi::sqlite3_stmt);

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalising a prepared statement (or null) once.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

fn error(db: *mut ffi::sqlite3) -> StoreError {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    StoreError::Corrupt(format!("sqlite: {message}"))
}

/// A connection held for direct reads: sqlx's worker makes no call on it while this lives,
/// so statements are prepared and stepped on the caller's thread, with no hand-off per query
/// or per row (under load each hand-off to the worker thread can cost a scheduling delay).
pub(crate) struct Direct<'c> {
    handle: sqlx::sqlite::LockedSqliteHandle<'c>,
}

impl<'c> Direct<'c> {
    pub(crate) async fn lock(conn: &'c mut SqliteConnection) -> Result<Direct<'c>, StoreError> {
        Ok(Direct { handle: conn.lock_handle().await? })
    }

    /// Runs one SELECT and calls `each` with every row, in order.
    pub(crate) fn for_each(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
        mut each: impl FnMut(&Row<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let db = self.handle.as_raw_handle().as_ptr();
        let mut stmt = Statement(ptr::null_mut());
        // SAFETY: `db` is the connection's open handle, and sqlx's worker makes no call on it
        // while `self.handle` (the lock) lives, which outlives this call. Text is bound with
        // SQLITE_TRANSIENT, so SQLite copies it.
        unsafe {
            let rc = ffi::sqlite3_prepare_v2(db, sql.as_ptr() as *const c_char, sql.len() as c_int, &mut stmt.0, ptr::null_mut());
            if rc != ffi::SQLITE_OK {
                return Err(error(db));
            }
            for (i, b) in binds.iter().enumerate() {
                let idx = i as c_int + 1;
                let rc = match b {
                    Bind::Text(s) => {
                        ffi::sqlite3_bind_text(stmt.0, idx, s.as_ptr() as *const c_char, s.len() as c_int, ffi::SQLITE_TRANSIENT())
                    }
                    Bind::Int(v) => ffi::sqlite3_bind_int64(stmt.0, idx, *v),
                };
                if rc != ffi::SQLITE_OK {
                    return Err(error(db));
                }
            }
            loop {
                match ffi::sqlite3_step(stmt.0) {
                    ffi::SQLITE_ROW => each(&Row { stmt: stmt.0, _borrow: PhantomData })?,
                    ffi::SQLITE_DONE => return Ok(()),
                    _ => return Err(error(db)),
                }
            }
        }
    }

    /// The rows of one SELECT, each mapped by `map`.
    pub(crate) fn collect<T>(
        &mut self,
        sql: &str,
        binds: &[Bind<'_>],
        mut map: impl FnMut(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.for_each(sql, binds, |r| {
            out.push(map(r)?);
            Ok(())
        })?;
        Ok(out)
    }
}
