//! Training, replay and evaluation of a task spec on a dataset.

mod error;
mod run;
mod state;

use burn::tensor::{Device, Tensor, TensorData};
use cairn_primitives::{task::step_trace_len, Architecture, Backend, ModelInit, TaskSpec};

pub use error::TrainError;
pub use run::{evaluate, replay_segment, state_at_step, train};

use crate::{
	batches::BatchOrder,
	checkpoint::Checkpoint,
	dataset::Dataset,
	encoding::Contents,
	model::{Input, Intermediate, Layer, Model, Network},
	optim::{Kind, OptimizerState},
	weights::Weights,
};
use error::backend_error;
use state::{capture, layers_to_host, restore, to_host, HostTensor};

/// Held-out predictions evaluated per forward pass (a transformer's windows make `context` each).
const EVAL_CHUNK: usize = 1024;

/// Held-out accuracy and loss. A prediction is a sample's class (an MLP's or a CNN's) or the
/// next token at one position of a window (a transformer's, each window making `context`
/// predictions); the predicted class is the one of the largest logit, ties going to the lower.
/// The counts are exact, so every party reports the same figure.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Accuracy {
	/// Held-out predictions that were right.
	pub correct: u32,
	/// Held-out predictions.
	pub total: u32,
	/// Mean cross-entropy of the held-out predictions, in nats: computed from the logits in
	/// `f64` on the host, so informative rather than exact across machines.
	pub loss: f64,
}

impl Accuracy {
	/// `correct / total`, 0 when there are none.
	pub fn fraction(&self) -> f64 {
		if self.total == 0 {
			0.0
		} else {
			f64::from(self.correct) / f64::from(self.total)
		}
	}

	/// `exp(loss)`: the perplexity of a language model's next-token predictions.
	pub fn perplexity(&self) -> f64 {
		self.loss.exp()
	}
}

/// A registered model that a task continues: its architecture and weights, checked to fit.
#[derive(Clone, Debug)]
pub struct Parent {
	architecture: Architecture,
	network: Network,
	/// `None` when only the network is known: enough to resume and replay from any checkpoint
	/// of the run, not to start it.
	weights: Option<Weights>,
}

impl Parent {
	/// The model of `architecture` with `weights`.
	pub fn new(architecture: &Architecture, weights: Weights) -> Result<Self, TrainError> {
		let mut parent = Self::without_weights(architecture)?;
		weights.fit(architecture)?;
		parent.weights = Some(weights);
		Ok(parent)
	}

	/// The model of `architecture` whose weights could not be had: a run from it resumes and
	/// replays from its checkpoints, but does not start ([`TrainError::ParentRequired`]).
	pub fn without_weights(architecture: &Architecture) -> Result<Self, TrainError> {
		let network = Network::of(architecture).ok_or(TrainError::Unsupported)?;
		Ok(Self { architecture: architecture.clone(), network, weights: None })
	}
}

/// What a run trains: a task spec and, when the spec continues a registered model
/// (`ModelInit::FromRegistry`), that model. A spec converts into the job of a fresh model.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
	spec: &'a TaskSpec,
	parent: Option<&'a Parent>,
}

impl<'a> Job<'a> {
	/// The job of `spec`, which continues `parent`.
	pub fn continuing(spec: &'a TaskSpec, parent: &'a Parent) -> Self {
		Self { spec, parent: Some(parent) }
	}

	/// The job of `spec` with `parent` when it has one.
	pub fn new(spec: &'a TaskSpec, parent: Option<&'a Parent>) -> Self {
		Self { spec, parent }
	}

	/// The task spec.
	pub fn spec(&self) -> &'a TaskSpec {
		self.spec
	}

	/// The network trained: the spec's own, or the parent's (`None` for a continuation whose
	/// parent is not given).
	pub fn architecture(&self) -> Option<&'a Architecture> {
		match (&self.spec.model, self.parent) {
			(ModelInit::Fresh { architecture, .. }, _) => Some(architecture),
			(ModelInit::FromRegistry { .. }, parent) => parent.map(|parent| &parent.architecture),
		}
	}

	/// Bytes of every checkpoint of the run (all states encode to the same length), when the
	/// network is known.
	pub fn checkpoint_len(&self) -> Option<usize> {
		let network = Network::of(self.architecture()?)?;
		Some(state::checkpoint_len(&network, Kind::of(&self.spec.training.optimizer)))
	}

	/// Positions of one step's trace of the network trained (`step_trace_len`): what the chain
	/// records with the task, and so where witnesses are due.
	pub fn trace_len(&self) -> Option<u32> {
		self.architecture().and_then(step_trace_len)
	}
}

