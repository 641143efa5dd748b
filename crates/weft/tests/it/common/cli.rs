//! The built `weft` binary run as an operator runs it against a test database, and what it
//! printed.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::{weft_bin, TestDb};

/// Runs `weft ARGS` against `db` and waits for it: `DATABASE_URL` set, warnings only in the
/// log, from an empty folder (so that no `.env` of the checkout applies), with no
/// `WEFT_BCRYPT_COST` from the caller's environment (the binary's default, unless `env` gives
/// one); `env` is set last.
pub fn weft(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let cwd = tempfile::tempdir().expect("a working folder");
    command(db, args, env, &cwd)
        .output()
        .expect("run the weft binary")
}

/// Runs `weft ARGS` as [`weft`] does, with `stdin` written to its standard input.
pub fn weft_with_input(db: &TestDb, args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let cwd = tempfile::tempdir().expect("a working folder");
    let mut child = command(db, args, env, &cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the weft binary");
    child
        .stdin
        .take()
        .expect("its standard input")
        .write_all(stdin.as_bytes())
        .expect("write its input");
    child.wait_with_output().expect("wait for the weft binary")
}

fn command(db: &TestDb, args: &[&str], env: &[(&str, &str)], cwd: &tempfile::TempDir) -> Command {
    let mut command = Command::new(weft_bin());
    command
        .args(args)
        .current_dir(cwd.path())
        .env("DATABASE_URL", db.url())
        .env("WEFT_LOG", "warn")
        .env_remove("WEFT_BCRYPT_COST")
        .envs(env.iter().copied());
    command
}

/// What it printed on standard output.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// What it printed on standard error.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Its standard output and then its standard error, as one text.
pub fn output_text(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

/// Asserts that it exited 0, showing what it printed when it did not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        stdout(output),
        stderr(output)
    );
}
