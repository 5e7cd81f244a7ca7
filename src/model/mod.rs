//! The vocabulary of the product: document kinds of the promotions repository, ids,
//! statuses, the transition table and the error-code catalogue. No I/O.

pub mod codes;
pub mod docs;
pub mod parse;
pub mod problem;
pub mod schema;
pub mod status;
pub mod validate;

pub use codes::ErrorCode;
pub use docs::*;
pub use parse::{digest, parse_document};
pub use problem::Problem;
pub use schema::schema_of;
pub use status::{AdminReviewStatus, PeerReviewStatus, PromotionStatus};
