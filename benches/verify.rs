//! Verification of a signed promotions repository: everything (a full pass, the first pass of
//! a process) against one changed promotion on top of the previous pass's results (every pass
//! after that). The second should not grow with the repository.
//!
//! `cargo bench --bench verify -- --warm-up-time 1 --measurement-time 3`

use boomi_promoter::bench::{promotion_id, SignedRepo};
use boomi_promoter::policy::{verify_incremental, verify_repository, Dirty};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::collections::BTreeSet;
use std::hint::black_box;

fn bench_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    for n in [100, 1000] {
        let mut repo = SignedRepo::new(n);
        let memo = verify_incremental(&repo.files, &repo.trust, None, None).1;
        g.bench_with_input(BenchmarkId::new("full", n), &repo.files, |b, files| {
            b.iter(|| black_box(verify_repository(files, &repo.trust).promotions.len()))
        });
        repo.write_request(n / 2, "second thoughts");
        let dirty: BTreeSet<String> = [promotion_id(n / 2)].into();
        g.bench_with_input(
            BenchmarkId::new("one_changed", n),
            &repo.files,
            |b, files| {
                b.iter(|| {
                    let d = Dirty {
                        promotions: &dirty,
                        mappings: false,
                    };
                    let (v, _) =
                        verify_incremental(files, &repo.trust, Some(memo.clone()), Some(d));
                    black_box(v.promotions.len())
                })
            },
        );
    }
    g.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
