//! Maximum-weight matching exactly as `networkx.max_weight_matching(G)` (networkx 3.x, the
//! O(n³) primal-dual blossom algorithm after Galil / van Rantwijk) computes it on T-Eval's
//! graphs, ties included.
//!
//! The order of everything matters for ties: vertices are visited in the graph's insertion
//! order, neighbours in edge insertion order, the queue is a stack, and every "better" test is
//! strict. T-Eval's graphs are bipartite (predicted steps × gold steps), and a bipartite graph
//! has no odd cycle, so the algorithm never forms a blossom: `scan_blossom` always reaches two
//! different roots. The port keeps `scan_blossom` as networkx has it and reports an error if it
//! ever found a blossom base (it cannot on the graphs built here).

/// An undirected graph in insertion order, as networkx stores it.
#[derive(Debug, Default, Clone)]
pub struct Graph {
    /// Adjacency per vertex: (neighbour, weight), in the order edges were added.
    adj: Vec<Vec<(usize, f64)>>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("the graph is not bipartite: blossoms are not supported")]
pub struct NotBipartite;

impl Graph {
    pub fn new() -> Graph {
        Graph::default()
    }

    pub fn add_vertex(&mut self) -> usize {
        self.adj.push(Vec::new());
        self.adj.len() - 1
    }

    pub fn len(&self) -> usize {
        self.adj.len()
    }

    pub fn is_empty(&self) -> bool {
        self.adj.is_empty()
    }

    /// Adds (or, like networkx, re-weights in place) the edge {a, b}.
    pub fn add_edge(&mut self, a: usize, b: usize, w: f64) {
        for (x, y) in [(a, b), (b, a)] {
            match self.adj[x].iter_mut().find(|(n, _)| *n == y) {
                Some(e) => e.1 = w,
                None => self.adj[x].push((y, w)),
            }
            if a == b {
                break;
            }
        }
    }

    fn weight(&self, a: usize, b: usize) -> f64 {
        self.adj[a]
            .iter()
            .find(|(n, _)| *n == b)
            .map(|e| e.1)
            .unwrap_or(0.0)
    }

    /// `mate[v]` for every vertex.
    pub fn max_weight_matching(&self) -> Result<Vec<Option<usize>>, NotBipartite> {
        Matcher::new(self).run()
    }
}

const NO_LABEL: u8 = 0;
const S: u8 = 1;
const T: u8 = 2;

struct Matcher<'g> {
    g: &'g Graph,
    n: usize,
    mate: Vec<Option<usize>>,
    label: Vec<u8>,
    labeledge: Vec<Option<(usize, usize)>>,
    bestedge: Vec<Option<(usize, usize)>>,
    dualvar: Vec<f64>,
    allowedge: Vec<bool>,
    queue: Vec<usize>,
}

