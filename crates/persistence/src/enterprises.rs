//! Enterprises (企业 / 客商) and their contacts: each organization keeps its own records; the
//! same USCC is unique within one organization, matches among other records the caller sees
//! come back as possible duplicates; contacts' phones and e-mails are masked for everyone but
//! the owner organization and its superiors (DESIGN.md §1, §2).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use zs_domain::auth::{Caller, Scope};
use zs_domain::enterprise::{normalize_name, IndustrySection, Ownership, Uscc};
use zs_domain::org::RegionCode;
use zs_domain::{DomainError, FieldViolation};

use crate::db::{DbConn, MultiBackend};
use crate::page::Entry;
use crate::page::{cursor_for, ListOrder, Page, PageRequest};
use crate::records::{check_write, shared_with, RecordRef};
use crate::schema::{enterprise_contacts, enterprises, projects, shares};
use crate::scope::Visibility;
use crate::{check_version, keyset, new_id, now, owned_or_shared, subtree_ids, utc, StoreResult};

/// The `record_kind` of an enterprise in `shares`.
pub const KIND: &str = "enterprise";

/// At most this many possible duplicates are reported on create.
const MAX_POSSIBLE_DUPLICATES: i64 = 20;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprises)]
pub struct EnterpriseRow {
    pub id: String,
    pub owner_organization_id: String,
    pub name: String,
    pub name_key: String,
    pub uscc: Option<String>,
    pub country: String,
    pub region_code: Option<String>,
    pub industry: Option<String>,
    pub ownership: String,
    pub fortune_global_500: bool,
    pub china_500: bool,
    pub china_private_500: bool,
    pub listed: bool,
    pub exchange: Option<String>,
    pub ticker: Option<String>,
    pub website: Option<String>,
    pub notes: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = enterprise_contacts)]
pub struct ContactRow {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// An enterprise as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    pub id: String,
    pub owner_organization_id: String,
    pub name: String,
    pub uscc: Option<String>,
    pub country: String,
    pub region_code: Option<String>,
    pub industry: Option<IndustrySection>,
    pub ownership: Ownership,
    pub fortune_global_500: bool,
    pub china_500: bool,
    pub china_private_500: bool,
    pub listed: bool,
    pub exchange: Option<String>,
    pub ticker: Option<String>,
    pub website: Option<String>,
    pub notes: String,
    /// Alliances the enterprise is shared with.
    pub shared_with: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Another enterprise the caller sees whose USCC or normalized name matches a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PossibleDuplicate {
    pub id: String,
    pub name: String,
    pub owner_organization_id: String,
    pub uscc: Option<String>,
}

/// The editable fields of an enterprise, parsed.
#[derive(Debug, Clone)]
pub struct EnterpriseFields {
    pub name: String,
    pub uscc: Option<Uscc>,
    /// ISO 3166-1 alpha-2, already checked.
    pub country: String,
    pub region_code: Option<RegionCode>,
    pub industry: Option<IndustrySection>,
    pub ownership: Ownership,
    pub fortune_global_500: bool,
    pub china_500: bool,
    pub china_private_500: bool,
    pub listed: bool,
    pub exchange: Option<String>,
    pub ticker: Option<String>,
    pub website: Option<String>,
    pub notes: String,
}

/// A new enterprise: its fields, owner and optional client id.
#[derive(Debug, Clone)]
pub struct NewEnterprise {
    pub id: Option<String>,
    pub owner_organization_id: String,
    pub fields: EnterpriseFields,
}

/// Changes to an enterprise (merge patch); `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct EnterprisePatch {
    pub name: Option<String>,
    pub uscc: Option<Option<Uscc>>,
    pub country: Option<String>,
    pub region_code: Option<Option<RegionCode>>,
    pub industry: Option<Option<IndustrySection>>,
    pub ownership: Option<Ownership>,
    pub fortune_global_500: Option<bool>,
    pub china_500: Option<bool>,
    pub china_private_500: Option<bool>,
    pub listed: Option<bool>,
    pub exchange: Option<Option<String>>,
    pub ticker: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub notes: Option<String>,
}

