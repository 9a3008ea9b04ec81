//! Server and introspection commands: INFO sections, CONFIG REWRITE, COMMAND LIST filters, CLIENT KILL filters,
//! DEBUG, OBJECT and MEMORY, HELP replies and maxclients.
mod common;
use common::*;

#[test]
fn info_sections_and_all() {
    let s = start_ours();
    let mut c = RawConn::connect(s.port);
    c.cmd(&["SET", "k", "v", "EX", "100"]);
    let all = text(c.cmd(&["INFO", "everything"]));
    for section in [
        "# Server",
        "# Clients",
        "# Memory",
        "# Persistence",
        "# Stats",
        "# Replication",
        "# CPU",
        "# Modules",
        "# Errorstats",
        "# Cluster",
        "# Keyspace",
        "# Commandstats",
        "# Latencystats",
    ] {
        assert!(all.contains(section), "{section} missing");
    }
    assert!(all.contains("db0:keys=1,expires=1,avg_ttl=0"));
    let two = text(c.cmd(&["INFO", "clients", "CPU"]));
    assert!(
        two.contains("connected_clients:1")
            && two.contains("used_cpu_user:")
            && !two.contains("# Server")
    );
    assert!(text(c.cmd(&["INFO", "nosuchsection"])).starts_with("$0\r\n"));
}

#[test]
fn config_rewrite_and_help() {
    let dir = std::env::temp_dir().join(format!("mr-rewrite-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("r.conf");
    std::fs::write(&conf, "port 0\n").unwrap();
    let mut cfg = mini_redis::Config::from_args(&[
        conf.display().to_string(),
        "--save".into(),
        "".into(),
        "--dir".into(),
        dir.display().to_string(),
    ])
    .unwrap();
    cfg.set_startup("enable-debug-command", "yes").unwrap();
    let s = mini_redis::RunningServer::start(cfg).unwrap();
    let mut c = RawConn::connect(s.port);
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "maxmemory",
            "10mb",
            "maxmemory-policy",
            "allkeys-lru"
        ]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["CONFIG", "REWRITE"]), b"+OK\r\n");
    let written = std::fs::read_to_string(&conf).unwrap();
    assert!(
        written.contains("maxmemory 10485760") && written.contains("maxmemory-policy allkeys-lru"),
        "{written}"
    );
    let reread = mini_redis::Config::from_args(&[conf.display().to_string()]).unwrap();
    assert_eq!(reread.get("maxmemory"), Some("10485760"));
    assert!(text(c.cmd(&["CONFIG", "HELP"])).contains("RESETSTAT"));
    // All or nothing: a bad value in the middle changes nothing.
    assert!(
        text(c.cmd(&["CONFIG", "SET", "hz", "50", "maxmemory", "lots"]))
            .starts_with("-ERR CONFIG SET failed (possibly related to argument 'maxmemory')")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "hz"]),
        b"*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    );
    std::fs::remove_dir_all(dir).ok();
    let plain = start_ours();
    let mut p = RawConn::connect(plain.port);
    assert_eq!(
        p.cmd(&["CONFIG", "REWRITE"]),
        b"-ERR The server is running without a config file\r\n"
    );
}

#[test]
fn command_introspection() {
    let s = start_ours();
    let mut c = RawConn::connect(s.port);
    let list = text(c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "get*"]));
    assert!(
        list.contains("$3\r\nget\r\n")
            && list.contains("getrange")
            && !list.contains("$3\r\nset\r\n")
    );
    let cat = text(c.cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "pubsub"]));
    assert!(cat.contains("publish") && !cat.contains("$3\r\nget\r\n"));
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "MODULE", "x"]),
        b"*0\r\n"
    );
    assert_eq!(c.cmd(&["COMMAND", "LIST", "BAD"]), b"-ERR syntax error\r\n");
    let all = parse_reply(&c.cmd(&["COMMAND"]));
    let count = text(c.cmd(&["COMMAND", "COUNT"]));
    match all {
        Reply::Agg(_, Some(v)) => assert_eq!(format!(":{}\r\n", v.len()), count),
        other => panic!("{other:?}"),
    }
    let docs = parse_reply(&c.cmd(&["COMMAND", "DOCS"]));
    assert!(matches!(docs, Reply::Agg(_, Some(ref v)) if v.len() > 100));
    c.cmd(&["HELLO", "3"]);
    assert!(c.cmd(&["COMMAND", "DOCS", "set"]).starts_with(b"%1\r\n"));
    assert!(c.cmd(&["COMMAND", "INFO"]).starts_with(b"*"));
}

