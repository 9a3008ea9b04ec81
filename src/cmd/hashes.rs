//! The hashes command family.
use super::Handler;

pub static COMMANDS: &[(&str, Handler)] = &[];
