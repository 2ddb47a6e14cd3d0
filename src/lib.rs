//! policy-lint: a policy-as-code checker for Databricks-on-AWS security configuration.
//!
//! Pipeline: discover -> parse -> evaluate -> model -> rules -> findings -> emit.
//! See ARCHITECTURE.md for the module map.

pub mod alloc;
pub mod baseline;
pub mod checks;
pub mod cli;
pub mod config;
pub mod discover;
pub mod doclinks;
pub mod edit;
pub mod egress_report;
pub mod engine;
pub mod eval;
pub mod finding;
pub mod fix;
pub mod hash;
pub mod help;
pub mod json;
pub mod kms;
pub mod objmap;
pub mod output;
pub mod parse;
pub mod parse_large;
pub mod paths;
pub mod plan;
pub mod registry;
pub mod rules_table;
pub mod ruletest;
pub mod skim;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod term;
pub mod tfjson;
pub mod tree;
pub mod value;
pub mod version;
pub mod workers;
