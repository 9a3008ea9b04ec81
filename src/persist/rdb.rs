//! Redis's RDB object encoding (rdb.c, RDB version 10 = Redis 7.0) for single values: lengths, strings (int
//! encodings, LZF), and every collection encoding 7.0 writes, plus the older ones it still loads. These are
//! pure functions over plain vectors, independent of our in-memory collection types, so DUMP/RESTORE and a
//! future RDB file writer/loader share them.
use super::{intset, listpack, lzf, ziplist, zipmap};
use crate::util::num::parse_i64;

/// RDB format version written by Redis 7.0.
pub const RDB_VERSION: u16 = 10;

pub const TYPE_STRING: u8 = 0;
pub const TYPE_LIST: u8 = 1;
pub const TYPE_SET: u8 = 2;
pub const TYPE_ZSET: u8 = 3;
pub const TYPE_HASH: u8 = 4;
pub const TYPE_ZSET_2: u8 = 5;
/// Pre-2.6 hashes: loaded, never written.
pub const TYPE_HASH_ZIPMAP: u8 = 9;
pub const TYPE_LIST_ZIPLIST: u8 = 10;
pub const TYPE_SET_INTSET: u8 = 11;
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
pub const TYPE_HASH_ZIPLIST: u8 = 13;
pub const TYPE_LIST_QUICKLIST: u8 = 14;
pub const TYPE_HASH_LISTPACK: u8 = 16;
pub const TYPE_ZSET_LISTPACK: u8 = 17;
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;
/// Redis 7.2's listpack set: not written by 7.0, accepted on load.
pub const TYPE_SET_LISTPACK: u8 = 20;

const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2).
const QUICKLIST_NODE_PLAIN: u64 = 1;
const QUICKLIST_NODE_PACKED: u64 = 2;

/// A value in the plain form the serializer speaks: no dependency on the keyspace's collection types.
#[derive(Debug, Clone, PartialEq)]
pub enum RdbValue {
    Str(Vec<u8>),
    /// Head to tail.
    List(Vec<Vec<u8>>),
    Set(Vec<Vec<u8>>),
    /// Field/value pairs, in the order the listpack keeps them (insertion order in Redis).
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    /// Member/score pairs (any order: they are sorted by (score, member) when written).
    ZSet(Vec<(Vec<u8>, f64)>),
}

/// Which in-memory encoding a collection has, which decides the RDB type written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// listpack (hash, zset), intset (set: used only if every member is an integer); lists are always a
    /// quicklist of listpacks in 7.0.
    Compact,
    /// hashtable (hash, set), skiplist (zset).
    Full,
}

/// Settings that change the bytes written (CONFIG rdbcompression, list-max-listpack-size).
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    pub compression: bool,
    pub list_max_listpack_size: i64,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            compression: true,
            list_max_listpack_size: -2,
        }
    }
}

/// Why a payload could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError(pub &'static str);

/// The data ended inside a value (a short read, for a file loader).
pub const UNEXPECTED_END: RdbError = RdbError("unexpected end of data");
/// A collection with no elements: Redis 7.0 skips such keys in a file (they came from an old bug).
pub const EMPTY_KEY: RdbError = RdbError("empty key");

type Result<T> = std::result::Result<T, RdbError>;

// ---------------------------------------------------------------------------------------------------------
// Writing

/// rdbSaveLen: 6-bit, 14-bit, 32-bit big endian or 64-bit big endian length.
pub fn save_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[((len >> 8) as u8) | 0x40, len as u8]);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// rdbEncodeInteger: the INT8/16/32 special encodings, `None` beyond 32 bits.
fn encode_integer(v: i64) -> Option<Vec<u8>> {
    if (-(1 << 7)..=(1 << 7) - 1).contains(&v) {
        Some(vec![0xC0 | ENC_INT8, v as u8])
    } else if (-(1 << 15)..=(1 << 15) - 1).contains(&v) {
        let b = (v as i16).to_le_bytes();
        Some(vec![0xC0 | ENC_INT16, b[0], b[1]])
    } else if (-(1i64 << 31)..=(1i64 << 31) - 1).contains(&v) {
        let b = (v as i32).to_le_bytes();
        Some(vec![0xC0 | ENC_INT32, b[0], b[1], b[2], b[3]])
    } else {
        None
    }
}

