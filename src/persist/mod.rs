//! Persistence formats in Redis's own encodings: the RDB object serialization (`rdb`) used by DUMP/RESTORE
//! and, later, RDB files, with the compact blob formats it embeds (listpack, ziplist, intset) and LZF.
pub mod convert;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod rdb;
pub mod ziplist;
