//! `sglang-bot dashboard` (issue #19): one static page of the AMD CI — a grid of workflows ×
//! days, the open failures with their streaks and flakiness, what is new and fixed today — and
//! the same data as `data.json`. Pure: the command reads GitHub, this computes and renders.

pub mod build;
pub mod data;
pub mod html;
