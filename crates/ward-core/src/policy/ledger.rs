//! The `[ledger]` section: how the Ward home keeps its ledger — when checkpoints
//! are signed, which key signs them, which witnesses' cosignatures count.
//!
//! The ledger belongs to the Ward home, not to a project, so only the managed and
//! user layers may set it; a project's `[ledger]` is ignored with a warning (a
//! repository must not choose the key that signs the log, or hide its witnesses).

use serde::{Deserialize, Serialize};

use super::{Layer, PolicyError, PolicySource, parse_policy_text};

/// Records after which the background ingest signs a checkpoint, by default.
pub const DEFAULT_CHECKPOINT_EVERY_RECORDS: u64 = 1_000;

/// Seconds after which the background ingest signs a checkpoint of new records,
/// by default.
pub const DEFAULT_CHECKPOINT_EVERY_SECONDS: u64 = 600;

/// How long records keep their bodies, by default: `ward audit prune` removes
/// only what is older.
pub const DEFAULT_RETENTION_DAYS: u64 = 365;

/// `[ledger]` as written in one layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerSection {
    /// Sign a checkpoint once this many records are not covered by one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every_records: Option<u64>,
    /// Sign a checkpoint of new records once the last is this many seconds old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every_seconds: Option<u64>,
    /// A private key file (Ed25519, PKCS#8 PEM) the deployment provides, used
    /// instead of the key `ward init` generates; for managed machines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key_file: Option<String>,
    /// Witnesses whose cosignatures count, as verifier keys
    /// (`<name>+<hash>+<key>`, as `ward witness show` prints them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnesses: Vec<String>,
    /// Records keep their bodies at least this many days; `ward audit prune`
    /// removes only older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u64>,
}

/// The effective ledger settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerSettings {
    /// See [`LedgerSection::checkpoint_every_records`].
    pub checkpoint_every_records: u64,
    /// See [`LedgerSection::checkpoint_every_seconds`].
    pub checkpoint_every_seconds: u64,
    /// See [`LedgerSection::host_key_file`]; `None`: the home's own key.
    pub host_key_file: Option<String>,
    /// Every layer's witnesses, in order, without repeats.
    pub witnesses: Vec<String>,
    /// See [`LedgerSection::retention_days`].
    pub retention_days: u64,
}

