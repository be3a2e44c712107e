//! Sentence encoders and the per-run table of embeddings (each distinct text embedded once,
//! which also keeps identical texts bit-identical, as T-Eval's ties need).

use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum EncoderError {
    #[error("model: {0}")]
    Model(String),
    #[error("embeddings endpoint: {0}")]
    Remote(String),
}

/// Anything that turns texts into vectors (one per text, in order).
pub trait Encoder {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError>;
}

impl<E: Encoder + ?Sized> Encoder for Box<E> {
    fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncoderError> {
        (**self).encode(texts)
    }
}

/// Distinct texts → unit vectors (re-normalised in f32 as `sentence_transformers.util.cos_sim`
/// does before its matrix product).
#[derive(Default)]
pub struct EmbeddingTable {
    index: HashMap<String, usize>,
    vectors: Vec<Vec<f32>>,
}

impl EmbeddingTable {
    pub fn len(&self) -> usize {
        self.vectors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vectors.is_empty()
    }

    /// The vector of a text already embedded; an empty slice otherwise (cosine 0).
    pub fn get(&self, text: &str) -> &[f32] {
        self.index
            .get(text)
            .map_or(&[][..], |&i| self.vectors[i].as_slice())
    }

    pub fn contains(&self, text: &str) -> bool {
        self.index.contains_key(text)
    }

    /// Embeds the texts not yet in the table, in one encoder call.
    pub fn embed_missing<'a>(
        &mut self,
        encoder: &mut dyn Encoder,
        texts: impl Iterator<Item = &'a str>,
    ) -> Result<(), EncoderError> {
        let mut todo: Vec<&str> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for t in texts {
            if !self.index.contains_key(t) && seen.insert(t) {
                todo.push(t);
            }
        }
        if todo.is_empty() {
            return Ok(());
        }
        let vecs = encoder.encode(&todo)?;
        if vecs.len() != todo.len() {
            return Err(EncoderError::Model(format!(
                "encoder returned {} vectors for {} texts",
                vecs.len(),
                todo.len()
            )));
        }
        for (t, v) in todo.into_iter().zip(vecs) {
            self.index.insert(t.to_string(), self.vectors.len());
            self.vectors.push(normalize(v));
        }
        Ok(())
    }

    /// Inserts a vector for a text directly (tests, precomputed embeddings).
    pub fn insert(&mut self, text: &str, v: Vec<f32>) {
        let v = normalize(v);
        match self.index.get(text) {
            Some(&i) => self.vectors[i] = v,
            None => {
                self.index.insert(text.to_string(), self.vectors.len());
                self.vectors.push(v);
            }
        }
    }
}

/// `torch.nn.functional.normalize(x, p=2, dim=1)`: x / max(‖x‖, 1e-12), in f32.
pub fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    for x in v.iter_mut() {
        *x /= norm;
    }
    v
}

/// The dot product of two unit vectors in f32 (0 when either is missing).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
