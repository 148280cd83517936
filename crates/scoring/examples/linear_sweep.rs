//! Model selection for the linear model: trains on the training splits with each setting and
//! prints accuracy / macro-F1 on the two validation splits (twitter valid, news valid). The
//! chosen setting is `train::SHIPPED`. Run:
//! `cargo run -p scoring --example linear_sweep` (opt-level 2 in dev; a few seconds a run).

use scoring::train::{self, Hyper, SHIPPED};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (tweets, news) = train::training_set()?;
    let tweets_valid = train::vendored("valid")?;
    let news_valid = train::news("valid")?;
    let only: Option<String> = std::env::args().nth(1);
    let mut runs: Vec<(String, Hyper)> = vec![("shipped".into(), SHIPPED)];
    for epochs in [4, 12] {
        runs.push((format!("epochs {epochs}"), Hyper { epochs, ..SHIPPED }));
    }
    for learning_rate in [0.05, 0.2] {
        runs.push((format!("lr {learning_rate}"), Hyper { learning_rate, ..SHIPPED }));
    }
    for l2 in [0.0, 1e-4, 1e-3] {
        runs.push((format!("l2 {l2}"), Hyper { l2, ..SHIPPED }));
    }
    for class_weight_power in [0.0, 1.0] {
        runs.push((
            format!("class weight power {class_weight_power}"),
            Hyper { class_weight_power, ..SHIPPED },
        ));
    }
    for news_copies in [0, 1, 3, 4] {
        runs.push((format!("news x{news_copies}"), Hyper { news_copies, ..SHIPPED }));
    }
    for char_weight in [0.0, 0.25, 1.0] {
        let features = scoring::features::FeatureConfig { char_weight, ..SHIPPED.features };
        runs.push((format!("char weight {char_weight}"), Hyper { features, ..SHIPPED }));
    }
    for bits in [16, 20] {
        let features = scoring::features::FeatureConfig { bits, ..SHIPPED.features };
        runs.push((format!("bits {bits}"), Hyper { features, ..SHIPPED }));
    }
    for (char_min, char_max) in [(2, 4), (3, 6)] {
        let features = scoring::features::FeatureConfig { char_min, char_max, ..SHIPPED.features };
        runs.push((format!("chars {char_min}-{char_max}"), Hyper { features, ..SHIPPED }));
    }
    println!("{:<28} {:>15} {:>15} {:>8}", "run", "twitter valid", "news valid", "mean F1");
    for (name, hyper) in runs {
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let model = train::fit(&tweets, &news, &hyper, &mut |_, _| {});
        let t = train::evaluate(&model, &tweets_valid);
        let n = train::evaluate(&model, &news_valid);
        println!(
            "{name:<28} {:.4} / {:.4} {:.4} / {:.4} {:.4}",
            t.accuracy,
            t.macro_f1,
            n.accuracy,
            n.macro_f1,
            (t.macro_f1 + n.macro_f1) / 2.0
        );
    }
    Ok(())
}
