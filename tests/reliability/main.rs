//! Faults injected into a running Waymark, each run checked end to end and its figures recorded
//! (`tests::evidence`): the broker crashing and a cluster's stream leader killed under a stream of
//! commands, writers racing on every supported server, the read side killed again and again, and
//! its disk filling up. `WAYMARK_RELIABILITY=long` (as `make reliability` sets) runs the long
//! versions.

mod broker;
mod commands;
mod disk;
mod races;
mod read_side;