/// The rule tying `listed` to `exchange` and `ticker`: a listed company names both, an
/// unlisted one neither. Returns every violation.
pub fn listing_violations(listed: bool, has_exchange: bool, has_ticker: bool) -> Vec<FieldViolation> {
    let mut v = vec![];
    for (pointer, present) in [("/exchange", has_exchange), ("/ticker", has_ticker)] {
        if listed && !present {
            v.push(FieldViolation::new(pointer, "required", "a listed company needs its exchange and ticker"));
        }
        if !listed && present {
            v.push(FieldViolation::new(pointer, "not_listed", "only a listed company has an exchange and ticker"));
        }
    }
    v
}

fn to_enterprises(conn: &mut DbConn, rows: Vec<EnterpriseRow>) -> StoreResult<Vec<Enterprise>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut shares: HashMap<String, Vec<String>> = HashMap::new();
    for (e, a) in shared_with(conn, KIND, &ids)? {
        shares.entry(e).or_default().push(a);
    }
    Ok(rows
        .into_iter()
        .map(|r| Enterprise {
            shared_with: shares.remove(&r.id).unwrap_or_default(),
            industry: r.industry.as_deref().and_then(IndustrySection::parse),
            ownership: Ownership::parse(&r.ownership).unwrap_or(Ownership::Other),
            id: r.id,
            owner_organization_id: r.owner_organization_id,
            name: r.name,
            uscc: r.uscc,
            country: r.country,
            region_code: r.region_code,
            fortune_global_500: r.fortune_global_500,
            china_500: r.china_500,
            china_private_500: r.china_private_500,
            listed: r.listed,
            exchange: r.exchange,
            ticker: r.ticker,
            website: r.website,
            notes: r.notes,
            version: r.version,
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
        })
        .collect())
}

/// Enterprises the caller sees with their contacts: owned in its subtree or shared directly
/// with one of its alliances.
fn directly_visible(vis: &Visibility) -> enterprises::BoxedQuery<'static, MultiBackend> {
    let q = enterprises::table.into_boxed();
    if vis.all {
        return q;
    }
    q.filter(owned_or_shared!(enterprises::owner_organization_id, enterprises::id, KIND, vis))
}

/// Enterprises the caller sees at all: the directly visible ones, and the investor enterprise
/// of a live project shared with one of its alliances (non-personal fields only: its contacts
/// stay hidden).
fn visible(vis: &Visibility) -> enterprises::BoxedQuery<'static, MultiBackend> {
    let q = enterprises::table.into_boxed();
    if vis.all {
        return q;
    }
    let via_projects = projects::table
        .filter(projects::deleted_at.is_null())
        .filter(projects::enterprise_id.is_not_null())
        .filter(
            projects::id.eq_any(
                shares::table
                    .filter(shares::record_kind.eq(crate::projects::KIND))
                    .filter(shares::alliance_id.eq_any(vis.alliance_ids.clone()))
                    .select(shares::record_id),
            ),
        )
        .select(projects::enterprise_id.assume_not_null());
    q.filter(
        owned_or_shared!(enterprises::owner_organization_id, enterprises::id, KIND, vis)
            .or(enterprises::id.eq_any(via_projects)),
    )
}

