//! The patient index (docs/design.md, "Data protection by construction"): the only place that maps a pseudonym back to a
//! person. The registrations import writes it beside each practice's registrations partition
//! as `patient-index.sealed` (Parquet: pseudonym, nonce, sealed), every entry encrypted with
//! ChaCha20-Poly1305 under a key kept outside the database beside the pseudonym key. The
//! pseudonym and practice are bound in as associated data, so an entry cannot be moved to
//! another person or practice. Being inside the import's folder, it appears, is replaced and is
//! deleted with its import, and is never read by the analyses (which read `*.parquet` only).
//!
//! [`reidentify`] is the one function that reads it: it asks the policy, audits every person
//! it names, and answers only a clinician of that practice.

use crate::layout::import_dirs;
use crate::parquet_out::{open_writer, WriteError};
use arrow_array::builder::{ArrayBuilder, BinaryBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, BinaryArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;
use time::{Date, OffsetDateTime};
use together_core::policy::{authorize, Action, Actor, Resource};
use together_core::PcnId;
use together_store::{DynStore, NewAuditEvent, Outcome as AuditOutcome, Practice, StoreError};

/// The file beside a registrations partition.
pub const INDEX_FILE: &str = "patient-index.sealed";

/// The key that seals the patient index (32 random bytes, outside the database).
#[derive(Clone)]
pub struct IndexKey(Key);

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(***)")
    }
}

#[derive(Debug, Error)]
pub enum IndexError {
    #[error("the patient index key must be 32 bytes (found {0})")]
    KeyLength(usize),
    #[error("an entry of the patient index cannot be opened: the key is not the one it was sealed with, or the file was changed")]
    Unsealable,
    #[error("cannot read the patient index {0}: {1}")]
    Read(PathBuf, String),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("only a clinician of {0} may see who its registered people are")]
    Denied(String),
}

impl IndexKey {
    pub fn new(bytes: &[u8]) -> Result<Self, IndexError> {
        if bytes.len() != 32 {
            return Err(IndexError::KeyLength(bytes.len()));
        }
        Ok(Self(*Key::from_slice(bytes)))
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.0)
    }
}

/// Who a pseudonym is: what the registrations file said, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Ten digits, or none for a source without NHS numbers (Synthea).
    pub nhs_number: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub mobile: Option<String>,
}

fn associated(pseudonym: &str, practice: &str) -> Vec<u8> {
    format!("patient-index:v1:{practice}:{pseudonym}").into_bytes()
}

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("pseudonym", DataType::Utf8, false),
        Field::new("nonce", DataType::Binary, false),
        Field::new("sealed", DataType::Binary, false),
    ]))
}

const BATCH: usize = 16 * 1024;

struct Open {
    writer: ArrowWriter<File>,
    pseudonyms: StringBuilder,
    nonces: BinaryBuilder,
    sealed: BinaryBuilder,
}

impl Open {
    fn flush(&mut self) -> Result<(), WriteError> {
        if self.pseudonyms.is_empty() {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.pseudonyms.finish()),
            Arc::new(self.nonces.finish()),
            Arc::new(self.sealed.finish()),
        ];
        self.writer
            .write(&RecordBatch::try_new(schema(), columns)?)?;
        Ok(())
    }
}

/// Writes the sealed entries of one registrations import, one file per practice partition.
pub(crate) struct IndexWriter {
    key: IndexKey,
    /// Where each practice's partition is (the registrations partitions being staged).
    dir_of: Box<dyn Fn(&str) -> PathBuf + Send>,
    open: HashMap<String, Open>,
}

impl IndexWriter {
    pub fn new(key: IndexKey, dir_of: Box<dyn Fn(&str) -> PathBuf + Send>) -> Self {
        Self {
            key,
            dir_of,
            open: HashMap::new(),
        }
    }

