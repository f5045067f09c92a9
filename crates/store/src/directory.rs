//! The directory as the public and other directories see it: every published service of the
//! instance (the neighbourhood shares one directory), the PCNs' offers among them, with their
//! organisation, venue, schedules and categories. Read-only here: what the ORUK API and the
//! public pages serve.

use crate::offers::{Schedule, TaxonomyTerm};
use crate::partners::Venue;
use crate::StoreError;
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
}

/// Implements [`DirectoryStore`]; expanded beside `impl_offer_store!`, whose row readers it uses.
macro_rules! impl_directory_store {
    ($store:ty) => {
        const DIRECTORY_WHERE: &str = "v.published AND ($1 IS NULL OR LOWER(v.name) LIKE $1 ESCAPE '\\' OR LOWER(v.description) LIKE $1 ESCAPE '\\') \
             AND ($2 IS NULL OR EXISTS (SELECT 1 FROM service_taxonomy t WHERE t.service_id = v.id AND t.term_id = $2)) \
             AND ($3 IS NULL OR EXISTS (SELECT 1 FROM service_taxonomy t JOIN taxonomy_term tt ON tt.id = t.term_id WHERE t.service_id = v.id AND tt.taxonomy_id = $3)) \
             AND ($4 IS NULL OR v.organization_id = $4) AND ($5 IS NULL OR v.last_modified > $5)";

        async fn directory_whole(pool: &sqlx::Pool<Db>, rows: &[Row]) -> Result<Vec<$crate::directory::DirectoryService>, $crate::StoreError> {
            use sqlx::Row as _;
            let mut out = Vec::new();
            for r in rows {
                let id: String = r.try_get("id")?;
                let venue_id: Option<String> = r.try_get("venue_id")?;
                let venue = match venue_id {
                    Some(v) => sqlx::query("SELECT * FROM venue WHERE id = $1")
                        .bind(&v)
                        .fetch_optional(pool)
                        .await?
                        .map(|v| -> Result<$crate::partners::Venue, $crate::StoreError> {
                            Ok($crate::partners::Venue {
                                id: v.try_get("id")?,
                                partner_id: v.try_get("partner_id")?,
                                name: v.try_get("name")?,
                                address: v.try_get("address")?,
                                postcode: v.try_get("postcode")?,
                                accessibility: v.try_get("accessibility")?,
                                capacity: v.try_get("capacity")?,
                            })
                        })
                        .transpose()?,
                    None => None,
                };
                let schedules = sqlx::query("SELECT * FROM schedule WHERE service_id = $1 ORDER BY dtstart, id")
                    .bind(&id)
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(schedule_row)
                    .collect::<Result<Vec<_>, _>>()?;
                let terms = sqlx::query(
                    "SELECT tt.id, tt.taxonomy_id, tt.parent_id, tt.code, tt.name, tt.description FROM service_taxonomy t JOIN taxonomy_term tt ON tt.id = t.term_id WHERE t.service_id = $1 ORDER BY tt.name",
                )
                .bind(&id)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|t| {
                    Ok($crate::offers::TaxonomyTerm {
                        id: t.try_get("id")?,
                        taxonomy_id: t.try_get("taxonomy_id")?,
                        parent_id: t.try_get("parent_id")?,
                        code: t.try_get("code")?,
                        name: t.try_get("name")?,
                        description: t.try_get("description")?,
                    })
                })
                .collect::<Result<Vec<_>, $crate::StoreError>>()?;
                out.push($crate::directory::DirectoryService {
                    id: $crate::queries::parsed("service id", &id)?,
                    pcn_id: $crate::queries::parsed("pcn id", &r.try_get::<String, _>("pcn_id")?)?,
                    organization: $crate::directory::Organization {
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
                    assured_date: r.try_get::<Option<String>, _>("assured_date")?.map(|d| $crate::queries::parse_iso_date(&d)).transpose()?,
                    last_modified: $crate::queries::at(r.try_get("last_modified")?)?,
                    is_offer: r.try_get::<Option<String>, _>("offer_kind")?.is_some(),
                    venue,
                    schedules,
                    terms,
                });
            }
            Ok(out)
        }

        const DIRECTORY_SELECT: &str = "SELECT v.*, o.id AS o_id, o.name AS o_name, o.description AS o_description, o.email AS o_email, o.website AS o_website \
             FROM service v JOIN organization o ON o.id = v.organization_id";

        #[async_trait::async_trait]
        impl $crate::directory::DirectoryStore for $store {
            async fn directory_services(&self, f: &$crate::directory::DirectoryFilter, page: i64, per_page: i64) -> Result<(i64, Vec<$crate::directory::DirectoryService>), $crate::StoreError> {
                let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map($crate::queries::like_pattern);
                let modified = f.modified_after.map($crate::queries::secs);
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM service v WHERE {DIRECTORY_WHERE}"))
                    .bind(&search)
                    .bind(&f.taxonomy_term_id)
                    .bind(&f.taxonomy_id)
                    .bind(&f.organization_id)
                    .bind(modified)
                    .fetch_one(&self.pool)
                    .await?;
                let rows = sqlx::query(&format!("{DIRECTORY_SELECT} WHERE {DIRECTORY_WHERE} ORDER BY v.name, v.id LIMIT $6 OFFSET $7"))
                    .bind(&search)
                    .bind(&f.taxonomy_term_id)
                    .bind(&f.taxonomy_id)
                    .bind(&f.organization_id)
                    .bind(modified)
                    .bind(per_page)
                    .bind((page - 1).max(0) * per_page)
                    .fetch_all(&self.pool)
                    .await?;
                Ok((total, directory_whole(&self.pool, &rows).await?))
            }

            async fn taxonomies(&self) -> Result<Vec<$crate::directory::Taxonomy>, $crate::StoreError> {
                use sqlx::Row as _;
                sqlx::query("SELECT id, name, description, uri, version FROM taxonomy ORDER BY name, id")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| {
                        Ok($crate::directory::Taxonomy {
                            id: r.try_get("id")?,
                            name: r.try_get("name")?,
                            description: r.try_get("description")?,
                            uri: r.try_get("uri")?,
                            version: r.try_get("version")?,
                        })
                    })
                    .collect()
            }

            async fn directory_service(&self, id: together_core::ServiceId) -> Result<Option<$crate::directory::DirectoryService>, $crate::StoreError> {
                let rows = sqlx::query(&format!("{DIRECTORY_SELECT} WHERE v.id = $1 AND v.published"))
                    .bind(id.to_string())
                    .fetch_all(&self.pool)
                    .await?;
                Ok(directory_whole(&self.pool, &rows).await?.pop())
            }
        }
    };
}
pub(crate) use impl_directory_store;
