//! The binary's global allocator: mimalloc, ending the run with a clear error when memory runs
//! out instead of aborting.
//!
//! Stable Rust aborts the process when an allocation fails ("memory allocation of N bytes
//! failed", SIGABRT). Under an address-space limit (`ulimit -v`, a container's memory limit) that
//! is what a user meets on a huge module. [`Allocator`] passes every call to mimalloc; when
//! mimalloc returns null it writes one line naming what the thread was working on (the file being
//! parsed, the module being evaluated: [`working_on`]) and the address-space limit, and ends the
//! process with exit code 2, without allocating and without flushing half-written output.
//!
//! What a thread works on is kept in a fixed-size thread-local buffer (no allocation, no lock):
//! setting it costs a copy of the path, once per unit and once per parsed file.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};

/// mimalloc with a clear error instead of an abort on allocation failure.
pub struct Allocator;

// SAFETY: every call is forwarded unchanged to mimalloc; a null result never returns.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = mimalloc::MiMalloc.alloc(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }
    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = mimalloc::MiMalloc.alloc_zeroed(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        mimalloc::MiMalloc.dealloc(ptr, layout)
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = mimalloc::MiMalloc.realloc(ptr, layout, new_size);
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// mimalloc's `mi_option_purge_delay` (the index in the 2.x `mi_option_t` enum, pinned by
/// Cargo.lock; a test checks that this option has the 2.x default, 10 ms).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// How long freed memory is kept before it is given back to the system, in milliseconds.
/// mimalloc's 10 ms gives memory back and takes it again many times a run: the kernel zeroes
/// each page taken again, which was 6 % of the CPU time on 20 copies of the public corpus.
/// 100 ms takes 7 % less CPU time there, for 13 MiB more at the peak (docs/performance.md).
pub const PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Sets the allocator's options, before the run allocates much: [`PURGE_DELAY_MS`], unless
/// `MIMALLOC_PURGE_DELAY` is set in the environment (mimalloc reads it itself).
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: plain C calls with an option index of the linked mimalloc and an integer.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}

const LABEL: usize = 512;

/// A short text in a fixed buffer.
struct Label {
    buf: [u8; LABEL],
    len: usize,
}

