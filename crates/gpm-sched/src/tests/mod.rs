//! The crate's in-crate tests of internal modules: the loom models, which call the real
//! protocol functions (not copies of them), and small unit tests of private types.
//!
//! The loom models (`loom_*.rs`, one per protocol) are built only under `--cfg gpm_loom`,
//! where the crate's `sync` shim hands the modelled modules loom's atomics, `Thread` and
//! `park`; every other unit test of the crate is built only without it (a loom primitive
//! used outside `loom::model` panics). Run them as `.ci/run` does:
//! `RUSTFLAGS="--cfg gpm_loom" LOOM_MAX_PREEMPTIONS=2 CARGO_TARGET_DIR=target/loom
//! cargo test --release -p gpm-sched --lib`. Each file's header says what it models, what it
//! leaves out, and which deliberate break of the protocol it was seen to catch.

#[cfg(gpm_loom)]
mod loom_joinstate;
#[cfg(gpm_loom)]
mod loom_ownership;
#[cfg(gpm_loom)]
mod loom_park;
#[cfg(gpm_loom)]
mod loom_sema;
#[cfg(gpm_loom)]
mod loom_spinning;
#[cfg(not(gpm_loom))]
mod steal_order;
