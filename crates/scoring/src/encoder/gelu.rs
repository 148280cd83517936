//! GELU with the exact (erf) form the model was trained with, computed by a branch-free erf
//! that the compiler vectorises. candle's own `gelu_erf` calls a scalar libm `erff` per
//! element, which took about a sixth of the encoder's time.
//!
//! erf is the Abramowitz–Stegun approximation 7.1.26 (absolute error at most 1.5e-7), with
//! `exp` by range reduction (`2^k · e^r`, `|r| ≤ ln2/2`) and a degree-6 polynomial.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

/// `x · Φ(x)` element-wise, for a contiguous f32 tensor.
pub fn gelu_erf(x: &Tensor) -> candle_core::Result<Tensor> {
    x.apply_op1_no_bwd(&GeluErf)
}

struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "gelu-erf-vectorised"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(values) = storage else {
            candle_core::bail!("gelu-erf: the encoder runs in f32 only");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("gelu-erf: the input must be contiguous");
        };
        let out: Vec<f32> = values[start..end].iter().map(|&x| gelu(x)).collect();
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

#[inline(always)]
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [0.254_829_6, -0.284_496_72, 1.421_413_8, -1.453_152, 1.061_405_4];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let magnitude = 1.0 - poly * exp_non_positive(-a * a);
    // The sign of x, put back by bits so the loop has no branch.
    f32::from_bits(magnitude.to_bits() | (x.to_bits() & 0x8000_0000))
}

/// `e^y` for `y ≤ 0`; below −87 the result is flushed towards 0 (erf is 1 there).
#[inline(always)]
fn exp_non_positive(y: f32) -> f32 {
    // Adding 1.5·2^23 rounds to an integer and leaves it in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let y = y.max(-87.0);
    let shifted = y * std::f32::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let k_bits = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let r = (y - k * LN2_HI) - k * LN2_LO;
    let e_r = 1.0
        + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    e_r * f32::from_bits(((k_bits + 127) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> impl Iterator<Item = f32> {
        (-12_000..=12_000).map(|i| i as f32 / 1000.0)
    }

    #[test]
    fn erf_is_within_its_bound_everywhere() {
        let worst = grid().map(|x| (f64::from(erf(x)) - libm_erf(f64::from(x))).abs()).fold(0.0, f64::max);
        assert!(worst < 5e-7, "largest erf error {worst}");
        assert_eq!(gelu(0.0), 0.0);
        assert!(erf(f32::NAN).is_nan());
    }

    #[test]
    fn exp_matches_the_standard_library() {
        for i in 0..=8_700 {
            let y = -(i as f32) / 100.0;
            let (ours, std) = (exp_non_positive(y), y.exp());
            assert!((ours - std).abs() <= 4e-7 * std.max(f32::MIN_POSITIVE), "e^{y}: {ours} vs {std}");
        }
    }

    #[test]
    fn gelu_matches_candle_s_reference_on_a_tensor() -> candle_core::Result<()> {
        let xs: Vec<f32> = grid().collect();
        let t = Tensor::from_vec(xs.clone(), xs.len(), &candle_core::Device::Cpu)?;
        let ours = gelu_erf(&t)?.to_vec1::<f32>()?;
        let reference = t.gelu_erf()?.to_vec1::<f32>()?;
        let worst = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 4e-6, "largest gelu difference {worst}");
        Ok(())
    }

    /// erf in f64 by its Taylor series (|x| < 3) or continued fraction, as the reference.
    fn libm_erf(x: f64) -> f64 {
        let a = x.abs();
        let value = if a < 3.0 {
            let (mut term, mut sum, mut n) = (a, a, 0.0);
            while term.abs() > 1e-17 * sum.abs() {
                n += 1.0;
                term *= -a * a / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(a) = e^{-a²}/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …))))
            let mut f = a;
            for k in (1..60).rev() {
                f = a + f64::from(k) / 2.0 / f;
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
        };
        value.copysign(x)
    }
}
