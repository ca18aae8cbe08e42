//! nginx configuration: the regexes of `location`, `server_name`, `map`,
//! `if`, `rewrite` and friends.
//!
//! The tokenizer follows nginx's own (`ngx_conf_read_token`): blanks
//! separate arguments, `;` ends a directive, `{` opens a block and `}`
//! closes it; `#` at the start of an argument starts a comment to the end
//! of the line (inside an argument it is an ordinary character, as in
//! `location ~* (?:#.*#|…)`); an argument may be quoted with `"…"` or
//! `'…'`; `{` after `$` is part of `${var}`. In every argument, quoted or
//! not, nginx turns `\"`, `\'` and `\\` into the second character and `\t`,
//! `\r`, `\n` into the control character; other backslashes stay (so `\.`
//! reaches PCRE as `\.`). Those escapes are recorded in the offset map.
//!
//! Regexes (PCRE, searched unanchored; `~*` sets case-insensitive):
//! - `location ~ R`, `location ~* R`, and the attached forms `location ~R`,
//!   `location ~*R`;
//! - `server_name ~R` (nginx compiles it case-insensitively when `R` has an
//!   upper-case letter, because host names are lower-cased first);
//! - `map $a $b { ~R v; ~*R v; }` entries (a leading `\` makes an entry
//!   literal);
//! - `if ($v ~ R)`, `~*`, `!~`, `!~*`;
//! - `rewrite R …`, `fastcgi_split_path_info R`;
//! - `~R` / `~*R` first arguments of `proxy_redirect`, `proxy_cookie_path`,
//!   `proxy_cookie_domain`;
//! - `valid_referers … ~R` (case-insensitive) and `gzip_disable R …`
//!   (case-insensitive; the keywords `msie6` and `degradation` excepted).
//!
//! Keys are block paths: each segment is a directive name and its 0-based
//! ordinal among same-named siblings (`server[1].location[3]`); the
//! top-level `http`, `events`, `stream` and `mail` blocks have no ordinal.
//! A `map` entry is `map[0].entry[k]`; a directive with several regex
//! arguments adds `.arg[i]`.
//!
//! nginx rejects a file at its first syntax error, so a syntax error here
//! is a [`ParseProblem`] and ends the file; blocks nested deeper than
//! [`MAX_DEPTH`] do the same.

use std::collections::HashMap;

use super::{Decoded, make_pattern};
use crate::source::{Extraction, Flags, Kind, ParseProblem, SourceFile, Span};

/// Deepest block nesting read.
pub(super) const MAX_DEPTH: usize = 128;

/// True when the text reads like nginx config: a known block directive
/// opening a block, or two known directives ending in `;`.
pub(in crate::source) fn looks_like_nginx(text: &str) -> bool {
    const BLOCKS: &[&str] = &[
        "http",
        "server",
        "location",
        "events",
        "upstream",
        "map",
        "stream",
        "types",
        "if",
        "limit_except",
        "geo",
        "split_clients",
        "mail",
    ];
    const SIMPLE: &[&str] = &[
        "server_name",
        "listen",
        "root",
        "index",
        "rewrite",
        "return",
        "proxy_pass",
        "fastcgi_pass",
        "include",
        "add_header",
        "expires",
        "deny",
        "allow",
        "try_files",
        "error_page",
        "access_log",
        "error_log",
        "worker_processes",
        "ssl_certificate",
        "gzip",
        "client_max_body_size",
        "set",
        "alias",
        "proxy_set_header",
        "default_type",
        "sendfile",
        "keepalive_timeout",
        "charset",
    ];
    let mut simple = 0;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let word = line.split(|c: char| c.is_ascii_whitespace() || c == '{' || c == ';').next().unwrap_or("");
        if line.ends_with('{') && BLOCKS.contains(&word) {
            return true;
        }
        if line.ends_with(';') && SIMPLE.contains(&word) {
            simple += 1;
            if simple >= 2 {
                return true;
            }
        }
    }
    false
}

/// One argument: decoded text and where it came from.
#[derive(Debug)]
struct Arg {
    text: Decoded,
    /// The argument in the file, including quotes.
    raw: Span,
}

/// What the tokenizer found.
enum Event {
    /// A directive ended by `;` (`block == false`) or `{`.
    Directive { args: Vec<Arg>, block: bool },
    /// `}`.
    BlockEnd(usize),
}

