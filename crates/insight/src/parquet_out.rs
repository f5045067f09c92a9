//! The Parquet layout of each dataset: pseudonyms instead of NHS numbers, and for the
//! registrations only what analyses need (year and month of birth, not the date; no names).

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Int32Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use time::{Date, OffsetDateTime};
use together_formats::{Dataset, Record};

const BATCH: usize = 64 * 1024;

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// A column of few distinct values (a status, a practice), kept as a dictionary: the Parquet
/// reader hands analyses the small dictionary and a key per row instead of a string per row.
pub(crate) fn words() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

pub(crate) fn schema(dataset: Dataset) -> SchemaRef {
    let s = |n: &str| Field::new(n, DataType::Utf8, false);
    let w = |n: &str| Field::new(n, words(), false);
    let fields = match dataset {
        Dataset::Appointments => vec![
            w("pseudonym"),
            w("ods_code"),
            Field::new("booked_at", ts(), false),
            Field::new("starts_at", ts(), false),
            w("status"),
            w("slot_type"),
            w("clinician_role"),
            w("mode"),
        ],
        Dataset::Registrations => vec![
            s("pseudonym"),
            s("ods_code"),
            Field::new("year_of_birth", DataType::Int32, false),
            Field::new("month_of_birth", DataType::Int32, false),
            s("sex"),
            Field::new("imd_quintile", DataType::Int32, true),
            Field::new("lsoa", DataType::Utf8, true),
            Field::new("registered_from", DataType::Date32, false),
            Field::new("registered_to", DataType::Date32, true),
            Field::new("date_of_death", DataType::Date32, true),
            Field::new("opt_out", DataType::Boolean, false),
        ],
        Dataset::Conditions => vec![
            s("pseudonym"),
            s("condition"),
            s("code"),
            Field::new("recorded_on", DataType::Date32, false),
        ],
        Dataset::AeAttendances => vec![
            s("pseudonym"),
            Field::new("arrived_at", ts(), false),
            s("discharge_destination"),
        ],
    };
    Arc::new(Schema::new(fields))
}