    pub fn push(
        &mut self,
        practice: &str,
        pseudonym: &str,
        entry: &IndexEntry,
    ) -> Result<(), WriteError> {
        if !self.open.contains_key(practice) {
            let dir = (self.dir_of)(practice);
            std::fs::create_dir_all(&dir).map_err(|e| WriteError::Io(dir.clone(), e))?;
            let writer = open_writer(&dir.join(INDEX_FILE), schema())?;
            self.open.insert(
                practice.to_owned(),
                Open {
                    writer,
                    pseudonyms: StringBuilder::new(),
                    nonces: BinaryBuilder::new(),
                    sealed: BinaryBuilder::new(),
                },
            );
        }
        let mut nonce = [0u8; 12];
        rand_nonce(&mut nonce);
        let plain = serde_json::to_vec(entry)
            .map_err(|e| WriteError::Io(PathBuf::from(INDEX_FILE), std::io::Error::other(e)))?;
        let sealed = self
            .key
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &associated(pseudonym, practice),
                },
            )
            .map_err(|_| {
                WriteError::Io(
                    PathBuf::from(INDEX_FILE),
                    std::io::Error::other("sealing failed"),
                )
            })?;
        if let Some(o) = self.open.get_mut(practice) {
            o.pseudonyms.append_value(pseudonym);
            o.nonces.append_value(nonce);
            o.sealed.append_value(sealed);
            if o.pseudonyms.len() >= BATCH {
                o.flush()?;
            }
        }
        Ok(())
    }

    pub fn finish(mut self) -> Result<(), WriteError> {
        for (_, mut o) in self.open.drain() {
            o.flush()?;
            let file = o.writer.into_inner()?;
            file.sync_all()
                .map_err(|e| WriteError::Io(PathBuf::from(INDEX_FILE), e))?;
        }
        Ok(())
    }
}

fn rand_nonce(nonce: &mut [u8; 12]) {
    use chacha20poly1305::aead::rand_core::RngCore;
    chacha20poly1305::aead::OsRng.fill_bytes(nonce);
}

/// Opens the entries of `wanted` in one index file.
fn open_file(
    path: &Path,
    key: &IndexKey,
    practice: &str,
    wanted: &HashSet<String>,
    found: &mut HashMap<String, IndexEntry>,
) -> Result<(), IndexError> {
    let read = |e: String| IndexError::Read(path.to_owned(), e);
    let file = File::open(path).map_err(|e| read(e.to_string()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| read(e.to_string()))?;
    let cipher = key.cipher();
    for batch in reader {
        let batch = batch.map_err(|e| read(e.to_string()))?;
        let column = |i: usize| batch.column(i).as_any();
        let (Some(p), Some(n), Some(s)) = (
            column(0).downcast_ref::<StringArray>(),
            column(1).downcast_ref::<BinaryArray>(),
            column(2).downcast_ref::<BinaryArray>(),
        ) else {
            return Err(read("its columns are not those of a patient index".into()));
        };
        for i in 0..p.len() {
            let pseudonym = p.value(i);
            if !wanted.contains(pseudonym) || n.value(i).len() != 12 {
                continue;
            }
            let plain = cipher
                .decrypt(
                    Nonce::from_slice(n.value(i)),
                    Payload {
                        msg: s.value(i),
                        aad: &associated(pseudonym, practice),
                    },
                )
                .map_err(|_| IndexError::Unsealable)?;
            let entry: IndexEntry =
                serde_json::from_slice(&plain).map_err(|_| IndexError::Unsealable)?;
            found.insert(pseudonym.to_owned(), entry);
        }
    }
    Ok(())
}

/// Someone a clinician may now invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identified {
    pub pseudonym: String,
    pub entry: IndexEntry,
}

/// What a re-identification is for and who asks, for the policy and the audit.
pub struct Request<'a> {
    pub actor: &'a Actor,
    pub actor_label: &'a str,
    pub practice: &'a Practice,
    /// Why (the cohort it is for), recorded in every audit row.
    pub reason: &'a str,
    pub request_id: Option<String>,
    pub ip: Option<String>,
    pub now: OffsetDateTime,
}

