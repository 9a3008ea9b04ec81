//! The one bit of C's `errno` that Redis's replies depend on: ERANGE. Redis runs commands on one thread, and
//! SORT's score conversion (and zslParseRange) call strtod without clearing errno first, so a number that
//! overflowed in an earlier command, on any connection, makes a later numeric SORT answer "One or more scores
//! can't be converted into double". The number parsers keep this bit as the C functions they stand for
//! would. It lives in the store between commands (`Store::errno_range`, one per server as Redis's errno is
//! one per process) and in this thread while a command runs (`dispatch::call` moves it in and out).
use std::cell::Cell;

thread_local! {
    static RANGE: Cell<bool> = const { Cell::new(false) };
}

/// errno == ERANGE.
pub fn is_range() -> bool {
    RANGE.with(|r| r.get())
}

/// A call that sets errno to 0 first (string2d, string2ld, parseScanCursorOrReply), then to ERANGE or not.
pub fn set_range(v: bool) {
    RANGE.with(|r| r.set(v));
}

/// A call that only sets errno on ERANGE (a bare strtod).
pub fn raise_range(v: bool) {
    if v {
        set_range(true);
    }
}

/// C strtod over `a` up to its first NUL: the value, whether the whole C string was consumed (an empty one
/// counts as consumed, with 0), and whether it set ERANGE.
pub fn strtod(a: &[u8]) -> (f64, bool, bool) {
    let c = match a.iter().position(|&b| b == 0) {
        Some(i) => &a[..i],
        None => a,
    };
    // Numbers are short: NUL-terminate on the stack, allocate only for long arguments.
    let mut stack = [0u8; 64];
    let heap: Vec<u8>;
    let buf: &[u8] = if c.len() < stack.len() {
        stack[..c.len()].copy_from_slice(c);
        &stack[..=c.len()]
    } else {
        heap = [c, &[0]].concat();
        &heap
    };
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is NUL-terminated and outlives the call; strtod only reads it and writes `end` and errno.
    let (v, consumed, errno) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr() as *const libc::c_char, &mut end);
        let consumed = end.offset_from(buf.as_ptr() as *const libc::c_char) as usize;
        (v, consumed, *libc::__errno_location())
    };
    (v, consumed == c.len(), errno == libc::ERANGE)
}
