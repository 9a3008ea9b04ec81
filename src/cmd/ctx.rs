//! The context a handler runs in: the keyspace door, the calling client, its reply, the command's clock and
//! how it asks to be propagated.
use crate::engine::client::Client;
use crate::engine::keys::Keys;
use crate::engine::Store;
use crate::resp::Out;

/// Everything a handler may touch: the keyspace through `keys` (registries through `engine()`), the calling
/// client, its reply.
pub struct Ctx<'a> {
    /// The door to the keyspace of the client's database, and through `engine()` to the registries.
    pub keys: Keys<'a>,
    pub client: &'a mut Client,
    pub out: &'a mut Out,
    /// The command's clock, fixed for its whole run (as Redis caches mstime per command).
    pub now: i64,
    /// How the command asks to be propagated, if not as sent.
    pub prop: crate::engine::journal::Propagation,
}

impl<'a> Ctx<'a> {
    /// Propagate `parts` instead of the command as sent (rewriteClientCommandVector). Nothing is built while
    /// no replica (or AOF) consumes the stream.
    pub fn rewrite(&mut self, parts: &[&[u8]]) {
        if self.keys.engine().journal.is_active() {
            self.prop.rewrite = Some(crate::engine::journal::argv(parts));
        }
    }

    /// Whether anything consumes the stream, for handlers whose rewrite needs formatting (counts, times) that
    /// must not be done while nothing is propagated.
    #[inline]
    pub fn propagating(&mut self) -> bool {
        self.keys.engine().journal.is_active()
    }

    /// Propagates `parts` as a command of its own, before the command itself (alsoPropagate).
    pub fn also(&mut self, parts: &[&[u8]]) {
        let db = self.client.db;
        let journal = &mut self.keys.engine().journal;
        if journal.is_active() {
            journal.propagate(db, crate::engine::journal::argv(parts));
        }
    }

    /// Propagate a deletion of `key` instead of the command (a key set to an expire time already past).
    pub fn propagate_deletion(&mut self, key: &[u8]) {
        let del = self.keys.engine().expired_deletion_command();
        self.rewrite(&[del, key]);
    }

    /// The engine's registries, configuration and statistics.
    #[inline]
    pub fn engine(&mut self) -> &mut Store {
        self.keys.engine()
    }
}