/// The nginx tokenizer, one directive at a time.
struct Tokenizer<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Tokenizer<'_> {
    fn error(&self, at: usize, message: String) -> ParseProblem {
        let end = (at + 1).min(self.b.len());
        ParseProblem { message, span: Span::new(at.min(end), end) }
    }

    /// The next directive or block end; `Ok(None)` at the end of the file.
    fn next(&mut self) -> Result<Option<Event>, ParseProblem> {
        let b = self.b;
        let mut args: Vec<Arg> = Vec::new();
        let mut last_space = true;
        let mut need_space = false;
        let mut sharp_comment = false;
        let mut quoted = false;
        let mut d_quoted = false;
        let mut s_quoted = false;
        let mut variable = false;
        let mut start = self.pos;
        while self.pos < b.len() {
            let at = self.pos;
            let ch = b[at];
            self.pos += 1;
            if ch == b'\n' && sharp_comment {
                sharp_comment = false;
            }
            if sharp_comment {
                continue;
            }
            if quoted {
                quoted = false;
                continue;
            }
            if need_space {
                if is_space(ch) {
                    last_space = true;
                    need_space = false;
                    continue;
                }
                if ch == b';' {
                    return Ok(Some(Event::Directive { args, block: false }));
                }
                if ch == b'{' {
                    return Ok(Some(Event::Directive { args, block: true }));
                }
                if ch == b')' {
                    last_space = true;
                    need_space = false;
                } else {
                    return Err(self.error(at, format!("unexpected `{}` after a quoted argument", ch as char)));
                }
            }
            if last_space {
                start = at;
                if is_space(ch) {
                    continue;
                }
                match ch {
                    b';' | b'{' => {
                        if args.is_empty() {
                            return Err(self.error(at, format!("unexpected `{}`", ch as char)));
                        }
                        return Ok(Some(Event::Directive { args, block: ch == b'{' }));
                    }
                    b'}' => {
                        if !args.is_empty() {
                            return Err(self.error(at, "unexpected `}` before the end of a directive".to_owned()));
                        }
                        return Ok(Some(Event::BlockEnd(at)));
                    }
                    b'#' => {
                        sharp_comment = true;
                    }
                    b'\\' => {
                        quoted = true;
                        last_space = false;
                    }
                    b'"' => {
                        start = at + 1;
                        d_quoted = true;
                        last_space = false;
                    }
                    b'\'' => {
                        start = at + 1;
                        s_quoted = true;
                        last_space = false;
                    }
                    b'$' => {
                        variable = true;
                        last_space = false;
                    }
                    _ => last_space = false,
                }
            } else {
                if ch == b'{' && variable {
                    continue;
                }
                variable = false;
                if ch == b'\\' {
                    quoted = true;
                    continue;
                }
                if ch == b'$' {
                    variable = true;
                    continue;
                }
                let mut found = false;
                if d_quoted {
                    if ch == b'"' {
                        d_quoted = false;
                        need_space = true;
                        found = true;
                    }
                } else if s_quoted {
                    if ch == b'\'' {
                        s_quoted = false;
                        need_space = true;
                        found = true;
                    }
                } else if is_space(ch) || ch == b';' || ch == b'{' {
                    last_space = true;
                    found = true;
                }
                if found {
                    let quoted_arg = need_space;
                    let raw = if quoted_arg { Span::new(start - 1, at + 1) } else { Span::new(start, at) };
                    args.push(Arg { text: unescape(b, start, at), raw });
                    if ch == b';' {
                        return Ok(Some(Event::Directive { args, block: false }));
                    }
                    if ch == b'{' {
                        return Ok(Some(Event::Directive { args, block: true }));
                    }
                }
            }
        }
        if !args.is_empty() || !last_space || d_quoted || s_quoted {
            let at = if d_quoted || s_quoted { start.saturating_sub(1) } else { start };
            return Err(ParseProblem {
                message: if d_quoted || s_quoted {
                    "unterminated quoted argument at the end of the file".to_owned()
                } else {
                    "unexpected end of file: the directive has no `;` or `{`".to_owned()
                },
                span: Span::new(at.min(b.len()), b.len()),
            });
        }
        Ok(None)
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// nginx's argument unescaping over `b[start..end]`.
fn unescape(b: &[u8], start: usize, end: usize) -> Decoded {
    let mut out = Vec::with_capacity(end - start);
    let mut escapes = Vec::new();
    let mut i = start;
    while i < end {
        if b[i] == b'\\' && i + 1 < end {
            let replacement = match b[i + 1] {
                c @ (b'"' | b'\'' | b'\\') => Some(c),
                b't' => Some(b'\t'),
                b'r' => Some(b'\r'),
                b'n' => Some(b'\n'),
                _ => None,
            };
            if let Some(c) = replacement {
                out.push(c);
                escapes.push(i);
                i += 2;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Escapes replace ASCII pairs, so UTF-8 stays valid.
    Decoded { text: String::from_utf8_lossy(&out).into_owned(), raw_start: start, escapes }
}

/// One open block.
struct Frame {
    path: String,
    is_map: bool,
    counts: HashMap<String, usize>,
    entries: usize,
}

/// Extract the regexes of an nginx config file.
pub(in crate::source) fn extract(file: &SourceFile) -> Extraction {
    let mut out = Extraction { kind: Some(Kind::Nginx), ..Extraction::default() };
    let b = file.text.as_bytes();
    let mut tok = Tokenizer { b, pos: usize::from(file.text.starts_with('\u{feff}')) * 3 };
    let mut frames = vec![Frame { path: String::new(), is_map: false, counts: HashMap::new(), entries: 0 }];
    loop {
        let event = match tok.next() {
            Ok(Some(event)) => event,
            Ok(None) => break,
            Err(problem) => {
                out.problems.push(problem);
                return out;
            }
        };
        match event {
            Event::BlockEnd(at) => {
                if frames.len() == 1 {
                    out.problems.push(ParseProblem {
                        message: "unexpected `}`: no block is open".to_owned(),
                        span: Span::new(at, at + 1),
                    });
                    return out;
                }
                frames.pop();
            }
            Event::Directive { args, block } => {
                let at_root = frames.len() == 1;
                let frame = frames.last_mut().expect("the root frame is never popped");
                let name = args[0].text.text.clone();
                let path = if frame.is_map {
                    let k = frame.entries;
                    frame.entries += 1;
                    join(&frame.path, &format!("entry[{k}]"))
                } else {
                    let count = frame.counts.entry(name.clone()).or_insert(0);
                    let k = *count;
                    *count += 1;
                    let segment = if at_root && matches!(name.as_str(), "http" | "events" | "stream" | "mail") {
                        name.clone()
                    } else {
                        format!("{name}[{k}]")
                    };
                    join(&frame.path, &segment)
                };
                let in_map = frame.is_map;
                regexes(&args, in_map, &path, &mut out);
                if block {
                    if frames.len() > MAX_DEPTH {
                        out.problems.push(ParseProblem {
                            message: format!("blocks nested deeper than {MAX_DEPTH} levels; the rest is not read"),
                            span: args[0].raw,
                        });
                        return out;
                    }
                    let is_map = !in_map && name == "map";
                    frames.push(Frame { path, is_map, counts: HashMap::new(), entries: 0 });
                }
            }
        }
    }
    if frames.len() > 1 {
        out.problems.push(ParseProblem {
            message: format!("unexpected end of file: {} block(s) still open (missing `}}`)", frames.len() - 1),
            span: Span::empty(b.len()),
        });
    }
    out
}

fn join(path: &str, segment: &str) -> String {
    if path.is_empty() { segment.to_owned() } else { format!("{path}.{segment}") }
}

/// Push the regexes of one directive.
fn regexes(args: &[Arg], in_map: bool, path: &str, out: &mut Extraction) {
    let mut push = |arg: &Arg, skip: usize, trim_end: usize, key: String, case_insensitive: bool| {
        let text = &arg.text.text;
        let end = text.len().saturating_sub(trim_end).max(skip);
        let offsets = arg.text.offsets(skip, end);
        let flags = Flags { case_insensitive, ..Flags::default() };
        out.patterns.push(make_pattern(text[skip..end].to_owned(), offsets, key, Kind::Nginx, flags, None));
    };
    if in_map {
        let first = &args[0];
        if let Some((skip, ci)) = tilde_prefix(&first.text.text) {
            push(first, skip, 0, path.to_owned(), ci);
        }
        return;
    }
    let name = args[0].text.text.as_str();
    match name {
        "location" => match args.len() {
            3 => {
                let m = args[1].text.text.as_str();
                if m == "~" || m == "~*" {
                    push(&args[2], 0, 0, path.to_owned(), m == "~*");
                }
            }
            2 => {
                if let Some((skip, ci)) = tilde_prefix(&args[1].text.text) {
                    push(&args[1], skip, 0, path.to_owned(), ci);
                }
            }
            _ => {}
        },
        "server_name" => {
            let multi = args.iter().skip(1).filter(|a| a.text.text.starts_with('~')).count() > 1;
            for (i, arg) in args.iter().enumerate().skip(1) {
                if let Some(rest) = arg.text.text.strip_prefix('~') {
                    let key = if multi { format!("{path}.arg[{i}]") } else { path.to_owned() };
                    push(arg, 1, 0, key, rest.bytes().any(|c| c.is_ascii_uppercase()));
                }
            }
        }
        "valid_referers" => {
            let multi = args.iter().skip(1).filter(|a| a.text.text.starts_with('~')).count() > 1;
            for (i, arg) in args.iter().enumerate().skip(1) {
                if arg.text.text.starts_with('~') {
                    let key = if multi { format!("{path}.arg[{i}]") } else { path.to_owned() };
                    push(arg, 1, 0, key, true);
                }
            }
        }
        "gzip_disable" => {
            let regs: Vec<_> = args
                .iter()
                .enumerate()
                .skip(1)
                .filter(|(_, a)| !matches!(a.text.text.as_str(), "msie6" | "degradation"))
                .collect();
            let multi = regs.len() > 1;
            for (i, arg) in regs {
                let key = if multi { format!("{path}.arg[{i}]") } else { path.to_owned() };
                push(arg, 0, 0, key, true);
            }
        }
        "rewrite" | "fastcgi_split_path_info" => {
            if let Some(arg) = args.get(1) {
                push(arg, 0, 0, path.to_owned(), false);
            }
        }
        "proxy_redirect" | "proxy_cookie_path" | "proxy_cookie_domain" => {
            if let Some(arg) = args.get(1)
                && let Some((skip, ci)) = tilde_prefix(&arg.text.text)
            {
                push(arg, skip, 0, path.to_owned(), ci);
            }
        }
        "if" => if_condition(args, path, &mut push),
        _ => {}
    }
}

/// `~R` -> (1, false), `~*R` -> (2, true).
fn tilde_prefix(s: &str) -> Option<(usize, bool)> {
    if s.starts_with("~*") {
        Some((2, true))
    } else if s.starts_with('~') {
        Some((1, false))
    } else {
        None
    }
}

/// `if ($var ~ R)` and its variants: strip the parentheses nginx strips,
/// then look for a regex operator between the variable and the value.
fn if_condition(args: &[Arg], path: &str, push: &mut impl FnMut(&Arg, usize, usize, String, bool)) {
    // (arg, bytes skipped at the start, bytes trimmed at the end)
    let mut cond: Vec<(&Arg, usize, usize)> = args[1..].iter().map(|a| (a, 0, 0)).collect();
    let Some(first) = cond.first_mut() else { return };
    if first.0.text.text == "(" {
        cond.remove(0);
    } else if first.0.text.text.starts_with('(') {
        first.1 = 1;
    } else {
        return;
    }
    let Some(last) = cond.last_mut() else { return };
    if last.0.text.text == ")" {
        cond.pop();
    } else if last.0.text.text.ends_with(')') && last.0.text.text.len() > last.1 {
        last.2 = 1;
    } else {
        return;
    }
    if cond.len() != 3 {
        return;
    }
    let op = &cond[1].0.text.text[cond[1].1..cond[1].0.text.text.len() - cond[1].2];
    let ci = match op {
        "~" | "!~" => false,
        "~*" | "!~*" => true,
        _ => return,
    };
    let (arg, skip, trim) = cond[2];
    push(arg, skip, trim, path.to_owned(), ci);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::PatternSpan;

    fn run(text: &str) -> Extraction {
        extract(&SourceFile::new("site.conf", text))
    }

    fn summary(ex: &Extraction) -> Vec<(String, String, bool)> {
        ex.patterns.iter().map(|p| (p.key.clone(), p.pattern.clone(), p.flags.case_insensitive)).collect()
    }

    #[test]
    fn locations_and_keys() {
        let text = concat!(
            "http {\n",
            "  server {\n",
            "    location / { }\n",
            "    location ~* \\.(?:css|js)$ { expires 1y; }\n",
            "    location ~\\.php$ { }\n",
            "    location ~* (?:#.*#|~)$ { deny all; }\n",
            "  }\n",
            "  server {\n",
            "    location \"~*\" \"^/a{2}\" { }\n",
            "  }\n",
            "}\n",
        );
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        assert_eq!(
            summary(&ex),
            [
                ("http.server[0].location[1]".into(), r"\.(?:css|js)$".into(), true),
                ("http.server[0].location[2]".into(), r"\.php$".into(), false),
                ("http.server[0].location[3]".into(), "(?:#.*#|~)$".into(), true),
                ("http.server[1].location[0]".into(), "^/a{2}".into(), true),
            ]
        );
        for p in &ex.patterns {
            assert_eq!(&text[p.span.range()], p.pattern);
        }
    }

    #[test]
    fn escapes_map_to_their_raw_bytes() {
        let text = "location ~ \"a\\\"b\\\\.c\\td\" { }\n";
        let ex = run(text);
        let p = &ex.patterns[0];
        assert_eq!(p.pattern, "a\"b\\.c\td");
        let raw = |d: usize| text[p.offsets.to_file_span(PatternSpan::new(d, d + 1)).range()].to_owned();
        assert_eq!(raw(0), "a");
        assert_eq!(raw(1), "\\\"");
        assert_eq!(raw(3), "\\\\");
        assert_eq!(raw(4), ".");
        assert_eq!(raw(6), "\\t");
        assert_eq!(raw(7), "d");
    }

    #[test]
    fn map_if_rewrite_server_name() {
        let text = concat!(
            "map $http_user_agent $bot {\n",
            "  default 0;\n",
            "  ~*googlebot 1;\n",
            "  ~^Mozilla 2;\n",
            "  \\~literal 3;\n",
            "  \"~*quoted x\" 4;\n",
            "}\n",
            "server {\n",
            "  server_name example.com ~^www\\.(?<d>.+)$ ~^API\\.;\n",
            "  if ($http_referer ~* \"evil\\.com\") { return 403; }\n",
            "  if ( $uri !~ ^/ok ) { return 404; }\n",
            "  if ($request_method = POST) { return 405; }\n",
            "  rewrite ^/old/(.*)$ /new/$1 permanent;\n",
            "  proxy_redirect ~*^http://up/(.*)$ /$1;\n",
            "  valid_referers none blocked ~\\.google\\.;\n",
            "  gzip_disable msie6 \"MSIE [1-6]\\.\";\n",
            "  fastcgi_split_path_info ^(.+\\.php)(/.+)$;\n",
            "}\n",
        );
        let ex = run(text);
        assert!(ex.problems.is_empty(), "{:?}", ex.problems);
        let got = summary(&ex);
        let want: Vec<(String, String, bool)> = vec![
            ("map[0].entry[1]".into(), "googlebot".into(), true),
            ("map[0].entry[2]".into(), "^Mozilla".into(), false),
            ("map[0].entry[4]".into(), "quoted x".into(), true),
            ("server[0].server_name[0].arg[2]".into(), r"^www\.(?<d>.+)$".into(), false),
            ("server[0].server_name[0].arg[3]".into(), r"^API\.".into(), true),
            ("server[0].if[0]".into(), r"evil\.com".into(), true),
            ("server[0].if[1]".into(), "^/ok".into(), false),
            ("server[0].rewrite[0]".into(), "^/old/(.*)$".into(), false),
            ("server[0].proxy_redirect[0]".into(), "^http://up/(.*)$".into(), true),
            ("server[0].valid_referers[0]".into(), r"\.google\.".into(), true),
            ("server[0].gzip_disable[0]".into(), r"MSIE [1-6]\.".into(), true),
            ("server[0].fastcgi_split_path_info[0]".into(), r"^(.+\.php)(/.+)$".into(), false),
        ];
        assert_eq!(got, want);
        for p in &ex.patterns {
            assert_eq!(&text[p.span.range()], p.pattern, "{}", p.key);
        }
    }

    #[test]
    fn if_with_paren_attached_to_value() {
        let ex = run("if ($a ~ x)) { }\n");
        assert_eq!(summary(&ex), [("if[0]".into(), "x)".into(), false)]);
    }

    #[test]
    fn syntax_errors_are_problems() {
        for (text, needle) in [
            ("location ~ \"abc { }\n", "unterminated"),
            ("location ~ x { \n", "still open"),
            ("}\n", "no block is open"),
            (";\n", "unexpected `;`"),
            ("a \"b\"c;\n", "after a quoted"),
            ("listen 80", "no `;`"),
        ] {
            let ex = run(text);
            assert_eq!(ex.problems.len(), 1, "{text:?}: {:?}", ex.problems);
            assert!(ex.problems[0].message.contains(needle), "{text:?}: {}", ex.problems[0].message);
            assert!(ex.problems[0].span.end <= text.len());
        }
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = format!("{}location ~ x {{}}", "a {".repeat(10_000));
        let ex = run(&text);
        assert_eq!(ex.problems.len(), 1);
        assert!(ex.problems[0].message.contains("nested deeper"));
    }

    #[test]
    fn detection() {
        assert!(looks_like_nginx("# c\nlocation ~* x {\n}\n"));
        assert!(looks_like_nginx("listen 80;\nroot /srv;\n"));
        assert!(!looks_like_nginx("listen 80;\n"));
        assert!(!looks_like_nginx("[SERVICE]\n  Flush 1\n"));
    }
}
