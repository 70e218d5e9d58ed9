//! Settings the service keeps in its own database (such as a generated signing secret).

use diesel::prelude::*;

use crate::db::{is_unique_violation, DbConn};
use crate::schema::app_settings;
use crate::StoreResult;

pub fn get(conn: &mut DbConn, key: &str) -> StoreResult<Option<String>> {
    Ok(app_settings::table.filter(app_settings::key.eq(key)).select(app_settings::value).first(conn).optional()?)
}

/// Returns the stored value, storing `make()` first when there is none. Safe when several
/// instances start at once: the first insert wins and every instance reads it.
/// The flag tells whether this call created the value.
pub fn get_or_create(conn: &mut DbConn, key: &str, make: impl FnOnce() -> String) -> StoreResult<(String, bool)> {
    if let Some(v) = get(conn, key)? {
        return Ok((v, false));
    }
    match diesel::insert_into(app_settings::table)
        .values((app_settings::key.eq(key), app_settings::value.eq(make())))
        .execute(conn)
    {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    let v = get(conn, key)?.ok_or(diesel::result::Error::NotFound)?;
    Ok((v, true))
}
