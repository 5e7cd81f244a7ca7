//! `promoter bench` runs its workloads and reports them.

mod common;

#[test]
fn bench_verify_reports_both_measurements_as_json() {
    let out = common::promoter()
        .args([
            "bench",
            "--only",
            "verify",
            "--promotions",
            "5",
            "--seconds",
            "0.01",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["verify all 5 promotions", "verify pass, 1 of 5 changed"]
    );
    for m in v.as_array().unwrap() {
        assert!(m["runs"].as_u64().unwrap() >= 3);
        assert!(m["perS"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn bench_help_lists_its_options() {
    let out = common::promoter()
        .args(["bench", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--only"), "{text}");
}
