//! Throughput of the component XML engine: strip + rewrite + production root on a 1 MB and a
//! 10 MB process component, and normalise + diff of two 1 MB versions.
//!
//! `cargo bench --bench xml -- --warm-up-time 1 --measurement-time 3`

use boomi_promoter::deps::{build_production_xml, IdCache};
use boomi_promoter::xml;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn guid(n: usize) -> String {
    format!("{:08x}-1b2c-4d3e-8f40-{:012x}", n as u32 ^ 0x5a5a_5a5a, n)
}

/// A process component of about `target` bytes: shapes with connector, map, sub-process and
/// script references, set-properties with a secret, comments and CDATA.
fn component(target: usize, variant: usize) -> String {
    let mut s = String::with_capacity(target + 4096);
    s.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="a1e0c5d2-3f4b-4c6d-8e9f-0a1b2c3d4e51" version="12" name="Big Process" type="process" createdDate="2026-03-02T08:14:55Z" createdBy="alice@example.com" modifiedDate="2026-11-18T16:41:07Z" modifiedBy="alice@example.com" deleted="false" currentVersion="true" folderName="Orders" folderFullPath="DevTeamA/Orders" folderId="RjozMDk2OQ" branchName="main" branchId="Qjox">
    <bns:encryptedValues/>
    <bns:description>Benchmark process</bns:description>
    <bns:object>
        <process xmlns="" allowSimultaneous="false" enableUserLog="false" workload="general">
            <shapes>
"#);
    let mut i = 0;
    while s.len() < target {
        let label = if variant == 1 && i % 50 == 7 {
            "Changed label"
        } else {
            "Get Order"
        };
        s.push_str(&format!(
            r#"                <!-- shape {i} -->
                <shape image="connectoraction_icon" name="shape{i}" shapetype="connectoraction" userlabel="{label}" x="{x}.0" y="112.0">
                    <configuration>
                        <connectoraction actionType="Get" connectorType="http" connectionId="{c}" operationId="{o}">
                            <parameters/>
                        </connectoraction>
                        <map mapId="{m}"/>
                        <processcall abort="true" processId="{p}" wait="true"/>
                        <setproperties><properties><property name="DDP_TOKEN" type="static"><apiToken>tok-{i}-secret</apiToken></property></properties></setproperties>
                        <message><![CDATA[Order {i} &amp; co from {c}]]></message>
                    </configuration>
                    <dragpoints>
                        <dragpoint name="shape{i}.dragpoint1" toShape="shape{n}" x="{x}.0" y="120.0"/>
                    </dragpoints>
                </shape>
"#,
            x = i * 16,
            n = i + 1,
            c = guid(i % 40),
            o = guid(1000 + i % 40),
            m = guid(2000 + i % 200),
            p = guid(3000 + i % 100),
        ));
        i += 1;
    }
    s.push_str("            </shapes>\n        </process>\n    </bns:object>\n    <bns:processOverrides/>\n</bns:Component>\n");
    s
}

fn cache() -> IdCache {
    let mut c = IdCache::default();
    for n in (0..40)
        .chain(1000..1040)
        .chain(2000..2200)
        .chain(3000..3100)
    {
        c.insert(guid(n), guid(900_000 + n));
    }
    c
}

fn bench_promote(c: &mut Criterion) {
    let cache = cache();
    let mut g = c.benchmark_group("strip_rewrite_production");
    for (label, size) in [("1MB", 1 << 20), ("10MB", 10 << 20)] {
        let doc = component(size, 0);
        g.throughput(Throughput::Bytes(doc.len() as u64));
        if size > (1 << 20) {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::from_parameter(label), &doc, |b, doc| {
            b.iter(|| {
                let out = build_production_xml(black_box(doc), None, &cache, None, "QjoyMDI1OTk")
                    .unwrap();
                black_box(out.xml.len())
            })
        });
    }
    g.finish();

    let doc = component(1 << 20, 0);
    let mut g = c.benchmark_group("single_pass");
    g.throughput(Throughput::Bytes(doc.len() as u64));
    // The ceiling: quick-xml reading every event, attributes included, doing nothing else.
    g.bench_function("quick_xml_events_1MB", |b| {
        b.iter(|| {
            let mut r = quick_xml::Reader::from_str(black_box(&doc));
            let mut n = 0usize;
            loop {
                match r.read_event().unwrap() {
                    quick_xml::events::Event::Eof => break,
                    quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                        n += e.attributes().count()
                    }
                    _ => n += 1,
                }
            }
            black_box(n)
        })
    });
    g.bench_function("promote_1MB", |b| {
        let t = xml::ProductionTarget {
            prod_component_id: None,
            branch_id: "QjoyMDI1OTk",
        };
        b.iter(|| {
            black_box(
                xml::promote(black_box(&doc), None, cache.as_map(), &t)
                    .unwrap()
                    .xml
                    .len(),
            )
        })
    });
    g.bench_function("strip_1MB", |b| {
        b.iter(|| {
            black_box(
                xml::strip_env_config(black_box(&doc), None)
                    .unwrap()
                    .xml
                    .len(),
            )
        })
    });
    g.bench_function("rewrite_1MB", |b| {
        b.iter(|| {
            black_box(
                xml::rewrite_references(black_box(&doc), cache.as_map())
                    .unwrap()
                    .xml
                    .len(),
            )
        })
    });
    g.finish();
}

fn bench_diff(c: &mut Criterion) {
    let a = component(1 << 20, 0);
    let b = component(1 << 20, 1);
    let mut g = c.benchmark_group("normalize_diff");
    g.throughput(Throughput::Bytes((a.len() + b.len()) as u64));
    g.sample_size(10);
    g.bench_function("two_1MB_versions", |bch| {
        bch.iter(|| {
            let d = xml::diff_xml(black_box(&a), black_box(&b), "main", "branch").unwrap();
            black_box(d.stats)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_promote, bench_diff);
criterion_main!(benches);
