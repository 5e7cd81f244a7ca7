//! Environment extensions: reads, full and partial updates at Boomi's granularity (per
//! field, per property, per cross-reference table, ...), encrypted values kept out of the
//! JSON as one-way hashes, and the loading of seeded extensions.

use super::*;
use crate::sim::compxml;

/// Extension sections and their item list keys.
const EXT_SECTIONS: &[(&str, &str)] = &[
    ("connections", "connection"),
    ("operations", "operation"),
    ("tradingPartners", "tradingPartner"),
    ("sharedCommunications", "sharedCommunication"),
    ("crossReferences", "crossReference"),
    ("properties", "property"),
    ("PGPCertificates", "PGPCertificate"),
    ("processProperties", "ProcessProperty"),
];

impl SimState {
    pub fn get_extensions(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .extensions
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.unknown(format!("Environment extensions {id} do not exist.")))
    }

    pub fn extension_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id).extensions.values().cloned().collect()
    }

    pub fn update_extensions(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let mut ext = acct
            .extensions
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.unknown(format!("Environment extensions {id} do not exist.")))?;
        if let Some(env) = s(body, "environmentId") {
            if env != id {
                return Err(ApiErr::bad(format!(
                    "The environmentId in the body ({env}) does not match the URL ({id})."
                )));
            }
        }
        let partial = b(body, "partial").unwrap_or(false);
        let mut secrets = acct.extension_secrets.clone();
        if !partial {
            reset_extensions(&mut ext, id, &mut secrets);
        }
        merge_extensions(&mut ext, body, id, &mut secrets)?;
        acct.extension_secrets = secrets;
        acct.extensions.insert(id.to_string(), ext.clone());
        Ok(ext)
    }
}

pub(super) fn empty_extensions(env: &str) -> Value {
    let mut v = json!({"@type": "EnvironmentExtensions", "id": env, "environmentId": env,
                       "extensionGroupId": ""});
    for (section, item) in EXT_SECTIONS {
        v[*section] = json!({ *item: [] });
    }
    v
}

fn secret_key(env: &str, parts: &[&str]) -> String {
    format!("{env}|{}", parts.join("|"))
}

fn hash_secret(plain: &str) -> String {
    compxml::secret_hash("extension", "value", plain)
}

/// Apply a field update (value/useDefault) to a stored field, keeping secrets out of it.
fn apply_field(
    stored: &mut Value,
    incoming: &Value,
    key: String,
    secrets: &mut BTreeMap<String, String>,
) {
    let encrypted = b(stored, "usesEncryption").unwrap_or(false);
    if let Some(ud) = b(incoming, "useDefault") {
        stored["useDefault"] = json!(ud);
        if ud {
            if let Some(o) = stored.as_object_mut() {
                o.remove("value");
            }
            if encrypted {
                secrets.remove(&key);
                stored["encryptedValueSet"] = json!(false);
            }
        }
    }
    if let Some(v) = s(incoming, "value") {
        if b(incoming, "useDefault") != Some(true) {
            stored["useDefault"] = json!(false);
            if encrypted {
                secrets.insert(key, hash_secret(&v));
                stored["encryptedValueSet"] = json!(true);
            } else {
                stored["value"] = json!(v);
            }
        }
    }
    if let Some(co) = b(incoming, "componentOverride") {
        stored["componentOverride"] = json!(co);
    }
}

fn find_by<'a>(items: &'a mut [Value], key: &str, want: &str) -> Option<&'a mut Value> {
    items
        .iter_mut()
        .find(|i| s(i, key).as_deref() == Some(want))
}

