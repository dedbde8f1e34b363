//! Go's channels: `bounded(cap)` (0 = unbuffered rendezvous), MPMC, with `select!`.