#[test]
fn client_kill_filters_and_list_types() {
    let s = start_ours();
    let mut me = RawConn::connect(s.port);
    let mut subscriber = RawConn::connect(s.port);
    subscriber.cmd(&["SUBSCRIBE", "x"]);
    let mut normal = RawConn::connect(s.port);
    normal.cmd(&["PING"]);
    let pubsub_list = text(me.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]));
    assert_eq!(pubsub_list.matches("id=").count(), 1, "{pubsub_list}");
    assert!(pubsub_list.contains("flags=P") && pubsub_list.contains("sub=1"));
    assert_eq!(
        me.cmd(&["CLIENT", "LIST", "TYPE", "bogus"]),
        b"-ERR Unknown client type 'bogus'\r\n"
    );
    assert_eq!(me.cmd(&["CLIENT", "KILL", "TYPE", "pubsub"]), b":1\r\n");
    assert!(subscriber.is_closed());
    let my_id = text(me.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim()
        .to_string();
    let listed = text(me.cmd(&["CLIENT", "LIST", "ID", &my_id]));
    assert_eq!(listed.matches("id=").count(), 1);
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "USER", "default", "SKIPME", "yes"]),
        b":1\r\n"
    );
    assert!(normal.is_closed());
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "ID", "0"]),
        b"-ERR client-id should be greater than 0\r\n"
    );
    assert_eq!(
        me.cmd(&["CLIENT", "KILL", "FOO", "bar"]),
        b"-ERR syntax error\r\n"
    );
    assert!(text(me.cmd(&["CLIENT", "HELP"])).contains("NO-EVICT"));
    assert_eq!(me.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    assert!(text(me.cmd(&["CLIENT", "INFO"])).contains("flags=e"));
    // Killing ourselves answers, then closes.
    me.send_raw(&encode(&["CLIENT", "KILL", "ID", &my_id, "SKIPME", "no"]));
    assert_eq!(me.read_reply(), b":1\r\n");
    assert!(me.is_closed());
}