fn load_row(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<EnterpriseRow> {
    visible(vis)
        .filter(enterprises::id.eq(id.to_owned()))
        .filter(enterprises::deleted_at.is_null())
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

pub fn get(conn: &mut DbConn, vis: &Visibility, id: &str) -> StoreResult<Enterprise> {
    let row = load_row(conn, vis, id)?;
    to_enterprises(conn, vec![row])?.pop().ok_or_else(|| DomainError::NotFound.into())
}

/// The live enterprise of this owner that already has `uscc`, other than `except`.
fn uscc_holder(conn: &mut DbConn, owner: &str, uscc: &str, except: Option<&str>) -> StoreResult<Option<String>> {
    let mut q = enterprises::table
        .filter(enterprises::owner_organization_id.eq(owner.to_owned()))
        .filter(enterprises::uscc.eq(uscc.to_owned()))
        .filter(enterprises::deleted_at.is_null())
        .into_boxed::<MultiBackend>();
    if let Some(id) = except {
        q = q.filter(enterprises::id.ne(id.to_owned()));
    }
    Ok(q.select(enterprises::id).first(conn).optional()?)
}

fn check_uscc_unique(conn: &mut DbConn, owner: &str, uscc: Option<&Uscc>, except: Option<&str>) -> StoreResult<()> {
    if let Some(u) = uscc {
        if let Some(existing) = uscc_holder(conn, owner, u.as_str(), except)? {
            return Err(DomainError::conflict(
                "DUPLICATE_USCC",
                format!("enterprise {existing} of this organization already has the USCC {}", u.as_str()),
            )
            .into());
        }
    }
    Ok(())
}

/// Other live enterprises the caller sees with the same USCC or normalized name.
fn possible_duplicates(
    conn: &mut DbConn,
    vis: &Visibility,
    id: &str,
    name_key: &str,
    uscc: Option<&str>,
) -> StoreResult<Vec<PossibleDuplicate>> {
    let mut q = visible(vis).filter(enterprises::id.ne(id.to_owned())).filter(enterprises::deleted_at.is_null());
    q = match uscc {
        Some(u) => q.filter(enterprises::name_key.eq(name_key.to_owned()).or(enterprises::uscc.eq(u.to_owned()))),
        None => q.filter(enterprises::name_key.eq(name_key.to_owned())),
    };
    let rows: Vec<(String, String, String, Option<String>)> = q
        .order(enterprises::id.asc())
        .limit(MAX_POSSIBLE_DUPLICATES)
        .select((enterprises::id, enterprises::name, enterprises::owner_organization_id, enterprises::uscc))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, owner_organization_id, uscc)| PossibleDuplicate { id, name, owner_organization_id, uscc })
        .collect())
}

/// Creates an enterprise owned by `cmd.owner_organization_id`; answers it with the other
/// enterprises the caller sees that may be the same company.
pub fn create(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    cmd: NewEnterprise,
) -> StoreResult<(Enterprise, Vec<PossibleDuplicate>)> {
    crate::orgs::get(conn, vis, &cmd.owner_organization_id)?;
    check_write(conn, caller, &cmd.owner_organization_id, Scope::EnterprisesWrite)?;
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = enterprises::table.filter(enterprises::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("enterprise {id} already exists")).into());
    }
    let f = cmd.fields;
    check_uscc_unique(conn, &cmd.owner_organization_id, f.uscc.as_ref(), None)?;
    let t = now();
    let row = EnterpriseRow {
        id: id.clone(),
        owner_organization_id: cmd.owner_organization_id,
        name_key: normalize_name(&f.name),
        name: f.name,
        uscc: f.uscc.map(|u| u.as_str().to_owned()),
        country: f.country,
        region_code: f.region_code.map(|r| r.as_str().to_owned()),
        industry: f.industry.map(|i| i.as_str().to_owned()),
        ownership: f.ownership.as_str().to_owned(),
        fortune_global_500: f.fortune_global_500,
        china_500: f.china_500,
        china_private_500: f.china_private_500,
        listed: f.listed,
        exchange: f.exchange,
        ticker: f.ticker,
        website: f.website,
        notes: f.notes,
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(enterprises::table).values(&row).execute(conn)?;
    let duplicates = possible_duplicates(conn, vis, &id, &row.name_key, row.uscc.as_deref())?;
    let e = to_enterprises(conn, vec![row])?.pop().ok_or(DomainError::NotFound)?;
    Ok((e, duplicates))
}

