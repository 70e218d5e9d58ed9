//! Refresh tokens: stored as hashes, grouped in families; rotation with a short grace for
//! phones that lost the response, and family revocation on later reuse.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::refresh_tokens;
use crate::StoreResult;

pub fn insert(
    conn: &mut DbConn,
    token_hash: &str,
    family_id: &str,
    user_id: &str,
    issued_at: chrono::NaiveDateTime,
    expires_at: chrono::NaiveDateTime,
) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::issued_at.eq(issued_at),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// What presenting a refresh token led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now spent and its successor stored.
    Rotated { user_id: String, rotated_at: chrono::NaiveDateTime },
    /// The token was spent within the grace period: answer with the same successor again.
    Replayed { user_id: String, rotated_at: chrono::NaiveDateTime },
    /// The token was spent long ago: the whole family is now revoked.
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

type TokenRow = (String, String, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);

fn find(conn: &mut DbConn, hash: &str) -> StoreResult<Option<TokenRow>> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select((
            refresh_tokens::family_id,
            refresh_tokens::user_id,
            refresh_tokens::expires_at,
            refresh_tokens::rotated_at,
            refresh_tokens::revoked_at,
        ))
        .first(conn)
        .optional()?)
}

/// Rotates `old_hash` to `new_hash` (whose token the caller derived from the old one, so a
/// replay within `grace` yields the very same successor). Run in a write transaction; a
/// `Reused` outcome must be committed (it revoked the family).
pub fn rotate(
    conn: &mut DbConn,
    old_hash: &str,
    new_hash: &str,
    now: chrono::NaiveDateTime,
    grace: chrono::Duration,
    ttl: chrono::Duration,
) -> StoreResult<Rotation> {
    let Some((family, user_id, expires_at, rotated_at, revoked_at)) = find(conn, old_hash)? else {
        return Ok(Rotation::Invalid);
    };
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let rotated_at = match rotated_at {
        Some(r) => r,
        None => {
            let n = diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(old_hash))
                    .filter(refresh_tokens::rotated_at.is_null()),
            )
            .set(refresh_tokens::rotated_at.eq(Some(now)))
            .execute(conn)?;
            if n == 1 {
                insert(conn, new_hash, &family, &user_id, now, now + ttl)?;
                return Ok(Rotation::Rotated { user_id, rotated_at: now });
            }
            // A concurrent rotation won; answer as a replay of it.
            match find(conn, old_hash)? {
                Some((_, _, _, Some(r), None)) => r,
                _ => return Ok(Rotation::Invalid),
            }
        }
    };
    if now - rotated_at <= grace {
        Ok(Rotation::Replayed { user_id, rotated_at })
    } else {
        revoke_family(conn, &family, now)?;
        Ok(Rotation::Reused)
    }
}

pub fn revoke_family(conn: &mut DbConn, family_id: &str, now: chrono::NaiveDateTime) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Logout: revokes the family of the presented token. Unknown tokens are ignored.
pub fn revoke_by_token(conn: &mut DbConn, token_hash: &str, now: chrono::NaiveDateTime) -> StoreResult<()> {
    if let Some((family, ..)) = find(conn, token_hash)? {
        revoke_family(conn, &family, now)?;
    }
    Ok(())
}

pub fn revoke_all_for_user(conn: &mut DbConn, user_id: &str, now: chrono::NaiveDateTime) -> StoreResult<()> {
    diesel::update(
        refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)).filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}
