//! `cfglint bench`'s fail-open sizes against a REAL ModSecurity: Apache
//! httpd with mod_security2 (Debian packages `apache2` and
//! `libapache2-mod-security2`), started by the test on a free loopback
//! port with the same rule file cfglint reads.
//!
//! For every rule that cfglint says fails open on PCRE2's JIT at `b`
//! bytes, the attack at `b` bytes makes ModSecurity give up on the match
//! (it sets `TX:MSC_PCRE_LIMITS_EXCEEDED`, which a guard rule turns into
//! status 409), and the same attack one pump shorter does not. That is
//! the figure production has: mod_security2 runs PCRE2's JIT, whose
//! match limit counts differently from the interpreter's.
//!
//! Skips (with a message) when apache2 or mod_security2 is missing; CI
//! installs both (.ci/run).
#![cfg(all(unix, feature = "pcre2"))]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// CRS rules (v4, REQUEST-942-APPLICATION-ATTACK-SQLI.conf) whose
/// lazy scans reach the match limit on long inputs; each reads its own
/// argument so one request exercises one rule.
const RULES: &[(&str, &str, &str)] = &[
    ("942270", "a", r"(?i)union.*?select.*?from"),
    ("942251", "b", r"(?i)\W+\d*?\s*?\bhaving\b\s*?[^\s\-]"),
    ("942160", "c", r"(?i:sleep\s*?\(.*?\)|benchmark\s*?\(.*?\,.*?\))"),
    ("942490", "d", r#"[\"'`][\s\d]*?[^\w\s]\W*?\d\W*?.*?[\"'`\d]"#),
    // Not CRS: a capture in a loop, which overflows PCRE2's JIT stack on a
    // long input; mod_security2 then runs the interpreter, whose match
    // limit stops it.
    ("100", "e", r"^(?:(a)|b)*c"),
];

#[allow(clippy::print_stderr)] // a skipped test says why (shown with --nocapture)
fn available() -> bool {
    for need in [APACHE.to_owned(), format!("{MODULES}/mod_security2.so")] {
        if !Path::new(&need).exists() {
            eprintln!("SKIPPED: {need} is missing (apt-get install -y apache2 libapache2-mod-security2)");
            return false;
        }
    }
    true
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().expect("its address").port()
}

/// The rule file both ModSecurity and cfglint read.
fn rule_file() -> String {
    let mut text = String::from("SecPcreMatchLimit 1000\nSecPcreMatchLimitRecursion 1000\n");
    for (id, arg, pattern) in RULES {
        let _ = writeln!(text, "SecRule ARGS:{arg} \"@rx {pattern}\" \"id:{id},phase:2,deny,status:403,log\"");
    }
    text
}

/// A running Apache httpd, stopped on drop.
struct Apache {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Apache {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Apache {
    fn start(rules: &Path) -> Apache {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "ServerRoot /etc/apache2\nPidFile {d}/httpd.pid\nListen 127.0.0.1:{port}\n\
             LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n\
             LoadModule authz_core_module {MODULES}/mod_authz_core.so\n\
             LoadModule unique_id_module {MODULES}/mod_unique_id.so\n\
             LoadModule security2_module {MODULES}/mod_security2.so\n\
             ErrorLog {d}/error.log\nLogLevel warn\nDocumentRoot {d}\nServerName localhost\n\
             SecRuleEngine On\nSecRequestBodyAccess On\nSecAuditEngine Off\n\
             Include {rules}\n\
             SecRule TX:MSC_PCRE_LIMITS_EXCEEDED \"!@streq 0\" \"id:2,phase:2,deny,status:409,log\"\n",
            rules = rules.display()
        );
        // Started as root, httpd serves as an unprivileged user: it must
        // be able to read the folder.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod the temp dir");
        let path = dir.path().join("httpd.conf");
        std::fs::write(&path, conf).expect("write httpd.conf");
        // -X: one process in the foreground, so the test owns it.
        let child = Command::new(APACHE)
            .arg("-X")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start apache2");
        let mut a = Apache { child, port, dir };
        let until = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = a.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = a.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                let log = std::fs::read_to_string(a.dir.path().join("error.log")).unwrap_or_default();
                panic!("apache2 exited ({status}):\n{err}\n{log}");
            }
            assert!(Instant::now() < until, "apache2 did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        a
    }

    /// ModSecurity's error log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// POST `arg=value` (form-encoded); the response status.
    fn post(&self, arg: &str, value: &[u8]) -> u16 {
        let mut body = format!("{arg}=");
        for &b in value {
            if b.is_ascii_alphanumeric() {
                body.push(b as char);
            } else {
                let _ = write!(body, "%{b:02X}");
            }
        }
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to apache2");
        s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        write!(
            s,
            "POST / HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send the request");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status = out.split_whitespace().nth(1).and_then(|c| c.parse().ok());
        status.unwrap_or_else(|| panic!("no HTTP status in {out:?}"))
    }
}

/// `prefix + pump × n + suffix` from a `fail_open` object.
fn build(f: &Value, n: usize) -> Vec<u8> {
    let part = |k: &str| f["attack"][k].as_str().expect("attack part").to_owned();
    format!("{}{}{}", part("prefix"), part("pump").repeat(n), part("suffix")).into_bytes()
}

#[test]
fn jit_fail_open_sizes_are_the_ones_a_real_modsecurity_has() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules.conf");
    std::fs::write(&rules, rule_file()).expect("write the rules");
    let corpus = dir.path().join("corpus.txt");
    std::fs::write(&corpus, "id=1\nq=union select 1 from t\n").expect("write the corpus");

    let out = Command::cargo_bin("cfglint")
        .expect("cfglint is built")
        .args(["bench", "--no-config", "--format", "json", "--pcre2-jit", "auto", "--corpus"])
        .arg(&corpus)
        .arg(&rules)
        .output()
        .expect("run cfglint bench");
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let jit = doc["summary"]["jit_engine"].as_str();
    assert!(
        jit.is_some_and(|j| j.contains("JIT")),
        "mod_security2 is installed, so is a JIT PCRE2: {}",
        doc["summary"]
    );

    let apache = Apache::start(&rules);
    let mut checked = Vec::new();
    for (id, arg, _) in RULES {
        let rule = doc["rules"].as_array().unwrap().iter().find(|r| r["id"] == *id).expect("rule reported");
        let f = &rule["fail_open_jit"];
        if f.is_null() {
            continue;
        }
        assert_eq!(f["engine"], "pcre2-jit", "{f}");
        let bytes = f["bytes"].as_u64().unwrap() as usize;
        let (fixed, pump) = (build(f, 0).len(), f["attack"]["pump"].as_str().unwrap().len());
        let n = (bytes - fixed) / pump;
        assert_eq!(build(f, n).len(), bytes, "{f}");
        assert_eq!(
            apache.post(arg, &build(f, n)),
            409,
            "rule {id}: ModSecurity should give up at {bytes} bytes\n{}",
            apache.log()
        );
        assert_ne!(
            apache.post(arg, &build(f, n - 1)),
            409,
            "rule {id}: ModSecurity gave up already at {} bytes",
            bytes - pump
        );
        checked.push(*id);
    }
    assert!(checked.len() >= 3, "too few rules fail open to compare: {checked:?}\n{doc}");

    // Out of JIT stack, the interpreter decides (no attack from `check`
    // here, so the library is asked directly, with an input that matches).
    let lib = cfglint::engine::jit::load(&cfglint::engine::JitChoice::Auto).unwrap().expect("a JIT PCRE2");
    let flags = cfglint::source::Flags { dot_all: true, ..Default::default() };
    let attack = cfglint::analysis::Attack { prefix: String::new(), pump: "a".into(), suffix: "c".into() };
    let limits = cfglint::bench::budget::ProductionLimits::default();
    let f = cfglint::bench::worst::fail_open_jit(lib, r"^(?:(a)|b)*c", flags, &attack, limits, 8192)
        .expect("the JIT compiles it")
        .expect("it gives up on a long input");
    assert_eq!(f.limit, "SecPcreMatchLimit", "{f:?}");
    let n = f.bytes - 1;
    assert_eq!(apache.post("e", attack.build(n).as_bytes()), 409, "ModSecurity should give up at {} bytes", f.bytes);
    assert_eq!(apache.post("e", attack.build(n - 1).as_bytes()), 403, "one byte shorter still matches and blocks");
    let log = apache.log();
    assert!(log.contains("PCRE limits exceeded"), "ModSecurity logs why it gave up:\n{log}");
}
