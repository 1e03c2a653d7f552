//! `model.summary()` in TF.js's layout: a 90-column table whose cells are cut at fixed stops
//! (28, 54, 80, 90), then the parameter totals.

use super::LayersModel;
use crate::nn::free::batch_shape_in;

/// TF.js's defaults: 90 columns, stops at these fractions of the width.
pub const WIDTH: usize = 90;
pub const POSITIONS: [f64; 4] = [0.32, 0.61, 0.89, 1.0];

/// Functional models that are not a plain chain: 115 columns, five columns.
pub const WIDTH_GRAPH: usize = 115;
pub const POSITIONS_GRAPH: [f64; 5] = [0.24, 0.48, 0.70, 0.80, 1.0];

fn row(fields: &[String], stops: &[usize]) -> String {
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

impl LayersModel {
    /// The summary as text, checking the options: `width` 0 and empty `positions` give TF.js's
    /// defaults; positions are fractions of the width (all at most 1) or columns.
    pub fn summary_text(&self, width: usize, positions: &[f64]) -> crate::error::Result<String> {
        use crate::error::Error;
        let (dw, dp) = self.summary_defaults();
        let line_length = width;
        let width = if width == 0 { dw } else { width };
        if width > 1000 {
            return Err(Error::arg("summary", format!("lineLength must be at most 1000, received {line_length}")));
        }
        let pos = match positions.len() {
            0 => dp,
            n if n == dp.len() => positions.to_vec(),
            n => return Err(Error::arg("summary", format!("positions must list {} column stops, received {n}", dp.len()))),
        };
        if pos.iter().any(|p| !p.is_finite() || *p < 0.0 || *p > 1000.0) || pos.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::arg("summary", format!("positions must be non-negative and increasing, received {positions:?}")));
        }
        Ok(self.summary_lines_with(width, &pos).join("\n"))
    }

    /// The summary as lines, as TF.js prints them with its default layout.
    pub fn summary_lines(&self) -> Vec<String> {
        let (w, p) = self.summary_defaults();
        self.summary_lines_with(w, &p)
    }

    /// TF.js's default width and column stops for this model: 4 columns for chains, 5 (with
    /// "Receives inputs") for graphs.
    pub fn summary_defaults(&self) -> (usize, Vec<f64>) {
        if self.chain_like() {
            (WIDTH, POSITIONS.to_vec())
        } else {
            (WIDTH_GRAPH, POSITIONS_GRAPH.to_vec())
        }
    }

    /// Whether the model is a chain (TF.js's "sequential-like"): one input, every call with one
    /// input from the call before, no layer called twice.
    pub fn chain_like(&self) -> bool {
        let Some(t) = &self.topo else { return true };
        let mut seen = std::collections::HashSet::new();
        t.inputs.len() == 1
            && t.outputs.len() == 1
            && t.nodes.iter().enumerate().all(|(k, n)| {
                let prev = if k == 0 { super::Ref::Input(0) } else { super::Ref::Node(k - 1, 0) };
                n.inputs == [prev] && seen.insert(n.layer)
            })
    }

    /// `width` columns; `positions` are the column stops, as fractions of the width when all are
    /// at most 1 (TF.js's rule), otherwise as column numbers. Chains take 4 stops, graphs 5.
    pub fn summary_lines_with(&self, width: usize, positions: &[f64]) -> Vec<String> {
        let shown = |s: &[Option<usize>]| batch_shape_in(self.fixed_batch, s);
        let fractions = positions.iter().all(|&p| p <= 1.0);
        let stops: Vec<usize> =
            positions.iter().map(|&p| if fractions { (p * width as f64).floor() as usize } else { p as usize }).collect();
        let graph = !self.chain_like();
        let row = |f: &[String]| row(f, &stops);
        let width = width.max(1);
        let mut out = vec!["_".repeat(width)];
        let mut head: Vec<String> = ["Layer (type)", "Input Shape", "Output shape", "Param #"].iter().map(|s| s.to_string()).collect();
        if graph {
            head.push("Receives inputs".into());
        }
        out.push(row(&head));
        out.push("=".repeat(width));
        // For graphs: each layer's calls, as (input shapes, "producer[call][0]" per input).
        let mut calls: Vec<Vec<(String, Vec<String>)>> = self.layers.iter().map(|_| vec![]).collect();
        if let Some(t) = &self.topo {
            let mut call_index = vec![0usize; t.nodes.len()];
            let mut count = vec![0usize; self.layers.len()];
            for (k, n) in t.nodes.iter().enumerate() {
                call_index[k] = count[n.layer];
                count[n.layer] += 1;
            }
            for l in t.inputs.iter().filter_map(|i| i.layer) {
                calls[l].push((format!("[{}]", shown(&self.shown_shapes(l).1[0])), vec![]));
            }
            for n in &t.nodes {
                let shapes: Vec<String> = self.shown_shapes(n.layer).0.iter().map(|s| shown(s)).collect();
                let from: Vec<String> = n
                    .inputs
                    .iter()
                    .map(|r| match *r {
                        super::Ref::Input(i) => format!("{}[0][0]", t.inputs[i].layer.map_or("input", |l| self.layers[l].layer.name())),
                        super::Ref::Node(k, o) => format!("{}[{}][{o}]", self.layers[t.nodes[k].layer].layer.name(), call_index[k]),
                    })
                    .collect();
                calls[n.layer].push((format!("[{}]", shapes.join(",")), from));
            }
        }
        for (i, e) in self.layers.iter().enumerate() {
            let params: usize = e.weights.iter().map(|&w| self.weights[w].value.numel()).sum();
            let (ins, outs) = self.shown_shapes(i);
            let input = if calls[i].is_empty() {
                format!("[{}]", shown(&ins[0]))
            } else {
                calls[i].iter().map(|c| c.0.clone()).collect::<Vec<_>>().join(",")
            };
            // TF.js prints a layer with several outputs as the list of their shapes.
            let output = match outs.as_slice() {
                [one] => shown(one),
                many => format!("[{}]", many.iter().map(|s| shown(s)).collect::<Vec<_>>().join(",")),
            };
            let mut fields = vec![format!("{} ({})", e.layer.name(), e.layer.class_name()), input, output, params.to_string()];
            if graph {
                let conns: Vec<String> = calls[i].iter().flat_map(|c| c.1.clone()).collect();
                fields.push(conns.first().cloned().unwrap_or_default());
                out.push(row(&fields));
                for c in conns.iter().skip(1) {
                    out.push(row(&["".into(), "".into(), "".into(), "".into(), c.clone()]));
                }
            } else {
                out.push(row(&fields));
            }
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
