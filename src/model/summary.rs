//! `model.summary()` in TF.js's layout: a 90-column table whose cells are cut at fixed stops
//! (28, 54, 80, 90), then the parameter totals.

use super::Sequential;
use crate::nn::batch_shape;

const WIDTH: usize = 90;
const STOPS: [usize; 4] = [28, 54, 80, 90];

fn row(fields: &[String]) -> String {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.pop();
            line.push(' ');
        }
        line.push_str(f);
        let stop = STOPS[i];
        line = line.chars().take(stop).collect();
        while line.chars().count() < stop {
            line.push(' ');
        }
    }
    line
}

impl Sequential {
    /// The summary as lines, as TF.js prints them.
    pub fn summary_lines(&self) -> Vec<String> {
        let mut out = vec!["_".repeat(WIDTH)];
        out.push(row(&["Layer (type)".into(), "Input Shape".into(), "Output shape".into(), "Param #".into()]));
        out.push("=".repeat(WIDTH));
        for (i, e) in self.layers.iter().enumerate() {
            let params: usize = e.weights.iter().map(|&w| self.weights[w].value.numel()).sum();
            out.push(row(&[
                format!("{} ({})", e.layer.name(), e.layer.class_name()),
                format!("[{}]", batch_shape(&e.in_shape)),
                batch_shape(&e.out_shape),
                params.to_string(),
            ]));
            out.push(if i + 1 == self.layers.len() { "=".repeat(WIDTH) } else { "_".repeat(WIDTH) });
        }
        if self.layers.is_empty() {
            out.push("=".repeat(WIDTH));
        }
        let (t, n) = self.count_params();
        out.push(format!("Total params: {}", t + n));
        out.push(format!("Trainable params: {t}"));
        out.push(format!("Non-trainable params: {n}"));
        out.push("_".repeat(WIDTH));
        out
    }
}
