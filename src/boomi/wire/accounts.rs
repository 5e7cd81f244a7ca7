//! Environments and accounts: `Environment`, `Account` and its licensing.

use super::*;
use crate::boomi::lenient as l;
use serde::{Deserialize, Serialize};

/// `Environment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_environment: Option<String>,
}

/// `License`: connections purchased and used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchased: Option<i64>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub used: Option<i64>,
}

/// `Licensing` per connector class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Licensing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_business: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_business_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_partner: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_partner_test: Option<License>,
}

/// `Account`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AccountStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub support_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_level: Option<SupportLevel>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub suggestions_enabled: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub over_deployed: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub widget_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensing: Option<Licensing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub molecule: Option<License>,
}
