//! A seeded economic and security simulation of Cairn's verification protocol.
//!
//! # The model
//!
//! A submitter escrows a reward `R` for a training run of `S` segments; an honest solver spends
//! `C` per segment and posts a bond `b·R`. The chain draws `v` verifiers and deals each `s`
//! distinct segments (the first also checks the endpoints and the last segment). Each verifier
//! reveals, per target, whether the solver's leaf matches what it computed and, for a segment, a
//! *witness*: the hash of an intermediate value of the segment's last step, which the solver never
//! serves, so only a verifier that computed can produce it. A verifier whose registration secret
//! makes `H(secret, task) < p_f` must reveal a deliberately wrong witness on one of its targets (a
//! *forced error*).
//!
//! Every `Disagree` opens a bisection game that the solver defends (steps, then one step's trace,
//! then an arbitration committee of `a` that re-executes one operation); a target the solver
//! cannot serve or prove is refuted. In a challenge window, bonded whistleblowers re-execute
//! verifiers' checks and challenge wrong values: a forced error pays a jackpot `J` from a pot fed
//! by a tax `t·R` on every task, a real error is settled by a game that slashes the verifier (and
//! refutes the solver's leaf when that was wrong), and a wrong challenge loses its bond `B_w`.
//!
//! Each role's strategies (see [`strategy`]) are simulated over many seeded tasks against honest
//! play, alone and in coalitions; every payment goes through a per-task [`task::Ledger`], so
//! funds are conserved by construction and checked. Profit is money received less compute spent
//! (plus, for the submitter, the value of a correct model), per task.
//!
//! # What it leaves out
//!
//! Time (windows, reopened tasks, the cost of capital locked in bonds), stake weighting and
//! pool sizes (colluders are placed among the drawn verifiers directly), repeated recheck rounds
//! (one fresh honest verifier rechecks a target whose verifier was silent or gave up its
//! dispute), arbiters' fees beyond their compute, and the on-chain cost of anything but dispute
//! moves.

pub mod game;
pub mod policy;
pub mod report;
pub mod rng;
pub mod run;
pub mod sampling;
pub mod strategy;
pub mod task;
