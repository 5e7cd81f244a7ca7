//! Accounts and environments: the effective account of a call (`overrideAccount` on a
//! sub-account of the path account), `Account` reads and listings, and `Environment`.

use super::*;

/// An environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRec {
    pub id: String,
    pub name: String,
    pub classification: String,
}

impl SimState {
    /// The account a call runs in: the path account, or `overrideAccount` when it is a
    /// sub-account of it.
    pub fn effective_account(&self, path_account: &str, over: Option<&str>) -> ApiResult<String> {
        let Some(acct) = self.accounts.get(path_account) else {
            return Err(ApiErr::new(
                403,
                format!("Access to account {path_account} is not authorized."),
            ));
        };
        match over {
            None => Ok(acct.id.clone()),
            Some(o) if o == acct.id => Ok(o.to_string()),
            Some(o) => match self.accounts.get(o) {
                Some(child) if child.parent.as_deref() == Some(path_account) => Ok(o.to_string()),
                _ => Err(ApiErr::new(
                    403,
                    format!(
                        "The override account {o} is not a sub-account of {path_account}; access is not authorized."
                    ),
                )),
            },
        }
    }

    pub fn account_json(&self, id: &str) -> Value {
        let a = self.acct(id);
        json!({"@type": "Account", "accountId": a.id, "name": a.name, "status": a.status,
               "dateCreated": a.date_created, "supportAccess": false, "widgetAccount": false,
               "overDeployed": false, "suggestionsEnabled": false, "supportLevel": "standard"})
    }

    pub fn get_account(&self, caller: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        match self.accounts.get(id) {
            Some(a) if a.id == caller || a.parent.as_deref() == Some(caller) => {
                Ok(self.account_json(id))
            }
            _ => Err(ctx.unknown(format!("Account {id} was not found."))),
        }
    }

    pub fn account_rows(&self, caller: &str) -> Vec<Value> {
        self.accounts
            .values()
            .filter(|a| a.parent.as_deref() == Some(caller))
            .map(|a| self.account_json(&a.id))
            .collect()
    }

    fn env_json(e: &EnvironmentRec, acct: &str) -> Value {
        json!({"@type": "Environment", "id": e.id, "name": e.name,
               "classification": e.classification, "parentAccount": acct})
    }

    pub fn get_environment(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .environments
            .get(id)
            .map(|e| Self::env_json(e, acct_id))
            .ok_or_else(|| ctx.unknown(format!("Environment {id} does not exist.")))
    }

    pub fn environment_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id)
            .environments
            .values()
            .map(|e| Self::env_json(e, acct_id))
            .collect()
    }
}