impl<'a> From<&'a TaskSpec> for Job<'a> {
	fn from(spec: &'a TaskSpec) -> Self {
		Self { spec, parent: None }
	}
}

/// Multiply-adds of a step's largest matrix product from which two threads train faster than
/// one here: gemm's parallel split costs more than it saves below it. Measured (release, 2 cores,
/// one thread = 1): 0.82 at 8.4 M (64-256-256-10, batch 128), about 1 at 33.5 M, 1.4 at 134 M
/// (64-512-512-10, batch 512).
const PARALLEL_PRODUCT: u64 = 64 << 20;

/// Threads worth giving `job`'s kernels: every core when its largest matrix product (a layer's
/// multiply-adds over the batch) reaches [`PARALLEL_PRODUCT`], else one. The bits are the same
/// either way (`tests/processes.rs`).
pub fn kernel_threads(job: Job<'_>) -> usize {
	let Some(network) = job.architecture().and_then(Network::of) else { return 1 };
	let batch = job.spec.training.batch_size as usize;
	let largest = network
		.layer_shapes()
		.iter()
		.map(|l| (batch * l.multiply_adds) as u64)
		.max()
		.unwrap_or(0);
	if largest >= PARALLEL_PRODUCT {
		rayon::current_num_threads()
	} else {
		1
	}
}

/// Runs `work`, training or replaying `job`, on a pool of [`kernel_threads`] threads.
pub fn on_kernel_threads<R: Send>(job: Job<'_>, work: impl FnOnce() -> R + Send) -> R {
	match rayon::ThreadPoolBuilder::new().num_threads(kernel_threads(job)).build() {
		Ok(pool) => pool.install(work),
		// No thread could be started: the calling thread and the global pool do the work.
		Err(_) => work(),
	}
}

/// Where step 0's parameters come from.
enum Init<'p> {
	Seed(u64),
	Weights(&'p Weights),
	/// The parent's weights, which were not given.
	Missing(u64),
}

/// A training run of one task on one dataset, at some step.
#[derive(Clone, Debug)]
pub struct Trainer<'a> {
	job: Job<'a>,
	spec: &'a TaskSpec,
	dataset: &'a Dataset,
	kind: Kind,
	device: Device,
	model: Model,
	optimizer: OptimizerState,
	order: BatchOrder,
	step: u32,
}

/// The network of `job` and where its parameters start, after checking the spec, the parent and
/// that `dataset` is the one the spec names.
fn plan<'j>(job: Job<'j>, dataset: &Dataset) -> Result<(Network, Init<'j>), TrainError> {
	let spec = job.spec;
	spec.validate().map_err(TrainError::Spec)?;
	let (network, init) = match (&spec.model, job.parent) {
		(ModelInit::Fresh { architecture, init_seed }, parent) => {
			let network = Network::of(architecture).ok_or(TrainError::Unsupported)?;
			if parent.is_some() {
				return Err(TrainError::Mismatch("a fresh model has no parent".into()));
			}
			(network, Init::Seed(*init_seed))
		},
		(ModelInit::FromRegistry { model }, None) => {
			return Err(TrainError::ParentRequired(*model))
		},
		(ModelInit::FromRegistry { model }, Some(parent)) => match &parent.weights {
			Some(weights) => (parent.network.clone(), Init::Weights(weights)),
			None => (parent.network.clone(), Init::Missing(*model)),
		},
	};
	if dataset.hash() != spec.dataset.hash {
		return Err(TrainError::WrongDataset(dataset.hash()));
	}
	let header = dataset.header();
	let (input, output) = (network.inputs() as u32, network.outputs() as u32);
	if input != header.features || output != header.classes {
		return Err(TrainError::DatasetShape {
			input,
			output,
			features: header.features,
			classes: header.classes,
		});
	}
	if let Network::Transformer(net) = &network {
		if u32::from(header.max_value) >= net.vocab {
			return Err(TrainError::Vocabulary { vocab: net.vocab, max_value: header.max_value });
		}
	}
	Ok((network, init))
}

