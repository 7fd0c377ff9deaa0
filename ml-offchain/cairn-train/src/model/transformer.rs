//! The decoder-only transformer language model (GPT-2's pre-norm layout) of a
//! [`Transformer`] architecture: its parameter pairs and its forward pass.
//!
//! For token ids `[batch, context]`, with `d` the width and `h` the heads: `x = tokens[ids] +
//! positions`; then in each block `n = norm1(x)`, `qkv = n · Wqkv + bqkv` (queries are its
//! columns `0..d`, keys `d..2d`, values `2d..3d`, each split into `h` heads of `d / h`
//! columns), `p = softmax(q · kᵀ / √(d / h))` with position `j > i` masked to `−∞` (causal),
//! `ctx = p · v` with the heads merged back to `d` columns, `a = ctx · Wo + bo`, `x = x + a`,
//! `m = norm2(x)`, `u = m · Wup + bup`, `g = activation(u)`, `y = g · Wdown + bdown`, `x = x +
//! y`; then `z = norm(x)` and the logits `z · Whead + bhead`. A layer norm computes, over the
//! last dimension, `(x − mean) / √(var + 1e-5) · w + b` with `var` the mean of the squared
//! deviations. Every position of every window predicts the next token: the loss is the mean
//! cross-entropy over all of them.
//!
//! Every reduction has a fixed order whatever the thread count: the embedding's gradient adds
//! token rows one after the other in batch order (burn `flex`'s `select_add`), matrix products
//! keep each dot product's order, and layer norms and softmax reduce one row at a time. The
//! longest reductions are over the `batch · context ≤ 512` tokens of a step (weight gradients)
//! and the `3 · width` (the query-key-value layer's input gradient), `feed_forward` and `context`
//! (each at most 512) of one token.

use burn::tensor::{
	module::{embedding, linear},
	Bool, Int, Tensor,
};
use cairn_primitives::Transformer;

use super::{activate, record, Layer, LayerShape, Recorder};

/// Names of a block's parameter pairs, in canonical order (each after `blocks.{i}.`): two layer
/// norms, the attention's two linears and the feed-forward layer's two linears.
pub(crate) const BLOCK_PAIRS: [&str; 6] =
	["norm1", "attention.qkv", "attention.output", "norm2", "feed_forward.up", "feed_forward.down"];

/// Names of the token and the position embedding: the first pair.
pub(crate) const EMBEDDINGS: [&str; 2] = ["embed.tokens", "embed.positions"];

/// Parameter pairs per block.
const PAIRS_PER_BLOCK: usize = BLOCK_PAIRS.len();

/// The layer norms' `ε`, PyTorch's default.
const NORM_EPSILON: f32 = 1e-5;

/// Every pair's names and shapes, in canonical order (see [`super`]).
pub(super) fn layer_shapes(net: &Transformer) -> Vec<LayerShape> {
	let (vocab, context, width, feed_forward) =
		(net.vocab as usize, net.context as usize, net.width as usize, net.feed_forward as usize);
	let embed = LayerShape {
		names: EMBEDDINGS.map(String::from),
		shapes: [vec![vocab, width], vec![context, width]],
		init: super::Init::Uniform { fan_in: width },
		// A lookup, not a product.
		multiply_adds: 0,
	};
	let blocks = (0..net.blocks).flat_map(move |i| {
		let [norm1, qkv, output, norm2, up, down] =
			BLOCK_PAIRS.map(|pair| format!("blocks.{i}.{pair}"));
		[
			LayerShape::norm(&norm1, width),
			LayerShape::linear(&qkv, width, 3 * width, context),
			LayerShape::linear(&output, width, width, context),
			LayerShape::norm(&norm2, width),
			LayerShape::linear(&up, width, feed_forward, context),
			LayerShape::linear(&down, feed_forward, width, context),
		]
	});
	let top = [LayerShape::norm("norm", width), LayerShape::linear("head", width, vocab, context)];
	std::iter::once(embed).chain(blocks).chain(top).collect()
}

/// Where a forward pass records its tensors, which hold every position of every window as a
/// row: the batch and the context shape them back into windows.
struct Rows<'r> {
	batch: usize,
	context: usize,
	recorder: Recorder<'r>,
}

impl Rows<'_> {
	/// Records `rows` `[batch · context, n]` as the trace holds it, `[batch, context, n]`.
	fn record(&mut self, rows: &Tensor<2>) {
		let columns = rows.dims()[1];
		record(&mut self.recorder, &rows.clone().reshape([self.batch, self.context, columns]));
	}
}

