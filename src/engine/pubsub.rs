//! Pub/sub registry: channels and patterns -> subscribed clients, and message fan-out with buffer limits.
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use indexmap::IndexMap;

use crate::engine::client::ClientHandle;
use crate::resp::Out;
use crate::util::HashMap;

/// A subscriber: where to send, and which protocol to encode messages in.
#[derive(Clone)]
pub struct Subscriber {
    pub handle: Arc<ClientHandle>,
    pub resp: u8,
}

#[derive(Default)]
pub struct Registry {
    /// channel -> subscribers in subscription order
    pub channels: HashMap<Bytes, IndexMap<u64, Subscriber>>,
    /// pattern -> subscribers
    pub patterns: IndexMap<Bytes, IndexMap<u64, Subscriber>>,
}

/// The subscribers that still count: a client killed for its output buffer limit is gone for Redis before the
/// next command runs; here its connection task removes it a moment later (CLIENT KILL removes it at once).
pub fn live(subs: &IndexMap<u64, Subscriber>) -> impl Iterator<Item = &Subscriber> {
    subs.values().filter(|s| !s.handle.is_killed())
}

fn encode(resp: u8, parts: &[&[u8]]) -> Bytes {
    let mut o = Out {
        buf: BytesMut::with_capacity(64 + parts.iter().map(|p| p.len() + 16).sum::<usize>()),
        resp,
    };
    o.push(parts.len());
    for p in parts {
        o.bulk(p);
    }
    o.buf.freeze()
}

impl Registry {
    /// Adds (or updates) a subscription; true if it is new.
    pub fn subscribe(&mut self, channel: Bytes, sub: Subscriber) -> bool {
        let id = sub.handle.id;
        self.channels
            .entry(channel)
            .or_default()
            .insert(id, sub)
            .is_none()
    }
    pub fn unsubscribe(&mut self, channel: &[u8], id: u64) -> bool {
        let Some(m) = self.channels.get_mut(channel) else {
            return false;
        };
        let removed = m.shift_remove(&id).is_some();
        if m.is_empty() {
            self.channels.remove(channel);
        }
        removed
    }
    pub fn psubscribe(&mut self, pattern: Bytes, sub: Subscriber) -> bool {
        let id = sub.handle.id;
        self.patterns
            .entry(pattern)
            .or_default()
            .insert(id, sub)
            .is_none()
    }
    pub fn punsubscribe(&mut self, pattern: &[u8], id: u64) -> bool {
        let Some(m) = self.patterns.get_mut(pattern) else {
            return false;
        };
        let removed = m.shift_remove(&id).is_some();
        if m.is_empty() {
            self.patterns.shift_remove(pattern);
        }
        removed
    }

    /// Number of patterns with at least one subscriber (PUBSUB NUMPAT).
    pub fn numpat(&self) -> usize {
        self.patterns
            .values()
            .filter(|subs| live(subs).next().is_some())
            .count()
    }

    /// Live subscribers of a channel (see `live`).
    pub fn numsub(&self, channel: &[u8]) -> usize {
        self.channels
            .get(channel)
            .map(|subs| live(subs).count())
            .unwrap_or(0)
    }

    /// Delivers a message; returns how many clients received it (PUBLISH's reply).
    pub fn publish(
        &self,
        channel: &[u8],
        message: &[u8],
        limit: (u64, u64, u64),
        now: i64,
    ) -> usize {
        let mut n = 0;
        // One encoding per protocol version, shared by all subscribers.
        let mut enc: [Option<Bytes>; 2] = [None, None];
        if let Some(subs) = self.channels.get(channel) {
            for s in live(subs) {
                let slot = (s.resp >= 3) as usize;
                let msg = enc[slot]
                    .get_or_insert_with(|| encode(s.resp, &[b"message", channel, message]))
                    .clone();
                s.handle.send(msg, Some(limit), now);
                n += 1;
            }
        }
        for (pat, subs) in &self.patterns {
            if !crate::util::glob::glob_match(pat, channel, false) {
                continue;
            }
            let mut penc: [Option<Bytes>; 2] = [None, None];
            for s in live(subs) {
                let slot = (s.resp >= 3) as usize;
                let msg = penc[slot]
                    .get_or_insert_with(|| encode(s.resp, &[b"pmessage", pat, channel, message]))
                    .clone();
                s.handle.send(msg, Some(limit), now);
                n += 1;
            }
        }
        n
    }
}
