//! The command grammar as redis-server itself describes it: `COMMAND DOCS` argument trees, parsed into
//! [`Spec`]s the generator walks.

use crate::common::Reply;

/// What one argument is, as COMMAND DOCS's `type` field says.
#[derive(Debug, Clone)]
pub enum Kind {
    Key,
    Str,
    Int,
    Double,
    Pattern,
    UnixTime,
    /// A fixed word: the argument's `token` is all there is.
    PureToken,
    OneOf(Vec<Arg>),
    Block(Vec<Arg>),
}

#[derive(Debug, Clone)]
pub struct Arg {
    pub name: String,
    pub kind: Kind,
    /// A word that precedes the value (`LIMIT`, `EX`...); for pure tokens, the word itself.
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    /// With `multiple`: the token is repeated before every value, not only the first.
    pub multiple_token: bool,
}

/// One command or subcommand: `words` is its name as sent (`["CLIENT", "SETNAME"]`).
#[derive(Debug, Clone)]
pub struct Spec {
    pub words: Vec<String>,
    pub args: Vec<Arg>,
    /// COMMAND DOCS's `group`: string, list, hash, set, sorted-set, bitmap, generic...
    pub group: String,
}

impl Spec {
    /// The lowercase `name` or `container|sub` form COMMAND uses.
    pub fn full_name(&self) -> String {
        self.words.join("|").to_ascii_lowercase()
    }
}

fn text(r: &Reply) -> Option<String> {
    match r {
        Reply::Bulk(_, Some(b)) | Reply::Line(_, b) => Some(String::from_utf8_lossy(b).to_string()),
        _ => None,
    }
}

/// The elements of an aggregate (a RESP2 flat array or a RESP3 map, both flat here).
fn items(r: &Reply) -> &[Reply] {
    match r {
        Reply::Agg(_, Some(v)) => v,
        _ => &[],
    }
}

/// Looks a field up in a flat key/value list.
fn field<'a>(r: &'a Reply, key: &str) -> Option<&'a Reply> {
    items(r)
        .chunks(2)
        .find(|p| p.len() == 2 && text(&p[0]).as_deref() == Some(key))
        .map(|p| &p[1])
}

fn parse_arg(r: &Reply) -> Arg {
    let name = field(r, "name").and_then(text).unwrap_or_default();
    let ty = field(r, "type").and_then(text).unwrap_or_default();
    let token = field(r, "token").and_then(text);
    let flags: Vec<String> = field(r, "flags")
        .map(|f| items(f).iter().filter_map(text).collect())
        .unwrap_or_default();
    let children = || -> Vec<Arg> {
        field(r, "arguments")
            .map(|a| items(a).iter().map(parse_arg).collect())
            .unwrap_or_default()
    };
    let kind = match ty.as_str() {
        "key" => Kind::Key,
        "integer" => Kind::Int,
        "double" => Kind::Double,
        "pattern" => Kind::Pattern,
        "unix-time" => Kind::UnixTime,
        "pure-token" => Kind::PureToken,
        "oneof" => Kind::OneOf(children()),
        "block" => Kind::Block(children()),
        _ => Kind::Str,
    };
    let has = |f: &str| flags.iter().any(|x| x == f);
    Arg {
        name,
        kind,
        token,
        optional: has("optional"),
        multiple: has("multiple"),
        multiple_token: has("multiple_token"),
    }
}

fn parse_command(words: Vec<String>, doc: &Reply, out: &mut Vec<Spec>) {
    let args = field(doc, "arguments")
        .map(|a| items(a).iter().map(parse_arg).collect())
        .unwrap_or_default();
    out.push(Spec {
        words: words.clone(),
        args,
        group: field(doc, "group").and_then(text).unwrap_or_default(),
    });
    if let Some(subs) = field(doc, "subcommands") {
        for p in items(subs).chunks(2) {
            let (Some(full), Some(d)) = (text(&p[0]), p.get(1)) else {
                continue;
            };
            // Subcommands are named `container|sub`.
            let sub = full
                .rsplit('|')
                .next()
                .unwrap_or(&full)
                .to_ascii_uppercase();
            let mut w = words.clone();
            w.push(sub);
            parse_command(w, d, out);
        }
    }
}

/// Every command and subcommand of a `COMMAND DOCS` reply (RESP2 or RESP3).
pub fn parse_docs(reply: &Reply) -> Vec<Spec> {
    let mut out = Vec::new();
    for p in items(reply).chunks(2) {
        if let (Some(name), Some(doc)) = (text(&p[0]), p.get(1)) {
            parse_command(vec![name.to_ascii_uppercase()], doc, &mut out);
        }
    }
    out.sort_by(|a, b| a.words.cmp(&b.words));
    out
}