/// Merge an update body into stored extensions at Boomi's partial-update granularity.
fn merge_extensions(
    ext: &mut Value,
    body: &Value,
    env: &str,
    secrets: &mut BTreeMap<String, String>,
) -> ApiResult<()> {
    // connections, operations, sharedCommunications: per field
    for (section, item) in [
        ("connections", "connection"),
        ("operations", "operation"),
        ("sharedCommunications", "sharedCommunication"),
    ] {
        let incoming = list(body.get(section).and_then(|x| x.get(item)));
        if incoming.is_empty() {
            continue;
        }
        let mut stored = list(ext[section].get(item));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad(format!("A {item} needs an id.")))?;
            let target = find_by(&mut stored, "id", &id).ok_or_else(|| {
                ApiErr::bad(format!(
                    "{item} {id} is not extensible in environment {env}."
                ))
            })?;
            let mut fields = list(target.get("field"));
            for f in list(inc.get("field")) {
                let fid = s(&f, "id").ok_or_else(|| ApiErr::bad("A field needs an id."))?;
                let sf = find_by(&mut fields, "id", &fid).ok_or_else(|| {
                    ApiErr::bad(format!("Field {fid} of {item} {id} is not extensible."))
                })?;
                apply_field(sf, &f, secret_key(env, &[section, &id, &fid]), secrets);
            }
            target["field"] = Value::Array(fields);
        }
        ext[section] = json!({ item: stored });
    }
    // trading partners: per field inside categories
    let incoming = list(
        body.get("tradingPartners")
            .and_then(|x| x.get("tradingPartner")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["tradingPartners"].get("tradingPartner"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A tradingPartner needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("tradingPartner {id} is not extensible.")))?;
            let mut cats = list(target.get("category"));
            for c in list(inc.get("category")) {
                let cid = s(&c, "id").unwrap_or_default();
                let sc = find_by(&mut cats, "id", &cid)
                    .ok_or_else(|| ApiErr::bad(format!("Category {cid} is not extensible.")))?;
                let mut fields = list(sc.get("field"));
                for f in list(c.get("field")) {
                    let fid = s(&f, "id").unwrap_or_default();
                    let sf = find_by(&mut fields, "id", &fid)
                        .ok_or_else(|| ApiErr::bad(format!("Field {fid} is not extensible.")))?;
                    apply_field(sf, &f, secret_key(env, &["tp", &id, &cid, &fid]), secrets);
                }
                sc["field"] = Value::Array(fields);
            }
            target["category"] = Value::Array(cats);
        }
        ext["tradingPartners"] = json!({"tradingPartner": stored});
    }
    // dynamic process properties: per property (free-form)
    let incoming = list(body.get("properties").and_then(|x| x.get("property")));
    if !incoming.is_empty() {
        let mut stored = list(ext["properties"].get("property"));
        for inc in incoming {
            let name = s(&inc, "name").ok_or_else(|| ApiErr::bad("A property needs a name."))?;
            let value = s(&inc, "value")
                .ok_or_else(|| ApiErr::bad(format!("Property {name} needs a value.")))?;
            match find_by(&mut stored, "name", &name) {
                Some(p) => p["value"] = json!(value),
                None => stored.push(json!({"name": name, "value": value})),
            }
        }
        ext["properties"] = json!({"property": stored});
    }
    // cross references: per table, all rows
    let incoming = list(
        body.get("crossReferences")
            .and_then(|x| x.get("crossReference")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["crossReferences"].get("crossReference"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A crossReference needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("crossReference {id} is not extensible.")))?;
            let rows = list(inc.get("CrossReferenceRows").and_then(|r| r.get("row")));
            target["CrossReferenceRows"] = json!({"row": rows});
            target["overrideValues"] = json!(b(&inc, "overrideValues").unwrap_or(true));
        }
        ext["crossReferences"] = json!({"crossReference": stored});
    }
    // PGP certificates: per certificate
    let incoming = list(
        body.get("PGPCertificates")
            .and_then(|x| x.get("PGPCertificate")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["PGPCertificates"].get("PGPCertificate"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A PGPCertificate needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("PGPCertificate {id} is not extensible.")))?;
            if let Some(v) = s(&inc, "value") {
                target["value"] = json!(v);
            }
            if let Some(ud) = b(&inc, "useDefault") {
                target["useDefault"] = json!(ud);
            }
        }
        ext["PGPCertificates"] = json!({"PGPCertificate": stored});
    }
    // process-property components: per property value
    let incoming = list(
        body.get("processProperties")
            .and_then(|x| x.get("ProcessProperty")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["processProperties"].get("ProcessProperty"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A ProcessProperty needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("ProcessProperty {id} is not extensible.")))?;
            let mut values = list(target.get("ProcessPropertyValue"));
            for pv in list(inc.get("ProcessPropertyValue")) {
                let key = s(&pv, "key")
                    .ok_or_else(|| ApiErr::bad("A ProcessPropertyValue needs a key."))?;
                let sv = find_by(&mut values, "key", &key).ok_or_else(|| {
                    ApiErr::bad(format!("Process property {key} of {id} is not extensible."))
                })?;
                apply_field(sv, &pv, secret_key(env, &["pp", &id, &key]), secrets);
            }
            target["ProcessPropertyValue"] = Value::Array(values);
        }
        ext["processProperties"] = json!({"ProcessProperty": stored});
    }
    Ok(())
}

