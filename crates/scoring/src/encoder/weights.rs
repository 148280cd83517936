//! Reads the shipped safetensors file: F32 tensors as they are, int8 weights (`<name>.q`, I8,
//! plus `<name>.scale`, F32 per row) dequantised to f32 as `q[r, c] · scale[r]`.

use candle_core::{Device, Tensor};
use safetensors::{Dtype, SafeTensors};

use super::EncoderError;

pub struct Weights<'a> {
    file: SafeTensors<'a>,
}

fn bad(name: &str, why: impl Into<String>) -> EncoderError {
    EncoderError::Weights { name: name.to_owned(), why: why.into() }
}

fn f32s(name: &str, bytes: &[u8]) -> Result<Vec<f32>, EncoderError> {
    if !bytes.len().is_multiple_of(4) {
        return Err(bad(name, "F32 data is not a whole number of values"));
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

impl<'a> Weights<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, EncoderError> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| bad("(header)", e.to_string()))?;
        Ok(Self { file })
    }

    /// The tensor `name` as f32 with exactly `shape`.
    pub fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor, EncoderError> {
        let (found, data) = self.values(name)?;
        if found != shape {
            return Err(bad(name, format!("shape {found:?}, expected {shape:?}")));
        }
        Ok(Tensor::from_vec(data, shape, &Device::Cpu)?)
    }

    /// A matrix with `cols` columns and any positive number of rows.
    pub fn tensor_any_rows(&self, name: &str, cols: usize) -> Result<Tensor, EncoderError> {
        let (found, data) = self.values(name)?;
        match found.as_slice() {
            [rows, c] if *c == cols && *rows > 0 => Ok(Tensor::from_vec(data, (*rows, cols), &Device::Cpu)?),
            _ => Err(bad(name, format!("shape {found:?}, expected [rows, {cols}]"))),
        }
    }

    fn values(&self, name: &str) -> Result<(Vec<usize>, Vec<f32>), EncoderError> {
        if let Ok(view) = self.file.tensor(name) {
            if view.dtype() != Dtype::F32 {
                return Err(bad(name, format!("dtype {:?}, expected F32", view.dtype())));
            }
            return Ok((view.shape().to_vec(), f32s(name, view.data())?));
        }
        let q = self.file.tensor(&format!("{name}.q")).map_err(|_| bad(name, "not in the file"))?;
        let scale =
            self.file.tensor(&format!("{name}.scale")).map_err(|_| bad(name, "has .q but no .scale"))?;
        if q.dtype() != Dtype::I8 || scale.dtype() != Dtype::F32 {
            return Err(bad(name, "quantised weights must be I8 with F32 scales"));
        }
        let shape = q.shape().to_vec();
        let [rows, cols] = shape[..] else {
            return Err(bad(name, format!("quantised tensor has shape {shape:?}, expected a matrix")));
        };
        let scales = f32s(name, scale.data())?;
        if scale.shape() != [rows] || scales.len() != rows || q.data().len() != rows * cols {
            return Err(bad(name, "scale count does not match the rows"));
        }
        let mut out = Vec::with_capacity(rows * cols);
        for (row, s) in q.data().chunks_exact(cols.max(1)).zip(&scales) {
            out.extend(row.iter().map(|&b| f32::from(b as i8) * s));
        }
        Ok((shape, out))
    }
}
