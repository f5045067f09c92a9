//! For analysts: read-only SQL over the pseudonymised datasets (`together sql`), and a
//! pseudonymised extract with its data dictionary (`together extract`). Neither reaches the
//! patient index: names and NHS numbers are not in any table SQL can see.

use crate::profile::Scope;
use crate::tables::Tables;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::JoinType;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::*;
use std::path::Path;
use together_formats::Dataset;

/// Runs one query; statements that would change anything (DDL, DML, SET …) are refused.
pub async fn sql(tables: &Tables, query: &str) -> Result<Vec<RecordBatch>, DataFusionError> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    tables
        .context()
        .sql_with_options(query, options)
        .await?
        .collect()
        .await
}

/// How query results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Csv,
    Json,
}

/// Query results as text. CSV cells are neutralised against spreadsheet formulas.
pub fn render(batches: &[RecordBatch], output: Output) -> Result<String, DataFusionError> {
    use datafusion::arrow::{csv, json, util::pretty};
    let err =
        |e: datafusion::arrow::error::ArrowError| DataFusionError::ArrowError(Box::new(e), None);
    match output {
        Output::Table => Ok(pretty::pretty_format_batches(batches)
            .map_err(err)?
            .to_string()),
        Output::Json => {
            let mut w = json::ArrayWriter::new(Vec::new());
            for b in batches {
                w.write(b).map_err(err)?;
            }
            w.finish().map_err(err)?;
            Ok(String::from_utf8_lossy(&w.into_inner()).into_owned())
        }
        Output::Csv => {
            let mut raw = Vec::new();
            {
                let mut w = csv::WriterBuilder::new().with_header(true).build(&mut raw);
                for b in batches {
                    w.write(b).map_err(err)?;
                }
            }
            // Re-read and neutralise each cell: the arrow writer knows nothing of spreadsheets.
            let mut reader = ::csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(raw.as_slice());
            let mut out = ::csv::Writer::from_writer(Vec::new());
            for record in reader.records() {
                let record = record.map_err(|e| DataFusionError::External(Box::new(e)))?;
                out.write_record(record.iter().map(together_core::export::neutralise))
                    .map_err(|e| DataFusionError::External(Box::new(e)))?;
            }
            let bytes = out
                .into_inner()
                .map_err(|e| DataFusionError::Execution(e.to_string()))?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

/// What each column of the extract means.
pub const DATA_DICTIONARY: &str = "# Data dictionary

A pseudonymised extract from Together's Insight. Every person appears under their pseudonym,
`HMAC-SHA256(key, \"nhs:v1:\" + NHS number)` in hex (or `\"synthea:v1:\" + id` for Synthea data):
the same person has the same pseudonym in every file and in every extract of this instance. No
names, NHS numbers, dates of birth, addresses or contact details are in it. Pooled extracts (more
than one practice) leave out people with a national data opt-out.

Times are UTC (convert to Europe/London for local dates). Each dataset is written as Parquet and
as CSV (cells a spreadsheet would run as formulas are prefixed with a quote).

## registrations

| column | meaning |
|---|---|
| pseudonym | the person |
| ods_code | their practice |
| year_of_birth, month_of_birth | no day: age is worked out as if born on the 1st |
| sex | F, M, I (indeterminate) or U (unknown) |
| imd_quintile | deprivation, 1 (most deprived) to 5; empty when not recorded |
| lsoa | the lower layer super output area, when recorded |
| registered_from, registered_to | the registration; registered_to empty while registered |
| date_of_death | when recorded |
| opt_out | a national data opt-out is recorded |

## appointments

| column | meaning |
|---|---|
| pseudonym, ods_code | who, and at which practice |
| booked_at, starts_at | when it was booked and when it was for (UTC) |
| status | the OpenSAFELY vocabulary: Finished, Did Not Attend, Cancelled by Patient … |
| slot_type, clinician_role, mode | as the practice's system recorded them |

## conditions

| column | meaning |
|---|---|
| pseudonym | the person |
| condition | hypertension, diabetes, asthma, copd, coronary_heart_disease, depression, anxiety, cancer, dementia, severe_mental_illness, or a frailty category |
| code | the SNOMED CT code recorded |
| recorded_on | the date it was first recorded |

## ae_attendances

| column | meaning |
|---|---|
| pseudonym | the person |
| arrived_at | when they arrived (UTC) |
| discharge_destination | where they went next |
";

/// One dataset of the extract: the people of the scope (not opted out when pooled), and for
/// the event datasets their rows in the period.
fn selected(
    tables: &Tables,
    scope: &Scope,
    dataset: Dataset,
) -> Result<DataFrame, DataFusionError> {
    let practices: Vec<Expr> = scope.practices.iter().map(|p| lit(p.as_str())).collect();
    let mut people = tables
        .registrations()?
        .filter(col("ods_code").in_list(practices.clone(), false))?;
    if scope.pooled() {
        people = people.filter(col("opt_out").not())?;
    }
    let (start, end) = scope.window();
    let who = people
        .clone()
        .select(vec![col("pseudonym").alias("person")])?
        .distinct()?;
    let semi = |df: DataFrame| {
        df.join(
            who.clone(),
            JoinType::LeftSemi,
            &["pseudonym"],
            &["person"],
            None,
        )
    };
    match dataset {
        Dataset::Registrations => Ok(people),
        Dataset::Appointments => semi(
            tables
                .appointments()?
                .filter(col("ods_code").in_list(practices, false))?
                .filter(col("starts_at").gt_eq(start).and(col("starts_at").lt(end)))?,
        ),
        Dataset::AeAttendances => semi(
            tables.ae_attendances()?.filter(
                col("arrived_at")
                    .gt_eq(start)
                    .and(col("arrived_at").lt(end)),
            )?,
        ),
        Dataset::Conditions => semi(tables.conditions()?),
    }
}

/// Writes the extract into `out` (which must not exist): `<dataset>.parquet` and `<dataset>.csv`
/// for each dataset, and `DATA-DICTIONARY.md`. Returns each dataset's rows.
pub async fn extract(
    tables: &Tables,
    scope: &Scope,
    out: &Path,
) -> Result<Vec<(Dataset, usize)>, DataFusionError> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for dataset in Dataset::ALL {
        let df = selected(tables, scope, dataset)?;
        let batches = df.collect().await?;
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        let ctx = SessionContext::new();
        let frame = ctx.read_batches(batches.clone())?;
        let parquet = out.join(format!("{}.parquet", dataset.name()));
        frame
            .write_parquet(
                &parquet.to_string_lossy(),
                DataFrameWriteOptions::new().with_single_file_output(true),
                None,
            )
            .await?;
        std::fs::write(
            out.join(format!("{}.csv", dataset.name())),
            render(&batches, Output::Csv)?,
        )?;
        written.push((dataset, rows));
    }
    std::fs::write(out.join("DATA-DICTIONARY.md"), DATA_DICTIONARY)?;
    Ok(written)
}
