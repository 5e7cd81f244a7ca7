//! Throughput of the component XML engine: strip + rewrite + production root on a 1 MB and a
//! 10 MB process component, and normalise + diff of two 1 MB versions.
//!
//! `cargo bench --bench xml -- --warm-up-time 1 --measurement-time 3`

use boomi_promoter::bench::{component, id_cache};
use boomi_promoter::deps::build_production_xml;
use boomi_promoter::xml;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn bench_promote(c: &mut Criterion) {
    let cache = id_cache();
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