/// The input `network` reads for `samples` of `dataset`, and the class each row of its logits
/// should predict: a sample's label, or, for a transformer, the token after each position of
/// the sample's window (the window's next byte, and the sample's label after the last).
fn examples(
	network: &Network,
	dataset: &Dataset,
	samples: &[usize],
	device: &Device,
) -> (Input, Vec<u8>) {
	let shape = [samples.len(), network.inputs()];
	match network {
		Network::Transformer(_) => {
			let mut ids = Vec::with_capacity(shape[0] * shape[1]);
			let mut targets = Vec::with_capacity(shape[0] * shape[1]);
			for &sample in samples {
				let tokens = dataset.features(sample);
				ids.extend(tokens.iter().map(|&token| i64::from(token)));
				targets.extend_from_slice(&tokens[1..]);
				targets.push(dataset.label(sample));
			}
			let ids = Tensor::from_data(TensorData::new(ids, shape), device);
			(Input::Tokens(ids), targets)
		},
		Network::Mlp(_) | Network::Cnn(_) => {
			let features = dataset.gather_inputs(samples.iter().copied());
			let features = Tensor::from_data(TensorData::new(features, shape), device);
			(Input::Features(features), samples.iter().map(|&s| dataset.label(s)).collect())
		},
	}
}

fn device_for(backend: Backend) -> Result<Device, TrainError> {
	match backend {
		Backend::FlexCpu => Ok(Device::flex()),
		#[cfg(feature = "wgpu")]
		Backend::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
		#[cfg(feature = "cuda")]
		Backend::Cuda => Ok(Device::cuda(0)),
		#[allow(unreachable_patterns)]
		other => Err(TrainError::BackendNotBuilt(other)),
	}
}

impl<'a> Trainer<'a> {
	/// The run at step 0: the model initialised from the spec's seed, or the parent's weights,
	/// with fresh optimizer state, on the `flex` CPU backend.
	pub fn new(job: impl Into<Job<'a>>, dataset: &'a Dataset) -> Result<Self, TrainError> {
		Self::build(job.into(), dataset, Device::flex(), None)
	}

	/// The run continued from `checkpoint`, which must be a state of this task, on `flex`.
	pub fn resume(
		job: impl Into<Job<'a>>,
		dataset: &'a Dataset,
		checkpoint: &Checkpoint,
	) -> Result<Self, TrainError> {
		Self::build(job.into(), dataset, Device::flex(), Some(checkpoint.contents()?))
	}

	/// The same run on another backend. GPU backends need this crate's `wgpu` or `cuda` feature,
	/// and their results are not bit-exact across machines.
	pub fn with_backend(self, backend: Backend) -> Result<Self, TrainError> {
		let contents = self.contents()?;
		Self::build(self.job, self.dataset, device_for(backend)?, Some(contents))
	}

	fn build(
		job: Job<'a>,
		dataset: &'a Dataset,
		device: Device,
		state: Option<Contents>,
	) -> Result<Self, TrainError> {
		let spec = job.spec;
		let (network, init) = plan(job, dataset)?;
		let kind = Kind::of(&spec.training.optimizer);
		let order = BatchOrder::new(spec.training.data_order_seed, dataset.train_len());
		let (model, optimizer, step) = match state {
			None => {
				let model = match init {
					Init::Seed(seed) => Model::init(&network, seed, &device),
					Init::Weights(weights) => Model::from_weights(&network, weights, &device),
					Init::Missing(model) => return Err(TrainError::ParentRequired(model)),
				};
				(model, OptimizerState::new(kind, &network, &device), 0)
			},
			Some(contents) => {
				let (model, optimizer) = restore(&network, kind, &device, contents.clone())?;
				if contents.step > spec.training.steps {
					return Err(TrainError::Mismatch(format!(
						"step {} is past the task's {} steps",
						contents.step, spec.training.steps
					)));
				}
				(model, optimizer, contents.step)
			},
		};
		Ok(Self { job, spec, dataset, kind, device, model, optimizer, order, step })
	}

	/// Optimizer steps taken so far.
	pub fn current_step(&self) -> u32 {
		self.step
	}

	/// Whether every step of the task has been taken.
	pub fn is_finished(&self) -> bool {
		self.step >= self.spec.training.steps
	}

	/// Takes one optimizer step on the batch of the current step; returns the batch's mean
	/// cross-entropy loss before the update.
	pub fn step(&mut self) -> Result<f32, TrainError> {
		let (loss, gradients) = self.loss_and_gradients(None)?;
		self.update(gradients);
		loss.try_into_scalar::<f32>().map_err(backend_error)
	}

