//! The run's worker threads.

/// The worker threads of runs with `threads` threads (0: one per core), built on first use and
/// kept for the process: the evaluation, discovery's sort and the rendering of the report all
/// run on them. Threads started late would each take fresh memory from the allocator (the
/// kernel zeroes it) and would not follow `--threads`, as rayon's global pool did for the
/// report until issue 19.
pub fn pool(threads: usize) -> Result<&'static rayon::ThreadPool, String> {
    static POOLS: std::sync::Mutex<Vec<(usize, &'static rayon::ThreadPool)>> =
        std::sync::Mutex::new(Vec::new());
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(p);
    }
    let p = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        // Evaluation recurses (expressions up to parse::MAX_HCL_DEPTH, references up to
        // eval::limits::MAX_EVAL_DEPTH); tests/robustness.rs drives both to their limits in the
        // unoptimised build. Reserved, not used: but a reservation counts against an address-space
        // limit (`ulimit -v`), once per thread, so it is no larger than needed (256 MiB until
        // issue 19).
        .stack_size(64 * 1024 * 1024)
        .build()
        .map_err(|e| e.to_string())?;
    let p: &'static rayon::ThreadPool = Box::leak(Box::new(p));
    pools.push((threads, p));
    Ok(p)
}