/// Applies a merge patch. Server-owned fields are not in the patch.
pub fn update(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    patch: EnterprisePatch,
    if_match: Option<i64>,
) -> StoreResult<Enterprise> {
    crate::db::lock_row(conn, "enterprises", id)?;
    let cur = load_row(conn, vis, id)?;
    check_write(conn, caller, &cur.owner_organization_id, Scope::EnterprisesWrite)?;
    check_version(if_match, cur.version)?;
    let listed = patch.listed.unwrap_or(cur.listed);
    let exchange = patch.exchange.unwrap_or(cur.exchange);
    let ticker = patch.ticker.unwrap_or(cur.ticker);
    let violations = listing_violations(listed, exchange.is_some(), ticker.is_some());
    if !violations.is_empty() {
        return Err(DomainError::Validation(violations).into());
    }
    let uscc = match patch.uscc {
        Some(u) => {
            check_uscc_unique(conn, &cur.owner_organization_id, u.as_ref(), Some(id))?;
            u.map(|u| u.as_str().to_owned())
        }
        None => cur.uscc,
    };
    let name = patch.name.unwrap_or(cur.name);
    diesel::update(enterprises::table.filter(enterprises::id.eq(id)))
        .set((
            enterprises::name_key.eq(normalize_name(&name)),
            enterprises::name.eq(name),
            enterprises::uscc.eq(uscc),
            enterprises::country.eq(patch.country.unwrap_or(cur.country)),
            enterprises::region_code.eq(match patch.region_code {
                Some(r) => r.map(|r| r.as_str().to_owned()),
                None => cur.region_code,
            }),
            enterprises::industry.eq(match patch.industry {
                Some(i) => i.map(|i| i.as_str().to_owned()),
                None => cur.industry,
            }),
            enterprises::ownership.eq(patch.ownership.map(|o| o.as_str().to_owned()).unwrap_or(cur.ownership)),
            enterprises::fortune_global_500.eq(patch.fortune_global_500.unwrap_or(cur.fortune_global_500)),
            enterprises::china_500.eq(patch.china_500.unwrap_or(cur.china_500)),
            enterprises::china_private_500.eq(patch.china_private_500.unwrap_or(cur.china_private_500)),
            enterprises::listed.eq(listed),
            enterprises::exchange.eq(exchange),
            enterprises::ticker.eq(ticker),
            enterprises::website.eq(patch.website.unwrap_or(cur.website)),
            enterprises::notes.eq(patch.notes.unwrap_or(cur.notes)),
        ))
        .execute(conn)?;
    diesel::update(enterprises::table.filter(enterprises::id.eq(id)))
        .set((enterprises::version.eq(cur.version + 1), enterprises::updated_at.eq(now())))
        .execute(conn)?;
    get(conn, vis, id)
}

