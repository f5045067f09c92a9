//! The directory as the public and other directories see it: every published service of the
//! instance (the neighbourhood shares one directory), the PCNs' offers among them, with their
//! organisation, venue, schedules and categories. Read-only here: what the ORUK API and the
//! public pages serve.

use crate::offers::{Schedule, TaxonomyTerm};
use crate::partners::Venue;
use crate::sql::{Db, Pooled, Sql};
use crate::{Backend, StoreError};
use async_trait::async_trait;
use time::OffsetDateTime;
use together_core::ServiceId;

/// An organisation in the directory.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub description: String,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// A published service, whole.
#[derive(Debug, Clone)]
pub struct DirectoryService {
    pub id: ServiceId,
    /// The PCN that keeps it (whose sessions an offer has).
    pub pcn_id: together_core::PcnId,
    pub organization: Organization,
    pub name: String,
    pub description: String,
    pub url: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub contact_name: String,
    /// ORUK: active, inactive, defunct, temporarily closed.
    pub status: String,
    pub fees: String,
    pub eligibility: String,
    pub minimum_age: Option<i64>,
    pub maximum_age: Option<i64>,
    pub accessibility: String,
    pub assured_date: Option<time::Date>,
    pub last_modified: OffsetDateTime,
    pub venue: Option<Venue>,
    pub schedules: Vec<Schedule>,
    pub terms: Vec<TaxonomyTerm>,
    /// One the PCN runs (an offer), with its own page of sessions.
    pub is_offer: bool,
    /// Where its venue's postcode is, when the postcode table knows it.
    pub point: Option<together_core::geo::Point>,
    /// How far it is from the point searched from, when the search was by distance.
    pub distance_m: Option<f64>,
}

/// A set of categories (an ORUK taxonomy).
#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub id: String,
    pub name: String,
    pub description: String,
    pub uri: Option<String>,
    pub version: Option<String>,
}

/// What to search the directory for; every part optional.
#[derive(Debug, Clone, Default)]
pub struct DirectoryFilter {
    /// Words in the name or description.
    pub search: Option<String>,
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    pub modified_after: Option<OffsetDateTime>,
    /// Only services whose venue is within this many metres of the point, nearest first.
    pub near: Option<(together_core::geo::Point, f64)>,
    /// Only services with a venue (ORUK's services at locations).
    pub has_location: bool,
}

#[async_trait]
pub trait DirectoryStore {
    /// One page (from 1) of published services matching the filter, by name, and how many
    /// match altogether.
    async fn directory_services(
        &self,
        filter: &DirectoryFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(i64, Vec<DirectoryService>), StoreError>;
    async fn directory_service(
        &self,
        id: ServiceId,
    ) -> Result<Option<DirectoryService>, StoreError>;
    /// Every taxonomy the directory's categories come from, by name.
    async fn taxonomies(&self) -> Result<Vec<Taxonomy>, StoreError>;
    /// Adds or replaces postcode centroids, all or nothing; returns how many were written.
    async fn import_postcodes(&self, rows: &[(String, f64, f64)]) -> Result<usize, StoreError>;
    /// Where a postcode (as `partners::postcode` formats it) is, if the table knows it.
    async fn postcode_point(
        &self,
        postcode: &str,
    ) -> Result<Option<together_core::geo::Point>, StoreError>;
    async fn postcode_count(&self) -> Result<i64, StoreError>;
    /// Each published service with a venue, and that venue (for service-at-location ids).
    async fn service_locations(&self) -> Result<Vec<(ServiceId, String)>, StoreError>;
    /// One page (from 1) of the organisations that run a published service, by name.
    async fn directory_organizations(
        &self,
        search: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<(i64, Vec<Organization>), StoreError>;
    /// An organisation that runs a published service.
    async fn directory_organization(&self, id: &str) -> Result<Option<Organization>, StoreError>;
}

/// A search's words as the backend's full-text query.
fn words_query(backend: Backend, words: &[String]) -> String {
    match backend {
        Backend::Sqlite => fts5_query(words),
        Backend::Postgres => tsquery(words),
    }
}

/// The backend's full-text condition on a service `v`, the query bound at `$n`: each backend
/// keeps its own index of the words (see migration 0017).
fn words_condition(backend: Backend, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!(
            "v.id IN (SELECT r.service_id FROM service_words JOIN service_search_row r \
             ON r.row = service_words.rowid WHERE service_words MATCH ${n})"
        ),
        Backend::Postgres => format!("v.words @@ to_tsquery('simple', ${n})"),
    }
}

/// The services table as a search by words reads it: SQLite is told to use the index that
/// holds the published services' words.
fn found_table(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "service v INDEXED BY service_found",
        Backend::Postgres => "service v",
    }
}