/// rdbSaveLzfBlob: the LZF marker, compressed and original lengths, the compressed bytes.
fn save_lzf_blob(out: &mut Vec<u8>, compressed: &[u8], original_len: usize) {
    out.push(0xC0 | ENC_LZF);
    save_len(out, compressed.len() as u64);
    save_len(out, original_len as u64);
    out.extend_from_slice(compressed);
}

/// rdbSaveRawString: an integer encoding for short canonical integers, LZF when enabled, the string is
/// longer than 20 bytes and compression saves at least 4 bytes, else length + bytes.
pub fn save_string(out: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= 11 {
        if let Some(enc) = parse_i64(s).and_then(encode_integer) {
            out.extend_from_slice(&enc);
            return;
        }
    }
    if compression && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            save_lzf_blob(out, &c, s.len());
            return;
        }
    }
    save_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// rdbSaveBinaryDoubleValue: IEEE 754 little endian.
fn save_binary_double(out: &mut Vec<u8>, v: f64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// d2string as Redis 7.0 formats zset scores inside a listpack: integers exactly (-0 included, as "0": the
/// integer fast path catches it), else `%.17g`.
pub fn score_to_string(v: f64) -> Vec<u8> {
    if v.is_nan() {
        return b"nan".to_vec();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    if v > -4503599627370495.0 && v < 4503599627370496.0 && v == (v as i64) as f64 {
        return crate::util::num::fmt_i64(v as i64);
    }
    crate::util::num::fmt_g17(v).into_bytes()
}

/// Splits a list into quicklist nodes as a sequence of RPUSHes with `fill` (list-max-listpack-size) would
/// (quicklist.c _quicklistNodeAllowInsert of Redis 7.0).
pub fn quicklist_nodes<T: AsRef<[u8]>>(items: &[T], fill: i64) -> Vec<Vec<u8>> {
    const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SIZE_SAFETY_LIMIT: usize = 8192;
    // SIZE_ESTIMATE_OVERHEAD: Redis's deliberate overestimate of one entry's listpack overhead.
    const OVERHEAD: usize = 8;
    let allow = |node_sz: usize, count: usize, sz: usize| -> bool {
        let new_sz = node_sz + sz + OVERHEAD;
        if fill < 0 {
            let offset = (-fill - 1) as usize;
            if offset < OPTIMIZATION_LEVEL.len() && new_sz <= OPTIMIZATION_LEVEL[offset] {
                return true;
            }
        }
        if new_sz > SIZE_SAFETY_LIMIT {
            return false;
        }
        (count as i64) < fill
    };
    let mut nodes: Vec<(Vec<u8>, usize)> = Vec::new(); // (listpack body without terminator, count)
    for item in items {
        let item = item.as_ref();
        let fits = nodes
            .last()
            .is_some_and(|(lp, count)| allow(lp.len() + 1, *count, item.len()));
        if !fits {
            nodes.push((vec![0u8; 6], 0));
        }
        if let Some((lp, count)) = nodes.last_mut() {
            listpack::push_entry(lp, item);
            *count += 1;
        }
    }
    nodes
        .into_iter()
        .map(|(mut lp, count)| {
            lp.push(0xFF);
            listpack::finish_header(&mut lp, count);
            lp
        })
        .collect()
}

/// The RDB type byte the value is written with.
pub fn object_type(v: &RdbValue, enc: Encoding) -> u8 {
    match (v, enc) {
        (RdbValue::Str(_), _) => TYPE_STRING,
        (RdbValue::List(_), _) => TYPE_LIST_QUICKLIST_2,
        (RdbValue::Set(m), Encoding::Compact) if set_as_ints(m).is_some() => TYPE_SET_INTSET,
        (RdbValue::Set(_), _) => TYPE_SET,
        (RdbValue::Hash(_), Encoding::Compact) => TYPE_HASH_LISTPACK,
        (RdbValue::Hash(_), Encoding::Full) => TYPE_HASH,
        (RdbValue::ZSet(_), Encoding::Compact) => TYPE_ZSET_LISTPACK,
        (RdbValue::ZSet(_), Encoding::Full) => TYPE_ZSET_2,
    }
}

/// The members as sorted integers when every one is a canonical 64-bit integer (intset-eligible).
fn set_as_ints(m: &[Vec<u8>]) -> Option<Vec<i64>> {
    let mut v: Vec<i64> = m.iter().map(|s| parse_i64(s)).collect::<Option<_>>()?;
    v.sort_unstable();
    Some(v)
}

/// Members sorted by (score, member) as the skiplist and the zset listpack keep them.
fn sorted_zset(pairs: &[(Vec<u8>, f64)]) -> Vec<&(Vec<u8>, f64)> {
    let mut v: Vec<&(Vec<u8>, f64)> = pairs.iter().collect();
    // The sorted set's own order: -0 equals 0 (ties by member bytes), as in Redis's skiplist.
    v.sort_by(|a, b| crate::db::zset::cmp_entry(a.1, &a.0, b.1, &b.0));
    v
}

/// rdbSaveObjectType + rdbSaveObject: the type byte and the body.
pub fn write_object(out: &mut Vec<u8>, v: &RdbValue, enc: Encoding, opts: &SaveOptions) {
    let ty = object_type(v, enc);
    out.push(ty);
    let c = opts.compression;
    match v {
        RdbValue::Str(s) => save_string(out, s, c),
        RdbValue::List(items) => {
            let nodes = quicklist_nodes(items, opts.list_max_listpack_size);
            save_len(out, nodes.len() as u64);
            for lp in nodes {
                save_len(out, QUICKLIST_NODE_PACKED);
                save_string(out, &lp, c);
            }
        }
        RdbValue::Set(m) => {
            if ty == TYPE_SET_INTSET {
                let ints = set_as_ints(m).unwrap_or_default();
                save_string(out, &intset::encode(&ints), c);
            } else {
                save_len(out, m.len() as u64);
                for s in m {
                    save_string(out, s, c);
                }
            }
        }
        RdbValue::Hash(pairs) => {
            if ty == TYPE_HASH_LISTPACK {
                let lp =
                    listpack::encode(pairs.iter().flat_map(|(f, v)| [f.as_slice(), v.as_slice()]));
                save_string(out, &lp, c);
            } else {
                save_len(out, pairs.len() as u64);
                for (f, v) in pairs {
                    save_string(out, f, c);
                    save_string(out, v, c);
                }
            }
        }
        RdbValue::ZSet(pairs) => {
            let sorted = sorted_zset(pairs);
            if ty == TYPE_ZSET_LISTPACK {
                let scores: Vec<Vec<u8>> =
                    sorted.iter().map(|(_, s)| score_to_string(*s)).collect();
                let lp = listpack::encode(
                    sorted
                        .iter()
                        .zip(&scores)
                        .flat_map(|((m, _), s)| [m.as_slice(), s.as_slice()]),
                );
                save_string(out, &lp, c);
            } else {
                // Written from the greatest to the smallest, as Redis walks its skiplist backwards.
                save_len(out, sorted.len() as u64);
                for (m, s) in sorted.iter().rev() {
                    save_string(out, m, c);
                    save_binary_double(out, *s);
                }
            }
        }
    }
}

/// RDB file opcodes (rdb.h).
pub const OPCODE_FUNCTION2: u8 = 245;
pub const OPCODE_FUNCTION_PRE_GA: u8 = 246;
pub const OPCODE_MODULE_AUX: u8 = 247;
pub const OPCODE_IDLE: u8 = 248;
pub const OPCODE_FREQ: u8 = 249;
pub const OPCODE_AUX: u8 = 250;
pub const OPCODE_RESIZEDB: u8 = 251;
pub const OPCODE_EXPIRETIME_MS: u8 = 252;
pub const OPCODE_EXPIRETIME: u8 = 253;
pub const OPCODE_SELECTDB: u8 = 254;
pub const OPCODE_EOF: u8 = 255;

/// A whole RDB file being written (rdbSaveRio): header, aux fields, then databases of entries, then EOF and
/// the CRC64 of everything before it.
pub struct FileWriter {
    pub out: Vec<u8>,
    opts: SaveOptions,
}

impl FileWriter {
    /// `REDIS0010` and the aux fields, in the order given (rdbSaveInfoAuxFields).
    pub fn new(opts: SaveOptions, aux: &[(&str, &[u8])]) -> FileWriter {
        let mut out = format!("REDIS{RDB_VERSION:04}").into_bytes();
        for (k, v) in aux {
            out.push(OPCODE_AUX);
            save_string(&mut out, k.as_bytes(), opts.compression);
            save_string(&mut out, v, opts.compression);
        }
        FileWriter { out, opts }
    }

    /// SELECTDB and RESIZEDB before a database's entries.
    pub fn select_db(&mut self, db: usize, keys: usize, expires: usize) {
        write_select_db(&mut self.out, db, keys, expires);
    }

    /// One key: its expire time (ms) if any, the type byte, the key, the value body.
    pub fn entry(&mut self, key: &[u8], v: &RdbValue, enc: Encoding, expire_ms: Option<i64>) {
        write_entry(&mut self.out, key, v, enc, expire_ms, &self.opts);
    }

    /// EOF and the checksum.
    pub fn finish(mut self) -> Vec<u8> {
        self.out.push(OPCODE_EOF);
        let crc = crc64(&self.out);
        self.out.extend_from_slice(&crc.to_le_bytes());
        self.out
    }
}

/// The start of a database section: SELECTDB, then RESIZEDB with its key and TTL counts.
pub fn write_select_db(out: &mut Vec<u8>, db: usize, keys: usize, expires: usize) {
    out.push(OPCODE_SELECTDB);
    save_len(out, db as u64);
    out.push(OPCODE_RESIZEDB);
    save_len(out, keys as u64);
    save_len(out, expires as u64);
}

/// One key of a database section (rdbSaveKeyValuePair): its expire time (ms) if any, the type byte, the
/// key, the value body.
pub fn write_entry(
    out: &mut Vec<u8>,
    key: &[u8],
    v: &RdbValue,
    enc: Encoding,
    expire_ms: Option<i64>,
    opts: &SaveOptions,
) {
    if let Some(at) = expire_ms {
        out.push(OPCODE_EXPIRETIME_MS);
        out.extend_from_slice(&at.to_le_bytes());
    }
    let mut obj = Vec::new();
    write_object(&mut obj, v, enc, opts);
    out.push(obj[0]);
    save_string(out, key, opts.compression);
    out.extend_from_slice(&obj[1..]);
}

/// crc64 as Redis computes it (CRC-64/Jones, reflected, init 0): the crc crate calls it CRC_64_REDIS.
static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_REDIS);

pub fn crc64(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// A running crc64, for a file written in pieces.
pub fn crc64_digest() -> crc::Digest<'static, u64> {
    CRC64.digest()
}

/// createDumpPayload: the object, the RDB version (2 bytes LE) and the CRC64 of all that (8 bytes LE).
pub fn create_dump_payload(v: &RdbValue, enc: Encoding, opts: &SaveOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_object(&mut out, v, enc, opts);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// verifyDumpPayload: at least 10 bytes, a version not newer than ours, a matching CRC64.
pub fn verify_dump_payload(p: &[u8]) -> bool {
    verify_dump_payload_with(p, false)
}

/// verifyDumpPayload with DEBUG SET-SKIP-CHECKSUM-VALIDATION's switch: the version is checked either way.
pub fn verify_dump_payload_with(p: &[u8], skip_checksum: bool) -> bool {
    if p.len() < 10 {
        return false;
    }
    let footer = &p[p.len() - 10..];
    let ver = u16::from_le_bytes([footer[0], footer[1]]);
    if ver > RDB_VERSION {
        return false;
    }
    if skip_checksum {
        return true;
    }
    let crc = crc64(&p[..p.len() - 8]);
    crc.to_le_bytes() == footer[2..10]
}

/// Loads the value of a verified DUMP payload (its object, ignoring the footer).
pub fn load_dump_payload(p: &[u8]) -> Result<RdbValue> {
    let body = p
        .get(..p.len().saturating_sub(10))
        .ok_or(RdbError("short payload"))?;
    let mut r = Reader::new(body);
    r.read_object()
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/// A cursor over RDB bytes; every read is bounds-checked (payloads come from clients).
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

/// A length or a special string encoding (rdbLoadLenByRef's `isencoded`).
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The next `n` bytes as they are.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(UNEXPECTED_END);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.bytes(1)?[0])
    }

    /// `N` bytes as an array (little-endian numbers of the file format).
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.bytes(N)?.try_into().map_err(|_| UNEXPECTED_END)
    }

    /// An EXPIRETIME (seconds, 32 bits) or EXPIRETIME_MS (milliseconds, 64 bits) opcode's time, in ms.
    pub fn expire_ms(&mut self, opcode: u8) -> Result<i64> {
        Ok(if opcode == OPCODE_EXPIRETIME {
            i32::from_le_bytes(self.array()?) as i64 * 1000
        } else {
            i64::from_le_bytes(self.array()?)
        })
    }

    /// The file's trailing CRC64.
    pub fn checksum(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn len_or_enc(&mut self) -> Result<Len> {
        let b = self.u8()?;
        Ok(match b >> 6 {
            0 => Len::Plain((b & 0x3F) as u64),
            1 => Len::Plain((((b & 0x3F) as u64) << 8) | self.u8()? as u64),
            3 => Len::Encoded(b & 0x3F),
            _ => match b {
                0x80 => Len::Plain(u32::from_be_bytes(
                    self.bytes(4)?.try_into().map_err(|_| RdbError("len"))?,
                ) as u64),
                0x81 => Len::Plain(u64::from_be_bytes(
                    self.bytes(8)?.try_into().map_err(|_| RdbError("len"))?,
                )),
                _ => return Err(RdbError("unknown length encoding")),
            },
        })
    }

    /// rdbLoadLen (an encoded marker where a length belongs is an error).
    pub fn read_len(&mut self) -> Result<u64> {
        match self.len_or_enc()? {
            Len::Plain(n) => Ok(n),
            Len::Encoded(_) => Err(RdbError("unexpected string encoding")),
        }
    }

    /// rdbGenericLoadStringObject: plain, INT8/16/32 (as decimal text) or LZF.
    pub fn read_string(&mut self) -> Result<Vec<u8>> {
        match self.len_or_enc()? {
            Len::Plain(n) => {
                let n = usize::try_from(n).map_err(|_| RdbError("length"))?;
                Ok(self.bytes(n)?.to_vec())
            }
            Len::Encoded(ENC_INT8) => Ok(crate::util::num::fmt_i64(self.u8()? as i8 as i64)),
            Len::Encoded(ENC_INT16) => {
                let b = self.bytes(2)?;
                Ok(crate::util::num::fmt_i64(
                    i16::from_le_bytes([b[0], b[1]]) as i64
                ))
            }
            Len::Encoded(ENC_INT32) => {
                let b = self.bytes(4)?;
                Ok(crate::util::num::fmt_i64(
                    i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
                ))
            }
            Len::Encoded(ENC_LZF) => {
                let clen = usize::try_from(self.read_len()?).map_err(|_| RdbError("length"))?;
                let len = usize::try_from(self.read_len()?).map_err(|_| RdbError("length"))?;
                let c = self.bytes(clen)?;
                lzf::decompress(c, len).ok_or(RdbError("invalid LZF compressed string"))
            }
            Len::Encoded(_) => Err(RdbError("unknown string encoding")),
        }
    }

    /// rdbLoadBinaryDoubleValue.
    fn binary_double(&mut self) -> Result<f64> {
        let b = self.bytes(8)?;
        Ok(f64::from_le_bytes(
            b.try_into().map_err(|_| RdbError("double"))?,
        ))
    }

    /// rdbLoadDoubleValue (the old textual zset score): 253 NaN, 254 +inf, 255 -inf, else ASCII.
    fn text_double(&mut self) -> Result<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let s = self.bytes(n as usize)?;
                std::str::from_utf8(s)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .ok_or(RdbError("bad double"))
            }
        }
    }

    /// A count of elements, capped by what the remaining bytes could possibly hold (no huge allocations).
    fn count(&mut self) -> Result<usize> {
        let n = self.read_len()?;
        if n > self.remaining() as u64 {
            return Err(RdbError("count larger than payload"));
        }
        Ok(n as usize)
    }

    /// A table-encoded collection with a repeated member: rdbLoadObject stops right after reading it (its
    /// dictAdd fails), so the reader is put back there, where redis-check-rdb reports the error.
    fn stop_at_duplicate<'b>(
        &mut self,
        members: impl Iterator<Item = &'b [u8]>,
        ends: &[usize],
        ty: u8,
    ) -> Result<()> {
        let mut seen = std::collections::HashSet::with_capacity(ends.len());
        for (i, m) in members.enumerate() {
            if !seen.insert(m) {
                self.pos = ends[i];
                return Err(duplicates_in(ty));
            }
        }
        Ok(())
    }

    /// rdbLoadObjectType + rdbLoadObject.
    pub fn read_object(&mut self) -> Result<RdbValue> {
        let ty = self.u8()?;
        self.read_object_body(ty)
    }

    pub fn read_object_body(&mut self, ty: u8) -> Result<RdbValue> {
        let v = match ty {
            TYPE_STRING => return Ok(RdbValue::Str(self.read_string()?)),
            TYPE_LIST => {
                let n = self.count()?;
                RdbValue::List((0..n).map(|_| self.read_string()).collect::<Result<_>>()?)
            }
            TYPE_SET => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n.min(4096));
                let mut ends = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    v.push(self.read_string()?);
                    ends.push(self.pos);
                }
                self.stop_at_duplicate(v.iter().map(|m| &m[..]), &ends, ty)?;
                RdbValue::Set(v)
            }
            TYPE_ZSET | TYPE_ZSET_2 => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n.min(4096));
                let mut ends = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let m = self.read_string()?;
                    let s = if ty == TYPE_ZSET_2 {
                        self.binary_double()?
                    } else {
                        self.text_double()?
                    };
                    if s.is_nan() {
                        return Err(RdbError("zset with NaN score"));
                    }
                    v.push((m, s));
                    ends.push(self.pos);
                }
                self.stop_at_duplicate(v.iter().map(|(m, _)| &m[..]), &ends, ty)?;
                RdbValue::ZSet(v)
            }
            TYPE_HASH => {
                let n = self.count()?;
                let mut v = Vec::with_capacity(n.min(4096));
                let mut ends = Vec::with_capacity(n.min(4096));
                for _ in 0..n {
                    let f = self.read_string()?;
                    let val = self.read_string()?;
                    v.push((f, val));
                    ends.push(self.pos);
                }
                self.stop_at_duplicate(v.iter().map(|(f, _)| &f[..]), &ends, ty)?;
                RdbValue::Hash(v)
            }
            TYPE_SET_INTSET => {
                let blob = self.read_string()?;
                let ints =
                    intset::decode(&blob).ok_or(RdbError("Intset integrity check failed."))?;
                RdbValue::Set(ints.into_iter().map(crate::util::num::fmt_i64).collect())
            }
            TYPE_SET_LISTPACK => {
                let blob = self.read_string()?;
                RdbValue::Set(
                    listpack::decode(&blob)
                        .ok_or(RdbError("Set listpack integrity check failed."))?,
                )
            }
            TYPE_LIST_ZIPLIST => {
                let blob = self.read_string()?;
                RdbValue::List(
                    ziplist::decode(&blob)
                        .ok_or(RdbError("List ziplist integrity check failed."))?,
                )
            }
            TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
                let nodes = self.count()?;
                let mut items = Vec::new();
                for _ in 0..nodes {
                    let container = if ty == TYPE_LIST_QUICKLIST_2 {
                        self.read_len()?
                    } else {
                        QUICKLIST_NODE_PACKED
                    };
                    if container != QUICKLIST_NODE_PACKED && container != QUICKLIST_NODE_PLAIN {
                        return Err(RdbError("Quicklist integrity check failed."));
                    }
                    let blob = self.read_string()?;
                    // rdbLoadObject fails without a message of its own: a file load reports a short read.
                    if blob.is_empty() {
                        return Err(UNEXPECTED_END);
                    }
                    match (ty, container) {
                        (_, QUICKLIST_NODE_PLAIN) => items.push(blob),
                        (TYPE_LIST_QUICKLIST, _) => items.extend(
                            ziplist::decode(&blob)
                                .ok_or(RdbError("Ziplist integrity check failed."))?,
                        ),
                        (_, QUICKLIST_NODE_PACKED) => items.extend(
                            listpack::decode(&blob)
                                .ok_or(RdbError("Listpack integrity check failed."))?,
                        ),
                        _ => return Err(RdbError("Quicklist integrity check failed.")),
                    }
                }
                RdbValue::List(items)
            }
            TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK | TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
                let blob = self.read_string()?;
                let flat = match ty {
                    TYPE_HASH_ZIPLIST => ziplist::decode(&blob)
                        .ok_or(RdbError("Hash ziplist integrity check failed."))?,
                    TYPE_ZSET_ZIPLIST => ziplist::decode(&blob)
                        .ok_or(RdbError("Zset ziplist integrity check failed."))?,
                    TYPE_HASH_LISTPACK => listpack::decode(&blob)
                        .ok_or(RdbError("Hash listpack integrity check failed."))?,
                    _ => listpack::decode(&blob)
                        .ok_or(RdbError("Zset listpack integrity check failed."))?,
                };
                if flat.len() % 2 != 0 {
                    return Err(RdbError("odd number of entries"));
                }
                let mut it = flat.into_iter();
                let mut pairs = Vec::new();
                while let (Some(a), Some(b)) = (it.next(), it.next()) {
                    pairs.push((a, b));
                }
                if ty == TYPE_HASH_ZIPLIST || ty == TYPE_HASH_LISTPACK {
                    RdbValue::Hash(pairs)
                } else {
                    let mut z = Vec::with_capacity(pairs.len());
                    for (m, s) in pairs {
                        let score =
                            crate::util::num::parse_f64(&s).ok_or(RdbError("bad zset score"))?;
                        z.push((m, score));
                    }
                    RdbValue::ZSet(z)
                }
            }
            TYPE_HASH_ZIPMAP => {
                let blob = self.read_string()?;
                RdbValue::Hash(
                    zipmap::decode(&blob).ok_or(RdbError("Zipmap integrity check failed."))?,
                )
            }
            _ => return Err(RdbError("unsupported object type")),
        };
        // The table types were checked for duplicates as they were read.
        let dups_checked = matches!(ty, TYPE_SET | TYPE_HASH | TYPE_ZSET | TYPE_ZSET_2);
        check_collection(&v, !dups_checked).map_err(|e| {
            // zipmapValidateIntegrity refuses an empty zipmap too.
            if e == DUPLICATES || (e == EMPTY_KEY && ty == TYPE_HASH_ZIPMAP) {
                duplicates_in(ty)
            } else {
                e
            }
        })?;
        Ok(v)
    }
}

