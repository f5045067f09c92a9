//! The Insight datasets as DataFusion tables over exactly the partitions of the PCN's active
//! imports: a partition without a record (an import in progress, a leftover) is never read.

use crate::layout::import_dirs;
use crate::parquet_out::schema;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::error::DataFusionError;
use datafusion::prelude::{lit, DataFrame, Expr, SessionContext};
use datafusion::scalar::ScalarValue;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::OffsetDateTime;
use together_core::PcnId;
use together_formats::Dataset;
use together_store::{DynStore, StoreError};

/// A UTC instant as a literal comparable with the datasets' timestamp columns.
pub fn lit_ts(t: OffsetDateTime) -> Expr {
    lit(ScalarValue::TimestampMicrosecond(
        Some((t.unix_timestamp_nanos() / 1000) as i64),
        Some("UTC".into()),
    ))
}

/// One PCN's Insight datasets, ready to query.
pub struct Tables {
    ctx: SessionContext,
    providers: HashMap<Dataset, Arc<dyn TableProvider>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TablesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl Tables {
    /// The tables of the PCN's active imports.
    pub async fn open(store: &DynStore, data_dir: &Path, pcn: PcnId) -> Result<Self, TablesError> {
        let mut dirs: HashMap<Dataset, Vec<PathBuf>> = HashMap::new();
        for import in store
            .imports(pcn)
            .await?
            .into_iter()
            .filter(|i| i.status == "active")
        {
            if let Ok(dataset) = import.dataset.parse::<Dataset>() {
                dirs.entry(dataset)
                    .or_default()
                    .extend(import_dirs(data_dir, &import.id));
            }
        }
        Ok(Self::from_dirs(&dirs)?)
    }

    /// Tables over the given partition folders (a dataset with none is an empty table).
    pub fn from_dirs(dirs: &HashMap<Dataset, Vec<PathBuf>>) -> Result<Self, DataFusionError> {
        let ctx = SessionContext::new();
        let mut providers: HashMap<Dataset, Arc<dyn TableProvider>> = HashMap::new();
        for dataset in Dataset::ALL {
            let schema = schema(dataset);
            let provider: Arc<dyn TableProvider> =
                match dirs.get(&dataset).filter(|d| !d.is_empty()) {
                    None => Arc::new(MemTable::try_new(schema, vec![vec![]])?),
                    Some(paths) => {
                        let urls = paths
                            .iter()
                            .map(|p| ListingTableUrl::parse(format!("{}/", p.display())))
                            .collect::<Result<Vec<_>, _>>()?;
                        let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                            .with_file_extension(".parquet");
                        let config = ListingTableConfig::new_with_multi_paths(urls)
                            .with_listing_options(options)
                            .with_schema(schema);
                        Arc::new(ListingTable::try_new(config)?)
                    }
                };
            ctx.register_table(dataset.name(), provider.clone())?;
            providers.insert(dataset, provider);
        }
        Ok(Self { ctx, providers })
    }

    fn read(&self, dataset: Dataset) -> Result<DataFrame, DataFusionError> {
        let provider = self
            .providers
            .get(&dataset)
            .ok_or_else(|| DataFusionError::Plan(format!("no table {}", dataset.name())))?;
        self.ctx.read_table(provider.clone())?.alias(dataset.name())
    }

    pub fn registrations(&self) -> Result<DataFrame, DataFusionError> {
        self.read(Dataset::Registrations)
    }

    pub fn appointments(&self) -> Result<DataFrame, DataFusionError> {
        self.read(Dataset::Appointments)
    }

    pub fn ae_attendances(&self) -> Result<DataFrame, DataFusionError> {
        self.read(Dataset::AeAttendances)
    }

    pub fn conditions(&self) -> Result<DataFrame, DataFusionError> {
        self.read(Dataset::Conditions)
    }

    /// The session, for read-only SQL over the datasets (`together sql`, analysts).
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }
}
