//! Keyset pagination: a list is ordered by a non-null key plus `id`, and a page starts after
//! the last (key, id) of the previous one. Never OFFSET.

/// Position after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: String,
}

/// What a list call asks for.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page of results; `next` is set when more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only proves more exist.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// Sort orders every list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Creation order (ids are UUIDv7, time-ordered).
    Id,
    /// Last change first seen first: what a syncing client wants.
    UpdatedAt,
}

/// The text form of a timestamp key inside a cursor.
pub fn ts_key(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

pub fn parse_ts_key(s: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6f").ok()
}

/// Applies the keyset condition and ordering of `order` to a boxed query with `id` and
/// `updated_at` columns. Evaluates to the ordered query; returns early on a bad cursor key.
#[macro_export]
macro_rules! keyset {
    ($q:expr, $id:expr, $updated:expr, $order:expr, $after:expr) => {{
        let q = $q;
        match $order {
            $crate::page::ListOrder::Id => {
                let q = match $after {
                    Some(c) => q.filter($id.gt(c.id.clone())),
                    None => q,
                };
                q.order($id.asc())
            }
            $crate::page::ListOrder::UpdatedAt => {
                let q = match $after {
                    Some(c) => {
                        let k = $crate::page::parse_ts_key(&c.key).ok_or_else(|| {
                            $crate::DomainError::invalid(
                                "/page_token",
                                "page_token",
                                "page token does not fit this order",
                            )
                        })?;
                        // The redundant `>=` is the bound an index on (updated_at, id) seeks to.
                        q.filter($updated.ge(k)).filter($updated.gt(k).or($updated.eq(k).and($id.gt(c.id.clone()))))
                    }
                    None => q,
                };
                q.order(($updated.asc(), $id.asc()))
            }
        }
    }};
}

/// Orders the boxed query `$q` by `$col` then `$id`, ascending or descending, starting after
/// the cursor `$after` whose key `$parse` reads back (a key that does not parse is a 422 on
/// the page token, returned early). Without `$col`, orders by `$id` alone.
#[macro_export]
macro_rules! keyset_by {
    ($q:ident, $id:expr, $descending:expr, $after:expr) => {{
        if let Some(c) = $after {
            $q = if $descending { $q.filter($id.lt(c.id.clone())) } else { $q.filter($id.gt(c.id.clone())) };
        }
        $q = if $descending { $q.order($id.desc()) } else { $q.order($id.asc()) };
    }};
    ($q:ident, $col:expr, $id:expr, $descending:expr, $after:expr, $parse:expr) => {{
        if let Some(c) = $after {
            let k = ($parse)(&c.key).ok_or_else(|| {
                $crate::DomainError::invalid("/page_token", "page_token", "page token does not fit this order")
            })?;
            // The first, redundant bound is one an index on ($col, id) can seek to, so a deep
            // page starts at the cursor instead of filtering every row before it.
            $q = if $descending {
                $q.filter($col.le(k.clone())).filter($col.lt(k.clone()).or($col.eq(k).and($id.lt(c.id.clone()))))
            } else {
                $q.filter($col.ge(k.clone())).filter($col.gt(k.clone()).or($col.eq(k).and($id.gt(c.id.clone()))))
            };
        }
        $q = if $descending { $q.order(($col.desc(), $id.desc())) } else { $q.order(($col.asc(), $id.asc())) };
    }};
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The cursor of a row for the given order.
pub fn cursor_for(order: ListOrder, id: &str, updated_at: chrono::NaiveDateTime) -> Cursor {
    match order {
        ListOrder::Id => Cursor { key: String::new(), id: id.to_owned() },
        ListOrder::UpdatedAt => Cursor { key: ts_key(updated_at), id: id.to_owned() },
    }
}

/// A list entry: a live record, or (with `include_deleted`) the tombstone of a deleted one.
#[derive(Debug, Clone)]
pub enum Entry<T> {
    Live(Box<T>),
    Deleted { id: String, deleted_at: chrono::DateTime<chrono::Utc>, version: i64 },
}

/// Turns a page of rows (live and deleted, in the query's order) into entries: deleted rows
/// become tombstones, live ones are loaded whole by `load`. `meta` gives a row's id,
/// `deleted_at` and version; `id_of` a loaded record's id.
pub fn entries<R, T, E>(
    rows: Vec<R>,
    meta: impl Fn(&R) -> (String, Option<chrono::NaiveDateTime>, i64),
    load: impl FnOnce(Vec<R>) -> Result<Vec<T>, E>,
    id_of: impl Fn(&T) -> String,
) -> Result<Vec<Entry<T>>, E> {
    let in_order: Vec<_> = rows.iter().map(&meta).collect();
    let live_rows = rows.into_iter().filter(|r| meta(r).1.is_none()).collect();
    let mut live: std::collections::HashMap<String, T> = load(live_rows)?.into_iter().map(|t| (id_of(&t), t)).collect();
    Ok(in_order
        .into_iter()
        .filter_map(|(id, deleted, version)| match deleted {
            Some(at) => Some(Entry::Deleted { id, deleted_at: at.and_utc(), version }),
            None => live.remove(&id).map(|t| Entry::Live(Box::new(t))),
        })
        .collect())
}
