//! The server log in redis-server's line format (`PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL message`), to
//! stdout or to `logfile`, filtered by `loglevel` (changeable at run time with CONFIG SET).
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// Redis's verbosity levels, lowest first: debug, verbose, notice, warning.
const DEBUG: u8 = 0;
const VERBOSE: u8 = 1;
const NOTICE: u8 = 2;
const WARNING: u8 = 3;

static VERBOSITY: AtomicU8 = AtomicU8::new(NOTICE);
/// `C` while the configuration is read (as Redis logs before it knows its role), `M` after.
static ROLE: AtomicU8 = AtomicU8::new(b'M');
static SINK: OnceLock<Mutex<Box<dyn Write + Send>>> = OnceLock::new();

fn level_of(name: &str) -> u8 {
    match name {
        "debug" => DEBUG,
        "verbose" => VERBOSE,
        "warning" => WARNING,
        _ => NOTICE,
    }
}

/// Sets the `loglevel` (the names Redis accepts; anything else is notice).
pub fn set_verbosity(name: &str) {
    VERBOSITY.store(level_of(name), Ordering::Relaxed);
}

pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// Redis's level of a tracing event: error and warn are `#` (warning), info `*` (notice), debug `-`
/// (verbose), trace `.` (debug).
fn redis_level(level: &Level) -> (u8, char) {
    match *level {
        Level::ERROR | Level::WARN => (WARNING, '#'),
        Level::INFO => (NOTICE, '*'),
        Level::DEBUG => (VERBOSE, '-'),
        Level::TRACE => (DEBUG, '.'),
    }
}

/// `02 Dec 2026 03:07:04.609` in local time, as Redis's serverLogRaw.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes only into the tm we own; a zeroed tm is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Formats events as Redis log lines.
struct RedisFormat;

impl<S, N> FormatEvent<S, N> for RedisFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let (_, mark) = redis_level(event.metadata().level());
        write!(
            w,
            "{}:{} {} {} ",
            std::process::id(),
            ROLE.load(Ordering::Relaxed) as char,
            timestamp(),
            mark
        )?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Hands the formatter the one sink (stdout or the log file), locked per line.
struct SinkWriter;

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match SINK.get() {
            Some(s) => {
                let mut out = s.lock().unwrap_or_else(|e| e.into_inner());
                out.write_all(buf)?;
                out.flush()
            }
            None => Ok(()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for SinkWriter {
    type Writer = SinkWriter;
    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter
    }
}

/// Installs the logger: `logfile` empty means stdout, else the file is opened for appending (as Redis
/// opens it for each line).
pub fn init(logfile: &str, loglevel: &str) -> std::io::Result<()> {
    let sink: Box<dyn Write + Send> = if logfile.is_empty() {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(logfile)?,
        )
    };
    let _ = SINK.set(Mutex::new(sink));
    set_verbosity(loglevel);
    let filter = tracing_subscriber::filter::filter_fn(|meta| {
        redis_level(meta.level()).0 >= VERBOSITY.load(Ordering::Relaxed)
    });
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    let layer = tracing_subscriber::fmt::layer()
        .event_format(RedisFormat)
        .with_writer(SinkWriter)
        .with_filter(filter);
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
    Ok(())
}

/// Writes text as it is (Redis's LL_RAW: the ASCII logo) when notice lines are logged.
pub fn raw(text: &str) {
    if VERBOSITY.load(Ordering::Relaxed) <= NOTICE {
        let _ = SinkWriter.write_all(text.as_bytes());
    }
}

/// Whether the log goes to a terminal (Redis then shows the logo even without `always-show-logo`).
pub fn to_terminal(logfile: &str) -> bool {
    logfile.is_empty() && std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// Redis 7.0's ASCII logo with its version, mode, port and pid.
pub fn logo(port: u16, pid: u32) -> String {
    format!(
        r#"                _._                                                  
           _.-``__ ''-._                                             
      _.-``    `.  `_.  ''-._           Redis 7.0.15 (00000000/0) 64 bit
  .-`` .-```.  ```\/    _.,_ ''-._                                  
 (    '      ,       .-`  | `,    )     Running in standalone mode
 |`-._`-...-` __...-.``-._|'` _.-'|     Port: {port}
 |    `-._   `._    /     _.-'    |     PID: {pid}
  `-._    `-._  `-./  _.-'    _.-'                                   
 |`-._`-._    `-.__.-'    _.-'_.-'|                                  
 |    `-._`-._        _.-'_.-'    |           https://redis.io       
  `-._    `-._`-.__.-'_.-'    _.-'                                   
 |`-._`-._    `-.__.-'    _.-'_.-'|                                  
 |    `-._`-._        _.-'_.-'    |                                  
  `-._    `-._`-.__.-'_.-'    _.-'                                   
      `-._    `-.__.-'    _.-'                                       
          `-._        _.-'                                           
              `-.__.-'                                               

"#
    )
}