impl Label {
    const EMPTY: Label = Label {
        buf: [0; LABEL],
        len: 0,
    };
    fn set(&mut self, parts: &[&str]) {
        self.len = 0;
        for p in parts {
            let n = p.len().min(LABEL - self.len);
            self.buf[self.len..self.len + n].copy_from_slice(&p.as_bytes()[..n]);
            self.len += n;
        }
    }
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

thread_local! {
    /// The unit (module directory) this thread evaluates.
    static UNIT: RefCell<Label> = const { RefCell::new(Label::EMPTY) };
    /// The file this thread parses (empty between files).
    static FILE: RefCell<Label> = const { RefCell::new(Label::EMPTY) };
}

/// What the current thread works on, for the out-of-memory error.
pub enum Work<'a> {
    /// Evaluating and checking the module in this directory (as displayed).
    Unit(&'a str),
    /// Parsing this file (as displayed); `None`: done parsing.
    File(Option<&'a str>),
}

/// Records what the current thread works on (see [`Work`]).
pub fn working_on(w: Work<'_>) {
    match w {
        Work::Unit(dir) => {
            let _ = UNIT.try_with(|u| u.borrow_mut().set(&[dir]));
            let _ = FILE.try_with(|f| f.borrow_mut().set(&[]));
        }
        Work::File(f) => {
            let _ = FILE.try_with(|l| l.borrow_mut().set(&[f.unwrap_or("")]));
        }
    }
}

/// Records that the current thread parses `file` until the guard is dropped.
pub fn parsing(file: &str) -> Parsing {
    working_on(Work::File(Some(file)));
    Parsing
}

/// See [`parsing`].
pub struct Parsing;

impl Drop for Parsing {
    fn drop(&mut self) {
        working_on(Work::File(None));
    }
}

static FAILED: AtomicBool = AtomicBool::new(false);

/// Writes the error and ends the process (exit 2). Allocates nothing.
#[cold]
fn out_of_memory(size: usize) -> ! {
    if FAILED.swap(true, Ordering::SeqCst) {
        // Another thread is reporting; it ends the process.
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
    let mut msg = Msg::default();
    msg.push(b"error: policy-lint ran out of memory");
    let mut named = false;
    let _ = FILE.try_with(|f| {
        if let Ok(f) = f.try_borrow() {
            if f.len > 0 {
                msg.push(b" while parsing `");
                msg.push(f.bytes());
                msg.push(b"`");
                named = true;
            }
        }
    });
    let _ = UNIT.try_with(|u| {
        if let Ok(u) = u.try_borrow() {
            if u.len > 0 {
                msg.push(if named {
                    b" (module `".as_slice()
                } else {
                    b" while evaluating the module `".as_slice()
                });
                msg.push(u.bytes());
                msg.push(if named { b"`)".as_slice() } else { b"`" });
                named = true;
            }
        }
    });
    if !named {
        msg.push(b" (not while parsing or evaluating a module)");
    }
    msg.push(b": an allocation of ");
    msg.num(size as u64);
    msg.push(b" bytes failed");
    match address_space_limit() {
        Some(limit) => {
            msg.push(b" under an address-space limit of ");
            msg.num(limit / (1024 * 1024));
            msg.push(b" MiB (`ulimit -v`: ");
            msg.num(limit / 1024);
            msg.push(b" KiB). Raise the limit, or check fewer or smaller modules at once.\n");
        }
        None => msg.push(b" (no address-space limit is set: the system is out of memory).\n"),
    }
    write_stderr(msg.bytes());
    exit2()
}

/// A message in a fixed buffer (longer ones are cut).
struct Msg {
    buf: [u8; 1536],
    len: usize,
}

impl Default for Msg {
    fn default() -> Msg {
        Msg {
            buf: [0; 1536],
            len: 0,
        }
    }
}

impl Msg {
    fn push(&mut self, b: &[u8]) {
        let n = b.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }
    fn num(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }
    fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(unix)]
fn address_space_limit() -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } == 0;
    // rlim_t is u64 on Linux and macOS; the cast is for the platforms where it is not.
    #[allow(clippy::unnecessary_cast)]
    let cur = r.rlim_cur as u64;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(cur)
}

#[cfg(not(unix))]
fn address_space_limit() -> Option<u64> {
    None
}

#[cfg(unix)]
fn write_stderr(mut b: &[u8]) {
    while !b.is_empty() {
        // SAFETY: writes from a valid buffer to fd 2.
        let n = unsafe { libc::write(2, b.as_ptr().cast(), b.len()) };
        if n <= 0 {
            return;
        }
        b = &b[n as usize..];
    }
}

#[cfg(not(unix))]
fn write_stderr(b: &[u8]) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(b);
}

#[cfg(unix)]
fn exit2() -> ! {
    // SAFETY: ends the process at once: no atexit handlers, no flush of half-written output.
    unsafe { libc::_exit(2) }
}

#[cfg(not(unix))]
fn exit2() -> ! {
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_index_names_mimalloc_2_purge_delay() {
        // Nothing in the test binary calls `configure`: the option has its default, 10 ms in
        // mimalloc 2.x (1,000 ms in 3.x). Another value means the index names another option.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, 10);
        }
    }

    #[test]
    fn labels_and_numbers_fit_their_buffers() {
        let mut l = Label::EMPTY;
        l.set(&["a/b", "/main.tf"]);
        assert_eq!(l.bytes(), b"a/b/main.tf");
        let long = "x".repeat(2 * LABEL);
        l.set(&[&long]);
        assert_eq!(l.len, LABEL);
        let mut m = Msg::default();
        m.num(0);
        m.push(b" ");
        m.num(u64::MAX);
        assert_eq!(m.bytes(), b"0 18446744073709551615");
        for _ in 0..10 {
            m.push(&[b'y'; 400]);
        }
        assert_eq!(m.len, m.buf.len());
    }
}
