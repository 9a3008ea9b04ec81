//! The slow log (slowlog.c): commands that ran at least `slowlog-log-slower-than` microseconds, newest first,
//! at most `slowlog-max-len` of them.
use std::collections::VecDeque;

use bytes::Bytes;

/// SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING: what an entry keeps of a command.
const MAX_ARGC: usize = 32;
const MAX_STRING: usize = 128;

pub struct Entry {
    pub id: u64,
    /// Unix seconds.
    pub time: i64,
    /// Microseconds.
    pub duration: u64,
    pub args: Vec<Bytes>,
    pub peer: String,
    pub name: Bytes,
}

#[derive(Default)]
pub struct SlowLog {
    /// Newest first.
    pub entries: VecDeque<Entry>,
    next_id: u64,
}

impl SlowLog {
    /// slowlogCreateEntry for a command that ran `duration` µs (the caller checked it is slow enough):
    /// `args` as the client sent them, with the positions in `redacted` shown as `(redacted)`.
    pub fn push(
        &mut self,
        duration: u64,
        args: &[Bytes],
        redacted: &[usize],
        peer: &str,
        name: Option<&Bytes>,
        now_secs: i64,
    ) {
        let n = args.len().min(MAX_ARGC);
        let mut kept = Vec::with_capacity(n);
        for (j, a) in args.iter().take(n).enumerate() {
            kept.push(if n != args.len() && j == n - 1 {
                Bytes::from(format!("... ({} more arguments)", args.len() - n + 1))
            } else if redacted.contains(&j) {
                Bytes::from_static(b"(redacted)")
            } else if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                Bytes::from(s)
            } else {
                // A copy: the argument may share its buffer with the rest of the client's input.
                Bytes::copy_from_slice(a)
            });
        }
        self.entries.push_front(Entry {
            id: self.next_id,
            time: now_secs,
            duration,
            args: kept,
            peer: peer.to_string(),
            name: name.cloned().unwrap_or_default(),
        });
        self.next_id += 1;
    }

    /// The oldest entries beyond `max_len` go (after every command, as slowlogPushEntryIfNeeded).
    pub fn trim(&mut self, max_len: usize) {
        self.entries.truncate(max_len);
    }
}