#[test]
fn debug_object_memory() {
    let s = start_ours();
    let mut c = RawConn::connect(s.port);
    c.cmd(&["SET", "n", "123"]);
    c.cmd(&["SET", "s", "hello"]);
    assert!(text(c.cmd(&["DEBUG", "OBJECT", "n"])).contains("encoding:int"));
    assert_eq!(
        c.cmd(&["DEBUG", "OBJECT", "nokey"]),
        b"-ERR no such key\r\n"
    );
    assert_eq!(c.cmd(&["DEBUG", "LOG", "hello from test"]), b"+OK\r\n");
    assert!(text(c.cmd(&["DEBUG", "HELP"])).contains("SLEEP"));
    let t0 = std::time::Instant::now();
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.2"]), b"+OK\r\n");
    assert!(t0.elapsed().as_millis() >= 200);
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "n"]), b":2147483647\r\n");
    assert_eq!(c.cmd(&["OBJECT", "REFCOUNT", "s"]), b":1\r\n");
    // The LRU clock has one-second resolution, as Redis's.
    let idle = c.cmd(&["OBJECT", "IDLETIME", "s"]);
    assert!(idle == b":0\r\n" || idle == b":1\r\n");
    // Idle time grows while only non-touching commands (TYPE, TTL, OBJECT) look at the key; GET resets it.
    c.cmd(&["SET", "idle", "x"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    c.cmd(&["TYPE", "idle"]);
    c.cmd(&["TTL", "idle"]);
    let idle = text(c.cmd(&["OBJECT", "IDLETIME", "idle"]));
    assert!(idle == ":2\r\n" || idle == ":3\r\n", "{idle}");
    c.cmd(&["GET", "idle"]);
    let idle = c.cmd(&["OBJECT", "IDLETIME", "idle"]);
    assert!(idle == b":0\r\n" || idle == b":1\r\n");
    assert!(text(c.cmd(&["OBJECT", "FREQ", "s"]))
        .starts_with("-ERR An LFU maxmemory policy is not selected"));
    c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    assert_eq!(c.cmd(&["OBJECT", "FREQ", "s"]), b":0\r\n");
    assert!(text(c.cmd(&["OBJECT", "HELP"])).contains("ENCODING"));
    let usage = text(c.cmd(&["MEMORY", "USAGE", "s"]));
    assert!(usage.starts_with(':'));
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "s", "SAMPLES", "5"]),
        usage.as_bytes()
    );
    assert_eq!(
        c.cmd(&["MEMORY", "USAGE", "s", "FOO"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(c.cmd(&["RANDOMKEY"]).first(), Some(&b'$'));
    assert!(text(c.cmd(&["TIME"])).starts_with("*2\r\n"));
    assert!(text(c.cmd(&["LASTSAVE"])).starts_with(':'));
    let s2 = start_ours_with(&[("enable-debug-command", "no")]);
    let mut d = RawConn::connect(s2.port);
    assert!(text(d.cmd(&["DEBUG", "SLEEP", "0"])).starts_with("-ERR DEBUG command not allowed."));
}

#[test]
fn maxclients_rejects_extra_connections() {
    let s = start_ours_with(&[("maxclients", "2")]);
    let mut a = RawConn::connect(s.port);
    let mut b = RawConn::connect(s.port);
    a.cmd(&["PING"]);
    b.cmd(&["PING"]);
    let mut extra = RawConn::connect(s.port);
    assert_eq!(
        extra.read_reply(),
        b"-ERR max number of clients reached\r\n"
    );
    let stats = text(a.cmd(&["INFO", "stats"]));
    assert!(stats.contains("rejected_connections:1"), "{stats}");
}

#[test]
fn shutdown_arguments() {
    let mut s = start_ours();
    let mut c = RawConn::connect(s.port);
    assert_eq!(c.cmd(&["SHUTDOWN", "BOGUS"]), b"-ERR syntax error\r\n");
    c.cmd(&["MULTI"]);
    assert_eq!(
        c.cmd(&["SHUTDOWN"]),
        b"-ERR Command not allowed inside a transaction\r\n"
    );
    c.cmd(&["DISCARD"]);
    c.send_raw(&encode(&["SHUTDOWN", "NOSAVE", "NOW", "FORCE"]));
    assert!(c.is_closed());
    s.wait();
}

#[test]
fn client_kill_illegal_arguments_as_redis() {
    assert_same_as_redis(&[
        &["CLIENT", "KILL"][..],
        &["CLIENT", "KILL", "id", "10", "wrong_arg"],
        &["CLIENT", "KILL", "id", "str"],
        &["CLIENT", "KILL", "id", "-1"],
        &["CLIENT", "KILL", "id", "0"],
        &["CLIENT", "KILL", "type", "wrong_type"],
        &["CLIENT", "KILL", "user", "wrong_user"],
        &["CLIENT", "KILL", "user", "DEFAULT"],
        &["CLIENT", "KILL", "user", "default", "id", "999999"],
        &["CLIENT", "KILL", "skipme", "yes_or_no"],
        &["CLIENT", "KILL", "maxage", "10"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "addr", "1.2.3.4:5", "laddr", "x"],
    ]);
}

#[test]
fn latencystats_follow_config() {
    let s = start_ours();
    let mut c = RawConn::connect(s.port);
    let stats = |c: &mut RawConn| text(c.cmd(&["INFO", "latencystats"]));
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["CONFIG", "SET", "latency-tracking", "no"]);
    c.cmd(&["SET", "a", "b"]);
    assert!(!stats(&mut c).contains("latency_percentiles_usec_set:"));
    c.cmd(&["CONFIG", "SET", "latency-tracking", "yes"]);
    c.cmd(&["SET", "a", "b"]);
    c.cmd(&["CLIENT", "ID"]);
    let s1 = stats(&mut c);
    assert!(s1.starts_with("$"), "{s1}");
    let line = s1
        .lines()
        .find(|l| l.starts_with("latency_percentiles_usec_set:"))
        .unwrap_or_else(|| panic!("{s1}"));
    let parts: Vec<&str> = line.split(':').nth(1).unwrap().split(',').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(
        parts[0].starts_with("p50=")
            && parts[1].starts_with("p99=")
            && parts[2].starts_with("p99.9=")
    );
    assert!(
        s1.contains("latency_percentiles_usec_client|id:p50="),
        "{s1}"
    );
    assert_eq!(
        c.cmd(&[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0.0 50.0 100.0"
        ]),
        b"+OK\r\n"
    );
    assert_eq!(
        text(c.cmd(&["CONFIG", "GET", "latency-tracking-info-percentiles"])),
        "*2\r\n$33\r\nlatency-tracking-info-percentiles\r\n$8\r\n0 50 100\r\n"
    );
    assert!(stats(&mut c).contains("latency_percentiles_usec_set:p0="));
    assert_eq!(
        text(c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "10.0 50.0 101.0"])),
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - latency-tracking-info-percentiles parameters should sit between [0.0,100.0]\r\n"
    );
    assert_eq!(
        text(c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "10.0 a"])),
        "-ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters\r\n"
    );
    // DEBUG SLEEP 0.05 shows as at least 50 ms at p50.
    c.cmd(&["CONFIG", "SET", "latency-tracking-info-percentiles", "50"]);
    c.cmd(&["DEBUG", "SLEEP", "0.05"]);
    let s2 = stats(&mut c);
    let p50: f64 = s2
        .lines()
        .find_map(|l| l.strip_prefix("latency_percentiles_usec_debug:p50="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{s2}"));
    assert!(p50 >= 50000.0, "{s2}");
    c.cmd(&["CONFIG", "RESETSTAT"]);
    assert!(!stats(&mut c).contains("latency_percentiles_usec_set:"));
}

#[test]
fn resetstat_keeps_the_expiry_cron_alive() {
    let s = start_ours();
    let mut c = RawConn::connect(s.port);
    for _ in 0..50 {
        c.cmd(&["PING"]);
    }
    // Let the cron sample the command counter, then set it back to 0 under it.
    std::thread::sleep(std::time::Duration::from_millis(250));
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), b"+OK\r\n");
    std::thread::sleep(std::time::Duration::from_millis(250));
    // Active expiry still runs: a key nobody reads is reclaimed.
    c.cmd(&["SET", "k", "v", "PX", "50"]);
    let t0 = std::time::Instant::now();
    loop {
        let info = text(c.cmd(&["INFO", "stats"]));
        if info.contains("expired_keys:1\r\n") {
            break;
        }
        assert!(t0.elapsed().as_secs() < 5, "{info}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let info = text(c.cmd(&["INFO", "stats"]));
    let ops: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("instantaneous_ops_per_sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(ops < 1_000_000, "{info}");
}

#[test]
fn expire_times_near_the_end_of_time_as_redis() {
    assert_same_as_redis(&[
        &["SET", "k", "v"][..],
        &["PEXPIREAT", "k", "9223372036854775807"],
        &["EXPIRETIME", "k"],
        &["PEXPIRETIME", "k"],
        &["TTL", "k"],
        &["SET", "k2", "v", "PXAT", "9223372036854775807"],
        &["EXPIRETIME", "k2"],
        &["PEXPIREAT", "k2", "9223372036854775306"],
        &["EXPIRETIME", "k2"],
    ]);
}

#[test]
fn help_flush_and_getkeys_replies_as_redis() {
    assert_same_as_redis(&[
        &["CLIENT", "HELP"][..],
        &["CONFIG", "HELP"],
        &["OBJECT", "HELP"],
        &["COMMAND", "HELP"],
        &["PUBSUB", "HELP"],
        &["SCRIPT", "FLUSH", "x"],
        &["SCRIPT", "FLUSH", "x", "y"],
        &["SCRIPT", "FLUSH", "ASYNC"],
        &["FUNCTION", "FLUSH", "x"],
        &["FUNCTION", "FLUSH", "a", "b"],
        &["FUNCTION", "FLUSH", "sync"],
        &["PUBSUB", "CHANNELS", "a", "b"],
        &["PUBSUB", "SHARDCHANNELS", "a", "b"],
        &["COMMAND", "GETKEYS", "KEYS", "a", "b"],
        &["COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "none", "abc"],
        &["COMMAND", "GETKEYS", "ZUNIONSTORE", "dst", "1", "abc"],
        &["COMMAND", "GETKEYS", "LMPOP", "0", "a", "LEFT"],
        &["COMMAND", "GETKEYS", "ZINTERCARD", "5", "a"],
        &["COMMAND", "GETKEYS", "CONFIG", "GET"],
        &["COMMAND", "GETKEYS", "CONFIG", "NOSUCH"],
        &["COMMAND", "GETKEYS", "CONFIG"],
        &["COMMAND", "GETKEYS", "GET"],
        &["COMMAND", "GETKEYS", "NOSUCH", "a"],
        &["BITFIELD", "s", "GET", "U8", "0"],
        &["BITFIELD", "s", "GET", "u8\u{0}x", "0"],
    ]);
}

#[test]
fn blmpop_checks_arguments_before_the_timeout() {
    assert_same_as_redis(&[
        &["BLMPOP", "-1", "2", "hash", "set", "LEFT", "COUNT", "0"][..],
        &["BLMPOP", "abc", "0", "list", "RIGHT"],
        &["BLMPOP", "", "1", "list", "RIGHT", "WITHSCORES", "COUNT"],
        &["BLMPOP", "-1", "1", "list", "LEFT"],
        &["BZMPOP", "-1", "1", "z", "MIN", "COUNT", "0"],
    ]);
}

#[test]
fn config_set_checks_as_redis() {
    assert_same_as_redis(&[
        &["CONFIG", "SET", "hash-max-listpack-entries", "-2"][..],
        &["CONFIG", "SET", "set-max-intset-entries", "-1"],
        &[
            "CONFIG",
            "SET",
            "zset-max-listpack-entries",
            "99999999999999999999",
        ],
        &["CONFIG", "SET", "list-compress-depth", "-2"],
        &["CONFIG", "SET", "zset-max-listpack-value", "-5"],
        &["CONFIG", "SET", "zset-max-listpack-value", "abc"],
        &["CONFIG", "SET", "hash-max-listpack-value", ""],
        &["CONFIG", "GET", "hash-max-listpack-value"],
        &["CONFIG", "SET", "hash-max-listpack-value", "2kb"],
        &["CONFIG", "GET", "hash-max-listpack-value"],
        &["CONFIG", "SET", "hash-max-listpack-value", "64"],
        &["CONFIG", "SET", "list-max-listpack-size", "+5"],
        &["CONFIG", "SET", "list-max-listpack-size", "-3000000000"],
        &["CONFIG", "SET", "hz", "1000"],
        &["CONFIG", "GET", "hz"],
        &["CONFIG", "SET", "hz", "10"],
        &["CONFIG", "SET", "maxclients", "0"],
        &["CONFIG", "SET", "-1", "set-max-intset-entries", "-6"],
        &["CONFIG", "SET", "LIMIT", "1"],
        &["CONFIG", "SET", "Hash-Max-Listpack-Entries", "x"],
        &[
            "CONFIG",
            "SET",
            "hash-max-ziplist-entries",
            "1",
            "hash-max-listpack-entries",
            "2",
        ],
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            "1mb",
            "nosuch",
            "1",
            "daemonize",
            "yes",
        ],
        &["CONFIG", "SET", "daemonize", "yes", "nosuch", "1"],
        &["CONFIG", "SET", "daemonize", "yes", "maxmemory", "1"],
        &["CONFIG", "GET", "maxmemory"],
    ]);
}

#[test]
fn append_to_a_missing_key_encodes_as_set() {
    assert_same_as_redis(&[
        &["APPEND", "k", "1"][..],
        &["OBJECT", "ENCODING", "k"],
        &["APPEND", "k", "2"],
        &["OBJECT", "ENCODING", "k"],
        &["APPEND", "s", "abc"],
        &["OBJECT", "ENCODING", "s"],
        &["APPEND", "n", "-0"],
        &["OBJECT", "ENCODING", "n"],
    ]);
}
