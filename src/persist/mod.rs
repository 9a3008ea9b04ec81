//! Persistence formats in Redis's own encodings: the RDB object serialization (`rdb`) used by DUMP/RESTORE
//! and RDB files, the whole-file loader (`load`), with the compact blob formats it embeds (listpack,
//! ziplist, zipmap, intset) and LZF.
pub mod aof;
pub mod check;
pub mod convert;
pub mod intset;
pub mod listpack;
pub mod load;
pub mod lzf;
pub mod rdb;
pub mod ziplist;
pub mod zipmap;
