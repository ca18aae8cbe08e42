//! The `exclude = [...]` globs of cfglint.toml: one matcher for every
//! command, so `check` (walking folders), `diff` (changed files) and
//! `rollout` (the files a change deploys) skip the same files.
//!
//! Globs follow `.gitignore`: a glob without `/` matches a file or folder
//! name at any depth (`vendor`, `*.min.yaml`); a glob with `/` is anchored
//! at the root it is relative to (the walked folder for `check`, the
//! repository for `diff` and `rollout`); a leading `/` anchors too; a
//! trailing `/` matches folders only; `**` matches any number of folders;
//! `\` escapes. A path is excluded when it, or any folder it is in, matches.
//!
//! Built on `globset` (the matcher the `ignore` crate itself uses for
//! `.gitignore`), with the same translation `ignore`'s overrides applied
//! before, so `check` selects exactly the files it did.

use std::path::{Component, Path};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// An exclude glob that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidGlob {
    /// The glob as written.
    pub glob: String,
    /// Why it does not parse.
    pub message: String,
}

impl std::fmt::Display for InvalidGlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid exclude glob `{}`: {}", self.glob, self.message)
    }
}

/// The compiled `exclude` globs.
#[derive(Debug, Clone, Default)]
pub struct Excludes {
    set: GlobSet,
    /// Per glob in `set`: it ends with `/`, so it matches folders only.
    only_dir: Vec<bool>,
}

impl Excludes {
    /// Compile every glob; all that do not parse are returned, each with
    /// why.
    pub fn new(globs: &[String]) -> Result<Excludes, Vec<InvalidGlob>> {
        let (excludes, invalid) = Excludes::compile(globs);
        if invalid.is_empty() { Ok(excludes) } else { Err(invalid) }
    }

    /// Compile the globs that parse, and say which do not (a walk goes on
    /// with the valid ones and reports the others).
    pub fn compile(globs: &[String]) -> (Excludes, Vec<InvalidGlob>) {
        let mut builder = GlobSetBuilder::new();
        let mut only_dir = Vec::new();
        let mut invalid = Vec::new();
        for raw in globs {
            let Some((glob, dir)) = translate(raw) else { continue };
            match GlobBuilder::new(&glob).literal_separator(true).backslash_escape(true).build() {
                Ok(g) => {
                    builder.add(g);
                    only_dir.push(dir);
                }
                Err(e) => invalid.push(InvalidGlob { glob: raw.clone(), message: e.kind().to_string() }),
            }
        }
        match builder.build() {
            Ok(set) => (Excludes { set, only_dir }, invalid),
            Err(e) => {
                invalid.push(InvalidGlob { glob: globs.join(", "), message: e.kind().to_string() });
                (Excludes::default(), invalid)
            }
        }
    }

    /// No glob at all.
    pub fn is_empty(&self) -> bool {
        self.only_dir.is_empty()
    }

    /// Does a glob match this path itself (relative to the root the globs
    /// are relative to; a leading `./` is ignored)? `is_dir`: the path is a
    /// folder. For a walk that prunes excluded folders.
    pub fn matches(&self, rel: &Path, is_dir: bool) -> bool {
        if self.is_empty() {
            return false;
        }
        let rel = rel.strip_prefix(".").unwrap_or(rel);
        if rel.as_os_str().is_empty() {
            return false;
        }
        self.set.matches(rel).into_iter().any(|i| is_dir || !self.only_dir[i])
    }

    /// Is a file excluded: does a glob match it, or a folder it is in? The
    /// path is relative to the root the globs are relative to.
    pub fn excludes(&self, rel: &Path) -> bool {
        if self.is_empty() {
            return false;
        }
        let parts: Vec<Component<'_>> =
            rel.components().filter(|c| !matches!(c, Component::CurDir | Component::RootDir)).collect();
        let mut prefix = std::path::PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            prefix.push(part);
            if self.matches(&prefix, i + 1 < parts.len()) {
                return true;
            }
        }
        false
    }
}

