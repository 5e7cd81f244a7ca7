//! The emulator's Boomi behaviour over real HTTP: components and branches, merges,
//! packages, packs and releases, deployments, extensions, map extensions, queries and paging.

#[path = "sim_helpers.rs"]
mod helpers;

use boomi_promoter::sim::{Seed, SimConfig};
use helpers::*;
use serde_json::{json, Value};

const DEV: Option<&str> = Some("dev-team-a");
const ROOT: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const CONN: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const MAP: &str = "aaaaaaaa-0000-4000-8000-000000000003";
const PROFILE: &str = "aaaaaaaa-0000-4000-8000-000000000004";

async fn main_branch_id(sim: &Sim, account: Option<&str>) -> String {
    let (rows, _) = sim.query_all(account, "Branch", eq("name", "main")).await;
    assert_eq!(rows.len(), 1);
    rows[0]["id"].as_str().unwrap().to_string()
}

async fn ready_branch(sim: &Sim, account: Option<&str>, name: &str) -> String {
    let (s, b) = sim.post(account, "Branch", json!({"name": name})).await;
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_str().unwrap().to_string();
    for _ in 0..10 {
        let (_, b) = sim.get(account, &format!("Branch/{id}")).await;
        if b["ready"] == json!(true) {
            return id;
        }
    }
    panic!("branch {id} never became ready");
}

