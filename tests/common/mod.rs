//! Helpers shared by the integration tests that use tools from outside the Rust toolchain
//! (actionlint, zizmor, python3 with xmlschema, pre-commit's dependencies). `.ci/run` installs
//! them; on a developer's machine a missing tool skips the test with a message, but under
//! `CI=true` it fails the test, so that CI never passes by skipping.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `program args...` runs and exits 0.
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `true` when the tool is there. Otherwise: under `CI=true` the test fails, naming how to
/// install the tool; elsewhere it prints why the test is skipped and returns `false`.
pub fn require(available: bool, what: &str, install: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required under CI=true (.ci/run installs it): {install}");
    }
    eprintln!("skipped: {what} is not installed ({install}; under CI=true this fails)");
    false
}

/// python3 with the given module importable.
pub fn python_module(module: &str) -> bool {
    runs("python3", &["-c", &format!("import {module}")])
}

/// A static HTTP server on 127.0.0.1 for the tests of the Action's downloads: serves `files`
/// (path → body; anything else is 404), records the paths asked for, and stops by itself after
/// `MAX_REQUESTS` requests or `LIFETIME`, whichever comes first, or when dropped.
pub struct LocalServer {
    pub base: String,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const MAX_REQUESTS: usize = 200;
const LIFETIME: std::time::Duration = std::time::Duration::from_secs(120);

impl LocalServer {
    pub fn start(files: std::collections::HashMap<String, Vec<u8>>) -> LocalServer {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (reqs, halt) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut served = 0;
            while !halt.load(Ordering::Relaxed)
                && served < MAX_REQUESTS
                && started.elapsed() < LIFETIME
            {
                let (stream, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        continue;
                    }
                    Err(_) => break,
                };
                served += 1;
                stream.set_nonblocking(false).ok();
                stream
                    .set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .ok();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Skip the headers.
                loop {
                    let mut h = String::new();
                    match reader.read_line(&mut h) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if h == "\r\n" || h == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                reqs.lock().unwrap().push(path.clone());
                let key = path.split('?').next().unwrap_or("").to_string();
                let body = files.get(&path).or_else(|| files.get(&key));
                let mut stream = reader.into_inner();
                let (status, body) = match body {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        LocalServer {
            base,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    pub fn asked(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A temporary directory with a `.git` directory: it stops configuration discovery and gives a
/// run its repository root.
pub fn repo_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(d.path().join(".git")).unwrap();
    d
}

/// Writes `text` to `dir/name`, creating the directories on the way.
pub fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

/// The exit code of a finished process.
pub fn code(o: &std::process::Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A policy that allows all serverless egress: NET002 (error) in production.
pub const BAD_TF: &str = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "FULL_ACCESS"
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "p" {
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}
"#;

/// The same policy, restricted: no findings.
pub const GOOD_TF: &str = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "p" {
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}
"#;
