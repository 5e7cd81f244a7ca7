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
    /// Who the document is from, when known (serialised as `claimed` and `signer`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub author: Option<Box<Author>>,
}

/// Who a document with a problem is from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Author {
    /// The identity the document claims (`initiatedBy`, `reviewer`, `admin`, `by`), when it
    /// could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed: Option<String>,
    /// Who signed the document (an e-mail of the policy in force), when the signature could be
    /// attributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
}

impl Problem {
    pub fn new(file: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            code,
            message: message.into(),
            author: None,
        }
    }

    /// Who the document claims to be from, and who signed it.
    pub fn by(mut self, claimed: Option<&str>, signer: Option<&str>) -> Self {
        self.author = (claimed.is_some() || signer.is_some()).then(|| {
            Box::new(Author {
                claimed: claimed.map(str::to_string),
                signer: signer.map(str::to_string),
            })
        });
        self
    }

    /// The identity the document claims, when known.
    pub fn claimed(&self) -> Option<&str> {
        self.author.as_ref().and_then(|a| a.claimed.as_deref())
    }

    /// Who signed the document, when known.
    pub fn signer(&self) -> Option<&str> {
        self.author.as_ref().and_then(|a| a.signer.as_deref())
    }

    /// The person to tell about the problem: the signer, else the claimed identity.
    pub fn author_email(&self) -> Option<&str> {
        self.signer().or(self.claimed())
    }

    pub fn at(mut self, line: Option<u64>, column: Option<u64>) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// `file:line:column`, as much of it as is known.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file),
            (Some(l), None) => format!("{}:{l}", self.file),
            (None, _) => self.file.clone(),
        }
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
