//! Low-level file access shared by the whole crate: the one way cfglint
//! replaces a file it writes, and the one way it reads a file it was told
//! to read, with a size cap.
//!
//! Writes ([`write_output`] for files the user named, [`write_private`] for
//! cfglint's own cache entries):
//!
//! - a regular file (or a new one) is written to a temporary file in the
//!   same folder, synced, given the old file's mode (a new file gets
//!   `0666` minus the umask), then renamed over the target, and the folder
//!   is synced: readers see the old content or the new one, never a part;
//! - a symbolic link is written through: the file it points at is
//!   replaced, the link stays (as a shell's `>` would do);
//! - a target that is not a regular file (`/dev/stdout`, `/dev/null`, a
//!   FIFO, a terminal, any device node) is opened and written directly,
//!   never replaced;
//! - a folder is refused;
//! - on any error the temporary file is removed. Only a kill between
//!   writing and renaming can leave one behind; it is named
//!   `.<name>.<random>.cfglint-tmp`.
//!
//! Reads ([`read_regular`], [`read_named`]) stop at a size cap instead of
//! growing without bound on `/dev/zero` or a huge file, and
//! [`read_regular`] refuses FIFOs and devices where a regular file is
//! meant (opening a FIFO would block until someone writes to it).

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Lowercase hex digits of `bytes`: the one encoder behind cache file
/// names and the manifest's `sha256:` hashes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The suffix of cfglint's temporary files.
pub const TEMP_SUFFIX: &str = ".cfglint-tmp";

/// Default cap for small inputs the user names by flag (`--config`,
/// `--baseline`, `--manifest`, `--metrics`): 64 MiB.
pub const INPUT_CAP: u64 = 64 << 20;

/// Replace (or create) the file the user named `path` with `bytes`, as the
/// module documentation describes, and make the result durable.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    // What the kernel resolves first: `/dev/stdout` is a link to
    // `/proc/self/fd/1`, whose "target" (`pipe:[1234]`) is no path at all.
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
        && !m.is_dir()
    {
        return write_direct(path, bytes);
    }
    let target = resolve_links(path)?;
    match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder, not a file")),
        Ok(m) if !m.is_file() => write_direct(&target, bytes),
        Ok(m) => replace(&target, bytes, Some(m.permissions()), true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => replace(&target, bytes, None, true),
        Err(e) => Err(e),
    }
}

/// Replace `path`, an entry inside a folder cfglint owns (the cache), with
/// `bytes`: temporary file and rename, no sync (a lost cache entry is only
/// a miss), and a symbolic link at `path` is replaced, never followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace(path, bytes, None, false)
}

/// Follow symbolic links from `path` (at most 40, like the kernel) to the
/// file they name; a dangling link yields the path it points at, so that
/// writing creates the file there.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&p)?;
                p = if next.is_absolute() { next } else { p.parent().map_or_else(|| next.clone(), |d| d.join(&next)) };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Write to a FIFO, device or other non-regular file in place.
fn write_direct(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).open(path)?;
    f.write_all(bytes)?;
    f.flush()
}

fn replace(path: &Path, bytes: &[u8], mode: Option<Permissions>, durable: bool) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?
        .to_string_lossy()
        .into_owned();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // A new file: what `>` would create (the umask applies).
        builder.permissions(Permissions::from_mode(0o666));
    }
    // On error, dropping `tmp` removes the temporary file.
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(mode) = mode {
        // Exactly the old mode, read-only included.
        tmp.as_file().set_permissions(mode)?;
    }
    if durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if durable {
        // The rename itself is durable once the folder is synced. Not every
        // platform can open a folder; the data is written either way.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Why a bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A FIFO, device or folder where a regular file is meant.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// More bytes than the cap.
    #[error("larger than the {cap}-byte limit")]
    TooLarge {
        /// The cap, in bytes.
        cap: u64,
    },
}

impl ReadError {
    /// As an `io::Error` (for error types that carry one), keeping the
    /// message.
    pub fn into_io(self) -> io::Error {
        match self {
            ReadError::Io(e) => e,
            ReadError::NotRegular(what) => {
                io::Error::new(io::ErrorKind::InvalidInput, format!("not a regular file ({what})"))
            }
            ReadError::TooLarge { cap } => {
                io::Error::new(io::ErrorKind::FileTooLarge, format!("larger than the {cap}-byte limit"))
            }
        }
    }
}

/// What kind of non-regular file `m` describes, in words.
fn describe(m: &std::fs::Metadata) -> &'static str {
    if m.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = m.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// Read the regular file at `path` (symbolic links followed), at most `cap`
/// bytes. A FIFO, device or folder is refused before it is opened.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let m = std::fs::metadata(path)?;
    if !m.is_file() {
        return Err(ReadError::NotRegular(describe(&m)));
    }
    if m.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    let f = File::open(path)?;
    // The file may have been swapped between the check and the open.
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(ReadError::NotRegular(describe(&m)));
    }
    read_capped(f, cap)
}

/// [`read_regular`], as UTF-8 text.
pub fn read_regular_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    let bytes = read_regular(path, cap)?;
    String::from_utf8(bytes).map_err(|e| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, e.utf8_error())))
}