impl<'g> Matcher<'g> {
    fn new(g: &'g Graph) -> Matcher<'g> {
        let n = g.len();
        let mut maxweight = 0.0f64;
        for (i, nb) in g.adj.iter().enumerate() {
            for &(j, w) in nb {
                if i != j && w > maxweight {
                    maxweight = w;
                }
            }
        }
        Matcher {
            g,
            n,
            mate: vec![None; n],
            label: vec![NO_LABEL; n],
            labeledge: vec![None; n],
            bestedge: vec![None; n],
            dualvar: vec![maxweight; n],
            allowedge: vec![false; n * n],
            queue: Vec::new(),
        }
    }

    fn slack(&self, v: usize, w: usize) -> f64 {
        self.dualvar[v] + self.dualvar[w] - 2.0 * self.g.weight(v, w)
    }

    fn allow(&mut self, v: usize, w: usize) {
        self.allowedge[v * self.n + w] = true;
        self.allowedge[w * self.n + v] = true;
    }

    fn assign_label(&mut self, mut w: usize, mut t: u8, mut v: Option<usize>) {
        // networkx recurses once per T label (T → its mate gets S); a loop does the same.
        loop {
            self.label[w] = t;
            self.labeledge[w] = v.map(|v| (v, w));
            self.bestedge[w] = None;
            if t == S {
                self.queue.push(w);
                return;
            }
            let base = w;
            match self.mate[base] {
                Some(m) => {
                    w = m;
                    t = S;
                    v = Some(base);
                }
                None => return,
            }
        }
    }

    /// Traces back from v and w to find a common S ancestor (a blossom base) or none.
    fn scan_blossom(&mut self, v: usize, w: usize) -> Option<usize> {
        let mut path = Vec::new();
        let mut base = None;
        let (mut v, mut w) = (Some(v), Some(w));
        while let Some(cur) = v {
            let b = cur;
            if self.label[b] & 4 != 0 {
                base = Some(b);
                break;
            }
            path.push(b);
            self.label[b] = 5;
            v = match self.labeledge[b] {
                None => None,
                Some((t, _)) => self.labeledge[t].map(|e| e.0),
            };
            if w.is_some() {
                std::mem::swap(&mut v, &mut w);
            }
        }
        for b in path {
            self.label[b] = S;
        }
        base
    }

    fn augment_matching(&mut self, v: usize, w: usize) {
        for (mut s, mut j) in [(v, w), (w, v)] {
            loop {
                self.mate[s] = Some(j);
                let Some((t, _)) = self.labeledge[s] else {
                    break;
                };
                let Some((ns, nj)) = self.labeledge[t] else {
                    break;
                };
                s = ns;
                j = nj;
                self.mate[j] = Some(s);
            }
        }
    }

    fn run(mut self) -> Result<Vec<Option<usize>>, NotBipartite> {
        if self.n == 0 {
            return Ok(self.mate);
        }
        loop {
            self.label.fill(NO_LABEL);
            self.labeledge.fill(None);
            self.bestedge.fill(None);
            self.allowedge.fill(false);
            self.queue.clear();
            for v in 0..self.n {
                if self.mate[v].is_none() && self.label[v] == NO_LABEL {
                    self.assign_label(v, S, None);
                }
            }
            let mut augmented = false;
            loop {
                while !augmented {
                    let Some(v) = self.queue.pop() else {
                        break;
                    };
                    for k in 0..self.g.adj[v].len() {
                        let w = self.g.adj[v][k].0;
                        if w == v {
                            continue;
                        }
                        let mut kslack = 0.0;
                        let idx = v * self.n + w;
                        if !self.allowedge[idx] {
                            kslack = self.slack(v, w);
                            if kslack <= 0.0 {
                                self.allow(v, w);
                            }
                        }
                        if self.allowedge[idx] {
                            if self.label[w] == NO_LABEL {
                                self.assign_label(w, T, Some(v));
                            } else if self.label[w] == S {
                                if self.scan_blossom(v, w).is_some() {
                                    return Err(NotBipartite);
                                }
                                self.augment_matching(v, w);
                                augmented = true;
                                break;
                            }
                        } else if self.label[v] == S && self.label[w] == S {
                            if self.bestedge[v].is_none_or(|(a, b)| kslack < self.slack(a, b)) {
                                self.bestedge[v] = Some((v, w));
                            }
                        } else if self.label[w] == NO_LABEL
                            && self.bestedge[w].is_none_or(|(a, b)| kslack < self.slack(a, b))
                        {
                            self.bestedge[w] = Some((v, w));
                        }
                    }
                }
                if augmented {
                    break;
                }
                // Choose the dual adjustment (types 1..3; type 4 needs blossoms).
                let mut deltatype = 1;
                let mut delta = self.dualvar.iter().copied().fold(f64::INFINITY, f64::min);
                let mut deltaedge = None;
                for v in 0..self.n {
                    if self.label[v] == NO_LABEL {
                        if let Some((a, b)) = self.bestedge[v] {
                            let d = self.slack(a, b);
                            if d < delta {
                                delta = d;
                                deltatype = 2;
                                deltaedge = Some((a, b));
                            }
                        }
                    }
                }
                for b in 0..self.n {
                    if self.label[b] == S {
                        if let Some((x, y)) = self.bestedge[b] {
                            let d = self.slack(x, y) / 2.0;
                            if d < delta {
                                delta = d;
                                deltatype = 3;
                                deltaedge = Some((x, y));
                            }
                        }
                    }
                }
                for v in 0..self.n {
                    match self.label[v] {
                        S => self.dualvar[v] -= delta,
                        T => self.dualvar[v] += delta,
                        _ => {}
                    }
                }
                match (deltatype, deltaedge) {
                    (2 | 3, Some((v, w))) => {
                        self.allow(v, w);
                        self.queue.push(v);
                    }
                    _ => break,
                }
            }
            if !augmented {
                break;
            }
        }
        Ok(self.mate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bipartite(rows: &[&[f64]], threshold: f64) -> (Graph, Vec<Option<usize>>, Vec<usize>) {
        // T-Eval's construction: edges row by row, pred vertex i then gold vertex j on first use.
        let mut g = Graph::new();
        let mut pred = vec![None; rows.len()];
        let mut gold = vec![None; rows.first().map_or(0, |r| r.len())];
        for (i, row) in rows.iter().enumerate() {
            for (j, &w) in row.iter().enumerate() {
                if w > threshold {
                    let a = *pred[i].get_or_insert_with(|| g.add_vertex());
                    let b = *gold[j].get_or_insert_with(|| g.add_vertex());
                    g.add_edge(a, b, w);
                }
            }
        }
        let gold_of: Vec<usize> = (0..g.len())
            .map(|v| {
                gold.iter()
                    .position(|x| *x == Some(v))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        (g, pred, gold_of)
    }

    fn pred_to_gold(rows: &[&[f64]]) -> Vec<Option<usize>> {
        let (g, pred, gold_of) = bipartite(rows, 0.0);
        let mate = g.max_weight_matching().unwrap();
        pred.iter()
            .map(|p| p.and_then(|v| mate[v]).map(|m| gold_of[m]))
            .collect()
    }

    #[test]
    fn two_identical_pairs_match_crossed_like_networkx() {
        // networkx pairs pred 0 with gold 1 here (T-Eval's J10 case).
        assert_eq!(
            pred_to_gold(&[&[1.0, 1.0], &[1.0, 1.0]]),
            vec![Some(1), Some(0)]
        );
    }

    #[test]
    fn prefers_weight_over_cardinality() {
        assert_eq!(
            pred_to_gold(&[&[0.9, 0.0], &[0.85, 0.0]]),
            vec![Some(0), None]
        );
        assert_eq!(
            pred_to_gold(&[&[0.9, 0.85], &[0.95, 0.0]]),
            vec![Some(1), Some(0)]
        );
    }
}
