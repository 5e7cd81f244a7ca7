//! `to_production`: turn the root `bns:Component` element of a (stripped, rewritten) dev
//! component into the production copy's root element. Only the root start tag changes; the rest
//! of the document stays byte for byte.
//!
//! - **Create** (`prod_component_id: None`): no `componentId`. **Update**: `componentId` = the
//!   mapped production id.
//! - `folderFullPath` = `/Promoted` + the dev path, with exactly one `/` between them
//!   ([`promoted_folder_path`]).
//! - `branchId` = the promotion branch.
//! - The dev account's version, audit and placement attributes are dropped
//!   ([`DROPPED_ATTRIBUTES`]): the platform assigns them in production.

use super::scan::{attr_spans, AttrSpan, Scanner};
use super::{apply_edits, escape_attr, local_name, Edit, XmlError};
use quick_xml::events::Event;

/// Root attributes that belong to the dev copy and never go to production.
pub const DROPPED_ATTRIBUTES: &[&str] = &[
    "version",
    "createdDate",
    "createdBy",
    "modifiedDate",
    "modifiedBy",
    "deleted",
    "currentVersion",
    "copiedFromComponentId",
    "copiedFromComponentVersion",
    "branchName",
    "folderId",
    "folderName",
];

/// Where and how the production copy is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductionTarget<'a> {
    /// `None` for a create; the mapped production id for an update.
    pub prod_component_id: Option<&'a str>,
    /// The promotion branch.
    pub branch_id: &'a str,
}

/// `/Promoted` + the dev folder path, joined with exactly one `/`.
/// `Team A/Orders` and `/Team A/Orders` both give `/Promoted/Team A/Orders`; an empty path gives
/// `/Promoted`.
pub fn promoted_folder_path(dev_path: &str) -> String {
    let p = dev_path.trim();
    if p.is_empty() || p == "/" {
        "/Promoted".to_string()
    } else if p.starts_with('/') {
        format!("/Promoted{p}")
    } else {
        format!("/Promoted/{p}")
    }
}

/// The edits that turn the root start tag (at `tok_start`, name `qname`, attributes `spans`)
/// into the production root element.
pub(crate) fn root_edits(
    xml: &str,
    tok_start: usize,
    qname: &str,
    spans: &[AttrSpan<'_>],
    target: &ProductionTarget<'_>,
) -> Result<Vec<Edit<'static>>, XmlError> {
    if local_name(qname) != "Component" {
        return Err(XmlError::NotAComponent {
            found: qname.to_string(),
            position: tok_start,
        });
    }
    for key in ["name", "type"] {
        if !spans.iter().any(|a| a.key == key) {
            return Err(XmlError::MissingAttribute {
                name: key.into(),
                position: tok_start,
            });
        }
    }
    let mut edits = Vec::new();
    let mut dev_folder = String::new();
    let mut insert_after = tok_start + 1 + qname.len();
    let mut set_id = false;
    let bytes = xml.as_bytes();
    for a in spans {
        insert_after = insert_after.max(a.end);
        // Start of the attribute including the whitespace before it.
        let mut ws = a.key_start;
        while ws > tok_start && bytes[ws - 1].is_ascii_whitespace() {
            ws -= 1;
        }
        let remove = Edit::delete(ws, a.end);
        match a.key {
            "componentId" => match target.prod_component_id {
                Some(id) => {
                    edits.push(Edit {
                        start: a.value_start,
                        end: a.value_end(),
                        text: escape_attr(id).into(),
                    });
                    set_id = true;
                }
                None => edits.push(remove),
            },
            "folderFullPath" => {
                dev_folder = a.unescaped()?;
                edits.push(remove);
            }
            "branchId" => edits.push(remove),
            k if DROPPED_ATTRIBUTES.contains(&k) => edits.push(remove),
            _ => {}
        }
    }
    let mut added = String::new();
    if let (Some(id), false) = (target.prod_component_id, set_id) {
        added.push_str(&format!(" componentId=\"{}\"", escape_attr(id)));
    }
    added.push_str(&format!(
        " folderFullPath=\"{}\" branchId=\"{}\"",
        escape_attr(&promoted_folder_path(&dev_folder)),
        escape_attr(target.branch_id)
    ));
    edits.push(Edit {
        start: insert_after,
        end: insert_after,
        text: added.into(),
    });
    Ok(edits)
}

