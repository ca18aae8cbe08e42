//! Flavors: which regex engine will run a pattern, and how it applies it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The regex engine that will run a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    /// PCRE / PCRE2 (ModSecurity, nginx, PHP, Perl-style). Backtracking.
    Pcre,
    /// RE2 / Go `regexp`. Linear time.
    Re2,
    /// Rust `regex`. Linear time.
    Rust,
    /// ECMAScript `RegExp` (node, browsers). Backtracking.
    Js,
    /// Python `re`. Backtracking.
    Python,
    /// Java `java.util.regex`. Backtracking.
    Java,
    /// Onigmo / Oniguruma (Fluent Bit, Logstash grok through Joni, Ruby).
    /// Backtracking; `^` and `$` are always line anchors. The analysis reads
    /// it as PCRE with the `m` flag ([`Flavor::model`],
    /// [`Flavor::engine_flags`]).
    Onigmo,
}

impl Flavor {
    /// Every flavor, in display order.
    pub const ALL: [Flavor; 7] =
        [Flavor::Pcre, Flavor::Re2, Flavor::Rust, Flavor::Js, Flavor::Python, Flavor::Java, Flavor::Onigmo];

    /// True for engines that backtrack (and so can take super-linear time).
    pub fn is_backtracking(self) -> bool {
        matches!(self, Flavor::Pcre | Flavor::Js | Flavor::Python | Flavor::Java | Flavor::Onigmo)
    }

    /// The flavor whose syntax and matching the analysis models this engine
    /// with: Onigmo as PCRE (the syntax CRS-style and grok patterns share;
    /// its line anchors come from [`Flavor::engine_flags`]), every other
    /// flavor as itself.
    #[must_use]
    pub fn model(self) -> Flavor {
        match self {
            Flavor::Onigmo => Flavor::Pcre,
            f => f,
        }
    }

    /// `flags` plus what the engine always applies: in Onigmo `^` and `$`
    /// match at every line boundary, which is the `m` flag of the others.
    #[must_use]
    pub fn engine_flags(self, flags: Flags) -> Flags {
        match self {
            Flavor::Onigmo => Flags { multi_line: true, ..flags },
            _ => flags,
        }
    }

    /// The engine's name in messages and human output (`RE2/Go`,
    /// `Python's re`): the one table every rule and command uses.
    pub fn engine_name(self) -> &'static str {
        match self {
            Flavor::Pcre => "PCRE",
            Flavor::Re2 => "RE2/Go",
            Flavor::Rust => "Rust's regex crate",
            Flavor::Js => "JavaScript",
            Flavor::Python => "Python's re",
            Flavor::Java => "Java",
            Flavor::Onigmo => "Onigmo",
        }
    }

    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Pcre => "pcre",
            Flavor::Re2 => "re2",
            Flavor::Rust => "rust",
            Flavor::Js => "js",
            Flavor::Python => "python",
            Flavor::Java => "java",
            Flavor::Onigmo => "onigmo",
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flavor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "pcre" | "pcre2" | "perl" | "php" | "modsecurity" => Ok(Flavor::Pcre),
            "onigmo" | "onig" | "oniguruma" | "ruby" | "joni" | "grok" | "fluent-bit" | "fluentbit" => {
                Ok(Flavor::Onigmo)
            }
            "re2" | "go" | "golang" => Ok(Flavor::Re2),
            "rust" => Ok(Flavor::Rust),
            "js" | "javascript" | "ecmascript" | "node" => Ok(Flavor::Js),
            "python" | "py" => Ok(Flavor::Python),
            "java" => Ok(Flavor::Java),
            other => {
                Err(format!("unknown flavor `{other}` (expected one of pcre, re2, rust, js, python, java, onigmo)"))
            }
        }
    }
}

/// How the engine applies the pattern to an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Semantics {
    /// Find a match anywhere: the engine retries at every start position
    /// (PCRE `pcre2_match`, JS `test`, Python `re.search`). The default.
    #[default]
    Search,
    /// Anchored at the start only (Python `re.match`).
    AnchoredStart,
    /// Anchored at both ends, as if wrapped in `^(?:…)$` (Prometheus
    /// relabel `regex`, Alertmanager matchers, Java `matches()`).
    FullMatch,
}

impl Semantics {
    /// The name used on the command line, in cfglint.toml and in JSON
    /// (the same as its serde form).
    pub fn as_str(self) -> &'static str {
        match self {
            Semantics::Search => "search",
            Semantics::AnchoredStart => "anchored-start",
            Semantics::FullMatch => "full-match",
        }
    }
}

impl fmt::Display for Semantics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Semantics {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "search" => Ok(Semantics::Search),
            "anchored-start" => Ok(Semantics::AnchoredStart),
            "full-match" => Ok(Semantics::FullMatch),
            other => Err(format!("unknown semantics `{other}` (expected search, anchored-start or full-match)")),
        }
    }
}

/// Match flags given outside the pattern text (JS `/…/i`, nginx `~*`,
/// uap-core `regex_flag: 'i'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Flags {
    /// `i`: case-insensitive.
    pub case_insensitive: bool,
    /// `m`: `^`/`$` match at line boundaries.
    pub multi_line: bool,
    /// `s`: `.` matches newline.
    pub dot_all: bool,
    /// `x`: extended (whitespace and `#` comments ignored).
    pub extended: bool,
    /// `u`: JS Unicode mode.
    pub unicode: bool,
}

impl Flags {
    /// No flags (`Flags::default()`, usable in constants).
    pub const NONE: Flags =
        Flags { case_insensitive: false, multi_line: false, dot_all: false, extended: false, unicode: false };

    /// Parse flag letters such as `"im"`. Unknown letters are ignored
    /// (`g`, `y`, `d` change how a JS regex is used, not what it matches).
    pub fn from_letters(s: &str) -> Self {
        let mut f = Flags::default();
        for c in s.chars() {
            match c {
                'i' => f.case_insensitive = true,
                'm' => f.multi_line = true,
                's' => f.dot_all = true,
                'x' => f.extended = true,
                'u' | 'v' => f.unicode = true,
                _ => {}
            }
        }
        f
    }

    /// The flags as letters, in `imsxu` order.
    pub fn to_letters(self) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.case_insensitive, 'i'),
            (self.multi_line, 'm'),
            (self.dot_all, 's'),
            (self.extended, 'x'),
            (self.unicode, 'u'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }

    /// True when no flag is set.
    pub fn is_empty(self) -> bool {
        self == Flags::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavor_round_trip() {
        for f in Flavor::ALL {
            assert_eq!(f.as_str().parse::<Flavor>().unwrap(), f);
        }
        assert!("perl6".parse::<Flavor>().is_err());
        assert_eq!("oniguruma".parse::<Flavor>().unwrap(), Flavor::Onigmo);
    }

    /// Onigmo is analysed as PCRE whose `^`/`$` are line anchors.
    #[test]
    fn onigmo_model() {
        assert_eq!(Flavor::Onigmo.model(), Flavor::Pcre);
        assert!(Flavor::Onigmo.engine_flags(Flags::default()).multi_line);
        assert!(!Flavor::Pcre.engine_flags(Flags::default()).multi_line);
        assert_eq!(Flavor::Onigmo.engine_flags(Flags::from_letters("i")).to_letters(), "im");
    }

    #[test]
    fn flag_letters() {
        let f = Flags::from_letters("gmi");
        assert!(f.case_insensitive && f.multi_line && !f.dot_all);
        assert_eq!(f.to_letters(), "im");
    }
}