/// Logits `[batch · context, vocab]` of `net` with parameters `layers` for token ids `[batch,
/// context]`. With a recorder, pushes the embedding sum `x`; for each block `n`, `qkv`, `p`
/// `[batch, heads, context, context]`, `ctx`, `a`, the residual sum, `m`, `u`, `g`, `y` and the
/// residual sum; then `z` and the logits: each but `p` as `[batch, context, columns]`.
pub(crate) fn forward(
	layers: &[Layer],
	net: &Transformer,
	ids: Tensor<2, Int>,
	recorder: Recorder<'_>,
) -> Tensor<2> {
	let [batch, context] = ids.dims();
	let width = net.width as usize;
	let mut rows = Rows { batch, context, recorder };
	let (embed, rest) = layers.split_first().expect("a transformer has an embedding");
	let (blocks, top) = rest.split_at(PAIRS_PER_BLOCK * net.blocks as usize);
	let positions = embed.bias.clone().reshape([1, context, width]);
	let x = (embedding(embed.weight.clone(), ids) + positions).reshape([batch * context, width]);
	rows.record(&x);
	let x = blocks.chunks_exact(PAIRS_PER_BLOCK).fold(x, |x, block| {
		let [norm1, qkv, output, norm2, up, down] = block else { unreachable!("six pairs") };
		let n = layer_norm(x.clone(), norm1);
		rows.record(&n);
		let qkv = apply(n, qkv);
		rows.record(&qkv);
		let ctx = attention(qkv, net.heads as usize, &mut rows);
		let a = apply(ctx, output);
		rows.record(&a);
		let x = x + a;
		rows.record(&x);
		let m = layer_norm(x.clone(), norm2);
		rows.record(&m);
		let u = apply(m, up);
		rows.record(&u);
		let g = activate(net.activation, u);
		rows.record(&g);
		let y = apply(g, down);
		rows.record(&y);
		let x = x + y;
		rows.record(&x);
		x
	});
	let [norm, head] = top else { unreachable!("the final norm and the head") };
	let z = layer_norm(x, norm);
	rows.record(&z);
	let logits = apply(z, head);
	rows.record(&logits);
	logits
}

/// The linear layer `layer` on `x`: `x · W + b`.
fn apply(x: Tensor<2>, layer: &Layer) -> Tensor<2> {
	linear(x, layer.weight.clone(), Some(layer.bias.clone()))
}

/// Multi-head causal self-attention of `qkv` `[batch · context, 3 · width]` (queries, keys and
/// values side by side) with `heads` heads: the heads' outputs merged, `[batch · context,
/// width]`. Records the attention probabilities and the merged outputs.
fn attention(qkv: Tensor<2>, heads: usize, rows: &mut Rows<'_>) -> Tensor<2> {
	let (batch, context) = (rows.batch, rows.context);
	let width = qkv.dims()[1] / 3;
	let head_width = width / heads;
	// [batch, heads, context, head_width] of the third `part` of the columns.
	let split = |part: usize| {
		qkv.clone()
			.slice([0..batch * context, part * width..(part + 1) * width])
			.reshape([batch, context, heads, head_width])
			.swap_dims(1, 2)
	};
	let (q, k, v) = (split(0), split(1), split(2));
	let scores = q.matmul(k.swap_dims(2, 3)).div_scalar((head_width as f32).sqrt());
	// True where the key comes after the query.
	let future = Tensor::<2, Bool>::tril_mask([context, context], 0, &scores.device())
		.unsqueeze::<4>()
		.expand([batch, heads, context, context]);
	let p = softmax(scores.mask_fill(future, f32::NEG_INFINITY));
	record(&mut rows.recorder, &p);
	let ctx = p.matmul(v).swap_dims(1, 2).reshape([batch * context, width]);
	rows.record(&ctx);
	ctx
}

/// Softmax over the last dimension, `exp(x − max) / Σ exp(x − max)`, written out (as burn's
/// generic one) so that a forward pass without autodiff, whose softmax `flex` would fuse,
/// computes the bits training does.
fn softmax(x: Tensor<4>) -> Tensor<4> {
	let max = x.clone().detach().max_dim(3);
	let exp = (x - max).exp();
	let sum = exp.clone().sum_dim(3);
	exp / sum
}

/// The layer norm `norm` over the columns of `x`, written out for the same reason as
/// [`softmax`].
fn layer_norm(x: Tensor<2>, norm: &Layer) -> Tensor<2> {
	let width = x.dims()[1];
	let centered = x.clone() - x.mean_dim(1);
	let variance = (centered.clone() * centered.clone()).mean_dim(1);
	let normalized = centered / variance.add_scalar(NORM_EPSILON).sqrt();
	normalized * norm.weight.clone().reshape([1, width]) + norm.bias.clone().unsqueeze()
}