/// A search's words as an FTS5 query: each a quoted prefix ("walk"* finds "walking"), all of
/// them wanted. The words hold only letters and digits, so quoting cannot be broken out of.
pub(crate) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A search's words as a PostgreSQL tsquery: each a prefix (walk:*), all of them wanted.
pub(crate) fn tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

// The SQL below is shared by both backends: see crate::sql for the bounds.
/// A value bound into the directory's WHERE.
enum DirArg {
    Text(String),
    Int(i64),
    Real(f64),
}

pub(crate) const DIRECTORY_SELECT: &str =
    "SELECT v.*, o.id AS o_id, o.name AS o_name, o.description AS \
    o_description, o.email AS o_email, o.website AS o_website FROM service v \
    JOIN organization o ON o.id = v.organization_id";

/// The directory's WHERE with only the filters given (so that an unfiltered count can
/// use an index), and the values to bind, `$1` onwards.
fn directory_where(backend: Backend, f: &DirectoryFilter) -> (String, Vec<DirArg>) {
    // `= TRUE` lets SQLite walk the (published, name, id) index in the directory's order;
    // with words to search for, or a distance, a plain scan of the rows is faster than
    // that walk (measured by bench/directory.sh), so the bare column keeps it out.
    let words = together_core::listings::search_words(f.search.as_deref().unwrap_or_default());
    let searching = !words.is_empty() || f.near.is_some();
    let mut sql = vec![if searching {
        "v.published"
    } else {
        "v.published = TRUE"
    }
    .to_owned()];
    let mut args = Vec::new();
    let arg = |a: DirArg, args: &mut Vec<DirArg>| {
        args.push(a);
        args.len()
    };
    if !words.is_empty() {
        let n = arg(DirArg::Text(words_query(backend, &words)), &mut args);
        sql.push(words_condition(backend, n));
    }
    if let Some(t) = &f.taxonomy_term_id {
        let n = arg(DirArg::Text(t.clone()), &mut args);
        sql.push(format!(
            "EXISTS (SELECT 1 FROM service_taxonomy t WHERE t.service_id = v.id \
            AND t.term_id = ${n})"
        ));
    }
    if let Some(t) = &f.taxonomy_id {
        let n = arg(DirArg::Text(t.clone()), &mut args);
        sql.push(format!(
            "EXISTS (SELECT 1 FROM service_taxonomy t JOIN taxonomy_term tt ON \
            tt.id = t.term_id WHERE t.service_id = v.id AND tt.taxonomy_id = \
            ${n})"
        ));
    }
    if let Some(o) = &f.organization_id {
        let n = arg(DirArg::Text(o.clone()), &mut args);
        sql.push(format!("v.organization_id = ${n}"));
    }
    if let Some(m) = f.modified_after {
        let n = arg(DirArg::Int(crate::values::secs(m)), &mut args);
        sql.push(format!("v.last_modified > ${n}"));
    }
    if f.has_location {
        sql.push("v.venue_id IS NOT NULL".into());
    }
    (sql.join(" AND "), args)
}

