//! The embedded default: a private PostgreSQL cluster inside the data directory.
//!
//! With no `DATABASE_URL`, Weft runs its own cluster from the machine's PostgreSQL server
//! binaries, in `$WEFT_DATA_DIR/postgres`, listening on a Unix socket only. Several `weft`
//! processes may share one data directory: the first starts the cluster, the others reuse
//! it, and the last one to leave stops it. That bookkeeping uses file locks, which the
//! kernel releases when a process dies, so a killed `weft` never leaves the directory
//! locked; a killed PostgreSQL leaves a stale `postmaster.pid` and socket lock, which are
//! cleared on the next start. A server that dies while `weft serve` runs is started again by
//! it ([`crate::db::supervise`]).
//!
//! Files in the data directory:
//! - `postgres/`        the cluster (owned by the `postgres` user when Weft runs as root);
//! - `postgres.lock`    held exclusively while a process starts or stops the cluster;
//! - `postgres.users`   held shared by every process that uses the cluster;
//! - `postgres.keep`    present while `weft db start` has pinned the cluster running;
//! - `postgres.log`     the server's log.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;

/// Name of the cluster's superuser role (used only to bootstrap).
const SUPERUSER: &str = "postgres";
/// Role the application connects as: owns its database, but is no superuser, so
/// row-level security applies to it.
pub const APP_ROLE: &str = "weft";
/// Database the application uses inside the embedded cluster.
pub const APP_DATABASE: &str = "weft";
/// The oldest server major version Weft supports.
const MIN_MAJOR: u32 = 15;
/// Sockets live at `DIR/.s.PGSQL.5432`; a Unix socket path must fit in 107 bytes.
const MAX_SOCKET_DIR_LEN: usize = 90;
const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// PostgreSQL's own default for its cache of pages (`shared_buffers`), the least Weft gives it.
const MIN_SHARED_BUFFERS_MB: u64 = 128;
/// The most Weft gives it: past a few gigabytes the kernel's cache serves the rest as well.
const MAX_SHARED_BUFFERS_MB: u64 = 8 * 1024;

