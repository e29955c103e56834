//! Errors loading a device database or a user device config. Every error names where the text
//! came from (the file path, or "device config" / "user device config" for text handed over
//! directly, as the C ABI does), and a file that is not JSON or not a config of the right shape
//! names the line and the column where reading stopped (docs/PROTOCOL.md §6.2).

/// Errors loading a device database or user config. Loading is all or nothing: an error means
/// nothing of the file was taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not JSON, or cut short: where the parser stopped.
    #[error("{origin}: line {line}, column {column}: not valid JSON: {message}")]
    Json {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// JSON, but not a config of the expected shape: where the offending value ends.
    #[error("{origin}: line {line}, column {column}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A major version this implementation does not read.
    #[error(
        "{origin}: version {major}.{minor} is not supported; Teleplug reads major versions {}",
        sentence(supported)
    )]
    Version {
        origin: String,
        major: u32,
        minor: u32,
        /// The majors that are read.
        supported: &'static [u32],
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

impl ConfigError {
    /// A serde_json error reading text from `origin`: syntax and end-of-input errors are
    /// [`ConfigError::Json`], shape errors [`ConfigError::Invalid`], both with serde_json's position.
    pub(super) fn from_json(origin: &str, e: &serde_json::Error) -> ConfigError {
        let text = e.to_string();
        // serde_json appends " at line L column C"; the position is reported in its own fields.
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        // serde_json counts columns from 0 before the first character of a line is read (an
        // empty file, a bare `[`); people count from 1.
        let (line, column) = (e.line().max(1), e.column().max(1));
        let origin = origin.to_string();
        match e.classify() {
            serde_json::error::Category::Data => ConfigError::Invalid {
                origin,
                line,
                column,
                message,
            },
            _ => ConfigError::Json {
                origin,
                line,
                column,
                message,
            },
        }
    }

    /// The `(line, column)` the error points at, when it has one.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ConfigError::Json { line, column, .. } | ConfigError::Invalid { line, column, .. } => {
                Some((*line, *column))
            }
            ConfigError::Version { .. } | ConfigError::Io { .. } => None,
        }
    }
}

/// "4 and 5": numbers as a sentence fragment.
fn sentence(numbers: &[u32]) -> String {
    match numbers.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => {
            let rest: Vec<String> = rest.iter().map(u32::to_string).collect();
            format!("{} and {last}", rest.join(", "))
        }
        None => String::new(),
    }
}