/// Rewrite the root element for production (see the module documentation).
pub fn to_production(xml: &str, target: &ProductionTarget<'_>) -> Result<String, XmlError> {
    let mut sc = Scanner::new(xml);
    let mut edits = Vec::new();
    let mut root_done = false;
    while let Some(tok) = sc.next()? {
        let (Event::Start(e) | Event::Empty(e)) = &tok.event else {
            continue;
        };
        if root_done {
            continue; // keep scanning: the whole document must be well-formed
        }
        root_done = true;
        let spans = attr_spans(xml, e, tok.start)?;
        edits = root_edits(xml, tok.start, e.name().0, &spans, target)?;
    }
    Ok(apply_edits(xml, edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/"
    componentId="11111111-1111-4111-8111-111111111111" version="7" name="Orders &amp; Co" type="process"
    folderFullPath="DevTeamA/Orders" folderId="RjoxMjM0NQ" folderName="Orders"
    createdDate="2025-01-10T09:00:00Z" createdBy="dev@example.com" modifiedDate="2025-02-01T12:30:00Z"
    modifiedBy="dev@example.com" deleted="false" currentVersion="true" branchId="Qjox" branchName="main">
  <bns:object><process xmlns=""/></bns:object>
</bns:Component>"#;

    #[test]
    fn create_drops_id_and_audit() {
        let out = to_production(
            DEV,
            &ProductionTarget {
                prod_component_id: None,
                branch_id: "QjoyMDI1OTk",
            },
        )
        .unwrap();
        assert_eq!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="Orders &amp; Co" type="process" folderFullPath="/Promoted/DevTeamA/Orders" branchId="QjoyMDI1OTk">
  <bns:object><process xmlns=""/></bns:object>
</bns:Component>"#
        );
    }

    #[test]
    fn update_sets_prod_id() {
        let out = to_production(
            DEV,
            &ProductionTarget {
                prod_component_id: Some("22222222-2222-4222-8222-222222222222"),
                branch_id: "B",
            },
        )
        .unwrap();
        assert!(out.contains(r#"componentId="22222222-2222-4222-8222-222222222222" name="#));
        assert_eq!(out.matches("componentId=").count(), 1);
    }

    #[test]
    fn update_without_dev_id_adds_it() {
        let x = r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="n" type="process" folderFullPath="/A/B/"/>"#;
        let out = to_production(
            x,
            &ProductionTarget {
                prod_component_id: Some("p"),
                branch_id: "b",
            },
        )
        .unwrap();
        assert_eq!(
            out,
            r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="n" type="process" componentId="p" folderFullPath="/Promoted/A/B/" branchId="b"/>"#
        );
    }

    #[test]
    fn folder_paths() {
        assert_eq!(
            promoted_folder_path("DevTeamA/Orders"),
            "/Promoted/DevTeamA/Orders"
        );
        assert_eq!(
            promoted_folder_path("/DevTeamA/Orders/"),
            "/Promoted/DevTeamA/Orders/"
        );
        assert_eq!(promoted_folder_path(""), "/Promoted");
    }

    #[test]
    fn requires_wrapper_name_and_type() {
        let t = ProductionTarget {
            prod_component_id: None,
            branch_id: "b",
        };
        assert!(matches!(
            to_production("<process/>", &t),
            Err(XmlError::NotAComponent { .. })
        ));
        assert!(matches!(
            to_production(r#"<bns:Component xmlns:bns="x" type="process"/>"#, &t),
            Err(XmlError::MissingAttribute { .. })
        ));
    }
}