/// `$1, $2, …` for `n` values, to ask for a page's worth of ids at once.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<DB> Sql<DB>
where
    DB: Db,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_dir<'q>(
        mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
        args: &'q [DirArg],
    ) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>> {
        for a in args {
            q = match a {
                DirArg::Text(s) => q.bind(s.as_str()),
                DirArg::Int(i) => q.bind(*i),
                DirArg::Real(x) => q.bind(*x),
            };
        }
        q
    }

    /// The services of `rows` whole: their venues (placed by postcode), schedules and
    /// categories read in one query each for the whole page, not one per service.
    pub(crate) async fn directory_whole(
        pool: &sqlx::Pool<DB>,
        rows: &[DB::Row],
    ) -> Result<Vec<crate::directory::DirectoryService>, crate::StoreError> {
        use sqlx::Row as _;
        use std::collections::HashMap;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>("id"))
            .collect::<Result<_, _>>()?;
        let mut venue_ids: Vec<String> = rows
            .iter()
            .filter_map(|r| r.try_get::<Option<String>, _>("venue_id").ok().flatten())
            .collect();
        venue_ids.sort();
        venue_ids.dedup();
        let mut venues: HashMap<
            String,
            (crate::partners::Venue, Option<together_core::geo::Point>),
        > = HashMap::new();
        if !venue_ids.is_empty() {
            let sql = format!(
                "SELECT v.*, pc.latitude AS pc_latitude, pc.longitude AS pc_longitude \
                        FROM venue v LEFT JOIN postcode_centroid pc ON pc.postcode = \
                        v.postcode WHERE v.id IN ({})",
                placeholders(venue_ids.len())
            );
            let mut q = sqlx::query(&sql);
            for v in &venue_ids {
                q = q.bind(v);
            }
            for v in q.fetch_all(pool).await? {
                let venue = crate::partners::Venue {
                    id: v.try_get("id")?,
                    partner_id: v.try_get("partner_id")?,
                    name: v.try_get("name")?,
                    address: v.try_get("address")?,
                    postcode: v.try_get("postcode")?,
                    accessibility: v.try_get("accessibility")?,
                    capacity: v.try_get("capacity")?,
                };
                let point = match (
                    v.try_get::<Option<f64>, _>("pc_latitude")?,
                    v.try_get::<Option<f64>, _>("pc_longitude")?,
                ) {
                    (Some(latitude), Some(longitude)) => Some(together_core::geo::Point {
                        latitude,
                        longitude,
                    }),
                    _ => None,
                };
                venues.insert(venue.id.clone(), (venue, point));
            }
        }
        let mut schedules: HashMap<String, Vec<crate::offers::Schedule>> = HashMap::new();
        let sql = format!(
            "SELECT * FROM schedule WHERE service_id IN ({}) ORDER BY dtstart, id",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for r in q.fetch_all(pool).await? {
            schedules
                .entry(r.try_get("service_id")?)
                .or_default()
                .push(Sql::<DB>::schedule_row(&r)?);
        }
        let mut terms: HashMap<String, Vec<crate::offers::TaxonomyTerm>> = HashMap::new();
        let sql = format!(
            "SELECT t.service_id, tt.id, tt.taxonomy_id, tt.parent_id, tt.code, \
                    tt.name, tt.description FROM service_taxonomy t JOIN taxonomy_term \
                    tt ON tt.id = t.term_id WHERE t.service_id IN ({}) ORDER BY tt.name, \
                    tt.id",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in &ids {
            q = q.bind(id);
        }
        for t in q.fetch_all(pool).await? {
            terms
                .entry(t.try_get("service_id")?)
                .or_default()
                .push(crate::offers::TaxonomyTerm {
                    id: t.try_get("id")?,
                    taxonomy_id: t.try_get("taxonomy_id")?,
                    parent_id: t.try_get("parent_id")?,
                    code: t.try_get("code")?,
                    name: t.try_get("name")?,
                    description: t.try_get("description")?,
                });
        }
        let mut out = Vec::new();
        for (r, id) in rows.iter().zip(ids) {
            let venue_id: Option<String> = r.try_get("venue_id")?;
            let (venue, point) = match venue_id.and_then(|v| venues.get(&v).cloned()) {
                Some((v, p)) => (Some(v), p),
                None => (None, None),
            };
            out.push(crate::directory::DirectoryService {
                id: crate::values::parsed("service id", &id)?,
                pcn_id: crate::values::parsed("pcn id", &r.try_get::<String, _>("pcn_id")?)?,
                organization: crate::directory::Organization {
                    id: r.try_get("o_id")?,
                    name: r.try_get("o_name")?,
                    description: r.try_get("o_description")?,
                    email: r.try_get("o_email")?,
                    website: r.try_get("o_website")?,
                },
                name: r.try_get("name")?,
                description: r.try_get("description")?,
                url: r.try_get("url")?,
                email: r.try_get("email")?,
                phone: r.try_get("phone")?,
                contact_name: r.try_get("contact_name")?,
                status: r.try_get("status")?,
                fees: r.try_get("fees")?,
                eligibility: r.try_get("eligibility")?,
                minimum_age: r.try_get("minimum_age")?,
                maximum_age: r.try_get("maximum_age")?,
                accessibility: r.try_get("accessibility")?,
                assured_date: r
                    .try_get::<Option<String>, _>("assured_date")?
                    .map(|d| crate::values::parse_iso_date(&d))
                    .transpose()?,
                last_modified: crate::values::at(r.try_get("last_modified")?)?,
                is_offer: r.try_get::<Option<String>, _>("offer_kind")?.is_some(),
                point,
                distance_m: None,
                venue,
                schedules: schedules.remove(&id).unwrap_or_default(),
                terms: terms.remove(&id).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub(crate) async fn postcode_point_in(
        pool: &sqlx::Pool<DB>,
        postcode: &str,
    ) -> Result<Option<together_core::geo::Point>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query("SELECT latitude, longitude FROM postcode_centroid WHERE postcode = $1")
            .bind(postcode)
            .fetch_optional(pool)
            .await?
            .map(
                |r| -> Result<together_core::geo::Point, crate::StoreError> {
                    Ok(together_core::geo::Point {
                        latitude: r.try_get("latitude")?,
                        longitude: r.try_get("longitude")?,
                    })
                },
            )
            .transpose()
    }

    pub(crate) fn organization_row(
        r: &DB::Row,
    ) -> Result<crate::directory::Organization, crate::StoreError> {
        use sqlx::Row as _;
        Ok(crate::directory::Organization {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            description: r.try_get("description")?,
            email: r.try_get("email")?,
            website: r.try_get("website")?,
        })
    }

    /// The services of `ids` whole, in the order of `ids` (any that has gone is left out).
    pub(crate) async fn directory_in_order(
        pool: &sqlx::Pool<DB>,
        ids: &[String],
    ) -> Result<Vec<crate::directory::DirectoryService>, crate::StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{DIRECTORY_SELECT} WHERE v.id IN ({})",
            placeholders(ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(id);
        }
        let rows = q.fetch_all(pool).await?;
        let mut found: std::collections::HashMap<String, crate::directory::DirectoryService> =
            Sql::<DB>::directory_whole(pool, &rows)
                .await?
                .into_iter()
                .map(|s| (s.id.to_string(), s))
                .collect();
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

#[async_trait::async_trait]
impl<S, DB> crate::directory::DirectoryStore for S
where
    S: Pooled<Db = DB>,
    DB: Db,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<String>: sqlx::Encode<'q, DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB>,
    for<'q> f64: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<f64>: sqlx::Encode<'q, DB>,
    for<'q> i32: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i32>: sqlx::Encode<'q, DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
{
    async fn directory_services(
        &self,
        f: &crate::directory::DirectoryFilter,
        page: i64,
        per_page: i64,
    ) -> Result<(i64, Vec<crate::directory::DirectoryService>), crate::StoreError> {
        use sqlx::Row as _;
        let (wanted, mut args) = directory_where(DB::BACKEND, f);
        let skip = (page - 1).max(0) * per_page;
        let Some((from, within)) = f.near else {
            let words =
                !together_core::listings::search_words(f.search.as_deref().unwrap_or_default())
                    .is_empty();
            let n = args.len();
            args.extend([DirArg::Int(per_page), DirArg::Int(skip)]);
            // Ids only, so that SQLite can page through the (published, name, id) index
            // alone: it reads every row an OFFSET skips, and joining first read 5,000
            // services and their organisations to show 50 from the middle. A search by
            // words counts its few hundred in the same query (the words index is read
            // once, not once to count and again to page); the whole directory is
            // counted from the index, which is quicker than counting beside the page.
            let (count, from) = if words {
                ("COUNT(*) OVER ()", found_table(DB::BACKEND))
            } else {
                ("0", "service v")
            };
            let page_sql = format!(
                "SELECT v.id, {count} AS total FROM {from} WHERE {wanted} ORDER BY \
                            v.name, v.id LIMIT ${} OFFSET ${}",
                n + 1,
                n + 2
            );
            let rows = Sql::<DB>::bind_dir(sqlx::query(&page_sql), &args)
                .fetch_all(self.pool())
                .await?;
            let total = match rows.first() {
                Some(r) if words => r.try_get::<i64, _>("total")?,
                _ => {
                    args.truncate(n);
                    let count_sql = format!("SELECT COUNT(*) FROM service v WHERE {wanted}");
                    Sql::<DB>::bind_dir(sqlx::query(&count_sql), &args)
                        .fetch_one(self.pool())
                        .await?
                        .try_get(0)?
                }
            };
            let ids: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String, _>("id"))
                .collect::<Result<_, _>>()?;
            return Ok((
                total,
                Sql::<DB>::directory_in_order(self.pool(), &ids).await?,
            ));
        };
        // The box first, in the database; then the exact distance, nearest first, and
        // the page of those.
        let (dlat, dlon) = together_core::geo::bounding_box(from, within);
        let n = args.len();
        args.extend([
            DirArg::Real(from.latitude - dlat),
            DirArg::Real(from.latitude + dlat),
            DirArg::Real(from.longitude - dlon),
            DirArg::Real(from.longitude + dlon),
        ]);
        let sql = format!(
            "SELECT v.id, v.name, pc.latitude, pc.longitude FROM service v JOIN venue \
                     ve ON ve.id = v.venue_id JOIN postcode_centroid pc ON pc.postcode = \
                     ve.postcode WHERE {wanted} AND pc.latitude BETWEEN ${} AND ${} AND \
                     pc.longitude BETWEEN ${} AND ${}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        let mut near = Vec::new();
        for r in Sql::<DB>::bind_dir(sqlx::query(&sql), &args)
            .fetch_all(self.pool())
            .await?
        {
            let at = together_core::geo::Point {
                latitude: r.try_get("latitude")?,
                longitude: r.try_get("longitude")?,
            };
            let d = together_core::geo::distance_m(from, at);
            if d <= within {
                near.push((
                    d,
                    r.try_get::<String, _>("name")?,
                    r.try_get::<String, _>("id")?,
                ));
            }
        }
        near.sort_by(|a, b| {
            a.0.total_cmp(&b.0)
                .then_with(|| a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        let total = near.len() as i64;
        let wanted: Vec<(f64, String)> = near
            .into_iter()
            .skip(skip as usize)
            .take(per_page.max(0) as usize)
            .map(|(d, _, id)| (d, id))
            .collect();
        let ids: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let mut out = Sql::<DB>::directory_in_order(self.pool(), &ids).await?;
        for s in &mut out {
            let id = s.id.to_string();
            s.distance_m = wanted.iter().find(|(_, w)| *w == id).map(|(d, _)| *d);
        }
        Ok((total, out))
    }

    async fn taxonomies(&self) -> Result<Vec<crate::directory::Taxonomy>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query("SELECT id, name, description, uri, version FROM taxonomy ORDER BY name, id")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(crate::directory::Taxonomy {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    uri: r.try_get("uri")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    async fn import_postcodes(
        &self,
        rows: &[(String, f64, f64)],
    ) -> Result<usize, crate::StoreError> {
        let mut tx = self.pool().begin().await?;
        for chunk in rows.chunks(300) {
            let mut sql = String::from(
                "INSERT INTO postcode_centroid (postcode, latitude, longitude) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
            }
            sql.push_str(
                " ON CONFLICT (postcode) DO UPDATE SET latitude = excluded.latitude, \
                longitude = excluded.longitude",
            );
            let mut q = sqlx::query(&sql);
            for (p, lat, lon) in chunk {
                q = q.bind(p).bind(lat).bind(lon);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    async fn postcode_point(
        &self,
        postcode: &str,
    ) -> Result<Option<together_core::geo::Point>, crate::StoreError> {
        Sql::<DB>::postcode_point_in(self.pool(), postcode).await
    }

    async fn postcode_count(&self) -> Result<i64, crate::StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM postcode_centroid")
            .fetch_one(self.pool())
            .await?)
    }

    async fn service_locations(
        &self,
    ) -> Result<Vec<(together_core::ServiceId, String)>, crate::StoreError> {
        use sqlx::Row as _;
        sqlx::query(
            "SELECT id, venue_id FROM service WHERE published AND venue_id IS NOT \
            NULL ORDER BY name, id",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok((
                crate::values::parsed("service id", &r.try_get::<String, _>("id")?)?,
                r.try_get("venue_id")?,
            ))
        })
        .collect()
    }

    async fn directory_organizations(
        &self,
        search: Option<&str>,
        page: i64,
        per_page: i64,
    ) -> Result<(i64, Vec<crate::directory::Organization>), crate::StoreError> {
        let search = search
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(crate::values::like_pattern);
        let filter = "EXISTS (SELECT 1 FROM service v WHERE v.organization_id = o.id AND \
            v.published) AND ($1 IS NULL OR LOWER(o.name) LIKE $1 ESCAPE '\\' OR \
            LOWER(o.description) LIKE $1 ESCAPE '\\')";
        let total: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM organization o WHERE {filter}"
        ))
        .bind(&search)
        .fetch_one(self.pool())
        .await?;
        let rows = sqlx::query(&format!(
            "SELECT o.id, o.name, o.description, o.email, o.website FROM \
            organization o WHERE {filter} ORDER BY o.name, o.id LIMIT $2 OFFSET \
            $3"
        ))
        .bind(&search)
        .bind(per_page)
        .bind((page - 1).max(0) * per_page)
        .fetch_all(self.pool())
        .await?;
        Ok((
            total,
            rows.iter()
                .map(Sql::<DB>::organization_row)
                .collect::<Result<_, _>>()?,
        ))
    }

    async fn directory_organization(
        &self,
        id: &str,
    ) -> Result<Option<crate::directory::Organization>, crate::StoreError> {
        sqlx::query(
            "SELECT o.id, o.name, o.description, o.email, o.website FROM \
            organization o WHERE o.id = $1 AND EXISTS (SELECT 1 FROM service v \
            WHERE v.organization_id = o.id AND v.published)",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(Sql::<DB>::organization_row)
        .transpose()
    }

    async fn directory_service(
        &self,
        id: together_core::ServiceId,
    ) -> Result<Option<crate::directory::DirectoryService>, crate::StoreError> {
        let rows = sqlx::query(&format!(
            "{DIRECTORY_SELECT} WHERE v.id = $1 AND v.published"
        ))
        .bind(id.to_string())
        .fetch_all(self.pool())
        .await?;
        Ok(Sql::<DB>::directory_whole(self.pool(), &rows).await?.pop())
    }
}
