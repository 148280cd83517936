//! Per-headline latency of each model, batched and one at a time, each model's load time, and
//! the linear model's memory (printed: resident set before and after loading one more copy).
//! Run with `RAYON_NUM_THREADS=1` to measure one core, as docs/model.md reports;
//! `cargo bench -p scoring -- linear` runs the linear model's benchmarks only.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scoring::encoder::CHECKOUT_DIR;
use scoring::{Classifier, Encoder, Linear};

/// Resident set size in kB, from /proc (Linux only; None elsewhere).
fn resident_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// 32 self-written news headlines from the encoder's validation split.
fn headlines() -> Vec<String> {
    let tsv = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/news-sentences/valid.tsv"))
        .expect("the vendored news sentences");
    tsv.lines().skip(1).filter_map(|l| l.split('\t').next()).take(32).map(str::to_owned).collect()
}

fn models(c: &mut Criterion) {
    let texts = headlines();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let n = refs.len() as u64;

    // Before the load benchmarks: memory they free would be reused and hide the cost.
    if let (Some(before), model, Some(after)) =
        (resident_kb(), Linear::from_bytes(scoring::SHIPPED_MODEL_BYTES).unwrap(), resident_kb())
    {
        eprintln!(
            "linear model: file {} bytes; resident set {before} kB before loading a copy, {after} kB after (+{} kB)",
            scoring::SHIPPED_MODEL_BYTES.len(),
            after.saturating_sub(before)
        );
        black_box(model);
    }

    let mut load = c.benchmark_group("load");
    load.sample_size(10);
    load.bench_function("encoder", |b| b.iter(|| black_box(Encoder::load(Path::new(CHECKOUT_DIR)).unwrap())));
    load.bench_function("linear", |b| {
        b.iter(|| black_box(Linear::from_bytes(scoring::SHIPPED_MODEL_BYTES).unwrap()))
    });
    load.finish();

    let encoder = Encoder::load(Path::new(CHECKOUT_DIR)).unwrap();
    let mut group = c.benchmark_group("encoder");
    group.sample_size(10).throughput(Throughput::Elements(n));
    group.bench_function("32 headlines batched", |b| {
        b.iter(|| black_box(encoder.probabilities(&refs).unwrap()))
    });
    group.bench_function("32 headlines one at a time", |b| {
        b.iter(|| {
            for t in &refs {
                black_box(encoder.probabilities(std::slice::from_ref(t)).unwrap());
            }
        })
    });
    group.finish();

    let linear = Arc::clone(&scoring::shipped());
    let mut group = c.benchmark_group("linear");
    group.throughput(Throughput::Elements(n));
    group.bench_function("32 headlines one at a time", |b| {
        b.iter(|| {
            for t in &refs {
                black_box(linear.probabilities(std::slice::from_ref(t)).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, models);
criterion_main!(benches);