impl Default for LedgerSettings {
    fn default() -> LedgerSettings {
        LedgerSettings {
            checkpoint_every_records: DEFAULT_CHECKPOINT_EVERY_RECORDS,
            checkpoint_every_seconds: DEFAULT_CHECKPOINT_EVERY_SECONDS,
            host_key_file: None,
            witnesses: Vec::new(),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl LedgerSettings {
    /// Merges the layers' sections: for each setting the most authoritative layer
    /// that gives it wins; witnesses add up. Returns warnings for what was ignored.
    pub fn merge<'a>(
        sections: impl IntoIterator<Item = (Layer, &'a str, &'a LedgerSection)>,
    ) -> Result<(LedgerSettings, Vec<String>), PolicyError> {
        let mut sections: Vec<_> = sections.into_iter().collect();
        sections.sort_by_key(|(layer, _, _)| *layer);
        let mut settings = LedgerSettings::default();
        let (mut records, mut seconds, mut key_file, mut retention) = (None, None, None, None);
        let mut warnings = Vec::new();
        for (layer, path, section) in sections {
            if layer == Layer::Project {
                if *section != LedgerSection::default() {
                    warnings.push(format!(
                        "{path}: `[ledger]` is ignored in a project policy (the ledger belongs \
                         to the Ward home; set it in the user or managed policy)"
                    ));
                }
                continue;
            }
            let invalid = |message: &str| PolicyError::Invalid {
                file: path.to_owned(),
                line: 0,
                rule: "[ledger]".to_owned(),
                message: message.to_owned(),
            };
            if section.checkpoint_every_records == Some(0) {
                return Err(invalid("`checkpoint_every_records` must be at least 1"));
            }
            if section.retention_days == Some(0) {
                return Err(invalid("`retention_days` must be at least 1"));
            }
            if section.checkpoint_every_seconds == Some(0) {
                return Err(invalid("`checkpoint_every_seconds` must be at least 1"));
            }
            if section
                .host_key_file
                .as_deref()
                .is_some_and(|file| file.trim().is_empty())
            {
                return Err(invalid("`host_key_file` is empty"));
            }
            records = records.or(section.checkpoint_every_records);
            seconds = seconds.or(section.checkpoint_every_seconds);
            key_file = key_file.or_else(|| section.host_key_file.clone());
            retention = retention.or(section.retention_days);
            for witness in &section.witnesses {
                if !settings.witnesses.contains(witness) {
                    settings.witnesses.push(witness.clone());
                }
            }
        }
        settings.checkpoint_every_records = records.unwrap_or(DEFAULT_CHECKPOINT_EVERY_RECORDS);
        settings.checkpoint_every_seconds = seconds.unwrap_or(DEFAULT_CHECKPOINT_EVERY_SECONDS);
        settings.host_key_file = key_file;
        settings.retention_days = retention.unwrap_or(DEFAULT_RETENTION_DAYS);
        Ok((settings, warnings))
    }

    /// The settings from layer texts alone, without building the rules: what the
    /// background ingest and the audit commands need.
    pub fn from_sources(
        sources: &[PolicySource],
    ) -> Result<(LedgerSettings, Vec<String>), PolicyError> {
        let mut files = Vec::with_capacity(sources.len());
        for source in sources {
            files.push((source, parse_policy_text(&source.path, &source.text)?));
        }
        LedgerSettings::merge(files.iter().filter_map(|(source, file)| {
            file.ledger
                .as_ref()
                .map(|section| (source.layer, source.path.as_str(), section))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(layer: Layer, text: &str) -> PolicySource {
        PolicySource {
            layer,
            path: format!("{layer}.toml"),
            text: text.to_owned(),
        }
    }

    #[test]
    fn the_most_authoritative_layer_wins_and_witnesses_add_up() {
        let (settings, warnings) = LedgerSettings::from_sources(&[
            source(
                Layer::User,
                "[ledger]\ncheckpoint_every_records = 10\ncheckpoint_every_seconds = 5\nwitnesses = [\"b\", \"a\"]\nretention_days = 30\n",
            ),
            source(
                Layer::Managed,
                "[ledger]\ncheckpoint_every_records = 50\nhost_key_file = \"/etc/ward/key.pem\"\nwitnesses = [\"a\"]\nretention_days = 400\n",
            ),
        ])
        .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            settings,
            LedgerSettings {
                checkpoint_every_records: 50,
                checkpoint_every_seconds: 5,
                host_key_file: Some("/etc/ward/key.pem".into()),
                witnesses: vec!["a".into(), "b".into()],
                retention_days: 400,
            }
        );
    }

    #[test]
    fn a_project_cannot_set_the_ledger() {
        let (settings, warnings) = LedgerSettings::from_sources(&[source(
            Layer::Project,
            "[ledger]\nhost_key_file = \"stolen.pem\"\n",
        )])
        .unwrap();
        assert_eq!(settings, LedgerSettings::default());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("ignored in a project policy"));
    }

    #[test]
    fn zero_intervals_and_unknown_keys_are_refused() {
        let error = LedgerSettings::from_sources(&[source(
            Layer::User,
            "[ledger]\ncheckpoint_every_records = 0\n",
        )])
        .unwrap_err();
        assert!(error.to_string().contains("at least 1"), "{error}");
        let error = LedgerSettings::from_sources(&[source(
            Layer::User,
            "[ledger]\ncheckpoint_every = 5\n",
        )])
        .unwrap_err();
        assert!(error.to_string().contains("unknown field"), "{error}");
    }
}
