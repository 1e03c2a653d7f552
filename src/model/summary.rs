//! `model.summary()` in TF.js's layout: a 90-column table whose cells are cut at fixed stops
//! (28, 54, 80, 90), then the parameter totals.

use super::Sequential;
use crate::nn::batch_shape;

/// TF.js's defaults: 90 columns, stops at these fractions of the width.
pub const WIDTH: usize = 90;
pub const POSITIONS: [f64; 4] = [0.32, 0.61, 0.89, 1.0];

fn row(fields: &[String], stops: &[usize; 4]) -> String {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.pop();
            line.push(' ');
        }
        line.push_str(f);
        let stop = stops[i];
        line = line.chars().take(stop).collect();
        while line.chars().count() < stop {
            line.push(' ');
        }
    }
    line
}

impl Sequential {
    /// The summary as lines, as TF.js prints them with its default layout.
    pub fn summary_lines(&self) -> Vec<String> {
        self.summary_lines_with(WIDTH, POSITIONS)
    }

    /// `width` columns; `positions` are the column stops, as fractions of the width when all are
    /// at most 1 (TF.js's rule), otherwise as column numbers.
    pub fn summary_lines_with(&self, width: usize, positions: [f64; 4]) -> Vec<String> {
        let fractions = positions.iter().all(|&p| p <= 1.0);
        let stops: [usize; 4] =
            std::array::from_fn(|i| if fractions { (positions[i] * width as f64).floor() as usize } else { positions[i] as usize });
        let row = |f: &[String]| row(f, &stops);
        let width = width.max(1);
        let mut out = vec!["_".repeat(width)];
        out.push(row(&["Layer (type)".into(), "Input Shape".into(), "Output shape".into(), "Param #".into()]));
        out.push("=".repeat(width));
        for (i, e) in self.layers.iter().enumerate() {
            let params: usize = e.weights.iter().map(|&w| self.weights[w].value.numel()).sum();
            out.push(row(&[
                format!("{} ({})", e.layer.name(), e.layer.class_name()),
                format!("[{}]", batch_shape(&e.in_shape)),
                batch_shape(&e.out_shape),
                params.to_string(),
            ]));
            out.push(if i + 1 == self.layers.len() { "=".repeat(width) } else { "_".repeat(width) });
        }
        if self.layers.is_empty() {
            out.push("=".repeat(width));
        }
        let (t, n) = self.count_params();
        out.push(format!("Total params: {}", t + n));
        out.push(format!("Trainable params: {t}"));
        out.push(format!("Non-trainable params: {n}"));
        out.push("_".repeat(width));
        out
    }
}