/// Soft delete, refused while live projects reference the enterprise.
pub fn delete(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    crate::db::lock_row(conn, "enterprises", id)?;
    let cur = load_row(conn, vis, id)?;
    check_write(conn, caller, &cur.owner_organization_id, Scope::EnterprisesWrite)?;
    check_version(if_match, cur.version)?;
    let in_use: i64 = projects::table
        .filter(projects::enterprise_id.eq(id))
        .filter(projects::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    if in_use > 0 {
        return Err(DomainError::conflict(
            "ENTERPRISE_IN_USE",
            format!("{in_use} project(s) still name this enterprise as their investor; change or delete them first"),
        )
        .into());
    }
    let t = now();
    diesel::update(enterprises::table.filter(enterprises::id.eq(id)))
        .set((
            enterprises::deleted_at.eq(Some(t)),
            enterprises::version.eq(cur.version + 1),
            enterprises::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks a change of the enterprise's sharing, so partners that sync by `updated_since` learn
/// of a newly shared record.
fn touch(conn: &mut DbConn, id: &str, version: i64) -> StoreResult<()> {
    diesel::update(enterprises::table.filter(enterprises::id.eq(id)))
        .set((enterprises::version.eq(version + 1), enterprises::updated_at.eq(now())))
        .execute(conn)?;
    Ok(())
}

/// Shares the enterprise with an alliance in which its owner is an active member.
pub fn share(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    alliance_id: &str,
) -> StoreResult<Enterprise> {
    let cur = load_row(conn, vis, id)?;
    let record = RecordRef { kind: KIND, id, owner: &cur.owner_organization_id };
    let before = shared_with(conn, KIND, &[id.to_owned()])?.len();
    crate::records::share(conn, caller, vis, record, alliance_id, Scope::EnterprisesWrite)?;
    if shared_with(conn, KIND, &[id.to_owned()])?.len() != before {
        touch(conn, id, cur.version)?;
    }
    get(conn, vis, id)
}

/// Ends sharing with an alliance; 404 when it was not shared with it.
pub fn unshare(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    id: &str,
    alliance_id: &str,
) -> StoreResult<Enterprise> {
    let cur = load_row(conn, vis, id)?;
    let record = RecordRef { kind: KIND, id, owner: &cur.owner_organization_id };
    crate::records::unshare(conn, caller, record, alliance_id, Scope::EnterprisesWrite)?;
    touch(conn, id, cur.version)?;
    get(conn, vis, id)
}

/// List filters.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    /// Substring of the normalized name.
    pub q: Option<String>,
    pub uscc: Option<String>,
    pub fortune_global_500: Option<bool>,
    pub china_500: Option<bool>,
    pub china_private_500: Option<bool>,
    pub listed: Option<bool>,
    pub ownership: Option<Ownership>,
    pub industry: Option<IndustrySection>,
    /// A region code; a province or prefecture code matches the regions under it.
    pub region_code: Option<String>,
    pub country: Option<String>,
    /// Owned by this organization or one of its descendants.
    pub owner_organization_id: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// Also return deleted enterprises (as tombstones).
    pub include_deleted: bool,
}

pub fn list(
    conn: &mut DbConn,
    vis: &Visibility,
    f: &EnterpriseFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Entry<Enterprise>>> {
    let mut q = visible(vis);
    if !f.include_deleted {
        q = q.filter(enterprises::deleted_at.is_null());
    }
    if let Some(text) = &f.q {
        let key = normalize_name(text);
        q = q.filter(enterprises::name_key.like(format!("%{}%", crate::page::like_escape(&key))).escape('\\'));
    }
    if let Some(u) = &f.uscc {
        q = q.filter(enterprises::uscc.eq(u.clone()));
    }
    if let Some(b) = f.fortune_global_500 {
        q = q.filter(enterprises::fortune_global_500.eq(b));
    }
    if let Some(b) = f.china_500 {
        q = q.filter(enterprises::china_500.eq(b));
    }
    if let Some(b) = f.china_private_500 {
        q = q.filter(enterprises::china_private_500.eq(b));
    }
    if let Some(b) = f.listed {
        q = q.filter(enterprises::listed.eq(b));
    }
    if let Some(o) = f.ownership {
        q = q.filter(enterprises::ownership.eq(o.as_str()));
    }
    if let Some(i) = f.industry {
        q = q.filter(enterprises::industry.eq(i.as_str()));
    }
    if let Some(r) = &f.region_code {
        let prefix = r.trim_end_matches("00").trim_end_matches("00");
        q = q.filter(enterprises::region_code.like(format!("{}%", crate::page::like_escape(prefix))).escape('\\'));
    }
    if let Some(c) = &f.country {
        q = q.filter(enterprises::country.eq(c.clone()));
    }
    if let Some(o) = &f.owner_organization_id {
        q = q.filter(enterprises::owner_organization_id.eq_any(subtree_ids!(o.clone())));
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(enterprises::updated_at.ge(ts));
    }
    let q = keyset!(q, enterprises::id, enterprises::updated_at, order, &page.after);
    let rows: Vec<EnterpriseRow> = q.limit(page.limit + 1).select(EnterpriseRow::as_select()).load(conn)?;
    let rows = Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at));
    let items = crate::page::entries(
        rows.items,
        |r| (r.id.clone(), r.deleted_at, r.version),
        |live| to_enterprises(conn, live),
        |e| e.id.clone(),
    )?;
    Ok(Page { items, next: rows.next })
}

// ---------------------------------------------------------------------------------------------
// Contacts

/// A contact of an enterprise; `masked` tells that phone and e-mail are shown masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub masked: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new contact, parsed (phone and e-mail are full, never masked values).
#[derive(Debug, Clone)]
pub struct NewContact {
    pub id: Option<String>,
    pub name: String,
    pub title: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Changes to a contact (merge patch); `Some(None)` clears phone or e-mail.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
}

/// List filters of contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub updated_since: Option<NaiveDateTime>,
    pub include_deleted: bool,
}

/// A phone shown to someone outside the owner's chain: `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "****".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// An e-mail shown to someone outside the owner's chain: `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// The enterprise whose contacts the caller sees (owned in its subtree or shared directly
/// with its alliances), and whether it sees them in full (owner or superior, or sysadmin).
fn contacts_parent(conn: &mut DbConn, vis: &Visibility, enterprise_id: &str) -> StoreResult<(EnterpriseRow, bool)> {
    let row = directly_visible(vis)
        .filter(enterprises::id.eq(enterprise_id.to_owned()))
        .filter(enterprises::deleted_at.is_null())
        .select(EnterpriseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::NotFound)?;
    let full = vis.all || crate::orgs::in_subtree(conn, &vis.organization_id, &row.owner_organization_id)?;
    Ok((row, full))
}

fn to_contact(r: ContactRow, full: bool) -> Contact {
    Contact {
        id: r.id,
        enterprise_id: r.enterprise_id,
        name: r.name,
        title: r.title,
        phone: if full { r.phone } else { r.phone.as_deref().map(mask_phone) },
        email: if full { r.email } else { r.email.as_deref().map(mask_email) },
        masked: !full,
        version: r.version,
        created_at: utc(r.created_at),
        updated_at: utc(r.updated_at),
    }
}

fn load_contact(conn: &mut DbConn, enterprise_id: &str, id: &str) -> StoreResult<ContactRow> {
    enterprise_contacts::table
        .filter(enterprise_contacts::id.eq(id))
        .filter(enterprise_contacts::enterprise_id.eq(enterprise_id))
        .filter(enterprise_contacts::deleted_at.is_null())
        .select(ContactRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::NotFound.into())
}

pub fn get_contact(conn: &mut DbConn, vis: &Visibility, enterprise_id: &str, id: &str) -> StoreResult<Contact> {
    let (_, full) = contacts_parent(conn, vis, enterprise_id)?;
    Ok(to_contact(load_contact(conn, enterprise_id, id)?, full))
}

pub fn list_contacts(
    conn: &mut DbConn,
    vis: &Visibility,
    enterprise_id: &str,
    f: &ContactFilter,
    order: ListOrder,
    page: &PageRequest,
) -> StoreResult<Page<Entry<Contact>>> {
    let (_, full) = contacts_parent(conn, vis, enterprise_id)?;
    let mut q = enterprise_contacts::table
        .filter(enterprise_contacts::enterprise_id.eq(enterprise_id.to_owned()))
        .into_boxed::<MultiBackend>();
    if !f.include_deleted {
        q = q.filter(enterprise_contacts::deleted_at.is_null());
    }
    if let Some(ts) = f.updated_since {
        q = q.filter(enterprise_contacts::updated_at.ge(ts));
    }
    let q = keyset!(q, enterprise_contacts::id, enterprise_contacts::updated_at, order, &page.after);
    let rows: Vec<ContactRow> = q.limit(page.limit + 1).select(ContactRow::as_select()).load(conn)?;
    Ok(Page::from_rows(rows, page.limit, |r| cursor_for(order, &r.id, r.updated_at)).map(|r| match r.deleted_at {
        Some(at) => Entry::Deleted { id: r.id, deleted_at: utc(at), version: r.version },
        None => Entry::Live(Box::new(to_contact(r, full))),
    }))
}

pub fn create_contact(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    enterprise_id: &str,
    cmd: NewContact,
) -> StoreResult<Contact> {
    let (parent, full) = contacts_parent(conn, vis, enterprise_id)?;
    check_write(conn, caller, &parent.owner_organization_id, Scope::EnterprisesWrite)?;
    let id = cmd.id.unwrap_or_else(new_id);
    let taken: i64 = enterprise_contacts::table.filter(enterprise_contacts::id.eq(&id)).count().get_result(conn)?;
    if taken > 0 {
        return Err(DomainError::conflict("ALREADY_EXISTS", format!("contact {id} already exists")).into());
    }
    let t = now();
    let row = ContactRow {
        id,
        enterprise_id: enterprise_id.to_owned(),
        name: cmd.name,
        title: cmd.title,
        phone: cmd.phone,
        email: cmd.email,
        version: 1,
        created_at: t,
        updated_at: t,
        deleted_at: None,
    };
    diesel::insert_into(enterprise_contacts::table).values(&row).execute(conn)?;
    Ok(to_contact(row, full))
}

pub fn update_contact(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    enterprise_id: &str,
    id: &str,
    patch: ContactPatch,
    if_match: Option<i64>,
) -> StoreResult<Contact> {
    crate::db::lock_row(conn, "enterprise_contacts", id)?;
    let (parent, full) = contacts_parent(conn, vis, enterprise_id)?;
    let cur = load_contact(conn, enterprise_id, id)?;
    check_write(conn, caller, &parent.owner_organization_id, Scope::EnterprisesWrite)?;
    check_version(if_match, cur.version)?;
    diesel::update(enterprise_contacts::table.filter(enterprise_contacts::id.eq(id)))
        .set((
            enterprise_contacts::name.eq(patch.name.unwrap_or(cur.name)),
            enterprise_contacts::title.eq(patch.title.unwrap_or(cur.title)),
            enterprise_contacts::phone.eq(patch.phone.unwrap_or(cur.phone)),
            enterprise_contacts::email.eq(patch.email.unwrap_or(cur.email)),
            enterprise_contacts::version.eq(cur.version + 1),
            enterprise_contacts::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(to_contact(load_contact(conn, enterprise_id, id)?, full))
}

pub fn delete_contact(
    conn: &mut DbConn,
    caller: &Caller,
    vis: &Visibility,
    enterprise_id: &str,
    id: &str,
    if_match: Option<i64>,
) -> StoreResult<()> {
    crate::db::lock_row(conn, "enterprise_contacts", id)?;
    let (parent, _) = contacts_parent(conn, vis, enterprise_id)?;
    let cur = load_contact(conn, enterprise_id, id)?;
    check_write(conn, caller, &parent.owner_organization_id, Scope::EnterprisesWrite)?;
    check_version(if_match, cur.version)?;
    let t = now();
    diesel::update(enterprise_contacts::table.filter(enterprise_contacts::id.eq(id)))
        .set((
            enterprise_contacts::deleted_at.eq(Some(t)),
            enterprise_contacts::version.eq(cur.version + 1),
            enterprise_contacts::updated_at.eq(t),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_only_what_identifies_nobody() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("06924141234"), "069****1234");
        assert_eq!(mask_phone("0692414123"), "069***4123");
        assert_eq!(mask_phone("12345"), "****");
        assert_eq!(mask_email("zhang@example.com"), "z***@example.com");
        assert_eq!(mask_email("张@example.com"), "张***@example.com");
        assert!(mask_phone("13812341234").contains('*') && mask_email("a@b.cn").contains('*'));
    }

    #[test]
    fn listing_needs_exchange_and_ticker_and_only_then() {
        assert!(listing_violations(true, true, true).is_empty());
        assert!(listing_violations(false, false, false).is_empty());
        let v = listing_violations(true, false, true);
        assert_eq!((v.len(), v[0].pointer.as_str(), v[0].code.as_str()), (1, "/exchange", "required"));
        let v = listing_violations(false, true, true);
        assert_eq!(v.iter().map(|v| v.pointer.as_str()).collect::<Vec<_>>(), vec!["/exchange", "/ticker"]);
    }
}