#[tokio::test]
async fn component_reads_hide_secrets_and_report_versions() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (s, xml) = sim.get_xml(DEV, &format!("Component/{CONN}")).await;
    assert_eq!(s, 200, "{xml}");
    assert!(!xml.contains("Sup3r-Secret!"), "{xml}");
    assert!(xml.contains("value=\"db.dev\""));
    assert!(xml.contains("<bns:encryptedValue path=\"//GenericConnectorConfig/field[@id=&apos;password&apos;]/@value\" isSet=\"true\"/>")
        || xml.contains("isSet=\"true\""), "{xml}");
    assert_eq!(root_attr(&xml, "version").as_deref(), Some("1"));
    let (_, root) = sim.get_xml(DEV, &format!("Component/{ROOT}")).await;
    assert_eq!(root_attr(&root, "version").as_deref(), Some("3"));
    assert_eq!(
        root_attr(&root, "folderFullPath").as_deref(),
        Some("Team A/Orders")
    );
    // A revision read.
    let (s, old) = sim.get_xml(DEV, &format!("Component/{ROOT}~2")).await;
    assert_eq!(s, 200);
    assert_eq!(root_attr(&old, "version").as_deref(), Some("2"));
    assert_eq!(root_attr(&old, "currentVersion").as_deref(), Some("false"));
    // The primary account does not see the dev component.
    let (s, _) = sim.get_xml(None, &format!("Component/{CONN}")).await;
    assert_eq!(s, 400);
    // An override account outside the hierarchy is refused.
    let (s, _) = sim
        .get(Some("someone-else"), "Environment/env-test-1")
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn updates_bump_versions_refuse_no_change_and_keep_secrets() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (_, current) = sim.get_xml(DEV, &format!("Component/{CONN}")).await;
    // Sending back what we read is "no change".
    let (s, body) = sim
        .post_xml(DEV, &format!("Component/{CONN}"), &current)
        .await;
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("No changes"), "{body}");
    // A real change with the password left blank keeps the stored secret.
    let obj = r#"<GenericConnectorConfig xmlns=""><field id="host" type="string" value="db2.dev"/><field id="password" type="password" value=""/></GenericConnectorConfig>"#;
    let (s, updated) = sim
        .post_xml(
            DEV,
            &format!("Component/{CONN}"),
            &component_xml(Some(CONN), "Orders DB", "connector-settings", None, obj),
        )
        .await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(root_attr(&updated, "version").as_deref(), Some("2"));
    let hash_of = |x: &str| {
        let i = x.find("id=\"password\"").unwrap();
        let rest = &x[i..];
        let v = rest.find("value=\"").unwrap() + 7;
        rest[v..v + rest[v..].find('"').unwrap()].to_string()
    };
    assert_eq!(hash_of(&updated), hash_of(&current));
    assert!(!hash_of(&updated).is_empty());
    // A new plain value changes the stored hash and is not echoed.
    let obj2 = obj.replace("value=\"\"", "value=\"N3w-Secret\"");
    let (s, upd2) = sim
        .post_xml(
            DEV,
            &format!("Component/{CONN}"),
            &component_xml(Some(CONN), "Orders DB", "connector-settings", None, &obj2),
        )
        .await;
    assert_eq!(s, 200);
    assert!(!upd2.contains("N3w-Secret"));
    assert_ne!(hash_of(&upd2), hash_of(&current));
    assert_eq!(root_attr(&upd2, "version").as_deref(), Some("3"));
    // An unknown folderId is refused unless a folderFullPath says where to put it.
    let foreign = component_xml(
        None,
        "Foreign",
        "profile.xml",
        None,
        "<XMLProfile xmlns=\"\"/>",
    )
    .replace("name=\"Foreign\"", "name=\"Foreign\" folderId=\"RjoxOTk5\"");
    assert_eq!(sim.post_xml(DEV, "Component", &foreign).await.0, 400);
    let placed = foreign.replace("folderId=", "folderFullPath=\"Team A/New\" folderId=");
    let (s, body) = sim.post_xml(DEV, "Component", &placed).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        root_attr(&body, "folderFullPath").as_deref(),
        Some("Team A/New")
    );
    assert_eq!(root_attr(&body, "folderName").as_deref(), Some("New"));
    // Create assigns an id and version 1; a body id that contradicts the URL is refused.
    let (s, created) = sim
        .post_xml(
            DEV,
            "Component",
            &component_xml(
                None,
                "New Profile",
                "profile.xml",
                None,
                "<XMLProfile xmlns=\"\"/>",
            ),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    assert_eq!(root_attr(&created, "version").as_deref(), Some("1"));
    let new_id = root_attr(&created, "componentId").unwrap();
    let (s, _) = sim
        .post_xml(
            DEV,
            &format!("Component/{new_id}"),
            &component_xml(
                Some(CONN),
                "x",
                "profile.xml",
                None,
                "<XMLProfile xmlns=\"\"/>",
            ),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn branch_lifecycle_readiness_limit_and_delete() {
    let cfg = SimConfig {
        branch_ready_after_reads: 3,
        branch_limit: 4,
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let sim = start(small_seed(), cfg).await;
    let main = main_branch_id(&sim, DEV).await;
    let (s, b) = sim
        .post(DEV, "Branch", json!({"name": "promo-1", "parentId": main}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["stage"], "CREATING");
    assert_eq!(b["ready"], false);
    let id = b["id"].as_str().unwrap().to_string();
    // Writes are refused until the branch is ready.
    let (s, body) = sim
        .post_xml(
            DEV,
            "Component",
            &component_xml(
                None,
                "Early",
                "profile.json",
                Some(&id),
                "<JSONProfile xmlns=\"\"/>",
            ),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let stages: Vec<Value> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(sim.get(DEV, &format!("Branch/{id}")).await.1["stage"].clone());
        }
        v
    };
    assert_eq!(
        stages,
        vec![json!("CREATING"), json!("CREATING"), json!("NORMAL")]
    );
    // The limit counts main: main + promo-1 + 2 more = 4.
    ready_branch(&sim, DEV, "promo-2").await;
    ready_branch(&sim, DEV, "promo-3").await;
    let (s, err) = sim.post(DEV, "Branch", json!({"name": "promo-4"})).await;
    assert_eq!(s, 400);
    assert!(err["message"].as_str().unwrap().contains("limit"), "{err}");
    assert_eq!(err["@type"], "Error");
    // Duplicate names are refused; main cannot be deleted.
    assert_eq!(
        sim.post(DEV, "Branch", json!({"name": "promo-1"})).await.0,
        400
    );
    assert_eq!(sim.delete(DEV, &format!("Branch/{main}")).await.0, 400);
    // Delete frees a slot; the deleted branch is gone.
    assert_eq!(sim.delete(DEV, &format!("Branch/{id}")).await.0, 200);
    assert_eq!(sim.get(DEV, &format!("Branch/{id}")).await.0, 400);
    assert_eq!(sim.delete(DEV, &format!("Branch/{id}")).await.0, 400);
    assert_eq!(
        sim.post(DEV, "Branch", json!({"name": "promo-4"})).await.0,
        200
    );
    let state = sim.server.state();
    assert_eq!(state["accounts"]["dev-team-a"]["branchCount"], 4);
}

#[tokio::test]
async fn unknown_ids_can_answer_404() {
    let cfg = SimConfig {
        unknown_id_status: 404,
        ..SimConfig::instant()
    };
    let sim = start(small_seed(), cfg).await;
    assert_eq!(sim.get(DEV, "Branch/QjoxMjM0").await.0, 404);
    assert_eq!(sim.get_xml(DEV, "Component/nope").await.0, 404);
    assert_eq!(sim.get(None, "PackagedComponent/nope").await.0, 404);
}

#[tokio::test]
async fn branch_writes_are_invisible_on_main_until_merged_and_override_wins() {
    let cfg = SimConfig {
        branch_ready_after_reads: 0,
        merge_stage_polls: 1,
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let sim = start(small_seed(), cfg).await;
    let main = main_branch_id(&sim, DEV).await;
    let branch = ready_branch(&sim, DEV, "promo-42").await;
    // Update on the branch through the root branchId attribute, create through Component~{branch}.
    let obj = r#"<process xmlns=""><shapes><shape><configuration><map mapId="aaaaaaaa-0000-4000-8000-000000000003"/></configuration></shape></shapes></process>"#;
    let (s, upd) = sim
        .post_xml(
            DEV,
            &format!("Component/{ROOT}"),
            &component_xml(Some(ROOT), "Root Process", "process", Some(&branch), obj),
        )
        .await;
    assert_eq!(s, 200, "{upd}");
    assert_eq!(root_attr(&upd, "version").as_deref(), Some("4"));
    assert_eq!(
        root_attr(&upd, "branchId").as_deref(),
        Some(branch.as_str())
    );
    let (s, created) = sim
        .post_xml(
            DEV,
            &format!("Component~{branch}"),
            &component_xml(
                None,
                "Branch Only",
                "profile.json",
                None,
                "<JSONProfile xmlns=\"\"/>",
            ),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let new_id = root_attr(&created, "componentId").unwrap();
    // Main still has version 3 and no new component; the branch sees both.
    let (_, on_main) = sim.get_xml(DEV, &format!("Component/{ROOT}")).await;
    assert_eq!(root_attr(&on_main, "version").as_deref(), Some("3"));
    assert_eq!(
        sim.get_xml(DEV, &format!("Component/{new_id}")).await.0,
        400
    );
    let (_, on_branch) = sim
        .get_xml(DEV, &format!("Component/{ROOT}~{branch}"))
        .await;
    assert_eq!(root_attr(&on_branch, "version").as_deref(), Some("4"));
    assert_eq!(
        sim.get_xml(DEV, &format!("Component/{new_id}~{branch}"))
            .await
            .0,
        200
    );
    // Meanwhile main changes the map (a conflict OVERRIDE resolves for the source).
    let (s, _) = sim
        .post_xml(
            DEV,
            &format!("Component/{MAP}"),
            &component_xml(
                Some(MAP),
                "Order Map v2",
                "transform.map",
                None,
                "<Map xmlns=\"\"/>",
            ),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = sim
        .post_xml(
            DEV,
            &format!("Component/{MAP}"),
            &component_xml(
                Some(MAP),
                "Order Map (branch)",
                "transform.map",
                Some(&branch),
                "<Map xmlns=\"\"><x/></Map>",
            ),
        )
        .await;
    assert_eq!(s, 200);
    // Merge request stages: DRAFTING → DRAFTED → REVIEWING, MERGE refused before REVIEWING.
    let (s, mr) = sim
        .post(
            DEV,
            "MergeRequest",
            json!({"sourceBranchId": branch, "destinationBranchId": main,
            "strategy": "OVERRIDE", "priorityBranch": "SOURCE"}),
        )
        .await;
    assert_eq!(s, 200, "{mr}");
    assert_eq!(mr["stage"], "DRAFTING");
    assert_eq!(mr["previousStage"], "NOT_EXIST");
    let mr_id = mr["id"].as_str().unwrap().to_string();
    let (s, refused) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{mr_id}"),
            json!({"id": mr_id, "mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(s, 400, "{refused}");
    assert_eq!(
        sim.get(DEV, &format!("MergeRequest/{mr_id}")).await.1["stage"],
        "DRAFTED"
    );
    let (_, reviewing) = sim.get(DEV, &format!("MergeRequest/{mr_id}")).await;
    assert_eq!(reviewing["stage"], "REVIEWING");
    let details = reviewing["MergeRequestDetails"]["MergeRequestDetail"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(details.len(), 3, "{reviewing}");
    let detail = |id: &str| {
        details
            .iter()
            .find(|d| d["componentGuid"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(detail(ROOT)["changeType"], "MODIFIED");
    assert_eq!(detail(&new_id)["changeType"], "ADDED");
    assert_eq!(detail(MAP)["conflict"], true);
    assert_eq!(detail(MAP)["resolution"], "OVERRIDE");
    let (s, merging) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{mr_id}"),
            json!({"id": mr_id, "mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(merging["stage"], "MERGING");
    let (_, merged) = sim.get(DEV, &format!("MergeRequest/{mr_id}")).await;
    assert_eq!(merged["stage"], "MERGED");
    assert_eq!(merged["previousStage"], "MERGING");
    // Main now has the branch content as new revisions.
    let (_, root_main) = sim.get_xml(DEV, &format!("Component/{ROOT}")).await;
    assert_eq!(root_attr(&root_main, "version").as_deref(), Some("5"));
    assert!(root_main.contains("mapId=\"aaaaaaaa-0000-4000-8000-000000000003\""));
    assert!(!root_main.contains("connectionId"));
    let (_, map_main) = sim.get_xml(DEV, &format!("Component/{MAP}")).await;
    assert_eq!(
        root_attr(&map_main, "name").as_deref(),
        Some("Order Map (branch)")
    );
    assert_eq!(
        sim.get_xml(DEV, &format!("Component/{new_id}")).await.0,
        200
    );
    // Merging the same branch again has nothing to do.
    let (_, again) = sim
        .post(
            DEV,
            "MergeRequest",
            json!({"sourceBranchId": branch, "destinationBranchId": main}),
        )
        .await;
    assert!(again["MergeRequestDetails"]["MergeRequestDetail"]
        .as_array()
        .unwrap()
        .is_empty());
    // The merge requests are queryable by source branch.
    let (rows, _) = sim
        .query_all(DEV, "MergeRequest", eq("sourceBranchId", &branch))
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(sim.post(DEV, "MergeRequest/query", json!({})).await.0, 400);
}

#[tokio::test]
async fn metadata_and_reference_queries() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    // All revisions by default; current + not deleted narrows to one row per component.
    let (all, _) = sim
        .query_all(DEV, "ComponentMetadata", eq("componentId", ROOT))
        .await;
    assert_eq!(all.len(), 3);
    let current = json!({"operator": "and", "nestedExpression": [
        eq("currentVersion", "true"), eq("deleted", "false"),
        {"operator": "LIKE", "property": "name", "argument": ["%process%"]}]});
    let (rows, _) = sim
        .query_all(DEV, "ComponentMetadata", current.clone())
        .await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["version"], 3);
    assert_eq!(rows[0]["branchName"], "main");
    assert_eq!(rows[0]["folderName"], "Orders");
    // Children of a parent version (only known components count).
    let (refs, _) = sim
        .query_all(
            DEV,
            "ComponentReference",
            json!({"operator": "and", "nestedExpression": [
            eq("parentComponentId", ROOT), eq("parentVersion", "3")]}),
        )
        .await;
    assert_eq!(refs.len(), 1);
    let children: Vec<&str> = refs[0]["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["componentId"].as_str().unwrap())
        .collect();
    assert_eq!(children, vec![CONN, MAP]);
    // Where used, and the 400 for a component nobody uses.
    let (s, used) = sim.get(DEV, &format!("ComponentReference/{PROFILE}")).await;
    assert_eq!(s, 200);
    assert_eq!(used["references"][0]["parentComponentId"], MAP);
    // The root has children but no parents: an empty list; a leaf nobody uses: 400.
    let (s, root) = sim.get(DEV, &format!("ComponentReference/{ROOT}")).await;
    assert_eq!(s, 200);
    assert_eq!(root["references"], json!([]));
    let lonely = component_xml(
        None,
        "Lonely",
        "profile.xml",
        None,
        "<XMLProfile xmlns=\"\"/>",
    );
    let (_, created) = sim.post_xml(DEV, "Component", &lonely).await;
    let lonely_id = root_attr(&created, "componentId").unwrap();
    assert_eq!(
        sim.get(DEV, &format!("ComponentReference/{lonely_id}"))
            .await
            .0,
        400
    );
    assert_eq!(sim.get(DEV, "ComponentReference/unknown-id").await.0, 400);
    // Deleting via ComponentMetadata makes a deleted current revision.
    assert_eq!(
        sim.delete(DEV, &format!("ComponentMetadata/{PROFILE}"))
            .await
            .0,
        200
    );
    let (_, meta) = sim.get(DEV, &format!("ComponentMetadata/{PROFILE}")).await;
    assert_eq!(meta["deleted"], true);
    assert_eq!(meta["version"], 2);
    // A bad filter is a 400.
    let (s, _) = sim
        .post(
            DEV,
            "ComponentMetadata/query",
            json!({"QueryFilter": {"expression": {"operator": "EQUALS", "property": "name"}}}),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn query_more_pages_by_100() {
    let mut yaml =
        String::from("primaryAccount:\n  id: primary-abc123\n  name: P\n  components:\n");
    for i in 0..250 {
        yaml.push_str(&format!(
            "    - {{id: c-{i:03}, name: 'Profile {i}', type: profile.json, object: '<JSONProfile xmlns=\"\"/>'}}\n"
        ));
    }
    let sim = start(Seed::from_yaml_str(&yaml).unwrap(), SimConfig::instant()).await;
    let (rows, pages) = sim
        .query_all(
            None,
            "ComponentMetadata",
            json!({"operator": "LIKE", "property": "name", "argument": ["Profile%"]}),
        )
        .await;
    assert_eq!(pages, 3);
    assert_eq!(rows.len(), 250);
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["componentId"].as_str().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 250);
    // First page shape; a used token cannot be replayed.
    let (_, first) = sim.post(None, "ComponentMetadata/query", json!({})).await;
    assert_eq!(first["numberOfResults"], 100);
    let token = first["queryToken"].as_str().unwrap().to_string();
    let (s, _) = sim
        .post(
            None,
            "ComponentMetadata/queryMore",
            json!({"queryToken": token}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = sim
        .post(
            None,
            "ComponentMetadata/queryMore",
            json!({"queryToken": token}),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn packages_packs_releases_and_deployments() {
    let cfg = SimConfig {
        release_in_progress_polls: 1,
        ..SimConfig::instant()
    };
    let sim = start(small_seed(), cfg).await;
    // Package from main; duplicate version refused; connector settings cannot be packaged.
    let (s, pkg) = sim
        .post(
            DEV,
            "PackagedComponent",
            json!({"componentId": ROOT, "packageVersion": "2.0", "shareable": true, "notes": "n"}),
        )
        .await;
    assert_eq!(s, 200, "{pkg}");
    assert_eq!(pkg["componentVersion"], 3);
    assert_eq!(pkg["branchName"], "main");
    let (s, dup) = sim
        .post(
            DEV,
            "PackagedComponent",
            json!({"componentId": ROOT, "packageVersion": "2.0"}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(dup["message"].as_str().unwrap().contains("2.0"));
    assert_eq!(
        sim.post(DEV, "PackagedComponent", json!({"componentId": CONN}))
            .await
            .0,
        400
    );
    // Package from a branch records the branch's version.
    let branch = ready_branch(&sim, DEV, "promo-7").await;
    let obj = r#"<process xmlns=""><shapes/></process>"#;
    sim.post_xml(
        DEV,
        &format!("Component/{ROOT}"),
        &component_xml(Some(ROOT), "Root Process", "process", Some(&branch), obj),
    )
    .await;
    let (s, bp) = sim
        .post(DEV, "PackagedComponent", json!({"componentId": ROOT, "packageVersion": "2.1", "branchName": "promo-7", "shareable": true}))
        .await;
    assert_eq!(s, 200, "{bp}");
    assert_eq!(bp["componentVersion"], 4);
    assert_eq!(bp["branchName"], "promo-7");
    let (rows, _) = sim
        .query_all(DEV, "PackagedComponent", eq("componentId", ROOT))
        .await;
    assert_eq!(rows.len(), 3);

    // Packs live in the primary: package the primary process, add it, release, deploy.
    let prod = "00000000-0000-4000-8000-000000000001";
    let (s, pp) = sim
        .post(
            None,
            "PackagedComponent",
            json!({"componentId": prod, "packageVersion": "1.0.0", "shareable": true}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, pack) = sim
        .post(None, "PublisherIntegrationPack", json!({"name": "Orders - TEST", "installationType": "MULTI", "Description": "test pack"}))
        .await;
    assert_eq!(s, 200, "{pack}");
    let pack_id = pack["id"].as_str().unwrap().to_string();
    assert_eq!(
        sim.post(None, &format!("PublisherIntegrationPack/{pack_id}"),
            json!({"id": pack_id, "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": prod}]}})).await.0,
        400,
        "operationType is mandatory"
    );
    let (s, added) = sim
        .post(None, &format!("PublisherIntegrationPack/{pack_id}"), json!({"id": pack_id, "name": "Orders - TEST",
            "operationType": "ADD", "Description": "test pack",
            "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": prod}]}}))
        .await;
    assert_eq!(s, 200, "{added}");
    let c = &added["PublisherPackagedComponents"]["PublisherPackagedComponent"][0];
    assert_eq!(c["pendingVersion"], "1.0.0");
    assert_eq!(c["componentName"], "Prod Process");
    let (s, rel) = sim
        .post(None, "ReleaseIntegrationPack", json!({"id": pack_id, "releaseSchedule": "IMMEDIATELY",
            "ReleasePackagedComponents": {"ReleasePackagedComponent": [{"componentId": prod, "version": "1.0.0"}]}}))
        .await;
    assert_eq!(s, 200, "{rel}");
    let req = rel["requestId"].as_str().unwrap().to_string();
    assert!(req.starts_with("release-"));
    let (s, st) = sim
        .get(None, &format!("ReleaseIntegrationPackStatus/{req}"))
        .await;
    assert_eq!(
        (s, st["releaseStatus"].clone()),
        (202, json!("IN_PROGRESS"))
    );
    let (s, st) = sim
        .get(None, &format!("ReleaseIntegrationPackStatus/{req}"))
        .await;
    assert_eq!((s, st["releaseStatus"].clone()), (200, json!("SUCCESS")));
    assert_eq!(
        st["ReleasePackagedComponents"]["ReleasePackagedComponent"][0]["releasedVersion"],
        "1.0.0"
    );
    let (_, after) = sim
        .get(None, &format!("PublisherIntegrationPack/{pack_id}"))
        .await;
    assert_eq!(
        after["PublisherPackagedComponents"]["PublisherPackagedComponent"][0]["currentVersion"],
        "1.0.0"
    );
    let (packs, _) = sim
        .query_all(
            None,
            "PublisherIntegrationPack",
            eq("name", "Orders - TEST"),
        )
        .await;
    assert_eq!(packs.len(), 1);
    // Releasing a version that was never packaged is refused.
    let (s, _) = sim
        .post(None, "ReleaseIntegrationPack", json!({"id": pack_id, "releaseSchedule": "IMMEDIATELY",
            "ReleasePackagedComponents": {"ReleasePackagedComponent": [{"componentId": prod, "version": "9.9"}]}}))
        .await;
    assert_eq!(s, 400);

    // Deployments: a second deployment of the component deactivates the first.
    let pid = pp["packageId"].as_str().unwrap();
    let (s, d1) = sim
        .post(
            None,
            "DeployedPackage",
            json!({"environmentId": "env-test-1", "packageId": pid}),
        )
        .await;
    assert_eq!(s, 200, "{d1}");
    assert_eq!(
        (d1["version"].clone(), d1["active"].clone()),
        (json!(1), json!(true))
    );
    let (_, pp2) = sim
        .post(
            None,
            "PackagedComponent",
            json!({"componentId": prod, "packageVersion": "1.0.1", "shareable": true}),
        )
        .await;
    let (_, d2) = sim
        .post(None, "DeployedPackage", json!({"environmentId": "env-test-1", "packageId": pp2["packageId"], "notes": "second"}))
        .await;
    assert_eq!(d2["version"], 2);
    let (_, d1again) = sim
        .get(
            None,
            &format!("DeployedPackage/{}", d1["deploymentId"].as_str().unwrap()),
        )
        .await;
    assert_eq!(d1again["active"], false);
    let (active, _) = sim
        .query_all(
            None,
            "DeployedPackage",
            json!({"operator": "and", "nestedExpression": [
            eq("environmentId", "env-test-1"), eq("active", "true")]}),
        )
        .await;
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["packageVersion"], "1.0.1");
    assert_eq!(
        sim.post(
            None,
            "DeployedPackage",
            json!({"environmentId": "nope", "packageId": pid})
        )
        .await
        .0,
        400
    );
    // Environments by classification.
    let (envs, _) = sim
        .query_all(None, "Environment", eq("classification", "PROD"))
        .await;
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0]["id"], "env-prod-1");
}

#[tokio::test]
async fn extensions_partial_update_keeps_the_rest_and_hides_secrets() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (s, ext) = sim.get(None, "EnvironmentExtensions/env-test-1").await;
    assert_eq!(s, 200);
    let text = ext.to_string();
    assert!(!text.contains("pw-test-1"), "{text}");
    let pw = &ext["connections"]["connection"][0]["field"][2];
    assert_eq!(
        (
            pw["usesEncryption"].clone(),
            pw["encryptedValueSet"].clone()
        ),
        (json!(true), json!(true))
    );
    assert!(pw.get("value").is_none());
    // Partial: change host and set a new password; port and properties stay.
    let (s, upd) = sim
        .post(
            None,
            "EnvironmentExtensions/env-test-1",
            json!({"id": "env-test-1", "environmentId": "env-test-1",
            "partial": true,
            "connections": {"connection": [{"id": "conn-1", "field": [
                {"id": "host", "value": "db2.test", "useDefault": false},
                {"id": "password", "value": "n3w-pw", "useDefault": false}]}]},
            "properties": {"property": [{"name": "batchSize", "value": "500"}]}}),
        )
        .await;
    assert_eq!(s, 200, "{upd}");
    assert!(!upd.to_string().contains("n3w-pw"));
    let (_, got) = sim.get(None, "EnvironmentExtensions/env-test-1").await;
    let fields = got["connections"]["connection"][0]["field"]
        .as_array()
        .unwrap();
    assert_eq!(fields[0]["value"], "db2.test");
    assert_eq!(fields[1]["value"], "5432");
    assert_eq!(fields[2]["encryptedValueSet"], true);
    let props = got["properties"]["property"].as_array().unwrap();
    assert_eq!(props.len(), 2);
    assert!(props.contains(&json!({"name": "batchSize", "value": "500"})));
    assert!(props.contains(&json!({"name": "mode", "value": "test"})));
    assert_eq!(
        got["crossReferences"]["crossReference"][0]["CrossReferenceRows"]["row"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(!got.to_string().contains("n3w-pw"));
    // Unknown connections are not extensible; the /update path form works too.
    let (s, _) = sim
        .post(None, "EnvironmentExtensions/env-test-1/update", json!({"partial": true,
            "connections": {"connection": [{"id": "nope", "field": [{"id": "host", "value": "x"}]}]}}))
        .await;
    assert_eq!(s, 400);
    // Non-partial resets what was not sent.
    let (s, full) = sim
        .post(
            None,
            "EnvironmentExtensions/env-test-1/update",
            json!({"environmentId": "env-test-1",
            "properties": {"property": [{"name": "only", "value": "1"}]}}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        full["properties"]["property"],
        json!([{"name": "only", "value": "1"}])
    );
    assert_eq!(
        full["connections"]["connection"][0]["field"][0]["useDefault"],
        true
    );
    assert!(full["connections"]["connection"][0]["field"][0]
        .get("value")
        .is_none());
    assert_eq!(
        full["connections"]["connection"][0]["field"][2]["encryptedValueSet"],
        false
    );
    // Query by environment.
    let (rows, _) = sim
        .query_all(
            None,
            "EnvironmentExtensions",
            eq("environmentId", "env-test-1"),
        )
        .await;
    assert_eq!(rows.len(), 1);
}

#[tokio::test]
async fn map_extensions_summary_get_and_replace() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (rows, _) = sim
        .query_all(
            None,
            "EnvironmentMapExtensionsSummary",
            eq("environmentId", "env-test-1"),
        )
        .await;
    assert_eq!(rows.len(), 1);
    let id = rows[0]["id"].as_str().unwrap().to_string();
    assert_eq!(rows[0]["mapId"], "map-1");
    assert!(rows[0]["SourceFieldSet"].is_object());
    let (s, m) = sim
        .get(None, &format!("EnvironmentMapExtension/{id}"))
        .await;
    assert_eq!(s, 200);
    assert!(m["Map"]["ExtendedMappings"]["Mapping"]
        .as_array()
        .unwrap()
        .is_empty());
    let mut body = m.clone();
    body["Map"]["ExtendedMappings"] = json!({"Mapping": [{"fromXPath": "a", "toXPath": "b"}]});
    let (s, upd) = sim
        .post(None, &format!("EnvironmentMapExtension/{id}"), body)
        .await;
    assert_eq!(s, 200, "{upd}");
    let (_, again) = sim
        .get(None, &format!("EnvironmentMapExtension/{id}"))
        .await;
    assert_eq!(
        again["Map"]["ExtendedMappings"]["Mapping"][0]["toXPath"],
        "b"
    );
    let (s, _) = sim
        .post(
            None,
            &format!("EnvironmentMapExtension/{id}"),
            json!({"mapId": "other", "Map": {}}),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn accounts_are_the_primarys_sub_accounts() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (rows, _) = sim
        .query_all(
            None,
            "Account",
            json!({"operator": "EQUALS", "property": "status", "argument": ["active"]}),
        )
        .await;
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["dev-team-a"]);
    let (s, a) = sim.get(None, "Account/dev-team-a").await;
    assert_eq!(s, 200);
    assert_eq!(a["name"], "Team A");
    let (s, _) = sim.get(None, "Account/unknown-X1").await;
    assert_eq!(s, 400);
    // The platform prefix works too, without override.
    let r = sim
        .http
        .get(format!(
            "{}/api/rest/v1/{PRIMARY}/Environment/env-test-1",
            sim.server.base_url()
        ))
        .basic_auth(USER, Some(TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn branch_readiness_can_wait_for_a_duration() {
    let cfg = SimConfig {
        branch_ready_after_reads: 0,
        branch_ready_after: std::time::Duration::from_secs(3600),
        ..SimConfig::instant()
    };
    let sim = start(small_seed(), cfg).await;
    let (_, b) = sim.post(DEV, "Branch", json!({"name": "slow"})).await;
    let id = b["id"].as_str().unwrap().to_string();
    for _ in 0..5 {
        assert_eq!(
            sim.get(DEV, &format!("Branch/{id}")).await.1["stage"],
            "CREATING"
        );
    }
    let (rows, _) = sim.query_all(DEV, "Branch", eq("name", "slow")).await;
    assert_eq!(rows[0]["ready"], false);
}

#[tokio::test]
async fn a_branch_from_a_package_starts_at_the_packaged_version() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (rows, _) = sim
        .query_all(DEV, "PackagedComponent", eq("packageVersion", "1.0"))
        .await;
    let package_id = rows[0]["packageId"].as_str().unwrap().to_string();
    assert_eq!(rows[0]["componentVersion"], 2);
    let (s, b) = sim
        .post(
            DEV,
            "Branch",
            json!({"name": "hotfix-1", "packageId": package_id}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["packageId"], package_id.as_str());
    let id = b["id"].as_str().unwrap();
    let (_, xml) = sim.get_xml(DEV, &format!("Component/{ROOT}~{id}")).await;
    assert_eq!(root_attr(&xml, "version").as_deref(), Some("2"));
    assert_eq!(root_attr(&xml, "branchName").as_deref(), Some("hotfix-1"));
}

async fn conflicting_merge(sim: &Sim, strategy: &str, priority: &str) -> (String, Value) {
    let (rows, _) = sim.query_all(DEV, "Branch", eq("name", "main")).await;
    let main = rows[0]["id"].as_str().unwrap().to_string();
    let (_, b) = sim.post(DEV, "Branch", json!({"name": "conflict"})).await;
    let branch = b["id"].as_str().unwrap().to_string();
    for (br, name) in [(None, "Main Side"), (Some(branch.as_str()), "Branch Side")] {
        let (s, body) = sim
            .post_xml(
                DEV,
                &format!("Component/{PROFILE}"),
                &component_xml(
                    Some(PROFILE),
                    name,
                    "profile.json",
                    br,
                    "<JSONProfile xmlns=\"\"/>",
                ),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (_, mr) = sim
        .post(
            DEV,
            "MergeRequest",
            json!({"sourceBranchId": branch, "destinationBranchId": main,
            "strategy": strategy, "priorityBranch": priority}),
        )
        .await;
    assert_eq!(mr["stage"], "REVIEWING", "{mr}");
    (mr["id"].as_str().unwrap().to_string(), mr)
}

#[tokio::test]
async fn priority_destination_keeps_mains_side_of_a_conflict() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (id, mr) = conflicting_merge(&sim, "OVERRIDE", "DESTINATION").await;
    let d = &mr["MergeRequestDetails"]["MergeRequestDetail"][0];
    assert_eq!(
        (d["conflict"].clone(), d["resolution"].clone()),
        (json!(true), json!("KEEP_DESTINATION"))
    );
    let (_, done) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(done["stage"], "MERGED");
    let (_, xml) = sim.get_xml(DEV, &format!("Component/{PROFILE}")).await;
    assert_eq!(root_attr(&xml, "name").as_deref(), Some("Main Side"));
}

#[tokio::test]
async fn conflict_resolve_fails_until_resolved() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let (id, _) = conflicting_merge(&sim, "CONFLICT_RESOLVE", "SOURCE").await;
    let (_, failed) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(failed["stage"], "FAILED_TO_MERGE");
    let (s, updated) = sim
        .post(DEV, &format!("MergeRequest/{id}"), json!({"id": id, "mergeRequestAction": "UPDATE",
            "MergeRequestDetails": {"MergeRequestDetail": [{"componentGuid": PROFILE, "resolution": "OVERRIDE"}]}}))
        .await;
    assert_eq!(s, 200, "{updated}");
    let (_, merged) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(merged["stage"], "MERGED");
    let (_, xml) = sim.get_xml(DEV, &format!("Component/{PROFILE}")).await;
    assert_eq!(root_attr(&xml, "name").as_deref(), Some("Branch Side"));
    // REVERT is refused (completed merges cannot be rolled back).
    let (s, _) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "REVERT"}),
        )
        .await;
    assert_eq!(s, 400);
    // Deleting the source branch after the merge is fine; the merge request stays MERGED.
    let (_, mr) = sim.get(DEV, &format!("MergeRequest/{id}")).await;
    let src = mr["sourceBranchId"].as_str().unwrap().to_string();
    assert_eq!(sim.delete(DEV, &format!("Branch/{src}")).await.0, 200);
    assert_eq!(
        sim.get(DEV, &format!("MergeRequest/{id}")).await.1["stage"],
        "MERGED"
    );
}

#[tokio::test]
async fn pack_delete_removes_components_at_the_next_release() {
    let sim = start(
        Seed::from_yaml_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/sim-seed.yaml"
        ))
        .unwrap(),
        SimConfig::instant(),
    )
    .await;
    let pack = "6b728394-a5b6-4c7d-a8f9-0a1b2c3d4e07";
    let prod = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e801";
    // The released package cannot be deleted while the pack holds it.
    assert_eq!(
        sim.delete(
            None,
            "PackagedComponent/7d8e9fa0-b1c2-4d3e-8f4a-5b6c7d8e9f01"
        )
        .await
        .0,
        400
    );
    // A component not in the pack cannot be removed from it.
    let (s, _) = sim
        .post(None, &format!("PublisherIntegrationPack/{pack}"), json!({"id": pack, "operationType": "DELETE",
            "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": "1c2d3e4f-5061-4728-93a4-b5c6d7e8f902"}]}}))
        .await;
    assert_eq!(s, 400);
    let (s, marked) = sim
        .post(None, &format!("PublisherIntegrationPack/{pack}"), json!({"id": pack, "operationType": "DELETE",
            "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": prod}]}}))
        .await;
    assert_eq!(s, 200, "{marked}");
    assert_eq!(
        marked["PublisherPackagedComponents"]["PublisherPackagedComponent"][0]["deleted"],
        true
    );
    // Only packageable types can be packaged.
    let op = "5a617283-94a5-4b6c-97e8-f90a1b2c3d06";
    let (s, e) = sim
        .post(
            None,
            "PackagedComponent",
            json!({"componentId": op, "packageVersion": "1.0.0", "shareable": true}),
        )
        .await;
    assert_eq!(s, 400, "connector-action cannot be packaged: {e}");
    // A second process joins the pack; the release drops the deleted one.
    let second = packaged_process(&sim, "Second Flow", "0.1").await;
    let (_, added) = sim
        .post(None, &format!("PublisherIntegrationPack/{pack}"), json!({"id": pack, "operationType": "ADD",
            "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": second}]}}))
        .await;
    let comps = added["PublisherPackagedComponents"]["PublisherPackagedComponent"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(comps.len(), 2, "ADD keeps what was not listed");
    let (_, rel) = sim
        .post(
            None,
            "ReleaseIntegrationPack",
            json!({"id": pack, "releaseSchedule": "IMMEDIATELY"}),
        )
        .await;
    let released = rel["ReleasePackagedComponents"]["ReleasePackagedComponent"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        released,
        vec![json!({"componentId": second, "version": "0.1"})]
    );
    let (s, _) = sim
        .get(
            None,
            &format!(
                "ReleaseIntegrationPackStatus/{}",
                rel["requestId"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(s, 200);
    let (_, after) = sim
        .get(None, &format!("PublisherIntegrationPack/{pack}"))
        .await;
    let comps = after["PublisherPackagedComponents"]["PublisherPackagedComponent"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(comps.len(), 1);
    assert_eq!(comps[0]["componentId"], second.as_str());
    assert_eq!(comps[0]["currentVersion"], "0.1");
    assert!(comps[0].get("pendingVersion").is_none());
    // The old production package left the pack but is still deployed; undeploy, then delete.
    let pkg = "PackagedComponent/7d8e9fa0-b1c2-4d3e-8f4a-5b6c7d8e9f01";
    assert_eq!(sim.delete(None, pkg).await.0, 400);
    let dep = "DeployedPackage/8e9fa0b1-c2d3-4e4f-9a5b-6c7d8e9f0a02";
    assert_eq!(sim.delete(None, dep).await.0, 200);
    assert_eq!(sim.delete(None, pkg).await.0, 200);
    assert_eq!(sim.get(None, pkg).await.1["deleted"], true);
    // A scheduled release stays 202 SCHEDULED until its date.
    let (_, sched) = sim
        .post(
            None,
            "ReleaseIntegrationPack",
            json!({"id": pack, "releaseSchedule": "RELEASE_ON_SPECIFIED_DATE",
            "releaseOnDate": "2999-01-01"}),
        )
        .await;
    let (s, st) = sim
        .get(
            None,
            &format!(
                "ReleaseIntegrationPackStatus/{}",
                sched["requestId"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!((s, st["releaseStatus"].clone()), (202, json!("SCHEDULED")));
}

#[tokio::test]
async fn a_release_publishes_exactly_its_list() {
    let sim = start(
        Seed::from_yaml_file(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/sim-seed.yaml"
        ))
        .unwrap(),
        SimConfig::instant(),
    )
    .await;
    let pack = "6b728394-a5b6-4c7d-a8f9-0a1b2c3d4e07";
    let first = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e801"; // released by the seed
    let second = packaged_process(&sim, "Second Flow", "0.1").await;
    sim.post(
        None,
        &format!("PublisherIntegrationPack/{pack}"),
        json!({"id": pack, "operationType": "ADD",
        "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": second}]}}),
    )
    .await;
    let current = |pack_json: &serde_json::Value, id: &str| {
        pack_json["PublisherPackagedComponents"]["PublisherPackagedComponent"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["componentId"] == id)
            .and_then(|c| c.get("currentVersion").cloned())
    };
    let (_, before) = sim
        .get(None, &format!("PublisherIntegrationPack/{pack}"))
        .await;
    assert!(current(&before, first).is_some(), "{before:#}");
    // Releasing only the second one leaves the first unpublished.
    let (_, rel) = sim
        .post(
            None,
            "ReleaseIntegrationPack",
            json!({"id": pack, "releaseSchedule": "IMMEDIATELY",
                "ReleasePackagedComponents": {"ReleasePackagedComponent": [
                    {"componentId": second, "version": "0.1"}]}}),
        )
        .await;
    let status = format!(
        "ReleaseIntegrationPackStatus/{}",
        rel["requestId"].as_str().unwrap()
    );
    assert_eq!(sim.get(None, &status).await.0, 200);
    let (_, after) = sim
        .get(None, &format!("PublisherIntegrationPack/{pack}"))
        .await;
    assert_eq!(current(&after, &second), Some(json!("0.1")));
    assert_eq!(current(&after, first), None, "{after:#}");
}

/// A new process in the primary account, packaged (shareable) at `version`; its id.
async fn packaged_process(sim: &Sim, name: &str, version: &str) -> String {
    let xml = component_xml(
        None,
        name,
        "process",
        None,
        "<process xmlns=\"\"><shapes/></process>",
    );
    let (_, created) = sim.post_xml(None, "Component", &xml).await;
    let id = root_attr(&created, "componentId").unwrap();
    let (s, _) = sim
        .post(
            None,
            "PackagedComponent",
            json!({"componentId": id, "packageVersion": version, "shareable": true}),
        )
        .await;
    assert_eq!(s, 200);
    id
}