const DUPLICATES: RdbError = RdbError("duplicate members");

/// What rdbLoadObject reports for duplicates in each type: a packed encoding fails its integrity check, a
/// table names the duplicates.
fn duplicates_in(ty: u8) -> RdbError {
    RdbError(match ty {
        TYPE_SET => "Duplicate set members detected",
        TYPE_HASH => "Duplicate hash fields detected",
        TYPE_ZSET | TYPE_ZSET_2 => "Duplicate zset fields detected",
        TYPE_SET_INTSET => "Intset integrity check failed.",
        TYPE_SET_LISTPACK => "Set listpack integrity check failed.",
        TYPE_HASH_ZIPMAP => "Zipmap integrity check failed.",
        TYPE_HASH_ZIPLIST => "Hash ziplist integrity check failed.",
        TYPE_ZSET_ZIPLIST => "Zset ziplist integrity check failed.",
        TYPE_HASH_LISTPACK => "Hash listpack integrity check failed.",
        TYPE_ZSET_LISTPACK => "Zset listpack integrity check failed.",
        _ => DUPLICATES.0,
    })
}

/// Redis refuses empty collections ("empty keys") and duplicate members or fields (looked for when `dups`).
fn check_collection(v: &RdbValue, dups: bool) -> Result<()> {
    use std::collections::HashSet;
    if !dups {
        let len = match v {
            RdbValue::Str(_) => return Ok(()),
            RdbValue::List(l) => l.len(),
            RdbValue::Set(m) => m.len(),
            RdbValue::Hash(p) => p.len(),
            RdbValue::ZSet(p) => p.len(),
        };
        return if len == 0 { Err(EMPTY_KEY) } else { Ok(()) };
    }
    let (len, dup) = match v {
        RdbValue::Str(_) => return Ok(()),
        RdbValue::List(l) => (l.len(), false),
        RdbValue::Set(m) => {
            let mut seen = HashSet::with_capacity(m.len());
            (m.len(), !m.iter().all(|x| seen.insert(x.as_slice())))
        }
        RdbValue::Hash(p) => {
            let mut seen = HashSet::with_capacity(p.len());
            (p.len(), !p.iter().all(|(f, _)| seen.insert(f.as_slice())))
        }
        RdbValue::ZSet(p) => {
            let mut seen = HashSet::with_capacity(p.len());
            (p.len(), !p.iter().all(|(m, _)| seen.insert(m.as_slice())))
        }
    };
    if len == 0 {
        return Err(EMPTY_KEY);
    }
    if dup {
        return Err(DUPLICATES);
    }
    Ok(())
}
