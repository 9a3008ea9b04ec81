//! redis-check-rdb's report: what Redis prints after a file fails to load at start-up (rdbReportError runs
//! the checker over the file), so operators and Redis's suite see the same lines.
use crate::persist::rdb::{self, RdbError, Reader};
use crate::util::num::c_string;

/// rdb_type_string of redis-check-rdb (7.0): the name of each object type.
const TYPE_NAMES: [&str; 19] = [
    "string",
    "list-linked",
    "set-hashtable",
    "zset-v1",
    "hash-hashtable",
    "zset-v2",
    "module-value",
    "",
    "",
    "hash-zipmap",
    "list-ziplist",
    "set-intset",
    "zset-ziplist",
    "hash-ziplist",
    "quicklist",
    "stream",
    "hash-listpack",
    "zset-listpack",
    "quicklist-v2",
];

/// What the checker was doing when it stopped (rdb_check_doing_string).
#[derive(Clone, Copy)]
enum Doing {
    ReadType,
    ReadExpire,
    ReadKey,
    ReadObjectValue,
    CheckSum,
    ReadLen,
    ReadAux,
}

impl Doing {
    fn name(self) -> &'static str {
        match self {
            Doing::ReadType => "read-type",
            Doing::ReadExpire => "read-expire",
            Doing::ReadKey => "read-key",
            Doing::ReadObjectValue => "read-object-value",
            Doing::CheckSum => "check-sum",
            Doing::ReadLen => "read-len",
            Doing::ReadAux => "read-aux",
        }
    }
}

/// The checker's state (rdbstate).
struct State<'a> {
    r: Reader<'a>,
    out: String,
    doing: Doing,
    key: Option<Vec<u8>>,
    key_type: Option<u8>,
    keys: u64,
    expires: u64,
    already_expired: u64,
}

impl State<'_> {
    /// rdbCheckInfo.
    fn info(&mut self, msg: &str) {
        self.out
            .push_str(&format!("[offset {}] {msg}\n", self.r.position()));
    }

    /// rdbCheckError, with rdbShowGenericInfo.
    fn error(&mut self, msg: &str) {
        self.out.push_str("--- RDB ERROR DETECTED ---\n");
        self.out
            .push_str(&format!("[offset {}] {msg}\n", self.r.position()));
        self.out.push_str(&format!(
            "[additional info] While doing: {}\n",
            self.doing.name()
        ));
        if let Some(k) = &self.key {
            self.out.push_str(&format!(
                "[additional info] Reading key '{}'\n",
                String::from_utf8_lossy(k)
            ));
        }
        if let Some(t) = self.key_type {
            let name = TYPE_NAMES.get(t as usize).copied().unwrap_or("unknown");
            self.out
                .push_str(&format!("[additional info] Reading type {t} ({name})\n"));
        }
        self.out.push_str(&format!(
            "[info] {} keys read\n[info] {} expires\n[info] {} already expired\n",
            self.keys, self.expires, self.already_expired
        ));
    }
}

/// The report redis-check-rdb prints for `data` (the file `name`); `error` is the loader's message, shown
/// where the checker stops on a corrupt value (rdbReportError hands it over); `checksum` as `rdbchecksum`.
pub fn report(data: &[u8], name: &str, error: &str, now_ms: i64, checksum: bool) -> String {
    let mut s = State {
        r: Reader::new(data),
        out: String::new(),
        doing: Doing::ReadType,
        key: None,
        // rdbstate is zeroed static memory: type 0 until the first key is done.
        key_type: Some(0),
        keys: 0,
        expires: 0,
        already_expired: 0,
    };
    s.info(&format!("Checking RDB file {name}"));
    match run(&mut s, data, now_ms, checksum) {
        Ok(()) => {}
        Err(Stop::Error(msg)) => s.error(&msg),
        Err(Stop::Read(e)) if e == rdb::UNEXPECTED_END => {
            s.error("Unexpected EOF reading RDB file")
        }
        Err(Stop::Read(_)) => s.error(error),
    }
    s.out
}

enum Stop {
    /// rdbCheckError with its own message.
    Error(String),
    /// A read failed (the loader's error, or the end of the data).
    Read(RdbError),
}

impl From<RdbError> for Stop {
    fn from(e: RdbError) -> Stop {
        Stop::Read(e)
    }
}

/// redis_check_rdb's loop.
fn run(s: &mut State, data: &[u8], now_ms: i64, checksum: bool) -> Result<(), Stop> {
    let header = s.r.bytes(9)?;
    if &header[..5] != b"REDIS" {
        return Err(Stop::Error(
            "Wrong signature trying to load DB from file".into(),
        ));
    }
    let version = crate::util::num::c_strtol(&header[5..]);
    if !(1..=rdb::RDB_VERSION as i64).contains(&version) {
        return Err(Stop::Error(format!(
            "Can't handle RDB format version {version}"
        )));
    }
    let mut expire: Option<i64> = None;
    loop {
        s.doing = Doing::ReadType;
        let ty = s.r.u8()?;
        match ty {
            rdb::OPCODE_EXPIRETIME | rdb::OPCODE_EXPIRETIME_MS => {
                s.doing = Doing::ReadExpire;
                expire = Some(s.r.expire_ms(ty)?);
                continue;
            }
            rdb::OPCODE_FREQ => {
                s.r.u8()?;
                continue;
            }
            rdb::OPCODE_IDLE => {
                s.r.read_len()?;
                continue;
            }
            rdb::OPCODE_EOF => break,
            rdb::OPCODE_SELECTDB => {
                s.doing = Doing::ReadLen;
                let id = s.r.read_len()?;
                s.info(&format!("Selecting DB ID {id}"));
                continue;
            }
            rdb::OPCODE_RESIZEDB => {
                s.doing = Doing::ReadLen;
                s.r.read_len()?;
                s.r.read_len()?;
                continue;
            }
            rdb::OPCODE_AUX => {
                s.doing = Doing::ReadAux;
                let k = s.r.read_string()?;
                let v = s.r.read_string()?;
                // printf's %s stops at a NUL.
                let cut = |b: &[u8]| String::from_utf8_lossy(c_string(b)).into_owned();
                s.info(&format!("AUX FIELD {} = '{}'", cut(&k), cut(&v)));
                continue;
            }
            _ => {}
        }
        let known = TYPE_NAMES.get(ty as usize).is_some_and(|n| !n.is_empty()) || ty == 19;
        if !known {
            return Err(Stop::Error(format!("Invalid object type: {ty}")));
        }
        s.key_type = Some(ty);
        s.doing = Doing::ReadKey;
        let key = s.r.read_string()?;
        s.key = Some(key);
        s.keys += 1;
        s.doing = Doing::ReadObjectValue;
        s.r.read_object_body(ty)?;
        if let Some(t) = expire.take() {
            s.expires += 1;
            if t < now_ms {
                s.already_expired += 1;
            }
        }
        s.key = None;
        s.key_type = None;
    }
    if version >= 5 && checksum {
        let covered = s.r.position();
        s.doing = Doing::CheckSum;
        let stored = s.r.checksum()?;
        if stored == 0 {
            s.info("RDB file was saved with checksum disabled: no check performed.");
        } else if stored != rdb::crc64(&data[..covered]) {
            return Err(Stop::Error("RDB CRC error".into()));
        } else {
            s.info("Checksum OK");
        }
    }
    Ok(())
}