/// A `.gitignore`-style glob as a `globset` glob over the relative path,
/// and whether it matches folders only. `None`: a blank glob (matches
/// nothing).
fn translate(raw: &str) -> Option<(String, bool)> {
    let mut line = if raw.ends_with("\\ ") { raw } else { raw.trim_end() };
    if line.is_empty() {
        return None;
    }
    let mut anchored = false;
    if let Some(rest) = line.strip_prefix('/') {
        line = rest;
        anchored = true;
    }
    let mut only_dir = false;
    if let Some(rest) = line.strip_suffix('/') {
        only_dir = true;
        line = rest.strip_suffix('\\').unwrap_or(rest);
    }
    let mut glob = line.to_owned();
    // No `/`: the name at any depth.
    if !(anchored || line.contains('/') || line == "**") {
        glob = format!("**/{glob}");
    }
    // `dir/**` is what is inside `dir`, not `dir` itself.
    if glob.ends_with("/**") {
        glob.push_str("/*");
    }
    Some((glob, only_dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(globs: &[&str]) -> Excludes {
        Excludes::new(&globs.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>()).expect("valid globs")
    }

    #[test]
    fn gitignore_semantics() {
        let e = ex(&["vendor", "gen/*.yaml", "/top.yaml", "build/", "deep/**", "*.min.yml"]);
        for (path, excluded) in [
            ("vendor/rules.yaml", true),
            ("a/vendor/b/rules.yaml", true),
            ("vendor", true),
            ("vendors/rules.yaml", false),
            ("gen/x.yaml", true),
            ("./gen/x.yaml", true),
            ("gen/sub/x.yaml", false),
            ("a/gen/x.yaml", false),
            ("top.yaml", true),
            ("a/top.yaml", false),
            ("build/x.yaml", true),
            ("build", false),
            ("a/build/x.yaml", true),
            ("deep/x/y.yaml", true),
            ("deep", false),
            ("a/b.min.yml", true),
            ("waf/rules.yaml", false),
        ] {
            assert_eq!(e.excludes(Path::new(path)), excluded, "{path}");
        }
        assert!(e.matches(Path::new("build"), true));
        assert!(!e.matches(Path::new("build"), false));
        assert!(!ex(&[]).excludes(Path::new("vendor/x")));
        assert!(!ex(&["  "]).excludes(Path::new("vendor/x")));
    }

    #[test]
    fn agrees_with_the_ignore_crate_overrides() {
        // What `check` used before (and `diff`): `ignore`'s overrides with
        // `!glob`. The same answers, path by path.
        let globs = ["vendor", "gen/*.yaml", "/top.yaml", "build/", "deep/**", "*.min.yml", "a/**/z.yaml", "[ab].yaml"];
        let e = ex(&globs);
        let mut ov = ignore::overrides::OverrideBuilder::new("/root");
        for g in globs {
            ov.add(&format!("!{g}")).expect("glob");
        }
        let ov = ov.build().expect("build");
        for path in [
            "vendor/x.yaml",
            "x/vendor",
            "gen/x.yaml",
            "x/gen/x.yaml",
            "top.yaml",
            "x/top.yaml",
            "build/x",
            "x/build/y",
            "deep/x",
            "deep",
            "q.min.yml",
            "a/z.yaml",
            "a/b/c/z.yaml",
            "b/a/z.yaml",
            "a.yaml",
            "c.yaml",
            "x/b.yaml",
        ] {
            let parts: Vec<&str> = path.split('/').collect();
            let by_ignore =
                (1..=parts.len()).any(|n| ov.matched(Path::new(&parts[..n].join("/")), n < parts.len()).is_ignore());
            assert_eq!(e.excludes(Path::new(path)), by_ignore, "{path}");
        }
    }

    #[test]
    fn invalid_globs_are_named() {
        let err = Excludes::new(&["ok".to_owned(), "{unclosed".to_owned(), "[z".to_owned()]).expect_err("invalid");
        let globs: Vec<&str> = err.iter().map(|e| e.glob.as_str()).collect();
        assert_eq!(globs, ["{unclosed", "[z"]);
        assert!(err[0].to_string().starts_with("invalid exclude glob `{unclosed`: "), "{}", err[0]);
    }
}