/// What can go wrong with the embedded cluster. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) version {MIN_MAJOR} or newer were not \
         found on PATH, through pg_config, or in /usr/lib/postgresql/*/bin. Install them \
         (Debian/Ubuntu: `apt-get install postgresql`; Fedora: `dnf install postgresql-server`; \
         macOS: `brew install postgresql@16`), set WEFT_PG_BINDIR to their folder, or set \
         DATABASE_URL to use an existing PostgreSQL server"
    )]
    BinariesNotFound,
    #[error(
        "Weft runs as root, and PostgreSQL refuses to run as root. The embedded cluster runs \
         as the `postgres` system user, which does not exist here: install PostgreSQL's server \
         package (it creates the user), create the user (`useradd --system postgres`), or run \
         Weft as an ordinary user"
    )]
    NoPostgresUser,
    #[error(
        "the `postgres` system user cannot reach {0}: the embedded cluster runs as that user \
         and needs every parent folder to be searchable by it. Choose another WEFT_DATA_DIR \
         (for example /var/lib/weft) or allow it with `chmod o+x` on the parent folders"
    )]
    DataDirUnreachable(PathBuf),
    #[error("{action} failed: {source}")]
    Io {
        action: String,
        #[source]
        source: io::Error,
    },
    #[error("{command} failed ({status}): {output}")]
    Command {
        command: String,
        status: String,
        output: String,
    },
    #[error(
        "the embedded PostgreSQL did not become ready within {}s. Its log ({log}) ends with:\n{tail}",
        START_TIMEOUT.as_secs()
    )]
    StartTimeout { log: PathBuf, tail: String },
    #[error("the embedded PostgreSQL exited while starting. Its log ({log}) ends with:\n{tail}")]
    StartFailed { log: PathBuf, tail: String },
    #[error(
        "the embedded PostgreSQL in {0} is still in use by another weft process; stop that \
         process first (or pass --force to stop the cluster under it)"
    )]
    InUse(PathBuf),
}

fn io_err(action: impl Into<String>) -> impl FnOnce(io::Error) -> EmbeddedError {
    let action = action.into();
    move |source| EmbeddedError::Io { action, source }
}

/// The operating-system account the server processes run as when Weft itself is root.
#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// Where the files of one embedded cluster live.
#[derive(Debug, Clone)]
pub struct Layout {
    data_dir: PathBuf,
}

impl Layout {
    /// The layout for a Weft data directory.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
        }
    }

    /// The cluster directory (`PGDATA`).
    pub fn cluster_dir(&self) -> PathBuf {
        self.data_dir.join("postgres")
    }

    fn lock_file(&self) -> PathBuf {
        self.data_dir.join("postgres.lock")
    }

    fn users_file(&self) -> PathBuf {
        self.data_dir.join("postgres.users")
    }

    fn keep_file(&self) -> PathBuf {
        self.data_dir.join("postgres.keep")
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }

    /// The folder holding the server's Unix socket: the cluster directory itself, or a
    /// private folder under /tmp when that path is too long for a socket.
    pub fn socket_dir(&self) -> PathBuf {
        let dir = self.cluster_dir();
        let absolute = std::path::absolute(&dir).unwrap_or(dir);
        if absolute.as_os_str().len() <= MAX_SOCKET_DIR_LEN {
            return absolute;
        }
        let digest = crate::util::short_digest(absolute.as_os_str().as_encoded_bytes());
        std::env::temp_dir().join(format!("weft-pg-{digest}"))
    }

    /// Connection options for the application role and database.
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(self.socket_dir())
            .username(APP_ROLE)
            .database(APP_DATABASE)
    }

    /// A libpq connection string for the application database (`psql` accepts it).
    pub fn url(&self) -> String {
        format!(
            "postgresql:///{APP_DATABASE}?host={}&user={APP_ROLE}",
            self.socket_dir().display()
        )
    }

    /// A libpq connection string for the cluster's superuser (backups must see past
    /// row-level security).
    pub fn superuser_url(&self) -> String {
        format!(
            "postgresql:///{APP_DATABASE}?host={}&user={SUPERUSER}",
            self.socket_dir().display()
        )
    }

    /// Whether a server is running on this cluster right now.
    pub fn is_running(&self) -> bool {
        running_pid(&self.cluster_dir()).is_some()
    }
}

/// A running embedded cluster that this process uses. Dropping it without
/// [`Cluster::release`] leaves the server running for the next process.
#[derive(Debug)]
pub struct Cluster {
    layout: Layout,
    /// Held shared for as long as this process uses the cluster.
    users_lock: Option<File>,
}

impl Cluster {
    /// Starts the cluster (initialising it on first use) or joins the one already running.
    /// Blocking: call it from `spawn_blocking` inside async code.
    pub fn start(data_dir: &Path) -> Result<Cluster, EmbeddedError> {
        let layout = Layout::new(data_dir);
        let run_as = run_as()?;
        prepare_data_dir(data_dir, run_as)?;

        let _start_lock = lock_exclusive(&layout.lock_file())?;
        let bin_dir = bin_dir_for_cluster(&layout)?;
        let cluster_dir = layout.cluster_dir();
        if !cluster_dir.join("PG_VERSION").exists() {
            init_cluster(&layout, &bin_dir, run_as)?;
        }
        if running_pid(&cluster_dir).is_none() {
            clear_stale_locks(&layout)?;
            start_server(&layout, &bin_dir, run_as)?;
        }
        bootstrap_roles(&layout, &bin_dir)?;

        let users_lock = open_lock_file(&layout.users_file())?;
        users_lock
            .lock_shared()
            .map_err(io_err("locking the embedded cluster's users file"))?;
        Ok(Cluster {
            layout,
            users_lock: Some(users_lock),
        })
    }

    /// The cluster's file layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Keeps the server running after the last process leaves, until `weft db stop`.
    pub fn pin(&self) -> Result<(), EmbeddedError> {
        File::create(self.layout.keep_file()).map_err(io_err("pinning the embedded cluster"))?;
        Ok(())
    }

    /// Stops using the cluster; the last process to leave stops the server, unless it was
    /// pinned by `weft db start`.
    pub fn release(mut self) -> Result<(), EmbeddedError> {
        let _start_lock = lock_exclusive(&self.layout.lock_file())?;
        drop(self.users_lock.take());
        if self.layout.keep_file().exists() {
            return Ok(());
        }
        let probe = open_lock_file(&self.layout.users_file())?;
        if probe.try_lock().is_ok() {
            stop_server(&self.layout.cluster_dir())?;
        }
        Ok(())
    }
}

/// Starts the cluster of a data directory again when its server is gone (killed, crashed),
/// for a process that uses it. Returns false when a server was running after all (another
/// process started it first). Blocking.
pub fn restart(data_dir: &Path) -> Result<bool, EmbeddedError> {
    let layout = Layout::new(data_dir);
    let run_as = run_as()?;
    let _start_lock = lock_exclusive(&layout.lock_file())?;
    if layout.is_running() {
        return Ok(false);
    }
    let bin_dir = bin_dir_for_cluster(&layout)?;
    clear_stale_locks(&layout)?;
    start_server(&layout, &bin_dir, run_as)?;
    Ok(true)
}

/// The PID of the server running on the cluster of a data directory, if one is.
pub fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    running_pid(&Layout::new(data_dir).cluster_dir())
}

/// Stops the embedded cluster of a data directory (for `weft db stop`). Refuses while another
/// process uses it, unless `force`.
pub fn stop(data_dir: &Path, force: bool) -> Result<bool, EmbeddedError> {
    let layout = Layout::new(data_dir);
    if !layout.cluster_dir().exists() {
        return Ok(false);
    }
    let _start_lock = lock_exclusive(&layout.lock_file())?;
    let probe = open_lock_file(&layout.users_file())?;
    if probe.try_lock().is_err() && !force {
        return Err(EmbeddedError::InUse(layout.cluster_dir()));
    }
    let _ = fs::remove_file(layout.keep_file());
    stop_server(&layout.cluster_dir())
}

fn run_as() -> Result<Option<RunAs>, EmbeddedError> {
    if !rustix::process::geteuid().is_root() {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && fields[0] == "postgres")
        .and_then(|fields| {
            Some(RunAs {
                uid: fields[2].parse().ok()?,
                gid: fields[3].parse().ok()?,
            })
        })
        .map(Some)
        .ok_or(EmbeddedError::NoPostgresUser)
}

/// Creates the data directory and, when the server will run as another user, checks that
/// this user can reach it.
fn prepare_data_dir(data_dir: &Path, run_as: Option<RunAs>) -> Result<(), EmbeddedError> {
    fs::create_dir_all(data_dir).map_err(io_err(format!(
        "creating the data directory {}",
        data_dir.display()
    )))?;
    let Some(run_as) = run_as else {
        return Ok(());
    };
    let absolute =
        fs::canonicalize(data_dir).map_err(io_err(format!("resolving {}", data_dir.display())))?;
    // The data directory holds media too; only its `postgres` folder changes owner. The
    // directory itself must be searchable (not listable) by the server's user.
    let mode = fs::metadata(&absolute)
        .map_err(io_err("reading the data directory's permissions"))?
        .permissions()
        .mode();
    if mode & 0o001 == 0 {
        fs::set_permissions(&absolute, fs::Permissions::from_mode(mode | 0o001))
            .map_err(io_err("making the data directory searchable"))?;
    }
    for ancestor in absolute.ancestors().skip(1) {
        let meta = fs::metadata(ancestor).map_err(io_err("reading a parent folder"))?;
        use std::os::unix::fs::MetadataExt;
        let searchable = meta.mode() & 0o001 != 0
            || (meta.uid() == run_as.uid && meta.mode() & 0o100 != 0)
            || (meta.gid() == run_as.gid && meta.mode() & 0o010 != 0);
        if !searchable {
            return Err(EmbeddedError::DataDirUnreachable(absolute));
        }
    }
    Ok(())
}

fn open_lock_file(path: &Path) -> Result<File, EmbeddedError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(format!("opening {}", path.display())))
}

fn lock_exclusive(path: &Path) -> Result<File, EmbeddedError> {
    let file = open_lock_file(path)?;
    file.lock()
        .map_err(io_err(format!("locking {}", path.display())))?;
    Ok(file)
}

/// The server binaries for the cluster: of its own major version once it exists.
fn bin_dir_for_cluster(layout: &Layout) -> Result<PathBuf, EmbeddedError> {
    let existing = fs::read_to_string(layout.cluster_dir().join("PG_VERSION"))
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok());
    find_bin_dir_for(existing)
}

/// Finds a folder holding `initdb`, `postgres` and `pg_ctl` of a supported version.
pub fn find_bin_dir() -> Result<PathBuf, EmbeddedError> {
    find_bin_dir_for(None)
}

/// Like [`find_bin_dir`], preferring major version `wanted` (an existing cluster can only
/// be opened by its own major version).
fn find_bin_dir_for(wanted: Option<u32>) -> Result<PathBuf, EmbeddedError> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("WEFT_PG_BINDIR") {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        if output.status.success() {
            let dir = String::from_utf8_lossy(&output.stdout).trim().to_string();
            candidates.push(PathBuf::from(dir));
        }
    }
    // Debian and Ubuntu keep each major version in its own folder; prefer the newest.
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut versioned: Vec<(u32, PathBuf)> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((major, entry.path().join("bin")))
            })
            .collect();
        versioned.sort_by_key(|(major, _)| std::cmp::Reverse(*major));
        candidates.extend(versioned.into_iter().map(|(_, dir)| dir));
    }
    candidates.extend(
        [
            "/usr/local/pgsql/bin",
            "/usr/pgsql-17/bin",
            "/usr/pgsql-16/bin",
            "/usr/pgsql-15/bin",
        ]
        .map(PathBuf::from),
    );
    let usable: Vec<(PathBuf, u32)> = candidates
        .into_iter()
        .filter(|dir| {
            ["initdb", "postgres", "pg_ctl"]
                .iter()
                .all(|bin| dir.join(bin).is_file())
        })
        .filter_map(|dir| server_major(&dir).map(|major| (dir, major)))
        .filter(|(_, major)| *major >= MIN_MAJOR)
        .collect();
    usable
        .iter()
        .find(|(_, major)| Some(*major) == wanted)
        .or_else(|| usable.first())
        .map(|(dir, _)| dir.clone())
        .ok_or(EmbeddedError::BinariesNotFound)
}

fn server_major(bin_dir: &Path) -> Option<u32> {
    let output = Command::new(bin_dir.join("postgres"))
        .arg("--version")
        .output()
        .ok()?;
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.split_whitespace().nth(2)?;
    version.split('.').next()?.parse().ok()
}

fn server_command(bin_dir: &Path, program: &str, run_as: Option<RunAs>) -> Command {
    let mut command = Command::new(bin_dir.join(program));
    if let Some(run_as) = run_as {
        command.uid(run_as.uid).gid(run_as.gid);
        // The server's user cannot read root's home; keep it out of the environment.
        command.env("HOME", "/tmp");
    }
    command.env_remove("PGDATA").env("LC_ALL", "C");
    command
}

fn run(mut command: Command, what: &str) -> Result<(), EmbeddedError> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(io_err(format!("running {what}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(EmbeddedError::Command {
        command: what.to_string(),
        status: output.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
        .trim()
        .to_string(),
    })
}

/// Runs initdb into a scratch folder and renames it into place, so that an interrupted
/// first start leaves nothing half-made behind.
fn init_cluster(
    layout: &Layout,
    bin_dir: &Path,
    run_as: Option<RunAs>,
) -> Result<(), EmbeddedError> {
    let cluster_dir = layout.cluster_dir();
    let scratch = cluster_dir.with_extension("initdb");
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(io_err("removing an interrupted initdb"))?;
    }
    if cluster_dir.exists() {
        // A folder without PG_VERSION is not a cluster: an earlier failed attempt.
        fs::remove_dir_all(&cluster_dir).map_err(io_err("removing an incomplete cluster"))?;
    }
    fs::create_dir(&scratch).map_err(io_err("creating the cluster folder"))?;
    fs::set_permissions(&scratch, fs::Permissions::from_mode(0o700))
        .map_err(io_err("restricting the cluster folder"))?;
    if let Some(run_as) = run_as {
        std::os::unix::fs::chown(&scratch, Some(run_as.uid), Some(run_as.gid))
            .map_err(io_err("handing the cluster folder to the postgres user"))?;
    }
    let mut initdb = server_command(bin_dir, "initdb", run_as);
    initdb
        .arg("--pgdata")
        .arg(&scratch)
        .args([
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
        ])
        .args(["--locale", "C", "--no-instructions"]);
    run(initdb, "initdb")?;

    // Settings of this private cluster: no TCP at all, a socket only this user can open.
    let socket_dir = layout.socket_dir();
    let settings = format!(
        "\n# Written by weft for its embedded cluster.\n\
         listen_addresses = ''\n\
         unix_socket_directories = '{}'\n\
         unix_socket_permissions = 0700\n\
         max_connections = 100\n\
         logging_collector = off\n",
        socket_dir.display()
    );
    let conf = scratch.join("postgresql.conf");
    let mut text = fs::read_to_string(&conf).map_err(io_err("reading postgresql.conf"))?;
    text.push_str(&settings);
    fs::write(&conf, text).map_err(io_err("writing postgresql.conf"))?;
    fs::rename(&scratch, &cluster_dir).map_err(io_err("moving the new cluster into place"))?;
    Ok(())
}

/// The postmaster's PID, when one is running on this cluster.
fn running_pid(cluster_dir: &Path) -> Option<i32> {
    let text = fs::read_to_string(cluster_dir.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    // /proc/PID/stat: "PID (comm) STATE ..."; a zombie is a server that already exited.
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (comm, rest) = stat.split_once(") ")?;
    let alive = comm.ends_with("(postgres") && !rest.starts_with('Z');
    alive.then_some(pid)
}

/// How many processes are still attached to the shared memory of the server that wrote
/// postmaster.pid (its seventh line: the segment's key and id), from /proc/sysvipc/shm; None
/// when none are, or nothing says.
fn old_backends_attached(cluster_dir: &Path) -> Option<u64> {
    let pid_file = fs::read_to_string(cluster_dir.join("postmaster.pid")).ok()?;
    let shmid = pid_file
        .lines()
        .nth(6)?
        .split_whitespace()
        .nth(1)?
        .to_string();
    let table = fs::read_to_string("/proc/sysvipc/shm").ok()?;
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // key shmid perms size cpid lpid nattch ...
        (fields.get(1) == Some(&shmid.as_str()))
            .then(|| fields.get(6)?.parse::<u64>().ok())
            .flatten()
            .filter(|attached| *attached > 0)
    })
}

/// Removes what a server that is gone left behind: `postmaster.pid`, and the socket with its
/// lock file (`.s.PGSQL.5432.lock`). PostgreSQL's own check of that lock asks only whether
/// its PID is alive, and a zombie is: a server killed after the `weft` that started it, where
/// init does not reap orphans (many containers), would refuse every later start. Called
/// with the start lock held and no live server of this cluster ([`running_pid`]); the
/// socket folder is this cluster's alone.
fn clear_stale_locks(layout: &Layout) -> Result<(), EmbeddedError> {
    let cluster_dir = layout.cluster_dir();
    // Backends of the dead server may still be finishing: while they hold its shared memory,
    // no new server may start (PostgreSQL checks this itself through postmaster.pid, which
    // must therefore stay until they are gone).
    if let Some(attached) = old_backends_attached(&cluster_dir) {
        return Err(EmbeddedError::Command {
            command: "starting the embedded PostgreSQL".into(),
            status: "waiting".into(),
            output: format!(
                "{attached} processes of the stopped server still hold its shared memory"
            ),
        });
    }
    match fs::remove_file(cluster_dir.join("postmaster.pid")) {
        Ok(()) => tracing::warn!("removed a stale postmaster.pid left by an unclean stop"),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_err("removing a stale postmaster.pid")(error)),
    }
    let Ok(entries) = fs::read_dir(layout.socket_dir()) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".s.PGSQL.") {
            fs::remove_file(entry.path()).map_err(io_err("removing a stale socket lock"))?;
            tracing::warn!(file = %entry.path().display(), "removed a stale PostgreSQL socket file");
        }
    }
    Ok(())
}

fn start_server(
    layout: &Layout,
    bin_dir: &Path,
    run_as: Option<RunAs>,
) -> Result<(), EmbeddedError> {
    let memory = memory_args(&layout.cluster_dir());
    match start_server_with(layout, bin_dir, run_as, &memory) {
        // A machine that refuses memory it has not got yet (strict overcommit, a tight
        // container) still gets a server, with PostgreSQL's own default.
        Err(EmbeddedError::StartFailed { tail, .. })
            if !memory.is_empty() && refused_shared_memory(&tail) =>
        {
            tracing::warn!(
                settings = memory.join(" "),
                "the embedded PostgreSQL could not reserve its cache of pages; \
                 starting it with PostgreSQL's default (ALTER SYSTEM SET shared_buffers chooses one)"
            );
            start_server_with(layout, bin_dir, run_as, &[])
        }
        other => other,
    }
}

/// Whether a server's failed start, by the tail of its log, was its shared memory refused.
fn refused_shared_memory(log_tail: &str) -> bool {
    log_tail.contains("could not map anonymous shared memory")
        || log_tail.contains("could not create shared memory segment")
}

fn start_server_with(
    layout: &Layout,
    bin_dir: &Path,
    run_as: Option<RunAs>,
    memory: &[String],
) -> Result<(), EmbeddedError> {
    let socket_dir = layout.socket_dir();
    if !socket_dir.exists() {
        fs::create_dir_all(&socket_dir).map_err(io_err("creating the socket folder"))?;
        fs::set_permissions(&socket_dir, fs::Permissions::from_mode(0o700))
            .map_err(io_err("restricting the socket folder"))?;
        if let Some(run_as) = run_as {
            std::os::unix::fs::chown(&socket_dir, Some(run_as.uid), Some(run_as.gid))
                .map_err(io_err("handing the socket folder to the postgres user"))?;
        }
    }
    let log_path = layout.log_file();
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io_err("opening the PostgreSQL log"))?;
    let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut postgres = server_command(bin_dir, "postgres", run_as);
    postgres
        .arg("-D")
        .arg(layout.cluster_dir())
        .arg("-k")
        .arg(&socket_dir)
        .args(memory)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(io_err("sharing the log file"))?)
        .stderr(log)
        // Its own process group: a Ctrl-C meant for weft must not reach the server, which
        // weft stops itself once the last user is gone.
        .process_group(0);
    let mut child = postgres
        .spawn()
        .map_err(io_err("starting the embedded PostgreSQL"))?;

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Err(EmbeddedError::StartFailed {
                log: log_path.clone(),
                tail: log_tail(&log_path, log_offset),
            });
        }
        if is_ready(&layout.cluster_dir()) {
            // Reap the server when it exits while this process lives on (else its zombie
            // would keep its PID "alive" and block the next start); when this process exits
            // first, the server lives on for the other users and init reaps it.
            std::thread::spawn(move || {
                if let Ok(status) = child.wait() {
                    tracing::debug!(%status, "the embedded PostgreSQL exited");
                }
            });
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(EmbeddedError::StartTimeout {
                log: log_path.clone(),
                tail: log_tail(&log_path, log_offset),
            });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The cache of pages the server gets on a machine (or in a container) of `memory_mb`: a
/// quarter of it, as PostgreSQL's documentation advises for a server of its own, between
/// PostgreSQL's default of 128 MB and 8 GB.
pub fn shared_buffers_mb(memory_mb: u64) -> u64 {
    (memory_mb / 4).clamp(MIN_SHARED_BUFFERS_MB, MAX_SHARED_BUFFERS_MB)
}

/// The server's `shared_buffers`, set at each start from the memory there is now (a machine
/// given more memory gets a bigger cache on its next start). PostgreSQL's default of 128 MB
/// suits the smallest machine: a million journals take about 11 GB, and pages that do not
/// fit are copied in from the kernel's cache as they are read. A value set with `ALTER
/// SYSTEM` (kept in postgresql.auto.conf) is the administrator's and is left to PostgreSQL.
fn memory_args(cluster_dir: &Path) -> Vec<String> {
    let chosen = fs::read_to_string(cluster_dir.join("postgresql.auto.conf"))
        .unwrap_or_default()
        .lines()
        .any(|line| line.trim_start().starts_with("shared_buffers"));
    match available_memory_mb() {
        Some(memory_mb) if !chosen => vec![
            "-c".to_string(),
            format!("shared_buffers={}MB", shared_buffers_mb(memory_mb)),
        ],
        _ => Vec::new(),
    }
}

/// The memory this process may use, in MB: the machine's, or its control group's limit
/// when that is lower (a container).
pub fn available_memory_mb() -> Option<u64> {
    let machine_kb = fs::read_to_string("/proc/meminfo")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    let limit_mb = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|path| fs::read_to_string(path).ok()?.trim().parse::<u64>().ok())
    .map(|bytes| bytes / (1024 * 1024));
    let machine_mb = machine_kb / 1024;
    Some(limit_mb.map_or(machine_mb, |limit| limit.min(machine_mb)))
}

/// postmaster.pid's eighth line is the server's state; "ready" means it accepts connections.
fn is_ready(cluster_dir: &Path) -> bool {
    fs::read_to_string(cluster_dir.join("postmaster.pid"))
        .ok()
        .and_then(|text| text.lines().nth(7).map(|line| line.trim() == "ready"))
        .unwrap_or(false)
}

fn log_tail(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.seek(SeekFrom::Start(offset));
        let _ = file.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// Creates the application role and database when missing. psql runs as the superuser over
/// the socket; trust authentication is safe there because only this OS user can open it.
fn bootstrap_roles(layout: &Layout, bin_dir: &Path) -> Result<(), EmbeddedError> {
    let psql = psql_program(bin_dir);
    let socket_dir = layout.socket_dir();
    let query_in = |database: &str, sql: &str| -> Result<String, EmbeddedError> {
        let output = Command::new(&psql)
            .arg("-h")
            .arg(&socket_dir)
            .args(["-U", SUPERUSER, "-d", database, "-X", "-q", "-t", "-A"])
            .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(io_err("running psql"))?;
        if !output.status.success() {
            return Err(EmbeddedError::Command {
                command: "psql (bootstrap)".into(),
                status: output.status.to_string(),
                output: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let query = |sql: &str| query_in("postgres", sql);
    let role_exists = query(&format!(
        "SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}'"
    ))?;
    if role_exists.is_empty() {
        query(&format!(
            "CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS CREATEDB"
        ))?;
    }
    let db_exists = query(&format!(
        "SELECT 1 FROM pg_database WHERE datname = '{APP_DATABASE}'"
    ))?;
    if db_exists.is_empty() {
        query(&format!("CREATE DATABASE {APP_DATABASE} OWNER {APP_ROLE}"))?;
    }
    // pgvector (search by meaning) is not a trusted extension: only a superuser may create
    // it, so it is created here, where the server has it (scripts/install-deps builds it).
    // Without it Weft runs on, and search by meaning says the extension is missing.
    // One psql run, as this happens at every start.
    let created = query_in(
        APP_DATABASE,
        "DO $$ BEGIN
             IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
                 CREATE EXTENSION IF NOT EXISTS vector;
             END IF;
         END $$",
    );
    if let Err(error) = created {
        tracing::warn!(%error, "could not create the pgvector extension");
    }
    Ok(())
}

/// psql from the server's folder, or from PATH (Debian puts the client in another package).
pub fn psql_program(bin_dir: &Path) -> PathBuf {
    let local = bin_dir.join("psql");
    if local.is_file() {
        local
    } else {
        PathBuf::from("psql")
    }
}

/// Fast shutdown: open transactions are rolled back, clients disconnected.
fn stop_server(cluster_dir: &Path) -> Result<bool, EmbeddedError> {
    let Some(pid) = running_pid(cluster_dir) else {
        return Ok(false);
    };
    let Some(process) = rustix::process::Pid::from_raw(pid) else {
        return Ok(false);
    };
    if rustix::process::kill_process(process, rustix::process::Signal::INT).is_err() {
        return Ok(false);
    }
    let deadline = Instant::now() + STOP_TIMEOUT;
    while running_pid(cluster_dir).is_some() {
        if Instant::now() > deadline {
            return Err(EmbeddedError::Io {
                action: "stopping the embedded PostgreSQL".into(),
                source: io::Error::new(io::ErrorKind::TimedOut, "the server did not stop in time"),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::shared_buffers_mb;

    #[test]
    fn the_cache_of_pages_is_a_quarter_of_the_memory_within_bounds() {
        assert_eq!(
            shared_buffers_mb(24 * 1024),
            6 * 1024,
            "the reference machine"
        );
        assert_eq!(shared_buffers_mb(2 * 1024), 512);
        assert_eq!(
            shared_buffers_mb(256),
            128,
            "never below PostgreSQL's default"
        );
        assert_eq!(shared_buffers_mb(256 * 1024), 8 * 1024, "never above 8 GB");
    }

    #[test]
    fn a_refused_cache_of_pages_is_told_apart_from_other_failed_starts() {
        // PostgreSQL 15's words when the kernel refuses the memory (strict overcommit).
        assert!(super::refused_shared_memory(
            "FATAL:  could not map anonymous shared memory: Cannot allocate memory\n\
             HINT:  This error usually means that PostgreSQL's request for a shared memory \
             segment exceeded available memory, swap space, or huge pages."
        ));
        assert!(!super::refused_shared_memory(
            "FATAL:  data directory \"/x\" has invalid permissions"
        ));
    }
}
