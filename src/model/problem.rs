//! A problem found in one file of the promotions repository: the file, where in it, the
//! catalogue code and a message. Validation and verification report lists of these; one bad
//! file never hides the others.

use super::ErrorCode;
use serde::Serialize;
use std::fmt;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path relative to the repository root (`promotions/x/request.yaml`).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    pub code: ErrorCode,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            code,
            message: message.into(),
        }
    }

    pub fn at(mut self, line: Option<u64>, column: Option<u64>) -> Self {
        self.line = line;
        self.column = column;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}: {}", self.code, self.message)
    }
}