/// The one way back from pseudonyms to people: only a clinician of the practice, only that
/// practice's registered people (from its active registrations imports, the newest entry
/// winning), and one audit row per person named — or one refused row for a refusal.
pub async fn reidentify(
    store: &DynStore,
    data_dir: &Path,
    key: &IndexKey,
    pcn: PcnId,
    req: &Request<'_>,
    pseudonyms: &HashSet<String>,
) -> Result<Vec<Identified>, IndexError> {
    let practice = req.practice;
    let event = |outcome, subject: Option<String>| NewAuditEvent {
        at: req.now,
        actor: req.actor_label.to_owned(),
        role: req.actor.role.as_str().to_owned(),
        pcn_id: Some(pcn),
        action: together_core::audit::AuditAction::Reidentify,
        resource_type: "patient_index".into(),
        resource_id: subject,
        outcome,
        reason: Some(format!("{} ({})", req.reason, practice.ods_code)),
        request_id: req.request_id.clone(),
        ip: req.ip.clone(),
    };
    let resource = Resource::Practice {
        pcn_id: pcn,
        practice_id: practice.id,
    };
    if practice.pcn_id != pcn || !authorize(req.actor, Action::Reidentify, &resource).is_allowed() {
        store.audit(&event(AuditOutcome::Denied, None)).await?;
        return Err(IndexError::Denied(practice.ods_code.to_string()));
    }
    let mut imports: Vec<_> = store
        .imports(pcn)
        .await?
        .into_iter()
        .filter(|i| i.status == "active" && i.dataset == "registrations")
        .collect();
    imports.sort_by_key(|i| i.imported_at);
    let code = practice.ods_code.to_string();
    let wanted = format!("practice={code}");
    let mut found = HashMap::new();
    for import in imports {
        for dir in import_dirs(data_dir, &import.id) {
            let in_practice = dir
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == wanted.as_str());
            let path = dir.join(INDEX_FILE);
            if in_practice && path.exists() {
                open_file(&path, key, &code, pseudonyms, &mut found)?;
            }
        }
    }
    let mut people: Vec<Identified> = found
        .into_iter()
        .map(|(pseudonym, entry)| Identified { pseudonym, entry })
        .collect();
    people.sort_by(|a, b| {
        (&a.entry.family_name, &a.entry.given_name, &a.pseudonym).cmp(&(
            &b.entry.family_name,
            &b.entry.given_name,
            &b.pseudonym,
        ))
    });
    let events: Vec<NewAuditEvent> = people
        .iter()
        .map(|p| event(AuditOutcome::Allowed, Some(p.pseudonym.clone())))
        .collect();
    store.audit_many(&events).await?;
    Ok(people)
}

/// The invitation list a clinician downloads: who to invite, how to reach them, and a
/// suggested text message. Every cell is neutralised against spreadsheet formulas.
pub fn invitation_csv(people: &[Identified], practice_name: &str) -> Result<Vec<u8>, csv::Error> {
    use together_core::export::{invitation_text, neutralise};
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "given_name",
        "family_name",
        "date_of_birth",
        "nhs_number",
        "mobile",
        "suggested_text_message",
    ])?;
    for p in people {
        let e = &p.entry;
        w.write_record([
            neutralise(&e.given_name),
            neutralise(&e.family_name),
            e.date_of_birth.to_string(),
            e.nhs_number.clone().unwrap_or_default(),
            neutralise(e.mobile.as_deref().unwrap_or("")),
            neutralise(&invitation_text(&e.given_name, practice_name)),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_list_neutralises_formulas_and_survives_quotes_commas_and_newlines() {
        let person = |given: &str, family: &str, mobile: Option<&str>| Identified {
            pseudonym: "p".into(),
            entry: IndexEntry {
                nhs_number: Some("9990000018".into()),
                given_name: given.into(),
                family_name: family.into(),
                date_of_birth: time::macros::date!(1948 - 03 - 27),
                mobile: mobile.map(str::to_owned),
            },
        };
        let people = [
            person(
                "=HYPERLINK(\"x\")",
                "O'Brien, \"Jr\"\nSecond line",
                Some("+447700900123"),
            ),
            person("@SUM(A1)", "-1+1", None),
            person("\t=1", "Ashworth", Some("07700 900982")),
        ];
        let bytes = invitation_csv(&people, "Quayside Surgery").unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(
            rows.len(),
            3,
            "one row per person, embedded newlines kept inside quotes"
        );
        assert_eq!(&rows[0][0], "'=HYPERLINK(\"x\")");
        assert_eq!(
            &rows[0][1], "O'Brien, \"Jr\"\nSecond line",
            "quotes and commas round-trip"
        );
        assert_eq!(&rows[0][4], "'+447700900123");
        assert_eq!((&rows[1][0], &rows[1][1]), ("'@SUM(A1)", "'-1+1"));
        assert_eq!(&rows[2][0], "'\t=1");
        assert_eq!(
            &rows[2][4], "07700 900982",
            "ordinary values are left alone"
        );
        assert!(rows.iter().all(|r| r[5].contains("Quayside Surgery")));
    }
}
