//! Environment map extensions: summaries, reads, and updates (profiles fixed; extended
//! functions, mappings and profile extensions replaced as a whole).

use super::*;

/// An extensible map in an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapExtRec {
    pub id: String,
    pub map_id: String,
    pub process_id: String,
    pub environment_id: String,
    pub name: String,
    pub source_connection_id: Option<String>,
    pub destination_connection_id: Option<String>,
    pub map: Value,
}

impl SimState {
    fn map_summary_json(m: &MapExtRec) -> Value {
        let set = |c: &Option<String>| {
            let mut v = json!({"BrowseField": []});
            if let Some(c) = c {
                v["connectionId"] = json!(c);
            }
            v
        };
        json!({"@type": "EnvironmentMapExtensionsSummary", "id": m.id, "mapId": m.map_id,
            "processId": m.process_id, "environmentId": m.environment_id, "extensionGroupId": "",
            "name": m.name, "SourceFieldSet": set(&m.source_connection_id),
            "DestinationFieldSet": set(&m.destination_connection_id)})
    }

    fn map_ext_json(m: &MapExtRec) -> Value {
        json!({"@type": "EnvironmentMapExtension", "id": m.id, "mapId": m.map_id,
            "processId": m.process_id, "environmentId": m.environment_id, "extensionGroupId": "",
            "name": m.name, "Map": m.map})
    }

    pub fn map_summary_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id)
            .map_extensions
            .values()
            .map(Self::map_summary_json)
            .collect()
    }

    pub fn get_map_extension(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .map_extensions
            .get(id)
            .map(Self::map_ext_json)
            .ok_or_else(|| ctx.unknown(format!("Map extension {id} does not exist.")))
    }

    pub fn update_map_extension(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let m = self
            .acct_mut(acct_id)
            .map_extensions
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Map extension {id} does not exist.")))?;
        for (key, want) in [
            ("mapId", &m.map_id),
            ("processId", &m.process_id),
            ("environmentId", &m.environment_id),
        ] {
            if let Some(v) = s(body, key) {
                if v != *want {
                    return Err(ApiErr::bad(format!(
                        "{key} {v} does not match map extension {id}."
                    )));
                }
            }
        }
        let incoming = body
            .get("Map")
            .cloned()
            .ok_or_else(|| ApiErr::bad("The Map element is required."))?;
        // Profiles cannot be changed; extended functions, mappings and profile extensions are
        // replaced as a whole.
        for key in [
            "ExtendedFunctions",
            "ExtendedMappings",
            "SourceProfileExtensions",
            "DestinationProfileExtensions",
        ] {
            m.map[key] = incoming
                .get(key)
                .cloned()
                .unwrap_or_else(|| empty_map_section(key));
        }
        m.map = complete_map(m.map.clone());
        Ok(Self::map_ext_json(m))
    }
}

fn empty_map_section(key: &str) -> Value {
    match key {
        "ExtendedFunctions" => json!({"Function": []}),
        "ExtendedMappings" => json!({"Mapping": []}),
        "BrowseSettings" => {
            json!({"SourceBrowse": {"BrowseFields": []}, "DestinationBrowse": {"BrowseFields": []}})
        }
        _ => json!({"Node": []}),
    }
}

/// Fill every section the MapExtension schema requires.
pub(super) fn complete_map(map: Value) -> Value {
    let mut m = if map.is_object() { map } else { json!({}) };
    for key in [
        "BrowseSettings",
        "SourceProfile",
        "DestinationProfile",
        "SourceProfileExtensions",
        "DestinationProfileExtensions",
        "ExtendedFunctions",
        "ExtendedMappings",
    ] {
        if m.get(key).is_none_or(Value::is_null) {
            m[key] = empty_map_section(key);
        }
    }
    m
}