/// A full (non-partial) update: everything reverts to its default before the body applies.
fn reset_extensions(ext: &mut Value, env: &str, secrets: &mut BTreeMap<String, String>) {
    let reset_field = |f: &mut Value| {
        f["useDefault"] = json!(true);
        if let Some(o) = f.as_object_mut() {
            o.remove("value");
        }
        if b(f, "usesEncryption") == Some(true) {
            f["encryptedValueSet"] = json!(false);
        }
    };
    for (section, item) in [
        ("connections", "connection"),
        ("operations", "operation"),
        ("sharedCommunications", "sharedCommunication"),
    ] {
        let mut items = list(ext[section].get(item));
        for i in &mut items {
            let mut fields = list(i.get("field"));
            fields.iter_mut().for_each(reset_field);
            i["field"] = Value::Array(fields);
        }
        ext[section] = json!({ item: items });
    }
    let mut pps = list(ext["processProperties"].get("ProcessProperty"));
    for p in &mut pps {
        let mut values = list(p.get("ProcessPropertyValue"));
        values.iter_mut().for_each(reset_field);
        p["ProcessPropertyValue"] = Value::Array(values);
    }
    ext["processProperties"] = json!({"ProcessProperty": pps});
    let mut xrefs = list(ext["crossReferences"].get("crossReference"));
    for x in &mut xrefs {
        x["overrideValues"] = json!(false);
        x["CrossReferenceRows"] = json!({"row": []});
    }
    ext["crossReferences"] = json!({"crossReference": xrefs});
    ext["properties"] = json!({"property": []});
    secrets.retain(|k, _| !k.starts_with(&format!("{env}|")));
}

/// Load seeded extensions: canonical lists, secret values moved out of the JSON.
pub(super) fn seed_extensions(acct: &mut AccountState, env: &str, ext: &mut Value, seeded: &Value) {
    for (section, item) in EXT_SECTIONS {
        let items = list(seeded.get(*section).and_then(|x| x.get(*item)));
        let mut out = Vec::new();
        for mut it in items {
            let scrub = |f: &mut Value, key: String, secrets: &mut BTreeMap<String, String>| {
                let encrypted = b(f, "usesEncryption").unwrap_or(false);
                if f.get("useDefault").is_none() {
                    f["useDefault"] = json!(f.get("value").is_none());
                }
                if encrypted {
                    let set = match s(f, "value") {
                        Some(v) => {
                            secrets.insert(key, hash_secret(&v));
                            true
                        }
                        None => false,
                    };
                    if let Some(o) = f.as_object_mut() {
                        o.remove("value");
                    }
                    f["encryptedValueSet"] = json!(set);
                } else if f.get("usesEncryption").is_none() && f.get("value").is_some() {
                    f["usesEncryption"] = json!(false);
                }
            };
            let id = s(&it, "id").unwrap_or_default();
            match *section {
                "connections" | "operations" | "sharedCommunications" => {
                    let mut fields = list(it.get("field"));
                    for f in &mut fields {
                        let fid = s(f, "id").unwrap_or_default();
                        scrub(
                            f,
                            secret_key(env, &[section, &id, &fid]),
                            &mut acct.extension_secrets,
                        );
                    }
                    it["field"] = Value::Array(fields);
                }
                "processProperties" => {
                    let mut values = list(it.get("ProcessPropertyValue"));
                    for f in &mut values {
                        let key = s(f, "key").unwrap_or_default();
                        scrub(
                            f,
                            secret_key(env, &["pp", &id, &key]),
                            &mut acct.extension_secrets,
                        );
                    }
                    it["ProcessPropertyValue"] = Value::Array(values);
                }
                "crossReferences" => {
                    let rows = list(it.get("CrossReferenceRows").and_then(|r| r.get("row")));
                    it["CrossReferenceRows"] = json!({"row": rows});
                }
                _ => {}
            }
            out.push(it);
        }
        ext[*section] = json!({ *item: out });
    }
}