fn days(d: Date) -> i32 {
    (d - Date::from_calendar_date(1970, time::Month::January, 1).unwrap_or(Date::MIN)).whole_days()
        as i32
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// Column builders for one batch of one dataset. There is one per practice partition, so the
/// variants' different sizes cost nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
enum Builders {
    Appointments(
        WordsBuilder,
        [TimestampMicrosecondBuilder; 2],
        [WordsBuilder; 5],
    ),
    Registrations {
        strings: [StringBuilder; 3],
        lsoa: StringBuilder,
        ints: [Int32Builder; 3],
        dates: [Date32Builder; 3],
        opt_out: BooleanBuilder,
    },
    Conditions([StringBuilder; 3], Date32Builder),
    Ae(StringBuilder, TimestampMicrosecondBuilder, StringBuilder),
}

/// A dictionary column's builder with a short cut for a value equal to the row before's (a
/// practice's rows, a person's run of appointments, the usual status): no hashing then. Arrow's
/// own builder hashes every value, and the import builds six such columns a row.
#[derive(Default)]
struct WordsBuilder {
    keys: Vec<i32>,
    words: Vec<String>,
    known: HashMap<String, i32, ahash::RandomState>,
}

impl WordsBuilder {
    fn append(&mut self, word: &str) {
        if let Some(&last) = self.keys.last() {
            if self.words[last as usize] == word {
                self.keys.push(last);
                return;
            }
        }
        let key = match self.known.get(word) {
            Some(key) => *key,
            None => {
                let key = self.words.len() as i32;
                self.words.push(word.to_owned());
                self.known.insert(word.to_owned(), key);
                key
            }
        };
        self.keys.push(key);
    }

    fn finish(&mut self) -> Result<DictionaryArray<Int32Type>, arrow_schema::ArrowError> {
        // The next batch's keys get their room at once, not by doubling from nothing.
        let keys = Int32Array::from(std::mem::replace(&mut self.keys, Vec::with_capacity(BATCH)));
        let words = StringArray::from_iter_values(self.words.drain(..));
        self.known.clear();
        DictionaryArray::try_new(keys, Arc::new(words))
    }
}

/// A timestamp column's builder with room for a whole batch.
fn tsb() -> TimestampMicrosecondBuilder {
    TimestampMicrosecondBuilder::with_capacity(BATCH).with_timezone("UTC")
}

impl Builders {
    fn new(dataset: Dataset) -> Self {
        let sb = StringBuilder::new;
        match dataset {
            Dataset::Appointments => Builders::Appointments(
                WordsBuilder::default(),
                [tsb(), tsb()],
                std::array::from_fn(|_| WordsBuilder::default()),
            ),
            Dataset::Registrations => Builders::Registrations {
                strings: [sb(), sb(), sb()],
                lsoa: sb(),
                ints: [
                    Int32Builder::new(),
                    Int32Builder::new(),
                    Int32Builder::new(),
                ],
                dates: [
                    Date32Builder::new(),
                    Date32Builder::new(),
                    Date32Builder::new(),
                ],
                opt_out: BooleanBuilder::new(),
            },
            Dataset::Conditions => Builders::Conditions([sb(), sb(), sb()], Date32Builder::new()),
            Dataset::AeAttendances => Builders::Ae(sb(), tsb(), sb()),
        }
    }

    fn push(&mut self, pseudonym: &str, record: &Record) {
        match (self, record) {
            (Builders::Appointments(id, times, words), Record::Appointment(a)) => {
                id.append(pseudonym);
                times[0].append_value(micros(a.booked_at));
                times[1].append_value(micros(a.starts_at));
                for (b, v) in words.iter_mut().zip([
                    a.ods_code.as_str(),
                    a.status,
                    a.slot_type.as_str(),
                    a.clinician_role.as_str(),
                    a.mode.as_str(),
                ]) {
                    b.append(v);
                }
            }
            (
                Builders::Registrations {
                    strings,
                    lsoa,
                    ints,
                    dates,
                    opt_out,
                },
                Record::Registration(r),
            ) => {
                strings[0].append_value(pseudonym);
                strings[1].append_value(r.ods_code.as_str());
                strings[2].append_value(r.sex);
                ints[0].append_value(r.date_of_birth.year());
                ints[1].append_value(r.date_of_birth.month() as i32);
                ints[2].append_option(r.imd_quintile.map(i32::from));
                lsoa.append_option(r.lsoa.as_deref());
                dates[0].append_value(days(r.registered_from));
                dates[1].append_option(r.registered_to.map(days));
                dates[2].append_option(r.date_of_death.map(days));
                opt_out.append_value(r.opt_out);
            }
            (Builders::Conditions(text, on), Record::Condition(c)) => {
                for (b, v) in text.iter_mut().zip([pseudonym, &c.condition, &c.code]) {
                    b.append_value(v);
                }
                on.append_value(days(c.recorded_on));
            }
            (Builders::Ae(p, at, dest), Record::AeAttendance(a)) => {
                p.append_value(pseudonym);
                at.append_value(micros(a.arrived_at));
                dest.append_value(&a.discharge_destination);
            }
            _ => {}
        }
    }

    fn finish(&mut self, schema: &SchemaRef) -> Result<RecordBatch, arrow_schema::ArrowError> {
        let columns: Vec<ArrayRef> = match self {
            Builders::Appointments(id, times, words) => vec![
                Arc::new(id.finish()?),
                Arc::new(words[0].finish()?),
                Arc::new(std::mem::replace(&mut times[0], tsb()).finish()),
                Arc::new(std::mem::replace(&mut times[1], tsb()).finish()),
                Arc::new(words[1].finish()?),
                Arc::new(words[2].finish()?),
                Arc::new(words[3].finish()?),
                Arc::new(words[4].finish()?),
            ],
            Builders::Registrations {
                strings,
                lsoa,
                ints,
                dates,
                opt_out,
            } => vec![
                Arc::new(strings[0].finish()),
                Arc::new(strings[1].finish()),
                Arc::new(ints[0].finish()),
                Arc::new(ints[1].finish()),
                Arc::new(strings[2].finish()),
                Arc::new(ints[2].finish()),
                Arc::new(lsoa.finish()),
                Arc::new(dates[0].finish()),
                Arc::new(dates[1].finish()),
                Arc::new(dates[2].finish()),
                Arc::new(opt_out.finish()),
            ],
            Builders::Conditions(text, on) => vec![
                Arc::new(text[0].finish()),
                Arc::new(text[1].finish()),
                Arc::new(text[2].finish()),
                Arc::new(on.finish()),
            ],
            Builders::Ae(p, at, dest) => vec![
                Arc::new(p.finish()),
                Arc::new(at.finish()),
                Arc::new(dest.finish()),
            ],
        };
        RecordBatch::try_new(schema.clone(), columns)
    }
}

/// Writes one import's rows, one Parquet file per practice partition. Rows are gathered into
/// batches here; a second thread encodes and writes them, so reading the file and writing the
/// Parquet use both cores.
pub(crate) struct PartitionedWriter {
    dataset: Dataset,
    schema: SchemaRef,
    /// Batches being gathered, and their rows so far, by practice: a PCN has a few practices,
    /// so a search of a short list beats hashing the practice of every row.
    building: Vec<(String, Builders, usize)>,
    to_writer: Option<std::sync::mpsc::SyncSender<(String, RecordBatch)>>,
    writer: Option<std::thread::JoinHandle<Result<Vec<String>, WriteError>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("cannot write Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("cannot build a batch: {0}")]
    Arrow(#[from] arrow_schema::ArrowError),
    #[error("the Parquet writer stopped unexpectedly")]
    Stopped,
}

/// Rows in a row group of a dataset whose pseudonyms are a dictionary.
const KEYED_ROW_GROUP: usize = 256 * 1024;

/// A new Parquet file with Together's settings (Snappy). A dataset that keeps its pseudonyms
/// as a dictionary (the appointments: a person has many) gets a dictionary page large enough
/// for a row group of different people, so that the encoding never falls back to plain values
/// and a reader can keep a row group's pseudonyms as one dictionary and a key per row.
pub(crate) fn open_writer(path: &Path, schema: SchemaRef) -> Result<ArrowWriter<File>, WriteError> {
    let file = File::create(path).map_err(|e| WriteError::Io(path.to_owned(), e))?;
    let mut props = WriterProperties::builder().set_compression(Compression::SNAPPY);
    let pseudonym = || parquet::schema::types::ColumnPath::from("pseudonym");
    if let Ok(field) = schema.field_with_name("pseudonym") {
        // Pseudonyms are random: compression gains nothing and their statistics prune nothing,
        // while both cost every reader of the column.
        props = props
            .set_column_compression(pseudonym(), Compression::UNCOMPRESSED)
            .set_column_statistics_enabled(
                pseudonym(),
                parquet::file::properties::EnabledStatistics::None,
            );
        if field.data_type() == &words() {
            // 64 hex characters and a 4-byte length per distinct pseudonym, with room to spare.
            props = props
                .set_max_row_group_row_count(Some(KEYED_ROW_GROUP))
                .set_column_dictionary_page_size_limit(pseudonym(), KEYED_ROW_GROUP * 80);
        } else {
            // Each person once or a few times: a dictionary would hold nearly every value.
            props = props.set_column_dictionary_enabled(pseudonym(), false);
        }
    }
    for field in schema.fields() {
        let path = || parquet::schema::types::ColumnPath::from(field.name().as_str());
        // Instants are nearly all different: a dictionary of them only costs the writer a hash
        // per value until it gives up on it.
        if matches!(field.data_type(), DataType::Timestamp(..)) {
            props = props.set_column_dictionary_enabled(path(), false);
        }
        // A status, slot type, role or mode: every row group has most of the few words, so
        // their minimum and maximum would prune nothing, and the writer would compare every
        // row's word to work them out. (The practice keeps them: a file is one practice's.)
        if field.data_type() == &words()
            && !["pseudonym", "ods_code"].contains(&field.name().as_str())
        {
            props = props.set_column_statistics_enabled(
                path(),
                parquet::file::properties::EnabledStatistics::None,
            );
        }
    }
    let props = props.build();
    Ok(ArrowWriter::try_new(file, schema, Some(props))?)
}

/// The writing thread: a file per practice, opened at its first batch; the practices written.
fn write_partitions(
    batches: std::sync::mpsc::Receiver<(String, RecordBatch)>,
    dataset: Dataset,
    schema: SchemaRef,
    root: PathBuf,
    import_id: String,
) -> Result<Vec<String>, WriteError> {
    let mut files: HashMap<String, ArrowWriter<File>> = HashMap::new();
    for (practice, batch) in batches {
        let writer = match files.entry(practice) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let dir = crate::layout::partition(&root, dataset.name(), e.key(), &import_id);
                std::fs::create_dir_all(&dir).map_err(|err| WriteError::Io(dir.clone(), err))?;
                e.insert(open_writer(&dir.join("part-0.parquet"), schema.clone())?)
            }
        };
        writer.write(&batch)?;
    }
    let mut practices = Vec::new();
    for (practice, writer) in files {
        let file = writer.into_inner()?;
        file.sync_all()
            .map_err(|e| WriteError::Io(root.clone(), e))?;
        practices.push(practice);
    }
    practices.sort();
    Ok(practices)
}

impl PartitionedWriter {
    pub fn new(dataset: Dataset, root: &Path, import_id: &str) -> Self {
        let schema = schema(dataset);
        // A few batches in flight at most: memory stays bounded whatever the file's size.
        let (to_writer, batches) = std::sync::mpsc::sync_channel(2);
        let (s, root, id) = (schema.clone(), root.to_owned(), import_id.to_owned());
        let writer = std::thread::Builder::new()
            .name("parquet-writer".into())
            .spawn(move || write_partitions(batches, dataset, s, root, id));
        let (to_writer, writer) = match writer {
            Ok(handle) => (Some(to_writer), Some(handle)),
            Err(_) => (None, None),
        };
        Self {
            dataset,
            schema,
            building: Vec::new(),
            to_writer,
            writer,
        }
    }

    /// Hands a full batch to the writing thread; if it has stopped, its error.
    fn send(&mut self, practice: String, batch: RecordBatch) -> Result<(), WriteError> {
        let sent = self
            .to_writer
            .as_ref()
            .is_some_and(|w| w.send((practice, batch)).is_ok());
        if sent {
            return Ok(());
        }
        self.to_writer = None;
        match self.writer.take().map(std::thread::JoinHandle::join) {
            Some(Ok(Err(e))) => Err(e),
            _ => Err(WriteError::Stopped),
        }
    }

    pub fn push(
        &mut self,
        practice: &str,
        pseudonym: &str,
        record: &Record,
    ) -> Result<(), WriteError> {
        let at = match self.building.iter().position(|(p, ..)| p == practice) {
            Some(at) => at,
            None => {
                let builders = Builders::new(self.dataset);
                self.building.push((practice.to_owned(), builders, 0));
                self.building.len() - 1
            }
        };
        let (_, builders, pending) = &mut self.building[at];
        builders.push(pseudonym, record);
        *pending += 1;
        let full = if *pending >= BATCH {
            *pending = 0;
            Some(builders.finish(&self.schema)?)
        } else {
            None
        };
        match full {
            Some(batch) => self.send(practice.to_owned(), batch),
            None => Ok(()),
        }
    }

    /// Sends what is left, waits for every file to be written and closed; the practices
    /// written.
    pub fn finish(mut self) -> Result<Vec<String>, WriteError> {
        let mut rest = Vec::new();
        for (practice, builders, pending) in self.building.iter_mut() {
            if *pending > 0 {
                rest.push((practice.clone(), builders.finish(&self.schema)?));
            }
        }
        for (practice, batch) in rest {
            self.send(practice, batch)?;
        }
        self.to_writer = None;
        match self.writer.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => result,
            _ => Err(WriteError::Stopped),
        }
    }
}

impl Drop for PartitionedWriter {
    /// A writer given up (a refused file) waits for its thread, so nothing is written into
    /// staging after the caller has cleared it.
    fn drop(&mut self) {
        self.to_writer = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