	/// Takes the same step as [`step`](Self::step) and returns every tensor a step's trace covers
	/// (see [`crate::trace`]), in trace order, read back to the host.
	pub(crate) fn traced_step(&mut self) -> Result<Vec<HostTensor>, TrainError> {
		let mut intermediates = Vec::new();
		let (loss, gradients) = self.loss_and_gradients(Some(&mut intermediates))?;
		let mut tensors = Vec::new();
		for intermediate in &intermediates {
			tensors.push((intermediate.shape.clone(), to_host(&intermediate.values)?.1));
		}
		tensors.push(to_host(&loss)?);
		let shapes = self.model.network.layer_shapes();
		tensors.extend(layers_to_host(&gradients, &shapes)?);
		self.update(gradients);
		tensors.extend(layers_to_host(&self.model.layers, &shapes)?);
		Ok(tensors)
	}

	/// The loss and gradients on the batch of the current step (see
	/// [`Model::loss_and_gradients`] for `intermediates`).
	fn loss_and_gradients(
		&mut self,
		intermediates: Option<&mut Vec<Intermediate>>,
	) -> Result<(Tensor<1>, Vec<Layer>), TrainError> {
		if self.is_finished() {
			return Err(TrainError::Finished(self.spec.training.steps));
		}
		let batch = self.order.batch(self.step, self.spec.training.batch_size);
		let classes = self.model.network.outputs();
		let (input, targets) = examples(&self.model.network, self.dataset, &batch, &self.device);
		let mut one_hot = vec![0f32; targets.len() * classes];
		for (row, &target) in targets.iter().enumerate() {
			one_hot[row * classes + usize::from(target)] = 1.0;
		}
		let shape = [targets.len(), classes];
		let targets = Tensor::from_data(TensorData::new(one_hot, shape), &self.device);
		self.model
			.loss_and_gradients(input, targets, intermediates)
			.ok_or_else(|| TrainError::Backend("a parameter received no gradient".into()))
	}

	/// Applies `gradients` with the optimizer: the current step is taken.
	fn update(&mut self, gradients: Vec<Layer>) {
		self.optimizer.step(&mut self.model, gradients);
		self.step += 1;
	}

	fn contents(&self) -> Result<Contents, TrainError> {
		capture(self.kind, self.step, &self.model, &self.optimizer)
	}

	/// The canonical checkpoint of the current state.
	pub fn checkpoint(&self) -> Result<Checkpoint, TrainError> {
		Ok(Checkpoint::from_contents(&self.contents()?))
	}

	/// Accuracy and loss of the current model on the dataset's held-out samples.
	pub fn evaluate(&self) -> Result<Accuracy, TrainError> {
		let held_out: Vec<usize> = self.dataset.held_out().collect();
		let network = &self.model.network;
		let classes = network.outputs();
		let (mut correct, mut total, mut loss) = (0u32, 0u32, 0f64);
		for chunk in held_out.chunks((EVAL_CHUNK / network.predictions()).max(1)) {
			let (input, targets) = examples(network, self.dataset, chunk, &self.device);
			let logits = self.model.forward(input).try_into_data().map_err(backend_error)?;
			let logits = logits.as_slice::<f32>().map_err(backend_error)?;
			for (row, &target) in logits.chunks_exact(classes).zip(&targets) {
				let target = usize::from(target);
				let predicted =
					(1..classes).fold(0, |best, c| if row[c] > row[best] { c } else { best });
				// Saturating: a dataset of tens of GB holds more predictions than a `u32` counts.
				correct = correct.saturating_add(u32::from(predicted == target));
				loss += cross_entropy(row, target);
			}
			total = total.saturating_add(u32::try_from(targets.len()).unwrap_or(u32::MAX));
		}
		let loss = if total == 0 { 0.0 } else { loss / f64::from(total) };
		Ok(Accuracy { correct, total, loss })
	}
}

/// `−log softmax(logits)[target]` in `f64`, shifted by the largest logit so that no `exp`
/// overflows.
fn cross_entropy(logits: &[f32], target: usize) -> f64 {
	let max = logits.iter().fold(f64::NEG_INFINITY, |max, &l| max.max(f64::from(l)));
	let sum: f64 = logits.iter().map(|&l| (f64::from(l) - max).exp()).sum();
	max + sum.ln() - f64::from(logits[target])
}
