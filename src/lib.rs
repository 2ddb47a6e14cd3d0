//! policy-lint: a policy-as-code checker for Databricks-on-AWS security configuration.
//!
//! Pipeline: discover -> parse -> evaluate -> model -> rules -> findings -> emit.
//! See ARCHITECTURE.md for the module map.

pub mod finding;
pub mod json;
pub mod source;
pub mod value;
pub mod eval;
pub mod parse;
pub mod checks;
pub mod discover;
pub mod suppress;
pub mod kms;
pub mod cli;
pub mod config;
pub mod engine;
pub mod output;
pub mod registry;
