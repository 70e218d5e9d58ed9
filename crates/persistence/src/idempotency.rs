//! Stored responses of POSTs sent with an `Idempotency-Key`, saved in the same transaction as
//! the change they answer.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::idempotency_keys;
use crate::StoreResult;

/// The first response to a keyed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status: i32,
    pub location: Option<String>,
    pub body: String,
}

pub fn find(conn: &mut DbConn, principal_id: &str, key: &str) -> StoreResult<Option<StoredResponse>> {
    let row: Option<(String, i32, Option<String>, String)> = idempotency_keys::table
        .filter(idempotency_keys::principal_id.eq(principal_id))
        .filter(idempotency_keys::idem_key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::location,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, location, body)| StoredResponse { request_hash, status, location, body }))
}

/// Saves a response; a concurrent request with the same key makes this fail with a unique
/// violation, which rolls the whole change back.
pub fn save(
    conn: &mut DbConn,
    principal_id: &str,
    key: &str,
    resp: &StoredResponse,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::principal_id.eq(principal_id),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::request_hash.eq(&resp.request_hash),
            idempotency_keys::status.eq(resp.status),
            idempotency_keys::location.eq(&resp.location),
            idempotency_keys::body.eq(&resp.body),
            idempotency_keys::created_at.eq(crate::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes keys stored before `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: chrono::NaiveDateTime) -> StoreResult<usize> {
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)?)
}