/// Read whatever the user named explicitly at `path`: a regular file, a
/// FIFO, `/dev/stdin`, a process substitution; at most `cap` bytes (so
/// `/dev/zero` is an error, not a hang). A folder is refused.
pub fn read_named(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let m = std::fs::metadata(path)?;
    if m.is_dir() {
        return Err(ReadError::NotRegular("a folder"));
    }
    if m.is_file() && m.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    read_capped(File::open(path)?, cap)
}

/// Read at most `cap` bytes; one more is an error.
fn read_capped(f: File, cap: u64) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    f.take(cap.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge { cap });
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
    use std::process::Command;

    fn mkfifo(path: &Path) {
        let ok = Command::new("mkfifo").arg(path).status().expect("run mkfifo").success();
        assert!(ok, "mkfifo failed");
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .expect("read dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .collect()
    }

    #[test]
    fn writes_through_a_symlink_and_keeps_the_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).expect("symlink");
        write_output(&link, b"new").expect("write through");
        assert!(std::fs::symlink_metadata(&link).expect("stat").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).expect("read"), "new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink("created.json", &dangling).expect("symlink");
        write_output(&dangling, b"x").expect("write");
        assert!(std::fs::symlink_metadata(&dangling).expect("stat").file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(dir.path().join("created.json")).expect("read"), "x");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn keeps_the_mode_of_a_read_only_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("ro.json");
        std::fs::write(&p, "old").expect("write");
        std::fs::set_permissions(&p, Permissions::from_mode(0o444)).expect("chmod");
        write_output(&p, b"new").expect("write");
        assert_eq!(std::fs::metadata(&p).expect("stat").permissions().mode() & 0o777, 0o444);
        assert_eq!(std::fs::read_to_string(&p).expect("read"), "new");
        let p2 = dir.path().join("exec.sh");
        std::fs::write(&p2, "old").expect("write");
        std::fs::set_permissions(&p2, Permissions::from_mode(0o750)).expect("chmod");
        write_output(&p2, b"new").expect("write");
        assert_eq!(std::fs::metadata(&p2).expect("stat").permissions().mode() & 0o777, 0o750);
    }

    #[test]
    fn writes_into_a_fifo_without_replacing_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("out.fifo");
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
        };
        write_output(&fifo, b"through the pipe").expect("write fifo");
        assert_eq!(reader.join().expect("reader"), "through the pipe");
        assert!(std::fs::metadata(&fifo).expect("stat").file_type().is_fifo());
        assert!(leftovers(dir.path()).is_empty());
    }

    /// `/dev/stdout` on a pipe: `/proc/self/fd/1` links to `pipe:[N]`,
    /// which is no path; the write must go into the pipe.
    #[cfg(target_os = "linux")]
    #[test]
    fn writes_into_a_pipe_named_through_proc() {
        use std::io::Read as _;
        let mut child = Command::new("cat")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn cat");
        let fd0 = PathBuf::from(format!("/proc/{}/fd/0", child.id()));
        write_output(&fd0, b"through /proc").expect("write into the pipe");
        drop(child.stdin.take());
        let mut got = String::new();
        child.stdout.take().expect("stdout").read_to_string(&mut got).expect("read");
        child.wait().expect("wait");
        assert_eq!(got, "through /proc");
    }

    #[test]
    fn writes_to_dev_null_without_replacing_it() {
        write_output(Path::new("/dev/null"), b"discarded").expect("write /dev/null");
        assert!(std::fs::metadata("/dev/null").expect("stat").file_type().is_char_device());
    }

    #[test]
    fn failure_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // A folder is refused; the folder is untouched.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        assert!(write_output(&sub, b"x").is_err());
        assert!(sub.is_dir());
        // A missing folder: an error, nothing created.
        assert!(write_output(&dir.path().join("missing/out.json"), b"x").is_err());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn private_writes_replace_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep me").expect("write");
        let entry = dir.path().join("entry.json");
        std::os::unix::fs::symlink(&victim, &entry).expect("symlink");
        write_private(&entry, b"{}").expect("write");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep me");
        assert!(std::fs::symlink_metadata(&entry).expect("stat").is_file());
    }

    #[test]
    fn bounded_reads_refuse_fifos_devices_and_huge_inputs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fifo = dir.path().join("in.fifo");
        mkfifo(&fifo);
        // Refused before opening, so this cannot block.
        assert!(matches!(read_regular(&fifo, 10), Err(ReadError::NotRegular("a FIFO"))));
        assert!(matches!(read_regular(Path::new("/dev/zero"), 10), Err(ReadError::NotRegular("a device"))));
        assert!(matches!(read_named(Path::new("/dev/zero"), 1000), Err(ReadError::TooLarge { cap: 1000 })));
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 101]).expect("write");
        assert!(matches!(read_regular(&big, 100), Err(ReadError::TooLarge { cap: 100 })));
        assert_eq!(read_regular(&big, 101).expect("read").len(), 101);
        // A FIFO named explicitly is read.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, "a: 1\n").expect("write fifo"))
        };
        assert_eq!(read_named(&fifo, 100).expect("read fifo"), b"a: 1\n");
        writer.join().expect("writer");
    }
}
